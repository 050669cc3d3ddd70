public import CuboidFormats
import CuboidGeometry
import CuboidKernels
public import CuboidPointClouds

/// How close filled boxes come to gold: the figures of one keyframe spacing and one method.
public struct InterpolationAccuracy: Sendable, Hashable, Codable {
    /// Every how many gold frames a keyframe was kept; 0 when the keyframes were chosen otherwise
    /// (``KeyframeSuggestion``).
    public var keyframeEvery: Int
    /// Keyframe boxes given to the interpolation (cuboids with a track id).
    public var keyframes: Int
    /// The method.
    public var method: InterpolationMethod
    /// Whether filled boxes were snapped to the points.
    public var snapped: Bool
    /// Gold boxes in frames between keyframes that got a filled box of their track (the scored ones).
    public var scored: Int
    /// Gold boxes in frames that are not keyframes that got no filled box (their track has no keyframe
    /// before or after them).
    public var uncovered: Int
    /// Mean bird's-eye-view IoU of filled box and gold.
    public var meanBEVIoU: Double
    /// Mean bird's-eye-view IoU over moving objects only (gold centre moves more than 1 m, world frame,
    /// over the track), nil when none is scored.
    public var movingMeanBEVIoU: Double?
    /// Moving objects scored.
    public var movingScored: Int
    /// Mean bird's-eye-view IoU over static objects only (the others), nil when none is scored.
    public var staticMeanBEVIoU: Double?
    /// Static objects scored.
    public var staticScored: Int
    /// The same figures per gold class, sorted by class.
    public var classes: [ClassInterpolationAccuracy]
    /// Mean distance between filled and gold centres in the bird's-eye view, metres.
    public var meanCenterError: Double
    /// 90th percentile of that distance, metres.
    public var centerError90: Double
}

/// How close filled boxes come to gold for one class.
public struct ClassInterpolationAccuracy: Sendable, Hashable, Codable {
    /// The gold class.
    public var category: String
    /// Gold boxes of the class scored.
    public var scored: Int
    /// Mean bird's-eye-view IoU of filled box and gold.
    public var meanBEVIoU: Double
    /// Mean distance between filled and gold centres in the bird's-eye view, metres.
    public var meanCenterError: Double
}

/// Scores interpolation against dense gold: keeps every K-th gold frame as keyframes, fills, and
/// compares the filled boxes with the gold boxes of the frames in between.
public enum InterpolationEvaluation {
    /// The keyframe labels a user would give: the gold frames all kept (names, times, poses, cameras),
    /// objects only in frames `0, k, 2k, ...`.
    /// - Precondition: `k >= 1`.
    public static func keyframes(of gold: LabelSet, every k: Int) -> LabelSet {
        precondition(k >= 1, "keyframe spacing must be at least 1")
        var set = gold
        for index in set.frames.indices where index % k != 0 { set.frames[index].objects = [] }
        return set
    }

    /// Every `k`-th frame as ``keyframes(of:every:)``, plus each track's first and last frame: the
    /// plan a shop follows when every box must be filled (every `k`-th frame alone leaves a track's
    /// boxes before its first and after its last multiple of `k` without a fill). Objects without a
    /// track id are kept in frames `0, k, 2k, ...` only.
    /// - Precondition: `k >= 1`.
    public static func keyframes(of gold: LabelSet, everyWithTrackEnds k: Int) -> LabelSet {
        precondition(k >= 1, "keyframe spacing must be at least 1")
        var first: [String: Int] = [:], last: [String: Int] = [:]
        for (index, frame) in gold.frames.enumerated() {
            for object in frame.objects {
                guard let id = object.trackID else { continue }
                if first[id] == nil { first[id] = index }
                last[id] = index
            }
        }
        var set = gold
        for index in set.frames.indices where index % k != 0 {
            set.frames[index].objects.removeAll { object in
                guard let id = object.trackID else { return true }
                return first[id] != index && last[id] != index
            }
        }
        return set
    }

    /// `gold` holding only the boxes every one of `keyframeSets` scores: boxes that are no keyframe of
    /// their track in a set and lie between two of its keyframes there (filled). Scoring two choices
    /// of keyframes on it compares them on the same boxes (every K-th frame alone leaves a track's
    /// ends unfilled; a choice that labels them scores boxes the other does not).
    /// - Precondition: every set has the frames of `gold`.
    public static func commonlyScored(_ gold: LabelSet, keyframeSets: [LabelSet]) -> LabelSet {
        var set = gold
        for keys in keyframeSets {
            precondition(keys.frames.count == gold.frames.count, "keyframes must have the gold's frames")
            var keyed: [String: [Int]] = [:]
            for (index, frame) in keys.frames.enumerated() {
                for object in frame.objects where object.cuboid != nil {
                    if let id = object.trackID { keyed[id, default: []].append(index) }
                }
            }
            for index in set.frames.indices {
                set.frames[index].objects.removeAll { object in
                    guard let id = object.trackID, let frames = keyed[id] else { return true }
                    return frames.contains(index) || frames.first! > index || frames.last! < index
                }
            }
        }
        return set
    }

    /// Interpolates `keyframes(of: gold, every: k)` and scores the filled boxes against `gold`.
    /// - Parameters:
    ///   - gold: Gold labels in every frame they exist for, with track ids.
    ///   - k: Keyframe spacing in gold frames.
    ///   - options: Interpolation options (method, snapping).
    ///   - pointCloud: Sweeps for snapping, as ``KeyframeInterpolator/interpolate(_:options:pointCloud:progress:)``.
    /// - Throws: What the interpolation throws.
    /// - Complexity: that of the interpolation, plus one BEV IoU per scored box.
    public static func evaluate(gold: LabelSet, every k: Int, options: InterpolationOptions,
                                pointCloud: (Int) throws -> PointCloud? = { _ in nil }) throws -> InterpolationAccuracy {
        try evaluate(gold: gold, keyframes: keyframes(of: gold, every: k), keyframeEvery: k, options: options, pointCloud: pointCloud)
    }

