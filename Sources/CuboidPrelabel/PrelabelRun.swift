public import CuboidDatasets
public import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidIO
import CuboidKernels
import CuboidPointClouds
import CuboidPreviews
import Dispatch
import Foundation

/// Seconds since `start` (a `DispatchTime` uptime in nanoseconds).
private func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

/// Runs the whole pre-labelling job on one sequence, resumably, in memory that does not grow with
/// the sequence's length.
///
/// Stage 1 detects objects frame by frame, caches each frame's detections under `OUT/cache/`
/// with the ``DetectionCacheKey`` of what they were computed from (atomic writes; a restarted run
/// reads the cache and detects only the frames that are missing or whose cache was made from other
/// inputs: another sweep, configuration, external detections or tool version), and feeds them to a ``StreamingTracker`` when the sequence has ego poses (otherwise every frame
/// stands alone). Finished tracks go to a scratch file. Stage 2 reads them back a few frames at a
/// time, projects the boxes into every camera and streams the labels (`LabelStreamWriter`), the
/// review queue (sorted on disk) and the previews, each written atomically; a preview is kept from an
/// earlier run only when a digest of everything it shows (`PreviewInputs`) matches, and pictures
/// and per-frame label files of frames that are not in the sequence are removed (all pictures
/// without previews). The outputs depend only on the inputs and the
/// configuration, so a run killed at any point and restarted, or run in a folder that held another
/// run's outputs, writes the same bytes as a fresh, uninterrupted one.
///
/// The main thread detects, tracks and writes the labels in frame order; the next sweep is read,
/// cache files are encoded and written, and previews are drawn and written on other threads
/// (`BackgroundWork`), each file by one task, so the bytes do not depend on the threads' timing.
/// ``PrelabelSummary/runTimings`` says where the time went.
///
/// Under `SweepErrorPolicy/skip` (``PrelabelOptions/onError``) a sweep that cannot be read or
/// decoded is a gap: the frame keeps its place (its number, its pose and time), the tracker sees
/// it as a frame with no detections (tracks coast through it on their constant-velocity model, as
/// through an occlusion), and it gets no labels (an empty frame in every format), no review-queue
/// rows, no previews and no cache file. A frame whose camera image cannot be read (its header gives
/// the camera's image size; frame 0's is needed before the run) gets no labels the same way and is
/// listed with the image's path, though its detections fed the tracker. The skipped sweeps are in ``PrelabelSummary/skipped`` and
/// `OUT/skipped_sweeps.csv` (header only when none was skipped). Since a skipped sweep leaves no
/// cache, a restarted run reads it again and skips it again: the outputs and the list are the same
/// as an uninterrupted run's. Under `SweepErrorPolicy/stop` a `skipped_sweeps.csv` of an earlier
/// run in the folder is removed.
public enum PrelabelRunner {
    /// Frames whose labels are built at once in stage 2.
    static let framesPerBatch = 32

