import CuboidPointClouds
import CuboidTestSupport
import Testing

/// Expected facts about a real file, read independently with numpy (headerless sweeps) and Open3D
/// (PCD, PLY): point count, first and last position, sum of finite x, and NaN points.
struct RealCloud: CustomTestStringConvertible, Sendable {
    let path: String
    let format: PointCloudFormat
    let count: Int
    let first: SIMD3<Float>?
    let last: SIMD3<Float>?
    let sumX: Double
    let nanPoints: Int
    var testDescription: String { path }
}

let realClouds: [RealCloud] = [
    RealCloud(path: "kitti_object/training/velodyne/000000.bin", format: .kittiBin, count: 115_384, first: [18.324, 0.049, 0.829], last: [3.967, -1.474, -1.857], sumX: 103_160.33702459477, nanPoints: 0),
    RealCloud(path: "kitti_object/training/velodyne/000001.bin", format: .kittiBin, count: 120_268, first: [49.52, 22.668, 2.051], last: [3.731, -1.391, -1.741], sumX: 13_588.126864358783, nanPoints: 0),
    RealCloud(path: "kitti_object/training/velodyne/000002.bin", format: .kittiBin, count: 126_891, first: [78.779, 0.171, 2.873], last: [7.423, -2.428, -3.526], sumX: 22_153.259841754916, nanPoints: 0),
    RealCloud(path: "kitti_object/training/velodyne/000003.bin", format: .kittiBin, count: 113_110, first: [68.127, 0.145, 2.513], last: [3.763, -1.39, -1.754], sumX: -142_165.0411670612, nanPoints: 0),
    RealCloud(path: "kitti_object/training/velodyne_reduced/007347.bin", format: .kittiBin, count: 19_590, first: [56.087, 6.665, 2.119], last: [6.165, -0.009, -1.667], sumX: 327_166.00906801224, nanPoints: 0),
    RealCloud(path: "waymo/000000.bin", format: .kittiBin, count: 151_239, first: [-62.22265625, 9.060791015625, 4.864593505859375], last: [-5.41455078125, -2.979736328125, -0.15378570556640625], sumX: 395_165.65283203125, nanPoints: 0),
    RealCloud(path: "kitti_raw/2011_09_26/velodyne_points/data/0000000000.bin", format: .kittiBin, count: 114_278, first: [34.809, 5.52, 1.401], last: [3.706, -1.381, -1.728], sumX: -171_582.81703474896, nanPoints: 0),
    RealCloud(path: "nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin", format: .nuScenesBin, count: 34_688, first: [-3.124373435974121, -0.43415367603302, -1.867192029953003], last: [-14.113669395446777, 0.014782516285777092, 2.6591546535491943], sumX: 34_108.46127361164, nanPoints: 0),
    RealCloud(path: "pcd/kitti_raw_pcd/0000000000.pcd", format: .pcdBinary, count: 119_978, first: [52.301, 7.3, 1.995], last: [0, 0, 0], sumX: -48_767.57897980185, nanPoints: 0),
    RealCloud(path: "pcd/kitti_raw_pcd/0000000005.pcd", format: .pcdBinary, count: 114_969, first: [77.713, 6.778, 2.847], last: [0, 0, 0], sumX: -73_076.35795696802, nanPoints: 0),
    RealCloud(path: "pcd/pcl/bun0.pcd", format: .pcdASCII, count: 397, first: [0.0054215998, 0.11349, 0.040748999], last: [-0.077930003, 0.17516001, -0.044399999], sumX: -11.5451350084, nanPoints: 0),
    RealCloud(path: "pcd/pcl/bunny.pcd", format: .pcdASCII, count: 397, first: [0.0054216, 0.11349, 0.040749], last: [-0.07793, 0.17516, -0.0444], sumX: -11.545135, nanPoints: 0),
    RealCloud(path: "pcd/pcl/car6.pcd", format: .pcdBinaryCompressed, count: 10_031, first: [-36.64, -61.93, -6.34], last: [-39.51, -65.47, -6.95], sumX: -375_096.4949645996, nanPoints: 0),
    RealCloud(path: "pcd/pcl/colored_cloud.pcd", format: .pcdBinary, count: 1000, first: [-0.8550515174865723, -0.6315085887908936, 1.467], last: [0.2712914049625397, -0.3860686123371124, 0.913], sumX: -218.51275972346775, nanPoints: 0),
    RealCloud(path: "pcd/pcl/cturtle.pcd", format: .pcdBinaryCompressed, count: 167_198, first: [-1.4197180271148682, 0.09770400077104568, 1.4052950143814087], last: [1.4197180271148682, -0.09269300103187561, 1.4056340456008911], sumX: -4129.592519840691, nanPoints: 0),
    RealCloud(path: "pcd/pcl/curve_close.pcd", format: .pcdBinary, count: 110, first: [0.26186829805374146, 0, 0], last: [0.4157775044441223, 0, 0], sumX: 51.50032071539681, nanPoints: 0),
    RealCloud(path: "pcd/pcl/grabber_sequences/pcd/frame_20121214T142255.814212.pcd", format: .pcdBinaryCompressed, count: 307_200, first: nil, last: nil, sumX: -6168.5921169567155, nanPoints: 35_625),
    RealCloud(path: "pcd/pcl/grabber_sequences/pcd/frame_20121214T142256.068683.pcd", format: .pcdBinaryCompressed, count: 307_200, first: nil, last: nil, sumX: -6261.652000858216, nanPoints: 35_805),
    RealCloud(path: "pcd/pcl/grabber_sequences/pcd/frame_20121214T142256.332395.pcd", format: .pcdBinaryCompressed, count: 307_200, first: nil, last: nil, sumX: -5905.919007961405, nanPoints: 35_872),
    RealCloud(path: "pcd/pcl/lamppost.pcd", format: .pcdASCII, count: 1771, first: [-10, 0, 0], last: [-9.828125, 0.0625, -5.4209976], sumX: -17_894.46875, nanPoints: 0),
    RealCloud(path: "pcd/pcl/milk.pcd", format: .pcdBinaryCompressed, count: 13_704, first: [-0.13160760700702667, -0.2095429003238678, 0.772], last: [0.013806669972836971, -0.18820670247077942, 0.763], sumX: -770.3041106266319, nanPoints: 0),
    RealCloud(path: "pcd/pcl/milk_color.pcd", format: .pcdBinaryCompressed, count: 13_704, first: [-0.13160760700702667, -0.2095429003238678, 0.772], last: [0.013806669972836971, -0.18820670247077942, 0.763], sumX: -770.3041106266319, nanPoints: 0),
    RealCloud(path: "pcd/pcl/nhood_test.pcd", format: .pcdASCII, count: 36, first: [-1.05057, -0.75085, 1.527237], last: [-1.026962, -0.708977, 1.562899], sumX: -37.648563, nanPoints: 0),
    RealCloud(path: "pcd/pcl/office1_keypoints.pcd", format: .pcdBinary, count: 1318, first: [3.6486306190490723, 4.24565315246582, 0.45956555008888245], last: [-10.837611198425293, -5.448917865753174, 0.34905552864074707], sumX: 408.1211923509836, nanPoints: 0),
    RealCloud(path: "pcd/pcl/table_scene_mug_stereo_textured.pcd", format: .pcdBinaryCompressed, count: 307_200, first: nil, last: nil, sumX: 19_930.185864931802, nanPoints: 97_920),
    RealCloud(path: "sustechpoints/lidar/000950.pcd", format: .pcdBinary, count: 68_242, first: [-0.014022251591086388, 32.13663101196289, 4.027324199676514], last: [-0.4128992557525635, 8.951393127441406, -2.5181233882904053], sumX: 265_105.8710756907, nanPoints: 0),
    RealCloud(path: "sustechpoints/lidar/000975.pcd", format: .pcdBinary, count: 67_153, first: [-1.3921489715576172, 33.779300689697266, 1.8398513793945312], last: [-0.3909529447555542, 8.672917366027832, -2.439668655395508], sumX: 192_398.7814267687, nanPoints: 0),
    RealCloud(path: "ply/d60558d2-d1aa-34ee-a902-e061e346e02a__PC_315971347819783000.ply", format: .plyBinaryLittleEndian, count: 91_083, first: [0.692266583442688, -16.980449676513672, 1.2933766841888428], last: [-3.991621971130371, 16.613712310791016, 1.9169504642486572], sumX: 533_781.2221032381, nanPoints: 0),
]

