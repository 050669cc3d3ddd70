import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation

/// Settings of the gold check: for each finding, how well the gold box and the tasker's box explain
/// the lidar returns. Lengths in metres; every value a key of the configuration's `goldCheck` object.
public struct GoldCheckSettings: Sendable, Hashable, Codable {
    /// Whether findings are checked at all (needs the sweeps and cuboids). Default true.
    public var enabled = true
    /// Width of the shell around a box: the band this far outside its sides and above its top in which
    /// returns mean the object reaches past the box. Default 0.3 m.
    public var shellMargin = 0.3
    /// Returns this close above a box's bottom are left out of its fit (ground returns under a
    /// well-placed box). Default 0.2 m.
    public var groundClearance = 0.2
    /// The ground under a box is the 10th percentile height of the returns in its footprint grown by
    /// this much on every side, within ``groundSearch`` of its bottom. Default 1.0 m.
    public var groundRadius = 1.0
    /// How far above and below a box's bottom the ground is looked for. Default 1.5 m.
    public var groundSearch = 1.5
    /// A box whose bottom is further than this from the ground under it is "off the ground". Default 0.3 m.
    public var groundTolerance = 0.3
    /// How much being off the ground lowers a box's fit. Default 0.25.
    public var groundPenalty = 0.25
    /// A gold box holding fewer returns than this is "nearly empty". Default 3.
    public var nearlyEmptyPoints = 3
    /// A box must hold at least this many returns to count as evidence against the other. Default 5.
    public var minimumEvidencePoints = 5
    /// The tasker's box explains the returns clearly better when its fit exceeds the gold's by at
    /// least this much (fit: returns inside over returns inside and in the shell, less the ground
    /// penalty). Default 0.3.
    public var fitMargin = 0.3
    /// A tasker's box where the gold has none is supported by the returns when its fit is at least
    /// this. Default 0.9.
    public var supportedFit = 0.9
    /// The tasker's box holds clearly more of the object when the returns only it holds (above the
    /// ground clearance) are at least this share of the returns either box holds, and its fit is at
    /// least ``heldFitMargin`` better: a gold box moved off its object keeps an empty shell on the
    /// side it left but loses the returns there. Default 0.2.
    public var heldShare = 0.2
    /// See ``heldShare``. Default 0.1.
    public var heldFitMargin = 0.1
    /// The tasker's box holds clearly more of the object, whatever the fits, when the returns only it
    /// holds are at least this share of the returns either box holds (a gold box moved along a long
    /// object keeps an empty shell: its returns are more than the shell margin away). Default 0.35.
    public var heldShareAlone = 0.35
    /// The gold is seen through where the tasker's box is not: when the tasker's box holds at least as
    /// many returns (and at least ``nearlyEmptyPoints``) and its fit counting the returns seen through
    /// (`body / (body + shell + seeThrough)`) is better by at least this. Default 0.2.
    public var seeThroughMargin = 0.2
    /// The returns sit deeper inside the gold box than inside the labelled box by at least this: the
    /// gold reaches out past the object's visible surface into space the sensor's rays crossed empty
    /// (a box moved towards the sensor along a car seen end on holds the same returns, but they lie
    /// this much behind its near faces). Depth of a box: ``BoxEvidence/surfaceDepth``. Default 0.5 m.
    public var recessMargin = 0.5
    /// Whether findings with doubtful gold still count in the gate metric (`--fail-under`). Default false.
    public var countInGate = false

    public init() {}

    /// The keys of the configuration's `goldCheck` object.
    static let keys = ["enabled", "shellMargin", "groundClearance", "groundRadius", "groundSearch", "groundTolerance", "groundPenalty",
                       "nearlyEmptyPoints", "minimumEvidencePoints", "fitMargin", "supportedFit", "heldShare", "heldFitMargin", "heldShareAlone", "seeThroughMargin", "recessMargin", "countInGate"]

