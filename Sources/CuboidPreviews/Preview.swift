public import CuboidFormats
public import CuboidGeometry
public import CuboidImages
import CuboidKernels
public import CuboidPointClouds
import Foundation

/// Pictures a person can check pre-labels with: a bird's-eye view of the sweep with the boxes, and a
/// camera frame with the boxes projected into it.
///
/// Colours: Car blue, Van cyan, Truck purple, Pedestrian red, Cyclist orange, Misc grey; gold boxes are
/// drawn in green under the predictions. A short line from each predicted box's centre shows its
/// heading (the +length direction).
public enum PreviewRenderer {
    /// A bird's-eye view, x (forward) up the image and y (left) to the left, the sensor at the centre.
    /// - Parameters:
    ///   - cloud: The sweep, sensor frame. Points are drawn grey, brighter with height.
    ///   - predictions: Boxes to draw in their class colour (sensor frame).
    ///   - gold: Reference boxes drawn in green.
    ///   - range: Half the side of the square shown, metres.
    ///   - pixelsPerMetre: Scale.
    /// - Complexity: O(points + boxes + pixels).
    public static func birdsEye(cloud: PointCloud, predictions: [LabeledObject], gold: [LabeledObject] = [],
                                range: Double = 50, pixelsPerMetre: Double = 8) -> Image {
        precondition(range > 0 && pixelsPerMetre > 0, "range and scale must be > 0")
        let side = Int(2 * range * pixelsPerMetre)
        var canvas = Canvas(width: side, height: side, fill: (16, 16, 20))
        func pixel(_ x: Double, _ y: Double) -> SIMD2<Double> {
            SIMD2((range - y) * pixelsPerMetre, (range - x) * pixelsPerMetre)
        }
        plotReturns(cloud, in: &canvas, pixel: pixel)
        drawRangeRings(from: 10, to: range, stepsPerMetre: 8, in: &canvas, pixel: pixel)
        for object in gold { if let box = object.cuboid { outline(box.bev, in: &canvas, color: (40, 220, 90), pixel: pixel) } }
        for object in predictions {
            guard let box = object.cuboid else { continue }
            let color = classColor(object.category)
            outline(box.bev, in: &canvas, color: color, pixel: pixel)
            let tip = box.bev.center + box.bev.heading * (box.length / 2)
            canvas.line(pixel(box.x, box.y), pixel(tip.x, tip.y), color)
        }
        return canvas.image
    }

    /// A camera frame with projected cuboids (12 edges, clipped at the near plane).
    /// - Parameters:
    ///   - image: The frame (grey or colour, 8 or 16 bit).
    ///   - camera: The camera's calibration against the boxes' sensor frame.
    ///   - predictions: Boxes in class colours; gold boxes in green.
    /// - Complexity: O(pixels + boxes).
    public static func camera(image: Image, camera: Camera, predictions: [LabeledObject], gold: [LabeledObject] = []) -> Image {
        var canvas = Canvas(image)
        for (objects, isGold) in [(gold, true), (predictions, false)] {
            for object in objects {
                guard let box = object.cuboid else { continue }
                drawProjected(box, camera: camera, in: &canvas, color: isGold ? (40, 220, 90) : classColor(object.category))
            }
        }
        return canvas.image
    }
}

/// Edges of a cuboid by corner index (``Box3D/corners`` order: bottom face, then top face).
private let cuboidEdges = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]

func classColor(_ category: String) -> (UInt8, UInt8, UInt8) {
    switch category {
    case "Car": (60, 140, 255)
    case "Van": (0, 220, 230)
    case "Truck": (190, 90, 255)
    case "Pedestrian": (255, 60, 60)
    case "Cyclist": (255, 170, 0)
    default: (200, 200, 200)
    }
}

/// The sweep's returns in grey, brighter with height; those off the canvas are clipped.
private func plotReturns(_ cloud: PointCloud, in canvas: inout Canvas, dotWidth: Int = 1, pixel: (Double, Double) -> SIMD2<Double>) {
    for i in 0..<cloud.count {
        let p = pixel(Double(cloud.x[i]), Double(cloud.y[i]))
        guard p.x > -2, p.y > -2, p.x < Double(canvas.width) + 2, p.y < Double(canvas.height) + 2 else { continue }
        let level = UInt8(clamping: Int(90 + 50 * (Double(cloud.z[i]) + 2)))
        for dx in 0..<dotWidth { canvas.plot(Int(p.x) + dx, Int(p.y), (level, level, level)) }
    }
}