@Suite("Real point clouds", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
struct RealPointCloudTests {
    @Test("decodes with the independently measured count, values and NaNs", arguments: realClouds)
    func decodes(_ expected: RealCloud) throws {
        let decoded = try PointCloudCodec.read(SharedData.path(expected.path))
        let cloud = decoded.cloud
        #expect(decoded.format == expected.format)
        #expect(cloud.count == expected.count)
        #expect(cloud.nonFiniteCount == expected.nanPoints)
        if let first = expected.first, let last = expected.last {
            #expect(maxDifference(cloud[position: 0], first) < 1e-4)
            #expect(maxDifference(cloud[position: cloud.count - 1], last) < 1e-4)
        }
        let sum = (0..<cloud.count).reduce(0.0) { cloud.x[$1].isFinite ? $0 + Double(cloud.x[$1]) : $0 }
        #expect(abs(sum - expected.sumX) <= 1e-6 * max(1, abs(expected.sumX)))
    }

    @Test("every point cloud file in the shared data decodes")
    func everyFileDecodes() throws {
        let files = SharedData.files(under: ".", suffixes: [".bin", ".pcd", ".ply"])
        #expect(files.count >= 55)
        for file in files {
            let decoded = try PointCloudCodec.read(SharedData.path(file))
            #expect(decoded.cloud.count > 0, "\(file)")
        }
    }

    @Test("SUSTechPOINTS: padding fields and COUNT 0 are skipped, types kept")
    func sustechFields() throws {
        let decoded = try PointCloudCodec.read(SharedData.path("sustechpoints/lidar/000950.pcd"))
        let cloud = decoded.cloud
        #expect(cloud.attributes.map(\.name) == ["intensity", "timestamp", "ring"])
        #expect(cloud.attribute(named: "intensity")?.scalarType == .float32)
        #expect(cloud.attribute(named: "timestamp")?.scalarType == .float64)
        #expect(cloud.attribute(named: "ring")?.scalarType == .uint16)
        #expect(decoded.fileFields.filter { $0.name == "_" }.map(\.count) == [4, 0, 6, 12])
        #expect(decoded.notes == ["3848 bytes after the point data ignored"])
        // Offsets follow the header, as PCL's and three.js's readers compute them: each field starts
        // where the previous one's SIZE x COUNT ends. (This file's padding COUNTs do not describe the
        // struct it was written from, so its ring and timestamp read as PCL would read them.)
        let bytes = SharedData.bytes("sustechpoints/lidar/000950.pcd")
        let data = Corruption.offset(afterLineStarting: "DATA", in: bytes)
        let second = data + 48
        #expect(cloud.attribute(named: "ring")?.values[1] == Double(UInt16(bytes[second + 34]) | UInt16(bytes[second + 35]) << 8))
        let intensities = cloud.attribute(named: "intensity")!.values.floats()
        #expect(intensities.prefix(5) == [6, 27, 10, 13, 17])
        #expect(intensities.allSatisfy { (0...255).contains($0) })
    }

    @Test("organised cloud with NaNs and a VIEWPOINT")
    func organised() throws {
        let cloud = try PointCloudCodec.read(SharedData.path("pcd/pcl/table_scene_mug_stereo_textured.pcd")).cloud
        #expect(cloud.width == 640 && cloud.height == 480 && cloud.isOrganized)
        #expect(cloud.viewpoint.rotation == SIMD4(0, 1, 0, 0))
        #expect(cloud.attribute(named: "rgba")?.scalarType == .uint32)
        #expect(cloud.x[0].isNaN)
    }

    @Test("PLY: mixed property types")
    func plyTypes() throws {
        let cloud = try PointCloudCodec.read(SharedData.path("ply/d60558d2-d1aa-34ee-a902-e061e346e02a__PC_315971347819783000.ply")).cloud
        #expect(cloud.attributes.map(\.name) == ["intensity", "laser_number"])
        #expect(cloud.attribute(named: "intensity")?.scalarType == .uint8)
        guard case .uint16(let lasers) = cloud.attribute(named: "laser_number")!.values else {
            Issue.record("laser_number should be uint16")
            return
        }
        #expect(Set(lasers) == Set(0..<32))  // Argoverse's VLP-32C beams
    }

    @Test("nuScenes rings are 0...31")
    func nuScenesRings() throws {
        let cloud = try PointCloudCodec.read(SharedData.path(realClouds[7].path)).cloud
        let rings = cloud.attribute(named: "ring")!.values.floats()
        #expect(Set(rings) == Set((0..<32).map(Float.init)))
    }

    @Test("decoding from memory equals decoding the file", arguments: realClouds.prefix(3))
    func memoryEqualsFile(_ expected: RealCloud) throws {
        let fromFile = try PointCloudCodec.read(SharedData.path(expected.path)).cloud
        let fromMemory = try PointCloudCodec.decode(SharedData.bytes(expected.path), format: expected.format).cloud
        #expect(fromFile == fromMemory)
    }
}

func maxDifference(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
    let d = a - b
    return max(abs(d.x), abs(d.y), abs(d.z))
}
