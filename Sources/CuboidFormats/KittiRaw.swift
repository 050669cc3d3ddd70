import CuboidGeometry
import CuboidIO
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// CVAT's "Kitti Raw Format 1.0": KITTI raw tracklets (`tracklet_labels.xml`, a Boost serialization
/// archive) as datumaro 1.13 reads them for CVAT, plus `frame_list.txt` (`INDEX NAME` per frame).
///
/// A folder holding:
/// - `tracklet_labels.xml`: one tracklet per run of a track with one class and one size: `objectType`,
///   `h`, `w`, `l`, `first_frame` and one pose per frame from there (`tx ty tz` the box centre, `rx ry
///   rz` roll, pitch and yaw in radians, in the sensor frame, metres), `state` 2 (labelled; 1 for boxes
///   whose `keyframe` attribute is false), `occlusion` from the `occluded` attribute (0, 1, 2; KITTI's
///   3, unknown, as -1), `truncation` 0. The track id is the tracklet attribute `track_id`; other
///   attributes and the score are pose attributes. A frame missing inside a track is a copy of the
///   last pose with `truncation` 2 (out of the image), which datumaro and CVAT skip, so a track with
///   gaps stays one tracklet; a track whose size or class changes starts a new tracklet.
/// - `frame_list.txt`: the frame names, which become datumaro's item ids and CVAT's frame names.
///
/// **Sizes are written as datumaro and CVAT read them, not as the KITTI devkit does.** Datumaro 1.13
/// (CVAT's importer) takes the cuboid's scale as `[h, w, l]` and CVAT draws scale as the sizes along
/// the box's x, y and z, with the position as the centre. So `h` is the length (along the yaw
/// direction), `w` the width and `l` the height, and `tz` the centre's height, where the KITTI devkit
/// means h height, l length and tz the bottom. A file for KITTI raw's own tools needs those swapped.
///
/// The point clouds are not written: CVAT matches imported annotations to the frames of the task by
/// name, and datumaro only names `velodyne_points/data/NAME.pcd` (convert sweeps to PCD with `cuboid
/// convert` to build a full dataset).
public enum KittiRawFile {
    /// The annotation file's name in the folder.
    public static let annotationFile = "tracklet_labels.xml"
    /// The frame names' file.
    public static let frameListFile = "frame_list.txt"

    /// One tracklet being written.
    private struct Tracklet {
        var key: String
        var trackID: String?
        var category: String
        var size: SIMD3<Double>
        var firstFrame: Int
        var poses: [String] = []
        var lastFrame: Int
        var lastPose: LabeledObject
    }

