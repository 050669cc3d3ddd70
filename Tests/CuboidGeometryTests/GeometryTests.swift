import CuboidGeometry
import CuboidTestSupport
import Foundation
import Testing

private func close(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ tolerance: Double = 1e-12) -> Bool {
    let d = a - b
    return (d * d).sum().squareRoot() <= tolerance
}

@Suite("Angles")
struct AngleTests {
    static let yawCases: [(Double, Double)] = [
        (0, 0), (.pi, .pi), (-.pi, .pi), (3 * .pi, .pi),
        (-3 * .pi / 2, .pi / 2), (2 * .pi + 0.5, 0.5), (-0.25, -0.25), (7, 7 - 2 * .pi),
    ]

    @Test("normalizedYaw lands in (-pi, pi] and keeps the angle", arguments: yawCases)
    func normalized(input: Double, expected: Double) {
        let value = normalizedYaw(input)
        #expect(value > -Double.pi && value <= Double.pi)
        #expect(abs(value - expected) < 1e-12)
    }

    @Test("shortest arc crosses +-pi instead of 0")
    func shortestArcWraps() {
        #expect(abs(shortestArc(from: 3.1, to: -3.1) - (2 * Double.pi - 6.2)) < 1e-12)
        #expect(abs(shortestArc(from: -3.1, to: 3.1) + (2 * Double.pi - 6.2)) < 1e-12)
        #expect(shortestArc(from: 0.2, to: 0.5) == 0.5 - 0.2)
    }
}

@Suite("Boxes")
struct BoxTests {
    @Test("Box2D area, empty and inverted boxes")
    func box2D() {
        let box = Box2D(x: 10, y: 20, width: 30, height: 40)
        #expect(box.area == 1200 && box.center == SIMD2(25, 40) && !box.isEmpty)
        #expect(Box2D(minX: 5, minY: 5, maxX: 1, maxY: 9).area == 0)
        #expect(Box2D(minX: 1, minY: 1, maxX: 1, maxY: 9).isEmpty)
        #expect(Box2D(enclosing: [SIMD2(1, 5), SIMD2(-2, 3), SIMD2(4, -1)]) == Box2D(minX: -2, minY: -1, maxX: 4, maxY: 5))
        #expect(Box2D(enclosing: [SIMD2<Double>]()) == nil)
    }

    @Test("BEV corners follow the Conventions order and yaw turns them counter-clockwise")
    func bevCorners() {
        let box = BEVBox(centerX: 1, centerY: 2, length: 4, width: 2, yaw: .pi / 2)
        let expected: [SIMD2<Double>] = [SIMD2(0, 4), SIMD2(0, 0), SIMD2(2, 0), SIMD2(2, 4)]
        for (corner, want) in zip(box.corners, expected) {
            #expect(abs(corner.x - want.x) < 1e-12 && abs(corner.y - want.y) < 1e-12)
        }
        // Counter-clockwise: positive signed area.
        let c = box.corners
        var twice = 0.0
        for k in 0..<4 { twice += c[k].x * c[(k + 1) % 4].y - c[(k + 1) % 4].x * c[k].y }
        #expect(abs(twice / 2 - 8) < 1e-12)
        let bounds = box.enclosingBox
        #expect(abs(bounds.minX - 0) < 1e-12 && abs(bounds.maxY - 4) < 1e-12)
        #expect(box.contains(SIMD2(1, 3.99)) && !box.contains(SIMD2(2.01, 2)))
    }

    @Test("Box3D corners, faces and containment")
    func box3D() {
        let box = Box3D(x: 0, y: 0, z: 1, length: 4, width: 2, height: 2, yaw: 0)
        #expect(box.bottom == 0 && box.top == 2 && box.volume == 16)
        #expect(box.corners[0] == SIMD3(2, 1, 0) && box.corners[6] == SIMD3(-2, -1, 2))
        #expect(box.contains(SIMD3(2, 1, 2)) && !box.contains(SIMD3(0, 0, 2.0001)))
        #expect(box.bev == BEVBox(centerX: 0, centerY: 0, length: 4, width: 2, yaw: 0))
        #expect(box.bev.cuboid(bottom: 0, top: 2) == box)
    }

    @Test("Codable round trip keeps every value", arguments: [Box3D(x: 1.5, y: -2, z: 0.1, length: 4, width: 1.7, height: 1.5, yaw: -3.0)])
    func codable(box: Box3D) throws {
        let data = try JSONEncoder().encode(box)
        #expect(try JSONDecoder().decode(Box3D.self, from: data) == box)
    }
}

