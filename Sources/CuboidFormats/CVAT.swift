import CuboidGeometry
import CuboidIO
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The two layouts of CVAT's XML 1.1: CVAT for images and CVAT for video.
public enum CVATLayout: String, Sendable, Hashable, CaseIterable {
    /// CVAT for images: one `<image>` per frame holding its boxes (`mode` annotation); tracks are
    /// split by frame, as CVAT itself exports them, with the track id in the attribute `track_id`.
    case images
    /// CVAT for video: one `<track>` per object (`mode` interpolation) whose boxes carry `frame`,
    /// `keyframe` and `outside`, and `<original_size>` in the task's meta.
    case video
}

/// CVAT XML 1.1, for images and for video, with the 2D boxes of one camera.
///
/// Both layouts declare in `<meta><task>` the frame count (`size`), the mode, `start_frame` and
/// `stop_frame`, and every label (type `rectangle`) with every attribute its boxes carry: its
/// `input_type` (`checkbox` for flags, `number` for whole numbers with `values` min, max and step 1,
/// `text` for anything else, scores included), `mutable` true, a default and the values, so CVAT's
/// importers (and datumaro's, which CVAT uses) know each attribute. Boxes are pixels (`xtl ytl xbr
/// ybr`, the shortest digits that read back to the same double); `occluded` comes from the
/// `occluded` attribute (non-zero or true is occluded); `source` is `auto` for scored boxes, else
/// `manual`.
///
/// - Images (``CVATLayout/images``): one `<image id="FRAME INDEX" name="FRAME.png" width= height=>`
///   per frame (the size when known) with every box of the frame in it.
/// - Video (``CVATLayout/video``): every object is in a `<track>`: a tracked one in its track's
///   (the objects' ids when they are distinct whole numbers, else 0, 1, ... in order of
///   appearance), an untracked one in a track of its own, as CVAT exports shapes. Each labelled frame
///   is a box with `keyframe="1"` (`0` when the object's `keyframe` attribute is false: CVAT's
///   interpolation) and, on the frame after each run of frames when the task has it, an
///   `outside="1"` box (CVAT's way to end a track or mark a gap). `<original_size>` gives the frame
///   size, which the video layout requires.
///
/// Reading accepts both layouts (and files that mix them) and drops `outside` boxes; non-key track
/// boxes are kept (they are CVAT's interpolation) with the attribute `keyframe` = false; the
/// `track_id` attribute of an image box is its track id. The task's `<size>` (at most 2^20) gives
/// the frame count, so frames without a box are kept (named by their number in the video layout).
public enum CVATFile {
    /// Writes a label set's boxes from one camera.
    /// - Parameters:
    ///   - set: The labels, with 2D boxes per camera.
    ///   - camera: The camera whose boxes to write; nil takes the single camera present.
    ///   - layout: CVAT for images (default) or CVAT for video.
    ///   - imageSize: The frame size when the label set has no camera of that name.
    /// - Throws: ``LabelFileError/missingContext(_:)`` when the camera is ambiguous, or the video
    ///   layout has no frame size.
    /// - Complexity: O(boxes + frames).
    public static func encode(_ set: LabelSet, camera: String? = nil, layout: CVATLayout = .images,
                              imageSize: (width: Int, height: Int)? = nil) throws(LabelFileError) -> [UInt8] {
        let cameras = Set(set.frames.flatMap { $0.objects.flatMap { $0.boxes.keys } }).sorted()
        guard let chosen = camera ?? (cameras.count <= 1 ? cameras.first ?? "image" : nil) else {
            throw .missingContext("CVAT XML holds one camera; choose one of \(cameras.joined(separator: ", "))")
        }
        let size = set.cameras.first { $0.name == chosen }.map { (width: $0.intrinsics.width, height: $0.intrinsics.height) } ?? imageSize
        if layout == .video && size == nil {
            throw .missingContext("CVAT for video needs the frame size (<original_size>), and the labels have no camera \"\(chosen)\" with one; give --image-size WIDTHxHEIGHT")
        }
        // Every box of the chosen camera in frame order; the boxes of each track (id and class).
        var labels: [String] = []
        var entries: [CVATEntry] = []
        var tracks: [String: [Int]] = [:]
        var trackOrder: [String] = []
        for (index, frame) in set.frames.enumerated() {
            for object in frame.objects {
                guard let box = object.boxes[chosen] else { continue }
                if !labels.contains(object.category) { labels.append(object.category) }
                let key = object.trackID.map { $0 + "\u{0}" + object.category } ?? "\u{1}\(entries.count)"
                if tracks[key] == nil { trackOrder.append(key) }
                tracks[key, default: []].append(entries.count)
                entries.append(CVATEntry(frame: index, object: object, box: box))
            }
        }
        let declared = CVATAttributes(entries.map(\.object), trackIDs: layout == .images)

        var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n    <task>\n"
        text += "      <name>cuboid export</name>\n      <size>\(set.frames.count)</size>\n"
        text += "      <mode>\(layout == .video ? "interpolation" : "annotation")</mode>\n      <overlap>0</overlap>\n"
        text += "      <start_frame>0</start_frame>\n      <stop_frame>\(max(0, set.frames.count - 1))</stop_frame>\n      <frame_filter></frame_filter>\n"
        text += "      <labels>\n" + labels.map { declared.labelElement($0) }.joined() + "      </labels>\n"
        if layout == .video, let size {
            text += "      <original_size>\n        <width>\(size.width)</width>\n        <height>\(size.height)</height>\n      </original_size>\n"
        }
        text += "    </task>\n  </meta>\n"

        switch layout {
        case .images:
            var byFrame = [[Int]](repeating: [], count: set.frames.count)
            for (k, entry) in entries.enumerated() { byFrame[entry.frame].append(k) }
            let sizeAttributes = size.map { " width=\"\($0.width)\" height=\"\($0.height)\"" } ?? ""
            for (index, frame) in set.frames.enumerated() {
                text += "  <image id=\"\(index)\" name=\"\(escaped(frame.name)).png\"\(sizeAttributes)>\n"
                for entry in byFrame[index].map({ entries[$0] }) {
                    text += "    <box label=\"\(escaped(entry.object.category))\" source=\"\(entry.object.score == nil ? "manual" : "auto")\""
                        + geometry(entry) + ">\n" + declared.elements(entry.object, indent: "      ") + "    </box>\n"
                }
                text += "  </image>\n"
            }
        case .video:
            for (key, id) in zip(trackOrder, trackIDs(trackOrder.map { entries[tracks[$0]![0]].object.trackID })) {
                let members = tracks[key]!.map { entries[$0] }
                let first = members[0].object
                text += "  <track id=\"\(id)\" label=\"\(escaped(first.category))\" source=\"\(first.score == nil ? "manual" : "auto")\">\n"
                for (n, entry) in members.enumerated() {
                    let keyframe = entry.object.attributes["keyframe"] == .flag(false) ? 0 : 1
                    let attributes = declared.elements(entry.object, indent: "      ")
                    text += "    <box frame=\"\(entry.frame)\" keyframe=\"\(keyframe)\" outside=\"0\"" + geometry(entry) + ">\n" + attributes + "    </box>\n"
                    let next = n + 1 < members.count ? members[n + 1].frame : nil
                    if next != entry.frame && next != entry.frame + 1 && entry.frame + 1 < set.frames.count {
                        text += "    <box frame=\"\(entry.frame + 1)\" keyframe=\"1\" outside=\"1\"" + geometry(entry) + ">\n" + attributes + "    </box>\n"
                    }
                }
                text += "  </track>\n"
            }
        }
        return Array((text + "</annotations>\n").utf8)
    }

