import CuboidIO
import CuboidImages
import CuboidTestSupport
import Foundation
import Testing

/// A real frame with facts measured independently with Pillow: size, sum of all samples, and two pixels.
struct RealFrame: CustomTestStringConvertible, Sendable {
    let path: String
    let width: Int
    let height: Int
    let sampleSum: Int
    let topLeft: [UInt8]
    let centre: [UInt8]
    var testDescription: String { path }
}

let realFrames: [RealFrame] = [
    RealFrame(path: "kitti_object/training/image_2/000000.png", width: 1224, height: 370, sampleSum: 122_962_793, topLeft: [17, 22, 18], centre: [136, 124, 104]),
    RealFrame(path: "kitti_object/training/image_2/000001.png", width: 1242, height: 375, sampleSum: 144_784_047, topLeft: [255, 255, 255], centre: [10, 10, 15]),
    RealFrame(path: "kitti_object/training/image_2/000002.png", width: 1242, height: 375, sampleSum: 118_559_057, topLeft: [9, 7, 8], centre: [34, 30, 35]),
    RealFrame(path: "kitti_object/training/image_2/000003.png", width: 1242, height: 375, sampleSum: 127_896_253, topLeft: [85, 89, 93], centre: [255, 202, 166]),
    RealFrame(path: "kitti_object/training/image_2/007347.png", width: 1224, height: 370, sampleSum: 153_661_209, topLeft: [29, 32, 31], centre: [72, 46, 54]),
    RealFrame(path: "kitti_raw/2011_09_26/image_02/data/0000000000.png", width: 1242, height: 375, sampleSum: 124_516_486, topLeft: [105, 87, 56], centre: [42, 41, 38]),
    RealFrame(path: "nuscenes/n015-2018-07-24-11-22-45+0800__CAM_BACK_LEFT__1532402927647423.jpg", width: 1600, height: 900, sampleSum: 512_357_438, topLeft: [52, 56, 57], centre: [136, 143, 153]),
    RealFrame(path: "nuscenes/n015-2018-07-24-11-22-45+0800__CAM_FRONT__1532402927612460.jpg", width: 1600, height: 900, sampleSum: 475_115_630, topLeft: [31, 22, 25], centre: [28, 34, 32]),
    RealFrame(path: "sustechpoints/camera/front/000965.jpg", width: 2048, height: 1536, sampleSum: 910_241_202, topLeft: [52, 49, 44], centre: [52, 48, 47]),
    RealFrame(path: "sustechpoints/camera/right/000970.jpg", width: 2048, height: 1536, sampleSum: 1_036_438_900, topLeft: [4, 0, 1], centre: [47, 66, 64]),
]

func pixel(_ image: Image, _ x: Int, _ y: Int) -> [UInt8] {
    guard case .eightBit(let samples) = image.samples else { return [] }
    let start = (y * image.width + x) * image.channels
    return Array(samples[start..<(start + image.channels)])
}

