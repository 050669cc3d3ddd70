public import CuboidDatasets
public import CuboidFormats
import CuboidKernels
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
    /// The camera whose 2D boxes the one-camera formats (CVAT, MOT) get; nil: the sequence's only camera.
    public var camera: String?
    /// External detections: a label set readable by `LabelStore` with frames named as the sequence's.
    public var externalDetections: LabelSet?
    public var externalMode: ExternalDetectionMode = .join
    /// Whether to write preview images.
    public var previews = true
    /// Threads for the per-cluster fits (outputs do not depend on it).
    public var threads = Parallelism.availableCores
    /// Whether to return every label in ``PrelabelSummary/labels`` (for scoring), which makes memory
    /// grow with the sequence; off, the run's memory does not depend on the number of frames.
    public var collectLabels = false
    /// What a sweep that cannot be read does: stops the run (default), or is skipped (see
    /// ``PrelabelRunner/run(_:output:options:progress:)``).
    public var onError: SweepErrorPolicy = .stop
    /// Sweeps an earlier step on the same sequence skipped (the odometry estimating its poses);
    /// listed with the run's own in ``PrelabelSummary/skipped``.
    public var skippedBefore: [SkippedSweep] = []
    public init() {}
}

/// Figures of one run.
public struct PrelabelSummary: Sendable {
    public var frames = 0
    /// Frames whose detections came from the cache of an earlier run on the same inputs (see
    /// ``DetectionCacheKey``).
    public var resumedFrames = 0
    /// Frames that had a cache file made from other inputs, or one that could not be read, and
    /// were detected again.
    public var redetectedFrames = 0
    /// Of the ``redetectedFrames``, how many differed in each input (a frame may differ in several).
    public var redetectionReasons: [CacheMismatch: Int] = [:]
    public var tracks = 0
    public var boxes = 0
    /// Sum of the detector's stage times over the frames detected in this run, seconds.
    public var detectionTimings = DetectionTimings()
    public var trackingSeconds = 0.0
    /// Where the whole run's time went, detection aside.
    public var runTimings = PrelabelRunTimings()
    /// Whether tracks link frames (the sequence has poses) or every frame stands alone.
    public var tracked = false
    /// The labels written, sensor frame, when ``PrelabelOptions/collectLabels`` asked for them.
    public var labels = LabelSet()
    /// What the outputs could not keep of an OpenLABEL `--detections` file, one line per kind with
    /// its count (see ``PrelabelRunner/run(_:output:options:progress:)``).
    public var notes: [String] = []
    /// The sweeps left out under `SweepErrorPolicy/skip`, in frame order (also in
    /// `OUT/skipped_sweeps.csv`).
    public var skipped: [SkippedSweep] = []
}

/// Where a prelabel run's time went besides the detector's stages (``PrelabelSummary/detectionTimings``),
/// seconds. The run is pipelined: cache writes and previews run on other threads while the main
/// thread detects and writes labels, so the parts do not add up to ``wall``.
public struct PrelabelRunTimings: Sendable, Hashable {
    /// The run from its start to its last file, wall clock.
    public var wall = 0.0
    /// Main thread: reading sweeps (bytes, their digest, decoding) and looking up the cache.
    public var reading = 0.0
    /// Other threads: encoding and atomically writing the detection cache (summed over tasks).
    public var cacheWriting = 0.0
    /// Main thread: the labels (reading detections back, projecting into the cameras, the label
    /// files and the review queue).
    public var labels = 0.0
    /// Other threads: drawing, encoding and writing the previews (summed over tasks).
    public var previews = 0.0
    /// Main thread: waiting for the other threads' cache writes and previews.
    public var waiting = 0.0
    /// Main thread time per frame (its share of detection, reading, tracking and labels; not the
    /// other threads' work), one entry a frame in sequence order: 8 bytes a frame.
    public var frames: [Double] = []
    public init() {}

    /// The median of ``frames``, seconds; 0 without frames.
    public var medianFrame: Double {
        guard !frames.isEmpty else { return 0 }
        let sorted = frames.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
