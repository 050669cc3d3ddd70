import CuboidGeometry
@testable import CuboidKernels
import CuboidTestSupport
import Foundation
import Testing

/// The angle between two undirected rectangle orientations, folded to [0, pi/4]: a rectangle's axes
/// repeat every 90 degrees, so this is the error an L-shape can be judged on.
func axisError(_ a: Double, _ b: Double) -> Double {
    var d = (a - b).truncatingRemainder(dividingBy: .pi / 2)
    if d < 0 { d += .pi / 2 }
    return min(d, .pi / 2 - d)
}

/// Points a lidar at the origin returns from the sides of `box` that face it: spaced by an angular
/// step of 0.2 degrees at the box's range, with Gaussian range noise.
func visibleSidePoints(_ box: BEVBox, noise: Double, generator: inout SeededGenerator) -> [SIMD2<Double>] {
    let corners = box.corners
    var points: [SIMD2<Double>] = []
    for k in 0..<4 {
        let p = corners[k], q = corners[(k + 1) % 4]
        let middle = (p + q) / 2
        let outward = middle - box.center
        // A side is visible when its outward normal points towards the sensor.
        guard (outward * (-middle)).sum() > 0 else { continue }
        let range = (middle * middle).sum().squareRoot()
        let spacing = range * 0.2 * .pi / 180
        let length = ((q - p) * (q - p)).sum().squareRoot()
        let count = max(2, Int(length / spacing))
        for step in 0...count {
            let point = p + (q - p) * (Double(step) / Double(count))
            let direction = point / (point * point).sum().squareRoot()
            let gaussian = (-2 * log(max(Double.random(in: 0..<1, using: &generator), 1e-300))).squareRoot()
                * cos(2 * .pi * Double.random(in: 0..<1, using: &generator))
            points.append(point + direction * gaussian * noise)
        }
    }
    return points
}

@Suite("Fitting")
struct FittingTests {
    @Test("convex hull against brute force: a subset of the points, counter-clockwise, holding all points", arguments: 0..<20)
    func hull(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let count = 3 + seed * 7
        var points = (0..<count).map { _ in SIMD2(Double.random(in: -5...5, using: &generator), Double.random(in: -5...5, using: &generator)) }
        points += points.prefix(3)  // duplicates
        let hull = convexHull(points)
        #expect(hull.count >= 3)
        #expect(hull.allSatisfy { points.contains($0) })
        #expect(signedArea(ofPolygon: hull) > 0)
        for k in hull.indices {
            let p = hull[k], q = hull[(k + 1) % hull.count]
            for r in points {
                #expect((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x) >= -1e-12)
            }
        }
        // Every point that is strictly outside the hull of the others is a hull vertex.
        for r in points where !hull.contains(r) {
            let others = convexHull(points.filter { $0 != r })
            #expect(abs(signedArea(ofPolygon: others) - signedArea(ofPolygon: hull)) <= 1e-9)
        }
    }

