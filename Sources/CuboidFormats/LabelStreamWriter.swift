public import CuboidGeometry
import CuboidIO
import Foundation

/// Writes labels frame by frame, for sequences too long to hold in memory.
///
/// OpenLABEL, KITTI tracking and the per-frame formats (KITTI object, SUSTechPOINTS) stream: memory
/// stays O(objects) (OpenLABEL's per-object section) or O(1) whatever the number of frames. CVAT (both
/// layouts), Kitti Raw, Sly Point Cloud, Segments.ai, Datumaro, COCO, MOT and nuScenes need the whole set (ids, categories or images counted before the
/// first annotation), so for them the frames are collected and written by ``finish()``.
///
/// Single-file formats go to a temporary file renamed over the destination by ``finish()``; a writer
/// dropped before that leaves the destination as it was. Per-frame files are each written atomically
/// as their frame is appended. The bytes equal ``LabelStore/write(_:to:format:context:)`` of the whole
/// set, which is implemented with this type.
public final class LabelStreamWriter {
    /// The file or folder written.
    public let path: String
    public let format: LabelFormat
    private let context: LabelContext
    private var collected: LabelSet
    private var file: AtomicFileWriter?
    private var frames: ScratchFile?
    private var openLABEL: OpenLABELStreamEncoder?
    private var trackingIDs: [String: Int] = [:]
    private var usedTrackingIDs = Set<Int>()
    private var nextTrackingID = 0
    private var trackingCalibration: KITTICalibration?
    private var trackingLabels = 0
    private var frameIndex = 0

    /// Starts a label file or folder.
    /// - Parameters:
    ///   - path: The file, or for per-frame formats the folder (created if needed).
    ///   - format: Any writable format (not `nuscenes-info`).
    ///   - context: Calibration, image size, camera, decimals, as ``LabelStore`` takes them.
    ///   - sensorName: The frame the cuboids live in.
    ///   - cameras: The cameras the 2D boxes refer to.
    ///   - document: For OpenLABEL, the document-level data of the file the labels were read from,
    ///     written back (see ``OpenLABELDocumentExtras``).
    ///   - reservedUIDs: For OpenLABEL, track ids that objects appended later will have: fresh uids
    ///     (for objects without a track id) avoid them.
    /// - Throws: `FileAccessError` when the destination cannot be created; ``LabelFileError`` for
    ///   `nuscenes-info` or a KITTI tracking file without a calibration.
    public init(path: String, format: LabelFormat, context: LabelContext = LabelContext(), sensorName: String = "lidar", cameras: [Camera] = [],
                document: OpenLABELDocumentExtras? = nil, reservedUIDs: Set<String> = []) throws {
        self.path = path
        self.format = format
        self.context = context
        collected = LabelSet(sensorName: sensorName, cameras: cameras)
        switch format {
        case .openLABEL:
            frames = try ScratchFile(in: Paths.parent(path), for: path)
            openLABEL = OpenLABELStreamEncoder(sensor: sensorName, cameras: cameras, document: document, reservedUIDs: reservedUIDs)
        case .kittiTracking:
            // Without --calib/--dataset, the frames' own calibration (an OpenLABEL file's) is used.
            if context.calibration != nil || context.calibrationFolder != nil {
                trackingCalibration = try context.calibration(forFrame: Paths.stem(path))
            }
            file = try AtomicFileWriter(path: path)
        case .kitti, .susTechPOINTS, .kittiRaw, .slyPointCloud, .segmentsAI:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .nuScenesInfo:
            throw LabelFileError.missingContext("nuscenes-info is read only; write nuscenes (results) or openlabel")
        case .nuScenes, .cvat, .datumaro, .coco, .mot, .cvatVideo:
            break
        }
    }