    func validate() throws(ConfigurationFileError) {
        for (key, value) in [("shellMargin", shellMargin), ("groundClearance", groundClearance), ("groundRadius", groundRadius),
                             ("groundSearch", groundSearch), ("groundTolerance", groundTolerance), ("groundPenalty", groundPenalty),
                             ("fitMargin", fitMargin), ("supportedFit", supportedFit), ("heldShare", heldShare),
                             ("heldFitMargin", heldFitMargin), ("heldShareAlone", heldShareAlone), ("seeThroughMargin", seeThroughMargin),
                             ("recessMargin", recessMargin)] where !(value >= 0 && value.isFinite) {
            throw .invalid(key: "goldCheck.\(key)", expected: "a number >= 0")
        }
        guard shellMargin > 0 else { throw .invalid(key: "goldCheck.shellMargin", expected: "metres > 0") }
        guard nearlyEmptyPoints >= 0 else { throw .invalid(key: "goldCheck.nearlyEmptyPoints", expected: "an integer >= 0") }
        guard minimumEvidencePoints >= 0 else { throw .invalid(key: "goldCheck.minimumEvidencePoints", expected: "an integer >= 0") }
    }
}

/// How well one box explains the lidar returns around it (yaw-only box in the sensor frame).
public struct BoxEvidence: Sendable, Hashable, Codable {
    /// Returns inside the box.
    public var inside: Int
    /// Returns inside the box above ``GoldCheckSettings/groundClearance``, the ones the fit counts.
    public var body: Int
    /// Returns in the shell: within ``GoldCheckSettings/shellMargin`` outside the sides and top, above
    /// the ground clearance.
    public var shell: Int
    /// Returns seen through the box: their ray from the sensor crosses the box (above the ground
    /// clearance) and ends at least the shell margin beyond it, so that part of the box is empty.
    /// Not in the fit (a pedestrian's or cyclist's box is mostly air); compared by ``GoldCheckSettings/seeThroughMargin``.
    public var seeThrough: Int = 0
    /// The box's bottom minus the ground height under it, metres (positive: floating); nil when fewer
    /// than 5 returns are near the bottom.
    public var groundGap: Double?
    /// How deep the visible surface lies inside the box, metres: the 10th percentile, over the returns
    /// inside above the ground clearance, of the distance along each return's ray from where the ray
    /// enters the box to the return (about 0 for a box whose near faces touch what the sensor sees);
    /// nil with fewer than ``GoldCheckSettings/minimumEvidencePoints`` such returns.
    public var surfaceDepth: Double? = nil
    /// `body / (body + shell)` (0 with neither), less ``GoldCheckSettings/groundPenalty`` when off the
    /// ground: 1 for a box that holds its object with an empty shell on the ground.
    public var fit: Double

    /// The share of the returns in and around the box (inside above the ground clearance, in the
    /// shell, seen through) that are inside.
    var solidity: Double { body + shell + seeThrough == 0 ? 0 : Double(body) / Double(body + shell + seeThrough) }

    /// Whether the bottom is further than the tolerance from the ground.
    func offGround(_ settings: GoldCheckSettings) -> Bool { groundGap.map { abs($0) > settings.groundTolerance } ?? false }

    /// "84 inside, 2 in the shell, 0.05 m above the ground, fit 0.98".
    public var description: String {
        "\(inside) inside, \(shell) in the shell, \(seeThrough) seen through" + (groundGap.map { ", bottom " + fixed(abs($0), decimals: 2) + " m " + ($0 >= 0 ? "above" : "below") + " the ground" } ?? "")
            + (surfaceDepth.map { ", surface " + fixed($0, decimals: 2) + " m inside" } ?? "") + ", fit " + fixed(fit, decimals: 2)
    }
}

