public import CuboidGeometry
import CuboidIO
import Foundation

/// The label formats Cuboid reads and writes, by their command-line names.
public enum LabelFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// ASAM OpenLABEL 1.0 JSON, one file for a sequence (the default interchange format).
    case openLABEL = "openlabel"
    /// KITTI object labels: a folder of `FRAME.txt`, or one file for one frame; needs the calibration.
    case kitti
    /// KITTI tracking labels: one `SEQ.txt` for a sequence; needs the calibration.
    case kittiTracking = "kitti-tracking"
    /// SUSTechPOINTS: a folder of `FRAME.json`, or one file for one frame.
    case susTechPOINTS = "sustechpoints"
    /// nuScenes detection results JSON (global frame).
    case nuScenes = "nuscenes"
    /// mmdetection3d's nuScenes info file as JSON (read only).
    case nuScenesInfo = "nuscenes-info"
    /// CVAT for images XML 1.1 (2D boxes of one camera).
    case cvat
    /// Datumaro's point cloud JSON (cuboids).
    case datumaro
    /// COCO detection JSON (2D boxes); writes a dataset (images, categories, annotations; DontCare as
    /// crowd regions), or results (with the image and category ids of the reference gold labels) when
    /// every object but DontCare has a score.
    case coco
    /// MOTChallenge CSV (2D tracks of one camera), in the MOT15 or MOT16/17 layout (``MOTVariant``).
    case mot
    // CVAT's other layouts (issue 25): CVAT for video, and the two 3D formats CVAT imports cuboids from.
    /// CVAT for video XML 1.1 (2D box tracks of one camera, with the frame size); `cvat` is CVAT for images.
    case cvatVideo = "cvat-video"
    /// CVAT's "Kitti Raw Format 1.0": a folder with `tracklet_labels.xml` and `frame_list.txt` (cuboids
    /// as datumaro and CVAT read them; see ``KittiRawFile``).
    case kittiRaw = "kitti-raw"
    /// CVAT's "Sly Point Cloud Format 1.0" (Supervisely): a folder with `meta.json`, `key_id_map.json` and
    /// `ds0/ann/FRAME.pcd.json` (see ``SlyPointCloudFile``).
    case slyPointCloud = "sly-pointcloud"
    /// Segments.ai's 3D point cloud cuboid label: a folder with `label.json` (a sequence label, or a
    /// single-frame one for one frame), `task_attributes.json` and `frames.json` (see ``SegmentsAIFile``).
    case segmentsAI = "segments-ai"

    /// Whether the format holds one file per frame in a folder.
    public var isPerFrame: Bool { self == .kitti || self == .susTechPOINTS }

    /// Whether the format is a folder (per-frame formats, and the layouts of several files).
    public var isFolder: Bool { isPerFrame || self == .kittiRaw || self == .slyPointCloud || self == .segmentsAI }
}

/// What a conversion needs beyond the labels: calibration, image size, a camera, a class list.
public struct LabelContext: Sendable {
    /// One calibration for every frame (`--calib`).
    public var calibration: KITTICalibration?
    /// A KITTI object folder whose `calib/FRAME.txt` gives each frame's calibration (`--dataset`).
    public var calibrationFolder: String?
    /// Image size for projecting cuboids to the 2D boxes a format needs.
    public var imageSize: (width: Int, height: Int)?
    /// The camera whose 2D boxes to write (CVAT, MOT).
    public var camera: String?
    /// Decimals for KITTI output (2 as the benchmark prints gold labels).
    public var decimals: Int
    /// Class renames applied on reading (`--class-map Motor=Cyclist,Bus=Truck`).
    public var classMap: [String: String]
    /// Classes left out on reading (after renaming), for targets that have no name for them.
    public var droppedClasses: Set<String> = []
    /// Gold labels whose COCO image and category ids results must use.
    public var reference: LabelSet?
    // Export options of issue 25 (MOT layout, COCO image sizes, KITTI in-view), kept together.
    /// The MOT layout written (`--mot-variant`; default MOT15's 10 columns).
    public var motVariant: MOTVariant = .mot15
    /// The size of one frame's image in one camera (frame name, camera name), when known: `--dataset`
    /// reads it from the image's header. COCO images take their size from here first, then from the
    /// labels' cameras, then from ``imageSize``.
    public var frameImageSize: (@Sendable (_ frame: String, _ camera: String) -> (width: Int, height: Int)?)?
    /// KITTI output keeps only the cuboids whose projection into camera 2 overlaps the image
    /// (`--kitti-in-view`; see ``KITTIInView``) instead of refusing the others.
    public var kittiInView = false

    /// The image size of a frame in a camera: ``frameImageSize``, else the camera's intrinsics among
    /// `cameras`, else ``imageSize``.
    public func imageSize(frame: String, camera: String, cameras: [Camera]) -> (width: Int, height: Int)? {
        if let size = frameImageSize?(frame, camera) { return size }
        if let known = cameras.first(where: { $0.name == camera }), known.intrinsics.width > 0, known.intrinsics.height > 0 {
            return (known.intrinsics.width, known.intrinsics.height)
        }
        return imageSize
    }

