public import CuboidFormats
public import CuboidGeometry
public import CuboidImages
import CuboidKernels
public import CuboidPointClouds
import Foundation

/// Pictures a person can check pre-labels with: a bird's-eye view of the sweep with the boxes, and a
/// camera frame with the boxes projected into it.
///
/// Colours: Car blue, Van cyan, Truck purple, Pedestrian red, Cyclist orange, other classes grey; gold
/// boxes are drawn in green under the predictions. A short line from each predicted box's centre
/// shows its heading (the +length direction). Annotated pictures carry words drawn with
/// ``BitmapFont``: a label by every predicted box (class, track id, score: `CAR 12 0.87`) placed
/// where it covers no box when there is such a place, a caption (frame name and time) at the top
/// left, and a legend of the class colours; the bird's-eye view adds a 10 m grid, a labelled scale
/// bar and the ego vehicle (a yellow triangle pointing forward). Lines and words grow with the
/// picture (``lineWidth(forWidth:)``, ``textScale(forWidth:)``).
public enum PreviewRenderer {
    /// A bird's-eye view, x (forward) up the image and y (left) to the left, the sensor at the centre.
    /// - Parameters:
    ///   - cloud: The sweep, sensor frame. Points are drawn grey, brighter with height.
    ///   - predictions: Boxes to draw in their class colour (sensor frame).
    ///   - gold: Reference boxes drawn in green.
    ///   - range: Half the side of the square shown, metres.
    ///   - pixelsPerMetre: Scale.
    ///   - caption: Text for the top-left corner (``caption(frame:time:)``), or nil for none.
    ///   - annotated: Whether to draw the box labels, caption, legend and scale bar (false: the
    ///     picture alone, as for contact-sheet tiles, with every 4th return).
    /// - Complexity: O(points + boxes² + pixels).
    public static func birdsEye(cloud: PointCloud, predictions: [LabeledObject], gold: [LabeledObject] = [],
                                range: Double = 50, pixelsPerMetre: Double = 8, caption: String? = nil, annotated: Bool = true) -> Image {
        birdsEyeCanvas(cloud: cloud, predictions: predictions, gold: gold, range: range, pixelsPerMetre: pixelsPerMetre,
                       caption: caption, annotated: annotated).canvas.image
    }

