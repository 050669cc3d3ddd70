/// Why image bytes could not be decoded or an image could not be encoded.
///
/// Every decoding case carries the byte offset the decoder had read up to when it failed.
public enum ImageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes start with neither a PNG nor a JPEG signature.
    case unrecognizedFormat
    /// The file has no bytes at all (a file named `.png` or `.jpg` that was never written).
    case emptyFile
    /// The header claims more pixels than the decoder's budget allows; nothing was allocated.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// libpng rejected the data.
    case invalidPNG(message: String, byteOffset: Int)
    /// libjpeg rejected the data.
    case invalidJPEG(message: String, byteOffset: Int)
    /// libjpeg decoded the image but had to skip corrupt or missing data (a truncated file, a bad
    /// Huffman code); the pixels would be partly made up. Allowed with
    /// ``ImageDecodingOptions/acceptsRecoverableCorruption``.
    case corruptJPEGData(message: String, warnings: Int, byteOffset: Int)
    /// The image cannot be written in the requested format (for example alpha in a JPEG).
    case unsupportedForEncoding(String)
    /// The encoder failed.
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .unrecognizedFormat:
            "not a PNG or JPEG file (unknown signature at byte 0)"
        case .emptyFile:
            "empty file (0 bytes), expected a PNG or JPEG image"
        case .tooManyPixels(let width, let height, let limit):
            "image of \(width)x\(height) pixels exceeds the budget of \(limit) pixels"
        case .invalidPNG(let message, let offset):
            "invalid PNG at byte \(offset): \(message)"
        case .invalidJPEG(let message, let offset):
            "invalid JPEG at byte \(offset): \(message)"
        case .corruptJPEGData(let message, let warnings, let offset):
            "corrupt JPEG data (\(warnings) problem\(warnings == 1 ? "" : "s"), first: \(message)); read up to byte \(offset)"
        case .unsupportedForEncoding(let reason):
            "cannot encode: \(reason)"
        case .encodingFailed(let reason):
            "encoding failed: \(reason)"
        }
    }
}

/// Limits and tolerances for decoding.
public struct ImageDecodingOptions: Sendable, Hashable {
    /// The largest `width * height` that is decoded; larger headers are refused before any pixel
    /// memory is allocated. The default, 100 million pixels, is far above any camera frame.
    public var maxPixels: Int
    /// Whether a JPEG whose data libjpeg had to patch over (a truncated file, corrupt entropy data)
    /// is returned instead of throwing ``ImageError/corruptJPEGData(message:warnings:byteOffset:)``.
    public var acceptsRecoverableCorruption: Bool
    /// The largest number of scans a progressive JPEG may have (libjpeg-turbo's advice against
    /// files built to take minutes).
    public var maxJPEGScans: Int

    public init(maxPixels: Int = 100_000_000, acceptsRecoverableCorruption: Bool = false, maxJPEGScans: Int = 1000) {
        precondition(maxPixels > 0, "maxPixels must be positive")
        self.maxPixels = maxPixels
        self.acceptsRecoverableCorruption = acceptsRecoverableCorruption
        self.maxJPEGScans = maxJPEGScans
    }
}