    /// The `<track id>` of each track from its objects' track id (nil: untracked): the ids
    /// themselves when every one is a distinct whole number >= 0 (untracked objects then take the
    /// next numbers above them), else 0, 1, ... in order.
    static func trackIDs(_ own: [String?]) -> [Int] {
        let numbers = own.compactMap { $0 }.map { Int($0) }
        guard numbers.allSatisfy({ ($0 ?? -1) >= 0 }), Set(numbers).count == numbers.count else { return Array(own.indices) }
        var next = (numbers.compactMap { $0 }.max() ?? -1) + 1
        return own.map { id in
            if let id { return Int(id)! }
            defer { next += 1 }
            return next
        }
    }

    private static func geometry(_ entry: CVATEntry) -> String {
        let (box, object) = (entry.box, entry.object)
        let occluded = (object.attributes["occluded"]?.number ?? 0) != 0 || object.attributes["occluded"] == .flag(true)
        return " occluded=\"\(occluded ? 1 : 0)\" xtl=\"\(JSONWriter.number(box.minX))\" ytl=\"\(JSONWriter.number(box.minY))\""
            + " xbr=\"\(JSONWriter.number(box.maxX))\" ybr=\"\(JSONWriter.number(box.maxY))\" z_order=\"0\""
    }

    static func escaped(_ text: String) -> String { markupEscaped(text) }