    public init(calibration: KITTICalibration? = nil, calibrationFolder: String? = nil, imageSize: (width: Int, height: Int)? = nil,
                camera: String? = nil, decimals: Int = 2, classMap: [String: String] = [:]) {
        self.calibration = calibration
        self.calibrationFolder = calibrationFolder
        self.imageSize = imageSize
        self.camera = camera
        self.decimals = decimals
        self.classMap = classMap
    }

    /// The calibration of a frame: the folder's file for it, else the single one.
    /// - Throws: ``LabelFileError/missingContext(_:)`` when there is none.
    public func calibration(forFrame name: String) throws -> KITTICalibration {
        if let folder = calibrationFolder {
            let path = folder + "/calib/" + name + ".txt"
            if FileManager.default.fileExists(atPath: path) { return try KITTICalibration.read(path) }
            if calibration == nil { throw LabelFileError.missingContext("no calibration for frame \(name) (looked for \(path))") }
        }
        guard let calibration else { throw LabelFileError.missingContext("KITTI labels need a calibration: give --calib FILE or --dataset DIR") }
        return calibration
    }
}

/// Reads and writes label sets in any ``LabelFormat``: the thin file adapter over the decoders.
public enum LabelStore {
    /// Reads labels from a file (or, for per-frame formats, a folder of files in name order).
    /// - Throws: `FileAccessError`, `FileDecodingError` naming the file, or ``LabelFileError``.
    public static func read(_ path: String, format: LabelFormat, context: LabelContext = LabelContext()) throws -> LabelSet {
        var set: LabelSet
        switch format {
        case .openLABEL: set = try OpenLABELFile.read(path)
        case .kitti:
            set = LabelSet(sensorName: "velodyne")
            for (name, file) in try perFrameFiles(path, suffix: ".txt") {
                let calibration = try context.calibration(forFrame: name)
                var frame = LabeledFrame(name: name, objects: try KITTILabelFile.read(file).map { LabeledObject(kitti: $0, calibration: calibration) })
                frame.kittiCalibration = calibration
                set.frames.append(frame)
            }
        case .kittiTracking:
            let labels = try KITTITrackingLabelFile.read(path)
            let calibration = try context.calibration(forFrame: Paths.stem(path))
            let count = (labels.map(\.frame).max() ?? -1) + 1
            set = LabelSet(sensorName: "velodyne", frames: (0..<count).map {
                var frame = LabeledFrame(name: String(format: "%06d", $0))
                frame.kittiCalibration = calibration
                return frame
            })
            for label in labels {
                var object = LabeledObject(kitti: label.object, calibration: calibration, trackID: label.trackID >= 0 ? String(label.trackID) : nil)
                if label.object.isDontCare { object.attributes["dontcare_placeholders"] = .text("tracking") }
                set.frames[label.frame].objects.append(object)
            }
        case .susTechPOINTS:
            set = LabelSet()
            for (name, file) in try perFrameFiles(path, suffix: ".json") {
                set.frames.append(LabeledFrame(name: name, objects: try SUSTechPOINTSLabelFile.read(file)))
            }
        case .nuScenes: set = try NuScenesResultsFile.read(path)
        case .nuScenesInfo: set = try NuScenesInfoFile.read(path)
        case .cvat, .cvatVideo: set = try CVATFile.read(path)
        case .kittiRaw: set = try KittiRawFile.read(path)
        case .slyPointCloud: set = try SlyPointCloudFile.read(path)
        case .segmentsAI: set = try SegmentsAIFile.read(path)
        case .datumaro: set = try FileBytes.decode(path, DatumaroFile.decode)
        case .coco: set = try COCOFile.read(path)
        case .mot: set = try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try MOTFile.decode(bytes) }
        }
        if !context.classMap.isEmpty || !context.droppedClasses.isEmpty {
            // Class names match without case (`car` is `Car`); an exact spelling in the map wins.
            let mapWithoutCase = Dictionary(context.classMap.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
            let droppedWithoutCase = Set(context.droppedClasses.map { $0.lowercased() })
            for f in set.frames.indices {
                for o in set.frames[f].objects.indices {
                    let category = set.frames[f].objects[o].category
                    if let renamed = context.classMap[category] ?? mapWithoutCase[category.lowercased()] { set.frames[f].objects[o].category = renamed }
                }
                set.frames[f].objects.removeAll { droppedWithoutCase.contains($0.category.lowercased()) }
            }
        }
        return set
    }