/// Circles about the sensor every 10 m from `first` to `last` metres.
private func drawRangeRings(from first: Double, to last: Double, stepsPerMetre: Double, in canvas: inout Canvas,
                            pixel: (Double, Double) -> SIMD2<Double>) {
    var ring = first
    while ring <= last {
        let steps = Int(ring * stepsPerMetre)
        for k in 0..<steps {
            let a = Double(k) / Double(steps) * 2 * .pi
            let p = pixel(ring * cos(a), ring * sin(a))
            canvas.plot(Int(p.x), Int(p.y), (60, 60, 70))
        }
        ring += 10
    }
}

private func outline(_ box: BEVBox, in canvas: inout Canvas, color: (UInt8, UInt8, UInt8), pixel: (Double, Double) -> SIMD2<Double>) {
    let corners = box.corners
    for k in 0..<4 {
        let a = corners[k], b = corners[(k + 1) % 4]
        canvas.line(pixel(a.x, a.y), pixel(b.x, b.y), color)
    }
}

/// An 8-bit RGB raster with clipped point and line drawing.
struct Canvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for k in 0..<(width * height) {
            pixels[3 * k] = fill.0
            pixels[3 * k + 1] = fill.1
            pixels[3 * k + 2] = fill.2
        }
    }

    /// The image converted to 8-bit RGB (grey is replicated, alpha dropped, 16 bits shifted down).
    init(_ image: Image) {
        width = image.width
        height = image.height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        let channels = image.channels
        func sample(_ k: Int) -> UInt8 {
            switch image.samples {
            case .eightBit(let values): values[k]
            case .sixteenBit(let values): UInt8(values[k] >> 8)
            }
        }
        for p in 0..<(width * height) {
            for c in 0..<3 {
                pixels[3 * p + c] = sample(p * channels + (channels >= 3 ? c : 0))
            }
        }
    }

    var image: Image { Image(width: width, height: height, layout: .rgb, samples: .eightBit(pixels)) }

    mutating func plot(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let k = 3 * (y * width + x)
        pixels[k] = color.0
        pixels[k + 1] = color.1
        pixels[k + 2] = color.2
    }

    /// A line two pixels wide, clipped to the canvas.
    mutating func line(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ color: (UInt8, UInt8, UInt8)) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let length = max(abs(b.x - a.x), abs(b.y - a.y))
        // Far off-canvas segments (a box behind a wide camera) are skipped rather than walked.
        guard length < 20_000 else { return }
        let steps = max(1, Int(length.rounded(.up)))
        for k in 0...steps {
            let t = Double(k) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded()), y = Int((a.y + (b.y - a.y) * t).rounded())
            plot(x, y, color)
            plot(x + 1, y, color)
        }
    }
}

/// Boxes drawn in one colour, for pictures that compare two sets of labels.
public struct PictureLayer: Sendable {
    public var objects: [LabeledObject]
    /// 8-bit RGB.
    public var color: (UInt8, UInt8, UInt8)
    /// Whether to draw 2D boxes of the camera too (camera pictures).
    public var drawsImageBoxes: Bool

    public init(objects: [LabeledObject], color: (UInt8, UInt8, UInt8), drawsImageBoxes: Bool = false) {
        self.objects = objects
        self.color = color
        self.drawsImageBoxes = drawsImageBoxes
    }
}