    /// Parses a CVAT 1.1 XML file (for images or for video) into frames in image-id order, boxes
    /// under `camera`. Attributes that read as numbers become numbers, `true`/`false` flags.
    /// - Throws: ``LabelFileError`` with the line, or the offset of a byte that is not UTF-8.
    public static func decode(_ bytes: [UInt8], camera: String = "image") throws(LabelFileError) -> LabelSet {
        let reader = CVATReader(camera: camera)
        try parseLabelXML(bytes, with: reader)
        return reader.result()
    }

    /// Reads and decodes a CVAT XML file.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try decode(bytes) } }
}

private final class CVATReader: NSObject, XMLLabelReader {
    let camera: String
    var failure: LabelFileError?
    var frames: [Int: LabeledFrame] = [:]
    var currentImage: Int?
    var currentTrack: (id: String, label: String)?
    var currentBox: (frame: Int, object: LabeledObject)?
    var attributeName: String?
    var attributeText = ""
    /// The task's frame count (`<meta><task><size>`), when given.
    var size: Int?
    var path: [String] = []
    var sawRoot = false
    var text = ""

    init(camera: String) { self.camera = camera }

    func fail(_ parser: XMLParser, _ error: LabelFileError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    func number(_ parser: XMLParser, _ attributes: [String: String], _ key: String) -> Double? {
        guard let text = attributes[key] else {
            fail(parser, .missingField(line: parser.lineNumber, field: key))
            return nil
        }
        guard let value = Double(text), value.isFinite else {
            fail(parser, .invalidField(line: parser.lineNumber, field: key, expected: "a finite number, found \"\(text)\""))
            return nil
        }
        return value
    }

    /// An id or frame number: a whole number within ±2^53 (a larger one would not convert to Int).
    func integer(_ parser: XMLParser, _ attributes: [String: String], _ key: String) -> Int? {
        guard let value = number(parser, attributes, key) else { return nil }
        guard value == value.rounded(), abs(value) <= 9_007_199_254_740_992 else {
            fail(parser, .invalidField(line: parser.lineNumber, field: key, expected: "an integer, found \"\(attributes[key]!)\""))
            return nil
        }
        return Int(value)
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        path.append(name)
        sawRoot = true
        text = ""
        switch name {
        case "image":
            guard let id = integer(parser, attributes, "id") else { return }
            let file = attributes["name"] ?? String(id)
            let stem = Paths.lastComponent(file).split(separator: ".").dropLast().joined(separator: ".")
            currentImage = id
            frames[id, default: LabeledFrame(name: stem.isEmpty ? file : stem)].name = stem.isEmpty ? file : stem
        case "track":
            guard let label = attributes["label"] else { return fail(parser, .missingField(line: parser.lineNumber, field: "label")) }
            currentTrack = (attributes["id"] ?? "", label)
        case "box":
            guard let xtl = number(parser, attributes, "xtl"), let ytl = number(parser, attributes, "ytl"),
                  let xbr = number(parser, attributes, "xbr"), let ybr = number(parser, attributes, "ybr") else { return }
            guard xbr >= xtl, ybr >= ytl else {
                return fail(parser, .invalidField(line: parser.lineNumber, field: "box", expected: "xbr >= xtl and ybr >= ytl"))
            }
            var object = LabeledObject(category: "", boxes: [camera: Box2D(minX: xtl, minY: ytl, maxX: xbr, maxY: ybr)])
            if attributes["occluded"] == "1" { object.attributes["occluded"] = .number(1) }
            let frame: Int
            if let track = currentTrack {
                guard let value = integer(parser, attributes, "frame") else { return }
                frame = value
                object.trackID = track.id
                object.category = track.label
                if attributes["outside"] == "1" {
                    object.attributes["outside"] = .flag(true)
                }
                if attributes["keyframe"] == "0" { object.attributes["keyframe"] = .flag(false) }
            } else {
                guard let image = currentImage else { return fail(parser, .invalidField(line: parser.lineNumber, field: "box", expected: "a box inside <image> or <track>")) }
                guard let label = attributes["label"] else { return fail(parser, .missingField(line: parser.lineNumber, field: "label")) }
                frame = image
                object.category = label
            }
            currentBox = (frame, object)
        case "attribute":
            attributeName = attributes["name"]
            attributeText = ""
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if attributeName != nil { attributeText += string }
        if path.count == 4 && path[1] == "meta" { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        // <annotations><meta><task><size>: the frame count, so frames without boxes are kept.
        if path == ["annotations", "meta", "task", "size"] {
            guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), count >= 0, count <= 1 << 20 else {
                return fail(parser, .invalidField(line: parser.lineNumber, field: "size", expected: "a frame count from 0 to 1048576"))
            }
            size = count
        }
        path.removeLast()
        switch name {
        case "image": currentImage = nil
        case "track": currentTrack = nil
        case "attribute":
            guard let attribute = attributeName, currentBox != nil else { return }
            attributeName = nil
            if attribute == "track_id", currentTrack == nil {
                currentBox!.object.trackID = attributeText
            } else if attribute == "score", let score = Double(attributeText) {
                currentBox!.object.score = score
            } else if let value = Double(attributeText), value.isFinite {
                currentBox!.object.attributes[attribute] = .number(value)
            } else if attributeText == "true" || attributeText == "false" {
                currentBox!.object.attributes[attribute] = .flag(attributeText == "true")
            } else {
                currentBox!.object.attributes[attribute] = .text(attributeText)
            }
        case "box":
            guard var box = currentBox else { return }
            currentBox = nil
            if box.object.attributes.removeValue(forKey: "outside") != nil { return }
            box.object.attributes["outside"] = nil
            frames[box.frame, default: LabeledFrame(name: String(box.frame))].objects.append(box.object)
        default: break
        }
    }

    /// Frames in id order; with the task's size, every frame from 0 below it too (named by its number).
    func result() -> LabelSet {
        for index in 0..<(size ?? 0) where frames[index] == nil { frames[index] = LabeledFrame(name: String(index)) }
        return LabelSet(frames: frames.keys.sorted().map { frames[$0]! })
    }
}

/// The error for an XML document that ends before its root element does (libxml2's SAX parser, behind
/// Foundation's `XMLParser` on Linux, reports a cut file as parsed), or that holds no element: the
/// last line and the element still open. Nil for a finished document.
/// A label file's XML reader: what it failed on, the elements still open, whether it saw the root.
protocol XMLLabelReader: XMLParserDelegate {
    var failure: LabelFileError? { get }
    var path: [String] { get }
    var sawRoot: Bool { get }
}

/// Runs Foundation's XMLParser over a label file (CVAT, Kitti Raw tracklets) with `reader`, after the
/// checks the parser needs, and gives every failure as a ``LabelFileError`` with its line.
func parseLabelXML(_ bytes: [UInt8], with reader: some XMLLabelReader) throws(LabelFileError) {
    // Foundation's XMLParser traps on names that are not UTF-8 (it force-unwraps them), so the
    // bytes are checked first: these formats are UTF-8.
    if let offset = firstInvalidUTF8Offset(bytes) { throw .notText(offset: offset) }
    // It also dereferences a null pointer on a processing instruction without data (`<?a?>`):
    // these files hold none besides the XML declaration, so any other is refused.
    if let offset = processingInstructionOffset(bytes) {
        throw .syntax(line: bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }, column: 0,
                      expected: "no processing instruction besides the XML declaration")
    }
    let parser = XMLParser(data: Data(bytes))
    parser.delegate = reader
    let ok = parser.parse()
    if let failure = reader.failure { throw failure }
    guard ok else {
        throw .syntax(line: parser.lineNumber, column: parser.columnNumber,
                      expected: "well-formed XML (\(parser.parserError.map { "\($0)" } ?? "parser error"))")
    }
    if let cut = unfinishedDocument(bytes, openElements: reader.path, sawRoot: reader.sawRoot) { throw cut }
}

func unfinishedDocument(_ bytes: [UInt8], openElements: [String], sawRoot: Bool) -> LabelFileError? {
    guard !sawRoot || !openElements.isEmpty else { return nil }
    let line = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    return .syntax(line: line, column: 0, expected: sawRoot ? "</\(Excerpt.of(openElements.last!))> before the end of the file (it is cut short)" : "a root element")
}

/// Text with the five characters XML and HTML reserve replaced by their entities.
/// - Complexity: O(characters).
package func markupEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}