    /// Writes (or for whole-set formats, keeps) the next frame.
    /// - Throws: `FileAccessError`; ``LabelFileError`` when an object does not fit the format.
    public func append(_ frame: LabeledFrame) throws {
        defer { frameIndex += 1 }
        switch format {
        case .openLABEL:
            try frames!.append(openLABEL!.append(frame).utf8)
        case .kitti:
            let calibration = try kittiCalibration(of: frame)
            let labels = try kittiInView(kittiObjects(frame.objects, calibration: calibration), frame: frame.name, calibration: calibration).map { (object) throws(LabelFileError) in try KITTIObjectLabel(object, calibration: calibration, imageSize: context.imageSize) }
            try FileBytes.writeAtomically(KITTILabelFile.encode(labels, decimals: context.decimals), to: PathComponent.file(in: path, name: frame.name, suffix: ".txt"))
        case .kittiTracking:
            var labels: [KITTITrackingLabel] = []
            let calibration = try trackingCalibration ?? kittiCalibration(of: frame)
            for object in try kittiInView(kittiObjects(frame.objects, calibration: calibration), frame: frame.name, calibration: calibration) {
                var label = try KITTIObjectLabel(object, calibration: calibration, imageSize: context.imageSize)
                if label.isDontCare, object.attributes["dontcare_placeholders"]?.text == "tracking" {
                    label.dimensions = SIMD3(-1000, -1000, -1000)
                    label.location = SIMD3(-10, -1, -1)
                    label.rotationY = -1
                }
                var id = -1
                if !label.isDontCare {
                    let key = object.trackID ?? "untracked-\(frameIndex)-\(trackingLabels + labels.count)"
                    id = trackingIDs[key] ?? newTrackingID(for: object.trackID, category: object.category)
                    trackingIDs[key] = id
                }
                labels.append(KITTITrackingLabel(frame: frameIndex, trackID: id, object: label))
            }
            trackingLabels += labels.count
            try file!.append(KITTITrackingLabelFile.encode(labels))
        case .susTechPOINTS:
            try FileBytes.writeAtomically(SUSTechPOINTSLabelFile.encode(frame.objects), to: PathComponent.file(in: path, name: frame.name, suffix: ".json"))
        case .nuScenes, .cvat, .datumaro, .coco, .mot, .cvatVideo, .kittiRaw, .slyPointCloud, .segmentsAI:
            collected.frames.append(frame)
        case .nuScenesInfo:
            preconditionFailure("rejected by init")
        }
    }

    /// The camera the labels carry that stands in for KITTI's camera 2 when no KITTI calibration is
    /// given: the one named by `--camera`, else the labels' only camera.
    private var sourceCamera: Camera? {
        if let name = context.camera { return collected.cameras.first { $0.name == name } }
        return collected.cameras.count == 1 ? collected.cameras[0] : nil
    }

    /// A frame's KITTI calibration: `--calib` / `--dataset` when given, else the frame's own (an
    /// OpenLABEL file's `image_2` camera, or the KITTI labels it was read from), else the one the labels'
    /// camera makes (``KITTICalibration/init(camera:)``).
    /// - Throws: ``LabelFileError/missingContext(_:)`` when there is none.
    private func kittiCalibration(of frame: LabeledFrame) throws -> KITTICalibration {
        if context.calibration == nil && context.calibrationFolder == nil {
            if let own = frame.kittiCalibration { return own }
            if let camera = sourceCamera { return KITTICalibration(camera: camera) }
            if collected.cameras.count > 1 {
                throw LabelFileError.missingContext("KITTI labels need a calibration: give --calib FILE or --dataset DIR, or --camera to use one of the labels' cameras ("
                    + collected.cameras.map(\.name).joined(separator: ", ") + ")")
            }
        }
        return try context.calibration(forFrame: frame.name)
    }

    /// With ``LabelContext/kittiInView``, the objects camera 2 sees (``KITTIInView``); else all.
    private func kittiInView(_ objects: [LabeledObject], frame: String, calibration: KITTICalibration) throws -> [LabeledObject] {
        guard context.kittiInView else { return objects }
        let fallback = (context.calibration == nil && context.calibrationFolder == nil ? sourceCamera : nil)
            .map { (width: $0.intrinsics.width, height: $0.intrinsics.height) }
        guard let size = context.frameImageSize?(frame, LabeledObject.kittiCamera) ?? context.imageSize ?? fallback, size.width > 0, size.height > 0 else {
            throw LabelFileError.missingContext("--kitti-in-view needs camera 2's image size: give --image-size WIDTHxHEIGHT or --dataset DIR (with image_2/FRAME.png)")
        }
        return KITTIInView.select(objects, camera: try calibration.camera(2, width: size.width, height: size.height)).kept
    }

    /// The KITTI track id of a track seen for the first time: its own id when it is a number (`7`), or
    /// the number that ends a name made of the class and a number (`Car3` for a `Car`, as VCD names
    /// KITTI's tracks), unless another track already has that id; else the smallest id not used.
    private func newTrackingID(for track: String?, category: String) -> Int {
        var number: Int?
        if let track {
            if let n = Int(track), n >= 0 {
                number = n
            } else if track.lowercased().hasPrefix(category.lowercased()), let n = Int(track.dropFirst(category.count)), n >= 0,
                      String(n) == track.dropFirst(category.count) {
                number = n
            }
        }
        if let number, !usedTrackingIDs.contains(number) {
            usedTrackingIDs.insert(number)
            return number
        }
        while usedTrackingIDs.contains(nextTrackingID) { nextTrackingID += 1 }
        usedTrackingIDs.insert(nextTrackingID)
        return nextTrackingID
    }