    /// The annotation file and the frame list of a label set.
    /// - Complexity: O(cuboids + frames + gap frames).
    public static func encode(_ set: LabelSet) -> (tracklets: [UInt8], frameList: [UInt8]) {
        var tracklets: [Tracklet] = []
        var open: [String: Int] = [:]
        for (index, frame) in set.frames.enumerated() {
            for (k, object) in frame.objects.enumerated() {
                guard let box = object.cuboid else { continue }
                let key = object.trackID.map { $0 + "\u{0}" + object.category } ?? "\u{1}\(index)/\(k)"
                if let t = open[key], tracklets[t].size == box.size, tracklets[t].lastFrame < index {
                    for _ in (tracklets[t].lastFrame + 1)..<index { tracklets[t].poses.append(pose(tracklets[t].lastPose, hidden: true)) }
                    tracklets[t].poses.append(pose(object, hidden: false))
                    tracklets[t].lastFrame = index
                    tracklets[t].lastPose = object
                } else {
                    open[key] = tracklets.count
                    tracklets.append(Tracklet(key: key, trackID: object.trackID, category: object.category, size: box.size,
                                              firstFrame: index, poses: [pose(object, hidden: false)], lastFrame: index, lastPose: object))
                }
            }
        }
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<!DOCTYPE boost_serialization>\n"
        text += "<boost_serialization signature=\"serialization::archive\" version=\"9\">\n"
        text += "<tracklets class_id=\"0\" tracking_level=\"0\" version=\"0\">\n\t<count>\(tracklets.count)</count>\n\t<item_version>1</item_version>\n"
        for (n, tracklet) in tracklets.enumerated() {
            text += n == 0 ? "\t<item class_id=\"1\" tracking_level=\"0\" version=\"1\">\n" : "\t<item>\n"
            text += "\t\t<objectType>\(markupEscaped(tracklet.category))</objectType>\n"
            // datumaro's scale [h, w, l] is CVAT's size along x, y, z (see the type's note).
            text += "\t\t<h>\(JSONWriter.number(tracklet.size.x))</h>\n\t\t<w>\(JSONWriter.number(tracklet.size.y))</w>\n"
            text += "\t\t<l>\(JSONWriter.number(tracklet.size.z))</l>\n\t\t<first_frame>\(tracklet.firstFrame)</first_frame>\n"
            if let track = tracklet.trackID { text += "\t\t<attributes>\n" + attribute("track_id", track, indent: "\t\t\t") + "\t\t</attributes>\n" }
            text += n == 0 ? "\t\t<poses class_id=\"2\" tracking_level=\"0\" version=\"0\">\n" : "\t\t<poses>\n"
            text += "\t\t\t<count>\(tracklet.poses.count)</count>\n\t\t\t<item_version>2</item_version>\n"
            for (p, pose) in tracklet.poses.enumerated() {
                text += n == 0 && p == 0 ? "\t\t\t<item class_id=\"3\" tracking_level=\"0\" version=\"2\">\n" : "\t\t\t<item>\n"
                text += pose + "\t\t\t</item>\n"
            }
            text += "\t\t</poses>\n\t\t<finished>1</finished>\n\t</item>\n"
        }
        text += "</tracklets>\n</boost_serialization>\n"
        let list = set.frames.enumerated().map { "\($0.offset) \(PathComponent.escaped($0.element.name))\n" }.joined()
        return (Array(text.utf8), Array(list.utf8))
    }

    /// A pose item's fields; a hidden pose (a gap frame) is marked out of the image.
    private static func pose(_ object: LabeledObject, hidden: Bool) -> String {
        let box = object.cuboid!
        var occlusion = 0
        switch object.attributes["occluded"] {
        case .number(let value): occlusion = value == 1 || value == 2 ? Int(value) : value == 0 ? 0 : -1
        case .flag(let value): occlusion = value ? 1 : 0
        default: break
        }
        let state = object.attributes["keyframe"] == .flag(false) ? 1 : 2
        var text = ""
        for (name, value) in [("tx", box.x), ("ty", box.y), ("tz", box.z), ("rx", object.roll), ("ry", object.pitch), ("rz", box.yaw)] {
            text += "\t\t\t\t<\(name)>\(JSONWriter.number(value))</\(name)>\n"
        }
        text += "\t\t\t\t<state>\(state)</state>\n\t\t\t\t<occlusion>\(hidden ? -1 : occlusion)</occlusion>\n"
        text += "\t\t\t\t<occlusion_kf>\(hidden ? 0 : 1)</occlusion_kf>\n\t\t\t\t<truncation>\(hidden ? 2 : 0)</truncation>\n"
        for name in ["amt_occlusion", "amt_occlusion_kf", "amt_border_l", "amt_border_r", "amt_border_kf"] {
            text += "\t\t\t\t<\(name)>-1</\(name)>\n"
        }
        var attributes: [(String, String)] = []
        if let score = object.score { attributes.append(("score", JSONWriter.number(score))) }
        for (name, value) in object.attributes.sorted(by: { $0.key < $1.key }) where !["occluded", "keyframe", "score", "track_id"].contains(name) {
            attributes.append((name, value.description))
        }
        if !attributes.isEmpty {
            text += "\t\t\t\t<attributes>\n" + attributes.map { attribute($0.0, $0.1, indent: "\t\t\t\t\t") }.joined() + "\t\t\t\t</attributes>\n"
        }
        return text
    }