@Suite("Rotations and poses")
struct PoseTests {
    @Test("quaternion and rotation matrix convert both ways", arguments: 0..<50)
    func quaternionMatrix(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let axis = SIMD3(Double.random(in: -1...1, using: &generator), Double.random(in: -1...1, using: &generator),
                         Double.random(in: -1...1, using: &generator))
        let q = Quaternion(axis: axis == .zero ? SIMD3(0, 0, 1) : axis, angle: Double.random(in: -Double.pi...Double.pi, using: &generator))
        let back = Quaternion(rotationMatrix: q.rotationMatrix)
        #expect(q.angle(to: back) < 1e-7)
        let v = SIMD3(0.3, -1.2, 2.0)
        let m = q.rotationMatrix
        var byMatrix = SIMD3<Double>.zero
        for row in 0..<3 {
            for column in 0..<3 { byMatrix[row] += m[row][column] * v[column] }
        }
        #expect(close(q.rotate(v), byMatrix, 1e-12))
    }

    @Test("yaw quaternion turns +x counter-clockwise")
    func yawQuaternion() {
        let q = Quaternion(yaw: .pi / 2)
        #expect(close(q.rotate(SIMD3(1, 0, 0)), SIMD3(0, 1, 0)))
        #expect(abs(q.yaw - .pi / 2) < 1e-12)
    }

    @Test("pose inverse, composition and matrix form")
    func poses() {
        let pose = RigidPose(rotation: Quaternion(axis: SIMD3(1, 2, 3), angle: 0.7), translation: SIMD3(5, -1, 2))
        let p = SIMD3(0.5, 0.25, -3.0)
        #expect(close(pose.inverse.apply(to: pose.apply(to: p)), p))
        #expect(close(pose.composed(with: pose.inverse).translation, .zero))
        let rebuilt = RigidPose(matrix: pose.matrix)
        #expect(close(rebuilt.apply(to: p), pose.apply(to: p), 1e-12))
        let other = RigidPose(yaw: 0.3, translation: SIMD3(1, 1, 0))
        #expect(close(pose.composed(with: other).apply(to: p), pose.apply(to: other.apply(to: p))))
    }

    @Test("a box moved by a yaw pose keeps its shape and turns its yaw")
    func boxTransform() {
        let box = Box3D(x: 1, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 3.0)
        let moved = box.transformed(by: RigidPose(yaw: 0.5, translation: SIMD3(10, 0, 1)))
        #expect(close(moved.center, SIMD3(10 + cos(0.5), sin(0.5), 1)))
        #expect(abs(moved.yaw - normalizedYaw(3.5)) < 1e-12)
        #expect(moved.size == box.size)
    }
}

@Suite("Cameras")
struct CameraTests {
    let intrinsics = CameraIntrinsics(fx: 721.5377, fy: 721.5377, cx: 609.5593, cy: 172.854, width: 1242, height: 375)

    @Test("project and unproject are inverse; points behind give nil")
    func projectUnproject() {
        let point = SIMD3(2.0, -0.5, 12.0)
        let pixel = intrinsics.project(point)!
        #expect(close(intrinsics.unproject(pixel, depth: 12), point, 1e-9))
        #expect(intrinsics.project(SIMD3(0, 0, -1)) == nil)
        #expect(intrinsics.project(SIMD3(0, 0, 5)) == SIMD2(609.5593, 172.854))
    }

    @Test("a KITTI P2 row-major matrix gives its intrinsics")
    func fromProjectionMatrix() {
        let p2 = [721.5377, 0, 609.5593, 44.85728, 0, 721.5377, 172.854, 0.2163791, 0, 0, 1, 0.002745884]
        #expect(CameraIntrinsics(matrix: p2, width: 1242, height: 375) == intrinsics)
        #expect(intrinsics.matrix == [721.5377, 0, 609.5593, 0, 721.5377, 172.854, 0, 0, 1])
    }

    @Test("a camera looking forward sees a lidar point ahead at its depth")
    func extrinsics() {
        // Lidar (x forward, y left, z up) to camera (x right, y down, z forward).
        let cameraFromLidar = RigidPose(rotation: Quaternion(rotationMatrix: [[0, -1, 0], [0, 0, -1], [1, 0, 0]]), translation: .zero)
        let camera = Camera(name: "front", intrinsics: intrinsics, cameraFromSensor: cameraFromLidar)
        let seen = camera.project(SIMD3(10, 0, 0))!
        #expect(abs(seen.depth - 10) < 1e-12)
        #expect(abs(seen.pixel.x - 609.5593) < 1e-9 && abs(seen.pixel.y - 172.854) < 1e-9)
        #expect(camera.project(SIMD3(-10, 0, 0)) == nil)
        #expect(close(camera.sensorFromCamera.apply(to: SIMD3(0, 0, 10)), SIMD3(10, 0, 0)))
    }
}

@Suite("Matrix")
struct MatrixTests {
    @Test("rows, subscript and transpose")
    func matrix() {
        var m = Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.columns == 3 && m[1, 2] == 6 && m.row(0) == [1, 2, 3])
        m[0, 1] = 9
        #expect(m.transposed == Matrix([[1, 4], [9, 5], [3, 6]]))
    }
}