    /// Interpolates `keyframes` (the gold frames, each holding some of its gold objects) and scores
    /// the filled boxes against every gold box that is not a keyframe, by track id.
    /// - Parameters:
    ///   - gold: Gold labels in every frame they exist for, with track ids.
    ///   - keyframes: The same frames, each with the gold objects kept as keyframes.
    ///   - keyframeEvery: The spacing the keyframes were chosen by, 0 for another choice (reported).
    ///   - options: Interpolation options (method, snapping).
    ///   - pointCloud: Sweeps for snapping.
    /// - Throws: What the interpolation throws.
    /// - Precondition: `keyframes` has the frames of `gold`.
    public static func evaluate(gold: LabelSet, keyframes: LabelSet, keyframeEvery: Int, options: InterpolationOptions,
                                pointCloud: (Int) throws -> PointCloud? = { _ in nil }) throws -> InterpolationAccuracy {
        precondition(keyframes.frames.count == gold.frames.count, "keyframes must have the gold's frames")
        let result = try KeyframeInterpolator.interpolate(keyframes, options: options, pointCloud: pointCloud)
        let moving = movingTracks(gold)
        var ious: [Double] = [], movingIoUs: [Double] = [], staticIoUs: [Double] = [], errors: [Double] = []
        var byClass: [String: (ious: [Double], errors: [Double])] = [:]
        var uncovered = 0, given = 0
        for (index, frame) in gold.frames.enumerated() {
            let keyed = Set(keyframes.frames[index].objects.compactMap { $0.cuboid == nil ? nil : $0.trackID })
            given += keyed.count
            var filled: [String: Box3D] = [:]
            for object in result.labels.frames[index].objects {
                if let id = object.trackID, let cuboid = object.cuboid { filled[id] = cuboid }
            }
            for object in frame.objects {
                guard let id = object.trackID, let truth = object.cuboid, !keyed.contains(id) else { continue }
                guard let box = filled[id] else {
                    uncovered += 1
                    continue
                }
                let overlap = iou(box.bev, truth.bev), error = planarDistance(box, truth)
                ious.append(overlap)
                if moving.contains(id) { movingIoUs.append(overlap) } else { staticIoUs.append(overlap) }
                errors.append(error)
                byClass[object.category, default: ([], [])].ious.append(overlap)
                byClass[object.category, default: ([], [])].errors.append(error)
            }
        }
        let sortedErrors = errors.sorted()
        return InterpolationAccuracy(
            keyframeEvery: keyframeEvery, keyframes: given, method: options.method, snapped: options.snap != nil, scored: ious.count,
            uncovered: uncovered, meanBEVIoU: mean(ious), movingMeanBEVIoU: movingIoUs.isEmpty ? nil : mean(movingIoUs),
            movingScored: movingIoUs.count, staticMeanBEVIoU: staticIoUs.isEmpty ? nil : mean(staticIoUs), staticScored: staticIoUs.count,
            classes: byClass.keys.sorted().map { name in
                ClassInterpolationAccuracy(category: name, scored: byClass[name]!.ious.count, meanBEVIoU: mean(byClass[name]!.ious),
                                           meanCenterError: mean(byClass[name]!.errors))
            },
            meanCenterError: mean(errors),
            centerError90: sortedErrors.isEmpty ? 0 : sortedErrors[min(sortedErrors.count - 1, Int(0.9 * Double(sortedErrors.count)))])
    }

    /// The gold that can be scored as tracks: objects without a track id, of class `DontCare` (KITTI's
    /// unlabelled regions) or of a track id held by two objects of one frame (regions sharing an id,
    /// as VCD writes KITTI's DontCare) are left out; their count is returned.
    public static func trackedGold(_ gold: LabelSet) -> (labels: LabelSet, leftOut: Int) {
        var set = gold, leftOut = 0
        for index in set.frames.indices {
            var count: [String: Int] = [:]
            for object in set.frames[index].objects { if let id = object.trackID { count[id, default: 0] += 1 } }
            let before = set.frames[index].objects.count
            set.frames[index].objects.removeAll { object in
                guard let id = object.trackID else { return true }
                return count[id]! > 1 || object.category.lowercased() == "dontcare"
            }
            leftOut += before - set.frames[index].objects.count
        }
        return (set, leftOut)
    }

    /// Tracks whose gold centre moves more than 1 m in the world frame (sensor frame without poses).
    static func movingTracks(_ gold: LabelSet) -> Set<String> {
        var first: [String: SIMD3<Double>] = [:], farthest: [String: Double] = [:]
        for frame in gold.frames {
            let pose = frame.egoPose ?? .identity
            for object in frame.objects {
                guard let id = object.trackID, let cuboid = object.cuboid else { continue }
                let center = pose.apply(to: cuboid.center)
                if let start = first[id] {
                    farthest[id] = max(farthest[id] ?? 0, planarDistance(center.x, center.y, start.x, start.y))
                } else {
                    first[id] = center
                }
            }
        }
        return Set(farthest.filter { $0.value > 1 }.keys)
    }

    /// Sum in sorted order (so the figure does not depend on the order boxes were met), over the count.
    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.sorted().reduce(0, +) / Double(values.count)
    }
}
