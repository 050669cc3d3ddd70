#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin adapters between files and the byte-oriented decoders and encoders.
public enum FileBytes {
    /// The default byte limit of ``read(_:maxBytes:)`` and ``decode(_:maxBytes:_:)``: 2 GiB, far above
    /// any label, calibration, table or image file, low enough that a wrong path (a disk image, a
    /// sparse file) is refused instead of filling memory. Point clouds derive their own limit from
    /// their point budget (`PointCloudCodec.fileByteLimit`).
    public static let defaultMaxBytes = 1 << 31

    /// Reads a file and decodes its bytes, naming the file in any decoding error.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - maxBytes: The largest file that is read (see ``read(_:maxBytes:)``).
    ///   - decode: A decoder over the file's bytes; its typed error is wrapped in ``FileDecodingError``.
    /// - Throws: ``FileAccessError`` when the file cannot be read or is above `maxBytes`,
    ///   ``FileDecodingError`` when it cannot be decoded.
    public static func decode<Value, Failure: Error & Sendable>(
        _ path: String, maxBytes: Int = defaultMaxBytes, _ decode: ([UInt8]) throws(Failure) -> Value
    ) throws -> Value {
        let bytes = try read(path, maxBytes: maxBytes)
        do {
            return try decode(bytes)
        } catch {
            throw FileDecodingError(path: path, underlying: error)
        }
    }

