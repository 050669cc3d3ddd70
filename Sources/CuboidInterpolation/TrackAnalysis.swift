import CuboidFormats
import CuboidGeometry
import CuboidKernels
import Foundation

/// One cuboid track's keyframes in the world frame, made consistent for filling: one size, headings
/// without flips, static or moving; with the flags found on the way.
struct TrackAnalysis {
    /// World keyframes, size set to the track's and yaw turned by pi where a flip was found.
    var keys: [WorldKey]
    /// The track's size (median of the keyframes' sides), metres.
    var size: SIMD3<Double>
    /// The one world box of a static track.
    var staticKey: WorldKey?
    /// Mean speed first to last keyframe.
    var speed: Double?
    /// Problems found.
    var flags: [InterpolationFlag]
    let poses: [RigidPose]
    let times: [Double]

    var isStatic: Bool { staticKey != nil }

    init(id: String, entries: [(frame: Int, object: LabeledObject)], context: FillContext) {
        let names = context.set.frames.map(\.name)
        let options = context.options
        poses = context.poses
        times = context.times
        flags = []
        var keys = entries.map { worldKey($0.object, frame: $0.frame, time: context.times[$0.frame], pose: context.poses[$0.frame]) }
        size = SIMD3(median(keys.map(\.box.length)), median(keys.map(\.box.width)), median(keys.map(\.box.height)))

        // Heading flips: each keyframe is compared with the previous one as filled.
        var flipped = [Bool](repeating: false, count: keys.count)
        for k in keys.indices.dropFirst() {
            let arc = shortestArc(from: keys[k - 1].box.yaw, to: keys[k].box.yaw)
            if abs(arc) > options.flipAngle {
                flipped[k] = true
                keys[k].box.yaw = normalizedYaw(keys[k].box.yaw + .pi)
                flags.append(InterpolationFlag(kind: .headingFlip, track: id, frame: names[keys[k].frame],
                                               detail: String(format: "heading turns %.0f° from keyframe %@; filled as the same box turned by 180°",
                                                              arc * 180 / .pi, names[keys[k - 1].frame])))
            }
        }
        // The filled boxes take the heading most keyframes give (flipped ones are the minority).
        if flipped.filter({ $0 }).count * 2 > keys.count {
            for k in keys.indices { keys[k].box.yaw = normalizedYaw(keys[k].box.yaw + .pi) }
        }
        for k in keys.indices {
            keys[k].box.length = size.x
            keys[k].box.width = size.y
            keys[k].box.height = size.z
        }

        if keys.count >= 2 {
            let first = keys.first!, last = keys.last!
            let travel = planarDistance(last.box, first.box)
            speed = travel / (last.time - first.time)
            let center = SIMD2(median(keys.map(\.box.x)), median(keys.map(\.box.y)))
            let spread = keys.map { planarDistance($0.box.x, $0.box.y, center.x, center.y) }.max()!
            if spread <= options.staticTolerance {
                let sine = keys.reduce(0) { $0 + sin($1.box.yaw) }, cosine = keys.reduce(0) { $0 + cos($1.box.yaw) }
                let box = Box3D(center: SIMD3(center.x, center.y, median(keys.map(\.box.z))), size: size, yaw: atan2(sine, cosine))
                staticKey = WorldKey(frame: first.frame, time: first.time, box: box,
                                     roll: keys.reduce(0) { $0 + $1.roll } / Double(keys.count),
                                     pitch: keys.reduce(0) { $0 + $1.pitch } / Double(keys.count))
            }
        }
        self.keys = keys

        // Keyframes off the others' path (leave one out), and keyframes of another size.
        let curve: TrackCurve = options.method == .worldSmooth ? .cubicHermite : .linear
        if staticKey == nil && keys.count >= 3 {
            for k in 1..<(keys.count - 1) {
                var others = keys.map { Keyframe(time: $0.time, box: $0.box) }
                others.remove(at: k)
                let predicted = interpolateTrack(others, at: [keys[k].time], curve: curve)[0]
                let offset = planarDistance(predicted, keys[k].box), span = planarDistance(keys[k + 1].box, keys[k - 1].box)
                if offset > max(options.disagreement, 0.05 * span) {
                    flags.append(InterpolationFlag(kind: .disagreeingKeyframe, track: id, frame: names[keys[k].frame],
                                                   detail: String(format: "centre %.2f m off the path through the other keyframes", offset)))
                }
            }
        }
        for entry in entries {
            let side = entry.object.cuboid!.size
            let ratio = SIMD3(side.x / size.x, side.y / size.y, side.z / size.z)
            let worst = [ratio.x, ratio.y, ratio.z].map { abs($0 - 1) }.max()!
            if worst > 0.25 {
                flags.append(InterpolationFlag(kind: .disagreeingKeyframe, track: id, frame: names[entry.frame],
                                               detail: String(format: "size %.2f x %.2f x %.2f m, the track's is %.2f x %.2f x %.2f m",
                                                              side.x, side.y, side.z, size.x, size.y, size.z)))
            }
        }
    }

