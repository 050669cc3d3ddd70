import CuboidGeometry
import CuboidIO
import Foundation

/// COCO detection JSON: 2D boxes per image, as a dataset (`images`, `annotations`, `categories`,
/// what `pycocotools.COCO(file)` loads) for gold, and as results (a bare array of
/// `{image_id, category_id, bbox, score}`, what `COCO.loadRes` takes) for scored boxes.
///
/// One COCO image per (frame, camera) of the set; its `file_name` is `CAMERA/FRAME.png` (or
/// `FRAME.png` when the set has a single camera), its `width` and `height` the image's (a missing size
/// is an error, not 0). `bbox` is `[x, y, width, height]` in pixels from the top-left corner, `area`
/// its width times height. Category ids do not depend on the file, so that a dataset and a results
/// file written apart (gold, and prelabel's detections) agree: KITTI's classes take ids 1-8 in
/// KITTI's order (``fixedCategories``: Car 1, Van 2, Truck 3, Pedestrian 4, Person_sitting 5, Cyclist 6,
/// Tram 7, Misc 8; names matched without case, written as the labels spell them); other classes take
/// 9 and up in order of first use (give `--reference` to match those). A class list, when given,
/// numbers its classes 1, 2, ... instead.
///
/// DontCare regions (class `DontCare`, any case) are what COCO calls crowd regions: `iscrowd: 1`
/// annotations that a detection lying on them is neither a hit nor a false positive for. COCO's
/// crowd regions belong to one category while KITTI's DontCare covers every class, so each region is
/// written once per category of the file (same `bbox`), and DontCare is not a category. Reading gives
/// each image's distinct crowd boxes back as DontCare regions.
public enum COCOFile {
    /// The class name written as crowd regions rather than as a category.
    public static let regionClass = "DontCare"

    /// Classes whose category id is fixed: KITTI's, without DontCare, id = position + 1.
    public static let fixedCategories = KITTIObjectLabel.classes.filter { $0 != regionClass }

    /// The images, categories and annotations of a label set.
    struct Layout {
        var images: [(id: Int, frame: String, camera: String, fileName: String)] = []
        /// Categories by id, in id order once the layout is built.
        var categories: [(id: Int, name: String)] = []
        var entries: [(imageID: Int, category: Int, box: Box2D, object: LabeledObject)] = []
        /// DontCare regions per image id.
        var regions: [(imageID: Int, box: Box2D)] = []

        /// The id of a category: its exact name, else the same name without case.
        func categoryID(_ name: String) -> Int? {
            if let exact = categories.first(where: { $0.name == name }) { return exact.id }
            let lowered = name.lowercased()
            return categories.first { $0.name.lowercased() == lowered }?.id
        }
    }

    static func isRegion(_ object: LabeledObject) -> Bool { object.category.lowercased() == regionClass.lowercased() }

    static func layout(_ set: LabelSet, classes: [String]?) throws(LabelFileError) -> Layout {
        var layout = Layout()
        layout.categories = (classes ?? []).enumerated().map { ($0 + 1, $1) }
        let cameras = Set(set.frames.flatMap { $0.objects.flatMap { $0.boxes.keys } }).sorted()
        for frame in set.frames {
            for camera in cameras {
                let objects = frame.objects.filter { $0.boxes[camera] != nil }
                let id = layout.images.count + 1
                layout.images.append((id, frame.name, camera, cameras.count == 1 ? "\(frame.name).png" : "\(camera)/\(frame.name).png"))
                for object in objects {
                    if isRegion(object) {
                        layout.regions.append((id, object.boxes[camera]!))
                        continue
                    }
                    var category = layout.categoryID(object.category)
                    if category == nil {
                        guard classes == nil else { throw .unmappedClass(name: object.category, format: "the COCO class list") }
                        let lowered = object.category.lowercased()
                        let fixed = fixedCategories.firstIndex { $0.lowercased() == lowered }.map { $0 + 1 }
                        category = fixed ?? max(fixedCategories.count, layout.categories.map(\.id).max() ?? 0) + 1
                        layout.categories.append((category!, object.category))
                    }
                    layout.entries.append((id, category!, object.boxes[camera]!, object))
                }
            }
        }
        layout.categories.sort { $0.id < $1.id }
        return layout
    }

    private static func bbox(_ box: Box2D) -> JSONOutput { .numbers([box.minX, box.minY, box.width, box.height]) }

