#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written piece by piece that appears whole or not at all.
///
/// The bytes go to a temporary file beside the destination (`.NAME.tmp-XXXXXX`); ``commit()`` flushes
/// it to disk and renames it over the destination. A writer dropped without committing (an error on
/// the way) removes its temporary file and leaves the destination as it was. A process killed before
/// the rename leaves only the temporary file, which ``FileBytes/removeStaleTemporaries(in:)`` clears.
///
/// Memory stays bounded by the 256 KiB buffer whatever the file's size.
public final class AtomicFileWriter {
    /// The destination.
    public let path: String
    private let temporary: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    private static let bufferSize = 1 << 18

    /// Creates the temporary file.
    /// - Parameter path: The destination; its folder must exist.
    /// - Throws: ``FileAccessError`` naming the destination when the temporary file cannot be created.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        let folderEnd = path.lastIndex(of: "/")
        let folder = folderEnd.map { String(path[..<$0]) } ?? "."
        let name = folderEnd.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(folder.isEmpty ? "/" : folder)/.\(name).tmp-XXXXXX".utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileAccessError(path: path, operation: .createTemporary, errno: errno) }
        temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporary) }
    }

    /// Appends bytes.
    /// - Throws: ``FileAccessError`` naming the destination (a full disk is `ENOSPC`).
    public func append(_ bytes: some Collection<UInt8>) throws(FileAccessError) {
        precondition(!committed && descriptor >= 0, "append after commit")
        if bytes.count >= Self.bufferSize {
            // Large pieces go straight to the file, without a copy into the buffer.
            try flush()
            let failure = bytes.withContiguousStorageIfAvailable { writeAll(descriptor, UnsafeRawBufferPointer($0)) }
            if let failure {
                if failure != 0 { throw FileAccessError(path: path, operation: .write, errno: failure) }
                return
            }
        }
        // Never past the reserved capacity (which would double the buffer).
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        buffer.append(contentsOf: bytes)
    }

    /// Appends a string's UTF-8 bytes.
    public func append(_ text: String) throws(FileAccessError) { try append(text.utf8) }

    /// Appends the whole of a scratch file.
    public func append(contentsOf scratch: ScratchFile) throws(FileAccessError) {
        var offset = 0
        while offset < scratch.count {
            let chunk = try scratch.read(offset: offset, count: min(Self.bufferSize, scratch.count - offset))
            try append(chunk)
            offset += chunk.count
        }
    }

    /// Flushes, syncs and renames the file over the destination.
    /// - Throws: ``FileAccessError`` naming the destination; the destination is then untouched.
    public func commit() throws(FileAccessError) {
        precondition(!committed, "commit twice")
        try flush()
        guard fsync(descriptor) == 0 else { throw FileAccessError(path: path, operation: .sync, errno: errno) }
        _ = fchmod(descriptor, 0o644)
        close(descriptor)
        descriptor = -1
        guard rename(temporary, path) == 0 else { throw FileAccessError(path: path, operation: .rename, errno: errno) }
        committed = true
    }

    private func flush() throws(FileAccessError) {
        let failure = buffer.withUnsafeBytes { writeAll(descriptor, $0) }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw FileAccessError(path: path, operation: .write, errno: failure) }
    }
}

/// A temporary file for data that does not fit the memory budget: appended to, read back by offset,
/// and removed when dropped (it is unlinked at once, so a killed process leaves nothing behind).
public final class ScratchFile {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var flushed = 0
    /// Where it was made.
    public let folder: String
    /// The file whose contents are being staged here, when there is one; errors name it (a full disk
    /// while writing `out.json` says `out.json`, not the folder of an anonymous scratch file).
    public let destination: String?

    /// Bytes appended so far.
    public var count: Int { flushed + buffer.count }

    /// Creates an anonymous file in `folder`.
    /// - Parameters:
    ///   - folder: The folder to hold it (the destination's, so that it is on the same disk).
    ///   - destination: The file this data will end up in, named by errors instead of the folder.
    /// - Throws: ``FileAccessError`` naming `destination` (or else `folder`) when the folder cannot
    ///   hold a file.
    public init(in folder: String, for destination: String? = nil) throws(FileAccessError) {
        self.folder = folder
        self.destination = destination
        var template = Array("\(folder)/.cuboid-scratch-XXXXXX".utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw Self.failure(.createTemporary, errno, folder: folder, destination: destination) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    /// The error for a failed system call: on `destination` when there is one, with the folder of the
    /// scratch file in the reason.
    private static func failure(_ operation: FileAccessError.Operation, _ code: Int32, folder: String, destination: String?) -> FileAccessError {
        guard let destination else { return FileAccessError(path: folder, operation: operation, errno: code) }
        return FileAccessError(path: destination, operation: operation, code: code,
                               reason: String(cString: strerror(code)) + " (its scratch file in \(folder))")
    }

    deinit { close(descriptor) }

    /// Appends bytes.
    /// - Throws: ``FileAccessError`` (a full disk is `ENOSPC`).
    public func append(_ bytes: some Collection<UInt8>) throws(FileAccessError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// `count` bytes from `offset`.
    /// - Precondition: `offset + count <= self.count`.
    public func read(offset: Int, count: Int) throws(FileAccessError) -> [UInt8] {
        precondition(offset >= 0 && count >= 0 && offset + count <= self.count, "read past the end of a scratch file")
        if offset + count > flushed { try flush() }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            while initialized < count {
                let got = pread(descriptor, target.baseAddress! + initialized, count - initialized, off_t(offset + initialized))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { failure = got < 0 ? errno : EIO; break }
                initialized += got
            }
        }
        if failure != 0 { throw Self.failure(.read, failure, folder: folder, destination: destination) }
        return bytes
    }

    private func flush() throws(FileAccessError) {
        let failure = buffer.withUnsafeBytes { writeAll(descriptor, $0) }
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw Self.failure(.write, failure, folder: folder, destination: destination) }
    }
}

/// Writes every byte, retrying short writes and EINTR. Returns 0 or the errno.
func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 {
            if errno == EINTR { continue }
            return errno
        }
        written += result
    }
    return 0
}
