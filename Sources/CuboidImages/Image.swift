/// A decoded camera frame: rows of interleaved samples, top row first.
///
/// Pixel (column `x`, row `y`) starts at sample index `(y * width + x) * channels`. Samples are
/// 8-bit or 16-bit unsigned integers as stored in the file (no gamma or colour management is
/// applied); 16-bit samples are in host byte order. Channel order is grey; grey, alpha; red,
/// green, blue; or red, green, blue, alpha.
public struct Image: Sendable, Hashable {
    /// How the channels of a pixel are interpreted.
    public enum ChannelLayout: Int, Sendable, Hashable, Codable, CaseIterable {
        case grey = 1
        case greyAlpha = 2
        case rgb = 3
        case rgba = 4

        /// Samples per pixel.
        public var channelCount: Int { rawValue }
    }

    /// The samples, in one of the two supported depths.
    public enum Samples: Sendable, Hashable {
        case eightBit([UInt8])
        case sixteenBit([UInt16])

        /// Bits per sample: 8 or 16.
        public var bitDepth: Int {
            switch self {
            case .eightBit: 8
            case .sixteenBit: 16
            }
        }

        /// Number of samples.
        public var count: Int {
            switch self {
            case .eightBit(let values): values.count
            case .sixteenBit(let values): values.count
            }
        }
    }

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Channel interpretation.
    public let layout: ChannelLayout
    /// The pixel samples, `width * height * layout.channelCount` of them.
    public let samples: Samples

    /// Creates an image from samples.
    ///
    /// - Precondition: `width` and `height` are not negative and `samples.count` is
    ///   `width * height * layout.channelCount`.
    public init(width: Int, height: Int, layout: ChannelLayout, samples: Samples) {
        precondition(width >= 0 && height >= 0, "Image size must not be negative")
        precondition(
            samples.count == width * height * layout.channelCount,
            "Image needs \(width * height * layout.channelCount) samples, got \(samples.count)")
        self.width = width
        self.height = height
        self.layout = layout
        self.samples = samples
    }

    /// Samples per pixel.
    public var channels: Int { layout.channelCount }
    /// Bits per sample: 8 or 16.
    public var bitDepth: Int { samples.bitDepth }
    /// Number of pixels.
    public var pixelCount: Int { width * height }
}

/// The container formats ``ImageCodec`` reads and writes.
public enum ImageFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case png
    case jpeg

    /// Recognises a format from the first bytes of a file (its signature).
    public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF { return .jpeg }
        return nil
    }

    /// The format a file name's extension names (`.png`, `.jpg`, `.jpeg`), case-insensitively.
    public init?(pathExtensionOf path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".png") {
            self = .png
        } else if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
            self = .jpeg
        } else {
            return nil
        }
    }
}
