public import CuboidGeometry
import CuboidIO
import Foundation

/// COCO detection JSON: 2D boxes per image, for gold (`images`, `annotations`, `categories`) and for
/// results (a bare array of `{image_id, category_id, bbox, score}`).
///
/// One COCO image per (frame, camera) that has boxes; its `file_name` is `CAMERA/FRAME.png` (or
/// `FRAME.png` when the set has a single camera). `bbox` is `[x, y, width, height]` in pixels from the
/// top-left corner, `area` its width times height. Category ids count from 1 in order of first use
/// unless a class list is given.
public enum COCOFile {
    /// The images, categories and annotations of a label set.
    struct Layout {
        var images: [(id: Int, frame: String, camera: String, fileName: String)] = []
        var categories: [String] = []
        var entries: [(imageID: Int, category: Int, box: Box2D, object: LabeledObject)] = []
    }

    static func layout(_ set: LabelSet, classes: [String]?) throws(LabelFileError) -> Layout {
        var layout = Layout()
        layout.categories = classes ?? []
        let cameras = Set(set.frames.flatMap { $0.objects.flatMap { $0.boxes.keys } }).sorted()
        for frame in set.frames {
            for camera in cameras {
                let objects = frame.objects.filter { $0.boxes[camera] != nil }
                let id = layout.images.count + 1
                layout.images.append((id, frame.name, camera, cameras.count == 1 ? "\(frame.name).png" : "\(camera)/\(frame.name).png"))
                for object in objects {
                    var category = layout.categories.firstIndex(of: object.category)
                    if category == nil {
                        guard classes == nil else { throw .unmappedClass(name: object.category, format: "the COCO class list") }
                        layout.categories.append(object.category)
                        category = layout.categories.count - 1
                    }
                    layout.entries.append((id, category! + 1, object.boxes[camera]!, object))
                }
            }
        }
        return layout
    }

    private static func bbox(_ box: Box2D) -> JSONOutput { .numbers([box.minX, box.minY, box.width, box.height]) }

    /// Writes a gold COCO file. Image sizes come from the set's cameras when known.
    /// - Parameter classes: Category names in id order (1-based); objects of other classes throw.
    public static func encode(_ set: LabelSet, classes: [String]? = nil) throws(LabelFileError) -> [UInt8] {
        let layout = try layout(set, classes: classes)
        let sizes = Dictionary(set.cameras.map { ($0.name, ($0.intrinsics.width, $0.intrinsics.height)) }, uniquingKeysWith: { a, _ in a })
        let images: [JSONOutput] = layout.images.map { image in
            let size = sizes[image.camera] ?? (0, 0)
            return .object([("id", .number(Double(image.id))), ("file_name", .string(image.fileName)),
                            ("width", .number(Double(size.0))), ("height", .number(Double(size.1)))])
        }
        let annotations: [JSONOutput] = layout.entries.enumerated().map { index, entry in
            var members: [(String, JSONOutput)] = [("id", .number(Double(index + 1))), ("image_id", .number(Double(entry.imageID))),
                                                   ("category_id", .number(Double(entry.category))), ("bbox", bbox(entry.box)),
                                                   ("area", .number(entry.box.area)), ("iscrowd", .number(0))]
            if let track = entry.object.trackID { members.append(("track_id", .string(track))) }
            if let score = entry.object.score { members.append(("score", .number(score))) }
            return .object(members)
        }
        let categories: [JSONOutput] = layout.categories.enumerated().map { .object([("id", .number(Double($0 + 1))), ("name", .string($1))]) }
        return Array((JSONOutput.object([("images", .array(images)), ("annotations", .array(annotations)),
                                         ("categories", .array(categories))]).rendered(indent: 1) + "\n").utf8)
    }

