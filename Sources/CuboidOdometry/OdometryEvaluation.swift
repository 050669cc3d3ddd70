public import CuboidFormats
public import CuboidGeometry
import Foundation

/// Odometry quality against reference poses, as the field reports it.
///
/// Both trajectories are first re-expressed relative to their own first pose (so a reference that
/// starts at a camera pose times the calibration compares with one that starts at the identity).
public struct OdometryAccuracy: Sendable, Hashable, Codable {
    /// Frames compared.
    public var frames: Int
    /// Length of the reference path, metres.
    public var pathLength: Double
    /// Length of the estimated path over the reference's: a scale difference between the two shows here.
    public var pathLengthRatio: Double
    /// Distance between the estimated and the reference position at the last frame, metres.
    public var finalTranslationError: Double
    /// The same as a percentage of the path length.
    public var finalTranslationDriftPercent: Double
    /// The least-squares scale of the estimated positions onto the reference's (both from their first
    /// pose): `sum(e . g) / sum(e . e)`. Above 1 the estimate is short of the reference. A reference
    /// from another sensor carries its own scale error (stereo baseline, GPS), so this separates a
    /// scale disagreement from drift in shape.
    public var scaleToReference: Double
    /// The final position error, as a percentage of the path, once the estimate's positions are
    /// multiplied by ``scaleToReference``: the drift that a scale difference does not explain.
    public var scaleAlignedFinalDriftPercent: Double
    /// The largest position difference at any frame, metres.
    public var maximumTranslationError: Double
    /// Yaw (about z) of the last frame's estimated pose relative to the reference, degrees (signed, counter-clockwise positive).
    public var finalYawDriftDegrees: Double
    /// The largest absolute yaw difference at any frame, degrees.
    public var maximumYawDriftDegrees: Double
    /// Relative pose error per frame (from each frame to the next): mean translation error, metres.
    public var meanFrameTranslationError: Double
    /// Relative pose error per frame: mean rotation error, degrees.
    public var meanFrameRotationErrorDegrees: Double
    /// KITTI's relative translation error over segments of 100, 200, ..., 800 m (percent), averaged
    /// over every segment start and every length the path is long enough for; nil for a shorter path.
    public var kittiTranslationErrorPercent: Double?
    /// KITTI's relative rotation error over the same segments, degrees per 100 m; nil for a shorter path.
    public var kittiRotationErrorDegreesPer100m: Double?

