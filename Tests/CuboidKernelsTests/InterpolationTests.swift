import CuboidGeometry
import CuboidKernels
import CuboidTestSupport
import Foundation
import Testing

@Suite("Interpolation")
struct InterpolationTests {
    @Test("yaw takes the shorter arc across +-pi")
    func yaw() {
        let middle = interpolateYaw(from: 3.1, to: -3.1, t: 0.5)
        #expect(abs(abs(middle) - .pi) < 1e-12)
        #expect(abs(interpolateYaw(from: -0.5, to: 0.5, t: 0.25) + 0.25) < 1e-12)
        #expect(interpolateYaw(from: 1, to: 2, t: 0) == 1)
    }

    @Test("slerp: endpoints, constant angular speed, shorter hemisphere")
    func slerpProperties() {
        let a = Quaternion(axis: SIMD3(0, 0, 1), angle: 0.2), b = Quaternion(axis: SIMD3(1, 1, 0), angle: 1.4)
        #expect(slerp(from: a, to: b, t: 0).angle(to: a) < 1e-7 && slerp(from: a, to: b, t: 1).angle(to: b) < 1e-7)
        let total = a.angle(to: b)
        for t in stride(from: 0.1, to: 1, by: 0.1) {
            #expect(abs(slerp(from: a, to: b, t: t).angle(to: a) - t * total) < 1e-9)
        }
        // -b is the same rotation: the result must not take the long way.
        #expect(abs(slerp(from: a, to: -b, t: 0.5).angle(to: a) - total / 2) < 1e-9)
        // Nearly equal rotations use the linear fallback and stay unit length.
        let c = Quaternion(axis: SIMD3(0, 0, 1), angle: 0.2 + 1e-9)
        #expect(abs(slerp(from: a, to: c, t: 0.5).norm - 1) < 1e-12)
    }

    @Test("pose interpolation: rotation by slerp, translation on a line")
    func poseInterpolation() {
        let a = RigidPose(yaw: 0, translation: SIMD3(0, 0, 0)), b = RigidPose(yaw: .pi / 2, translation: SIMD3(10, 4, 0))
        let middle = interpolatePose(from: a, to: b, t: 0.5)
        #expect(middle.translation == SIMD3(5, 2, 0))
        #expect(abs(middle.rotation.yaw - .pi / 4) < 1e-12)
    }

    @Test("a parked car stays exactly still in the world while the ego drives and turns past it", arguments: 0..<10)
    func worldFrameStatic(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let parked = Box3D(x: 30, y: 5, z: 0.8, length: 4.2, width: 1.8, height: 1.5, yaw: 2.9)  // world frame
        func egoPose(_ time: Double) -> RigidPose {
            RigidPose(yaw: 0.3 * time, translation: SIMD3(8 * time, 2 * time * time, 0.1 * time))
        }
        let t0 = Double.random(in: 0...1, using: &generator), t1 = t0 + .random(in: 0.5...2, using: &generator)
        let key0 = parked.transformed(by: egoPose(t0).inverse), key1 = parked.transformed(by: egoPose(t1).inverse)
        let time = Double.random(in: t0...t1, using: &generator)
        let filled = interpolateCuboid(from: key0, pose: egoPose(t0), to: key1, pose: egoPose(t1),
                                       t: (time - t0) / (t1 - t0), in: egoPose(time))
        let expected = parked.transformed(by: egoPose(time).inverse)
        let offset = filled.center - expected.center
        #expect((offset * offset).sum().squareRoot() < 1e-9)
        #expect(abs(shortestArc(from: filled.yaw, to: expected.yaw)) < 1e-9)
        // In the sensor frame, per-component linear interpolation bends the parked car.
        let naive = interpolateCuboid(from: key0, to: key1, t: (time - t0) / (t1 - t0))
        let naiveOffset = naive.center - expected.center
        #expect((naiveOffset * naiveOffset).sum().squareRoot() > 1e-3)
    }

    @Test("track interpolation: exact at keyframes, linear between, held outside, any thread count")
    func tracks() {
        let a = Box3D(x: 0, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 3.0)
        let b = Box3D(x: 10, y: -2, z: 1, length: 4.4, width: 2, height: 1.5, yaw: -3.0)
        let c = Box3D(x: 12, y: -2, z: 1, length: 4.4, width: 2, height: 1.5, yaw: -2.0)
        let keyframes = [Keyframe(time: 0, box: a), Keyframe(time: 10, box: b), Keyframe(time: 12, box: c)]
        let times = [-1.0, 0, 2.5, 10, 11, 12, 15]
        let out = interpolateTrack(keyframes, at: times)
        #expect(out[0] == a && out[1] == a && out[3] == b && out[5] == c && out[6] == c)
        #expect(abs(out[2].x - 2.5) < 1e-12 && abs(out[2].length - 4.1) < 1e-12)
        // Yaw 3.0 -> -3.0 crosses pi: a quarter of the way is 3.0 + 0.25 * (2 pi - 6).
        #expect(abs(out[2].yaw - (3.0 + 0.25 * (2 * .pi - 6))) < 1e-12)
        #expect(abs(out[4].yaw - (-2.5)) < 1e-12)
        var generator = SeededGenerator(seed: 4)
        let many = (0..<300).map { track in
            (0..<Int.random(in: 1...6, using: &generator)).map { k in
                Keyframe(time: Double(k * 20 + track % 7), box: random3D(&generator))
            }
        }
        let grid = (0..<100).map(Double.init)
        let one = interpolateTracks(many, at: grid, threads: 1), two = interpolateTracks(many, at: grid, threads: 2)
        #expect(one == two)
        #expect(Array(one[(5 * 100)..<(6 * 100)]) == interpolateTrack(many[5], at: grid))
        for box in one { #expect(box.yaw > -.pi && box.yaw <= .pi) }
    }
}

@Suite("Points in cuboids")
struct PointsInCuboidsTests {
    @Test("indices and counts equal a brute-force test of every point against every cuboid", arguments: [0, 1, 2])
    func bruteForce(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let cuboids = (0..<40).map { _ in random3D(&generator) } + [Box3D(x: 1000, y: 0, z: 0, length: 0, width: 0, height: 0, yaw: 0)]
        let count = 20_000
        var x: [Float] = [], y: [Float] = [], z: [Float] = []
        for _ in 0..<count {
            x.append(.random(in: -2...17, using: &generator))
            y.append(.random(in: -2...17, using: &generator))
            z.append(.random(in: -3...3, using: &generator))
        }
        x.append(.nan); y.append(0); z.append(0)
        let found = PointsInCuboids(x: x, y: y, z: z, cuboids: cuboids)
        for (k, cuboid) in cuboids.enumerated() {
            let expected = x.indices.filter { cuboid.contains(SIMD3(Double(x[$0]), Double(y[$0]), Double(z[$0]))) }
            #expect(found.indices[k] == expected)
        }
        #expect(found.counts.reduce(0, +) > 100)
        #expect(PointsInCuboids(x: [], y: [], z: [], cuboids: cuboids).counts == Array(repeating: 0, count: cuboids.count))
    }

    @Test("a point on a face counts as inside; axis-aligned and 90-degree boxes are exact")
    func boundaries() {
        let box = Box3D(x: 0, y: 0, z: 0, length: 4, width: 2, height: 2, yaw: .pi / 2)  // 2 along x, 4 along y
        let found = PointsInCuboids(x: [1, 1.0001, 0, 0], y: [2, 0, 2, 2.0001], z: [1, 0, -1, 0], cuboids: [box])
        #expect(found.indices == [[0, 2]])
    }
}
