import CuboidGeometry
import CuboidKernels
import CuboidTestSupport
import Foundation
import Testing

/// A hand-computed BEV case: two boxes and their exact IoU.
struct BEVCase: CustomTestStringConvertible, Sendable {
    let name: String
    let a: BEVBox
    let b: BEVBox
    let expected: Double
    var testDescription: String { name }
}

private func box(_ x: Double, _ y: Double, _ l: Double, _ w: Double, _ yaw: Double) -> BEVBox {
    BEVBox(centerX: x, centerY: y, length: l, width: w, yaw: yaw)
}

/// Intersection of two concentric squares of side s, one turned 45 degrees: a regular octagon.
private let octagon = 2 * 4 * (2.0.squareRoot() - 1)

let degenerateBEVCases: [BEVCase] = [
    BEVCase(name: "identical", a: box(1, 2, 4, 2, 0.3), b: box(1, 2, 4, 2, 0.3), expected: 1),
    BEVCase(name: "identical at yaw pi and -pi", a: box(0, 0, 4, 2, .pi), b: box(0, 0, 4, 2, -.pi), expected: 1),
    BEVCase(name: "yaw differs by 2 pi", a: box(3, -1, 4, 2, 0.4), b: box(3, -1, 4, 2, 0.4 + 2 * .pi), expected: 1),
    BEVCase(name: "heading reversed (yaw + pi)", a: box(3, -1, 4, 2, 0.4), b: box(3, -1, 4, 2, 0.4 - .pi), expected: 1),
    BEVCase(name: "touching edges", a: box(0, 0, 2, 2, 0), b: box(2, 0, 2, 2, 0), expected: 0),
    BEVCase(name: "touching edges, rotated 30 degrees", a: box(0, 0, 2, 2, .pi / 6),
            b: box(2 * cos(.pi / 6), 2 * sin(.pi / 6), 2, 2, .pi / 6), expected: 0),
    BEVCase(name: "touching corners", a: box(0, 0, 2, 2, 0), b: box(2, 2, 2, 2, 0), expected: 0),
    BEVCase(name: "half overlap", a: box(0, 0, 2, 2, 0), b: box(1, 0, 2, 2, 0), expected: 2.0 / 6.0),
    BEVCase(name: "nested", a: box(0, 0, 4, 4, 0), b: box(0.5, 0.5, 1, 1, 0.3), expected: 1.0 / 16.0),
    BEVCase(name: "nested, outer rotated", a: box(0.5, 0.5, 1, 1, 0), b: box(0, 0, 4, 4, 1.0), expected: 1.0 / 16.0),
    BEVCase(name: "45 degrees, concentric squares", a: box(0, 0, 2, 2, 0), b: box(0, 0, 2, 2, .pi / 4),
            expected: octagon / (8 - octagon)),
    BEVCase(name: "90 degrees, concentric", a: box(0, 0, 4, 2, 0), b: box(0, 0, 4, 2, .pi / 2), expected: 4.0 / 12.0),
    BEVCase(name: "-90 degrees, concentric", a: box(0, 0, 4, 2, 0), b: box(0, 0, 4, 2, -.pi / 2), expected: 4.0 / 12.0),
    BEVCase(name: "zero length", a: box(0, 0, 0, 2, 0.2), b: box(0, 0, 4, 2, 0), expected: 0),
    BEVCase(name: "both zero size", a: box(0, 0, 0, 0, 0), b: box(0, 0, 0, 0, 0), expected: 0),
    BEVCase(name: "far apart", a: box(0, 0, 4, 2, 0), b: box(100, 0, 4, 2, 0), expected: 0),
    BEVCase(name: "huge coordinates", a: box(1e7, -1e7, 4, 2, 0), b: box(1e7 + 1, -1e7, 4, 2, 0), expected: 6.0 / 10.0),
    BEVCase(name: "huge coordinates, 90 degrees", a: box(5e8, 5e8, 4, 2, 0), b: box(5e8, 5e8, 4, 2, .pi / 2), expected: 4.0 / 12.0),
    BEVCase(name: "tiny boxes", a: box(1e-7, 0, 2e-6, 2e-6, 0), b: box(1.1e-6, 0, 2e-6, 2e-6, 0), expected: 1.0 / 3.0),
    BEVCase(name: "cross: long thin boxes at 90 degrees", a: box(0, 0, 10, 1, 0), b: box(0, 0, 10, 1, .pi / 2), expected: 1.0 / 19.0),
]

