import CCodecShims
import CuboidIO

/// Decodes and encodes PNG and JPEG camera frames with the system libpng and libjpeg-turbo.
public enum ImageCodec {
    /// A header read without decoding pixels.
    public struct Header: Sendable, Hashable {
        public var format: ImageFormat
        public var width: Int
        public var height: Int
        /// Channels after decoding (palette PNGs expand to RGB or RGBA, CMYK JPEGs convert to RGB).
        public var layout: Image.ChannelLayout
        /// Bits per sample after decoding: 8 or 16.
        public var bitDepth: Int
        /// Whether the JPEG is progressive or the PNG interlaced.
        public var isProgressive: Bool
    }

    /// Decodes a PNG or JPEG from memory, choosing the decoder by the signature.
    ///
    /// - Parameters:
    ///   - bytes: The complete file contents.
    ///   - options: Pixel budget and corruption tolerance.
    /// - Returns: The image, in the layout and depth the file stores (palette expanded).
    /// - Throws: ``ImageError`` with the byte offset reached.
    /// - Complexity: O(pixels); one allocation for the samples, sized from the header after the
    ///   budget check.
    public static func decode(_ bytes: [UInt8], options: ImageDecodingOptions = .init()) throws(ImageError) -> Image {
        switch ImageFormat.detect(bytes) {
        case .png: return try decodePNG(bytes, options: options)
        case .jpeg: return try decodeJPEG(bytes, options: options)
        case nil: throw bytes.isEmpty ? .emptyFile : .unrecognizedFormat
        }
    }

    /// Reads only the header: size, layout and depth.
    public static func header(_ bytes: [UInt8], options: ImageDecodingOptions = .init()) throws(ImageError) -> Header {
        switch ImageFormat.detect(bytes) {
        case .png: return try withPNGHeader(bytes) { _, header in header }
        case .jpeg: return try withJPEGHeader(bytes, options: options) { _, header in header }
        case nil: throw bytes.isEmpty ? .emptyFile : .unrecognizedFormat
        }
    }

