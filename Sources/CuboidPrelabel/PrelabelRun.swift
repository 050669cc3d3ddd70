public import CuboidDatasets
public import CuboidFormats
public import CuboidGeometry
import CuboidImages
import CuboidIO
public import CuboidKernels
import CuboidPointClouds
import CuboidPreviews
import Dispatch
import Foundation

/// How external detections (from any model) combine with the lidar detector's.
public enum ExternalDetectionMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Only the external boxes are tracked and refined.
    case replace
    /// Both; a lidar box overlapping an external one (BEV IoU >= 0.1) is dropped.
    case join
}

/// What `cuboid prelabel` writes and reads besides the sweeps.
public struct PrelabelOptions: Sendable {
    public var configuration = PrelabelConfiguration()
    /// Label formats to write (OpenLABEL by default).
    public var formats: [LabelFormat] = [.openLABEL]
    /// External detections: a label set readable by ``LabelStore`` with frames named as the sequence's.
    public var externalDetections: LabelSet?
    public var externalMode: ExternalDetectionMode = .join
    /// Whether to write preview images.
    public var previews = true
    /// Threads for the per-cluster fits (outputs do not depend on it).
    public var threads = Parallelism.availableCores
    /// Whether to return every label in ``PrelabelSummary/labels`` (for scoring), which makes memory
    /// grow with the sequence; off, the run's memory does not depend on the number of frames.
    public var collectLabels = false
    public init() {}
}

/// Figures of one run.
public struct PrelabelSummary: Sendable {
    public var frames = 0
    /// Frames whose detections came from the cache of an earlier, interrupted run.
    public var resumedFrames = 0
    public var tracks = 0
    public var boxes = 0
    /// Sum of the detector's stage times over the frames detected in this run, seconds.
    public var detectionTimings = DetectionTimings()
    public var trackingSeconds = 0.0
    /// Whether tracks link frames (the sequence has poses) or every frame stands alone.
    public var tracked = false
    /// The labels written, sensor frame, when ``PrelabelOptions/collectLabels`` asked for them.
    public var labels = LabelSet()
}

/// A frame's cached detections split into detections and the weak evidence cached after them.
func splitEvidence(_ cached: [Detection]) -> (detections: [Detection], evidence: [Detection]) {
    let first = cached.firstIndex { $0.source == Detection.weakSource } ?? cached.count
    return (Array(cached[..<first]), Array(cached[first...]))
}

/// Runs the whole pre-labelling job on one sequence, resumably, in memory that does not grow with
/// the sequence's length.
///
/// Stage 1 detects objects frame by frame, caches each frame's detections under `OUT/cache/`
/// (atomic writes; a restarted run reads the cache and detects only the frames that are missing),
/// and feeds them to a ``StreamingTracker`` when the sequence has ego poses (otherwise every frame
/// stands alone). Finished tracks go to a scratch file. Stage 2 reads them back a few frames at a
/// time, projects the boxes into every camera and streams the labels (``LabelStreamWriter``), the
/// review queue (sorted on disk) and the previews, each written atomically. The outputs depend only
/// on the inputs and the configuration, so a run killed at any point and restarted writes the same
/// bytes as one that was never interrupted.
public enum PrelabelRunner {
    /// Frames whose labels are built at once in stage 2.
    static let framesPerBatch = 32

