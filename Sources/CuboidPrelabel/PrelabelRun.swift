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
    /// The labels written, sensor frame.
    public var labels = LabelSet()
}

/// Runs the whole pre-labelling job on one sequence, resumably.
///
/// Stage 1 detects objects frame by frame and caches each frame's detections under
/// `OUT/cache/` (atomic writes): a restarted run reads the cache and detects only the frames that are
/// missing. Stage 2 tracks and refines (when the sequence has ego poses; otherwise every frame stands
/// alone), projects the boxes into every camera and writes the labels, the review queue and the
/// previews, each atomically. The outputs depend only on the inputs and the configuration, so a run
/// killed at any point and restarted writes the same bytes as one that was never interrupted.
public enum PrelabelRunner {
    /// - Parameters:
    ///   - sequence: The footage.
    ///   - output: Folder for the outputs (created).
    ///   - options: Configuration, formats, external detections.
    ///   - progress: Called after each frame of each stage with (stage, done, total).
    /// - Throws: file errors naming the file; ``LabelFileError`` when a format cannot hold the labels.
    public static func run(_ sequence: SensorSequence, output: String, options: PrelabelOptions,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> PrelabelSummary {
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

        // Stage 1: detections per frame, cached.
        var perFrame: [[Detection]] = []
        for index in 0..<sequence.count {
            let name = sequence.frames[index].name
            let cached = cache + "/" + name + ".detections.json"
            if manager.fileExists(atPath: cached), let detections = try? FileBytes.decode(cached, DetectionCache.decode) {
                perFrame.append(detections)
                summary.resumedFrames += 1
            } else {
                var detections: [Detection] = []
                if options.externalDetections == nil || options.externalMode == .join {
                    let cloud = try sequence.pointCloud(at: index)
                    let (found, timings) = detector.detect(cloud, threads: options.threads)
                    detections = found
                    summary.detectionTimings = summary.detectionTimings + timings
                }
                if let external {
                    let supplied = (external[name]?.objects ?? []).compactMap { object -> Detection? in
                        guard let cuboid = object.cuboid else { return nil }
                        return Detection(category: object.category, cuboid: cuboid, score: object.score ?? 1, pointCount: 0, source: "external")
                    }
                    detections = supplied + detections.filter { lidar in !supplied.contains { iou(lidar.cuboid.bev, $0.cuboid.bev) >= 0.1 } }
                }
                try FileBytes.writeAtomically(DetectionCache.encode(detections), to: cached)
                perFrame.append(detections)
            }
            progress("detect", index + 1, sequence.count)
        }

        // Stage 2: tracks, labels and pictures.
        let start = DispatchTime.now().uptimeNanoseconds
        let poses = sequence.frames.map(\.egoPose)
        summary.tracked = sequence.count > 1 && poses.allSatisfy { $0 != nil }
        var tracks: [Track]
        if summary.tracked {
            let frames = sequence.frames.enumerated().map { index, frame in
                TrackerFrame(detections: perFrame[index], worldFromSensor: frame.egoPose!, time: frame.timestamp ?? Double(index) / 10)
            }
            tracks = Tracker(configuration: options.configuration.tracking).track(frames)
        } else {
            // Frames without poses (a KITTI object benchmark folder) are unrelated: no identities across them.
            tracks = []
            for (index, detections) in perFrame.enumerated() {
                for (k, detection) in detections.enumerated() {
                    tracks.append(Track(id: tracks.count + 1, category: detection.category, score: detection.score, isMoving: false,
                                        headingKnown: false, boxes: [index: TrackedBox(cuboid: detection.cuboid, detection: k)]))
                }
            }
        }
        summary.trackingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        summary.tracks = tracks.count

        var labels = LabelSet(sensorName: sequence.sensorName)
        var queue: [ReviewItem] = []
        // Calibrations and image headers are read once per frame, for the boxes and the previews.
        let rig = try sequence.frames.indices.map { try sequence.cameras(at: $0) }
        labels.cameras = rig.first ?? []
        for (index, frame) in sequence.frames.enumerated() {
            let cameras = rig[index]
            var objects: [LabeledObject] = []
            for track in tracks {
                guard let entry = track.boxes[index] else { continue }
                let detection = entry.detection.map { perFrame[index][$0] }
                let score = detection.map { summary.tracked ? 0.5 * ($0.score + track.score) : $0.score } ?? 0.8 * track.score
                var object = LabeledObject(trackID: String(track.id), category: track.category, cuboid: entry.cuboid, score: score)
                object.attributes["source"] = .text(detection == nil ? "smoothed" : detection!.source)
                object.attributes["num_points"] = .number(Double(detection?.pointCount ?? 0))
                object.attributes["moving"] = .flag(track.isMoving)
                for camera in cameras {
                    if let box = projectedBox(entry.cuboid, camera: camera, silhouette: ProjectionSilhouette(className: track.category)),
                       box.area > 0 {
                        object.boxes[camera.name] = box
                    }
                }
                objects.append(object)
                queue.append(ReviewItem(frame: frame.name, track: track, object: object, detection: detection, tracked: summary.tracked))
            }
            labels.frames.append(LabeledFrame(name: frame.name, timestamp: frame.timestamp, egoPose: frame.egoPose, objects: objects))
            summary.boxes += objects.count
        }
        summary.labels = labels

        for format in options.formats { try write(labels, format: format, sequence: sequence, output: output) }
        try FileBytes.writeAtomically(ReviewItem.table(queue), to: output + "/review_queue.csv")

        if options.previews {
            let folder = output + "/preview"
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, frame) in labels.frames.enumerated() {
                let bev = folder + "/" + frame.name + "-bev.png"
                if !manager.fileExists(atPath: bev) {
                    let cloud = try sequence.pointCloud(at: index)
                    try FileBytes.writeAtomically(try ImageCodec.encodePNG(PreviewRenderer.birdsEye(cloud: cloud, predictions: frame.objects), compressionLevel: 3), to: bev)
                }
                for camera in rig[index] {
                    let path = folder + "/" + frame.name + "-" + camera.name + ".png"
                    guard !manager.fileExists(atPath: path), let image = try? sequence.image(at: index, camera: camera.name) else { continue }
                    try FileBytes.writeAtomically(try ImageCodec.encodePNG(PreviewRenderer.camera(image: image, camera: camera, predictions: frame.objects), compressionLevel: 3), to: path)
                }
                progress("preview", index + 1, labels.frames.count)
            }
        }
        return summary
    }

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

