import BenchmarkSupport
import Cuboid

/// A 120,000-point sweep with the distribution of the peers' `make_sweep`
/// (../shared/peers/bench_pointcloud.py): ground rings, 30 box-shaped objects, 10,000 noise points.
func peerLikeSweep(points: Int = 120_000) -> PointCloud {
    var g = Generator(seed: 42)
    var x = [Float](), y = [Float](), z = [Float]()
    x.reserveCapacity(points); y.reserveCapacity(points); z.reserveCapacity(points)
    for _ in 0..<30 {
        let range = Double.random(in: 6...45, using: &g), azimuth = Double.random(in: -.pi ... .pi, using: &g)
        let yaw = Double.random(in: -.pi ... .pi, using: &g), count = Int(25_000 / 30 * (20 / range))
        let (l, w, h) = [(4.2, 1.8, 1.5), (5.5, 2.1, 2.2), (0.6, 0.6, 1.75)][Int.random(in: 0..<3, using: &g)]
        for _ in 0..<count {
            var u = [Double.random(in: -0.5...0.5, using: &g) * l, Double.random(in: -0.5...0.5, using: &g) * w, Double.random(in: -0.5...0.5, using: &g) * h]
            let face = Int.random(in: 0..<5, using: &g), axis = [0, 0, 1, 1, 2][face], sign = [1.0, -1, 1, -1, 1][face]
            u[axis] = sign * 0.5 * [l, w, h][axis]
            x.append(Float(range * cos(azimuth) + cos(yaw) * u[0] - sin(yaw) * u[1]))
            y.append(Float(range * sin(azimuth) + sin(yaw) * u[0] + cos(yaw) * u[1]))
            z.append(Float(-1.73 + h / 2 + u[2]))
        }
    }
    for _ in 0..<10_000 {
        let r = Double.random(in: 3...70, using: &g), a = Double.random(in: -.pi ... .pi, using: &g)
        x.append(Float(r * cos(a))); y.append(Float(r * sin(a))); z.append(Float.random(in: -1.3...3, using: &g))
    }
    while x.count < points {
        let r = 3 + 67 * pow(Double.random(in: 0..<1, using: &g), 2), a = Double.random(in: -.pi ... .pi, using: &g)
        x.append(Float(r * cos(a))); y.append(Float(r * sin(a))); z.append(Float(-1.73 + 0.03 * g.normal()))
    }
    x.removeLast(x.count - points); y.removeLast(y.count - points); z.removeLast(z.count - points)
    let intensity = (0..<points).map { _ in Float.random(in: 0..<1, using: &g) }
    return PointCloud(x: x, y: y, z: z, attributes: [PointAttribute(name: "intensity", values: .float32(intensity))])
}

/// An RGB frame like the peers' `make_frame` (gradients, a sinusoid and Gaussian noise).
func peerLikeFrame(width: Int, height: Int) -> Image {
    var g = Generator(seed: 5)
    var samples = [UInt8]()
    samples.reserveCapacity(width * height * 3)
    for row in 0..<height {
        for column in 0..<width {
            let base = [255.0 * Double(column) / Double(width), 255.0 * Double(row) / Double(height), 127.5 + 100 * sin(Double(column) / 37 + Double(row) / 23)]
            for value in base { samples.append(UInt8(max(0, min(255, value + 10 * g.normal())))) }
        }
    }
    return Image(width: width, height: height, layout: .rgb, samples: .eightBit(samples))
}

#if canImport(Glibc)
import Glibc
#endif