    /// The objects with KITTI's 2D boxes: an object without a box in ``LabeledObject/kittiCamera``
    /// takes its box in the camera that is KITTI's camera 2, which is `--camera` when given, else the
    /// one camera of the labels that is the calibration's camera 2: P2's intrinsics (to 1e-6 px) and
    /// pose from the sensor (to 1 mm and 1e-3 rad). VCD's KITTI conversion, for one, names it `CAM_LEFT`.
    private func kittiObjects(_ objects: [LabeledObject], calibration: KITTICalibration) -> [LabeledObject] {
        var camera = context.camera
        if camera == nil, objects.contains(where: { $0.boxes[LabeledObject.kittiCamera] == nil && !$0.boxes.isEmpty }) {
            let matching = collected.cameras.filter { c in
                let k = c.intrinsics
                guard let two = try? calibration.camera(2, width: k.width, height: k.height) else { return false }
                let (a, b) = (two.intrinsics, two.cameraFromSensor)
                let moved = c.cameraFromSensor.translation - b.translation
                return abs(k.fx - a.fx) < 1e-6 && abs(k.cx - a.cx) < 1e-6 && abs(k.fy - a.fy) < 1e-6 && abs(k.cy - a.cy) < 1e-6
                    && (moved * moved).sum() < 1e-6 && c.cameraFromSensor.rotation.angle(to: b.rotation) < 1e-3
            }
            if matching.count == 1 { camera = matching[0].name }
        }
        guard let camera, camera != LabeledObject.kittiCamera else { return objects }
        return objects.map { object in
            guard object.boxes[LabeledObject.kittiCamera] == nil, let box = object.boxes[camera] else { return object }
            var moved = object
            moved.boxes[LabeledObject.kittiCamera] = box
            return moved
        }
    }

    /// What the OpenLABEL writer could not keep as it came, one line per kind with its count
    /// (renumbered frames, objects given new uids, cuboids moved to the sensor frame...); complete
    /// after ``finish()``.
    public var notes: [String] { openLABEL?.notes ?? [] }

    /// Completes the file: renames it over the destination (or writes a whole-set format).
    /// - Throws: `FileAccessError` naming the destination; ``LabelFileError`` when the set does not
    ///   fit the format.
    public func finish() throws {
        switch format {
        case .openLABEL:
            let writer = try AtomicFileWriter(path: path)
            try openLABEL!.write(emit: { try writer.append($0) }, frames: { try writer.append(contentsOf: frames!) })
            try writer.commit()
            frames = nil
        case .kittiTracking:
            try file!.commit()
        case .kitti, .susTechPOINTS, .nuScenesInfo:
            break
        case .nuScenes: try FileBytes.writeAtomically(NuScenesResultsFile.encode(collected), to: path)
        case .cvat, .cvatVideo:
            try FileBytes.writeAtomically(CVATFile.encode(collected, camera: context.camera, layout: format == .cvat ? .images : .video,
                                                          imageSize: context.imageSize), to: path)
        case .kittiRaw: try KittiRawFile.write(collected, to: path)
        case .slyPointCloud: try SlyPointCloudFile.write(collected, to: path)
        case .segmentsAI: try SegmentsAIFile.write(collected, to: path)
        case .datumaro: try FileBytes.writeAtomically(DatumaroFile.encode(collected), to: path)
        case .coco:
            // Scored boxes (every object but DontCare regions has a score) are results; anything else a dataset.
            let scored = collected.frames.flatMap { $0.objects.filter { !COCOFile.isRegion($0) } }
            let isResults = !scored.isEmpty && scored.allSatisfy { $0.score != nil }
            let (context, cameras) = (self.context, collected.cameras)
            try FileBytes.writeAtomically(isResults ? COCOFile.encodeResults(collected, gold: context.reference ?? collected)
                                          : COCOFile.encode(collected, imageSize: { context.imageSize(frame: $0, camera: $1, cameras: cameras) }), to: path)
        case .mot: try FileBytes.writeAtomically(MOTFile.encode(collected, camera: context.camera, variant: context.motVariant), to: path)
        }
    }
}
