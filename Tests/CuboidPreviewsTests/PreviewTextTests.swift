import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidPointClouds
@testable import CuboidPreviews
import Testing

/// Reads text back from pixels: each character cell's font pixels must be whole `scale` x `scale`
/// blocks, each all `ink` or all not; the rows found are looked up in ``BitmapFont/glyphs``.
/// Returns `count` characters, `~` for a cell that is no glyph.
func readText(_ canvas: Canvas, x: Int, y: Int, scale: Int, count: Int, ink: (UInt8, UInt8, UInt8)) -> String {
    var byRows: [[UInt8]: Character] = [:]
    for (character, rows) in BitmapFont.glyphs { byRows[rows] = character }
    func isInk(_ px: Int, _ py: Int) -> Bool? {
        guard px >= 0, py >= 0, px < canvas.width, py < canvas.height else { return nil }
        let k = 3 * (py * canvas.width + px)
        return canvas.pixels[k] == ink.0 && canvas.pixels[k + 1] == ink.1 && canvas.pixels[k + 2] == ink.2
    }
    var text = ""
    for n in 0..<count {
        let left = x + n * BitmapFont.advance * scale
        var rows: [UInt8] = []
        var whole = true
        for row in 0..<BitmapFont.glyphHeight {
            var bits: UInt8 = 0
            for column in 0..<BitmapFont.glyphWidth {
                var values = Set<Bool>()
                for dy in 0..<scale { for dx in 0..<scale { values.insert(isInk(left + column * scale + dx, y + row * scale + dy) ?? false) } }
                if values.count != 1 { whole = false }
                if values.contains(true) { bits |= 0b10000 >> UInt8(column) }
            }
            rows.append(bits)
        }
        text.append(whole ? byRows[rows] ?? "~" : "~")
    }
    return text
}

@Suite struct BitmapFontTests {
    @Test("every glyph is 7 rows of 5 bits and no two glyphs are alike")
    func glyphTable() {
        for (character, rows) in BitmapFont.glyphs {
            #expect(rows.count == BitmapFont.glyphHeight, "\(character)")
            #expect(rows.allSatisfy { $0 < 32 }, "\(character)")
        }
        #expect(Set(BitmapFont.glyphs.values).count == BitmapFont.glyphs.count)
        for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .:-/" { #expect(BitmapFont.glyphs[character] != nil, "\(character)") }
    }

    @Test("text drawn on a noisy picture reads back", arguments: [
        ("a box label at scale 1", "CAR 12 0.87", "CAR 12 0.87", 1),
        ("a long class at scale 3", "PEDESTRIAN 7 0.50", "PEDESTRIAN 7 0.50", 3),
        ("symbols", "10 M / [A-Z] 50% (#+=*?!) <_,:>", "10 M / [A-Z] 50% (#+=*?!) <_,:>", 2),
        ("small letters as capitals, unknown as ?", "Cyclist é", "CYCLIST ?", 2),
    ])
    func readsBack(scenario: String, text: String, expected: String, scale: Int) {
        var canvas = Canvas(width: 420, height: 60, fill: (0, 0, 0))
        var generator = SplitMix(seed: 7)
        for k in canvas.pixels.indices { canvas.pixels[k] = UInt8(truncatingIfNeeded: generator.next()) }
        let before = canvas
        let ink: (UInt8, UInt8, UInt8) = (255, 255, 255)
        canvas.text(text, x: 9, y: 11, scale: scale, color: ink, background: (0, 0, 0))
        #expect(readText(canvas, x: 9, y: 11, scale: scale, count: expected.count, ink: ink) == expected, "\(scenario)")
        // A reading one pixel off finds no such text: the check looks at the pixels, not at the string.
        #expect(readText(canvas, x: 10, y: 11, scale: scale, count: expected.count, ink: ink) != expected, "\(scenario)")
        // Nothing is drawn outside the text's background.
        let size = BitmapFont.size(of: text, scale: scale)
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where x < 9 - scale || y < 11 - scale || x >= 9 + size.width + scale || y >= 11 + size.height + scale {
                let k = 3 * (y * canvas.width + x)
                if canvas.pixels[k..<k + 3] != before.pixels[k..<k + 3] { Issue.record("\(scenario): pixel (\(x), \(y)) changed"); return }
            }
        }
    }
}