    /// The size `fstat` reports for a regular file, or nil for anything else (a pipe, a device).
    ///
    /// Lets a reader that knows its record size check a budget before reading; ``read(_:maxBytes:)``
    /// stays bounded by its own limit whatever the file does after this call.
    /// - Throws: ``FileAccessError`` when the file cannot be examined.
    public static func regularFileSize(_ path: String) throws(FileAccessError) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileAccessError(path: path, operation: .open, errno: errno) }
        return (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : nil
    }

    /// The first `count` bytes of a regular file (fewer when it is shorter), for checking a header
    /// before the whole file is read.
    /// - Throws: ``FileAccessError`` when the file cannot be opened or read, or is not a regular file
    ///   (reading a pipe's first bytes would consume them).
    public static func readPrefix(_ path: String, count: Int) throws(FileAccessError) -> [UInt8] {
        precondition(count >= 0, "count must not be negative")
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileAccessError(path: path, operation: .open, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileAccessError(path: path, operation: .read, errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FileAccessError(path: path, operation: .read, code: EINVAL, reason: "not a regular file")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failure: &failure)
        }
        if failure != 0 { throw FileAccessError(path: path, operation: .read, errno: failure) }
        return bytes
    }

    /// Reads a whole file into memory, never more than `maxBytes`.
    ///
    /// A regular file's size comes from `fstat` and is checked before anything is allocated; then it
    /// is read with one allocation of that size. Pipes and sockets (and files whose size `fstat` does
    /// not know, such as `/proc`) are read in 1 MiB chunks until they end or pass `maxBytes`.
    /// Character and block devices are refused unread: they have no size, and `/dev/zero` or
    /// `/dev/urandom` never end.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - maxBytes: The largest number of bytes accepted; default ``defaultMaxBytes`` (2 GiB).
    /// - Returns: The file's bytes.
    /// - Throws: ``FileAccessError`` when the file cannot be opened or read, is a directory or device,
    ///   or holds more than `maxBytes` (code `EFBIG`, with ``FileAccessError/size`` and
    ///   ``FileAccessError/limit``).
    /// - Precondition: `maxBytes >= 0`.
    /// - Complexity: O(n) in the file size; one copy from the page cache.
    public static func read(_ path: String, maxBytes: Int = defaultMaxBytes) throws(FileAccessError) -> [UInt8] {
        precondition(maxBytes >= 0, "maxBytes must not be negative")
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileAccessError(path: path, operation: .open, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FileAccessError(path: path, operation: .read, errno: errno)
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            throw FileAccessError(path: path, operation: .read, errno: EISDIR)
        case S_IFCHR, S_IFBLK:
            throw FileAccessError(
                path: path, operation: .read, code: ENODEV,
                reason: "a \((status.st_mode & S_IFMT) == S_IFCHR ? "character" : "block") device, not a file or pipe (devices have no size and may never end)")
        default:
            break
        }
        let expected = max(Int(status.st_size), 0)
        guard expected <= maxBytes else { throw .tooLarge(path: path, size: expected, limit: maxBytes) }
        var failure: Int32 = 0
        // One read sized from fstat; the extra byte sees a file that grew since (or has no size: pipes, /proc).
        var result = [UInt8](unsafeUninitializedCapacity: expected + 1) { buffer, initialized in
            initialized = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failure: &failure)
        }
        if failure == 0 && result.count > expected {
            // No size (a pipe, /proc) or a file that grew: the rest in 1 MiB chunks, never more than one
            // byte past the limit, so a pipe that never ends stops there. The chunks are joined once,
            // each freed as it is copied, so memory peaks near the bytes read (an appended array's
            // doubling copies would need up to three times that).
            var chunks = [result]
            var total = result.count
            while failure == 0 {
                guard total <= maxBytes else { throw .tooLarge(path: path, size: nil, limit: maxBytes) }
                let chunkSize = min(1 << 20, maxBytes + 1 - total)
                let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { buffer, initialized in
                    initialized = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failure: &failure)
                }
                if chunk.isEmpty { break }
                total += chunk.count
                chunks.append(chunk)
            }
            if failure != 0 { throw FileAccessError(path: path, operation: .read, errno: failure) }
            guard total <= maxBytes else { throw .tooLarge(path: path, size: nil, limit: maxBytes) }
            result = []
            result.reserveCapacity(total)
            chunks.reverse()
            while let chunk = chunks.popLast() { result.append(contentsOf: chunk) }
        }
        if failure != 0 { throw FileAccessError(path: path, operation: .read, errno: failure) }
        return result
    }

    private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, failure: inout Int32) -> Int {
        var count = 0
        while count < buffer.count {
            let got = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            if got < 0 {
                if errno == EINTR { continue }
                failure = errno
                return count
            }
            if got == 0 { break }
            count += got
        }
        return count
    }

    /// Writes `bytes` to `path` atomically: to a temporary file in the same folder, flushed to disk,
    /// then renamed over the destination. Readers see the old file or the new one, never a part.
    ///
    /// - Parameters:
    ///   - bytes: The complete new contents.
    ///   - path: The destination; its folder must exist.
    /// - Throws: ``FileAccessError`` naming the destination; a failed write leaves the destination
    ///   untouched and removes the temporary file.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileAccessError) {
        let writer = try AtomicFileWriter(path: path)
        try writer.append(bytes)
        try writer.commit()
    }

    /// A folder's entries, read with `readdir` so that every name is seen as the bytes it is.
    public struct FolderListing: Sendable, Hashable {
        /// The names that are UTF-8 (every entry but `.` and `..`), in directory order.
        public var names: [String]
        /// Names that are not UTF-8, escaped by ``escapedName(_:)``. No Swift `String` path can open
        /// them (a path is converted to UTF-8), so callers skip them and report them instead of
        /// failing later on a mangled name.
        public var undecodableNames: [String]
    }

    /// Lists a folder with `readdir`, separating names that are not UTF-8.
    /// - Throws: ``FileAccessError`` naming the folder when it cannot be opened.
    public static func listFolder(_ path: String) throws(FileAccessError) -> FolderListing {
        guard let directory = opendir(path) else { throw FileAccessError(path: path, operation: .open, errno: errno) }
        defer { closedir(directory) }
        var listing = FolderListing(names: [], undecodableNames: [])
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                listing.names.append(name)
            } else {
                listing.undecodableNames.append(escapedName(bytes))
            }
        }
        return listing
    }

    /// A file name's bytes as printable text: ASCII from space to `~` as is (a backslash doubled),
    /// every other byte as `\xNN`.
    public static func escapedName(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF")
        var out = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(byte)))
            default: out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }

    /// Removes the temporary files that ``writeAtomically(_:to:)`` and ``AtomicFileWriter`` leave in
    /// `folder` when their process is killed between creating and renaming one (`.NAME.tmp-XXXXXX`),
    /// and a ``ScratchFile`` killed between creating and unlinking its file (`.cuboid-scratch-XXXXXX`).
    /// Call it when resuming a run whose earlier process may have been killed; never while another
    /// process writes to the folder.
    /// - Returns: How many were removed.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> Int {
        let names = ((try? listFolder(folder))?.names ?? []).filter { name in
            let isTemporary = name.hasPrefix(".") && name.dropLast(6).hasSuffix(".tmp-")
            let isScratch = name.hasPrefix(".cuboid-scratch-") && name.count == ".cuboid-scratch-".count + 6
            return isTemporary || isScratch
        }
        return names.reduce(0) { $0 + (unlink(folder + "/" + $1) == 0 ? 1 : 0) }
    }
}
