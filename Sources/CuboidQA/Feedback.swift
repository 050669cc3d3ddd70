public import CuboidFormats
import CuboidGeometry
import Foundation

/// What is wrong with a box, as the feedback lists it.
public enum FindingKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A counted gold box no labelled box matches, and none is near it.
    case missed
    /// A labelled box that matches no gold box and lies on nothing ignored.
    case extra
    /// A labelled box on a gold box of another class ("labelled Van, gold Car").
    case misclassified
    /// A labelled box of the right class near a gold box, but too far off to match.
    case belowThreshold = "below-threshold"
    /// A second labelled box on a gold box that another box already matches.
    case duplicate
    /// A match that is off by more than the tolerances.
    case inaccurate
}

/// How a labelled box differs from its gold box.
///
/// For cuboids, offsets are in the **gold box's own frame** (forward along its heading, left
/// across it, up), metres; the yaw difference is the shortest turn from the gold heading to the
/// labelled one, degrees, counter-clockwise seen from above positive; sizes are labelled minus gold.
/// For 2D boxes, `forward` and `left` hold the centre offset right and down in pixels, `length` and
/// `width` the width and height differences.
public struct BoxDeviation: Sendable, Hashable, Codable {
    public var forward: Double
    public var left: Double
    public var up: Double
    public var yawDegrees: Double
    public var length: Double
    public var width: Double
    public var height: Double
    /// Whether the deviation is between 2D boxes (pixels).
    public var isImage: Bool

    /// The deviation of a labelled cuboid from a gold one.
    public init(gold: Box3D, labelled: Box3D) {
        let dx = labelled.x - gold.x, dy = labelled.y - gold.y
        let c = cos(gold.yaw), s = sin(gold.yaw)
        forward = dx * c + dy * s
        left = -dx * s + dy * c
        up = labelled.z - gold.z
        yawDegrees = shortestArc(from: gold.yaw, to: labelled.yaw) * 180 / .pi
        length = labelled.length - gold.length
        width = labelled.width - gold.width
        height = labelled.height - gold.height
        isImage = false
    }

    /// The deviation of a labelled 2D box from a gold one, pixels.
    public init(gold: Box2D, labelled: Box2D) {
        forward = labelled.center.x - gold.center.x
        left = labelled.center.y - gold.center.y
        up = 0
        yawDegrees = 0
        length = labelled.width - gold.width
        width = labelled.height - gold.height
        height = 0
        isImage = true
    }

    /// The parts beyond the tolerances, in words ("centre 0.42 m too far left, yaw 14° clockwise,
    /// length 0.60 m short"); empty when everything is within them.
    public func describe(_ tolerances: Tolerances) -> [String] {
        var parts: [String] = []
        func metres(_ value: Double) -> String { fixed(abs(value), decimals: 2) + " m" }
        if isImage {
            let pixels = tolerances.pixels
            var centre: [String] = []
            if abs(forward) > pixels { centre.append(fixed(abs(forward), decimals: 0) + " px " + (forward > 0 ? "right" : "left")) }
            if abs(left) > pixels { centre.append(fixed(abs(left), decimals: 0) + " px " + (left > 0 ? "down" : "up")) }
            if !centre.isEmpty { parts.append("box " + centre.joined(separator: " and ")) }
            if abs(length) > pixels { parts.append("width " + fixed(abs(length), decimals: 0) + " px " + (length > 0 ? "wide" : "narrow")) }
            if abs(width) > pixels { parts.append("height " + fixed(abs(width), decimals: 0) + " px " + (width > 0 ? "tall" : "short")) }
            return parts
        }
        var centre: [String] = []
        if abs(forward) > tolerances.center { centre.append(metres(forward) + (forward > 0 ? " too far forward" : " too far back")) }
        if abs(left) > tolerances.center { centre.append(metres(left) + (left > 0 ? " too far left" : " too far right")) }
        if abs(up) > tolerances.elevation { centre.append(metres(up) + (up > 0 ? " too high" : " too low")) }
        if !centre.isEmpty { parts.append("centre " + centre.joined(separator: ", ")) }
        if abs(yawDegrees) >= 180 - tolerances.reversedHeadingDegrees {
            parts.append("heading reversed (yaw " + fixed(abs(yawDegrees), decimals: 0) + "° off)")
        } else if abs(yawDegrees) > 90 {
            parts.append("heading off by " + fixed(abs(yawDegrees), decimals: 0) + "° " + (yawDegrees > 0 ? "counter-clockwise" : "clockwise"))
        } else if abs(yawDegrees) > tolerances.yawDegrees {
            parts.append("yaw " + fixed(abs(yawDegrees), decimals: 0) + "° " + (yawDegrees > 0 ? "counter-clockwise" : "clockwise"))
        }
        for (name, value, more, less) in [("length", length, "long", "short"), ("width", width, "wide", "narrow"), ("height", height, "tall", "short")]
        where abs(value) > tolerances.size {
            parts.append("\(name) " + metres(value) + " " + (value > 0 ? more : less))
        }
        return parts
    }
}