    /// Writes a COCO dataset (gold).
    /// - Parameters:
    ///   - set: The labels, with 2D boxes per camera.
    ///   - classes: Category names in id order (1-based); objects of other classes throw.
    ///   - imageSize: Each image's size by (frame name, camera name); nil: the set's cameras' sizes.
    /// - Throws: ``LabelFileError/missingContext(_:)`` for an image whose size is unknown.
    public static func encode(_ set: LabelSet, classes: [String]? = nil,
                              imageSize: ((_ frame: String, _ camera: String) -> (width: Int, height: Int)?)? = nil) throws(LabelFileError) -> [UInt8] {
        let layout = try layout(set, classes: classes)
        let sizes = Dictionary(set.cameras.map { ($0.name, ($0.intrinsics.width, $0.intrinsics.height)) }, uniquingKeysWith: { a, _ in a })
        var images: [JSONOutput] = []
        for image in layout.images {
            guard let size = imageSize?(image.frame, image.camera) ?? sizes[image.camera].map({ (width: $0.0, height: $0.1) }),
                  size.width > 0, size.height > 0 else {
                throw .missingContext("COCO images need their size, and \(image.fileName)'s is unknown: give --dataset DIR (whose CAMERA/FRAME.png or .jpg it is read from) or --image-size WIDTHxHEIGHT")
            }
            images.append(.object([("id", .number(Double(image.id))), ("file_name", .string(image.fileName)),
                                   ("width", .number(Double(size.width))), ("height", .number(Double(size.height)))]))
        }
        var annotations: [JSONOutput] = layout.entries.enumerated().map { index, entry in
            var members: [(String, JSONOutput)] = [("id", .number(Double(index + 1))), ("image_id", .number(Double(entry.imageID))),
                                                   ("category_id", .number(Double(entry.category))), ("bbox", bbox(entry.box)),
                                                   ("area", .number(entry.box.area)), ("iscrowd", .number(0))]
            if let track = entry.object.trackID { members.append(("track_id", .string(track))) }
            if let score = entry.object.score { members.append(("score", .number(score))) }
            return .object(members)
        }
        for region in layout.regions {
            for category in layout.categories {
                annotations.append(.object([("id", .number(Double(annotations.count + 1))), ("image_id", .number(Double(region.imageID))),
                                            ("category_id", .number(Double(category.id))), ("bbox", bbox(region.box)),
                                            ("area", .number(region.box.area)), ("iscrowd", .number(1))]))
            }
        }
        let categories: [JSONOutput] = layout.categories.map { .object([("id", .number(Double($0.id))), ("name", .string($0.name))]) }
        return Array((JSONOutput.object([("images", .array(images)), ("annotations", .array(annotations)),
                                         ("categories", .array(categories))]).rendered(indent: 1) + "\n").utf8)
    }

    /// Writes COCO results (`[{image_id, category_id, bbox, score}]`) whose image and category ids
    /// match ``encode(_:classes:imageSize:)`` of a gold set with the same frames, cameras and classes.
    /// DontCare objects are left out (a region is not a detection); boxes in images the gold lacks too.
    public static func encodeResults(_ set: LabelSet, gold: LabelSet, classes: [String]? = nil) throws(LabelFileError) -> [UInt8] {
        let goldLayout = try layout(gold, classes: classes)
        var imageIDs: [String: Int] = [:]
        for image in goldLayout.images { imageIDs[image.camera + "\u{0}" + image.frame] = image.id }
        var results: [JSONOutput] = []
        for frame in set.frames {
            for object in frame.objects where !isRegion(object) {
                for (camera, box) in object.boxes.sorted(by: { $0.key < $1.key }) {
                    guard let image = imageIDs[camera + "\u{0}" + frame.name] else { continue }
                    guard let category = goldLayout.categoryID(object.category) else {
                        throw .unmappedClass(name: object.category, format: "the gold COCO categories")
                    }
                    results.append(.object([("image_id", .number(Double(image))), ("category_id", .number(Double(category))),
                                            ("bbox", bbox(box)), ("score", .number(object.score ?? 1))]))
                }
            }
        }
        return Array((JSONOutput.array(results).rendered(indent: 1) + "\n").utf8)
    }

    /// Parses a COCO dataset: one frame per image (named by its file name's stem, its directory
    /// as the camera, `image` when it has none), boxes under that camera; crowd annotations
    /// (`iscrowd: 1`) become DontCare regions, one per distinct box of an image.
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
            let box = Box2D(x: b[0], y: b[1], width: b[2], height: b[3])
            if let crowd = annotation["iscrowd"]?.number, crowd != 0 {
                // A crowd region: one DontCare region per distinct box of the image, whatever its categories.
                if !frames[image.frame].objects.contains(where: { isRegion($0) && $0.boxes[image.camera] == box }) {
                    frames[image.frame].objects.append(LabeledObject(category: regionClass, boxes: [image.camera: box]))
                }
                continue
            }
            var object = LabeledObject(category: category, boxes: [image.camera: box], score: try annotation.optionalNumber("score"))
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

/// Which MOTChallenge layout a MOT file is written in.
public enum MOTVariant: String, Sendable, Hashable, Codable, CaseIterable {
    /// 10 columns `frame, id, left, top, width, height, conf, x, y, z` with the world coordinates -1:
    /// MOT15's ground truth and every MOTChallenge results file (TrackEval and motmetrics' `mot15-2D`).
    case mot15
    /// MOT16/17/20 ground truth, 9 columns `frame, id, left, top, width, height, flag, class,
    /// visibility`: `flag` 1 counts the box, 0 ignores it (a scored box writes its score there
    /// instead); `class` is a MOT17 class id (``MOTFile/mot17Classes``); `visibility` the attribute of
    /// that name when the object has one, else -1 (unknown).
    case mot17
}

/// MOTChallenge CSV (2D tracks): frames counted from 1, one row per box, in the
/// ``MOTVariant/mot15`` or ``MOTVariant/mot17`` layout.
///
/// Boxes come from one camera (the only one, or the one named). Reading takes the layout from the
/// column count: 9 columns are the MOT16/17 ground truth (class read through ``mot17Classes``, `flag`
/// kept as the attribute `mot_flag`, `visibility` as `visibility`); any other count of 6 or more is
/// the MOT15/results layout, whose `conf` becomes the score and whose objects are class `object`.
public enum MOTFile {
    /// The largest frame number read: nine hours of 30 Hz video. Every frame up to the last becomes a
    /// frame of the set, so a larger number would only ask for memory and time.
    public static let maximumFrame = 1_000_000