/// The gold check of one finding: the evidence of both boxes and the named factors that make one
/// side doubtful. Factor names (`gold-nearly-empty`, `labelled-fits-better`, `returns-support-labelled`,
/// `labelled-holds-more`, `gold-seen-through`, `gold-returns-recessed`, `labelled-nearly-empty`, `gold-fits-better`, `gold-holds-more`,
/// `labelled-returns-recessed`) are what the report, JSON and CSV show.
public struct GoldEvidence: Sendable, Hashable, Codable {
    public var gold: BoxEvidence?
    public var labelled: BoxEvidence?
    /// Factors against the gold box (empty: the gold is not doubtful).
    public var goldFactors: [String]
    /// Factors against the labelled box (the returns confirm the tasker's error).
    public var labelledFactors: [String]
    /// Of the returns either box holds above the ground clearance, the shares only the gold box and
    /// only the labelled box hold (nil without both boxes or returns).
    public var goldOnlyShare: Double?
    public var labelledOnlyShare: Double?

    /// Whether the finding's gold is doubtful: it is listed for a reviewer and, unless
    /// ``GoldCheckSettings/countInGate``, left out of the gate metric.
    public var goldDoubtful: Bool { !goldFactors.isEmpty }

    /// The evidence in words, naming the sides as the report does ("gold", or the first tasker in agreement).
    public func describe(goldName: String, labelledName: String) -> String {
        var parts: [String] = []
        if !goldFactors.isEmpty { parts.append("\(goldName) doubtful (" + goldFactors.joined(separator: ", ") + ")") }
        if !labelledFactors.isEmpty { parts.append("\(labelledName) doubtful (" + labelledFactors.joined(separator: ", ") + ")") }
        if parts.isEmpty { parts.append("returns favour neither clearly") }
        if let gold { parts.append("\(goldName) box: " + gold.description) }
        if let labelled { parts.append("\(labelledName) box: " + labelled.description) }
        return parts.joined(separator: "; ")
    }
}

/// Checks findings against the sweep: which box, gold or labelled, explains the lidar returns.
enum GoldCheck {
    /// The boxes whose points one checked box needs: the box, its body (above the ground clearance),
    /// the body grown by the shell, and the column in which the ground is looked for.
    static func probes(_ box: Box3D, _ s: GoldCheckSettings) -> [Box3D] {
        let bottom = box.z - box.height / 2, top = box.z + box.height / 2
        let bodyBottom = min(top, bottom + s.groundClearance)
        let body = Box3D(x: box.x, y: box.y, z: (bodyBottom + top) / 2, length: box.length, width: box.width, height: top - bodyBottom, yaw: box.yaw)
        let grownTop = top + s.shellMargin
        let grown = Box3D(x: box.x, y: box.y, z: (bodyBottom + grownTop) / 2, length: box.length + 2 * s.shellMargin,
                          width: box.width + 2 * s.shellMargin, height: grownTop - bodyBottom, yaw: box.yaw)
        let column = Box3D(x: box.x, y: box.y, z: bottom, length: box.length + 2 * s.groundRadius, width: box.width + 2 * s.groundRadius,
                           height: 2 * s.groundSearch, yaw: box.yaw)
        return [box, body, grown, column]
    }

    static func evidence(_ indices: ArraySlice<[Int]>, box: Box3D, seeThrough: Int, cloud: PointCloud, settings s: GoldCheckSettings) -> BoxEvidence {
        let i0 = indices.startIndex
        var evidence = fitEvidence(indices, box: box, seeThrough: seeThrough, cloud: cloud, settings: s)
        if indices[i0 + 1].count >= max(1, s.minimumEvidencePoints) {
            var depths = indices[i0 + 1].compactMap { (k) -> Double? in
                let p = SIMD3(Double(cloud.x[k]), Double(cloud.y[k]), Double(cloud.z[k]))
                guard let (enter, _) = rayCrossing(box, to: p) else { return nil }
                return (1 - enter) * (p * p).sum().squareRoot()
            }
            if depths.count >= max(1, s.minimumEvidencePoints) {
                depths.sort()
                evidence.surfaceDepth = depths[depths.count / 10]
            }
        }
        return evidence
    }

