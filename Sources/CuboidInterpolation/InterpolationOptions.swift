public import CuboidFormats
import CuboidKernels
import CuboidGeometry

/// How the frames between two keyframes of a track are filled.
public enum InterpolationMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// Keyframes mapped to the world frame with the ego poses, interpolated there by timestamp (centre
    /// linearly, yaw along the shorter arc, one size per track) and mapped back into each frame.
    case world
    /// As ``world``, but centre and yaw follow a cubic Hermite spline through all of the track's
    /// keyframes, so an object that accelerates or turns stays on its path between keyframes.
    case worldSmooth = "world-smooth"
    /// The plain baseline: each keyframe mapped to the world frame with its ego pose, then every
    /// component between the two nearest keyframes there (centre, size, roll, pitch linearly by time,
    /// yaw along the shorter arc), mapped back. No heading-flip handling, no track size, no curve.
    /// Kept to compare against: ``world`` and ``worldSmooth`` must not do worse than it.
    case worldLinear = "world-linear"
    /// Every component (`x, y, z, roll, pitch, yaw, length, width, height`) linearly between the two
    /// keyframes in each sweep's own sensor frame, yaw as a plain number: what CVAT does. Kept to
    /// compare against; it bends the path of anything seen from a moving car and spins boxes whose yaw
    /// crosses +-pi.
    case sensorLinear = "sensor-linear"
}

/// Where a box of an interpolated track comes from; written as the text attribute `interpolation`.
public enum BoxOrigin: String, Sendable, Hashable, Codable, CaseIterable {
    /// A human keyframe, passed through unchanged.
    case keyframe
    /// Filled between keyframes.
    case interpolated
    /// Filled between keyframes, then moved to fit the frame's lidar points.
    case snapped

    /// The attribute name under which the origin is written.
    public static let attributeName = "interpolation"
}

/// How `--snap` refines an interpolated cuboid against its frame's lidar points.
///
/// Candidates are the interpolated box shifted on a grid in x and y (sensor frame) and turned about its
/// centre, size fixed. A candidate's fit is the number of returns inside the box minus the number in a
/// shell `margin` wide around its sides. The box moves only when the best fit beats the unmoved box by
/// `minimumGain` returns and the box holds `minimumPoints`; among candidates within `minimumGain`
/// of the best, the one nearest the interpolated box wins, so a box moves no further than the returns
/// demand.
public struct SnapSettings: Sendable, Hashable, Codable {
    /// Largest shift in x and in y, metres.
    public var maximumShift: Double = 0.5
    /// Grid step of the shift, metres.
    public var shiftStep: Double = 0.1
    /// Largest turn, radians.
    public var maximumTurn: Double = 4 * .pi / 180
    /// Turn step, radians.
    public var turnStep: Double = 1 * .pi / 180
    /// Returns the box must hold after the move.
    public var minimumPoints: Int = 10
    /// Returns the move must gain over the unmoved box.
    public var minimumGain: Int = 3
    /// Width of the shell around the box whose returns count against a candidate, metres.
    public var margin: Double = 0.3
    /// Returns lower than this above the box's bottom are ignored (ground), metres.
    public var groundClearance: Double = 0.2
    /// Snap a track's filled boxes only when the same search leaves every one of its keyframes (in
    /// its own sweep) where the human drew it. Where it would move a keyframe, the returns do not fit
    /// the boxes as this track is drawn (gold drawn with a margin, as KITTI's is; a vehicle seen from
    /// one face; a neighbour in the shell), and snapping would move the filled boxes away from the
    /// gold as well. Without this check, snapping lowered the BEV IoU on kitti_tracking 0000 (K=10,
    /// world-smooth: 0.928 to 0.881).
    public var requireStillKeyframes: Bool = true

    public init() {}
}