    @Test("convex hull degenerate inputs")
    func hullDegenerate() {
        #expect(convexHull([]).isEmpty)
        #expect(convexHull([SIMD2(1, 1), SIMD2(1, 1)]) == [SIMD2(1, 1)])
        #expect(convexHull([SIMD2(0, 0), SIMD2(1, 1), SIMD2(2, 2), SIMD2(3, 3)]) == [SIMD2(0, 0), SIMD2(3, 3)])
        #expect(convexHull([SIMD2(0, 0), SIMD2(2, 0), SIMD2(2, 2), SIMD2(0, 2), SIMD2(1, 0), SIMD2(1, 1)])
                == [SIMD2(0, 0), SIMD2(2, 0), SIMD2(2, 2), SIMD2(0, 2)])
    }

    @Test("minimum-area rectangle recovers a rotated rectangle from its corners and interior", arguments: 0..<20)
    func minimumArea(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(100 + seed))
        let truth = randomBox(&generator)
        var points = truth.corners
        for _ in 0..<50 {
            let u = Double.random(in: -0.5...0.5, using: &generator) * truth.length, v = Double.random(in: -0.5...0.5, using: &generator) * truth.width
            points.append(truth.center + SIMD2(u * cos(truth.yaw) - v * sin(truth.yaw), u * sin(truth.yaw) + v * cos(truth.yaw)))
        }
        let fitted = minimumAreaRectangle(points)!
        #expect(abs(fitted.area - truth.area) <= 1e-9 * max(1, truth.area))
        #expect(abs(iou(fitted, truth) - 1) <= 1e-9)
        #expect(fitted.length >= fitted.width && fitted.yaw > -.pi / 2 && fitted.yaw <= .pi / 2)
        #expect(minimumAreaRectangle([SIMD2(1, 2)]) == BEVBox(centerX: 1, centerY: 2, length: 0, width: 0, yaw: 0))
        #expect(minimumAreaRectangle([]) == nil)
    }

    @Test("L-shape yaw on visible sides at 10-40 m: median error under 2 degrees, beside min-area and PCA")
    func lShapeAccuracy() {
        var generator = SeededGenerator(seed: 2017)
        let fitter = LShapeFitter()
        var lShape: [Double] = [], minimumArea: [Double] = [], principal: [Double] = []
        for _ in 0..<300 {
            let range = Double.random(in: 10...40, using: &generator)
            let bearing = Double.random(in: -Double.pi...Double.pi, using: &generator)
            let truth = BEVBox(centerX: range * cos(bearing), centerY: range * sin(bearing),
                               length: .random(in: 3.5...5.2, using: &generator), width: .random(in: 1.5...2.1, using: &generator),
                               yaw: .random(in: -Double.pi...Double.pi, using: &generator))
            let points = visibleSidePoints(truth, noise: 0.03, generator: &generator)
            guard points.count >= 5 else { continue }
            lShape.append(axisError(fitter.fit(points)!.yaw, truth.yaw))
            minimumArea.append(axisError(minimumAreaRectangle(points)!.yaw, truth.yaw))
            principal.append(axisError(principalAxisRectangle(points)!.yaw, truth.yaw))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] * 180 / .pi }
        func p90(_ values: [Double]) -> Double { values.sorted()[values.count * 9 / 10] * 180 / .pi }
        print(String(format: "L-shape yaw error over %d objects (degrees): L-shape median %.2f p90 %.2f; min-area median %.2f p90 %.2f; PCA median %.2f p90 %.2f",
                     lShape.count, median(lShape), p90(lShape), median(minimumArea), p90(minimumArea), median(principal), p90(principal)))
        #expect(lShape.count > 250)
        #expect(median(lShape) < 2)
        #expect(median(lShape) < median(principal))
    }

    @Test("trimmed extents: the one-pass order statistics equal two quickselects, ties and all", arguments: [100, 101, 250, 399, 799])
    func trimmedRangeMatchesSelection(count: Int) {
        var generator = SplitMix64(seed: UInt64(count))
        // Values on a coarse grid, so that ties are common.
        let values = (0..<count).map { _ in (Double.random(in: -5...5, using: &generator) * 4).rounded() / 4 }
        let fitter = LShapeFitter()
        let drop = Int(Double(count) * fitter.trimFraction)
        var copy = values
        let low = select(&copy, drop), high = select(&copy, count - 1 - drop)
        #expect(fitter.smallTrimmedRange(values, drop: drop) == low...max(low, high))
        var reordered = values
        #expect(fitter.trimmedRange(&reordered) == low...max(low, high))
    }

    @Test("L-shape ignores stray returns thanks to trimmed extents")
    func lShapeOutliers() {
        var generator = SeededGenerator(seed: 9)
        let truth = BEVBox(centerX: 15, centerY: 4, length: 4.5, width: 1.8, yaw: 0.35)
        var points = visibleSidePoints(truth, noise: 0.02, generator: &generator)
        let clean = LShapeFitter().fit(points)!
        points.append(SIMD2(15, 7))  // one stray return 2 m off the car
        let fitted = LShapeFitter(trimFraction: 0.02).fit(points)!
        #expect(axisError(fitted.yaw, truth.yaw) < 2 * .pi / 180)
        #expect(abs(fitted.length - clean.length) < 0.2 && abs(fitted.width - clean.width) < 0.2)
        #expect(LShapeFitter().fit([]) == nil)
        #expect(LShapeFitter().fit([SIMD2(1, 1)])!.area == 0)
    }

    @Test("cuboid fit: footprint from L-shape, height from points or ground")
    func cuboidFit() {
        var generator = SeededGenerator(seed: 3)
        let truth = BEVBox(centerX: 12, centerY: -3, length: 4, width: 1.8, yaw: -0.6)
        let footprint = visibleSidePoints(truth, noise: 0.01, generator: &generator)
        let points = footprint.enumerated().map { SIMD3($0.element.x, $0.element.y, -1.2 + Double($0.offset % 10) * 0.14) }
        let box = fitCuboid(points)!
        #expect(abs(box.bottom + 1.2) < 1e-9 && abs(box.top - (-1.2 + 9 * 0.14)) < 1e-9)
        let grounded = fitCuboid(points, groundHeight: -1.7)!
        #expect(abs(grounded.bottom + 1.7) < 1e-9 && grounded.top == box.top)
        #expect(fitCuboid([]) == nil)
    }

    @Test("completion to class size keeps the corner nearest the sensor and grows away from it")
    func completion() {
        // A car seen from behind-left: only a 1.6 m wide, 0.2 m deep strip is observed.
        let observed = BEVBox(centerX: 10.1, centerY: 0, length: 1.6, width: 0.2, yaw: .pi / 2)
        let completed = completeFootprint(observed, toLength: 3.9, width: 1.6)
        #expect(abs(completed.length - 3.9) < 1e-9 && abs(completed.width - 1.6) < 1e-9)
        #expect(abs(completed.centerX - (10.0 + 1.95)) < 1e-9 && abs(completed.centerY) < 1e-9)
        #expect(axisError(completed.yaw, 0) < 1e-9)
        // Seen from the side: 3.8 m long, 0.3 m deep, at y = 8 left of the sensor.
        let side = BEVBox(centerX: 0, centerY: 8.15, length: 3.8, width: 0.3, yaw: 0)
        let full = completeFootprint(side, toLength: 3.9, width: 1.6)
        #expect(abs(full.length - 3.9) < 1e-9 && abs(full.width - 1.6) < 1e-9)
        #expect(abs(full.centerY - (8.0 + 0.8)) < 1e-9)  // grew away from the sensor
        #expect(abs(full.centerX - (-1.9 + 1.95)) < 1e-9 || abs(full.centerX - (1.9 - 1.95)) < 1e-9)
        // Already bigger than the class: kept.
        let big = BEVBox(centerX: 20, centerY: 0, length: 5, width: 2, yaw: 0.2)
        let kept = completeFootprint(big, toLength: 3.9, width: 1.6)
        #expect(abs(iou(kept, big) - 1) < 1e-9)
        // 2.3 m of a side: longer than a car is wide, so it is part of its length, not its width
        // (before, covering the width wholly won and gave a 2.3 m wide car).
        let partSide = BEVBox(centerX: 20, centerY: 5.05, length: 2.3, width: 0.1, yaw: 0)
        let grown = completeFootprint(partSide, toLength: 3.9, width: 1.65)
        #expect(abs(grown.length - 3.9) < 1e-9 && abs(grown.width - 1.65) < 1e-9 && axisError(grown.yaw, 0) < 1e-9)
        // 1.7 m across (a car's rear, slightly wider than the typical width) is still its width.
        let rear = BEVBox(centerX: 20, centerY: 0, length: 1.7, width: 0.1, yaw: .pi / 2)
        let behind = completeFootprint(rear, toLength: 3.9, width: 1.65)
        #expect(abs(behind.length - 3.9) < 1e-9 && abs(behind.width - 1.7) < 1e-9 && axisError(behind.yaw, 0) < 1e-9)
    }

    /// A near-square view (1.66 m by 1.61 m of a car's rear and side) fits a car's length along
    /// either side about equally well; the length goes along the side nearer the line of sight,
    /// whichever side the fit calls its length, and the box grows away from the sensor.
    @Test(arguments: [(37.0, 15.0, 0.0), (15.0, 37.0, Double.pi / 2), (-37.0, -15.0, 0.0), (37.0, -15.0, 0.0)])
    func nearSquareViewGrowsAlongTheLineOfSight(x: Double, y: Double, expectedAxis: Double) {
        for (length, width, yaw) in [(1.66, 1.61, 0.0), (1.66, 1.61, Double.pi / 2), (1.61, 1.66, 0.0)] {
            let observed = BEVBox(centerX: x, centerY: y, length: length, width: width, yaw: yaw)
            let completed = completeFootprint(observed, toLength: 3.9, width: 1.65)
            #expect(axisError(completed.yaw, expectedAxis) < 1e-9, "observed \(length) x \(width) at yaw \(yaw): completed yaw \(completed.yaw)")
            #expect(abs(completed.length - 3.9) < 1e-9)
            // Away from the sensor: the completed centre lies further out than the observed one.
            #expect(completed.centerX * completed.centerX + completed.centerY * completed.centerY > x * x + y * y)
        }
        // The same view from a sensor elsewhere (a static track's refit) follows that sensor's line of sight.
        let observed = BEVBox(centerX: 37, centerY: 15, length: 1.66, width: 1.61, yaw: 0)
        let fromAbove = completeFootprint(observed, toLength: 3.9, width: 1.65, sensor: SIMD2(36, -20))
        #expect(axisError(fromAbove.yaw, .pi / 2) < 1e-9)
    }
}