extension PreviewRenderer {
    /// A square bird's-eye crop around a point: returns grey (brighter with height), range rings
    /// every 10 m, then each layer's footprints with a heading line, later layers on top. The
    /// sensor's forward direction (x) points up the image, y (left) to the left.
    /// - Parameters:
    ///   - cloud: The sweep in the boxes' sensor frame, or nil for boxes only.
    ///   - center: The crop's centre, sensor frame, metres.
    ///   - halfSide: Half the crop's side, metres (> 0).
    ///   - pixelsPerMetre: Scale (> 0).
    /// - Complexity: O(points + boxes + pixels).
    ///   - scaleBar: A scale bar of this many metres to draw, white, from ``scaleBarStart(side:)`` to the right; nil: none.
    ///   - marksEgo: Draw the sensor (a yellow triangle pointing forward) when it is in the picture, or else a
    ///     yellow arrow at the edge pointing towards it.
    public static func birdsEyeCrop(cloud: PointCloud?, center: SIMD2<Double>, halfSide: Double, pixelsPerMetre: Double,
                                    layers: [PictureLayer], scaleBar: Double? = nil, marksEgo: Bool = false) -> Image {
        precondition(halfSide > 0 && pixelsPerMetre > 0, "halfSide and pixelsPerMetre must be > 0")
        let side = max(1, Int(2 * halfSide * pixelsPerMetre))
        var canvas = Canvas(width: side, height: side, fill: (16, 16, 20))
        func pixel(_ x: Double, _ y: Double) -> SIMD2<Double> {
            SIMD2((halfSide - (y - center.y)) * pixelsPerMetre, (halfSide - (x - center.x)) * pixelsPerMetre)
        }
        if let cloud { plotReturns(cloud, in: &canvas, dotWidth: 2, pixel: pixel) }
        let distance = (center.x * center.x + center.y * center.y).squareRoot()
        drawRangeRings(from: max(10, ((distance - halfSide * 1.5) / 10).rounded(.down) * 10), to: distance + halfSide * 1.5, stepsPerMetre: 16,
                       in: &canvas, pixel: pixel)
        for layer in layers {
            for object in layer.objects {
                guard let box = object.cuboid else { continue }
                outline(box.bev, in: &canvas, color: layer.color, pixel: pixel)
                let tip = box.bev.center + box.bev.heading * (box.length / 2)
                canvas.line(pixel(box.x, box.y), pixel(tip.x, tip.y), layer.color)
            }
        }
        if marksEgo {
            let yellow: (UInt8, UInt8, UInt8) = (255, 220, 0)
            let ego = pixel(0, 0)
            if ego.x >= 0 && ego.y >= 0 && ego.x < Double(side) && ego.y < Double(side) {
                let r = max(6, 1.2 * pixelsPerMetre)
                let nose = ego + SIMD2(0, -2 * r), left = ego + SIMD2(-r, r), right = ego + SIMD2(r, r)
                canvas.line(nose, left, yellow); canvas.line(left, right, yellow); canvas.line(right, nose, yellow)
            } else {
                let arrow = egoArrow(center: center, halfSide: halfSide, pixelsPerMetre: pixelsPerMetre)
                let d = arrow.tip - arrow.tail, unit = d / max(1e-9, (d * d).sum().squareRoot()), normal = SIMD2(-unit.y, unit.x)
                for offset in [-1.0, 0, 1] { canvas.line(arrow.tail + normal * offset, arrow.tip + normal * offset, yellow) }
                canvas.line(arrow.tip, arrow.tip - unit * 12 + normal * 7, yellow)
                canvas.line(arrow.tip, arrow.tip - unit * 12 - normal * 7, yellow)
            }
        }
        if let scaleBar {
            let start = scaleBarStart(side: side), end = start + SIMD2(scaleBar * pixelsPerMetre, 0)
            for offset in [-1.0, 0, 1] { canvas.line(start + SIMD2(0, offset), end + SIMD2(0, offset), (255, 255, 255)) }
            canvas.line(start + SIMD2(0, -7), start + SIMD2(0, 7), (255, 255, 255))
            canvas.line(end + SIMD2(-1, -7), end + SIMD2(-1, 7), (255, 255, 255))
        }
        return canvas.image
    }

    /// Where a crop's scale bar starts (pixels from the top left): 20 px in from the bottom-left corner.
    public static func scaleBarStart(side: Int) -> SIMD2<Double> { SIMD2(20, Double(side) - 20) }

    /// A round scale-bar length (1, 2, 5, 10, 20, 50 or 100 m) at most a third of the side.
    public static func scaleBarMetres(halfSide: Double) -> Double {
        [100.0, 50, 20, 10, 5, 2, 1].first { $0 <= 2 * halfSide / 3 } ?? 1
    }