    /// - Parameters:
    ///   - sequence: The footage.
    ///   - output: Folder for the outputs (created).
    ///   - options: Configuration, formats, external detections.
    ///   - progress: Called after each frame of each stage (`detect`, `write`) with (stage, done, total).
    /// - Throws: file errors naming the file (a full disk is `ENOSPC`; earlier outputs are then intact);
    ///   `LabelFileError` when a format cannot hold the labels.
    public static func run(_ sequence: SensorSequence, output: String, options: PrelabelOptions,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> PrelabelSummary {
        let runStart = DispatchTime.now().uptimeNanoseconds
        try checkFormats(options.formats, sequence: sequence, camera: options.camera)
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
        var tracker = StreamingTracker(configuration: options.configuration.tracking, classes: options.configuration.classes,
                                       persons: options.configuration.persons)
        let spool = try TrackSpool(in: cache)
        let queue = try ReviewQueue(in: cache)
        var trackingNanoseconds: UInt64 = 0
        let usesLidar = options.externalDetections == nil || options.externalMode == .join
        let configurationDigest = DetectionCacheKey.configuration(options.configuration)
        // Cache files are encoded and written (with their fsync) off the main thread; a few frames may wait.
        let cacheWrites = BackgroundWork(label: "cache", limit: 8)
        defer { try? cacheWrites.wait() }
        summary.runTimings.frames = [Double](repeating: 0, count: sequence.count)

        // Stage 1: detections per frame, cached, and tracked as they come. The next frame's sweep is
        // read (bytes and digest) on another thread while this one is detected.
        func prefetch(_ index: Int) -> Prefetch<(path: String, bytes: [UInt8], key: String)?>? {
            index < sequence.count ? Prefetch { usesLidar ? try readSweep(sequence, at: index) : nil } : nil
        }
        var next = prefetch(0)
        // Frames whose sweep was skipped (SweepErrorPolicy.skip): no detections, no cache, no labels.
        var skippedFrames = Set<Int>()
        /// Feeds frame `index` to the tracker, when the sequence is tracked.
        func track(_ index: Int, detections: [Detection], evidence: [Detection]) throws {
            guard summary.tracked else { return }
            let frame = sequence.frames[index]
            let start = DispatchTime.now().uptimeNanoseconds
            let finished = tracker.add(TrackerFrame(detections: detections, evidence: evidence, worldFromSensor: frame.egoPose!, time: frame.timestamp ?? Double(index) / 10))
            for track in finished { try spool.add(track, codes: &queue.codes) }
            trackingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        }
        for index in 0..<sequence.count {
            let frameStart = DispatchTime.now().uptimeNanoseconds
            let reading = next!
            next = prefetch(index + 1)
            let frame = sequence.frames[index]
            let cached = PathComponent.file(in: cache, name: frame.name, suffix: ".detections.json")
            let supplied = external.map { external in
                (external[frame.name]?.objects ?? []).compactMap { object -> Detection? in
                    guard let cuboid = object.cuboid else { return nil }
                    return Detection(category: object.category, cuboid: cuboid, score: object.score ?? 1, pointCount: 0, source: "external")
                }
            }
            // The sweep's bytes identify it in the cache key and, when the cache cannot serve, are decoded.
            let read = try SkippedSweeps.reading(sequence, at: index, policy: options.onError, skipped: &summary.skipped) { try reading.value() }
            // An unreadable sweep that is skipped: a frame with no detections for the tracker, nothing cached.
            func leaveGap() throws {
                try forgetFrame(frame.name, cache: cache)
                skippedFrames.insert(index)
                try track(index, detections: [], evidence: [])
                summary.runTimings.frames[index] = seconds(since: frameStart)
                progress("detect", index + 1, sequence.count)
            }
            guard let sweep = read else {
                try leaveGap()
                continue
            }
            let key = DetectionCacheKey(tool: CuboidVersion.build, sweep: sweep?.key ?? "unused", configuration: configurationDigest,
                                        external: supplied.map { DetectionCacheKey.external($0, mode: options.externalMode) } ?? "none")
            var detections: [Detection]
            // Weak evidence is cached after the detections (source `weak`) and only feeds the tracker.
            var evidence: [Detection] = []
            let earlier: DetectionCache.Entry?? = manager.fileExists(atPath: cached) ? .some(try? FileBytes.decode(cached, DetectionCache.decode)) : .none
            summary.runTimings.reading += seconds(since: frameStart)
            if let entry = earlier ?? nil, entry.key == key {
                (detections, evidence) = splitEvidence(entry.detections)
                summary.resumedFrames += 1
            } else {
                if let earlier {
                    summary.redetectedFrames += 1
                    for reason in earlier.map({ $0.key.mismatches(key) }) ?? [.unreadable] { summary.redetectionReasons[reason, default: 0] += 1 }
                }
                detections = []
                if let sweep {
                    let decodeStart = DispatchTime.now().uptimeNanoseconds
                    let decoded = try SkippedSweeps.reading(sequence, at: index, policy: options.onError, skipped: &summary.skipped) {
                        do { return try PointCloudCodec.decode(sweep.bytes, path: sweep.path).cloud } catch {
                            throw FileDecodingError(path: sweep.path, underlying: error)
                        }
                    }
                    summary.runTimings.reading += seconds(since: decodeStart)
                    guard let cloud = decoded else {
                        try leaveGap()
                        continue
                    }
                    let (found, weak, timings) = detector.detectWithEvidence(cloud, threads: options.threads)
                    detections = found
                    evidence = weak
                    summary.detectionTimings = summary.detectionTimings + timings
                }
                if let supplied {
                    detections = supplied + detections.filter { lidar in !supplied.contains { iou(lidar.cuboid.bev, $0.cuboid.bev) >= 0.1 } }
                }
                let entry = detections + evidence
                try cacheWrites.submit { try FileBytes.writeAtomically(DetectionCache.encode(entry, key: key), to: cached) }
            }
            try track(index, detections: detections, evidence: evidence)
            summary.runTimings.frames[index] = seconds(since: frameStart)
            progress("detect", index + 1, sequence.count)
        }
        // Stage 2 reads the cache back.
        let waitStart = DispatchTime.now().uptimeNanoseconds
        try cacheWrites.wait()
        summary.runTimings.waiting += seconds(since: waitStart)
        summary.runTimings.cacheWriting = cacheWrites.taskSeconds
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
        // An OpenLABEL detections file's document-level data (metadata, sections, streams) goes to the
        // OpenLABEL output; its objects do not (the tracker makes its own), nor its coordinate
        // systems (their poses are to the file's sensor, not necessarily the sequence's).
        var document = options.externalDetections?.openLABEL
        if let given = document {
            let objectLevel = given.objectsWithObjectLevelData
            let uids = Set(options.externalDetections!.frames.flatMap(\.objects).compactMap(\.trackID)).count
            if uids > 0 { summary.notes.append("prelabel: \(uids) detection object uids not kept (pre-label objects are the tracker's)") }
            if objectLevel > 0 { summary.notes.append("prelabel: \(objectLevel) detection objects' object-level data not kept") }
            if !given.systems.isEmpty { summary.notes.append("prelabel: \(given.systems.count) coordinate systems of the detections not kept") }
            document?.objects = []
            document?.objectsWithoutFrames = []
            document?.systems = []
        }
        let contexts = try options.formats.map { try context(for: $0, sequence: sequence, camera: options.camera) }
        let writers = try zip(options.formats, contexts).map { format, context in
            try LabelStreamWriter(path: output + "/" + outputName(format), format: format, context: context,
                                  sensorName: sequence.sensorName, cameras: firstCameras, document: format == .openLABEL ? document : nil)
        }
        if options.previews { try manager.createDirectory(atPath: output + "/preview", withIntermediateDirectories: true) }
        // The pictures of this run, to remove any other (of frames an earlier run in this folder had).
        let pictures = PictureNames()
        // Contact-sheet tiles of the frames the sheet shows, drawn with the previews.
        let sheetFrames = Set(ContactSheet.frameIndices(count: sequence.count))
        let tiles = SheetTiles()
        // Previews are drawn on `threads` other threads and written (with their fsync) on others again,
        // while the main thread goes on with the labels; every frame's pictures are its own files.
        let previewWrites = BackgroundWork(label: "preview-writes", limit: 8)
        let drawing = BackgroundWork(label: "previews", limit: max(options.threads, 1))
        defer {
            try? drawing.wait()
            try? previewWrites.wait()
        }
        var untrackedIDs = 0
        let kinds = ClassKinds(classes: options.configuration.classes, external: options.configuration.tracking.externalClasses)
        // A class model's silhouette; an external detection's class is drawn as KITTI draws it.
        let silhouettes = Dictionary(options.configuration.classes.map { ($0.name, $0.silhouette) }, uniquingKeysWith: { a, _ in a })
        for batch in stride(from: 0, to: sequence.count, by: framesPerBatch) {
            let batchStart = DispatchTime.now().uptimeNanoseconds
            let frames = batch..<min(batch + framesPerBatch, sequence.count)
            let tracked = summary.tracked ? try spool.boxes(frames: frames) : []
            summary.runTimings.labels += seconds(since: batchStart)
            for index in frames {
                let frameStart = DispatchTime.now().uptimeNanoseconds
                let frame = sequence.frames[index]
                var skipped = skippedFrames.contains(index)
                // A camera's image size comes from the frame's image: a frame whose image cannot be read
                // has no camera to project into, and under skip gets no labels either (its detections
                // fed the tracker: the other frames are as if the image were whole).
                var cameras: [Camera] = []
                if !skipped {
                    if let read = try SkippedSweeps.reading(sequence, at: index, policy: options.onError, skipped: &summary.skipped, { try sequence.cameras(at: index) }) {
                        cameras = read
                    } else {
                        skipped = true
                    }
                }
                // A skipped frame has no labels (the tracks' smoothed boxes through it are dropped).
                let cached = skipped ? nil : try FileBytes.decode(PathComponent.file(in: cache, name: frame.name, suffix: ".detections.json"), DetectionCache.decode)
                let detections = cached.map { splitEvidence($0.detections).detections } ?? []
                // (track id, class, track score, moving, heading known, track length, box) per object.
                let entries: [(id: Int, category: String, score: Double, moving: Bool, headingKnown: Bool, length: Int?, box: TrackedBox)]
                if skipped {
                    entries = []
                } else if summary.tracked {
                    entries = tracked[index - batch].map { ($0.track.id, queue.codes.names[$0.track.category], $0.track.score, $0.track.isMoving, $0.track.headingKnown, $0.track.length, $0.box) }
                } else {
                    // Frames without poses (a KITTI object benchmark folder) are unrelated: no identities across them.
                    entries = detections.enumerated().map { k, detection in
                        (untrackedIDs + k + 1, detection.category, detection.score, false, false, nil, TrackedBox(cuboid: detection.cuboid, detection: k))
                    }
                    untrackedIDs += detections.count
                }
                var objects: [LabeledObject] = []
                let imageFiles = frame.images
                for entry in entries {
                    let detection = entry.box.detection.map { detections[$0] }
                    let score = detection.map { summary.tracked ? 0.5 * ($0.score + entry.score) : $0.score } ?? 0.8 * entry.score
                    var object = LabeledObject(trackID: String(entry.id), category: entry.category, cuboid: entry.box.cuboid, score: score)
                    object.attributes["source"] = .text(detection == nil ? "smoothed" : detection!.source)
                    object.attributes["num_points"] = .number(Double(detection?.pointCount ?? 0))
                    object.attributes["moving"] = .flag(entry.moving)
                    for camera in cameras {
                        if let box = projectedBox(entry.box.cuboid, camera: camera, silhouette: silhouettes[entry.category] ?? ProjectionSilhouette(className: entry.category)),
                           box.area > 0 {
                            object.boxes[camera.name] = box
                        }
                    }
                    objects.append(object)
                    // The camera preview to open: the first camera that sees the box and has an image.
                    let view = cameras.first { object.boxes[$0.name] != nil && imageFiles[$0.name] != nil }?.name
                    try queue.add(ReviewItem(frame: index, trackID: entry.id, category: entry.category, kind: kinds(entry.category), headingKnown: entry.headingKnown,
                                             trackLength: entry.length, object: object, detection: detection, camera: view, codes: &queue.codes))
                }
                var labeled = LabeledFrame(name: frame.name, timestamp: frame.timestamp, egoPose: frame.egoPose, objects: objects)
                // A frame of an OpenLABEL detections file keeps its number and its frame-level data.
                if let given = external?[frame.name] {
                    labeled.number = given.number
                    labeled.openLABEL = given.openLABEL
                }
                summary.boxes += objects.count
                for (writer, context) in zip(writers, contexts) { try writer.append(labelsFor(writer.format, labeled, camera: context.camera)) }
                if options.collectLabels { summary.labels.frames.append(labeled) }
                let elapsed = seconds(since: frameStart)
                summary.runTimings.labels += elapsed
                summary.runTimings.frames[index] += elapsed
                if options.previews, let cached {
                    let sweepKey = cached.key.sweep, shown = labeled, cameras = cameras
                    try drawing.submit {
                        try writePreviews(shown, index: index, cameras: cameras, sequence: sequence, folder: output + "/preview",
                                          cache: cache, sweepKey: sweepKey, writes: previewWrites, pictures: pictures,
                                          tiles: sheetFrames.contains(index) ? tiles : nil)
                    }
                }
                progress("write", index + 1, sequence.count)
            }
        }
        let finishStart = DispatchTime.now().uptimeNanoseconds
        for writer in writers { try writer.finish() }
        summary.notes += writers.flatMap(\.notes)
        try queue.write(to: output + "/review_queue.csv", frameNames: sequence.frames.map(\.name), previews: options.previews)
        summary.runTimings.labels += seconds(since: finishStart)
        let previewWait = DispatchTime.now().uptimeNanoseconds
        try drawing.wait()
        let sheetStart = DispatchTime.now().uptimeNanoseconds
        let sheetTiles = tiles.sorted
        if options.previews && !sheetTiles.isEmpty {
            let title = "\(sequence.name): \(sheetTiles.count) of \(sequence.count) frames, \(Int(2 * ContactSheet.tileRange)) m across"
            let sheet = try ImageCodec.encodePNG(ContactSheet.render(tiles: sheetTiles, title: title), compressionLevel: 3)
            try previewWrites.submit { try FileBytes.writeAtomically(sheet, to: output + "/preview/" + contactSheetName) }
            pictures.insert([contactSheetName])
        }
        let sheetSeconds = seconds(since: sheetStart)
        try previewWrites.wait()
        summary.runTimings.waiting += seconds(since: previewWait) - sheetSeconds
        summary.runTimings.previews = drawing.taskSeconds + previewWrites.taskSeconds + sheetSeconds
        // An earlier run in this folder may have had other frames (another sequence), or drawn
        // pictures this run does not (with --no-previews they would not match the labels).
        let frameNames = sequence.frames.map(\.name)
        try removeFiles(in: output + "/preview", endingWith: ".png", except: pictures.names, removingEmptyFolder: !options.previews)
        for format in options.formats where format.isPerFrame {
            let suffix = format == .kitti ? ".txt" : ".json"
            try removeFiles(in: output + "/" + outputName(format), endingWith: suffix, except: Set(frameNames.map { PathComponent.escaped($0) + suffix }), removingEmptyFolder: false)
        }
        summary.skipped = SkippedSweeps.merged(summary.skipped, options.skippedBefore)
        let skippedList = output + "/" + SkippedSweeps.fileName
        if options.onError == .skip {
            try FileBytes.writeAtomically(SkippedSweeps.csv(summary.skipped), to: skippedList)
        } else if manager.fileExists(atPath: skippedList) {
            try manager.removeItem(atPath: skippedList)
        }
        summary.runTimings.wall = seconds(since: runStart)
        return summary
    }

    /// Removes what an earlier run cached for a frame whose sweep this run skipped, so the folder
    /// holds what an uninterrupted run leaves.
    private static func forgetFrame(_ name: String, cache: String) throws {
        for suffix in [".detections.json", ".preview.json"] {
            let path = PathComponent.file(in: cache, name: name, suffix: suffix)
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Removes the files of `folder` whose names end with `suffix` and are not in `kept`, and then
    /// the folder itself when asked and empty; a missing folder is left missing.
    private static func removeFiles(in folder: String, endingWith suffix: String, except kept: Set<String>, removingEmptyFolder: Bool) throws {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasSuffix(suffix) && !kept.contains(name) { try manager.removeItem(atPath: folder + "/" + name) }
        if removingEmptyFolder, (try? manager.contentsOfDirectory(atPath: folder))?.isEmpty == true { try manager.removeItem(atPath: folder) }
    }

    /// The contact sheet's file name in the preview folder (no frame's preview has it: those end `-bev.png` or `-CAMERA.png`).
    static let contactSheetName = "contact_sheet.png"

    /// A preview's file name: `FRAME-bev.png`, or `FRAME-CAMERA.png` for a camera, each name escaped
    /// as one path component.
    static func previewName(_ frame: String, camera: String? = nil) -> String {
        PathComponent.escaped(frame) + "-" + (camera.map(PathComponent.escaped) ?? "bev") + ".png"
    }

    /// A frame's sweep file, its bytes and their ``DetectionCacheKey/sweep`` identity.
    private static func readSweep(_ sequence: SensorSequence, at index: Int) throws -> (path: String, bytes: [UInt8], key: String) {
        let path = try sequence.pointCloudFile(at: index)
        let bytes = try FileBytes.read(path)
        return (path, bytes, DetectionCacheKey.sweep(name: Paths.lastComponent(path), bytes: bytes))
    }

    /// The bird's-eye picture and one per camera with a readable image, unless an earlier run drew
    /// the same: `cache/FRAME.preview.json` holds the ``PreviewInputs`` digest of the pictures
    /// present, written after them and removed before any is redrawn. Draws on the calling thread and
    /// hands the frame's files to `writes`, which writes the pictures and then the stamp.
    /// - Parameter sweepKey: The sweep's identity from the detection cache (`unused`: read it here).
    /// - Parameter pictures: Receives the pictures' file names.
    /// - Parameter tiles: Receives the frame's contact-sheet tile (drawn even when the previews are kept), or nil.
    private static func writePreviews(_ frame: LabeledFrame, index: Int, cameras: [Camera], sequence: SensorSequence, folder: String,
                                      cache: String, sweepKey: String, writes: BackgroundWork, pictures: PictureNames, tiles: SheetTiles?) throws {
        let manager = FileManager.default
        let images = cameras.map { camera in sequence.frames[index].images[camera.name].flatMap { try? FileBytes.read($0) } }
        let sweep = sweepKey == "unused" ? try readSweep(sequence, at: index).key : sweepKey
        let stamp = PreviewInputs.stamp(frame, sweep: sweep, cameras: cameras, images: images)
        let names = [previewName(frame.name)] + zip(cameras, images).compactMap { $1 == nil ? nil : previewName(frame.name, camera: $0.name) }
        let stampPath = PathComponent.file(in: cache, name: frame.name, suffix: ".preview.json")
        var loaded: PointCloud?
        func cloud() throws -> PointCloud {
            if let loaded { return loaded }
            loaded = try sequence.pointCloud(at: index)
            return loaded!
        }
        if let tiles {
            tiles.add(index, name: frame.name, image: PreviewRenderer.birdsEye(cloud: try cloud(), predictions: frame.objects, range: ContactSheet.tileRange,
                                                                                pixelsPerMetre: ContactSheet.tilePixelsPerMetre, annotated: false))
        }
        if (try? FileBytes.read(stampPath)) == stamp && names.allSatisfy({ manager.fileExists(atPath: folder + "/" + $0) }) {
            pictures.insert(names)
            return
        }
        if manager.fileExists(atPath: stampPath) { try manager.removeItem(atPath: stampPath) }
        var drawn: [(name: String, bytes: [UInt8])] = []
        let caption = PreviewRenderer.caption(frame: frame.name, time: frame.timestamp)
        drawn.append((names[0], try ImageCodec.encodePNG(PreviewRenderer.birdsEye(cloud: try cloud(), predictions: frame.objects, caption: caption),
                                                         compressionLevel: 3)))
        for (camera, bytes) in zip(cameras, images) {
            // Decoded from the bytes read for the stamp above, not read a second time.
            guard let bytes, let image = try? ImageCodec.decode(bytes) else { continue }
            drawn.append((previewName(frame.name, camera: camera.name),
                          try ImageCodec.encodePNG(PreviewRenderer.camera(image: image, camera: camera, predictions: frame.objects,
                                                                          caption: caption + " " + camera.name), compressionLevel: 3)))
        }
        let complete = drawn.map(\.name) == names, files = drawn
        try writes.submit {
            for (name, bytes) in files { try FileBytes.writeAtomically(bytes, to: folder + "/" + name) }
            if complete { try FileBytes.writeAtomically(stamp, to: stampPath) }
        }
        pictures.insert(drawn.map(\.name))
    }

    /// Everything a run writes in `output`: the label files, the review queue, and the folders whose
    /// files it names itself (the cache, the previews, per-frame label folders). The command line checks
    /// them against the inputs before the run.
    public static func outputs(in output: String, formats: [LabelFormat]) -> (files: [String], folders: [String]) {
        var files = [output + "/review_queue.csv", output + "/" + SkippedSweeps.fileName], folders = [output + "/cache", output + "/preview"]
        for format in formats {
            if format.isFolder { folders.append(output + "/" + outputName(format)) } else { files.append(output + "/" + outputName(format)) }
        }
        return (files, folders)
    }

    /// Refuses, before any frame is detected or any file written, a format this sequence cannot fill:
    /// KITTI labels only what camera 2 sees (a sequence without it would give empty files; on a rig
    /// without KITTI's calibration, `camera` stands for camera 2), CVAT and
    /// MOT hold one camera's boxes (`camera`, or the sequence's only one) and COCO at least one camera's.
    /// - Parameters:
    ///   - formats: The output formats asked for.
    ///   - sequence: The recording to be pre-labelled.
    ///   - camera: The camera the one-camera formats take; it must be one of the sequence's.
    /// - Throws: `LabelFileError.missingContext(_:)` saying why, or the calibration's read error.
    public static func checkFormats(_ formats: [LabelFormat], sequence: SensorSequence, camera: String? = nil) throws {
        let cameras = sequence.count > 0 ? try sequence.cameras(at: 0).map(\.name) : []
        let listed = cameras.isEmpty ? "none" : cameras.joined(separator: ", ")
        if let camera, !cameras.contains(camera) {
            throw LabelFileError.missingContext("--camera \(camera) is not a camera of this sequence (cameras: \(listed))")
        }
        for format in formats {
            switch format {
            case .kitti, .kittiTracking:
                let given = try context(for: format, sequence: sequence, camera: camera)
                guard cameras.contains(where: kittiCameraNames.contains) || given.camera != nil else {
                    throw LabelFileError.missingContext("\(format.rawValue) labels only what camera 2 sees, and this sequence has no camera 2 "
                        + "(image_2 or image_02; cameras: \(listed)), so every frame would be empty; write openlabel or sustechpoints, which hold cuboids alone")
                }
            case .cvat, .cvatVideo, .mot:
                guard cameras.count == 1 || camera != nil else {
                    throw LabelFileError.missingContext("\(format.rawValue) holds the boxes of one camera, and this sequence has "
                        + (cameras.isEmpty ? "none, so the file would be empty" : "\(cameras.count) (\(listed)); choose one with --camera, or write openlabel, which holds every camera"))
                }
            case .coco:
                guard !cameras.isEmpty else {
                    throw LabelFileError.missingContext("coco holds camera boxes, and this sequence has no camera, so the file would be empty; write openlabel")
                }
            case .openLABEL, .susTechPOINTS, .nuScenes, .datumaro, .nuScenesInfo, .kittiRaw, .slyPointCloud, .segmentsAI:
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
        case .cvatVideo: "cvat_video.xml"
        case .kittiRaw: "kitti_raw"
        case .slyPointCloud: "sly_pointcloud"
        case .segmentsAI: "segments_ai"
        }
    }

    private static func context(for format: LabelFormat, sequence: SensorSequence, camera: String? = nil) throws -> LabelContext {
        var context = LabelContext()
        if format == .cvat || format == .cvatVideo || format == .mot { context.camera = camera }
        if format == .kitti || format == .kittiTracking {
            if let calibration = try sequence.kittiCalibration(at: 0) {
                context.calibration = calibration
                if sequence.layout == .kittiObject { context.calibrationFolder = sequence.root }
            } else if let camera {
                // A rig without KITTI's calibration: the chosen camera stands for KITTI's camera 2
                // (the writer's KITTICalibration(camera:), from its intrinsics and its pose from the sensor).
                context.camera = camera
            } else {
                throw LabelFileError.missingContext("KITTI output needs a KITTI calibration; this \(sequence.layout.rawValue) sequence has none: "
                    + "give --camera to write the boxes of one of its cameras as KITTI's camera 2")
            }
        }
        context.decimals = 2
        return context
    }

    /// KITTI labels only what camera 2 sees: `image_2` or `image_02`, or on a rig without KITTI's
    /// calibration the camera that stands for it (`camera`, ``checkFormats(_:sequence:camera:)``).
    private static func labelsFor(_ format: LabelFormat, _ frame: LabeledFrame, camera: String?) -> LabeledFrame {
        guard format == .kitti || format == .kittiTracking else { return frame }
        var frame = frame
        frame.objects = frame.objects.compactMap { object in
            var object = object
            guard let box = camera.flatMap({ object.boxes[$0] }) ?? object.boxes["image_2"] ?? object.boxes["image_02"] else { return nil }
            object.boxes = [LabeledObject.kittiCamera: box]
            return object
        }
        return frame
    }
}

/// The preview file names a run drew or kept, gathered from the drawing threads.
final class PictureNames: @unchecked Sendable {
    private let lock = NSLock()
    private var set: Set<String> = []
    func insert(_ names: [String]) { lock.withLock { set.formUnion(names) } }
    var names: Set<String> { lock.withLock { set } }
}

/// The contact-sheet tiles drawn so far, by frame index, gathered from the drawing threads.
final class SheetTiles: @unchecked Sendable {
    private let lock = NSLock()
    private var tiles: [Int: (name: String, image: Image)] = [:]
    func add(_ index: Int, name: String, image: Image) { lock.withLock { tiles[index] = (name, image) } }
    /// The tiles in frame order.
    var sorted: [(name: String, image: Image)] { lock.withLock { tiles.sorted { $0.key < $1.key }.map(\.value) } }
}

/// What a preview picture shows, as the stamp that lets a later run keep it: the tool version,
/// the sweep's identity, each camera (calibration, and the digest of its image's bytes or none), and
/// every field of every label drawn, numbers exact.
enum PreviewInputs {
    static func stamp(_ frame: LabeledFrame, sweep: String, cameras: [Camera], images: [[UInt8]?]) -> [UInt8] {
        var digest = Digest64()
        digest.combine(CuboidVersion.build)
        digest.combine(sweep)
        // The caption: the frame's name and time.
        digest.combine("\(frame.name) \(frame.timestamp.map { "\($0)" } ?? "-")")
        for (camera, image) in zip(cameras, images) {
            digest.combine(String(reflecting: camera))
            digest.combine(image.map { Digest64($0).hex } ?? "no image")
        }
        func value(_ value: LabelValue) -> String {
            switch value {
            case .number(let number): "number \(number)"
            case .text(let text): "text \(text)"
            case .flag(let flag): "flag \(flag)"
            }
        }
        for object in frame.objects {
            digest.combine("\(object.trackID ?? "-") \(object.category) \(object.score.map { "\($0)" } ?? "-") \(object.roll) \(object.pitch)")
            digest.combine(object.cuboid.map { String(reflecting: $0) } ?? "no cuboid")
            for (camera, box) in object.boxes.sorted(by: { $0.key < $1.key }) { digest.combine(camera + " " + String(reflecting: box)) }
            for (name, attribute) in object.attributes.sorted(by: { $0.key < $1.key }) { digest.combine(name + " " + value(attribute)) }
            digest.combine("end of object")
        }
        return Array((JSONOutput.object([("version", .number(1)), ("inputs", .string("digest64 " + digest.hex))]).rendered(indent: 0) + "\n").utf8)
    }
}