/// The offset of the first `<?` that does not open the XML declaration (`<?xml` and a space at the
/// very start, after an optional byte order mark), or nil.
func processingInstructionOffset(_ bytes: [UInt8]) -> Int? {
    let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var k = start
    while k + 1 < bytes.count {
        if bytes[k] == UInt8(ascii: "<") && bytes[k + 1] == UInt8(ascii: "?") {
            let declaration = k == start && bytes[k...].starts(with: Array("<?xml".utf8)) && k + 5 < bytes.count
                && [UInt8(ascii: " "), 0x09, 0x0A, 0x0D].contains(bytes[k + 5])
            if !declaration { return k }
        }
        k += 1
    }
    return nil
}

/// One box written to a CVAT file: its frame index, object and image box.
struct CVATEntry {
    var frame: Int
    var object: LabeledObject
    var box: Box2D
}

/// The attributes a CVAT file declares for each label, with the input type their values fit.
struct CVATAttributes {
    /// How CVAT enters an attribute's values.
    enum Kind: Equatable {
        /// `true` / `false`.
        case checkbox
        /// Whole numbers from `min` to `max`, step 1.
        case number(min: Int, max: Int)
        /// Anything else (scores, names).
        case text
    }

    /// The attribute names of each label, in name order (`track_id` and `score` first).
    private(set) var names: [String: [String]] = [:]
    /// The input type of each attribute name, over every label (datumaro keys types by name).
    private(set) var kinds: [String: Kind] = [:]
    /// Whether boxes carry their track id as the attribute `track_id` (CVAT for images).
    let trackIDs: Bool

