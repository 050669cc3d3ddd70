import CuboidGeometry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The yaw a fraction `t` of the way from `from` to `to` along the shorter arc, in (-pi, pi].
///
/// Going from 3.1 to -3.1 passes through pi, not through 0. At exactly opposite yaws the arc turns
/// counter-clockwise.
/// - Complexity: O(1).
@inlinable
public func interpolateYaw(from: Double, to: Double, t: Double) -> Double {
    normalizedYaw(from + t * shortestArc(from: from, to: to))
}

/// Spherical linear interpolation between two unit quaternions along the shorter arc.
///
/// `t = 0` gives `from`, `t = 1` gives `to` (or `-to`, the same rotation). Nearly equal rotations fall
/// back to normalised linear interpolation, which is accurate there and avoids dividing by sin(0).
/// - Complexity: O(1).
public func slerp(from: Quaternion, to: Quaternion, t: Double) -> Quaternion {
    var target = to
    var cosine = from.dot(to)
    if cosine < 0 {  // the other hemisphere is the shorter way
        target = -to
        cosine = -cosine
    }
    if cosine > 0.9995 {
        return Quaternion(w: from.w + t * (target.w - from.w), x: from.x + t * (target.x - from.x),
                          y: from.y + t * (target.y - from.y), z: from.z + t * (target.z - from.z)).normalized
    }
    let angle = acos(cosine)
    let sine = sin(angle)
    let a = sin((1 - t) * angle) / sine, b = sin(t * angle) / sine
    return Quaternion(w: a * from.w + b * target.w, x: a * from.x + b * target.x,
                      y: a * from.y + b * target.y, z: a * from.z + b * target.z)
}

/// Interpolates a rigid pose: rotation by ``slerp(from:to:t:)``, translation linearly.
///
/// This is the geodesic of SO(3) x R^3, the usual choice for ego poses between two timestamps (it
/// moves the origin on a straight line, unlike the screw motion of the SE(3) exponential map).
/// - Complexity: O(1).
public func interpolatePose(from: RigidPose, to: RigidPose, t: Double) -> RigidPose {
    RigidPose(rotation: slerp(from: from.rotation, to: to.rotation, t: t),
              translation: from.translation + t * (to.translation - from.translation))
}

/// A cuboid a fraction `t` of the way between two keyframe cuboids in the same frame: centre and size
/// linearly, yaw along the shorter arc.
/// - Complexity: O(1).
@inlinable
public func interpolateCuboid(from a: Box3D, to b: Box3D, t: Double) -> Box3D {
    Box3D(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), z: a.z + t * (b.z - a.z),
          length: a.length + t * (b.length - a.length), width: a.width + t * (b.width - a.width),
          height: a.height + t * (b.height - a.height), yaw: interpolateYaw(from: a.yaw, to: b.yaw, t: t))
}

/// A cuboid between two keyframes given in different sensor frames, interpolated in the world frame.
///
/// Each keyframe is mapped to the world with its frame's pose (world from sensor), interpolated there
/// (``interpolateCuboid(from:to:t:)``) and mapped into the target frame, so an object that stands
/// still in the world stays still whatever the ego does.
/// - Parameters:
///   - a: The first keyframe's cuboid, in the sensor frame of its sweep.
///   - poseA: World-from-sensor pose of the first keyframe's sweep.
///   - b: The second keyframe's cuboid, in its sweep's sensor frame.
///   - poseB: World-from-sensor pose of the second keyframe's sweep.
///   - t: Fraction of the way from `a` to `b` (usually by timestamp).
///   - target: World-from-sensor pose of the frame the result is wanted in.
/// - Complexity: O(1).
public func interpolateCuboid(from a: Box3D, pose poseA: RigidPose, to b: Box3D, pose poseB: RigidPose,
                              t: Double, in target: RigidPose) -> Box3D {
    let world = interpolateCuboid(from: a.transformed(by: poseA), to: b.transformed(by: poseB), t: t)
    var result = world.transformed(by: target.inverse)
    result.yaw = normalizedYaw(result.yaw)
    return result
}

