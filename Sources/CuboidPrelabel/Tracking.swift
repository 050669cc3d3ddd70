public import CuboidGeometry
import CuboidKernels
import Foundation

/// One frame of input to the tracker: the frame's detections in its sensor frame, the weak evidence
/// beside them (``LidarDetector/detectWithEvidence(_:threads:)``), the sensor's pose in the world
/// (identity when unknown) and the time, seconds.
public struct TrackerFrame: Sendable, Hashable {
    public var detections: [Detection]
    /// Returns no class fitted: they keep a confirmed track in this frame, never start one.
    public var evidence: [Detection]
    public var worldFromSensor: RigidPose
    public var time: Double
    public init(detections: [Detection], evidence: [Detection] = [], worldFromSensor: RigidPose, time: Double) {
        self.detections = detections
        self.evidence = evidence
        self.worldFromSensor = worldFromSensor
        self.time = time
    }
}

/// A refined track: one identity, one class, one size, a box in every frame from its first to its last.
public struct Track: Sendable, Hashable {
    /// Identity, from 1, in order of confirmation; numbers of tracks dropped as too weak (see
    /// ``TrackingConfiguration/minimumTrackScore``) or as a person too fast to be one (see
    /// ``TrackingConfiguration/maximumCyclistSpeed``) are not reused.
    public var id: Int
    /// Majority class (weighted by detection scores); a moving Pedestrian faster than
    /// ``TrackingConfiguration/maximumPedestrianSpeed`` is a Cyclist (``ClassModel/fasterClass``).
    public var category: String
    /// The kind of the track's class (every detection it holds is of this kind).
    public var kind: ObjectKind
    /// Track confidence in 0...1: the mean score of its detections times 1 - exp(-detections / 3).
    public var score: Double
    /// Whether the object moved (smoothed centre displaced by more than the configured distance).
    public var isMoving: Bool
    /// Whether the heading (front vs back) is known: from the motion of a moving track.
    public var headingKnown: Bool
    /// Per frame index: the box in that frame's sensor frame.
    public var boxes: [Int: TrackedBox]
}

/// A track's box in one frame.
public struct TrackedBox: Sendable, Hashable {
    /// The box in the frame's sensor frame.
    public var cuboid: Box3D
    /// Index of the frame's detection it came from; nil where the object was not detected and the box
    /// is the smoothed estimate.
    public var detection: Int?
    public init(cuboid: Box3D, detection: Int?) {
        self.cuboid = cuboid
        self.detection = detection
    }
}

/// Multi-object tracking and offline refinement in the world frame, over a whole sequence at once.
///
/// The same as feeding ``StreamingTracker`` every frame and collecting its tracks.
public struct Tracker: Sendable {
    public let configuration: TrackingConfiguration
    /// The classes the detections come from (a moving person's class follows its speed, and its
    /// box the class's typical size).
    public let classes: [ClassModel]

    /// The rules a person's track must meet (see ``PersonConfiguration``).
    public let persons: PersonConfiguration

    public init(configuration: TrackingConfiguration = TrackingConfiguration(), classes: [ClassModel] = ClassModel.defaults,
                persons: PersonConfiguration = PersonConfiguration()) {
        self.configuration = configuration
        self.classes = classes
        self.persons = persons
    }

    /// Tracks through a sequence.
    /// - Parameter frames: Frames in time order (times not decreasing).
    /// - Returns: Confirmed tracks, by id.
    /// - Complexity: O(F (T + D)^3) for the per-frame assignments.
    public func track(_ frames: [TrackerFrame]) -> [Track] {
        var tracker = StreamingTracker(configuration: configuration, classes: classes, persons: persons)
        var tracks: [Track] = []
        for frame in frames { tracks += tracker.add(frame) }
        tracks += tracker.finish()
        return tracks.sorted { $0.id < $1.id }
    }
}

