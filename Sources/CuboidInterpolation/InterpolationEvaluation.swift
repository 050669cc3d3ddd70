public import CuboidFormats
import CuboidGeometry
import CuboidKernels
public import CuboidPointClouds

/// How close filled boxes come to gold: the figures of one keyframe spacing and one method.
public struct InterpolationAccuracy: Sendable, Hashable, Codable {
    /// Every how many gold frames a keyframe was kept.
    public var keyframeEvery: Int
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
    /// Mean distance between filled and gold centres in the bird's-eye view, metres.
    public var meanCenterError: Double
    /// 90th percentile of that distance, metres.
    public var centerError90: Double
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
        let result = try KeyframeInterpolator.interpolate(keyframes(of: gold, every: k), options: options, pointCloud: pointCloud)
        let moving = movingTracks(gold)
        var ious: [Double] = [], movingIoUs: [Double] = [], errors: [Double] = []
        var uncovered = 0
        for (index, frame) in gold.frames.enumerated() where index % k != 0 {
            var filled: [String: Box3D] = [:]
            for object in result.labels.frames[index].objects {
                if let id = object.trackID, let cuboid = object.cuboid { filled[id] = cuboid }
            }
            for object in frame.objects {
                guard let id = object.trackID, let truth = object.cuboid else { continue }
                guard let box = filled[id] else {
                    uncovered += 1
                    continue
                }
                let overlap = iou(box.bev, truth.bev)
                ious.append(overlap)
                if moving.contains(id) { movingIoUs.append(overlap) }
                errors.append(planarDistance(box, truth))
            }
        }
        let sortedErrors = errors.sorted()
        return InterpolationAccuracy(
            keyframeEvery: k, method: options.method, snapped: options.snap != nil, scored: ious.count, uncovered: uncovered,
            meanBEVIoU: mean(ious), movingMeanBEVIoU: movingIoUs.isEmpty ? nil : mean(movingIoUs), movingScored: movingIoUs.count,
            meanCenterError: mean(errors),
            centerError90: sortedErrors.isEmpty ? 0 : sortedErrors[min(sortedErrors.count - 1, Int(0.9 * Double(sortedErrors.count)))])
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
