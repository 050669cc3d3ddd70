import CuboidGeometry

// Intersection over union of axis-aligned boxes, rotated BEV rectangles and yaw-only cuboids.
// Conventions shared by every function here (see the IoU guide):
// - IoU is intersection / union in Double; it is 0 when the union is 0 (two empty boxes).
// - Boxes touching along an edge or a face have IoU 0; identical boxes have IoU 1.
// - 3D IoU is the BEV intersection area times the vertical overlap, over the union volume.

// MARK: - One pair

/// IoU of two axis-aligned boxes.
/// - Complexity: O(1).
@inlinable
public func iou(_ a: Box2D, _ b: Box2D) -> Double {
    let inter = a.intersection(b).area
    let union = a.area + b.area - inter
    return union > 0 ? inter / union : 0
}

/// IoU of two rotated rectangles in the ground plane (BEV IoU).
///
/// Exact up to rounding for every configuration, including touching edges, nesting, zero size,
/// 45 and 90 degree rotations, yaws differing by 2 pi and coordinates far from the origin (the
/// computation runs in `a`'s frame).
/// - Precondition: lengths and widths are finite and >= 0; centres and yaws are finite.
/// - Complexity: O(1).
public func iou(_ a: BEVBox, _ b: BEVBox) -> Double {
    validate(a)
    validate(b)
    let pa = PreparedRectangle(a), pb = PreparedRectangle(b)
    var scratch = ClipScratch()
    return bevIoU(pa, pb, &scratch)
}

/// IoU of two yaw-only cuboids: BEV intersection area times vertical overlap, over the union volume.
/// - Precondition: sizes are finite and >= 0; centres and yaws are finite.
/// - Complexity: O(1).
public func iou(_ a: Box3D, _ b: Box3D) -> Double {
    validate(a)
    validate(b)
    var scratch = ClipScratch()
    return iou3D(PreparedCuboid(a), PreparedCuboid(b), &scratch)
}

/// Area of the overlap of two rotated rectangles, square metres.
/// - Complexity: O(1).
public func intersectionArea(_ a: BEVBox, _ b: BEVBox) -> Double {
    validate(a)
    validate(b)
    var scratch = ClipScratch()
    return intersectionArea(PreparedRectangle(a), PreparedRectangle(b), &scratch)
}

/// Volume of the overlap of two yaw-only cuboids, cubic metres.
/// - Complexity: O(1).
public func intersectionVolume(_ a: Box3D, _ b: Box3D) -> Double {
    validate(a)
    validate(b)
    let overlap = min(a.top, b.top) - max(a.bottom, b.bottom)
    guard overlap > 0 else { return 0 }
    var scratch = ClipScratch()
    return intersectionArea(PreparedRectangle(a.bev), PreparedRectangle(b.bev), &scratch) * overlap
}

// MARK: - GIoU

/// Generalized IoU (Rezatofighi et al. 2019) of two axis-aligned boxes: IoU - (C - U) / C, with C the
/// smallest box enclosing both. In [-1, 1]; 0 when C is 0.
/// - Complexity: O(1).
public func generalizedIoU(_ a: Box2D, _ b: Box2D) -> Double {
    let inter = a.intersection(b).area
    let union = a.area + b.area - inter
    let enclosing = a.union(b).area
    guard enclosing > 0 else { return 0 }
    let overlap = union > 0 ? inter / union : 0
    return overlap - (enclosing - union) / enclosing
}

/// Generalized IoU of two rotated rectangles, with C the area of the convex hull of their eight
/// corners (the tightest convex enclosing shape). In [-1, 1]; 0 when C is 0.
/// - Complexity: O(1).
public func generalizedIoU(_ a: BEVBox, _ b: BEVBox) -> Double {
    validate(a)
    validate(b)
    var scratch = ClipScratch()
    return bevGeneralizedIoU(PreparedRectangle(a), PreparedRectangle(b), a, b, &scratch)
}

/// Generalized IoU of two yaw-only cuboids: C is the convex hull of the footprints times the vertical
/// extent of both boxes. In [-1, 1]; 0 when C is 0.
/// - Complexity: O(1).
public func generalizedIoU(_ a: Box3D, _ b: Box3D) -> Double {
    validate(a)
    validate(b)
    var scratch = ClipScratch()
    return generalizedIoU3D(a, b, &scratch)
}