/// The L-shape search written plainly (the code before the buffer kernel: each direction's trimmed
/// extents from sorted copies, every term summed as it is computed), to hold the kernel to.
private func plainLShapeFit(_ fitter: LShapeFitter, _ points: [SIMD2<Double>]) -> BEVBox? {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard let first = finite.first else { return nil }
    guard finite.count >= 3 else { return rectangle(around: finite, yaw: 0, origin: first) }
    let origin = centroid(finite)
    let local = finite.map { $0 - origin }
    let search = local.count > fitter.maximumSearchPoints
        ? (0..<fitter.maximumSearchPoints).map { local[Int(Double($0) * (Double(local.count) / Double(fitter.maximumSearchPoints)))] }
        : local
    func trimmed(_ values: [Double]) -> ClosedRange<Double> {
        let sorted = values.sorted(), drop = Int(Double(values.count) * fitter.trimFraction)
        return sorted[drop]...max(sorted[drop], sorted[values.count - 1 - drop])
    }
    func score(_ angle: Double) -> Double {
        let c = cos(angle), s = sin(angle)
        let us = search.map { $0.x * c + $0.y * s }, vs = search.map { -$0.x * s + $0.y * c }
        let u = trimmed(us), v = trimmed(vs)
        var total = 0.0
        for k in search.indices {
            let du = min(u.upperBound - us[k], us[k] - u.lowerBound), dv = min(v.upperBound - vs[k], vs[k] - v.lowerBound)
            total += 1 / max(min(max(du, 0), max(dv, 0)), fitter.minimumDistance)
        }
        return total
    }
    var best = (score: -Double.infinity, angle: 0.0)
    var angle = 0.0
    while angle < .pi / 2 {
        let value = score(angle)
        if value > best.score { best = (value, angle) }
        angle += fitter.coarseStep
    }
    var fine = best.angle - fitter.coarseStep
    let end = best.angle + fitter.coarseStep
    while fine <= end {
        let value = score(fine)
        if value > best.score { best = (value, fine) }
        fine += fitter.fineStep
    }
    let c = cos(best.angle), s = sin(best.angle)
    return rectangle(yaw: best.angle, cosine: c, sine: s, origin: origin,
                     u: trimmed(local.map { $0.x * c + $0.y * s }), v: trimmed(local.map { -$0.x * s + $0.y * c }))
}