    /// ``birdsEye(cloud:predictions:gold:range:pixelsPerMetre:caption:annotated:)`` and the words drawn on it.
    static func birdsEyeCanvas(cloud: PointCloud, predictions: [LabeledObject], gold: [LabeledObject], range: Double,
                               pixelsPerMetre: Double, caption: String?, annotated: Bool) -> (canvas: Canvas, words: [PlacedText]) {
        precondition(range > 0 && pixelsPerMetre > 0, "range and scale must be > 0")
        let side = Int(2 * range * pixelsPerMetre)
        var canvas = Canvas(width: side, height: side, fill: (16, 16, 20))
        canvas.lineWidth = side >= 400 ? lineWidth(forWidth: side) : 1
        func pixel(_ x: Double, _ y: Double) -> SIMD2<Double> {
            SIMD2((range - y) * pixelsPerMetre, (range - x) * pixelsPerMetre)
        }
        // The 10 m grid, lines through the sensor first.
        let gridColor: (UInt8, UInt8, UInt8) = (40, 40, 50)
        var metres = 0.0
        while metres <= range {
            for offset in metres == 0 ? [0.0] : [metres, -metres] {
                let p = pixel(offset, offset)
                canvas.fill(x: 0, y: Int(p.y), width: side, height: 1, color: gridColor)
                canvas.fill(x: Int(p.x), y: 0, width: 1, height: side, color: gridColor)
            }
            metres += 10
        }
        // An unannotated picture (a contact-sheet tile) is small: every 4th return fills it as well.
        plotReturns(cloud, in: &canvas, every: annotated ? 1 : 4, pixel: pixel)
        for object in gold { if let box = object.cuboid { outline(box.bev, in: &canvas, color: (40, 220, 90), pixel: pixel) } }
        var requests: [LabelRequest] = []
        for object in predictions {
            guard let box = object.cuboid else { continue }
            let color = classColor(object.category)
            outline(box.bev, in: &canvas, color: color, pixel: pixel)
            let tip = box.bev.center + box.bev.heading * (box.length / 2)
            canvas.line(pixel(box.x, box.y), pixel(tip.x, tip.y), color)
            let corners = box.bev.corners.map { pixel($0.x, $0.y) }
            requests.append(LabelRequest(text: boxLabel(object), color: color,
                                         box: PixelRect(enclosing: corners).grown(by: canvas.lineWidth)))
        }
        // The ego vehicle: a triangle 2 m long pointing forward (+x, up), 1.6 m wide, the sensor at its middle.
        canvas.fillTriangle(pixel(1.2, 0), pixel(-0.8, 0.8), pixel(-0.8, -0.8), color: (255, 220, 0))
        guard annotated else { return (canvas, []) }
        let scale = textScale(forWidth: side)
        var reserved: [PixelRect] = []
        var words: [PlacedText] = []
        let margin = 2 * scale
        var top = margin
        if let caption {
            words.append(canvas.label(caption, x: margin, y: top, scale: scale, color: (255, 255, 255)))
            reserved.append(words.last!.rect)
            top = words.last!.rect.maxY + 2 * scale
        }
        let legend = canvas.legend(legendEntries(gold: !gold.isEmpty), x: margin, y: top, scale: scale)
        words += legend.words
        reserved.append(legend.rect)
        // Scale bar: 10 m, bottom left, its length in words above it.
        let bar = 10 * pixelsPerMetre, barLeft = Double(margin + 2 * scale), barY = Double(side - margin - 2 * scale)
        let white: (UInt8, UInt8, UInt8) = (255, 255, 255)
        let barWords = "10 M"
        let barTextY = Int(barY) - 3 * scale - BitmapFont.glyphHeight * scale
        canvas.blend(x: Int(barLeft) - 2 * scale, y: barTextY - 2 * scale, width: Int(bar) + 4 * scale,
                     height: Int(barY) - barTextY + 5 * scale, color: (0, 0, 0), weight: 0.6)
        canvas.fill(x: Int(barLeft), y: Int(barY) - scale / 2, width: Int(bar), height: max(2, scale), color: white)
        canvas.fill(x: Int(barLeft), y: Int(barY) - 2 * scale, width: max(1, scale / 2 + 1), height: 4 * scale, color: white)
        canvas.fill(x: Int(barLeft + bar) - max(1, scale / 2 + 1), y: Int(barY) - 2 * scale, width: max(1, scale / 2 + 1), height: 4 * scale, color: white)
        words.append(canvas.label(barWords, x: Int(barLeft), y: barTextY, scale: scale, color: white, background: nil))
        reserved.append(PixelRect(minX: Int(barLeft) - 2 * scale, minY: barTextY - 2 * scale, maxX: Int(barLeft + bar) + 2 * scale, maxY: Int(barY) + 3 * scale))
        // Box labels at the first scale that is legible: one step smaller than the caption on small pictures.
        words += canvas.placeLabels(requests, reserved: reserved, scale: max(1, scale - 1))
        return (canvas, words)
    }

    /// A camera frame with projected cuboids (12 edges, clipped at the near plane).
    /// - Parameters:
    ///   - image: The frame (grey or colour, 8 or 16 bit).
    ///   - camera: The camera's calibration against the boxes' sensor frame.
    ///   - predictions: Boxes in class colours.
    ///   - gold: Gold boxes, drawn in green.
    ///   - caption: Text for the top-left corner (``caption(frame:time:)``), or nil for none.
    /// - Complexity: O(pixels + boxes²).
    public static func camera(image: Image, camera: Camera, predictions: [LabeledObject], gold: [LabeledObject] = [],
                              caption: String? = nil) -> Image {
        cameraCanvas(image: image, camera: camera, predictions: predictions, gold: gold, caption: caption).canvas.image
    }