    /// Writes labels atomically: one file, or for per-frame formats one file per frame in the folder
    /// `path` (created if needed).
    /// - Returns: What the target format could not keep of what an OpenLABEL source held (uids,
    ///   frame numbers, names, coordinate systems, attributes, sections), one line per kind with its
    ///   count: print them, so nothing is dropped silently.
    /// - Throws: `FileAccessError`, ``LabelFileError`` when the set does not fit the format.
    @discardableResult
    public static func write(_ set: LabelSet, to path: String, format: LabelFormat, context: LabelContext = LabelContext()) throws -> [String] {
        let writer = try LabelStreamWriter(path: path, format: format, context: context, sensorName: set.sensorName, cameras: set.cameras,
                                           document: set.openLABEL, reservedUIDs: format == .openLABEL ? set.trackIDs : [])
        for frame in set.frames { try writer.append(frame) }
        try writer.finish()
        return writer.notes + identityLosses(set, writingAs: format)
    }

    /// `(frame name, file)` pairs: the files with `suffix` in a folder in name order, or the one file.
    ///
    /// A label file whose name is not UTF-8 cannot be opened by a `String` path; leaving it out would
    /// drop a frame's labels unseen, so it is an error (code `EILSEQ`) naming the file with its bytes
    /// escaped as `\xNN`.
    static func perFrameFiles(_ path: String, suffix: String) throws -> [(String, String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileAccessError(path: path, operation: .open, code: ENOENT, reason: "No such file or directory")
        }
        if !isDirectory.boolValue { return [(PathComponent.unescaped(Paths.stem(path)), path)] }
        let listing = try FileBytes.listFolder(path)
        if let undecodable = listing.undecodableNames.sorted().first(where: { $0.hasSuffix(suffix) }) {
            throw FileAccessError(path: path + "/" + undecodable, operation: .open, code: EILSEQ,
                                  reason: "the file name is not UTF-8, so the file cannot be opened (rename it)")
        }
        return listing.names.filter { $0.hasSuffix(suffix) }.sorted().map { (PathComponent.unescaped(String($0.dropLast(suffix.count))), path + "/" + $0) }
    }
}

extension LabelFormat {
    /// The format a label path most likely holds, from its layout and first bytes: a folder holding
    /// `tracklet_labels.xml` is Kitti Raw, one holding `meta.json` and `key_id_map.json` Sly Point
    /// Cloud, one holding `label.json` and `task_attributes.json` Segments.ai, a folder of `.txt`
    /// files KITTI, of `.json` files SUSTechPOINTS; a `.xml` file Kitti Raw when it is a Boost archive, CVAT for video when its mode is interpolation, else CVAT for images;
    /// a `.csv` file MOT; a `.txt` file MOT when its first line holds 6 or more comma-separated fields
    /// (MOTChallenge's `gt.txt`), KITTI tracking when its first field is a frame number, else KITTI; a `.json`
    /// file by its top-level keys (OpenLABEL, COCO, Segments.ai's label by its cuboid annotations, nuScenes
    /// results or info, Datumaro, SUSTechPOINTS).
    /// - Returns: nil when nothing matches (name the format then).
    public static func detect(_ path: String) -> LabelFormat? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(KittiRawFile.annotationFile) { return .kittiRaw }
            if names.contains(SlyPointCloudFile.keyIDFile) && names.contains(SlyPointCloudFile.metaFile) { return .slyPointCloud }
            if names.contains(SegmentsAIFile.labelFile) && names.contains(SegmentsAIFile.taskAttributesFile) { return .segmentsAI }
            let texts = names.filter { $0.hasSuffix(".txt") }.count, jsons = names.filter { $0.hasSuffix(".json") }.count
            if texts == 0 && jsons == 0 { return nil }
            return texts >= jsons ? .kitti : .susTechPOINTS
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".xml") {
            // CVAT for video says so in its meta, near the start; KITTI raw tracklets are a Boost archive.
            guard let handle = FileHandle(forReadingAtPath: path) else { return .cvat }
            defer { try? handle.close() }
            let head = String(decoding: handle.readData(ofLength: 1 << 12), as: UTF8.self)
            if head.contains("<boost_serialization") { return .kittiRaw }
            return head.contains("<mode>interpolation</mode>") ? .cvatVideo : .cvat
        }
        if lowered.hasSuffix(".csv") { return .mot }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 1 << 16), as: UTF8.self)
        if lowered.hasSuffix(".txt") {
            // MOTChallenge's gt/gt.txt and results files: comma-separated rows of 6 or more numbers.
            let firstLine = head.split(separator: "\n", maxSplits: 1).first ?? ""
            if firstLine.split(separator: ",").count >= 6 { return .mot }
            let first = head.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init) ?? ""
            return Int(first) != nil ? .kittiTracking : .kitti
        }
        if head.contains("\"openlabel\"") { return .openLABEL }
        if head.contains("\"results\"") && head.contains("\"meta\"") { return .nuScenes }
        if head.contains("\"annotations\"") && head.contains("\"images\"") { return .coco }
        if head.contains("\"category_id\"") && head.contains("\"cuboid\"") && head.contains("\"dimensions\"") { return .segmentsAI }
        if head.contains("\"infos\"") || head.contains("\"data_list\"") { return .nuScenesInfo }
        if head.contains("\"items\"") { return .datumaro }
        if head.contains("\"psr\"") { return .susTechPOINTS }
        return nil
    }
}