/// A keyframe of one object's track: a time (seconds, or a frame number) and the cuboid there.
public struct Keyframe: Sendable, Hashable, Codable {
    /// Timestamp in seconds, or any increasing frame measure.
    public var time: Double
    /// The object's cuboid at that time.
    public var box: Box3D

    public init(time: Double, box: Box3D) {
        self.time = time
        self.box = box
    }
}

/// The curve a track follows between its keyframes.
public enum TrackCurve: String, Sendable, Hashable, Codable, CaseIterable {
    /// Centre and size linearly in time, yaw along the shorter arc: each segment sees only its two
    /// keyframes.
    case linear
    /// Centre and yaw on a C1 cubic Hermite spline through the keyframes, size linearly.
    ///
    /// The tangent at an interior keyframe is the slope at that keyframe of the parabola through it and
    /// its two neighbours (exact for constant acceleration and for a constant turn rate in yaw, with
    /// unequal gaps); the end tangents are those parabolas' slopes at the ends. A track of two
    /// keyframes is the linear one. Yaw is unwrapped along the shorter arc between consecutive
    /// keyframes first, so the curve passes through +-pi without a jump.
    case cubicHermite = "cubic-hermite"
}

/// Cuboids of one track at many times, interpolated between its keyframes along `curve` (by default
/// centre and size linearly, yaw along the shorter arc; see ``interpolateCuboid(from:to:t:)``).
///
/// Times before the first keyframe or after the last one get that keyframe's box (held, not
/// extrapolated); callers that want an object only within its keyframes filter the times first.
/// A time equal to a keyframe's gives that keyframe's box exactly.
/// - Parameters:
///   - keyframes: The track's keyframes, times strictly increasing.
///   - times: The times wanted, ascending.
///   - curve: The curve between keyframes.
/// - Returns: One cuboid per time.
/// - Precondition: `keyframes` is non-empty with strictly increasing times; `times` ascend.
/// - Complexity: O(K + T), one merge pass.
public func interpolateTrack(_ keyframes: [Keyframe], at times: [Double], curve: TrackCurve = .linear) -> [Box3D] {
    validateKeyframes(keyframes, track: 0)
    validateTimes(times)
    return [Box3D](unsafeUninitializedCapacity: times.count) { out, initialized in
        switch curve {
        case .linear: interpolateTrackKernel(keyframes, times, into: out.baseAddress!)
        case .cubicHermite: hermiteTrackKernel(keyframes, times, into: out.baseAddress!)
        }
        initialized = times.count
    }
}

/// Many tracks at the same times: track after track, `times.count` cuboids each, split across threads.
/// - Precondition: as ``interpolateTrack(_:at:curve:)`` for each track.
/// - Complexity: O(sum of K + tracks x T) / threads.
public func interpolateTracks(_ tracks: [[Keyframe]], at times: [Double], curve: TrackCurve = .linear,
                              threads: Int = Parallelism.availableCores) -> [Box3D] {
    precondition(threads >= 1, "threads must be at least 1")
    for (index, keyframes) in tracks.enumerated() { validateKeyframes(keyframes, track: index) }
    validateTimes(times)
    let perTrack = times.count
    guard perTrack > 0 else { return [] }
    return parallelArray(count: tracks.count * perTrack, threads: threads, chunkSize: perTrack * 64) { range, out in
        for track in (range.lowerBound / perTrack)..<(range.upperBound / perTrack) {
            switch curve {
            case .linear: interpolateTrackKernel(tracks[track], times, into: out.baseAddress! + track * perTrack)
            case .cubicHermite: hermiteTrackKernel(tracks[track], times, into: out.baseAddress! + track * perTrack)
            }
        }
    }
}

/// Traps unless the track has keyframes with strictly increasing times.
private func validateKeyframes(_ keyframes: [Keyframe], track: Int) {
    precondition(!keyframes.isEmpty, "track \(track) has no keyframe")
    for k in 1..<keyframes.count where !(keyframes[k].time > keyframes[k - 1].time) {
        preconditionFailure("track \(track): keyframe times must increase strictly (index \(k))")
    }
}