func imageError<Value>(_ body: () throws(ImageError) -> Value) -> ImageError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("Real camera frames", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
struct RealFrameTests {
    @Test("decode to the same pixels as Pillow", arguments: realFrames)
    func decodes(_ frame: RealFrame) throws {
        let image = try ImageCodec.read(SharedData.path(frame.path))
        #expect(image.width == frame.width && image.height == frame.height)
        #expect(image.layout == .rgb && image.bitDepth == 8)
        guard case .eightBit(let samples) = image.samples else { return }
        #expect(samples.reduce(0) { $0 + Int($1) } == frame.sampleSum)
        #expect(pixel(image, 0, 0) == frame.topLeft)
        #expect(pixel(image, frame.width / 2, frame.height / 2) == frame.centre)
    }

    @Test("every image in the shared data decodes")
    func everyImage() throws {
        let files = SharedData.files(under: ".", suffixes: [".png", ".jpg"])
        #expect(files.count == 40)
        for file in files {
            let image = try ImageCodec.read(SharedData.path(file))
            #expect(image.pixelCount > 0)
        }
    }

    @Test("truncated and corrupted real frames give typed errors with offsets")
    func damaged() throws {
        let png = SharedData.bytes(realFrames[0].path)
        for cut in [8, 20, 33, 100, png.count / 2, png.count - 13, png.count - 1] {
            let error = imageError { () throws(ImageError) in try ImageCodec.decode(Array(png[0..<cut])) }
            guard case .invalidPNG(_, let offset) = error else {
                Issue.record("PNG cut at \(cut): \(String(describing: error))")
                continue
            }
            #expect(offset <= cut)
        }
        let jpeg = SharedData.bytes(realFrames[7].path)
        for cut in [3, 100, 600, jpeg.count / 2, jpeg.count - 2] {
            let error = imageError { () throws(ImageError) in try ImageCodec.decode(Array(jpeg[0..<cut])) }
            switch error {
            case .invalidJPEG, .corruptJPEGData: break
            default: Issue.record("JPEG cut at \(cut): \(String(describing: error))")
            }
        }
        // A truncated JPEG is still available when asked for.
        let lenient = try ImageCodec.decode(Array(jpeg[0..<(jpeg.count / 2)]), options: .init(acceptsRecoverableCorruption: true))
        #expect(lenient.width == 1600)
        // A flipped byte inside PNG image data fails the CRC.
        var flipped = png
        flipped[png.count / 2] ^= 0x55
        if case .invalidPNG(let message, _) = imageError({ () throws(ImageError) in try ImageCodec.decode(flipped) }) {
            #expect(message.contains("CRC"))
        } else {
            Issue.record("corrupt PNG accepted")
        }
        for copy in Corruption.randomOverwrites(jpeg, copies: 30, count: 5, seed: 3) + Corruption.randomOverwrites(png, copies: 10, count: 5, range: 0..<200, seed: 4) {
            _ = imageError { () throws(ImageError) in try ImageCodec.decode(copy) }  // typed error or an image, never a crash
        }
    }

    @Test("file errors name the path")
    func fileErrors() {
        do {
            _ = try ImageCodec.read(SharedData.path("kitti_object/training/calib/000000.txt"))
            Issue.record("calib decoded as an image")
        } catch let error as FileDecodingError {
            #expect(error.description.hasSuffix("calib/000000.txt: not a PNG or JPEG file (unknown signature at byte 0)"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("PNG and JPEG codecs")
struct CodecTests {
    static func gradient(_ layout: Image.ChannelLayout, bitDepth: Int, width: Int = 37, height: Int = 23) -> Image {
        let count = width * height * layout.channelCount
        if bitDepth == 16 {
            return Image(width: width, height: height, layout: layout, samples: .sixteenBit((0..<count).map { UInt16(truncatingIfNeeded: $0 &* 2654) }))
        }
        return Image(width: width, height: height, layout: layout, samples: .eightBit((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 11) }))
    }

    @Test("PNG round trip in every layout and depth", arguments: Image.ChannelLayout.allCases, [8, 16])
    func pngRoundTrip(layout: Image.ChannelLayout, bitDepth: Int) throws {
        let image = Self.gradient(layout, bitDepth: bitDepth)
        for level in [0, 1, 6, 9] {
            let encoded = try ImageCodec.encodePNG(image, compressionLevel: level)
            #expect(try ImageCodec.decode(encoded) == image)
        }
    }

    @Test("16-bit extremes survive (depth maps)")
    func sixteenBitExtremes() throws {
        let image = Image(width: 4, height: 1, layout: .grey, samples: .sixteenBit([0, 1, 256, 65535]))
        #expect(try ImageCodec.decodePNG(ImageCodec.encodePNG(image)) == image)
    }

    @Test("palette, low-bit grey and transparency from an independent encoder expand correctly")
    func referencePNGs() throws {
        // 2-bit palette with tRNS: expands to RGBA.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]
        let paletted = ReferencePNG.make(width: 4, height: 2, bitDepth: 2, colorType: 3, rows: [[0b0001_1011], [0b1110_0100]], palette: palette, transparency: [255, 128])
        let decoded = try ImageCodec.decode(paletted)
        #expect(decoded.layout == .rgba && decoded.bitDepth == 8)
        #expect(pixel(decoded, 0, 0) == [255, 0, 0, 255])
        #expect(pixel(decoded, 1, 0) == [0, 255, 0, 128])
        #expect(pixel(decoded, 3, 0) == [9, 9, 9, 255])
        #expect(pixel(decoded, 0, 1) == [9, 9, 9, 255])
        // 8-bit palette without transparency: RGB.
        let rgbPalette = ReferencePNG.make(width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[1, 2]], palette: palette)
        #expect(try ImageCodec.decode(rgbPalette) == Image(width: 2, height: 1, layout: .rgb, samples: .eightBit([0, 255, 0, 0, 0, 255])))
        // 1-bit grey: 0 and 255.
        let bits = ReferencePNG.make(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_0001]])
        #expect(try ImageCodec.decode(bits) == Image(width: 8, height: 1, layout: .grey, samples: .eightBit([255, 0, 255, 0, 0, 0, 0, 255])))
        // 4-bit grey scales to 8 bits (0xF -> 255, 0x8 -> 136).
        let nibbles = ReferencePNG.make(width: 2, height: 1, bitDepth: 4, colorType: 0, rows: [[0xF8]])
        #expect(try ImageCodec.decode(nibbles) == Image(width: 2, height: 1, layout: .grey, samples: .eightBit([255, 136])))
        // 16-bit grey+alpha, big-endian in the file, host order in memory.
        let greyAlpha = ReferencePNG.make(width: 1, height: 1, bitDepth: 16, colorType: 4, rows: [[0x12, 0x34, 0xFF, 0xFE]])
        #expect(try ImageCodec.decode(greyAlpha) == Image(width: 1, height: 1, layout: .greyAlpha, samples: .sixteenBit([0x1234, 0xFFFE])))
    }

    @Test("JPEG baseline and progressive decode to the same pixels")
    func progressive() throws {
        // A smooth frame (JPEG's case): a colour ramp.
        let image = Image(width: 160, height: 90, layout: .rgb, samples: .eightBit((0..<(160 * 90 * 3)).map { i in
            let pixel = i / 3, x = pixel % 160, y = pixel / 160
            return UInt8([x, y * 2, (x + y) / 2][i % 3])
        }))
        let baseline = try ImageCodec.encodeJPEG(image, quality: 92)
        let progressive = try ImageCodec.encodeJPEG(image, quality: 92, progressive: true)
        #expect(baseline != progressive)
        #expect(try ImageCodec.header(progressive).isProgressive)
        #expect(try !ImageCodec.header(baseline).isProgressive)
        let a = try ImageCodec.decode(baseline), b = try ImageCodec.decode(progressive)
        #expect(a == b)
        // Lossy, but close: mean absolute error below 4 levels at quality 92.
        guard case .eightBit(let original) = image.samples, case .eightBit(let decoded) = a.samples else { return }
        let error = zip(original, decoded).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        #expect(Double(error) / Double(original.count) < 4)
        let grey = Self.gradient(.grey, bitDepth: 8)
        #expect(try ImageCodec.decode(ImageCodec.encodeJPEG(grey)).layout == .grey)
    }

    @Test("JPEG refuses what it cannot hold")
    func jpegLimits() {
        #expect(throws: ImageError.unsupportedForEncoding("JPEG has no alpha channel; convert rgba to grey or RGB")) {
            try ImageCodec.encodeJPEG(Self.gradient(.rgba, bitDepth: 8))
        }
        #expect(throws: ImageError.unsupportedForEncoding("JPEG stores 8-bit samples only")) {
            try ImageCodec.encodeJPEG(Self.gradient(.rgb, bitDepth: 16))
        }
    }

    @Test("decompression bombs are refused before allocating")
    func bombs() throws {
        // A JPEG header claiming 20039 x 35152 pixels in a few hundred bytes.
        var jpeg = try ImageCodec.encodeJPEG(Self.gradient(.grey, bitDepth: 8, width: 8, height: 8))
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        jpeg[sof + 5] = UInt8(35152 >> 8); jpeg[sof + 6] = UInt8(35152 & 0xFF)
        jpeg[sof + 7] = UInt8(20039 >> 8); jpeg[sof + 8] = UInt8(20039 & 0xFF)
        #expect(imageError { () throws(ImageError) in try ImageCodec.decode(jpeg) } == .tooManyPixels(width: 20039, height: 35152, limit: 100_000_000))
        // PNG: 100000 x 100000 with a valid IHDR CRC.
        let png = ReferencePNG.make(width: 100_000, height: 100_000, bitDepth: 8, colorType: 2, rows: [])
        #expect(imageError { () throws(ImageError) in try ImageCodec.decode(png) } == .tooManyPixels(width: 100_000, height: 100_000, limit: 100_000_000))
        // The budget is configurable.
        let small = try ImageCodec.encodePNG(Self.gradient(.rgb, bitDepth: 8))
        #expect(imageError { () throws(ImageError) in try ImageCodec.decode(small, options: .init(maxPixels: 100)) } == .tooManyPixels(width: 37, height: 23, limit: 100))
    }

    @Test("garbage and empty input")
    func garbage() {
        // No bytes at all is its own error (an image file that was never written), not an unknown format.
        #expect(imageError { () throws(ImageError) in try ImageCodec.decode([]) } == .emptyFile)
        #expect(imageError { () throws(ImageError) in try ImageCodec.header([]) } == .emptyFile)
        #expect(imageError { () throws(ImageError) in try ImageCodec.decode([0x42]) } == .unrecognizedFormat)
        // libjpeg's own refusal, reported as an error (this input once leaked the decompressor).
        #expect(imageError { () throws(ImageError) in try ImageCodec.decodeJPEG([]) } == .invalidJPEG(message: "Empty input file", byteOffset: 0))
        if case .invalidPNG = imageError({ () throws(ImageError) in try ImageCodec.decodePNG([1, 2, 3]) }) {} else { Issue.record("expected invalidPNG") }
        if case .invalidJPEG = imageError({ () throws(ImageError) in try ImageCodec.decode([0xFF, 0xD8, 0xFF, 0x00]) }) {} else { Issue.record("expected invalidJPEG") }
    }
}

@Suite("Empty image files")
struct EmptyImageTests {
    /// A 0-byte `.png` or `.jpg` (an image that was never written) is an image error saying so,
    /// with the file's name.
    @Test("an empty image file is an image error", arguments: ["frame.png", "frame.jpg", "frame.JPEG"])
    func emptyFile(name: String) throws {
        let folder = try scratchFolder("images-empty")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        try FileBytes.writeAtomically([], to: path)
        do {
            _ = try ImageCodec.read(path)
            Issue.record("an empty file decoded")
        } catch let error as FileDecodingError {
            #expect(error.underlying as? ImageError == .emptyFile)
            #expect(error.description == "\(path): empty file (0 bytes), expected a PNG or JPEG image")
        }
    }
}