    /// Where the segment from the sensor (the origin) to `point` enters and leaves `box`, as fractions
    /// of its length (slab test in the box's frame); nil when it misses the box.
    static func rayCrossing(_ box: Box3D, to point: SIMD3<Double>) -> (enter: Double, exit: Double)? {
        let c = cos(box.yaw), s = sin(box.yaw)
        let o = SIMD3(-(box.x * c + box.y * s), -(-box.x * s + box.y * c), -box.z)
        let d = SIMD3(point.x * c + point.y * s, -point.x * s + point.y * c, point.z)
        let half = SIMD3(box.length / 2, box.width / 2, box.height / 2)
        var enter = 0.0, exit = 1.0
        for axis in 0..<3 {
            if abs(d[axis]) < 1e-12 {
                if abs(o[axis]) > half[axis] { return nil }
                continue
            }
            var t1 = (-half[axis] - o[axis]) / d[axis], t2 = (half[axis] - o[axis]) / d[axis]
            if t1 > t2 { swap(&t1, &t2) }
            enter = max(enter, t1)
            exit = min(exit, t2)
            if enter > exit { return nil }
        }
        return (enter, exit)
    }

    private static func fitEvidence(_ indices: ArraySlice<[Int]>, box: Box3D, seeThrough: Int, cloud: PointCloud, settings s: GoldCheckSettings) -> BoxEvidence {
        let i = indices.startIndex
        let inside = indices[i].count, body = indices[i + 1].count, shell = max(0, indices[i + 2].count - body)
        var heights = indices[i + 3].map { Double(cloud.z[$0]) }
        var gap: Double?
        if heights.count >= 5 {
            heights.sort()
            gap = (box.z - box.height / 2) - heights[heights.count / 10]
        }
        let all = body + shell
        var evidence = BoxEvidence(inside: inside, body: body, shell: shell, seeThrough: seeThrough, groundGap: gap,
                                   fit: all == 0 ? 0 : Double(body) / Double(all))
        if evidence.offGround(s) { evidence.fit = max(0, evidence.fit - s.groundPenalty) }
        return evidence
    }

    /// For each box, the returns whose ray from the sensor (the origin) crosses the box and ends more
    /// than `beyond` metres past it (slab test in the box's frame).
    /// - Complexity: O(P B) for P returns and B boxes.
    static func seenThrough(_ boxes: [Box3D], cloud: PointCloud, beyond: Double) -> [Int] {
        var counts = [Int](repeating: 0, count: boxes.count)
        for (b, box) in boxes.enumerated() {
            let half = SIMD2(box.length / 2, box.width / 2)
            let near = max(0, (box.x * box.x + box.y * box.y).squareRoot() - (half * half).sum().squareRoot())
            var count = 0
            for i in 0..<cloud.count {
                let p = SIMD3(Double(cloud.x[i]), Double(cloud.y[i]), Double(cloud.z[i]))
                guard (p.x * p.x + p.y * p.y).squareRoot() > near, p.x.isFinite, p.y.isFinite, p.z.isFinite else { continue }
                if let (enter, exit) = rayCrossing(box, to: p), enter > 0, (1 - exit) * (p * p).sum().squareRoot() > beyond { count += 1 }
            }
            counts[b] = count
        }
        return counts
    }