    /// Writes COCO results (`[{image_id, category_id, bbox, score}]`) whose image and category ids
    /// match ``encode(_:classes:)`` of a gold set with the same frames, cameras and classes.
    public static func encodeResults(_ set: LabelSet, gold: LabelSet, classes: [String]? = nil) throws(LabelFileError) -> [UInt8] {
        let goldLayout = try layout(gold, classes: classes)
        var imageIDs: [String: Int] = [:]
        for image in goldLayout.images { imageIDs[image.camera + "\u{0}" + image.frame] = image.id }
        var results: [JSONOutput] = []
        for frame in set.frames {
            for object in frame.objects {
                for (camera, box) in object.boxes.sorted(by: { $0.key < $1.key }) {
                    guard let image = imageIDs[camera + "\u{0}" + frame.name] else { continue }
                    guard let category = goldLayout.categories.firstIndex(of: object.category) else {
                        throw .unmappedClass(name: object.category, format: "the gold COCO categories")
                    }
                    results.append(.object([("image_id", .number(Double(image))), ("category_id", .number(Double(category + 1))),
                                            ("bbox", bbox(box)), ("score", .number(object.score ?? 1))]))
                }
            }
        }
        return Array((JSONOutput.array(results).rendered(indent: 1) + "\n").utf8)
    }

    /// Parses a gold COCO file: one frame per image (named by its file name's stem, its directory
    /// as the camera, `image` when it has none), boxes under that camera.
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> LabelSet {
        let root = try parseLabelJSON(bytes)
        var categories: [Int: String] = [:]
        for category in try root.array("categories") { categories[try category.integer("id")] = try category.string("name") }
        var frames: [LabeledFrame] = []
        var imageIndex: [Int: (frame: Int, camera: String)] = [:]
        var frameOfName: [String: Int] = [:]
        for image in try root.array("images") {
            let path = try image.string("file_name")
            let parts = path.split(separator: "/")
            let stem = parts.last.map { $0.split(separator: ".").dropLast().joined(separator: ".") } ?? path
            let name = stem.isEmpty ? path : stem
            let camera = parts.count > 1 ? String(parts[parts.count - 2]) : "image"
            if frameOfName[name] == nil {
                frameOfName[name] = frames.count
                frames.append(LabeledFrame(name: name))
            }
            imageIndex[try image.integer("id")] = (frameOfName[name]!, camera)
        }
        for annotation in try root.array("annotations") {
            let imageID = try annotation.integer("image_id")
            guard let image = imageIndex[imageID] else { throw .invalidField(line: annotation.line, field: "image_id", expected: "an id from images") }
            let categoryID = try annotation.integer("category_id")
            guard let category = categories[categoryID] else { throw .unknownClass(line: annotation.line, name: String(categoryID)) }
            let b = try annotation.numbers("bbox", count: 4)
            guard b[2] >= 0, b[3] >= 0 else { throw .invalidField(line: annotation.line, field: "bbox", expected: "width and height >= 0") }
            var object = LabeledObject(category: category, boxes: [image.camera: Box2D(x: b[0], y: b[1], width: b[2], height: b[3])],
                                       score: try annotation.optionalNumber("score"))
            if let track = annotation["track_id"] {
                object.trackID = track.string ?? track.number.map(JSONWriter.number)
            }
            frames[image.frame].objects.append(object)
        }
        return LabelSet(frames: frames)
    }

    /// Reads and decodes a gold COCO file.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path, decode) }
}

/// MOTChallenge CSV (2D tracks): `frame, id, left, top, width, height, conf, x, y, z`, frames
/// counted from 1, one row per box.
///
/// Boxes come from one camera (the only one, or the one named). `conf` is the score (1 for gold);
/// the world coordinates are written as -1. Reading accepts 6 or more columns, and the MOT16+ gold
/// layout's `class` and `visibility` columns are kept as attributes `mot_class` and `visibility`.
public enum MOTFile {
    /// The largest frame number read: nine hours of 30 Hz video. Every frame up to the last becomes a
    /// frame of the set, so a larger number would only ask for memory and time.
    public static let maximumFrame = 1_000_000