/// Multi-object tracking and offline refinement in the world frame, one frame at a time, with
/// memory bounded by the live tracks and a window of recent frames, not by the sequence's length.
///
/// Forward: a constant-velocity Kalman filter per track (x and y independently), Hungarian
/// assignment on centre distance within a gate, between compatible classes (vehicles with vehicles,
/// people and cyclists with each other); tracks survive ``TrackingConfiguration/maximumMissedFrames``
/// unseen frames. A track is confirmed (and numbered, from 1, in order of confirmation) at
/// ``TrackingConfiguration/minimumHits`` detections; it is then extended backwards, up to
/// ``TrackingConfiguration/backwardExtensionFrames`` frames, with its smoothed velocity, taking
/// detections no other track holds. When a confirmed track ends it is refined: a Rauch-Tung-Striebel
/// smoother over all its frames (so frames where it was occluded get a box), one size (the median),
/// one class (score-weighted vote; a Pedestrian faster than
/// ``TrackingConfiguration/maximumPedestrianSpeed`` rides, and is a Cyclist), static tracks pinned
/// to one place and heading, and yaw flips fixed (moving tracks point along their velocity, others
/// keep one orientation modulo pi).
public struct StreamingTracker: Sendable {
    public let configuration: TrackingConfiguration
    /// Time and pose of the frames from `firstKept` on (those a live track or the window may need).
    var times: FrameWindow<Double> = FrameWindow()
    var poses: FrameWindow<RigidPose> = FrameWindow()
    /// The last frames' world detections and evidence and which tracklet holds each (for backward
    /// extension).
    private var recent: [RecentFrame] = []
    private var live: [Tracklet] = []
    private var nextSerial = 0
    private var nextID = 1

    /// Per class with a ``ClassModel/fasterClass``: that class and its typical size (length, width,
    /// height).
    let fasterClasses: [String: (name: String, size: SIMD3<Double>)]
    /// The kind of every class name.
    private let kinds: ClassKinds

    /// The rules a person's track must meet (see ``PersonConfiguration``).
    public let persons: PersonConfiguration

    /// - Parameter configuration: The tracker's gates and lifetimes.
    /// - Parameter classes: The classes the detections come from, with their kinds; a moving track
    ///   voted a class with a ``ClassModel/fasterClass`` that is too fast for it takes that class.
    /// - Parameter persons: The rules a person's track must meet to be handed out.
    public init(configuration: TrackingConfiguration = TrackingConfiguration(), classes: [ClassModel] = ClassModel.defaults,
                persons: PersonConfiguration = PersonConfiguration()) {
        self.configuration = configuration
        self.persons = persons
        var fasterClasses: [String: (name: String, size: SIMD3<Double>)] = [:]
        for model in classes {
            guard let faster = model.fasterClass, let target = classes.first(where: { $0.name == faster }) else { continue }
            fasterClasses[model.name] = (faster, SIMD3(target.typical[0], target.typical[1], target.typical[2]))
        }
        self.fasterClasses = fasterClasses
        kinds = ClassKinds(classes: classes, external: configuration.externalClasses)
    }