@Suite("IoU")
struct IoUTests {
    @Test("BEV degenerate cases are exact", arguments: degenerateBEVCases)
    func degenerateBEV(testCase: BEVCase) {
        let forward = iou(testCase.a, testCase.b), backward = iou(testCase.b, testCase.a)
        #expect(abs(forward - testCase.expected) <= 1e-12, "\(forward)")
        #expect(abs(backward - testCase.expected) <= 1e-12, "\(backward)")
        // The N x M and aligned kernels give the same values.
        #expect(abs(pairwiseIoU([testCase.a], [testCase.b])[0, 0] - testCase.expected) <= 1e-12)
        #expect(abs(alignedIoU([testCase.a], [testCase.b])[0] - testCase.expected) <= 1e-12)
    }

    @Test("BEV IoU equals an independent polygon-clipping reference on random pairs")
    func randomBEVAgainstReference() {
        var generator = SeededGenerator(seed: 11)
        var worst = 0.0
        for _ in 0..<5000 {
            let a = randomBox(&generator), b = randomBox(&generator, near: a)
            let reference = referenceBEVIoU(a, b)
            worst = max(worst, abs(iou(a, b) - reference))
        }
        #expect(worst <= 1e-9, "worst difference \(worst)")
    }

    @Test("3D IoU agrees with brute-force point sampling", arguments: 0..<40)
    func sampled3D(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(1000 + seed))
        let a = Box3D(x: 0, y: 0, z: 0, length: .random(in: 1...6, using: &generator), width: .random(in: 0.5...3, using: &generator),
                      height: .random(in: 1...3, using: &generator), yaw: .random(in: -.pi...Double.pi, using: &generator))
        let b = Box3D(x: .random(in: -1.5...1.5, using: &generator), y: .random(in: -1.5...1.5, using: &generator),
                      z: .random(in: -1...1, using: &generator), length: .random(in: 1...6, using: &generator),
                      width: .random(in: 0.5...3, using: &generator), height: .random(in: 1...3, using: &generator),
                      yaw: .random(in: -.pi...Double.pi, using: &generator))
        // Uniform samples in a's volume; the fraction inside b estimates the intersection volume.
        let samples = 40_000
        var inside = 0
        let c = cos(a.yaw), s = sin(a.yaw)
        for _ in 0..<samples {
            let u = Double.random(in: -0.5...0.5, using: &generator) * a.length
            let v = Double.random(in: -0.5...0.5, using: &generator) * a.width
            let z = Double.random(in: -0.5...0.5, using: &generator) * a.height
            if b.contains(SIMD3(a.x + u * c - v * s, a.y + u * s + v * c, a.z + z)) { inside += 1 }
        }
        let fraction = Double(inside) / Double(samples)
        let intersection = fraction * a.volume
        let sampled = intersection / (a.volume + b.volume - intersection)
        // Binomial standard error of the fraction is at most 0.0025; allow 4 sigma.
        let tolerance = 4 * (fraction * (1 - fraction) / Double(samples)).squareRoot() * a.volume / (a.volume + b.volume - intersection) + 1e-3
        #expect(abs(iou(a, b) - sampled) <= tolerance, "exact \(iou(a, b)) sampled \(sampled)")
        #expect(abs(intersectionVolume(a, b) - intersection) <= tolerance * (a.volume + b.volume))
    }

    @Test("3D degenerate cases: stacked, touching faces, nested, identical")
    func degenerate3D() {
        let base = Box3D(x: 0, y: 0, z: 1, length: 4, width: 2, height: 2, yaw: 0.7)
        #expect(iou(base, base) == 1)
        var above = base
        above.z = 3  // touching the top face
        #expect(iou(base, above) == 0)
        above.z = 2  // half the height overlaps
        #expect(abs(iou(base, above) - 1.0 / 3.0) <= 1e-12)
        let inner = Box3D(x: 0.1, y: 0, z: 1, length: 1, width: 1, height: 1, yaw: -0.2)
        #expect(abs(iou(base, inner) - 1.0 / 16.0) <= 1e-12)
        var flat = base
        flat.height = 0
        #expect(iou(base, flat) == 0 && iou(flat, flat) == 0)
        let wrapped = Box3D(x: 0, y: 0, z: 1, length: 4, width: 2, height: 2, yaw: 0.7 - 2 * .pi)
        #expect(abs(iou(base, wrapped) - 1) <= 1e-12)
    }

    @Test("2D IoU: hand-computed values")
    func twoD() {
        let a = Box2D(minX: 0, minY: 0, maxX: 10, maxY: 10)
        #expect(iou(a, a) == 1)
        #expect(iou(a, Box2D(minX: 10, minY: 0, maxX: 20, maxY: 10)) == 0)
        #expect(iou(a, Box2D(minX: 5, minY: 0, maxX: 15, maxY: 10)) == 50.0 / 150.0)
        #expect(iou(a, Box2D(minX: 2, minY: 2, maxX: 4, maxY: 4)) == 4.0 / 100.0)
        #expect(iou(Box2D(minX: 1, minY: 1, maxX: 1, maxY: 1), Box2D(minX: 1, minY: 1, maxX: 1, maxY: 1)) == 0)
        #expect(iou(a, Box2D(minX: 8, minY: 8, maxX: 3, maxY: 3)) == 0)  // inverted box is empty
    }

    @Test("pairwise 2D (SIMD) equals the scalar IoU for every pair, including the ragged tail", arguments: [1, 3, 4, 7, 33])
    func pairwise2D(columns: Int) {
        var generator = SeededGenerator(seed: UInt64(columns))
        func random() -> Box2D {
            Box2D(x: .random(in: 0...100, using: &generator), y: .random(in: 0...100, using: &generator),
                  width: .random(in: 0...40, using: &generator), height: .random(in: 0...40, using: &generator))
        }
        let a = (0..<9).map { _ in random() }, b = (0..<columns).map { _ in random() }
        for threads in [1, 2] {
            let matrix = pairwiseIoU(a, b, threads: threads)
            for i in a.indices {
                for j in b.indices { #expect(matrix[i, j] == iou(a[i], b[j])) }
            }
        }
        #expect(alignedIoU(a, a).allSatisfy { $0 == 1 })
    }

    @Test("pairwise BEV and 3D equal the one-pair IoU bit for bit, for 1 and 2 threads")
    func pairwiseRotated() {
        var generator = SeededGenerator(seed: 5)
        let a = (0..<120).map { _ in random3D(&generator) }, b = (0..<90).map { _ in random3D(&generator) }
        let bevA = a.map(\.bev), bevB = b.map(\.bev)
        let one = pairwiseIoU(bevA, bevB, threads: 1), two = pairwiseIoU(bevA, bevB, threads: 2)
        let one3D = pairwiseIoU(a, b, threads: 1), two3D = pairwiseIoU(a, b, threads: 2)
        #expect(one == two && one3D == two3D)
        var overlapping = 0
        for i in a.indices {
            for j in b.indices {
                #expect(one[i, j] == iou(bevA[i], bevB[j]))
                #expect(one3D[i, j] == iou(a[i], b[j]))
                if one[i, j] > 0 { overlapping += 1 }
            }
        }
        #expect(overlapping > 50, "the test set must exercise overlapping pairs")
        let partners = Array(b.prefix(90)) + Array(a.prefix(30))
        #expect(alignedIoU(a, partners, threads: 2) == zip(a, partners).map { iou($0, $1) })
        #expect(pairwiseIoU([BEVBox](), bevB).rows == 0 && pairwiseIoU(bevA, []).elements.isEmpty)
    }

    @Test("GIoU: hand-computed values")
    func generalized() {
        let a = Box2D(minX: 0, minY: 0, maxX: 1, maxY: 1), b = Box2D(minX: 2, minY: 0, maxX: 3, maxY: 1)
        #expect(abs(generalizedIoU(a, b) + 1.0 / 3.0) <= 1e-15)
        #expect(generalizedIoU(a, a) == 1)
        #expect(abs(generalizedIoU(a.bevBox, b.bevBox) + 1.0 / 3.0) <= 1e-12)
        #expect(abs(generalizedIoU(a.bevBox, a.bevBox) - 1) <= 1e-12)
        // Stacked cuboids with a gap: enclosing 1 x 1 x 3, union 2.
        let low = Box3D(x: 0, y: 0, z: 0.5, length: 1, width: 1, height: 1, yaw: 0)
        let high = Box3D(x: 0, y: 0, z: 2.5, length: 1, width: 1, height: 1, yaw: .pi / 2)
        #expect(abs(generalizedIoU(low, high) + 1.0 / 3.0) <= 1e-12)
        // Overlapping: GIoU <= IoU, and far boxes approach -1.
        let x = BEVBox(centerX: 0, centerY: 0, length: 4, width: 2, yaw: 0.3), y = BEVBox(centerX: 1, centerY: 0.5, length: 4, width: 2, yaw: -0.4)
        #expect(generalizedIoU(x, y) <= iou(x, y) && generalizedIoU(x, y) > 0)
        let far = BEVBox(centerX: 1000, centerY: 0, length: 4, width: 2, yaw: 0)
        #expect(generalizedIoU(x, far) < -0.99)
        let matrix = pairwiseGeneralizedIoU([x, y], [y, far])
        #expect(matrix[0, 0] == generalizedIoU(x, y) && matrix[1, 0] == generalizedIoU(y, y))
    }
}