    /// The verdict on one finding's two boxes (either may be absent).
    static func verdict(gold: BoxEvidence?, labelled: BoxEvidence?, goldOnly: Double? = nil, labelledOnly: Double? = nil,
                        settings s: GoldCheckSettings) -> GoldEvidence {
        var against = GoldEvidence(gold: gold, labelled: labelled, goldFactors: [], labelledFactors: [], goldOnlyShare: goldOnly,
                                   labelledOnlyShare: labelledOnly)
        if let gold, gold.inside < s.nearlyEmptyPoints { against.goldFactors.append("gold-nearly-empty") }
        if let labelled, labelled.inside < s.nearlyEmptyPoints { against.labelledFactors.append("labelled-nearly-empty") }
        if let gold, let labelled {
            if labelled.inside >= s.minimumEvidencePoints && labelled.fit - gold.fit >= s.fitMargin { against.goldFactors.append("labelled-fits-better") }
            if gold.inside >= s.minimumEvidencePoints && gold.fit - labelled.fit >= s.fitMargin { against.labelledFactors.append("gold-fits-better") }
            if labelled.inside >= s.minimumEvidencePoints, let labelledOnly,
               labelledOnly >= s.heldShareAlone || (labelledOnly >= s.heldShare && labelled.fit - gold.fit >= s.heldFitMargin) {
                against.goldFactors.append("labelled-holds-more")
            }
            if labelled.inside >= max(gold.inside, s.nearlyEmptyPoints) && labelled.solidity - gold.solidity >= s.seeThroughMargin {
                against.goldFactors.append("gold-seen-through")
            }
            if let g = gold.surfaceDepth, let l = labelled.surfaceDepth {
                if g - l >= s.recessMargin { against.goldFactors.append("gold-returns-recessed") }
                if l - g >= s.recessMargin { against.labelledFactors.append("labelled-returns-recessed") }
            }
            if gold.inside >= s.minimumEvidencePoints, let goldOnly,
               goldOnly >= s.heldShareAlone || (goldOnly >= s.heldShare && gold.fit - labelled.fit >= s.heldFitMargin) {
                against.labelledFactors.append("gold-holds-more")
            }
        } else if let labelled, labelled.inside >= s.minimumEvidencePoints && labelled.fit >= s.supportedFit {
            // A tasker's box where the gold has none, holding an object with an empty shell: the gold may lack a box.
            against.goldFactors.append("returns-support-labelled")
        }
        return against
    }

    /// Checks every finding but duplicates (whose gold box another labelled box matches) against the
    /// frame's sweep, with one pass of the points-in-cuboids kernel for all boxes.
    /// - Complexity: O(P + 4 B + candidates) for P returns and B boxes in the findings.
    static func annotate(_ findings: inout [QAFinding], cloud: PointCloud, settings: GoldCheckSettings) {
        var probes: [Box3D] = []
        var slots: [(finding: Int, gold: Int?, labelled: Int?)] = []
        for (k, finding) in findings.enumerated() where finding.kind != .duplicate {
            var slot: (finding: Int, gold: Int?, labelled: Int?) = (k, nil, nil)
            if let box = finding.gold?.cuboid { slot.gold = probes.count; probes += Self.probes(box, settings) }
            if let box = finding.labelled?.cuboid { slot.labelled = probes.count; probes += Self.probes(box, settings) }
            if slot.gold != nil || slot.labelled != nil { slots.append(slot) }
        }
        guard !probes.isEmpty else { return }
        let found = cloud.points(inside: probes).indices
        let bodies = stride(from: 1, to: probes.count, by: 4).map { probes[$0] }
        let through = seenThrough(bodies, cloud: cloud, beyond: settings.shellMargin)
        for slot in slots {
            let gold = slot.gold.map { evidence(found[$0..<($0 + 4)], box: probes[$0], seeThrough: through[$0 / 4], cloud: cloud, settings: settings) }
            let labelled = slot.labelled.map { evidence(found[$0..<($0 + 4)], box: probes[$0], seeThrough: through[$0 / 4], cloud: cloud, settings: settings) }
            var goldOnly: Double?, labelledOnly: Double?
            if let g = slot.gold, let l = slot.labelled {
                let a = Set(found[g + 1]), b = Set(found[l + 1])
                let union = a.union(b).count
                if union > 0 {
                    goldOnly = Double(a.subtracting(b).count) / Double(union)
                    labelledOnly = Double(b.subtracting(a).count) / Double(union)
                }
            }
            findings[slot.finding].goldCheck = verdict(gold: gold, labelled: labelled, goldOnly: goldOnly, labelledOnly: labelledOnly, settings: settings)
        }
    }
}