    private static func write(_ labels: LabelSet, format: LabelFormat, sequence: SensorSequence, output: String) throws {
        var context = LabelContext()
        var set = labels
        if format == .kitti || format == .kittiTracking {
            guard let calibration = try sequence.kittiCalibration(at: 0) else {
                throw LabelFileError.missingContext("KITTI output needs a KITTI calibration; this \(sequence.layout.rawValue) sequence has none")
            }
            context.calibration = calibration
            if sequence.layout == .kittiObject { context.calibrationFolder = sequence.root }
            // KITTI labels only what camera 2 sees.
            for f in set.frames.indices {
                set.frames[f].objects = set.frames[f].objects.compactMap { object in
                    var object = object
                    guard let box = object.boxes["image_2"] ?? object.boxes["image_02"] else { return nil }
                    object.boxes = [LabeledObject.kittiCamera: box]
                    return object
                }
            }
        }
        context.decimals = 2
        try LabelStore.write(set, to: output + "/" + outputName(format), format: format, context: context)
    }
}

/// One line of the review queue: a box and why a person should look at it.
struct ReviewItem {
    var frame: String
    var trackID: Int
    var category: String
    var score: Double
    var doubt: Double
    var reasons: [String]

    init(frame: String, track: Track, object: LabeledObject, detection: Detection?, tracked: Bool) {
        self.frame = frame
        trackID = track.id
        category = track.category
        score = object.score ?? 0
        var reasons: [String] = []
        var doubt = 1 - score
        if detection == nil { reasons.append("not detected in this frame (box from the smoothed track)"); doubt += 0.2 }
        if let detection, detection.pointCount > 0 && detection.pointCount < 30 { reasons.append("few points (\(detection.pointCount))"); doubt += 0.1 }
        if tracked && track.boxes.count < 5 { reasons.append("short track (\(track.boxes.count) frames)"); doubt += 0.1 }
        if !track.headingKnown && !isPerson(track.category) { reasons.append("heading unknown (front/back)"); doubt += 0.05 }
        if let detection, detection.category != track.category { reasons.append("detected as \(detection.category)"); doubt += 0.15 }
        self.doubt = min(1, doubt)
        self.reasons = reasons
    }

    /// CSV, most doubtful first (ties by frame and track).
    static func table(_ items: [ReviewItem]) -> [UInt8] {
        let sorted = items.sorted { ($1.doubt, $0.frame, $0.trackID) < ($0.doubt, $1.frame, $1.trackID) }
        var text = "rank,frame,track,category,score,doubt,reasons\n"
        for (rank, item) in sorted.enumerated() {
            text += "\(rank + 1),\(item.frame),\(item.trackID),\(item.category),\(String(format: "%.3f", item.score)),\(String(format: "%.3f", item.doubt)),\"\(item.reasons.joined(separator: "; "))\"\n"
        }
        return Array(text.utf8)
    }
}

/// The per-frame detection cache: JSON with exact (shortest round-trip) numbers.
enum DetectionCache {
    static func encode(_ detections: [Detection]) -> [UInt8] {
        let items: [JSONOutput] = detections.map { d in
            .object([("category", .string(d.category)), ("score", .number(d.score)), ("points", .number(Double(d.pointCount))),
                     ("source", .string(d.source)),
                     ("box", .numbers([d.cuboid.x, d.cuboid.y, d.cuboid.z, d.cuboid.length, d.cuboid.width, d.cuboid.height, d.cuboid.yaw]))])
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
            detections.append(Detection(category: category, cuboid: Box3D(x: box[0], y: box[1], z: box[2], length: box[3], width: box[4], height: box[5], yaw: box[6]),
                                        score: score, pointCount: Int(points), source: source))
        }
        return detections
    }
}
