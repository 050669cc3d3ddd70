import CuboidPointClouds
import CuboidTestSupport
import Testing

/// What a format can hold of a cloud, so `decode(encode(c)) == representable(c)` is the check.
func representable(_ cloud: PointCloud, in format: PointCloudFormat) -> PointCloud {
    switch format {
    case .pcdBinary, .pcdBinaryCompressed, .pcdASCII:
        return cloud
    case .kittiBin, .nuScenesBin:
        var names = [StandardAttribute.intensity]
        if format == .nuScenesBin { names.append(StandardAttribute.ring) }
        let attributes = names.map { name in
            PointAttribute(name: name, values: .float32(cloud.attribute(named: name).map { firstComponents($0) } ?? Array(repeating: 0, count: cloud.count)))
        }
        return PointCloud(x: cloud.x, y: cloud.y, z: cloud.z, attributes: attributes)
    case .plyASCII, .plyBinaryLittleEndian, .plyBinaryBigEndian:
        var attributes: [PointAttribute] = []
        for attribute in cloud.attributes {
            var values = attribute.values
            if attribute.scalarType == .int64 || attribute.scalarType == .uint64 {
                values = .float64((0..<values.count).map { attribute.values[$0] })
            }
            if attribute.componentCount == 1 {
                attributes.append(PointAttribute(name: attribute.name, values: values))
            } else {
                for c in 0..<attribute.componentCount {
                    let picked = stride(from: c, to: values.count, by: attribute.componentCount).map { values[$0] }
                    attributes.append(PointAttribute(name: "\(attribute.name)_\(c)", values: retype(picked, values.scalarType)))
                }
            }
        }
        return PointCloud(x: cloud.x, y: cloud.y, z: cloud.z, attributes: attributes)
    }
}

private func firstComponents(_ attribute: PointAttribute) -> [Float] {
    let all = attribute.values.floats()
    if attribute.componentCount == 1 { return all }
    if attribute.componentCount == 0 { return Array(repeating: 0, count: all.count) }
    return stride(from: 0, to: all.count, by: attribute.componentCount).map { all[$0] }
}

private func retype(_ values: [Double], _ type: ScalarType) -> AttributeValues {
    switch type {
    case .int8: .int8(values.map { Int8($0) })
    case .uint8: .uint8(values.map { UInt8($0) })
    case .int16: .int16(values.map { Int16($0) })
    case .uint16: .uint16(values.map { UInt16($0) })
    case .int32: .int32(values.map { Int32($0) })
    case .uint32: .uint32(values.map { UInt32($0) })
    case .int64: .int64(values.map { Int64($0) })
    case .uint64: .uint64(values.map { UInt64($0) })
    case .float32: .float32(values.map { Float($0) })
    case .float64: .float64(values)
    }
}

/// ASCII formats spell every NaN `nan`, so payloads and signs of NaNs are not kept: compare with NaNs canonicalised.
func canonicalNaNs(_ cloud: PointCloud) -> PointCloud {
    func fix(_ v: [Float]) -> [Float] { v.map { $0.isNaN ? .nan : $0 } }
    let attributes = cloud.attributes.map { attribute -> PointAttribute in
        switch attribute.values {
        case .float32(let v): PointAttribute(name: attribute.name, componentCount: attribute.componentCount, values: .float32(fix(v)))
        case .float64(let v): PointAttribute(name: attribute.name, componentCount: attribute.componentCount, values: .float64(v.map { $0.isNaN ? .nan : $0 }))
        default: attribute
        }
    }
    return PointCloud(x: fix(cloud.x), y: fix(cloud.y), z: fix(cloud.z), attributes: attributes, width: cloud.width, height: cloud.height, viewpoint: cloud.viewpoint)
}

/// A cloud with every scalar type, COUNT 0, 1 and 3, NaNs, infinities, negative zero and extreme values.
func syntheticCloud(points: Int, organisedRows: Int = 1, seed: UInt64) -> PointCloud {
    var g = SeededGenerator(seed: seed)
    func floats(_ n: Int) -> [Float] {
        (0..<n).map { i in
            switch i % 17 {
            case 3: .nan
            case 5: -0.0
            case 7: .infinity
            case 11: .greatestFiniteMagnitude
            case 13: .leastNonzeroMagnitude
            default: Float.random(in: -80...80, using: &g)
            }
        }
    }
    let n = points
    let attributes = [
        PointAttribute(name: "intensity", values: .float32(floats(n))),
        PointAttribute(name: "i8", values: .int8((0..<n).map { _ in Int8.random(in: .min ... .max, using: &g) })),
        PointAttribute(name: "u8", values: .uint8((0..<n).map { _ in UInt8.random(in: .min ... .max, using: &g) })),
        PointAttribute(name: "i16", values: .int16((0..<n).map { _ in Int16.random(in: .min ... .max, using: &g) })),
        PointAttribute(name: "ring", values: .uint16((0..<n).map { _ in UInt16.random(in: 0...127, using: &g) })),
        PointAttribute(name: "i32", values: .int32((0..<n).map { _ in Int32.random(in: .min ... .max, using: &g) })),
        PointAttribute(name: "rgb", values: .uint32((0..<n).map { _ in UInt32.random(in: .min ... .max, using: &g) })),
        PointAttribute(name: "i64", values: .int64((0..<n).map { _ in Int64.random(in: -(1 << 50) ... (1 << 50), using: &g) })),
        PointAttribute(name: "u64", values: .uint64((0..<n).map { _ in UInt64.random(in: 0 ... (1 << 52), using: &g) })),
        PointAttribute(name: "timestamp", values: .float64((0..<n).map { _ in Double.random(in: 1.5e9...1.6e9, using: &g) })),
        PointAttribute(name: "normal", componentCount: 3, values: .float32(floats(3 * n))),
        PointAttribute(name: "empty", componentCount: 0, values: .float32([])),
    ]
    return PointCloud(
        x: floats(n), y: floats(n), z: floats(n), attributes: attributes, width: n / organisedRows, height: organisedRows,
        viewpoint: organisedRows > 1 ? Viewpoint(translation: [1, 2.5, -3], rotation: [0, 1, 0, 0]) : .identity)
}