// MARK: - N x M and aligned

/// IoU of every box in `a` with every box in `b`: an `a.count` x `b.count` matrix.
///
/// Dense and vectorised (SIMD over `b`), split by rows across `threads` threads.
/// - Complexity: O(N M / threads).
public func pairwiseIoU(_ a: [Box2D], _ b: [Box2D], threads: Int = Parallelism.availableCores) -> Matrix {
    precondition(threads >= 1, "threads must be at least 1")
    return pairwiseIoU2D(a, b, threads: threads)
}

/// BEV IoU of every rectangle in `a` with every rectangle in `b`: an `a.count` x `b.count` matrix.
///
/// Pairs whose bounding boxes cannot overlap are skipped by a sweep over `b` sorted by x, and the
/// separating-axis test rejects the rest of the disjoint pairs before any clipping, so the cost
/// grows with the number of nearby pairs, not N x M. Rows are split across `threads` threads;
/// results are identical for every thread count.
/// - Precondition: sizes are finite and >= 0; centres and yaws are finite.
/// - Complexity: O(N log M + K) plus writing N x M zeros, K the number of pairs whose bounding boxes
///   overlap in x.
public func pairwiseIoU(_ a: [BEVBox], _ b: [BEVBox], threads: Int = Parallelism.availableCores) -> Matrix {
    precondition(threads >= 1, "threads must be at least 1")
    a.forEach(validate)
    b.forEach(validate)
    let preparedB: [PreparedCuboid] = parallelArray(count: b.count, threads: threads, chunkSize: 512) { range, out in
        for j in range { out.initializeElement(at: j, to: PreparedCuboid(flat: b[j])) }
    }
    return pairwiseRotatedIoU(rows: a.count, preparingRow: { PreparedCuboid(flat: a[$0]) }, preparedB,
                              threads: threads, vertical: false)
}

/// 3D IoU of every cuboid in `a` with every cuboid in `b`: an `a.count` x `b.count` matrix.
///
/// As the BEV kernel, with the vertical overlap tested first.
/// - Precondition: sizes are finite and >= 0; centres and yaws are finite.
/// - Complexity: as the BEV `pairwiseIoU(_:_:threads:)`.
public func pairwiseIoU(_ a: [Box3D], _ b: [Box3D], threads: Int = Parallelism.availableCores) -> Matrix {
    precondition(threads >= 1, "threads must be at least 1")
    a.forEach(validate)
    b.forEach(validate)
    let preparedB: [PreparedCuboid] = parallelArray(count: b.count, threads: threads, chunkSize: 512) { range, out in
        for j in range { out.initializeElement(at: j, to: PreparedCuboid(b[j])) }
    }
    return pairwiseRotatedIoU(rows: a.count, preparingRow: { PreparedCuboid(a[$0]) }, preparedB,
                              threads: threads, vertical: true)
}

/// IoU of `a[i]` with `b[i]` for every i.
/// - Precondition: `a.count == b.count`.
/// - Complexity: O(N).
public func alignedIoU(_ a: [Box2D], _ b: [Box2D]) -> [Double] {
    precondition(a.count == b.count, "alignedIoU needs as many boxes in a (\(a.count)) as in b (\(b.count))")
    return zip(a, b).map { iou($0, $1) }
}

/// BEV IoU of `a[i]` with `b[i]` for every i, split across `threads` threads.
/// - Precondition: `a.count == b.count`; valid boxes as for the BEV `iou(_:_:)`.
/// - Complexity: O(N / threads).
public func alignedIoU(_ a: [BEVBox], _ b: [BEVBox], threads: Int = Parallelism.availableCores) -> [Double] {
    a.forEach(validate)
    b.forEach(validate)
    return alignedKernel(count: a.count, b.count, threads: threads) { i, scratch in
        bevIoU(PreparedRectangle(a[i]), PreparedRectangle(b[i]), &scratch)
    }
}