    /// Compares `estimate` with `reference` (world-from-lidar poses, same frames; the shorter sets the count).
    public static func evaluate(estimate: [RigidPose], reference: [RigidPose]) -> OdometryAccuracy {
        let n = min(estimate.count, reference.count)
        precondition(n >= 1, "compare at least one frame")
        let e0 = estimate[0].inverse, g0 = reference[0].inverse
        let e = estimate.prefix(n).map { e0.composed(with: $0) }, g = reference.prefix(n).map { g0.composed(with: $0) }
        var distance = [0.0]
        for i in 1..<max(n, 1) where n > 1 { distance.append(distance[i - 1] + length(g[i].translation - g[i - 1].translation)) }
        let path = distance.last ?? 0
        let estimatedPath = n > 1 ? (1..<n).reduce(0.0) { $0 + length(e[$1].translation - e[$1 - 1].translation) } : 0
        var maxTranslation = 0.0, maxYaw = 0.0
        for i in 0..<n {
            maxTranslation = max(maxTranslation, length(e[i].translation - g[i].translation))
            maxYaw = max(maxYaw, abs(yawDifference(e[i], g[i])))
        }
        var sumT = 0.0, sumR = 0.0
        for i in 1..<max(n, 1) where n > 1 {
            let error = g[i - 1].inverse.composed(with: g[i]).inverse.composed(with: e[i - 1].inverse.composed(with: e[i]))
            sumT += length(error.translation)
            sumR += angle(error)
        }
        let final = length(e[n - 1].translation - g[n - 1].translation)
        let eg = (0..<n).reduce(0.0) { $0 + (e[$1].translation * g[$1].translation).sum() }
        let ee = (0..<n).reduce(0.0) { $0 + (e[$1].translation * e[$1].translation).sum() }
        let scale = ee > 0 ? eg / ee : 1
        let scaledFinal = length(scale * e[n - 1].translation - g[n - 1].translation)
        // KITTI's segments: every 10th first frame, lengths 100...800 m.
        var segmentT: [Double] = [], segmentR: [Double] = []
        for segmentLength in stride(from: 100.0, through: 800, by: 100) {
            for first in stride(from: 0, to: n, by: 10) {
                guard let last = (first..<n).first(where: { distance[$0] > distance[first] + segmentLength }) else { continue }
                let error = g[first].inverse.composed(with: g[last]).inverse.composed(with: e[first].inverse.composed(with: e[last]))
                segmentT.append(length(error.translation) / segmentLength * 100)
                segmentR.append(angle(error) / segmentLength * 100)
            }
        }
        return OdometryAccuracy(
            frames: n, pathLength: path, pathLengthRatio: path > 0 ? estimatedPath / path : 1, finalTranslationError: final, finalTranslationDriftPercent: path > 0 ? final / path * 100 : 0,
            scaleToReference: scale, scaleAlignedFinalDriftPercent: path > 0 ? scaledFinal / path * 100 : 0,
            maximumTranslationError: maxTranslation, finalYawDriftDegrees: yawDifference(e[n - 1], g[n - 1]), maximumYawDriftDegrees: maxYaw,
            meanFrameTranslationError: n > 1 ? sumT / Double(n - 1) : 0, meanFrameRotationErrorDegrees: n > 1 ? sumR / Double(n - 1) : 0,
            kittiTranslationErrorPercent: segmentT.isEmpty ? nil : segmentT.reduce(0, +) / Double(segmentT.count),
            kittiRotationErrorDegreesPer100m: segmentR.isEmpty ? nil : segmentR.reduce(0, +) / Double(segmentR.count))
    }

    private static func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
    private static func angle(_ pose: RigidPose) -> Double { Quaternion.identity.angle(to: pose.rotation) * 180 / .pi }
    /// Yaw of `b^-1 a`'s forward axis in `b`'s frame, degrees.
    private static func yawDifference(_ a: RigidPose, _ b: RigidPose) -> Double {
        let forward = b.inverse.composed(with: a).rotation.rotate(SIMD3(1, 0, 0))
        return atan2(forward.y, forward.x) * 180 / .pi
    }
}

/// How still parked objects stay when their gold boxes are mapped into the world with a set of
/// poses: the test that ego poses are good enough to pin static objects.
public struct StaticObjectSpread: Sendable, Hashable, Codable {
    /// Track id.
    public var track: String
    /// Class.
    public var category: String
    /// Frames the track is labelled in.
    public var frames: Int
    /// Largest bird's-eye-view distance of a world centre from the track's mean, metres.
    public var maximumDeviation: Double
    /// Mean bird's-eye-view distance of the world centres from their mean, metres.
    public var meanDeviation: Double

    /// The spread of each track's world centres (bird's-eye view) under `poses` (one per frame of
    /// `labels`, world-from-sensor), for tracks labelled in at least `minimumFrames` frames.
    public static func measure(_ labels: LabelSet, poses: [RigidPose], minimumFrames: Int = 10) -> [StaticObjectSpread] {
        precondition(poses.count >= labels.frames.count, "one pose per labelled frame")
        var centres: [String: [SIMD2<Double>]] = [:], categories: [String: String] = [:]
        for (index, frame) in labels.frames.enumerated() {
            for object in frame.objects {
                guard let track = object.trackID, let cuboid = object.cuboid else { continue }
                let world = poses[index].apply(to: cuboid.center)
                centres[track, default: []].append(SIMD2(world.x, world.y))
                categories[track] = object.category
            }
        }
        return centres.keys.sorted().compactMap { track in
            let points = centres[track]!
            guard points.count >= minimumFrames else { return nil }
            let mean = points.reduce(SIMD2<Double>(), +) / Double(points.count)
            let deviations = points.map { (($0 - mean) * ($0 - mean)).sum().squareRoot() }
            return StaticObjectSpread(track: track, category: categories[track] ?? "", frames: points.count, maximumDeviation: deviations.max() ?? 0,
                                      meanDeviation: deviations.reduce(0, +) / Double(deviations.count))
        }
    }
}