    private static func attribute(_ name: String, _ value: String, indent: String) -> String {
        "\(indent)<attribute>\n\(indent)\t<name>\(markupEscaped(name))</name>\n\(indent)\t<value>\(markupEscaped(value))</value>\n\(indent)</attribute>\n"
    }

    /// Writes the folder's two files atomically (the folder is created if needed).
    /// - Throws: `FileAccessError` naming the file.
    public static func write(_ set: LabelSet, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (tracklets, list) = encode(set)
        try FileBytes.writeAtomically(tracklets, to: folder + "/" + annotationFile)
        try FileBytes.writeAtomically(list, to: folder + "/" + frameListFile)
    }

    /// Parses tracklets (and the frame names, when given) into frames by index: every frame from 0 to
    /// the last one named or labelled. Poses out of the image (`truncation` 2 or 99) are skipped, as
    /// datumaro and CVAT skip them. A tracklet without a `track_id` attribute gets datumaro's id, its
    /// 1-based position. Frames not in the list are named with ten digits, as datumaro names them.
    /// - Throws: ``LabelFileError`` with the line.
    public static func decode(tracklets bytes: [UInt8], frameList: [UInt8]? = nil) throws(LabelFileError) -> LabelSet {
        var names: [Int: String] = [:]
        if let frameList {
            for (number, line) in try numberedLines(frameList, notText: { LabelFileError.notText(offset: $0) }) {
                let fields = line.split(separator: " ", maxSplits: 1)
                if fields.isEmpty || fields[0].hasPrefix("#") { continue }
                guard fields.count == 2, let index = Int(fields[0]), index >= 0, index < 1 << 31 else {
                    throw .invalidField(line: number, field: "frame_list.txt", expected: "INDEX NAME with INDEX a whole number >= 0")
                }
                names[index] = PathComponent.unescaped(String(fields[1]))
            }
        }
        let reader = KittiRawReader()
        try parseLabelXML(bytes, with: reader)
        let count = max((names.keys.max() ?? -1) + 1, (reader.objects.keys.max() ?? -1) + 1)
        var set = LabelSet(sensorName: "velodyne")
        set.frames = (0..<count).map { LabeledFrame(name: names[$0] ?? String(format: "%010d", $0), objects: reader.objects[$0] ?? []) }
        return set
    }

    /// Reads a Kitti Raw folder (or its `tracklet_labels.xml`).
    public static func read(_ path: String) throws -> LabelSet {
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : Paths.parent(path)
        let listPath = folder + "/" + frameListFile
        let list = FileManager.default.fileExists(atPath: listPath) ? try FileBytes.read(listPath) : nil
        return try FileBytes.decode(folder + "/" + annotationFile) { (bytes) throws(LabelFileError) in try decode(tracklets: bytes, frameList: list) }
    }
}

/// Reads the tracklets of `tracklet_labels.xml`: items at depth 1 of `<tracklets>` are tracklets,
/// items of `<poses>` are poses.
private final class KittiRawReader: NSObject, XMLLabelReader {
    var failure: LabelFileError?
    var objects: [Int: [LabeledObject]] = [:]
    private(set) var path: [String] = []
    private(set) var sawRoot = false
    private var text = ""
    private var tracklets = 0
    private var track: (category: String, size: [String: Double], first: Int?, attributes: [String: String], poses: [LabeledObject])?
    private var pose: (values: [String: Double], hidden: Bool, attributes: [String: String])?
    private var attribute: (name: String?, value: String?)?