/// Everything ``KeyframeInterpolator`` can be told.
public struct InterpolationOptions: Sendable, Hashable {
    /// The interpolation method.
    public var method: InterpolationMethod = .worldSmooth
    /// A track whose keyframe centres (world frame, bird's-eye view) all lie within this distance of
    /// their median is static: its filled boxes follow the straight world line between its two nearest
    /// keyframes, never one averaged box (real gold of a still object drifts a few centimetres a
    /// frame in the world; the keyframes say where it is). Metres.
    public var staticTolerance: Double = 0.3
    /// Keyframes whose sides all lie within this fraction of the track's median sides are one size
    /// drawn with hand noise: every box of the world methods gets the median. When any side of any
    /// keyframe differs by more (the keyframes disagree in size on purpose, for instance an object
    /// first seen in part), each filled box takes its size linearly between its two keyframes.
    public var sizeTolerance: Double = 0.05
    /// ``InterpolationMethod/worldSmooth`` fills each gap between two keyframes with its curve or
    /// with the straight world line, by how well each predicts the gap's own keyframes, each held
    /// out in turn (the curve through the others against the line between its neighbours; error:
    /// mean bird's-eye-view corner distance, metres). The first and last gap hold out one keyframe
    /// each, predicted by the curve through the keyframes that gap's own curve uses (the first and
    /// third; the last and third from the end), so a change of speed beyond them does not count. A track that travels at least
    /// ``curvePriorTravel`` of its length per gap, or moves at ``curvePriorSpeed`` or faster, moves
    /// with momentum: the curve is its default, and a gap takes the line only when the line's
    /// held-out error is below this fraction of the curve's. A track that creeps or drifts (parked cars
    /// whose gold wanders with the poses, pedestrians standing) has the line as default, and a gap
    /// takes the curve only when the curve's error is below this fraction of the line's. A gap
    /// without a keyframe to hold out (tracks of two keyframes) keeps the default. A static track
    /// (``staticTolerance``) takes the line everywhere. 0.5: the other must predict twice as well
    /// (the held-out test spans two gaps, a coarser scale than the fill).
    public var curveAdvantage: Double = 0.5
    /// Travel per gap between keyframes (first to last keyframe, over the gaps), as a fraction of the
    /// track's longer side, from which the curve is a track's default (see ``curveAdvantage``).
    public var curvePriorTravel: Double = 1.0
    /// Mean speed (first to last keyframe, world frame, bird's-eye view) from which the curve is a
    /// track's default whatever its travel per gap, metres per second (per unit of frame time when
    /// the frames have no timestamps). Travel per gap depends on the keyframe spacing: a car at
    /// 13 m/s with keyframes 0.2 s apart travels 2.6 m per gap, less than its length, and yet moves
    /// with momentum (on the synthetic urban drive at K=2 the line default cost its lane changes
    /// BEV IoU). 3 m/s (11 km/h): faster than people walk, slower than traffic; a parked car whose
    /// gold wanders with the poses or a pedestrian standing stays far below it.
    public var curvePriorSpeed: Double = 3.0
    /// Consecutive keyframes whose yaws differ by more than this are a heading flip: the later box is
    /// turned by pi for filling (the same footprint) and the pair is flagged. Radians.
    public var flipAngle: Double = 0.75 * .pi
    /// A filled box whose centre is further than this from the sensor (bird's-eye view) is flagged as
    /// out of range. Metres.
    public var sensorRange: Double = 80
    /// An interior keyframe is flagged when the track through its other keyframes misses its centre by
    /// more than this many metres (or by more than 5 % of the distance between its neighbours, when
    /// that is larger), or when a side differs from the track's size by more than 25 %.
    public var disagreement: Double = 1.0
    /// Snapping to the lidar points; nil leaves interpolated boxes where the curve puts them.
    public var snap: SnapSettings?
    /// Threads that fill tracks at once (the output does not depend on it).
    public var threads: Int = Parallelism.availableCores

    public init(method: InterpolationMethod = .worldSmooth, snap: SnapSettings? = nil) {
        self.method = method
        self.snap = snap
    }
}

/// Something a human should look at in the keyframes.
public struct InterpolationFlag: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of problem.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A keyframe's heading is about opposite to the previous keyframe's.
        case headingFlip = "heading-flip"
        /// Filled boxes lie beyond the sensor range.
        case leavesRange = "leaves-range"
        /// A keyframe lies off the path (or size) the track's other keyframes give.
        case disagreeingKeyframe = "disagreeing-keyframe"
    }

    /// What kind of problem.
    public var kind: Kind
    /// The track.
    public var track: String
    /// The frame (name) where it shows.
    public var frame: String
    /// The evidence, in words and figures.
    public var detail: String

    public init(kind: Kind, track: String, frame: String, detail: String) {
        self.kind = kind
        self.track = track
        self.frame = frame
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue) track \(track) frame \(frame): \(detail)" }
}

/// What happened to one track.
public struct InterpolatedTrackSummary: Sendable, Hashable, Codable {
    /// The track id.
    public var track: String
    /// Its class.
    public var category: String
    /// Keyframes given.
    public var keyframes: Int
    /// Boxes filled between them.
    public var filled: Int
    /// Filled boxes moved by snapping.
    public var snapped: Int
    /// Whether the track was held still in the world frame.
    public var isStatic: Bool
    /// Mean speed between the first and the last keyframe, metres per second (per frame when the
    /// frames have no timestamps); nil for 2D tracks and single keyframes.
    public var speed: Double?
    /// Whether the track has cuboids (false: image boxes only).
    public var hasCuboids: Bool
    /// First and last keyframe (frame names).
    public var firstFrame: String
    public var lastFrame: String
}

/// The filled labels and what was found on the way.
public struct InterpolationResult: Sendable {
    /// Every frame of the input, with every track filled between its first and last keyframe.
    public var labels: LabelSet
    /// One summary per track, sorted by track id.
    public var tracks: [InterpolatedTrackSummary]
    /// Problems found in the keyframes.
    public var flags: [InterpolationFlag]
    /// Remarks on the run as a whole (for instance, no ego poses).
    public var notes: [String]
    /// Objects without a track id, passed through unchanged.
    public var untrackedObjects: Int
    /// Input boxes marked as not a keyframe (CVAT's own interpolation), replaced by ours.
    public var replacedBoxes: Int
}

/// Keyframes that cannot be interpolated as given.
public enum InterpolationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Frame times must increase strictly in file order.
    case timesNotIncreasing(frame: String, previous: String)
    /// Some frames have an ego pose and this one has none.
    case missingPose(frame: String)
    /// One track holds two objects in one frame.
    case duplicateTrack(frame: String, track: String)

    public var description: String {
        switch self {
        case .timesNotIncreasing(let frame, let previous): "frame \(frame): time does not increase after frame \(previous)"
        case .missingPose(let frame): "frame \(frame): no ego pose, though other frames have one (the world methods need all)"
        case .duplicateTrack(let frame, let track): "frame \(frame): track \(track) appears twice"
        }
    }
}
