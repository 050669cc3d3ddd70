import CuboidDatasets
import CuboidGeometry
import CuboidTestSupport
import Foundation
import Testing

@testable import CuboidSynthesis

@Suite("Scene files")
struct SceneFileTests {
    @Test("shipped scenes parse, and encode back to the same scene", arguments: ["urban", "highway", "residential"])
    func shippedScenes(name: String) throws {
        let scene = try Scenes.read(name)
        #expect(scene.name == name)
        #expect(try SceneDescription.decode(scene.encoded()) == scene)
    }

    @Test("the default lidar is a 64-beam HDL-64E-like pattern from +2 to -24.8 degrees")
    func defaultLidar() {
        let lidar = SceneDescription().lidar
        #expect(lidar.elevations.count == 64)
        #expect(lidar.elevations.first == 2)
        #expect(abs(lidar.elevations.last! + 24.8) < 1e-9)
        #expect(lidar.azimuthStep == 0.17)
    }

    @Test("malformed scenes give the line and what was expected", arguments: [
        ("{\n  \"ego\": {\"sped\": 3}\n}", "line 2: unknown key \"sped\""),
        ("{\n\"lidar\": {\n\"beams\": 0}}", "line 3, lidar.beams: expected a whole number from 1 to 512"),
        ("{\"ego\": {\"path\": [{\"turn\": 90, \"radius\": 10}]}}", "line 1, radius: expected a number from 30.0"),
        ("{\"ego\": {\"path\": [{\"straight\": 10, \"turn\": 5}]}}", "expected either"),
        ("{\"seed\": 1.5}", "line 1, seed: expected a whole number"),
        ("{\"road\": {\"grade\": [0.01]}}", "road.grade: expected 2 numbers"),
        ("{\"traffic\": {\"parked\": {\"Bus\": 1}}}", "unknown key \"Bus\""),
        ("{\"name\": 3,}", "line 1, column"),
    ])
    func malformed(text: String, message: String) {
        do {
            _ = try SceneDescription.decode(Array(text.utf8))
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}

@Suite("Road and ground")
struct RoadTests {
    let road = RoadPath([.straight(length: 50), .turn(radius: 40, angle: .pi / 2), .straight(length: 30), .turn(radius: 35, angle: -.pi)])

    @Test("distance to the centreline matches dense sampling of it")
    func distanceMatchesSampling() {
        var generator = SeededGenerator(seed: 4)
        let samples = stride(from: 0.0, through: road.length, by: 0.01).map { road.pose(at: $0).position }
        for _ in 0..<300 {
            let p = SIMD2(Double.random(in: -20...120, using: &generator), Double.random(in: -40...140, using: &generator))
            let sampled = samples.map { (($0 - p) * ($0 - p)).sum() }.min()!.squareRoot()
            #expect(abs(road.distance(from: p) - sampled) < 0.01)
        }
    }

    @Test("path pieces join: positions and headings are continuous")
    func continuity() {
        for s in [50.0, 50 + 20 * Double.pi, 80 + 20 * Double.pi] {
            let before = road.pose(at: s - 1e-7), after = road.pose(at: s + 1e-7)
            #expect(((before.position - after.position) * (before.position - after.position)).sum().squareRoot() < 1e-5)
            #expect(abs(normalizedYaw(before.heading - after.heading)) < 1e-5)
        }
        #expect(abs(normalizedYaw(road.pose(at: road.length).heading - (-Double.pi / 2))) < 1e-9)
    }

    @Test("ray hits on the ground lie on the surface; rays aimed at the kerb hit its face")
    func groundHits() {
        let ground = Ground(origin: SIMD2(10, 5), grade: SIMD2(0.02, -0.01), curvature: SIMD2(4e-5, -3e-5), kerbHeight: 0.15,
                            roadHalfWidth: 6, road: RoadPath([.straight(length: 400)]))
        var generator = SeededGenerator(seed: 9)
        var kerbs = 0, surfaces = 0
        for _ in 0..<2000 {
            let origin = SIMD3(Double.random(in: 0...300, using: &generator), Double.random(in: -5...5, using: &generator), 1.8)
            let angle = Double.random(in: -.pi ... .pi, using: &generator), down = Double.random(in: 0.01...0.5, using: &generator)
            let direction = SIMD3(cos(angle) * cos(down), sin(angle) * cos(down), -sin(down))
            guard let hit = ground.intersect(origin, direction, tMax: 200) else { continue }
            let p = origin + direction * hit.t
            switch hit.kind {
            case .kerb:
                kerbs += 1
                #expect(abs(abs(p.y) - 6) < 1e-4)
                #expect(p.z >= ground.roadHeight(SIMD2(p.x, p.y)) - 1e-6 && p.z <= ground.roadHeight(SIMD2(p.x, p.y)) + 0.15 + 1e-6)
            default:
                surfaces += 1
                #expect(abs(p.z - ground.height(SIMD2(p.x, p.y))) < 1e-7)
            }
        }
        #expect(kerbs > 0)
        #expect(surfaces > 500)
    }
}

@Suite("KITTI raw helpers")
struct KITTIRawHelperTests {
    @Test("timestamps print as KITTI raw's text and read back")
    func timestamps() throws {
        let text = SequenceFiles.kittiTimestamp(nanoseconds: 1_767_268_800_100_000_000)
        #expect(text == "2026-01-01 12:00:00.100000000")
        #expect(SequenceFiles.kittiTimestamp(nanoseconds: 951_782_400_000_000_001) == "2000-02-29 00:00:00.000000001")
        let read = try SequenceFiles.timestamps(Array((text + "\n").utf8), count: 1)
        #expect(abs(read[0] - 1_767_268_800.1) < 1e-6)
    }

    @Test("OXTS records made from poses give the poses back through the devkit's formula")
    func oxtsRoundTrip() throws {
        var poses: [RigidPose] = []
        for i in 0..<20 {
            let yaw = 0.3 + 0.05 * Double(i)
            let rotation = Quaternion(axis: SIMD3(0, 0, 1), angle: yaw) * Quaternion(axis: SIMD3(0, 1, 0), angle: 0.01 * sin(Double(i)))
                * Quaternion(axis: SIMD3(1, 0, 0), angle: -0.02)
            poses.append(RigidPose(rotation: rotation, translation: SIMD3(100_000 + 8 * Double(i), 50 + 3 * Double(i), 2 + 0.1 * Double(i))))
        }
        let records = OXTSRecord.records(imuPoses: poses, latitude: 49.011, longitude: 8.4164, altitude: 115)
        let decoded = try records.map { try OXTSRecord.decode($0.encoded()) }
        #expect(decoded == records)
        let back = OXTSRecord.poses(decoded)
        let first = poses[0].inverse
        for (pose, read) in zip(poses, back) {
            let expected = first.composed(with: pose)
            let offset = expected.translation - read.translation
            #expect((offset * offset).sum().squareRoot() < 1e-6)
            #expect(abs((expected.rotation.vector * read.rotation.vector).sum() + expected.rotation.w * read.rotation.w) > 1 - 1e-12)
        }
    }
}