    /// - Parameters:
    ///   - sequence: The footage.
    ///   - output: Folder for the outputs (created).
    ///   - options: Configuration, formats, external detections.
    ///   - progress: Called after each frame of each stage (`detect`, `write`) with (stage, done, total).
    /// - Throws: file errors naming the file (a full disk is `ENOSPC`; earlier outputs are then intact);
    ///   ``LabelFileError`` when a format cannot hold the labels.
    public static func run(_ sequence: SensorSequence, output: String, options: PrelabelOptions,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> PrelabelSummary {
        try checkFormats(options.formats, sequence: sequence)
        let detector = LidarDetector(configuration: options.configuration)
        let manager = FileManager.default
        let cache = output + "/cache"
        try manager.createDirectory(atPath: cache, withIntermediateDirectories: true)
        // A process killed in the middle of an atomic write leaves its temporary file behind.
        for folder in [output, cache, output + "/preview"] + LabelFormat.allCases.map({ output + "/" + outputName($0) }) {
            FileBytes.removeStaleTemporaries(in: folder)
        }
        var summary = PrelabelSummary()
        summary.frames = sequence.count
        let external = options.externalDetections.map { set in
            Dictionary(set.frames.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        summary.tracked = sequence.count > 1 && sequence.frames.allSatisfy { $0.egoPose != nil }
        var tracker = StreamingTracker(configuration: options.configuration.tracking, classes: options.configuration.classes)
        let spool = try TrackSpool(in: cache)
        let queue = try ReviewQueue(in: cache)
        var trackingNanoseconds: UInt64 = 0

        // Stage 1: detections per frame, cached, and tracked as they come.
        for index in 0..<sequence.count {
            let frame = sequence.frames[index]
            let cached = PathComponent.file(in: cache, name: frame.name, suffix: ".detections.json")
            var detections: [Detection]
            // Weak evidence is cached after the detections (source `weak`) and only feeds the tracker.
            var evidence: [Detection] = []
            if manager.fileExists(atPath: cached), let read = try? FileBytes.decode(cached, DetectionCache.decode) {
                (detections, evidence) = splitEvidence(read)
                summary.resumedFrames += 1
            } else {
                detections = []
                if options.externalDetections == nil || options.externalMode == .join {
                    let cloud = try sequence.pointCloud(at: index)
                    let (found, weak, timings) = detector.detectWithEvidence(cloud, threads: options.threads)
                    detections = found
                    evidence = weak
                    summary.detectionTimings = summary.detectionTimings + timings
                }
                if let external {
                    let supplied = (external[frame.name]?.objects ?? []).compactMap { object -> Detection? in
                        guard let cuboid = object.cuboid else { return nil }
                        return Detection(category: object.category, cuboid: cuboid, score: object.score ?? 1, pointCount: 0, source: "external")
                    }
                    detections = supplied + detections.filter { lidar in !supplied.contains { iou(lidar.cuboid.bev, $0.cuboid.bev) >= 0.1 } }
                }
                try FileBytes.writeAtomically(DetectionCache.encode(detections + evidence), to: cached)
            }
            if summary.tracked {
                let start = DispatchTime.now().uptimeNanoseconds
                let finished = tracker.add(TrackerFrame(detections: detections, evidence: evidence, worldFromSensor: frame.egoPose!, time: frame.timestamp ?? Double(index) / 10))
                for track in finished { try spool.add(track, codes: &queue.codes) }
                trackingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
            }
            progress("detect", index + 1, sequence.count)
        }
        if summary.tracked {
            let start = DispatchTime.now().uptimeNanoseconds
            for track in tracker.finish() { try spool.add(track, codes: &queue.codes) }
            trackingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        }
        summary.trackingSeconds = Double(trackingNanoseconds) / 1e9
        summary.tracks = spool.headers.count

        // Stage 2: labels, review queue and pictures, a batch of frames at a time.
        let firstCameras = sequence.count > 0 ? try sequence.cameras(at: 0) : []
        if options.collectLabels { summary.labels = LabelSet(sensorName: sequence.sensorName, cameras: firstCameras) }
        let writers = try options.formats.map { format in
            try LabelStreamWriter(path: output + "/" + outputName(format), format: format, context: try context(for: format, sequence: sequence),
                                  sensorName: sequence.sensorName, cameras: firstCameras)
        }
        if options.previews { try manager.createDirectory(atPath: output + "/preview", withIntermediateDirectories: true) }
        var untrackedIDs = 0
        for batch in stride(from: 0, to: sequence.count, by: framesPerBatch) {
            let frames = batch..<min(batch + framesPerBatch, sequence.count)
            let tracked = summary.tracked ? try spool.boxes(frames: frames) : []
            for index in frames {
                let frame = sequence.frames[index]
                let detections = splitEvidence(try FileBytes.decode(PathComponent.file(in: cache, name: frame.name, suffix: ".detections.json"), DetectionCache.decode)).detections
                let cameras = try sequence.cameras(at: index)
                // (track id, class, track score, moving, heading known, track length, box) per object.
                let entries: [(id: Int, category: String, score: Double, moving: Bool, headingKnown: Bool, length: Int?, box: TrackedBox)]
                if summary.tracked {
                    entries = tracked[index - batch].map { ($0.track.id, queue.codes.names[$0.track.category], $0.track.score, $0.track.isMoving, $0.track.headingKnown, $0.track.length, $0.box) }
                } else {
                    // Frames without poses (a KITTI object benchmark folder) are unrelated: no identities across them.
                    entries = detections.enumerated().map { k, detection in
                        (untrackedIDs + k + 1, detection.category, detection.score, false, false, nil, TrackedBox(cuboid: detection.cuboid, detection: k))
                    }
                    untrackedIDs += detections.count
                }
                var objects: [LabeledObject] = []
                for entry in entries {
                    let detection = entry.box.detection.map { detections[$0] }
                    let score = detection.map { summary.tracked ? 0.5 * ($0.score + entry.score) : $0.score } ?? 0.8 * entry.score
                    var object = LabeledObject(trackID: String(entry.id), category: entry.category, cuboid: entry.box.cuboid, score: score)
                    object.attributes["source"] = .text(detection == nil ? "smoothed" : detection!.source)
                    object.attributes["num_points"] = .number(Double(detection?.pointCount ?? 0))
                    object.attributes["moving"] = .flag(entry.moving)
                    for camera in cameras {
                        if let box = projectedBox(entry.box.cuboid, camera: camera, silhouette: ProjectionSilhouette(className: entry.category)),
                           box.area > 0 {
                            object.boxes[camera.name] = box
                        }
                    }
                    objects.append(object)
                    try queue.add(ReviewItem(frame: index, trackID: entry.id, category: entry.category, headingKnown: entry.headingKnown,
                                             trackLength: entry.length, object: object, detection: detection, codes: &queue.codes))
                }
                let labeled = LabeledFrame(name: frame.name, timestamp: frame.timestamp, egoPose: frame.egoPose, objects: objects)
                summary.boxes += objects.count
                for writer in writers { try writer.append(labelsFor(writer.format, labeled)) }
                if options.collectLabels { summary.labels.frames.append(labeled) }
                if options.previews { try writePreviews(labeled, index: index, cameras: cameras, sequence: sequence, folder: output + "/preview") }
                progress("write", index + 1, sequence.count)
            }
        }
        for writer in writers { try writer.finish() }
        try queue.write(to: output + "/review_queue.csv", frameNames: sequence.frames.map(\.name))
        return summary
    }

    /// The bird's-eye picture and one per camera, unless an earlier run wrote them.
    private static func writePreviews(_ frame: LabeledFrame, index: Int, cameras: [Camera], sequence: SensorSequence, folder: String) throws {
        let manager = FileManager.default
        let bev = PathComponent.file(in: folder, name: frame.name, suffix: "-bev.png")
        if !manager.fileExists(atPath: bev) {
            let cloud = try sequence.pointCloud(at: index)
            try FileBytes.writeAtomically(try ImageCodec.encodePNG(PreviewRenderer.birdsEye(cloud: cloud, predictions: frame.objects), compressionLevel: 3), to: bev)
        }
        for camera in cameras {
            let path = folder + "/" + PathComponent.escaped(frame.name) + "-" + PathComponent.escaped(camera.name) + ".png"
            guard !manager.fileExists(atPath: path), let image = try? sequence.image(at: index, camera: camera.name) else { continue }
            try FileBytes.writeAtomically(try ImageCodec.encodePNG(PreviewRenderer.camera(image: image, camera: camera, predictions: frame.objects), compressionLevel: 3), to: path)
        }
    }

    /// Everything a run writes in `output`: the label files, the review queue, and the folders whose
    /// files it names itself (the cache, the previews, per-frame label folders). The command line checks
    /// them against the inputs before the run.
    public static func outputs(in output: String, formats: [LabelFormat]) -> (files: [String], folders: [String]) {
        var files = [output + "/review_queue.csv"], folders = [output + "/cache", output + "/preview"]
        for format in formats {
            if format == .kitti || format == .susTechPOINTS { folders.append(output + "/" + outputName(format)) } else { files.append(output + "/" + outputName(format)) }
        }
        return (files, folders)
    }

    /// Refuses, before any frame is detected, a format this sequence cannot fill: KITTI labels only
    /// what camera 2 sees (a sequence without it would give empty files), CVAT and MOT hold one
    /// camera's boxes and COCO at least one camera's.
    /// - Throws: ``LabelFileError/missingContext(_:)`` saying why, or the calibration's read error.
    public static func checkFormats(_ formats: [LabelFormat], sequence: SensorSequence) throws {
        let cameras = sequence.count > 0 ? try sequence.cameras(at: 0).map(\.name) : []
        let listed = cameras.isEmpty ? "none" : cameras.joined(separator: ", ")
        for format in formats {
            switch format {
            case .kitti, .kittiTracking:
                _ = try context(for: format, sequence: sequence)
                guard cameras.contains(where: kittiCameraNames.contains) else {
                    throw LabelFileError.missingContext("\(format.rawValue) labels only what camera 2 sees, and this sequence has no camera 2 "
                        + "(image_2 or image_02; cameras: \(listed)), so every frame would be empty; write openlabel or sustechpoints, which hold cuboids alone")
                }
            case .cvat, .mot:
                guard cameras.count == 1 else {
                    throw LabelFileError.missingContext("\(format.rawValue) holds the boxes of one camera, and this sequence has "
                        + (cameras.isEmpty ? "none, so the file would be empty" : "\(cameras.count) (\(listed))") + "; write openlabel, which holds every camera")
                }
            case .coco:
                guard !cameras.isEmpty else {
                    throw LabelFileError.missingContext("coco holds camera boxes, and this sequence has no camera, so the file would be empty; write openlabel")
                }
            case .openLABEL, .susTechPOINTS, .nuScenes, .datumaro, .nuScenesInfo:
                break
            }
        }
    }

    /// The names camera 2 has in the KITTI layouts.
    static let kittiCameraNames: Set<String> = ["image_2", "image_02"]

    /// Output file or folder name per format.
    public static func outputName(_ format: LabelFormat) -> String {
        switch format {
        case .openLABEL: "prelabels.openlabel.json"
        case .kitti: "kitti"
        case .kittiTracking: "kitti_tracking.txt"
        case .susTechPOINTS: "sustechpoints"
        case .nuScenes, .nuScenesInfo: "nuscenes_results.json"
        case .cvat: "cvat.xml"
        case .datumaro: "datumaro.json"
        case .coco: "coco.json"
        case .mot: "mot.txt"
        }
    }

    private static func context(for format: LabelFormat, sequence: SensorSequence) throws -> LabelContext {
        var context = LabelContext()
        if format == .kitti || format == .kittiTracking {
            guard let calibration = try sequence.kittiCalibration(at: 0) else {
                throw LabelFileError.missingContext("KITTI output needs a KITTI calibration; this \(sequence.layout.rawValue) sequence has none")
            }
            context.calibration = calibration
            if sequence.layout == .kittiObject { context.calibrationFolder = sequence.root }
        }
        context.decimals = 2
        return context
    }

    /// KITTI labels only what camera 2 sees.
    private static func labelsFor(_ format: LabelFormat, _ frame: LabeledFrame) -> LabeledFrame {
        guard format == .kitti || format == .kittiTracking else { return frame }
        var frame = frame
        frame.objects = frame.objects.compactMap { object in
            var object = object
            guard let box = object.boxes["image_2"] ?? object.boxes["image_02"] else { return nil }
            object.boxes = [LabeledObject.kittiCamera: box]
            return object
        }
        return frame
    }
}

/// The per-frame detection cache: JSON with exact (shortest round-trip) numbers.
enum DetectionCache {
    static func encode(_ detections: [Detection]) -> [UInt8] {
        let items: [JSONOutput] = detections.map { d in
            .object([("category", .string(d.category)), ("score", .number(d.score)), ("points", .number(Double(d.pointCount))),
                     ("source", .string(d.source)),
                     ("box", .numbers([d.cuboid.x, d.cuboid.y, d.cuboid.z, d.cuboid.length, d.cuboid.width, d.cuboid.height, d.cuboid.yaw]))]
                    + (d.outline.map { [("outline", .numbers($0.flatMap { [$0.x, $0.y] }))] } ?? []))
        }
        return Array((JSONOutput.object([("version", .number(1)), ("detections", .array(items))]).rendered(indent: 0) + "\n").utf8)
    }

    static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> [Detection] {
        let root: JSONNode
        do { root = try parseJSON(bytes) } catch { throw .syntax(line: error.line, column: error.column, expected: error.expected) }
        guard root["version"]?.number == 1, let items = root["detections"]?.elements else { throw .missingField(line: root.line, field: "detections") }
        var detections: [Detection] = []
        for item in items {
            guard let category = item["category"]?.string, let score = item["score"]?.number, let points = item["points"]?.number,
                  let source = item["source"]?.string, let box = item["box"]?.elements?.compactMap(\.number), box.count == 7 else {
                throw .invalidField(line: item.line, field: "detection", expected: "category, score, points, source and a 7-number box")
            }
            var outline: [SIMD2<Double>]? = nil
            if let node = item["outline"] {
                guard let flat = node.elements?.compactMap(\.number), flat.count == node.elements?.count, flat.count % 2 == 0 else {
                    throw .invalidField(line: node.line, field: "outline", expected: "an even count of numbers (x, y pairs)")
                }
                outline = stride(from: 0, to: flat.count, by: 2).map { SIMD2(flat[$0], flat[$0 + 1]) }
            }
            detections.append(Detection(category: category, cuboid: Box3D(x: box[0], y: box[1], z: box[2], length: box[3], width: box[4], height: box[5], yaw: box[6]),
                                        score: score, pointCount: Int(points), source: source, outline: outline))
        }
        return detections
    }
}