extension StaticObjectSpread {
    /// The factor on a trajectory's translations (from its first pose) under which the parked
    /// objects' gold centres stay stillest: the mean of their largest bird's-eye-view spreads is
    /// smallest. Gold boxes are measured in the sensor's own metric frame, so this checks a
    /// trajectory's scale against the sensor without trusting any other sensor (a stereo baseline,
    /// GPS): 1 means the scale agrees with the gold; 0.97 means the trajectory is 3 % too long.
    /// Searched over `range` in steps of `step`; nil without parked tracks.
    /// - Parameters:
    ///   - labels: The gold labels, sensor frame.
    ///   - poses: world-from-sensor, one per labelled frame.
    ///   - tracks: the parked tracks' ids (for example those within 0.5 m with reference poses).
    ///   - range: The scale factors searched (default 0.85 to 1.15).
    ///   - step: The search's step (> 0; default 0.0025).
    public static func stillestScale(_ labels: LabelSet, poses: [RigidPose], tracks: Set<String>, range: ClosedRange<Double> = 0.85...1.15,
                                     step: Double = 0.0025) -> (scale: Double, meanSpread: Double)? {
        precondition(step > 0, "a positive step")
        guard !tracks.isEmpty, let first = poses.first else { return nil }
        let origin = first.inverse
        let relative = poses.map { origin.composed(with: $0) }
        var best: (scale: Double, meanSpread: Double)?
        for k in 0...Int(((range.upperBound - range.lowerBound) / step).rounded()) {
            let scale = range.lowerBound + Double(k) * step
            let scaled = relative.map { RigidPose(rotation: $0.rotation, translation: scale * $0.translation) }
            let spreads = measure(labels, poses: scaled).filter { tracks.contains($0.track) }
            guard !spreads.isEmpty else { return nil }
            let mean = spreads.reduce(0) { $0 + $1.maximumDeviation } / Double(spreads.count)
            if best == nil || mean < best!.meanSpread { best = (scale, mean) }
        }
        return best
    }
}

/// Reference poses to score an estimate against, from either of the two forms they come in.
public enum ReferencePoses {
    /// Errors reading reference poses.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// An OpenLABEL file's frame (index in frame order, its number) has no ego pose.
        case frameWithoutPose(path: String, index: Int, number: Int?)
        /// Fewer frames than the sequence has.
        case tooFewFrames(path: String, expected: Int, found: Int)

        public var description: String {
            switch self {
            case .frameWithoutPose(let path, let index, let number):
                "\(path): frame \(number.map(String.init) ?? "#\(index)") has no ego pose (no chain of transforms from the sensor to the scene frame)"
            case .tooFewFrames(let path, let expected, let found): "\(path): \(found) frames, the sequence has \(expected)"
            }
        }
    }

    /// Whether `path` names an OpenLABEL (JSON) file rather than a KITTI odometry poses file.
    public static func isOpenLABEL(_ path: String) -> Bool { path.lowercased().hasSuffix(".json") }

    /// The first `count` frames' ego poses of an OpenLABEL file (world-from-sensor, the sensor being
    /// the file's lidar stream; VCD's KITTI files give GPS/IMU poses as `vehicle-iso8855_to_odom` per
    /// frame with the lidar `VELO_TOP` under `vehicle-iso8855`), in frame order.
    /// - Throws: the file's `LabelFileError`, or ``Failure`` for a frame without a pose or too few frames.
    public static func openLABEL(_ path: String, count: Int) throws -> [RigidPose] {
        let set = try OpenLABELFile.read(path)
        guard set.frames.count >= count else { throw Failure.tooFewFrames(path: path, expected: count, found: set.frames.count) }
        return try set.frames.prefix(count).enumerated().map { index, frame in
            guard let pose = frame.egoPose else { throw Failure.frameWithoutPose(path: path, index: index, number: frame.number) }
            return pose
        }
    }
}
