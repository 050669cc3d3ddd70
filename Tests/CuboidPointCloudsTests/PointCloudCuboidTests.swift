import CuboidGeometry
import CuboidPointClouds
import CuboidTestSupport
import Testing

@Suite("Point clouds and cuboids")
struct PointCloudCuboidTests {
    @Test("points(inside:) finds the SampleData sweep's returns inside cuboids, NaNs never inside")
    func sampleSweep() throws {
        let cloud = try PointCloudCodec.read(SharedData.sampleData + "/sweep.pcd").cloud
        let everything = Box3D(x: 0, y: 0, z: 0, length: 1000, width: 1000, height: 1000, yaw: 0.3)
        let ahead = Box3D(x: 10, y: 0, z: 0, length: 10, width: 10, height: 10, yaw: 0)
        let found = cloud.points(inside: [everything, ahead])
        let finite = cloud.x.indices.filter { cloud.x[$0].isFinite && cloud.y[$0].isFinite && cloud.z[$0].isFinite }
        #expect(found.indices[0] == finite)
        let expectedAhead = cloud.x.indices.filter {
            ahead.contains(SIMD3(Double(cloud.x[$0]), Double(cloud.y[$0]), Double(cloud.z[$0])))
        }
        #expect(found.counts[1] == expectedAhead.count && found.indices[1] == expectedAhead)
        #expect(found.counts[1] > 0)
    }
}