    /// ``camera(image:camera:predictions:gold:caption:)`` and the words drawn on it.
    static func cameraCanvas(image: Image, camera: Camera, predictions: [LabeledObject], gold: [LabeledObject],
                             caption: String?) -> (canvas: Canvas, words: [PlacedText]) {
        var canvas = Canvas(image)
        canvas.lineWidth = lineWidth(forWidth: image.width)
        var requests: [LabelRequest] = []
        for (objects, isGold) in [(gold, true), (predictions, false)] {
            for object in objects {
                guard let box = object.cuboid else { continue }
                let color = isGold ? (40, 220, 90) : classColor(object.category)
                drawProjected(box, camera: camera, in: &canvas, color: color)
                if !isGold, let shown = projectedBox(box, camera: camera) {
                    let rect = PixelRect(minX: Int(shown.minX), minY: Int(shown.minY), maxX: Int(shown.maxX.rounded(.up)), maxY: Int(shown.maxY.rounded(.up)))
                    requests.append(LabelRequest(text: boxLabel(object), color: color, box: rect.grown(by: canvas.lineWidth)))
                }
            }
        }
        let scale = textScale(forWidth: image.width), margin = 2 * scale
        var reserved: [PixelRect] = []
        var words: [PlacedText] = []
        if let caption {
            words.append(canvas.label(caption, x: margin, y: margin, scale: scale, color: (255, 255, 255)))
            reserved.append(words.last!.rect)
        }
        let entries = legendEntries(gold: !gold.isEmpty)
        let legend = canvas.legend(entries, x: margin, y: image.height - margin - BitmapFont.glyphHeight * scale, scale: scale)
        words += legend.words
        reserved.append(legend.rect)
        words += canvas.placeLabels(requests, reserved: reserved, scale: scale)
        return (canvas, words)
    }

    /// The line width for a picture `width` pixels wide: `width / 700` rounded, at least 2 (2 up to
    /// 1,749 pixels, 3 on a 2048-pixel camera frame).
    public static func lineWidth(forWidth width: Int) -> Int { max(2, Int((Double(width) / 700).rounded())) }

    /// The text scale (pixels per font pixel) for a picture `width` pixels wide: `width / 700`
    /// rounded, at least 2 (2 up to 1,749 pixels, 3 on a 2048-pixel camera frame). The bird's-eye
    /// view's box labels use one less, so they stay beside boxes on 800 pixels.
    public static func textScale(forWidth width: Int) -> Int { max(2, Int((Double(width) / 700).rounded())) }

    /// A box's label: class in capitals, track id and score with two decimals, those known.
    public static func boxLabel(_ object: LabeledObject) -> String {
        var parts = [object.category.uppercased()]
        if let id = object.trackID { parts.append(id) }
        if let score = object.score { parts.append(String(format: "%.2f", score)) }
        return parts.joined(separator: " ")
    }

    /// A picture's caption: the frame name, and its time when known: UTC date and time for Unix
    /// times (after 1973), seconds otherwise (`0000000002 2011-09-26T13:02:25.964Z`, `000012 T 1.200 S`).
    public static func caption(frame: String, time: Double?) -> String {
        guard let time, time.isFinite else { return frame }
        if time > 1e8 {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return frame + " " + formatter.string(from: Date(timeIntervalSince1970: time))
        }
        return frame + " T " + String(format: "%.3f", time) + " S"
    }

    /// The legend's entries: the five classes with colours, other classes, and gold when drawn.
    static func legendEntries(gold: Bool) -> [(String, (UInt8, UInt8, UInt8))] {
        ["Car", "Van", "Truck", "Pedestrian", "Cyclist"].map { ($0.uppercased(), classColor($0)) } + [("OTHER", classColor(""))]
            + (gold ? [("GOLD", (40, 220, 90))] : [])
    }
}