    /// Velocities at the keyframes for the smooth curve.
    ///
    /// Where an object moves along its box (the parabola slope of x and y, ``TrackCurve/cubicHermite``,
    /// within 25° of the heading axis, forwards or reversing), its velocity points along the heading the
    /// human drew, at the speed of the arcs to its neighbours: each segment's chord lengthened by
    /// `(turn / 2) / sin(turn / 2)` for the heading change across it, over its duration, then weighted
    /// at each keyframe as the parabola slopes are (exact for constant acceleration and for a constant
    /// turn). Slopes from positions alone cut the corner of a turn: 0.27 m on a 20 m circle with
    /// keyframes 0.6 rad apart (measured, see the tests), against millimetres with the heading. Objects
    /// moving sideways to their box keep the position slopes.
    func headingSlopes() -> [SIMD2<Double>] {
        let n = keys.count, t = keys.map(\.time)
        let sx = hermiteSlopes(t, keys.map(\.box.x)), sy = hermiteSlopes(t, keys.map(\.box.y))
        let arcSpeed = (0..<(n - 1)).map { i -> Double in
            let turn = abs(shortestArc(from: keys[i].box.yaw, to: keys[i + 1].box.yaw))
            let lengthening = turn < 1e-9 ? 1 : (turn / 2) / sin(turn / 2)
            return planarDistance(keys[i + 1].box, keys[i].box) * lengthening / (t[i + 1] - t[i])
        }
        return (0..<n).map { k in
            let velocity = SIMD2(sx[k], sy[k]), axis = SIMD2(cos(keys[k].box.yaw), sin(keys[k].box.yaw))
            let speed = (velocity * velocity).sum().squareRoot(), along = (velocity * axis).sum()
            guard speed > 0, abs(along) >= cos(25 * Double.pi / 180) * speed else { return velocity }
            var arc: Double
            if n == 2 {
                arc = arcSpeed[0]
            } else if k == 0 {
                arc = arcSpeed[0] - (t[1] - t[0]) * (arcSpeed[1] - arcSpeed[0]) / (t[2] - t[0])
            } else if k == n - 1 {
                arc = arcSpeed[n - 2] + (t[n - 1] - t[n - 2]) * (arcSpeed[n - 2] - arcSpeed[n - 3]) / (t[n - 1] - t[n - 3])
            } else {
                let before = t[k] - t[k - 1], after = t[k + 1] - t[k]
                arc = (after * arcSpeed[k - 1] + before * arcSpeed[k]) / (before + after)
            }
            return (along < 0 ? -max(arc, 0) : max(arc, 0)) * axis
        }
    }

    /// Filled objects for `frames` (indices between the first and last keyframe, none a keyframe), in
    /// each frame's sensor frame. `alongHeading` turns the smooth curve's velocities along the headings
    /// (``headingSlopes()``); only true world frames allow it (seen from a moving sensor, an object's
    /// motion is not along its box).
    func fillWorld(frames: [Int], smooth: Bool, alongHeading: Bool, template: LabeledObject) -> [LabeledObject] {
        if let fixed = staticKey {
            return frames.map { sensorObject(world: fixed.box, roll: fixed.roll, pitch: fixed.pitch, pose: poses[$0], template: template) }
        }
        let keyframes = keys.map { Keyframe(time: $0.time, box: $0.box) }
        let wanted = frames.map { times[$0] }
        let world = smooth && alongHeading ? interpolateTrack(keyframes, at: wanted, planarSlopes: headingSlopes())
            : interpolateTrack(keyframes, at: wanted, curve: smooth ? .cubicHermite : .linear)
        var segment = 0
        return zip(frames, world).map { frame, box in
            let time = times[frame]
            while keys[segment + 1].time < time { segment += 1 }
            let a = keys[segment], b = keys[segment + 1]
            let t = (time - a.time) / (b.time - a.time)
            return sensorObject(world: box, roll: a.roll + t * (b.roll - a.roll), pitch: a.pitch + t * (b.pitch - a.pitch),
                                pose: poses[frame], template: template)
        }
    }
}