/// Traps unless the output times ascend.
private func validateTimes(_ times: [Double]) {
    for k in times.indices.dropFirst() where !(times[k] >= times[k - 1]) {
        preconditionFailure("times must ascend (index \(k))")
    }
}

/// The merge pass behind the track interpolation; inputs already validated.
@inline(__always)
func interpolateTrackKernel(_ keyframes: [Keyframe], _ times: [Double], into out: UnsafeMutablePointer<Box3D>) {
    keyframes.withUnsafeBufferPointer { keys in
        let last = keys.count - 1
        var segment = 0
        for (index, time) in times.enumerated() {
            let box: Box3D
            if time <= keys[0].time {
                box = keys[0].box
            } else if time >= keys[last].time {
                box = keys[last].box
            } else {
                while keys[segment + 1].time < time { segment += 1 }
                let a = keys[segment], b = keys[segment + 1]
                box = time == b.time ? b.box : interpolateKeyframePair(a.box, b.box, (time - a.time) / (b.time - a.time))
            }
            (out + index).initialize(to: box)
        }
    }
}

/// ``interpolateCuboid(from:to:t:)`` with the yaw wrap done by comparisons (both yaws are already in
/// (-pi, pi] or close to it), the hot loop of track interpolation.
@inline(__always)
func interpolateKeyframePair(_ a: Box3D, _ b: Box3D, _ t: Double) -> Box3D {
    var arc = b.yaw - a.yaw
    if arc > .pi || arc <= -.pi { arc = normalizedYaw(arc) }
    var yaw = a.yaw + t * arc
    if yaw > .pi || yaw <= -.pi { yaw = normalizedYaw(yaw) }
    return Box3D(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), z: a.z + t * (b.z - a.z),
                 length: a.length + t * (b.length - a.length), width: a.width + t * (b.width - a.width),
                 height: a.height + t * (b.height - a.height), yaw: yaw)
}

/// Slopes of a C1 cubic Hermite spline through `values` at `times` (see ``TrackCurve/cubicHermite``):
/// the three-point parabola's slope at every keyframe; the secant for two keyframes.
/// - Precondition: `times` strictly increase; both have the same count, at least 2.
@inline(__always)
func hermiteSlopes(_ times: UnsafeBufferPointer<Double>, _ values: UnsafeBufferPointer<Double>,
                   into slopes: UnsafeMutableBufferPointer<Double>) {
    let n = times.count
    if n == 2 {
        let secant = (values[1] - values[0]) / (times[1] - times[0])
        slopes[0] = secant
        slopes[1] = secant
        return
    }
    for k in 1..<(n - 1) {
        let before = times[k] - times[k - 1], after = times[k + 1] - times[k]
        let left = (values[k] - values[k - 1]) / before, right = (values[k + 1] - values[k]) / after
        slopes[k] = (after * left + before * right) / (before + after)
    }
    // Ends: the slope at the end of the parabola through the three end keyframes.
    let h0 = times[1] - times[0], h1 = times[2] - times[1]
    let d0 = (values[1] - values[0]) / h0, d1 = (values[2] - values[1]) / h1
    slopes[0] = d0 - h0 * (d1 - d0) / (h0 + h1)
    let g1 = times[n - 1] - times[n - 2], g0 = times[n - 2] - times[n - 3]
    let e1 = (values[n - 1] - values[n - 2]) / g1, e0 = (values[n - 2] - values[n - 3]) / g0
    slopes[n - 1] = e1 + g1 * (e1 - e0) / (g0 + g1)
}

/// The slopes ``TrackCurve/cubicHermite`` gives values at strictly increasing times (at least 2).
package func hermiteSlopes(_ times: [Double], _ values: [Double]) -> [Double] {
    precondition(times.count == values.count && times.count >= 2, "hermiteSlopes needs as many values as times, at least 2")
    var slopes = [Double](repeating: 0, count: times.count)
    times.withUnsafeBufferPointer { t in
        values.withUnsafeBufferPointer { v in
            slopes.withUnsafeMutableBufferPointer { hermiteSlopes(t, v, into: $0) }
        }
    }
    return slopes
}