    /// Writes a label set's 2D tracks. Objects without a track id get a fresh id each.
    /// - Parameter camera: The camera whose boxes to write; nil takes the single camera present.
    /// - Throws: ``LabelFileError/missingContext(_:)`` when the camera is ambiguous.
    public static func encode(_ set: LabelSet, camera: String? = nil) throws(LabelFileError) -> [UInt8] {
        let cameras = Set(set.frames.flatMap { $0.objects.flatMap { $0.boxes.keys } }).sorted()
        guard let chosen = camera ?? (cameras.count <= 1 ? cameras.first : nil) else {
            throw .missingContext("MOT holds one camera; choose one of \(cameras.joined(separator: ", "))")
        }
        // Numeric track ids are kept; other tracks and untracked boxes get ids above all of them.
        let numeric = set.frames.flatMap { $0.objects.compactMap { $0.trackID.flatMap { Int($0) } } }
        var nextID = (numeric.max() ?? 0) + 1
        var ids: [String: Int] = [:]
        var out = ""
        for (index, frame) in set.frames.enumerated() {
            for object in frame.objects {
                guard let box = object.boxes[chosen] else { continue }
                let id: Int
                if let track = object.trackID, let known = ids[track] {
                    id = known
                } else if let track = object.trackID, let number = Int(track) {
                    id = number
                    ids[track] = id
                } else {
                    id = nextID
                    nextID += 1
                    if let track = object.trackID { ids[track] = id }
                }
                let values = [box.minX, box.minY, box.width, box.height, object.score ?? 1].map(JSONWriter.number)
                out += "\(index + 1),\(id)," + values.joined(separator: ",") + ",-1,-1,-1\n"
            }
        }
        return Array(out.utf8)
    }

    /// Parses a MOT CSV into frames 1...max (named by their number), boxes under `camera`.
    /// - Throws: ``LabelFileError`` with the line.
    public static func decode(_ bytes: [UInt8], camera: String = "image") throws(LabelFileError) -> LabelSet {
        var frames: [Int: [LabeledObject]] = [:]
        var last = 0
        for (number, line) in try numberedLines(bytes, notText: { LabelFileError.notText(offset: $0) }) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 1 && fields[0].isEmpty { continue }
            guard fields.count >= 6 else { throw .wrongFieldCount(line: number, expected: "at least 6", found: fields.count) }
            var values: [Double] = []
            let names = ["frame", "id", "left", "top", "width", "height", "conf", "class", "visibility", "z"]
            for (k, field) in fields.prefix(10).enumerated() {
                guard let value = finiteNumber(Substring(field)) else {
                    throw .invalidField(line: number, field: names[k], expected: "a finite number, found \"\(field)\"")
                }
                values.append(value)
            }
            // Frames 1...last become frames of the set, so a huge number would trap or ask for billions of frames.
            guard values[0] >= 1, values[0] <= Double(MOTFile.maximumFrame), values[0] == values[0].rounded() else {
                throw .invalidField(line: number, field: "frame", expected: "a frame number in 1...\(MOTFile.maximumFrame)")
            }
            guard values[4] >= 0, values[5] >= 0 else { throw .invalidField(line: number, field: "width/height", expected: "sizes >= 0") }
            var object = LabeledObject(trackID: JSONWriter.number(values[1]), category: "object",
                                       boxes: [camera: Box2D(x: values[2], y: values[3], width: values[4], height: values[5])])
            if values.count > 6 { object.score = values[6] }
            // MOT16+ gold: frame, id, box, flag, class, visibility (9 columns); results have x, y, z = -1.
            if values.count == 9 {
                object.attributes["mot_class"] = .number(values[7])
                object.attributes["visibility"] = .number(values[8])
            }
            let frame = Int(values[0])
            frames[frame, default: []].append(object)
            last = max(last, frame)
        }
        // Frames 1...last, built once into a reserved array (a 250-byte file may name frame 900,000).
        var all: [LabeledFrame] = []
        all.reserveCapacity(last)
        for frame in stride(from: 1, through: last, by: 1) { all.append(LabeledFrame(name: String(frame), objects: frames[frame] ?? [])) }
        return LabelSet(frames: all)
    }
}