    /// Adds the next frame.
    /// - Parameter frame: The next frame; its time is not before the previous frame's.
    /// - Returns: The tracks this frame completed (they can no longer change), by id.
    public mutating func add(_ frame: TrackerFrame) -> [Track] {
        precondition(times.last.map { $0 <= frame.time } ?? true, "frames must be in time order")
        let f = times.endFrame
        times.append(frame.time)
        poses.append(frame.worldFromSensor)
        let detections = frame.detections.enumerated().map { WorldDetection($1, index: $0, kind: kinds($1.category), worldFromSensor: frame.worldFromSensor) }
        let evidence = frame.evidence.enumerated().map { WorldDetection($1, index: $0, kind: kinds($1.category), worldFromSensor: frame.worldFromSensor) }
        recent.append(RecentFrame(frame: f, detections: detections, evidence: evidence))
        for k in live.indices { live[k].predict(to: frame.time, configuration) }
        var cost = Matrix(rows: live.count, columns: detections.count, repeating: 1e9)
        for (t, tracklet) in live.enumerated() {
            // The gate widens with the prediction's uncertainty: a new track does not know its
            // velocity yet (a highway car moves 3 m a frame), a coasting one drifts.
            let gate = configuration.gateDistance + 2 * max(tracklet.predicted.0.p[0], tracklet.predicted.1.p[0]).squareRoot()
            for (d, detection) in detections.enumerated() where tracklet.kind == detection.kind {
                let distance = (tracklet.position - SIMD2(detection.box.x, detection.box.y)).length
                if distance <= gate { cost[t, d] = distance }
            }
        }
        let pairs = live.isEmpty || detections.isEmpty ? [] : optimalAssignment(cost: cost, maximumCost: 1e8)
        var matchedTracks = Set<Int>(), matchedDetections = Set<Int>()
        var newlyConfirmed: [Int] = []
        for pair in pairs {
            live[pair.row].update(frame: f, detection: detections[pair.column], configuration)
            recent[recent.count - 1].holder[pair.column] = live[pair.row].serial
            if live[pair.row].id == nil && live[pair.row].hits >= configuration.minimumHits { newlyConfirmed.append(pair.row) }
            matchedTracks.insert(pair.row)
            matchedDetections.insert(pair.column)
        }
        for t in live.indices where !matchedTracks.contains(t) {
            live[t].miss(frame: f)
            // A confirmed track that found no detection may still be there: weak evidence near its
            // prediction keeps it (a static one, which cannot have gone, is kept alive by it).
            guard live[t].id != nil, let e = nearestEvidence(in: recent.count - 1, to: live[t].position, for: live[t].kind) else { continue }
            recent[recent.count - 1].evidenceHolder[live[t].kind.slot][e] = live[t].serial
            live[t].evidence.append(EvidenceSighting(frame: f, box: recent[recent.count - 1].evidence[e].box))
            if live[t].isSlow { live[t].missed = 0 }
        }
        for (d, detection) in detections.enumerated() where !matchedDetections.contains(d) {
            live.append(Tracklet(frame: f, time: frame.time, detection: detection, configuration))
            live[live.count - 1].serial = nextSerial
            recent[recent.count - 1].holder[d] = nextSerial
            nextSerial += 1
            if configuration.minimumHits <= 1 { newlyConfirmed.append(live.count - 1) }
        }
        // Numbered in order of confirmation; ties (same frame) by the detection they took.
        newlyConfirmed.sort { (live[$0].steps.last!.detection!.index) < (live[$1].steps.last!.detection!.index) }
        for k in newlyConfirmed { confirm(k) }

        var ended: [Tracklet] = []
        live.removeAll { tracklet in
            guard tracklet.missed > configuration.maximumMissedFrames else { return false }
            ended.append(tracklet)
            return true
        }
        let window = configuration.backwardExtensionFrames + configuration.maximumMissedFrames + 1
        if recent.count > window { recent.removeFirst(recent.count - window) }
        let tracks = finalize(ended, atSequenceEnd: false)
        let needed = live.map(\.earliestFrame).min().map { min($0, recent[0].frame) } ?? recent[0].frame
        times.drop(before: needed)
        poses.drop(before: needed)
        return tracks
    }

    /// Ends the sequence.
    /// - Returns: The tracks still open, by id.
    public mutating func finish() -> [Track] {
        let ended = live
        live = []
        return finalize(ended, atSequenceEnd: true)
    }

    /// - Parameter atSequenceEnd: Whether the tracklets were still live at the sequence's last frame.
    private mutating func finalize(_ ended: [Tracklet], atSequenceEnd: Bool) -> [Track] {
        var tracks: [Track] = []
        for tracklet in ended {
            if let id = tracklet.id {
                // A track less sure than one reported detection (a bush's fragments that passed as
                // a car in two sweeps, carried on by evidence) is not refined nor handed out; its
                // number stays unused.
                let score = tracklet.kind == .vehicle ? vehicleScore(tracklet) : tracklet.score
                if score >= configuration.minimumTrackScore, tracklet.kind != .vehicle || detectionShare(tracklet) > configuration.minimumVehicleDetectionShare,
                   tracklet.kind != .vehicle || hasEnoughDetections(tracklet, atSequenceEnd: atSequenceEnd),
                   tracklet.kind != .person || holdsAsPerson(tracklet),
                   let track = refine(tracklet, id: id, score: score) { tracks.append(track) }
            } else {
                // An unconfirmed tracklet lets go of its detections: a later track may extend over them.
                for step in tracklet.steps {
                    guard let detection = step.detection, let r = recentIndex(step.frame), recent[r].holder[detection.index] == tracklet.serial else { continue }
                    recent[r].holder[detection.index] = nil
                }
            }
        }
        return tracks.sorted { $0.id < $1.id }
    }

