#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin adapters between files and the byte-oriented decoders and encoders.
public enum FileBytes {
    /// Reads a file and decodes its bytes, naming the file in any decoding error.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - decode: A decoder over the file's bytes; its typed error is wrapped in ``FileDecodingError``.
    /// - Throws: ``FileAccessError`` when the file cannot be read, ``FileDecodingError`` when it cannot be decoded.
    public static func decode<Value, Failure: Error & Sendable>(
        _ path: String, _ decode: ([UInt8]) throws(Failure) -> Value
    ) throws -> Value {
        let bytes = try read(path)
        do {
            return try decode(bytes)
        } catch {
            throw FileDecodingError(path: path, underlying: error)
        }
    }

    /// Reads a whole file into memory with one allocation sized from `fstat`.
    ///
    /// - Parameter path: The file to read.
    /// - Returns: The file's bytes.
    /// - Throws: ``FileAccessError`` when the file cannot be opened or read.
    /// - Complexity: O(n) in the file size; one copy from the page cache.
    public static func read(_ path: String) throws(FileAccessError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileAccessError(path: path, operation: .open, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FileAccessError(path: path, operation: .read, errno: errno)
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw FileAccessError(path: path, operation: .read, errno: EISDIR)
        }
        let expected = max(Int(status.st_size), 0)
        var failure: Int32 = 0
        // One read sized from fstat; the extra byte sees a file that grew since.
        var result = [UInt8](unsafeUninitializedCapacity: expected + 1) { buffer, initialized in
            initialized = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failure: &failure)
        }
        while failure == 0 && result.count > expected {
            var chunk = [UInt8](unsafeUninitializedCapacity: 1 << 20) { buffer, initialized in
                initialized = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failure: &failure)
            }
            if chunk.isEmpty { break }
            result.append(contentsOf: chunk)
            chunk.removeAll()
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

    /// Removes the temporary files that ``writeAtomically(_:to:)`` and ``AtomicFileWriter`` leave in
    /// `folder` when their process is killed between creating and renaming one (`.NAME.tmp-XXXXXX`),
    /// and a ``ScratchFile`` killed between creating and unlinking its file (`.cuboid-scratch-XXXXXX`).
    /// Call it when resuming a run whose earlier process may have been killed; never while another
    /// process writes to the folder.
    /// - Returns: How many were removed.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> Int {
        guard let directory = opendir(folder) else { return 0 }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let isTemporary = name.hasPrefix(".") && name.dropLast(6).hasSuffix(".tmp-")
            let isScratch = name.hasPrefix(".cuboid-scratch-") && name.count == ".cuboid-scratch-".count + 6
            if isTemporary || isScratch { names.append(name) }
        }
        closedir(directory)
        return names.reduce(0) { $0 + (unlink(folder + "/" + $1) == 0 ? 1 : 0) }
    }
}