extension TaskerReport {
    /// The tasker's figures over all evaluated classes with the findings of doubtful gold left out:
    /// a miss on doubtful gold is no false negative, an extra the returns support no false positive, a
    /// box too far off (or of another class) on doubtful gold neither.
    public func overallWithoutDoubtfulGold(_ configuration: QAConfiguration) -> DetectionMetrics {
        var metrics = overall
        for finding in findings where finding.goldCheck?.goldDoubtful == true {
            let goldCounted = configuration.classes[finding.category] != nil
            let labelCounted = finding.labelledCategory.map { configuration.classes[$0] != nil } ?? false
            switch finding.kind {
            case .missed: metrics.falseNegatives -= 1
            case .extra: metrics.falsePositives -= 1
            case .belowThreshold, .misclassified:
                if goldCounted { metrics.falseNegatives -= 1 }
                if labelCounted { metrics.falsePositives -= 1 }
            case .duplicate, .inaccurate: break
            }
        }
        return metrics
    }

    /// Findings whose gold is doubtful.
    public var doubtfulGold: [QAFinding] { findings.filter { $0.goldCheck?.goldDoubtful == true } }
}

extension QAReport {
    /// The value `--fail-under` compares: the gate metric with the findings of doubtful gold left out
    /// (F1, precision, recall), unless ``GoldCheckSettings/countInGate``; nil when not computable.
    public func gateValue(_ tasker: TaskerReport) -> Double? {
        let metric = configuration.gateMetric
        guard !configuration.goldCheck.countInGate, !tasker.doubtfulGold.isEmpty else { return tasker.value(of: metric) }
        let trusted = tasker.overallWithoutDoubtfulGold(configuration)
        switch metric {
        case .f1: return trusted.f1
        case .precision: return trusted.precision
        case .recall: return trusted.recall
        case .meanIoU, .mota: return tasker.value(of: metric)
        }
    }
}

/// How much a finding costs: its kind's weight times `halfRange / (halfRange + range)`, so misses and
/// extras near the ego come first (a finding without a range counts as at the ego).
public struct FindingCost: Sendable, Hashable, Codable {
    /// Weight of each kind (keys: the kinds' names). Defaults: missed and extra 1, misclassified 0.8,
    /// below-threshold 0.6, duplicate 0.5, inaccurate 0.3.
    public var weights: [String: Double] = ["missed": 1, "extra": 1, "misclassified": 0.8, "below-threshold": 0.6, "duplicate": 0.5, "inaccurate": 0.3]
    /// The range at which a finding costs half as much as at the ego, metres. Default 20.
    public var halfRange = 20.0

    public init() {}

    /// The cost of a finding of this kind at this ground-plane range (metres).
    public func cost(_ kind: FindingKind, range: Double?) -> Double {
        (weights[kind.rawValue] ?? 1) * halfRange / (halfRange + max(0, range ?? 0))
    }

    func validate() throws(ConfigurationFileError) {
        guard halfRange > 0 && halfRange.isFinite else { throw .invalid(key: "findingCost.halfRange", expected: "metres > 0") }
        for (name, weight) in weights {
            guard FindingKind(rawValue: name) != nil else {
                throw .invalid(key: "findingCost.weights.\(name)", expected: "a kind: " + FindingKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard weight >= 0 && weight.isFinite else { throw .invalid(key: "findingCost.weights.\(name)", expected: "a number >= 0") }
        }
    }
}

extension Array where Element == QAFinding {
    /// The findings with their cost set, most costly first (ties keep their order).
    func orderedByCost(_ cost: FindingCost) -> [QAFinding] {
        var costed = self
        for k in costed.indices { costed[k].cost = cost.cost(costed[k].kind, range: costed[k].range) }
        return costed.enumerated().sorted { a, b in a.element.cost != b.element.cost ? a.element.cost > b.element.cost : a.offset < b.offset }.map(\.element)
    }
}