    /// A vehicle track's confidence in 0...1: the mean score of its detections, times
    /// 1 - exp(-detections / ``TrackingConfiguration/vehicleDetectionScale``), times (when
    /// ``TrackingConfiguration/vehicleDetectionShare`` is on) the share of the frames from its first
    /// to its last detection that have one.
    ///
    /// A vehicle in a 10 Hz drive stays in view for seconds and, seen at all, is seen in most sweeps:
    /// a track of a few detections, or one whose detections come and go (pieces of a hedge or a
    /// facade that pass as a vehicle in one sweep out of two, carried on by evidence), is doubtful.
    func vehicleScore(_ tracklet: Tracklet) -> Double {
        let measured = tracklet.steps.compactMap(\.detection)
        let meanScore = measured.map(\.score).reduce(0, +) / Double(measured.count)
        var score = meanScore * (1 - exp(-Double(measured.count) / configuration.vehicleDetectionScale))
        if configuration.vehicleDetectionShare { score *= detectionShare(tracklet) }
        return score
    }

    /// Whether a vehicle tracklet has ``TrackingConfiguration/minimumVehicleDetections``
    /// detections, or the sequence cut it short (its first detection within
    /// ``TrackingConfiguration/maximumMissedFrames`` of the first frame, or still live at the last).
    func hasEnoughDetections(_ tracklet: Tracklet, atSequenceEnd: Bool) -> Bool {
        let measured = tracklet.steps.filter { $0.detection != nil }
        if measured.count >= configuration.minimumVehicleDetections || atSequenceEnd { return true }
        return (measured.first?.frame ?? 0) <= configuration.maximumMissedFrames
    }

    /// Whether a person's track is sure enough to hand out: its score (``Tracklet/score``) at least
    /// ``PersonConfiguration/minimumTrackScore``, detections in at least
    /// ``PersonConfiguration/minimumTrackDetectionShare`` of the frames from its first to its last,
    /// and a median detected height of at least ``PersonConfiguration/minimumTrackHeight``.
    ///
    /// One sweep tells a person from street furniture of a person's size poorly; the frames of a
    /// track tell it better. A person in view is detected in most sweeps, with the same height,
    /// while a shrub, a hedge's end or a pole passes the person rules only from some viewpoints, and
    /// the track is carried between those sweeps by its prediction and by evidence.
    func holdsAsPerson(_ tracklet: Tracklet) -> Bool {
        let measured = tracklet.steps.compactMap(\.detection)
        guard !measured.isEmpty, tracklet.score >= persons.minimumTrackScore,
              detectionShare(tracklet) >= persons.minimumTrackDetectionShare else { return false }
        let heights = measured.map(\.box.height).sorted()
        return heights[heights.count / 2] >= persons.minimumTrackHeight
    }

    /// The share of the frames from a tracklet's first to its last detection that have one, in
    /// (0, 1]; 0 for a tracklet without detections.
    func detectionShare(_ tracklet: Tracklet) -> Double {
        let measured = tracklet.steps.filter { $0.detection != nil }
        guard let first = measured.first?.frame, let last = measured.last?.frame else { return 0 }
        return Double(measured.count) / Double(last - first + 1)
    }

    private func recentIndex(_ frame: Int) -> Int? {
        guard let first = recent.first?.frame, frame >= first, frame - first < recent.count else { return nil }
        return frame - first
    }

    /// Numbers a tracklet and extends it towards the past with its smoothed velocity.
    private mutating func confirm(_ k: Int) {
        live[k].id = nextID
        nextID += 1
        guard configuration.backwardExtensionFrames > 0, let first = live[k].smoothed().first else { return }
        var misses = 0
        var f = live[k].firstFrame - 1
        let limit = max(0, live[k].firstFrame - configuration.backwardExtensionFrames)
        var additions: [(Int, WorldDetection)] = []
        var sightings: [EvidenceSighting] = []
        let slow = first.velocity.length < Tracklet.slowSpeed
        while f >= limit, misses <= configuration.maximumMissedFrames, let r = recentIndex(f) {
            let dt = first.time - times[f]
            let predicted = first.position - first.velocity * dt
            let gate = configuration.gateDistance * (1 + 0.5 * Double(misses))
            var best: (Int, Double)? = nil
            for (d, detection) in recent[r].detections.enumerated() where recent[r].holder[d] == nil && live[k].kind == detection.kind {
                let distance = (predicted - SIMD2(detection.box.x, detection.box.y)).length
                if distance <= gate && distance < (best?.1 ?? .infinity) { best = (d, distance) }
            }
            if let (d, _) = best {
                recent[r].holder[d] = live[k].serial
                additions.append((f, recent[r].detections[d]))
                misses = 0
            } else if let e = nearestEvidence(in: r, to: predicted, for: live[k].kind) {
                recent[r].evidenceHolder[live[k].kind.slot][e] = live[k].serial
                sightings.append(EvidenceSighting(frame: f, box: recent[r].evidence[e].box))
                misses = slow ? 0 : misses + 1
            } else {
                misses += 1
            }
            f -= 1
        }
        if !additions.isEmpty {
            live[k] = live[k].prepending(additions.reversed(), times: times, configuration)
        }
        live[k].evidence += sightings
    }