    /// Decodes a PNG: 1, 2, 4, 8 or 16-bit grey, grey+alpha, RGB, RGBA or palette, interlaced or not.
    ///
    /// Palette and transparency chunks expand to RGB or RGBA, low-bit grey to 8 bits; 16-bit files
    /// stay 16-bit. CRCs are checked.
    public static func decodePNG(_ bytes: [UInt8], options: ImageDecodingOptions = .init()) throws(ImageError) -> Image {
        try withPNGHeader(bytes) { (decoder, header) throws(ImageError) -> Image in
            try checkBudget(header, options)
            let rowSamples = header.width * header.layout.channelCount
            let sampleCount = rowSamples * header.height
            var status: Int32 = 0
            if header.bitDepth == 16 {
                let samples = [UInt16](unsafeUninitializedCapacity: sampleCount) { buffer, initialized in
                    status = cuboid_png_read_pixels(
                        decoder, UnsafeMutableRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self),
                        rowSamples * 2)
                    initialized = sampleCount
                }
                if status != 0 { throw pngError(decoder) }
                return Image(width: header.width, height: header.height, layout: header.layout, samples: .sixteenBit(samples))
            }
            let samples = [UInt8](unsafeUninitializedCapacity: sampleCount) { buffer, initialized in
                status = cuboid_png_read_pixels(decoder, buffer.baseAddress, rowSamples)
                initialized = sampleCount
            }
            if status != 0 { throw pngError(decoder) }
            return Image(width: header.width, height: header.height, layout: header.layout, samples: .eightBit(samples))
        }
    }

    /// Decodes a baseline or progressive JPEG to grey or RGB, 8 bits per sample.
    ///
    /// CMYK and YCCK files convert to RGB. libjpeg's default upsampling and integer DCT are used,
    /// as Pillow and OpenCV do.
    public static func decodeJPEG(_ bytes: [UInt8], options: ImageDecodingOptions = .init()) throws(ImageError) -> Image {
        try withJPEGHeader(bytes, options: options) { (decoder, header) throws(ImageError) -> Image in
            try checkBudget(header, options)
            let rowSamples = header.width * header.layout.channelCount
            let sampleCount = rowSamples * header.height
            var status: Int32 = 0
            let samples = [UInt8](unsafeUninitializedCapacity: sampleCount) { buffer, initialized in
                status = cuboid_jpeg_read_pixels(decoder, buffer.baseAddress, rowSamples)
                initialized = sampleCount
            }
            if status != 0 {
                throw .invalidJPEG(message: message(cuboid_jpeg_message(decoder)), byteOffset: cuboid_jpeg_offset(decoder))
            }
            let warnings = Int(cuboid_jpeg_warning_count(decoder))
            if warnings > 0 && !options.acceptsRecoverableCorruption {
                throw .corruptJPEGData(
                    message: message(cuboid_jpeg_message(decoder)), warnings: warnings,
                    byteOffset: cuboid_jpeg_offset(decoder))
            }
            return Image(width: header.width, height: header.height, layout: header.layout, samples: .eightBit(samples))
        }
    }

    // MARK: - Encoding

    /// Encodes an image as PNG.
    ///
    /// - Parameters:
    ///   - image: Any layout, 8 or 16 bits.
    ///   - compressionLevel: zlib level 0-9 (6 is Pillow's default, 1 OpenCV's).
    /// - Returns: The PNG file's bytes.
    /// - Throws: ``ImageError/encodingFailed(_:)`` if libpng fails (for example out of memory).
    public static func encodePNG(_ image: Image, compressionLevel: Int = 6) throws(ImageError) -> [UInt8] {
        precondition((0...9).contains(compressionLevel), "PNG compression level must be 0...9")
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var text = [CChar](repeating: 0, count: Int(CUBOID_CODEC_MESSAGE_LENGTH))
        let status: Int32 = withSampleBytes(image) { raw in
            cuboid_png_encode(
                raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(image.width), UInt32(image.height),
                Int32(image.channels), Int32(image.bitDepth), image.width * image.channels * image.bitDepth / 8,
                Int32(compressionLevel), &output, &size, &text, text.count)
        }
        return try takeOutput(status: status, output: output, size: size, text: text)
    }

    /// Encodes an 8-bit grey or RGB image as JPEG.
    ///
    /// - Parameters:
    ///   - image: The image (8-bit grey or RGB).
    ///   - quality: 1-100 (90 is a common choice for camera frames).
    ///   - progressive: Writes a progressive JPEG (libjpeg's standard scan script).
    /// - Throws: ``ImageError/unsupportedForEncoding(_:)`` for alpha or 16-bit images.
    public static func encodeJPEG(_ image: Image, quality: Int = 90, progressive: Bool = false) throws(ImageError) -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality must be 1...100")
        guard image.bitDepth == 8 else { throw .unsupportedForEncoding("JPEG stores 8-bit samples only") }
        guard image.layout == .grey || image.layout == .rgb else {
            throw .unsupportedForEncoding("JPEG has no alpha channel; convert \(image.layout) to grey or RGB")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var text = [CChar](repeating: 0, count: Int(CUBOID_CODEC_MESSAGE_LENGTH))
        let status: Int32 = withSampleBytes(image) { raw in
            cuboid_jpeg_encode(
                raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(image.width), UInt32(image.height),
                Int32(image.channels), image.width * image.channels, Int32(quality), progressive ? 1 : 0,
                &output, &size, &text, text.count)
        }
        return try takeOutput(status: status, output: output, size: size, text: text)
    }

    /// Encodes in the given format with default settings.
    public static func encode(_ image: Image, as format: ImageFormat) throws(ImageError) -> [UInt8] {
        switch format {
        case .png: try encodePNG(image)
        case .jpeg: try encodeJPEG(image)
        }
    }

    // MARK: - Internals

    private static func checkBudget(_ header: Header, _ options: ImageDecodingOptions) throws(ImageError) {
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        if overflow || pixels > options.maxPixels {
            throw .tooManyPixels(width: header.width, height: header.height, limit: options.maxPixels)
        }
    }

    private static func withPNGHeader<T>(
        _ bytes: [UInt8], _ body: (OpaquePointer, Header) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ImageError) -> T in
            guard let decoder = cuboid_png_decoder_create(buffer.baseAddress, buffer.count) else {
                throw .invalidPNG(message: "out of memory", byteOffset: 0)
            }
            defer { cuboid_png_decoder_destroy(decoder) }
            var info = cuboid_png_info()
            guard cuboid_png_read_header(decoder, &info) == 0 else { throw pngError(decoder) }
            guard let layout = Image.ChannelLayout(rawValue: Int(info.channels)),
                info.bit_depth == 8 || info.bit_depth == 16
            else {
                throw .invalidPNG(message: "unexpected pixel layout \(info.channels)x\(info.bit_depth)", byteOffset: cuboid_png_offset(decoder))
            }
            let header = Header(
                format: .png, width: Int(info.width), height: Int(info.height), layout: layout,
                bitDepth: Int(info.bit_depth), isProgressive: info.interlaced != 0)
            return try body(decoder, header)
        }
    }

    private static func withJPEGHeader<T>(
        _ bytes: [UInt8], options: ImageDecodingOptions, _ body: (OpaquePointer, Header) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ImageError) -> T in
            guard let decoder = cuboid_jpeg_decoder_create(buffer.baseAddress, buffer.count, Int32(options.maxJPEGScans)) else {
                throw .invalidJPEG(message: "out of memory", byteOffset: 0)
            }
            defer { cuboid_jpeg_decoder_destroy(decoder) }
            var info = cuboid_jpeg_info()
            guard cuboid_jpeg_read_header(decoder, &info) == 0 else {
                throw .invalidJPEG(message: message(cuboid_jpeg_message(decoder)), byteOffset: cuboid_jpeg_offset(decoder))
            }
            let header = Header(
                format: .jpeg, width: Int(info.width), height: Int(info.height),
                layout: info.channels == 1 ? .grey : .rgb, bitDepth: 8, isProgressive: info.progressive != 0)
            return try body(decoder, header)
        }
    }

    private static func pngError(_ decoder: OpaquePointer) -> ImageError {
        .invalidPNG(message: message(cuboid_png_message(decoder)), byteOffset: cuboid_png_offset(decoder))
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        let result = String(cString: text)
        return result.isEmpty ? "unknown error" : result
    }

    private static func withSampleBytes<R>(_ image: Image, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch image.samples {
        case .eightBit(let values): values.withUnsafeBytes(body)
        case .sixteenBit(let values): values.withUnsafeBytes(body)
        }
    }

    private static func takeOutput(
        status: Int32, output: UnsafeMutablePointer<UInt8>?, size: Int, text: [CChar]
    ) throws(ImageError) -> [UInt8] {
        guard status == 0, let output else {
            throw .encodingFailed(text.withUnsafeBufferPointer { message($0.baseAddress) })
        }
        defer { cuboid_codec_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

extension ImageCodec {
    /// Reads and decodes an image file.
    ///
    /// - Throws: `FileAccessError` when the file cannot be read, or `FileDecodingError` wrapping an
    ///   ``ImageError`` with the path.
    public static func read(_ path: String, options: ImageDecodingOptions = .init()) throws -> Image {
        try FileBytes.decode(path) { (bytes) throws(ImageError) in try decode(bytes, options: options) }
    }

    /// Encodes an image in the format its path's extension names and writes it atomically.
    public static func write(_ image: Image, to path: String, format: ImageFormat? = nil) throws {
        guard let format = format ?? ImageFormat(pathExtensionOf: path) else {
            throw FileDecodingError(path: path, underlying: ImageError.unsupportedForEncoding("unknown image extension"))
        }
        let bytes = try encode(image, as: format)
        try FileBytes.writeAtomically(bytes, to: path)
    }
}