/// A small deterministic generator for test noise.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct PreviewWordsTests {
    static let objects = [
        LabeledObject(trackID: "12", category: "Car", cuboid: Box3D(x: 12, y: 3, z: -0.8, length: 4.2, width: 1.8, height: 1.5, yaw: 0.3), score: 0.873),
        LabeledObject(trackID: "7", category: "Pedestrian", cuboid: Box3D(x: 8, y: -6, z: -0.9, length: 0.6, width: 0.6, height: 1.7, yaw: 0), score: 0.5),
        LabeledObject(trackID: "40", category: "Cyclist", cuboid: Box3D(x: -20, y: 10, z: -0.9, length: 1.8, width: 0.6, height: 1.7, yaw: 2), score: 0.61),
    ]
    static let cloud: PointCloud = {
        var generator = SplitMix(seed: 3)
        func value() -> Float { Float(Double(generator.next() % 10_000) / 100 - 50) }
        let xs = (0..<5_000).map { _ in value() }, ys = (0..<5_000).map { _ in value() }
        return PointCloud(x: xs, y: ys, z: [Float](repeating: -1.5, count: 5_000))
    }()

    @Test("a bird's-eye preview says each box's class, track and score, the frame and the scale, and labels cover no box")
    func birdsEyeWords() {
        let caption = PreviewRenderer.caption(frame: "0000000002", time: 1_317_046_584.5)
        #expect(caption == "0000000002 2011-09-26T14:16:24.500Z")
        let (canvas, words) = PreviewRenderer.birdsEyeCanvas(cloud: Self.cloud, predictions: Self.objects, gold: [], range: 50, pixelsPerMetre: 8,
                                                             caption: caption, annotated: true)
        #expect(canvas.width == 800 && canvas.height == 800)
        for word in words {
            #expect(readText(canvas, x: word.x, y: word.y, scale: word.scale, count: word.text.count, ink: word.color) == word.text.uppercased())
        }
        let texts = words.map(\.text)
        #expect(texts.contains(caption) && texts.contains("10 M") && texts.contains("CAR") && texts.contains("CYCLIST"))
        #expect(texts.contains("CAR 12 0.87") && texts.contains("PEDESTRIAN 7 0.50") && texts.contains("CYCLIST 40 0.61"))
        // Each box's footprint in pixels (x up, y left, 8 px/m from the centre) is free of labels.
        for object in Self.objects {
            let corners = object.cuboid!.bev.corners.map { SIMD2((50 - $0.y) * 8, (50 - $0.x) * 8) }
            let box = PixelRect(enclosing: corners)
            for word in words { #expect(word.rect.overlap(box) == 0, "\(word.text) covers \(object.category)") }
        }
        // The ego's yellow triangle is at the centre.
        let k = 3 * (400 * 800 + 400)
        #expect(Array(canvas.pixels[k..<k + 3]) == [255, 220, 0])
    }

    @Test("a 2048 x 1536 camera preview has thicker lines and larger words that read back", arguments: [(1242, 375, 2, 2), (2048, 1536, 3, 3)])
    func cameraWords(width: Int, height: Int, lineWidth: Int, scale: Int) {
        let intrinsics = CameraIntrinsics(fx: Double(width) * 0.6, fy: Double(width) * 0.6, cx: Double(width) / 2, cy: Double(height) / 2, width: width, height: height)
        let camera = Camera(name: "front", intrinsics: intrinsics,
                            cameraFromSensor: RigidPose(rotation: Quaternion(rotationMatrix: [[0, -1, 0], [0, 0, -1], [1, 0, 0]]), translation: .zero))
        let image = Image(width: width, height: height, layout: .grey, samples: .eightBit([UInt8](repeating: 90, count: width * height)))
        let (canvas, words) = PreviewRenderer.cameraCanvas(image: image, camera: camera, predictions: Self.objects, gold: [], caption: "000012 front")
        #expect(PreviewRenderer.lineWidth(forWidth: width) == lineWidth && PreviewRenderer.textScale(forWidth: width) == scale)
        for word in words {
            #expect(word.scale == scale)
            #expect(readText(canvas, x: word.x, y: word.y, scale: word.scale, count: word.text.count, ink: word.color) == word.text.uppercased())
        }
        // Boxes in front of the camera are labelled, the one behind is not.
        #expect(words.map(\.text).filter { $0.hasPrefix("CAR 12") || $0.hasPrefix("PEDESTRIAN 7") }.count == 2)
        #expect(!words.map(\.text).contains("CYCLIST 40 0.61"))
        #expect(words.map(\.text).contains("000012 FRONT") == false && words.map(\.text).contains("000012 front"))
    }

    @Test("a contact sheet lays tiles out in columns with their names", arguments: [3, 11])
    func contactSheet(count: Int) {
        let tile = Image(width: 40, height: 30, layout: .rgb, samples: .eightBit([UInt8](repeating: 200, count: 40 * 30 * 3)))
        let tiles = (0..<count).map { (name: "F\($0)", image: tile) }
        let sheet = ContactSheet.render(tiles: tiles, title: "SEQ")
        let columns = min(8, count), rows = (count + 7) / 8
        #expect(sheet.width == 4 + columns * 44)
        #expect(sheet.height == 26 + rows * (30 + 22 + 4))
        var canvas = Canvas(sheet)
        canvas.lineWidth = 2
        for k in 0..<count {
            let left = 4 + (k % 8) * 44, top = 26 + (k / 8) * 56
            #expect(readText(canvas, x: left, y: top + 34, scale: 2, count: "F\(k)".count, ink: (235, 235, 235)) == "F\(k)")
        }
    }

    @Test("a contact sheet of a long sequence shows the first, the last and evenly spaced frames", arguments: [(10, 10), (48, 48), (154, 48), (5000, 48)])
    func sheetFrames(count: Int, shown: Int) {
        let indices = ContactSheet.frameIndices(count: count)
        #expect(indices.count == shown && indices.first == 0 && indices.last == count - 1)
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
    }
}