    /// Attributes written as box flags or element attributes, not as `<attribute>`.
    static let builtIn: Set<String> = ["occluded", "keyframe", "outside"]

    init(_ objects: [LabeledObject], trackIDs: Bool) {
        self.trackIDs = trackIDs
        var byLabel: [String: Set<String>] = [:]
        var values: [String: [LabelValue]] = [:]
        for object in objects {
            for (name, value) in Self.values(object, trackIDs: trackIDs) {
                byLabel[object.category, default: []].insert(name)
                values[name, default: []].append(value)
            }
        }
        let leading = ["track_id", "score"]
        for (label, set) in byLabel {
            names[label] = leading.filter(set.contains) + set.subtracting(leading).sorted()
        }
        for (name, list) in values {
            if list.allSatisfy({ if case .flag = $0 { true } else { false } }) {
                kinds[name] = .checkbox
            } else if name != "score", list.allSatisfy({ $0.number.map { $0 == $0.rounded() && abs($0) < 1e15 } ?? false }) {
                let numbers = list.compactMap(\.number)
                let low = Int(numbers.min()!), high = Int(numbers.max()!)
                kinds[name] = .number(min: low, max: max(high, low + 1))
            } else {
                kinds[name] = .text
            }
        }
    }

    /// The values an object's box carries as `<attribute>` elements, by name.
    private static func values(_ object: LabeledObject, trackIDs: Bool) -> [(String, LabelValue)] {
        var out: [(String, LabelValue)] = []
        if trackIDs, let track = object.trackID { out.append(("track_id", Double(track).map { .number($0) } ?? .text(track))) }
        if let score = object.score { out.append(("score", .number(score))) }
        for (name, value) in object.attributes where !builtIn.contains(name) && !(trackIDs && name == "track_id") && name != "score" {
            out.append((name, value))
        }
        return out
    }

    /// The `<label>` element of the task's meta, declaring the label's attributes.
    func labelElement(_ label: String) -> String {
        var text = "        <label>\n          <name>\(markupEscaped(label))</name>\n          <type>rectangle</type>\n          <attributes>\n"
        for name in names[label] ?? [] {
            let (type, initial, listed): (String, String, String)
            switch kinds[name]! {
            case .checkbox: (type, initial, listed) = ("checkbox", "false", "false")
            case .number(let low, let high): (type, initial, listed) = ("number", String(low), "\(low)\n\(high)\n1")
            case .text: (type, initial, listed) = ("text", "", "")
            }
            text += "            <attribute>\n              <name>\(markupEscaped(name))</name>\n              <mutable>true</mutable>\n"
                + "              <input_type>\(type)</input_type>\n              <default_value>\(initial)</default_value>\n"
                + "              <values>\(listed)</values>\n            </attribute>\n"
        }
        return text + "          </attributes>\n        </label>\n"
    }

    /// The object's `<attribute>` elements, in the order its label declares them.
    func elements(_ object: LabeledObject, indent: String) -> String {
        let values = Dictionary(Self.values(object, trackIDs: trackIDs), uniquingKeysWith: { first, _ in first })
        var out = ""
        for name in names[object.category] ?? [] {
            guard let value = values[name] else { continue }
            out += indent + "<attribute name=\"\(markupEscaped(name))\">\(markupEscaped(value.description))</attribute>\n"
        }
        return out
    }
}