/// Point sets the L-shape kernel is held to the plain search on, by name.
private func lShapeScenario(_ name: String) -> [SIMD2<Double>] {
    var generator = SeededGenerator(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
    switch name {
    case "near car, two sides":
        return visibleSidePoints(BEVBox(centerX: 8, centerY: 3, length: 4.4, width: 1.8, yaw: 0.7), noise: 0.02, generator: &generator)
    case "far car, one side":
        return visibleSidePoints(BEVBox(centerX: 35, centerY: -2, length: 4.2, width: 1.7, yaw: 0.05), noise: 0.04, generator: &generator)
    case "truck, more points than the search takes":
        let truck = BEVBox(centerX: 6, centerY: -5, length: 12, width: 2.5, yaw: -0.4)
        return (0..<3).flatMap { _ in visibleSidePoints(truck, noise: 0.03, generator: &generator) }
    case "bush":
        return (0..<300).map { _ in SIMD2(Double.random(in: 10...11.5, using: &generator), Double.random(in: 4...5, using: &generator)) }
    case "grid with ties":
        return (0..<450).map { k in SIMD2(Double(k % 30) * 0.1 + 20, Double(k / 30) * 0.1 - 3) }
    case "line":
        return (0..<150).map { k in SIMD2(5 + 0.02 * Double(k), 2 - 0.01 * Double(k)) }
    default:
        preconditionFailure("unknown scenario \(name)")
    }
}

@Test("L-shape kernel: the same box as the plain closeness search, to the bit",
      arguments: ["near car, two sides", "far car, one side", "truck, more points than the search takes", "bush", "grid with ties", "line"])
func lShapeKernelMatchesPlainSearch(scenario: String) {
    let points = lShapeScenario(scenario)
    let fitters = [LShapeFitter(),
                   LShapeFitter(coarseStep: .pi / 90, fineStep: .pi / 900, maximumSearchPoints: 400),
                   LShapeFitter(coarseStep: .pi / 90, fineStep: .pi / 900, minimumDistance: 0.1, maximumSearchPoints: 400),
                   LShapeFitter(trimFraction: 0.05)]
    for fitter in fitters {
        let kernel = fitter.fit(points), plain = plainLShapeFit(fitter, points)
        #expect(kernel != nil)
        #expect(kernel == plain, "\(scenario): \(String(describing: kernel)) != \(String(describing: plain))")
    }
}

@Test("trimmed extents: the same order statistics whatever order the values come in",
      arguments: ["ascending", "descending", "zigzag", "shuffled"], [120, 400, 799])
func trimmedRangeInAnyOrder(order: String, count: Int) {
    var generator = SplitMix64(seed: UInt64(count) &+ 7)
    var values = (0..<count).map { _ in (Double.random(in: -5...5, using: &generator) * 8).rounded() / 8 }
    switch order {
    case "ascending": values.sort()
    case "descending": values.sort(by: >)
    case "zigzag": values.sort(); values = values.indices.map { $0 % 2 == 0 ? values[$0 / 2] : values[count - 1 - $0 / 2] }
    default: values.shuffle(using: &generator)
    }
    let fitter = LShapeFitter()
    let drop = Int(Double(count) * fitter.trimFraction)
    let sorted = values.sorted()
    #expect(fitter.smallTrimmedRange(values, drop: drop) == sorted[drop]...max(sorted[drop], sorted[count - 1 - drop]))
}
