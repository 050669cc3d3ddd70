import Benchmark
import Cuboid

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2), maxIterations: 1000)
    Benchmark.defaultConfiguration = configuration

    // Point clouds: the peers' files hold xyz only (Open3D writes float32 PCD and float64 PLY);
    // KITTI .bin holds xyz + intensity.
    let sweep = peerLikeSweep()
    let xyzOnly = PointCloud(x: sweep.x, y: sweep.y, z: sweep.z)
    let inputs: [(String, PointCloudFormat, [UInt8])] = [
        ("KITTI .bin 120k", .kittiBin, PointCloudCodec.encode(sweep, as: .kittiBin)),
        ("PCD binary 120k", .pcdBinary, PointCloudCodec.encode(xyzOnly, as: .pcdBinary)),
        ("PCD binary_compressed 120k", .pcdBinaryCompressed, PointCloudCodec.encode(xyzOnly, as: .pcdBinaryCompressed)),
        ("PCD ascii 120k", .pcdASCII, PointCloudCodec.encode(xyzOnly, as: .pcdASCII)),
        ("PLY binary float64 120k", .plyBinaryLittleEndian, plyWithDoubles(xyzOnly)),
    ]
    for (name, format, bytes) in inputs {
        Benchmark("decode \(name)", configuration: .init(scalingFactor: .one)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try PointCloudCodec.decode(bytes, format: format))
            }
        }
    }
    Benchmark("encode PCD binary_compressed 120k") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(PointCloudCodec.encode(xyzOnly, as: .pcdBinaryCompressed)) }
    }

    // Camera frames as the peers make them: PNG at zlib level 6, JPEG at quality 90.
    for (name, width, height) in [("KITTI 1242x375", 1242, 375), ("nuScenes 1600x900", 1600, 900)] {
        let frame = peerLikeFrame(width: width, height: height)
        let png = try! ImageCodec.encodePNG(frame, compressionLevel: 6)
        let jpeg = try! ImageCodec.encodeJPEG(frame, quality: 90)
        Benchmark("decode PNG \(name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try ImageCodec.decode(png)) }
        }
        Benchmark("decode JPEG \(name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try ImageCodec.decode(jpeg)) }
        }
        Benchmark("encode JPEG q90 \(name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try ImageCodec.encodeJPEG(frame, quality: 90)) }
        }
    }
}

/// A PLY with float64 x, y, z, as Open3D writes it.
func plyWithDoubles(_ cloud: PointCloud) -> [UInt8] {
    var bytes = Array("ply\nformat binary_little_endian 1.0\nelement vertex \(cloud.count)\nproperty double x\nproperty double y\nproperty double z\nend_header\n".utf8)
    bytes.reserveCapacity(bytes.count + cloud.count * 24)
    for i in 0..<cloud.count {
        for value in [Double(cloud.x[i]), Double(cloud.y[i]), Double(cloud.z[i])] {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }
    return bytes
}