    func fail(_ parser: XMLParser, _ error: LabelFileError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        text = ""
        if name == "item" && path.last == "tracklets" {
            track = ("", [:], nil, [:], [])
        } else if name == "item" && path.last == "poses" && track != nil {
            pose = ([:], false, [:])
        } else if name == "attribute" {
            attribute = (nil, nil)
        }
        path.append(name)
        sawRoot = true
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        path.removeLast()
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        text = ""
        func number() -> Double? {
            guard let number = Double(value), number.isFinite else {
                fail(parser, .invalidField(line: parser.lineNumber, field: name, expected: "a finite number, found \"\(Excerpt.of(value))\""))
                return nil
            }
            return number
        }
        if attribute != nil {
            switch name {
            case "name": attribute!.name = value
            case "value": attribute!.value = value
            case "attribute":
                let (key, content) = (attribute!.name ?? "", attribute!.value ?? "")
                attribute = nil
                if pose != nil { pose!.attributes[key] = content } else if track != nil { track!.attributes[key] = content }
            default: break
            }
            return
        }
        if pose != nil {
            switch name {
            case "tx", "ty", "tz", "rx", "ry", "rz", "occlusion", "state":
                guard let number = number() else { return }
                pose!.values[name] = number
            case "truncation":
                guard let number = number() else { return }
                pose!.hidden = number == 2 || number == 99
            case "item": endPose(parser)
            default: break
            }
            return
        }
        guard track != nil else { return }
        switch name {
        case "objectType": track!.category = value
        case "h", "w", "l":
            guard let number = number() else { return }
            guard number >= 0 else { return fail(parser, .invalidField(line: parser.lineNumber, field: name, expected: "a size >= 0")) }
            track!.size[name] = number
        case "first_frame":
            guard let number = number(), number >= 0, number == number.rounded(), number < 1e9 else {
                return fail(parser, .invalidField(line: parser.lineNumber, field: name, expected: "a frame number >= 0"))
            }
            track!.first = Int(number)
        case "item" where path.last == "tracklets": endTracklet(parser)
        default: break
        }
    }

    private func endPose(_ parser: XMLParser) {
        guard let current = pose else { return }
        pose = nil
        let v = current.values
        for key in ["tx", "ty", "tz", "rx", "ry", "rz"] where v[key] == nil {
            return fail(parser, .missingField(line: parser.lineNumber, field: key))
        }
        var object = LabeledObject(category: "", cuboid: Box3D(center: SIMD3(v["tx"]!, v["ty"]!, v["tz"]!), size: .zero, yaw: v["rz"]!),
                                   roll: v["rx"]!, pitch: v["ry"]!)
        if current.hidden { object.attributes["outside"] = .flag(true) }
        switch v["occlusion"] {
        case 1, 2: object.attributes["occluded"] = .number(v["occlusion"]!)
        case -1: object.attributes["occluded"] = .number(3)
        default: break
        }
        if v["state"] == 1 { object.attributes["keyframe"] = .flag(false) }
        for (name, text) in current.attributes {
            if name == "score", let score = Double(text) { object.score = score; continue }
            object.attributes[name] = Double(text).flatMap { $0.isFinite ? LabelValue.number($0) : nil }
                ?? (text == "true" || text == "false" ? .flag(text == "true") : .text(text))
        }
        track!.poses.append(object)
    }

    private func endTracklet(_ parser: XMLParser) {
        guard let current = track else { return }
        track = nil
        tracklets += 1
        for key in ["h", "w", "l"] where current.size[key] == nil { return fail(parser, .missingField(line: parser.lineNumber, field: key)) }
        guard let first = current.first else { return fail(parser, .missingField(line: parser.lineNumber, field: "first_frame")) }
        let size = SIMD3(current.size["h"]!, current.size["w"]!, current.size["l"]!)
        let id = current.attributes["track_id"] ?? String(tracklets)
        for (k, pose) in current.poses.enumerated() where pose.attributes["outside"] == nil {
            var object = pose
            object.category = current.category
            object.trackID = id
            object.cuboid!.size = size
            objects[first + k, default: []].append(object)
        }
    }
}