    /// The arrow at a crop's edge pointing towards the sensor (pixels): its tail 0.55 of the half side
    /// from the centre, its tip at 0.85, along the direction to the sensor.
    public static func egoArrow(center: SIMD2<Double>, halfSide: Double, pixelsPerMetre: Double) -> (tail: SIMD2<Double>, tip: SIMD2<Double>) {
        let distance = max(1e-9, (center * center).sum().squareRoot())
        let toward = -center / distance
        func pixel(_ p: SIMD2<Double>) -> SIMD2<Double> { SIMD2((halfSide - p.y) * pixelsPerMetre, (halfSide - p.x) * pixelsPerMetre) }
        return (pixel(toward * 0.55 * halfSide), pixel(toward * 0.85 * halfSide))
    }

    /// A camera picture cropped around the given layers' boxes: cuboids projected (12 edges, clipped
    /// at the near plane) and, for layers that ask, the 2D boxes of this camera; enlarged by a whole
    /// factor when the crop is small, so a person can see the difference.
    /// - Parameters:
    ///   - image: The camera frame.
    ///   - camera: The camera's calibration against the boxes' sensor frame.
    ///   - margin: Pixels of context around the boxes.
    ///   - minimumHeight: The crop is enlarged until it is at least this tall (at most 4 times).
    /// - Returns: nil when no box of any layer is in view.
    /// - Complexity: O(pixels of the image + boxes).
    public static func cameraCrop(image: Image, camera: Camera, layers: [PictureLayer], margin: Double = 24,
                                  minimumHeight: Int = 160) -> Image? {
        var bounds: Box2D?
        for layer in layers {
            for object in layer.objects {
                var boxes: [Box2D] = []
                if let cuboid = object.cuboid, let projected = projectedBox(cuboid, camera: camera) { boxes.append(projected) }
                if layer.drawsImageBoxes, let box = object.boxes[camera.name] { boxes.append(box) }
                for box in boxes { bounds = bounds.map { $0.union(box) } ?? box }
            }
        }
        guard let bounds else { return nil }
        var canvas = Canvas(image)
        for layer in layers {
            for object in layer.objects {
                if let box = object.cuboid { drawProjected(box, camera: camera, in: &canvas, color: layer.color) }
                if layer.drawsImageBoxes, let box = object.boxes[camera.name] {
                    let corners = [SIMD2(box.minX, box.minY), SIMD2(box.maxX, box.minY), SIMD2(box.maxX, box.maxY), SIMD2(box.minX, box.maxY)]
                    for k in 0..<4 { canvas.line(corners[k], corners[(k + 1) % 4], layer.color) }
                }
            }
        }
        let minX = max(0, Int((bounds.minX - margin).rounded(.down))), minY = max(0, Int((bounds.minY - margin).rounded(.down)))
        let maxX = min(image.width, Int((bounds.maxX + margin).rounded(.up))), maxY = min(image.height, Int((bounds.maxY + margin).rounded(.up)))
        guard maxX > minX, maxY > minY else { return nil }
        let width = maxX - minX, height = maxY - minY
        let scale = max(1, min(4, minimumHeight / max(1, height)))
        var pixels = [UInt8](repeating: 0, count: width * scale * height * scale * 3)
        for y in 0..<(height * scale) {
            for x in 0..<(width * scale) {
                let source = 3 * ((minY + y / scale) * canvas.width + minX + x / scale), target = 3 * (y * width * scale + x)
                pixels[target] = canvas.pixels[source]
                pixels[target + 1] = canvas.pixels[source + 1]
                pixels[target + 2] = canvas.pixels[source + 2]
            }
        }
        return Image(width: width * scale, height: height * scale, layout: .rgb, samples: .eightBit(pixels))
    }
}

private func drawProjected(_ box: Box3D, camera: Camera, in canvas: inout Canvas, color: (UInt8, UInt8, UInt8)) {
    let corners = box.corners.map { camera.cameraFromSensor.apply(to: $0) }
    for (a, b) in cuboidEdges {
        var p = corners[a], q = corners[b]
        let near = 0.1
        if p.z < near && q.z < near { continue }
        if p.z < near { p = p + (q - p) * ((near - p.z) / (q.z - p.z)) }
        if q.z < near { q = q + (p - q) * ((near - q.z) / (p.z - q.z)) }
        guard let pp = camera.intrinsics.project(p), let qq = camera.intrinsics.project(q) else { continue }
        canvas.line(pp, qq, color)
    }
}