    /// MOT17's class ids (TrackEval's `class_name_to_class_id`) and the Cuboid class each is read as.
    /// KITTI's classes take the MOT17 class of the same meaning; classes MOT17 has and KITTI lacks keep
    /// TrackEval's name. MOT17 has no region class: its `distractor` (8) is what TrackEval ignores a
    /// tracker box on, the role of KITTI's DontCare, so DontCare is written as 8 with flag 0 and 8 is
    /// read as DontCare.
    public static let mot17Classes: [(id: Int, name: String)] = [
        (1, "Pedestrian"), (2, "Cyclist"), (3, "Car"), (4, "bicycle"), (5, "motorbike"), (6, "non_mot_vehicle"), (7, "Person_sitting"),
        (8, "DontCare"), (9, "occluder"), (10, "occluder_on_ground"), (11, "occluder_full"), (12, "reflection"), (13, "crowd"),
    ]

    /// Further names written as a MOT17 class (compared without case): KITTI's other motor vehicles are
    /// MOT17's `car`, and TrackEval's own names of the classes read under KITTI names.
    public static let mot17Aliases: [String: Int] = [
        "van": 3, "truck": 3, "pedestrian": 1, "person_on_vehicle": 2, "car": 3, "static_person": 7, "distractor": 8,
    ]

    /// The MOT17 class id of a class name (compared without case), nil when MOT17 has none.
    public static func mot17ClassID(_ name: String) -> Int? {
        let lowered = name.lowercased()
        return mot17Classes.first { $0.name.lowercased() == lowered }?.id ?? mot17Aliases[lowered]
    }

    /// Writes a label set's 2D tracks. Objects without a track id get a fresh id each.
    /// - Parameters:
    ///   - set: The labels, with 2D boxes per camera.
    ///   - camera: The camera whose boxes to write; nil takes the single camera present.
    ///   - variant: The column layout (default ``MOTVariant/mot15``).
    /// - Throws: ``LabelFileError/missingContext(_:)`` when the camera is ambiguous;
    ///   ``LabelFileError/unmappedClass(name:format:)`` for a class MOT17 has no id for (``MOTVariant/mot17``).
    public static func encode(_ set: LabelSet, camera: String? = nil, variant: MOTVariant = .mot15) throws(LabelFileError) -> [UInt8] {
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
                let geometry = [box.minX, box.minY, box.width, box.height].map(JSONWriter.number).joined(separator: ",")
                switch variant {
                case .mot15:
                    out += "\(index + 1),\(id),\(geometry),\(JSONWriter.number(object.score ?? 1)),-1,-1,-1\n"
                case .mot17:
                    guard let classID = mot17ClassID(object.category) else {
                        throw .unmappedClass(name: object.category, format: "MOT17 (rename it with --class-map or leave it out with --drop-class)")
                    }
                    let flag = object.score ?? object.attributes["mot_flag"]?.number ?? (classID == 8 ? 0 : 1)
                    let visibility = object.attributes["visibility"]?.number ?? -1
                    out += "\(index + 1),\(id),\(geometry),\(JSONWriter.number(flag)),\(classID),\(JSONWriter.number(visibility))\n"
                }
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
            let names = fields.count == 9 ? ["frame", "id", "left", "top", "width", "height", "flag", "class", "visibility"]
                : ["frame", "id", "left", "top", "width", "height", "conf", "x", "y", "z"]
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
            if values.count == 9 {
                // MOT16/17 ground truth: frame, id, box, flag, class, visibility.
                guard let entry = mot17Classes.first(where: { Double($0.id) == values[7] }) else {
                    throw .invalidField(line: number, field: "class", expected: "a MOT17 class id 1...\(mot17Classes.count), found \(fields[7])")
                }
                object.category = entry.name
                object.attributes["mot_flag"] = .number(values[6])
                object.attributes["visibility"] = .number(values[8])
            } else if values.count > 6 {
                object.score = values[6]
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