/// A pixel rectangle, `max` exclusive.
struct PixelRect: Equatable {
    var minX: Int, minY: Int, maxX: Int, maxY: Int

    init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    init(enclosing points: [SIMD2<Double>]) {
        minX = Int(points.map(\.x).min()!.rounded(.down))
        minY = Int(points.map(\.y).min()!.rounded(.down))
        maxX = Int(points.map(\.x).max()!.rounded(.up)) + 1
        maxY = Int(points.map(\.y).max()!.rounded(.up)) + 1
    }

    func grown(by pixels: Int) -> PixelRect { PixelRect(minX: minX - pixels, minY: minY - pixels, maxX: maxX + pixels, maxY: maxY + pixels) }

    /// Pixels shared with `other`.
    func overlap(_ other: PixelRect) -> Int {
        max(0, min(maxX, other.maxX) - max(minX, other.minX)) * max(0, min(maxY, other.maxY) - max(minY, other.minY))
    }
}

/// Words drawn on a picture: their text, where the first glyph's top-left pixel is, the scale and
/// colour, and the rectangle their background covers.
struct PlacedText {
    var text: String
    var x: Int, y: Int
    var scale: Int
    var color: (UInt8, UInt8, UInt8)
    var rect: PixelRect
}

/// A box label to place: its text and colour, and the box's pixel rectangle.
struct LabelRequest {
    var text: String
    var color: (UInt8, UInt8, UInt8)
    var box: PixelRect
}