// MARK: - Helpers

func randomBox(_ generator: inout SeededGenerator, near other: BEVBox? = nil) -> BEVBox {
    let center = other.map { SIMD2($0.centerX + .random(in: -3...3, using: &generator), $0.centerY + .random(in: -3...3, using: &generator)) }
        ?? SIMD2(.random(in: -20...20, using: &generator), .random(in: -20...20, using: &generator))
    return BEVBox(center: center, length: .random(in: 0.5...6, using: &generator), width: .random(in: 0.3...3, using: &generator),
                  yaw: .random(in: -Double.pi...Double.pi, using: &generator))
}

func random3D(_ generator: inout SeededGenerator) -> Box3D {
    Box3D(x: .random(in: 0...15, using: &generator), y: .random(in: 0...15, using: &generator), z: .random(in: -1...1, using: &generator),
          length: .random(in: 1...6, using: &generator), width: .random(in: 0.5...3, using: &generator),
          height: .random(in: 1...3, using: &generator), yaw: .random(in: -Double.pi...Double.pi, using: &generator))
}

/// An independent reference: clip polygon a by each edge of b in world coordinates (general
/// half-planes, not the kernel's frame change), then the shoelace area.
func referenceBEVIoU(_ a: BEVBox, _ b: BEVBox) -> Double {
    var polygon = a.corners
    let clipper = b.corners
    for k in 0..<4 {
        let p = clipper[k], q = clipper[(k + 1) % 4]
        func side(_ r: SIMD2<Double>) -> Double { (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x) }
        var output: [SIMD2<Double>] = []
        for (index, current) in polygon.enumerated() {
            let previous = polygon[(index + polygon.count - 1) % polygon.count]
            let sc = side(current), sp = side(previous)
            if sc >= 0 {
                if sp < 0 { output.append(previous + (current - previous) * (sp / (sp - sc))) }
                output.append(current)
            } else if sp >= 0 {
                output.append(previous + (current - previous) * (sp / (sp - sc)))
            }
        }
        polygon = output
        if polygon.count < 3 { return 0 }
    }
    var twice = 0.0
    for k in polygon.indices {
        let p = polygon[k], q = polygon[(k + 1) % polygon.count]
        twice += p.x * q.y - q.x * p.y
    }
    let inter = abs(twice) / 2
    return inter / (a.area + b.area - inter)
}
