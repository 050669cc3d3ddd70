#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to read or write a file, with the path and the operating system's reason.
public struct FileAccessError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being done when the failure happened.
    public enum Operation: String, Sendable, Hashable {
        case open, read, write, sync, rename, createTemporary = "create temporary file for"
    }

    /// The file the operation was on.
    public var path: String
    /// The operation that failed.
    public var operation: Operation
    /// The `errno` value, or 0 when the failure was not a system call's.
    public var code: Int32
    /// A readable reason, from `strerror` for system failures.
    public var reason: String
    /// For a file above a reader's byte limit: its size from `fstat`, or nil when it has none (a pipe
    /// read up to the limit).
    public var size: Int?
    /// For a file above a reader's byte limit: the limit.
    public var limit: Int?

    public init(path: String, operation: Operation, code: Int32, reason: String, size: Int? = nil, limit: Int? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.reason = reason
        self.size = size
        self.limit = limit
    }

    /// A file refused because it holds more than `limit` bytes (code `EFBIG`).
    /// - Parameters:
    ///   - path: The file.
    ///   - size: The size `fstat` gave, or nil when reading stopped at the limit (a pipe).
    ///   - limit: The largest size accepted, bytes.
    public static func tooLarge(path: String, size: Int?, limit: Int) -> FileAccessError {
        let amount = size.map { "\($0) bytes" } ?? "more than \(limit) bytes (read up to the limit)"
        return FileAccessError(path: path, operation: .read, code: EFBIG, reason: "\(amount), above the limit of \(limit) bytes",
                               size: size, limit: limit)
    }

    init(path: String, operation: Operation, errno code: Int32) {
        self.init(path: path, operation: operation, code: code, reason: String(cString: strerror(code)))
    }

    public var description: String { "\(path): cannot \(operation.rawValue) file: \(reason)" }
}

/// A decoding failure tied to the file whose bytes were decoded.
///
/// Decoders work on bytes and report positions (byte offsets, line numbers) inside them; the file
/// adapters wrap those errors in this type so that every message names the file too.
public struct FileDecodingError: Error, Sendable, CustomStringConvertible {
    /// The file that failed to decode.
    public var path: String
    /// The decoder's own typed error, which carries the offset or line.
    public var underlying: any Error & Sendable

    public init(path: String, underlying: any Error & Sendable) {
        self.path = path
        self.underlying = underlying
    }

    public var description: String { "\(path): \(underlying)" }
}