/// One error in a tasker's labels, with the evidence a tasker needs to act on it.
public struct QAFinding: Sendable, Hashable, Codable {
    public var kind: FindingKind
    /// The frame's name.
    public var frame: String
    /// The gold box's class (the labelled class for extras and duplicates).
    public var category: String
    /// The gold box's position in the gold frame's object list, and its track id.
    public var goldIndex: Int?
    public var goldTrack: String?
    /// The labelled box's position in the tasker's frame, its class and track id.
    public var labelIndex: Int?
    public var labelledCategory: String?
    public var labelTrack: String?
    /// The boxes compared (sensor frame).
    public var gold: LabeledObject?
    public var labelled: LabeledObject?
    /// Overlap of the two boxes (IoU of the criterion; BEV IoU for centre distance).
    public var overlap: Double?
    /// Ground-plane distance of the box from the sensor, metres.
    public var range: Double?
    /// Lidar returns inside the box the finding is about, when the sweeps are known.
    public var points: Int?
    public var deviation: BoxDeviation?
    /// The finding in words.
    public var message: String
    /// Pictures of the finding, relative to the report folder (filled by the report writer).
    public var pictures: [String] = []
    /// The gold check: how well the gold and the labelled box explain the lidar returns, and whether
    /// the gold is doubtful (nil: not checked, without sweeps or cuboids, or a duplicate).
    public var goldCheck: GoldEvidence?
    /// What the finding costs (``FindingCost``): the report lists the costliest first.
    public var cost: Double = 0
}

extension QAFinding {
    /// The sentence for a finding, built from its parts.
    static func message(kind: FindingKind, category: String, labelledCategory: String?, overlap: Double?, threshold: String?,
                        range: Double?, points: Int?, deviation: [String], criterion: MatchCriterion) -> String {
        let at = range.map { " at " + fixed($0, decimals: 1) + " m" } ?? ""
        let inside = points.map { " (\($0) point\($0 == 1 ? "" : "s") inside)" } ?? ""
        let overlapName = criterion == .iou3D ? "3D IoU" : criterion == .iou2D ? "IoU" : "BEV IoU"
        let overlapText = overlap.map { overlapName + " " + fixed($0, decimals: 2) }
        let details = deviation.isEmpty ? "" : ": " + deviation.joined(separator: ", ")
        switch kind {
        case .missed: return "missed \(category)\(at)\(inside)"
        case .extra: return "extra \(category) box\(at)\(points.map { " with \($0) point\($0 == 1 ? "" : "s") inside" } ?? "")"
        case .misclassified:
            return "labelled \(labelledCategory ?? "?"), gold \(category)\(at)" + (overlapText.map { " (\($0))" } ?? "") + details
        case .belowThreshold:
            return "\(category)\(at) too far off to match (\(overlapText ?? "overlap"), needs \(threshold ?? "more"))\(details)"
        case .duplicate: return "duplicate \(category) box\(at): another box already matches this gold box" + (overlapText.map { " (\($0))" } ?? "")
        case .inaccurate: return "\(category)\(at) (\(overlapText ?? "matched"))\(details)"
        }
    }
}