/// 3D IoU of `a[i]` with `b[i]` for every i, split across `threads` threads.
/// - Precondition: `a.count == b.count`; valid boxes as for the 3D `iou(_:_:)`.
/// - Complexity: O(N / threads).
public func alignedIoU(_ a: [Box3D], _ b: [Box3D], threads: Int = Parallelism.availableCores) -> [Double] {
    a.forEach(validate)
    b.forEach(validate)
    return alignedKernel(count: a.count, b.count, threads: threads) { i, scratch in
        iou3D(PreparedCuboid(a[i]), PreparedCuboid(b[i]), &scratch)
    }
}

/// Element-wise IoU over `count` pairs, split across threads; `pair(i, scratch)` computes pair i.
@inline(__always)
private func alignedKernel(count: Int, _ otherCount: Int, threads: Int,
                           _ pair: (Int, inout ClipScratch) -> Double) -> [Double] {
    precondition(count == otherCount, "alignedIoU needs as many boxes in a (\(count)) as in b (\(otherCount))")
    precondition(threads >= 1, "threads must be at least 1")
    return parallelArray(count: count, threads: threads, chunkSize: 4096) { range, out in
        var scratch = ClipScratch()
        for i in range { out.initializeElement(at: i, to: pair(i, &scratch)) }
    }
}

/// Generalized IoU of every box in `a` with every box in `b` (rotated BEV rectangles).
/// - Complexity: O(N M).
public func pairwiseGeneralizedIoU(_ a: [BEVBox], _ b: [BEVBox]) -> Matrix {
    a.forEach(validate)
    b.forEach(validate)
    let preparedA = a.map(PreparedRectangle.init), preparedB = b.map(PreparedRectangle.init)
    var scratch = ClipScratch()
    return pairwiseMatrix(a.count, b.count) { i, j in
        bevGeneralizedIoU(preparedA[i], preparedB[j], a[i], b[j], &scratch)
    }
}

/// Generalized IoU of every cuboid in `a` with every cuboid in `b`.
/// - Complexity: O(N M).
public func pairwiseGeneralizedIoU(_ a: [Box3D], _ b: [Box3D]) -> Matrix {
    a.forEach(validate)
    b.forEach(validate)
    var scratch = ClipScratch()
    return pairwiseMatrix(a.count, b.count) { i, j in generalizedIoU3D(a[i], b[j], &scratch) }
}

/// Generalized IoU of every box in `a` with every box in `b` (axis-aligned).
/// - Complexity: O(N M).
public func pairwiseGeneralizedIoU(_ a: [Box2D], _ b: [Box2D]) -> Matrix {
    pairwiseMatrix(a.count, b.count) { i, j in generalizedIoU(a[i], b[j]) }
}

/// A `rows` x `columns` matrix whose element (i, j) is `value(i, j)`, filled row by row.
private func pairwiseMatrix(_ rows: Int, _ columns: Int, _ value: (Int, Int) -> Double) -> Matrix {
    var elements: [Double] = []
    elements.reserveCapacity(rows * columns)
    for i in 0..<rows {
        for j in 0..<columns { elements.append(value(i, j)) }
    }
    return Matrix(rows: rows, columns: columns, elements: elements)
}

// MARK: - Validation (once, at the public entry)

@usableFromInline
func validate(_ box: BEVBox) {
    precondition(box.length >= 0 && box.width >= 0 && box.length.isFinite && box.width.isFinite,
                 "BEVBox size must be finite and >= 0, got length \(box.length) width \(box.width)")
    precondition(box.centerX.isFinite && box.centerY.isFinite && box.yaw.isFinite,
                 "BEVBox centre and yaw must be finite")
}

@usableFromInline
func validate(_ box: Box3D) {
    validate(box.bev)
    precondition(box.height >= 0 && box.height.isFinite && box.z.isFinite,
                 "Box3D height must be finite and >= 0 and z finite, got height \(box.height) z \(box.z)")
}

// MARK: - Internal kernels

/// A cuboid prepared for the IoU kernels (a BEV box is a cuboid with `vertical == false`).
@usableFromInline
struct PreparedCuboid: Sendable {
    var rectangle: PreparedRectangle
    var bottom: Double, top: Double
    var volume: Double

    init(_ box: Box3D) {
        rectangle = PreparedRectangle(box.bev)
        bottom = box.bottom
        top = box.top
        volume = box.volume
    }

