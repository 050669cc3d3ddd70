public import CuboidGeometry
import CuboidIO
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// CVAT for images XML 1.1: 2D boxes per image, and tracks whose boxes carry `keyframe` and
/// `outside` flags.
///
/// Writing: one `<image id="FRAME INDEX" name="FRAME.png">` per frame; objects without a track id
/// become `<box>` elements inside their image, tracked objects one `<track>` each with a
/// `<box frame=... keyframe="1" outside="0">` per labelled frame, plus an `outside="1"` box on the
/// frame after each run (CVAT's way to end a track or mark a gap). `occluded` is written from the
/// `occluded` attribute (non-zero means occluded); other attributes become `<attribute>` children.
/// Reading accepts both and drops `outside` boxes; non-key track boxes are kept (they are CVAT's
/// interpolation) with the attribute `keyframe` = false.
public enum CVATFile {
    /// Writes a label set's boxes from one camera.
    /// - Parameter camera: The camera whose boxes to write; nil takes the single camera present.
    /// - Throws: ``LabelFileError/missingContext(_:)`` when the camera is ambiguous.
    public static func encode(_ set: LabelSet, camera: String? = nil) throws(LabelFileError) -> [UInt8] {
        let cameras = Set(set.frames.flatMap { $0.objects.flatMap { $0.boxes.keys } }).sorted()
        guard let chosen = camera ?? (cameras.count <= 1 ? cameras.first ?? "image" : nil) else {
            throw .missingContext("CVAT for images holds one camera; choose one of \(cameras.joined(separator: ", "))")
        }
        let size = set.cameras.first { $0.name == chosen }.map { ($0.intrinsics.width, $0.intrinsics.height) }
        var labels: [String] = []
        var tracks: [String: [(frame: Int, object: LabeledObject)]] = [:]
        var trackOrder: [String] = []
        var images = ""
        for (index, frame) in set.frames.enumerated() {
            var sizeAttributes = ""
            if let size { sizeAttributes = " width=\"\(size.0)\" height=\"\(size.1)\"" }
            var boxes = ""
            for object in frame.objects {
                guard let box = object.boxes[chosen] else { continue }
                if !labels.contains(object.category) { labels.append(object.category) }
                if let track = object.trackID {
                    let key = track + "\u{0}" + object.category
                    if tracks[key] == nil { trackOrder.append(key) }
                    tracks[key, default: []].append((index, object))
                } else {
                    boxes += "    <box label=\"\(escaped(object.category))\" source=\"manual\"" + boxAttributes(box, object) + ">\n"
                        + attributeElements(object, indent: "      ") + "    </box>\n"
                }
            }
            images += "  <image id=\"\(index)\" name=\"\(escaped(frame.name)).png\"\(sizeAttributes)>\n" + boxes + "  </image>\n"
        }
        var trackText = ""
        for (id, key) in trackOrder.enumerated() {
            let entries = tracks[key]!
            let label = entries[0].object.category
            trackText += "  <track id=\"\(id)\" label=\"\(escaped(label))\" source=\"manual\">\n"
            for (k, entry) in entries.enumerated() {
                let box = entry.object.boxes[chosen]!
                trackText += "    <box frame=\"\(entry.frame)\" keyframe=\"1\" outside=\"0\"" + boxAttributes(box, entry.object) + ">\n"
                    + attributeElements(entry.object, indent: "      ") + "    </box>\n"
                let next = k + 1 < entries.count ? entries[k + 1].frame : nil
                if next != entry.frame + 1 && entry.frame + 1 < set.frames.count {
                    trackText += "    <box frame=\"\(entry.frame + 1)\" keyframe=\"1\" outside=\"1\"" + boxAttributes(box, entry.object) + "></box>\n"
                }
            }
            trackText += "  </track>\n"
        }
        var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n    <task>\n"
        text += "      <name>cuboid export</name>\n      <size>\(set.frames.count)</size>\n      <mode>annotation</mode>\n      <labels>\n"
        for label in labels { text += "        <label>\n          <name>\(escaped(label))</name>\n          <type>rectangle</type>\n          <attributes></attributes>\n        </label>\n" }
        text += "      </labels>\n    </task>\n  </meta>\n" + images + trackText + "</annotations>\n"
        return Array(text.utf8)
    }

    private static func boxAttributes(_ box: Box2D, _ object: LabeledObject) -> String {
        let occluded = (object.attributes["occluded"]?.number ?? 0) != 0 || object.attributes["occluded"] == .flag(true)
        return " occluded=\"\(occluded ? 1 : 0)\" xtl=\"\(JSONWriter.number(box.minX))\" ytl=\"\(JSONWriter.number(box.minY))\""
            + " xbr=\"\(JSONWriter.number(box.maxX))\" ybr=\"\(JSONWriter.number(box.maxY))\" z_order=\"0\""
    }

    private static func attributeElements(_ object: LabeledObject, indent: String) -> String {
        var out = ""
        if let score = object.score { out += indent + "<attribute name=\"score\">\(JSONWriter.number(score))</attribute>\n" }
        for (name, value) in object.attributes.sorted(by: { $0.key < $1.key }) where name != "occluded" && name != "keyframe" {
            out += indent + "<attribute name=\"\(escaped(name))\">\(escaped(value.description))</attribute>\n"
        }
        return out
    }

    static func escaped(_ text: String) -> String { markupEscaped(text) }

    /// Parses a CVAT 1.1 XML file (for images or for video) into frames in image-id order, boxes
    /// under `camera`. Attributes that read as numbers become numbers, `true`/`false` flags.
    /// - Throws: ``LabelFileError`` with the line, or the offset of a byte that is not UTF-8.
    public static func decode(_ bytes: [UInt8], camera: String = "image") throws(LabelFileError) -> LabelSet {
        // Foundation's XMLParser traps on names that are not UTF-8 (it force-unwraps them), so the
        // bytes are checked first: CVAT writes UTF-8.
        if let offset = firstInvalidUTF8Offset(bytes) { throw .notText(offset: offset) }
        // It also dereferences a null pointer on a processing instruction without data (`<?a?>`):
        // CVAT files hold none besides the XML declaration, so any other is refused.
        if let offset = processingInstructionOffset(bytes) {
            throw .syntax(line: bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }, column: 0,
                          expected: "no processing instruction besides the XML declaration")
        }
        let reader = CVATReader(camera: camera)
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = reader
        let ok = parser.parse()
        if let failure = reader.failure { throw failure }
        guard ok else {
            throw .syntax(line: parser.lineNumber, column: parser.columnNumber,
                          expected: "well-formed XML (\(parser.parserError.map { "\($0)" } ?? "parser error"))")
        }
        return reader.result()
    }

    /// Reads and decodes a CVAT XML file.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try decode(bytes) } }
}

private final class CVATReader: NSObject, XMLParserDelegate {
    let camera: String
    var failure: LabelFileError?
    var frames: [Int: LabeledFrame] = [:]
    var currentImage: Int?
    var currentTrack: (id: String, label: String)?
    var currentBox: (frame: Int, object: LabeledObject)?
    var attributeName: String?
    var attributeText = ""

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
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "image": currentImage = nil
        case "track": currentTrack = nil
        case "attribute":
            guard let attribute = attributeName, currentBox != nil else { return }
            attributeName = nil
            if attribute == "score", let score = Double(attributeText) {
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

    func result() -> LabelSet {
        LabelSet(frames: frames.keys.sorted().map { frames[$0]! })
    }
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