@Suite("Round trips")
struct RoundTripTests {
    static let formats = PointCloudFormat.allCases

    @Test("synthetic clouds with every type read back equal", arguments: formats, [0, 1, 257, 5000])
    func synthetic(format: PointCloudFormat, points: Int) throws {
        let rows = (format == .pcdBinary || format == .pcdASCII || format == .pcdBinaryCompressed) && points == 5000 ? 50 : 1
        let cloud = syntheticCloud(points: points, organisedRows: rows, seed: UInt64(points) &+ 17)
        let encoded = PointCloudCodec.encode(cloud, as: format)
        let decoded = try PointCloudCodec.decode(encoded, format: format)
        #expect(decoded.format == format)
        let expected = representable(cloud, in: format)
        if format == .pcdASCII || format == .plyASCII {
            #expect(canonicalNaNs(decoded.cloud) == canonicalNaNs(expected))
        } else {
            #expect(decoded.cloud == expected)  // bit-exact
            // Writing what was read gives the same bytes again.
            #expect(PointCloudCodec.encode(decoded.cloud, as: format) == PointCloudCodec.encode(expected, as: format))
        }
    }

    @Test(
        "real clouds read back equal in every format", .enabled(if: SharedData.isAvailable, "needs ../shared/data"),
        arguments: ["sustechpoints/lidar/000965.pcd", "pcd/pcl/table_scene_mug_stereo_textured.pcd", "pcd/pcl/colored_cloud.pcd",
                    "ply/d60558d2-d1aa-34ee-a902-e061e346e02a__PC_315971347819783000.ply", realClouds[7].path, realClouds[0].path])
    func real(path: String) throws {
        let cloud = try PointCloudCodec.read(SharedData.path(path)).cloud
        for format in PointCloudFormat.allCases {
            let decoded = try PointCloudCodec.decode(PointCloudCodec.encode(cloud, as: format), format: format).cloud
            let expected = representable(cloud, in: format)
            if format == .pcdASCII || format == .plyASCII {
                #expect(canonicalNaNs(decoded) == canonicalNaNs(expected), "\(path) as \(format)")
            } else {
                #expect(decoded == expected, "\(path) as \(format)")
            }
        }
    }

    @Test("the KITTI writer reproduces the original file byte for byte", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func kittiBytes() throws {
        let original = SharedData.bytes(realClouds[1].path)
        let cloud = try PointCloudCodec.decode(original, format: .kittiBin).cloud
        #expect(PointCloudCodec.encode(cloud, as: .kittiBin) == original)
        let nuScenes = SharedData.bytes(realClouds[7].path)
        #expect(PointCloudCodec.encode(try PointCloudCodec.decode(nuScenes, format: .nuScenesBin).cloud, as: .nuScenesBin) == nuScenes)
    }

    @Test("detect names every format from its bytes (and the extension for headerless sweeps)", arguments: PointCloudFormat.allCases)
    func detect(format: PointCloudFormat) {
        let bytes = PointCloudCodec.encode(syntheticCloud(points: 3, seed: 2), as: format)
        let path = format == .nuScenesBin ? "a/sweep.pcd.bin" : "a/sweep.bin"
        #expect(PointCloudFormat.detect(bytes, path: path) == format)
        if format == .kittiBin || format == .nuScenesBin { #expect(PointCloudFormat.detect(bytes) == nil) }
    }

    @Test("a PLY comment that mentions another format does not fool detection")
    func detectReadsTheFormatLine() {
        let ply = Array("ply\nformat binary_little_endian 1.0\ncomment converted from format ascii\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n".utf8)
        #expect(PointCloudFormat.detect(ply) == .plyBinaryLittleEndian)
    }

    @Test("losses are reported for what a format cannot hold")
    func losses() {
        let cloud = syntheticCloud(points: 10, organisedRows: 2, seed: 1)
        #expect(PointCloudCodec.losses(encoding: cloud, as: .pcdBinary).isEmpty)
        let kitti = PointCloudCodec.losses(encoding: cloud, as: .kittiBin)
        #expect(kitti.contains("attribute 'rgb' is not stored in kitti-bin"))
        #expect(kitti.contains { $0.hasPrefix("organised layout") })
        #expect(PointCloudCodec.losses(encoding: cloud, as: .plyBinaryLittleEndian).contains("attribute 'i64' (int64) is written as double"))
    }
}

@Suite("LZF")
struct LZFTests {
    @Test("compress then decompress is the identity", arguments: [0, 1, 2, 3, 31, 32, 33, 1000, 100_000])
    func identity(length: Int) throws {
        var g = SeededGenerator(seed: UInt64(length))
        // Half random, half repetitive, so both literal runs and back references occur.
        let data = (0..<length).map { i in i % 200 < 100 ? UInt8.random(in: 0...255, using: &g) : UInt8(i % 7) }
        let cloud = PointCloud(x: data.map(Float.init), y: data.map { Float($0) * 2 }, z: Array(repeating: 1, count: length))
        let encoded = PointCloudCodec.encode(cloud, as: .pcdBinaryCompressed)
        #expect(try PointCloudCodec.decode(encoded).cloud == cloud)
    }
}