    init(flat box: BEVBox) {
        rectangle = PreparedRectangle(box)
        bottom = 0
        top = 0
        volume = 0
    }
}

@inline(__always)
func bevIoU(_ a: PreparedRectangle, _ b: PreparedRectangle, _ scratch: inout ClipScratch) -> Double {
    let inter = intersectionArea(a, b, &scratch)
    let union = a.area + b.area - inter
    return union > 0 ? inter / union : 0
}

@inline(__always)
func iou3D(_ a: PreparedCuboid, _ b: PreparedCuboid, _ scratch: inout ClipScratch) -> Double {
    let overlap = min(a.top, b.top) - max(a.bottom, b.bottom)
    guard overlap > 0 else { return 0 }
    let inter = intersectionArea(a.rectangle, b.rectangle, &scratch) * overlap
    let union = a.volume + b.volume - inter
    return union > 0 ? inter / union : 0
}

func bevGeneralizedIoU(
    _ pa: PreparedRectangle, _ pb: PreparedRectangle, _ a: BEVBox, _ b: BEVBox, _ scratch: inout ClipScratch
) -> Double {
    let inter = intersectionArea(pa, pb, &scratch)
    let union = pa.area + pb.area - inter
    let hull = signedArea(ofPolygon: convexHull(a.corners + b.corners))
    guard hull > 0 else { return 0 }
    let overlap = union > 0 ? inter / union : 0
    return overlap - max(0, hull - union) / hull
}

func generalizedIoU3D(_ a: Box3D, _ b: Box3D, _ scratch: inout ClipScratch) -> Double {
    let overlap = max(0, min(a.top, b.top) - max(a.bottom, b.bottom))
    let inter = intersectionArea(PreparedRectangle(a.bev), PreparedRectangle(b.bev), &scratch) * overlap
    let union = a.volume + b.volume - inter
    let enclosing = signedArea(ofPolygon: convexHull(a.bev.corners + b.bev.corners))
        * (max(a.top, b.top) - min(a.bottom, b.bottom))
    guard enclosing > 0 else { return 0 }
    let value = union > 0 ? inter / union : 0
    return value - max(0, enclosing - union) / enclosing
}

/// The pruned N x M kernel shared by BEV (`vertical == false`) and 3D IoU. Rows are prepared inside
/// the parallel loop, so only sorting `b` runs on one thread.
@inline(__always)
func pairwiseRotatedIoU(rows n: Int, preparingRow: (Int) -> PreparedCuboid, _ b: [PreparedCuboid],
                        threads: Int, vertical: Bool) -> Matrix {
    let m = b.count
    // b sorted by the left edge of its bounding box, the sweep's key, as structure of arrays.
    let order = b.indices.sorted { (b[$0].rectangle.minX, $0) < (b[$1].rectangle.minX, $1) }
    let sorted = order.map { b[$0] }
    let minXs = sorted.map(\.rectangle.minX)
    let maxXs = sorted.map(\.rectangle.maxX)
    let minYs = sorted.map(\.rectangle.minY)
    let maxYs = sorted.map(\.rectangle.maxY)
    let widest = sorted.reduce(0.0) { max($0, $1.rectangle.maxX - $1.rectangle.minX) }
    let columns = order

    let elements: [Double] = parallelArray(count: n * m, threads: threads, chunkSize: max(m, 1) * 8) { range, out in
        guard m > 0 else { return }
        var scratch = ClipScratch()
        let firstRow = range.lowerBound / m, endRow = range.upperBound / m
        (out.baseAddress! + range.lowerBound).initialize(repeating: 0, count: range.count)
        minXs.withUnsafeBufferPointer { minX in
        maxXs.withUnsafeBufferPointer { maxX in
        minYs.withUnsafeBufferPointer { minY in
        maxYs.withUnsafeBufferPointer { maxY in
        sorted.withUnsafeBufferPointer { boxes in
        columns.withUnsafeBufferPointer { column in
            for i in firstRow..<endRow {
                let box = preparingRow(i)
                let rowStart = out.baseAddress! + i * m
                let start = lowerBound(minX, box.rectangle.minX - widest)
                var j = start
                while j < m && minX[j] < box.rectangle.maxX {
                    defer { j += 1 }
                    if maxX[j] <= box.rectangle.minX || minY[j] >= box.rectangle.maxY || maxY[j] <= box.rectangle.minY {
                        continue
                    }
                    let other = boxes[j]
                    let value: Double
                    if vertical {
                        value = iou3D(box, other, &scratch)
                    } else {
                        value = bevIoU(box.rectangle, other.rectangle, &scratch)
                    }
                    rowStart[column[j]] = value
                }
            }
        }}}}}}
    }
    return Matrix(rows: n, columns: m, elements: elements)
}