/// A cubic Hermite track whose x and y slopes at the keyframes are given (for instance turned along
/// each keyframe's heading); z and yaw as ``TrackCurve/cubicHermite``.
/// - Precondition: as ``interpolateTrack(_:at:curve:)``; one slope pair per keyframe.
package func interpolateTrack(_ keyframes: [Keyframe], at times: [Double], planarSlopes: [SIMD2<Double>]) -> [Box3D] {
    validateKeyframes(keyframes, track: 0)
    validateTimes(times)
    precondition(planarSlopes.count == keyframes.count, "one slope pair per keyframe")
    return [Box3D](unsafeUninitializedCapacity: times.count) { out, initialized in
        hermiteTrackKernel(keyframes, times, planarSlopes: planarSlopes, into: out.baseAddress!)
        initialized = times.count
    }
}

/// The cubic Hermite merge pass: per track, yaw unwrapped and the slopes of x, y, z and yaw computed
/// once (x and y taken from `planarSlopes` when given), then one pass over the times. Inputs already
/// validated.
func hermiteTrackKernel(_ keyframes: [Keyframe], _ times: [Double], planarSlopes: [SIMD2<Double>]? = nil,
                        into out: UnsafeMutablePointer<Box3D>) {
    let n = keyframes.count
    if n < 3 && planarSlopes == nil { return interpolateTrackKernel(keyframes, times, into: out) }
    if n < 2 { return interpolateTrackKernel(keyframes, times, into: out) }
    // Columns: time, x, y, z, unwrapped yaw, then the four slopes.
    var columns = [Double](repeating: 0, count: 9 * n)
    columns.withUnsafeMutableBufferPointer { all in
        let base = all.baseAddress!
        func column(_ c: Int) -> UnsafeMutableBufferPointer<Double> { UnsafeMutableBufferPointer(start: base + c * n, count: n) }
        let time = column(0), x = column(1), y = column(2), z = column(3), yaw = column(4)
        for k in 0..<n {
            let box = keyframes[k].box
            time[k] = keyframes[k].time
            x[k] = box.x
            y[k] = box.y
            z[k] = box.z
            yaw[k] = k == 0 ? box.yaw : yaw[k - 1] + shortestArc(from: keyframes[k - 1].box.yaw, to: box.yaw)
        }
        for c in 1...4 { hermiteSlopes(UnsafeBufferPointer(column(0)), UnsafeBufferPointer(column(c)), into: column(c + 4)) }
        if let planarSlopes {
            for k in 0..<n {
                column(5)[k] = planarSlopes[k].x
                column(6)[k] = planarSlopes[k].y
            }
        }
        var segment = 0
        for (index, t) in times.enumerated() {
            let box: Box3D
            if t <= time[0] {
                box = keyframes[0].box
            } else if t >= time[n - 1] {
                box = keyframes[n - 1].box
            } else {
                while time[segment + 1] < t { segment += 1 }
                if t == time[segment + 1] {
                    box = keyframes[segment + 1].box
                } else {
                    let k = segment, h = time[k + 1] - time[k], s = (t - time[k]) / h
                    let s2 = s * s, s3 = s2 * s
                    let h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2
                    @inline(__always) func curve(_ c: Int) -> Double {
                        let v = base + c * n, m = base + (c + 4) * n
                        return h00 * v[k] + h10 * h * m[k] + h01 * v[k + 1] + h11 * h * m[k + 1]
                    }
                    let a = keyframes[k].box, b = keyframes[k + 1].box
                    box = Box3D(x: curve(1), y: curve(2), z: curve(3),
                                length: a.length + s * (b.length - a.length), width: a.width + s * (b.width - a.width),
                                height: a.height + s * (b.height - a.height), yaw: normalizedYaw(curve(4)))
                }
            }
            (out + index).initialize(to: box)
        }
    }
}