extension Canvas {
    /// Draws words on a darkened background (see ``text(_:x:y:scale:color:background:)``) and says where.
    mutating func label(_ words: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8),
                        background: (UInt8, UInt8, UInt8)? = (0, 0, 0)) -> PlacedText {
        text(words, x: x, y: y, scale: scale, color: color, background: background)
        let size = BitmapFont.size(of: words, scale: scale)
        return PlacedText(text: words, x: x, y: y, scale: scale, color: color,
                          rect: PixelRect(minX: x - scale, minY: y - scale, maxX: x + size.width + scale, maxY: y + size.height + scale))
    }

    /// A one-line legend from (`x`, `y`): a square of each colour and its name.
    mutating func legend(_ entries: [(String, (UInt8, UInt8, UInt8))], x: Int, y: Int, scale: Int) -> (words: [PlacedText], rect: PixelRect) {
        let swatch = BitmapFont.glyphHeight * scale, gap = BitmapFont.advance * scale
        let width = entries.map { swatch + scale * 2 + BitmapFont.size(of: $0.0, scale: scale).width }.reduce(0, +) + gap * (entries.count - 1)
        let rect = PixelRect(minX: x - scale, minY: y - scale, maxX: x + width + scale, maxY: y + swatch + scale)
        blend(x: rect.minX, y: rect.minY, width: rect.maxX - rect.minX, height: rect.maxY - rect.minY, color: (0, 0, 0), weight: 0.75)
        var left = x
        var words: [PlacedText] = []
        for (name, color) in entries {
            fill(x: left, y: y, width: swatch, height: swatch, color: color)
            left += swatch + 2 * scale
            words.append(label(name, x: left, y: y, scale: scale, color: (235, 235, 235), background: nil))
            left += BitmapFont.size(of: name, scale: scale).width + gap
        }
        return (words, rect)
    }

    /// Places each box's label beside its box, at the first of eight places (above, below, right,
    /// left, each at either end) that is on the canvas and covers no box, no label placed before and
    /// nothing `reserved`; when there is none, where it covers least (labels count four times).
    /// Labels are drawn on a darkened background after every box, in the boxes' order.
    mutating func placeLabels(_ requests: [LabelRequest], reserved: [PixelRect], scale: Int) -> [PlacedText] {
        let boxes = requests.map(\.box)
        var taken = reserved
        var placed: [PlacedText] = []
        let gap = scale + 1
        for request in requests {
            let size = BitmapFont.size(of: request.text, scale: scale)
            let w = size.width + 2 * scale, h = size.height + 2 * scale
            let b = request.box
            let corners = [(b.minX, b.minY - gap - h), (b.maxX - w, b.minY - gap - h), (b.minX, b.maxY + gap), (b.maxX - w, b.maxY + gap),
                           (b.maxX + gap, b.minY), (b.maxX + gap, b.maxY - h), (b.minX - gap - w, b.minY), (b.minX - gap - w, b.maxY - h)]
            var best: (cost: Int, rect: PixelRect)?
            for (cx, cy) in corners {
                let x = min(max(0, cx), width - w), y = min(max(0, cy), height - h)
                let rect = PixelRect(minX: x, minY: y, maxX: x + w, maxY: y + h)
                let cost = boxes.reduce(0) { $0 + rect.overlap($1) } + 4 * taken.reduce(0) { $0 + rect.overlap($1) }
                if best == nil || cost < best!.cost { best = (cost, rect) }
                if cost == 0 { break }
            }
            guard let rect = best?.rect else { continue }
            let words = label(request.text, x: rect.minX + scale, y: rect.minY + scale, scale: scale, color: request.color)
            taken.append(words.rect)
            placed.append(words)
        }
        return placed
    }

    /// Fills a triangle given in pixels (clipped).
    mutating func fillTriangle(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD2<Double>, color: (UInt8, UInt8, UInt8)) {
        let minX = max(0, Int(min(a.x, b.x, c.x))), maxX = min(width - 1, Int(max(a.x, b.x, c.x).rounded(.up)))
        let minY = max(0, Int(min(a.y, b.y, c.y))), maxY = min(height - 1, Int(max(a.y, b.y, c.y).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        func side(_ p: SIMD2<Double>, _ q: SIMD2<Double>, _ r: SIMD2<Double>) -> Double { (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x) }
        let area = side(a, b, c)
        guard area != 0 else { return }
        for y in minY...maxY {
            for x in minX...maxX {
                let p = SIMD2(Double(x) + 0.5, Double(y) + 0.5)
                let u = side(a, b, p) / area, v = side(b, c, p) / area, w = side(c, a, p) / area
                if u >= 0 && v >= 0 && w >= 0 { plot(x, y, color) }
            }
        }
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
private func plotReturns(_ cloud: PointCloud, in canvas: inout Canvas, dotWidth: Int = 1, every: Int = 1, pixel: (Double, Double) -> SIMD2<Double>) {
    for i in stride(from: 0, to: cloud.count, by: every) {
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
    /// Pixels across a line: 1; 2 (the pixel and its right neighbour); or more (a square brush).
    var lineWidth = 2

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

    /// A line ``lineWidth`` pixels wide, clipped to the canvas.
    mutating func line(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ color: (UInt8, UInt8, UInt8)) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let length = max(abs(b.x - a.x), abs(b.y - a.y))
        // Far off-canvas segments (a box behind a wide camera) are skipped rather than walked.
        guard length < 20_000 else { return }
        let steps = max(1, Int(length.rounded(.up)))
        for k in 0...steps {
            let t = Double(k) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded()), y = Int((a.y + (b.y - a.y) * t).rounded())
            switch lineWidth {
            case ...1: plot(x, y, color)
            case 2:
                plot(x, y, color)
                plot(x + 1, y, color)
            default: fill(x: x - (lineWidth - 1) / 2, y: y - (lineWidth - 1) / 2, width: lineWidth, height: lineWidth, color: color)
            }
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
    ///   - layers: The boxes to draw, each layer in its colours, later layers on top.
    ///   - scaleBar: A scale bar of this many metres to draw, white, from ``scaleBarStart(side:)`` to the right; nil: none.
    ///   - marksEgo: Draw the sensor (a yellow triangle pointing forward) when it is in the picture, or else a
    ///     yellow arrow at the edge pointing towards it.
    /// - Complexity: O(points + boxes + pixels).
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
    ///   - layers: The boxes to draw, each layer in its colours; the crop holds them all.
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