    /// The nearest evidence of a recent frame that no track holds, within the gate of a position.
    private func nearestEvidence(in r: Int, to position: SIMD2<Double>, for kind: ObjectKind) -> Int? {
        var best: (Int, Double)? = nil
        for (e, evidence) in recent[r].evidence.enumerated() where recent[r].evidenceHolder[kind.slot][e] == nil {
            let distance = (position - SIMD2(evidence.box.x, evidence.box.y)).length
            if distance <= configuration.gateDistance && distance < (best?.1 ?? .infinity) { best = (e, distance) }
        }
        return best?.0
    }
}

/// Values for a sliding range of frame indices: appended at the end, dropped from the front.
struct FrameWindow<Value: Sendable>: Sendable {
    private var values: [Value] = []
    private var first = 0
    /// One past the last frame appended.
    var endFrame: Int { first + values.count }
    var last: Value? { values.last }
    mutating func append(_ value: Value) { values.append(value) }
    subscript(frame: Int) -> Value {
        precondition(frame >= first && frame < endFrame, "frame \(frame) is outside the window \(first)..<\(endFrame)")
        return values[frame - first]
    }
    /// Forgets frames before `frame`, in steps of 256 so the copying stays amortised O(1) a frame.
    mutating func drop(before frame: Int) {
        let count = min(frame, endFrame) - first
        guard count >= 256 else { return }
        values.removeFirst(count)
        first += count
    }
}

/// One recent frame: its world detections and evidence, and which tracklet (by serial) holds each.
struct RecentFrame: Sendable {
    var frame: Int
    var detections: [WorldDetection]
    var holder: [Int?]
    var evidence: [WorldDetection]
    /// Which tracklet holds each evidence, per kind (by ``ObjectKind/slot``): a person's
    /// track and a vehicle's may both take the same unclassified cluster, and neither takes it
    /// from the other.
    var evidenceHolder: [[Int?]]
    init(frame: Int, detections: [WorldDetection], evidence: [WorldDetection]) {
        self.frame = frame
        self.detections = detections
        holder = [Int?](repeating: nil, count: detections.count)
        self.evidence = evidence
        evidenceHolder = [[Int?]](repeating: [Int?](repeating: nil, count: evidence.count), count: ObjectKind.allCases.count)
    }
}

/// Weak evidence a track took in one frame: its footprint in the world frame.
struct EvidenceSighting: Sendable {
    var frame: Int
    var box: Box3D
}

struct WorldDetection: Sendable {
    var index: Int
    var box: Box3D
    var score: Double
    var category: String
    /// The kind of its class.
    var kind: ObjectKind
    /// Returns the detection was made from (0: external, unknown).
    var points: Int
    /// The detection's outline (vehicles only: only their static tracks are refitted; single
    /// precision keeps long tracks small) and the sensor's position, world frame.
    var outline: [SIMD2<Float>]
    var sensor: SIMD2<Double>

    /// Detection `index` of a frame, in the world frame.
    init(_ detection: Detection, index: Int, kind: ObjectKind, worldFromSensor: RigidPose) {
        self.index = index
        box = detection.cuboid.transformed(by: worldFromSensor)
        score = detection.score
        category = detection.category
        self.kind = kind
        points = detection.pointCount
        outline = kind != .vehicle ? [] : (detection.outline ?? []).map { p in
            let w = worldFromSensor.apply(to: SIMD3(p.x, p.y, 0))
            return SIMD2(Float(w.x), Float(w.y))
        }
        let origin = worldFromSensor.apply(to: .zero)
        sensor = SIMD2(origin.x, origin.y)
    }
}
