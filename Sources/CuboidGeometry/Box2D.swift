/// An axis-aligned box in a plane: an image box in pixels, or a box in the ground plane in metres.
///
/// Image boxes use image coordinates (origin at the top-left corner of the top-left pixel, x right,
/// y down); the box covers `minX..<maxX` by `minY..<maxY` as a continuous region, so a box of one
/// pixel has width 1. Nothing requires `min <= max`; a box with `maxX < minX` (or `maxY < minY`) is
/// empty and has area 0. See the Conventions article.
public struct Box2D: Sendable, Hashable, Codable {
    /// Left edge (smallest x).
    public var minX: Double
    /// Top edge in image coordinates (smallest y).
    public var minY: Double
    /// Right edge (largest x).
    public var maxX: Double
    /// Bottom edge in image coordinates (largest y).
    public var maxY: Double

    /// A box from its corners `(x1, y1)` (smallest) and `(x2, y2)` (largest).
    @inlinable
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// A box from its top-left corner and size, the COCO `[x, y, width, height]` form.
    @inlinable
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.init(minX: x, minY: y, maxX: x + width, maxY: y + height)
    }

    /// The smallest box holding all `points`, or nil when there are none.
    /// - Complexity: O(n).
    public init?(enclosing points: some Sequence<SIMD2<Double>>) {
        var iterator = points.makeIterator()
        guard let first = iterator.next() else { return nil }
        var low = first, high = first
        while let point = iterator.next() {
            low = pointwiseMin(low, point)
            high = pointwiseMax(high, point)
        }
        self.init(minX: low.x, minY: low.y, maxX: high.x, maxY: high.y)
    }

    /// `maxX - minX`; negative for an inverted box.
    @inlinable public var width: Double { maxX - minX }
    /// `maxY - minY`; negative for an inverted box.
    @inlinable public var height: Double { maxY - minY }
    /// Area, 0 for empty or inverted boxes.
    @inlinable public var area: Double { Swift.max(0, width) * Swift.max(0, height) }
    /// Centre point.
    @inlinable public var center: SIMD2<Double> { SIMD2((minX + maxX) / 2, (minY + maxY) / 2) }
    /// True when the box has positive area.
    @inlinable public var isEmpty: Bool { !(maxX > minX && maxY > minY) }

    /// The overlap of two boxes; empty (possibly inverted) when they do not overlap.
    @inlinable
    public func intersection(_ other: Box2D) -> Box2D {
        Box2D(minX: Swift.max(minX, other.minX), minY: Swift.max(minY, other.minY),
              maxX: Swift.min(maxX, other.maxX), maxY: Swift.min(maxY, other.maxY))
    }

    /// The smallest box holding both boxes.
    @inlinable
    public func union(_ other: Box2D) -> Box2D {
        Box2D(minX: Swift.min(minX, other.minX), minY: Swift.min(minY, other.minY),
              maxX: Swift.max(maxX, other.maxX), maxY: Swift.max(maxY, other.maxY))
    }

    /// The same box seen as a ground-plane rectangle with yaw 0 (length along x, width along y).
    public var bevBox: BEVBox {
        BEVBox(centerX: (minX + maxX) / 2, centerY: (minY + maxY) / 2, length: width, width: height, yaw: 0)
    }
}