/// First index whose value is >= `key` in an ascending buffer.
@inline(__always)
func lowerBound(_ values: UnsafeBufferPointer<Double>, _ key: Double) -> Int {
    var low = 0, high = values.count
    while low < high {
        let mid = (low + high) / 2
        if values[mid] < key { low = mid + 1 } else { high = mid }
    }
    return low
}

/// The dense, vectorised N x M kernel for axis-aligned boxes.
func pairwiseIoU2D(_ a: [Box2D], _ b: [Box2D], threads: Int) -> Matrix {
    let n = a.count, m = b.count
    typealias Vector = SIMD4<Double>
    let lanes = Vector.scalarCount
    let padded = (m + lanes - 1) / lanes
    // b as structure of arrays in SIMD vectors; padding lanes are empty boxes (IoU 0).
    var bMinX = [Vector](repeating: .zero, count: padded), bMinY = bMinX, bMaxX = bMinX, bMaxY = bMinX, bArea = bMinX
    for (j, box) in b.enumerated() {
        bMinX[j / lanes][j % lanes] = box.minX
        bMinY[j / lanes][j % lanes] = box.minY
        bMaxX[j / lanes][j % lanes] = box.maxX
        bMaxY[j / lanes][j % lanes] = box.maxY
        bArea[j / lanes][j % lanes] = box.area
    }
    let elements: [Double] = parallelArray(count: n * m, threads: threads, chunkSize: max(m, 1) * 16) { range, out in
        guard m > 0 else { return }
        let firstRow = range.lowerBound / m, endRow = range.upperBound / m
        bMinX.withUnsafeBufferPointer { minX in
        bMinY.withUnsafeBufferPointer { minY in
        bMaxX.withUnsafeBufferPointer { maxX in
        bMaxY.withUnsafeBufferPointer { maxY in
        bArea.withUnsafeBufferPointer { area in
            for i in firstRow..<endRow {
                let box = a[i]
                let aMinX = Vector(repeating: box.minX), aMinY = Vector(repeating: box.minY)
                let aMaxX = Vector(repeating: box.maxX), aMaxY = Vector(repeating: box.maxY)
                let aArea = Vector(repeating: box.area)
                let row = out.baseAddress! + i * m
                let full = m / lanes
                @inline(__always) func compute(_ k: Int) -> Vector {
                    let spanX: Vector = lesser(aMaxX, maxX[k]) - greater(aMinX, minX[k])
                    let spanY: Vector = lesser(aMaxY, maxY[k]) - greater(aMinY, minY[k])
                    let inter: Vector = greater(spanX, Vector.zero) * greater(spanY, Vector.zero)
                    let union: Vector = aArea + area[k] - inter
                    let ratio: Vector = inter / union
                    return ratio.replacing(with: 0, where: .!(union .> Vector.zero))
                }
                for k in 0..<full {
                    let value = compute(k)
                    UnsafeMutableRawPointer(row + k * lanes).storeBytes(of: value, as: Vector.self)
                }
                if full < padded {
                    let value = compute(full)
                    for lane in 0..<(m - full * lanes) { (row + full * lanes + lane).initialize(to: value[lane]) }
                }
            }
        }}}}}
    }
    return Matrix(rows: n, columns: m, elements: elements)
}

/// Lane-wise minimum that compiles to one vector instruction (the standard library's `pointwiseMin`
/// is not inlined for SIMD4<Double> here).
@inline(__always)
func lesser(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> { a.replacing(with: b, where: b .< a) }

/// Lane-wise maximum, as ``lesser(_:_:)``.
@inline(__always)
func greater(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> { a.replacing(with: b, where: b .> a) }
