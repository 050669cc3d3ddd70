#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive hold on an output folder for the life of one run, so two runs never write (or clean
/// up temporary files) in the same folder at once.
///
/// The hold is an advisory `flock` on `FOLDER/.cuboid.lock`, which records the holder's process id
/// for the message a second run prints. The file is removed when the hold ends, so a finished run
/// leaves nothing behind. The kernel releases the lock when its process ends, however it ends, so a
/// file left by a run killed with `kill -9` is simply taken over by the next run. A run that opened
/// the file just before its holder removed it sees, once it has the lock, that the path no longer
/// names its file, and starts again on the new one.
public final class OutputLock {
    /// The folder held.
    public let folder: String
    private let path: String
    private var descriptor: Int32 = -1

    /// The lock file's name inside the folder.
    public static let fileName = ".cuboid.lock"

    /// Takes the folder (which must exist), or refuses at once when another process holds it.
    /// - Throws: ``OutputLockError/busy(folder:holder:)`` when another run holds the folder;
    ///   ``OutputLockError/file(_:)`` when the lock file cannot be created (a read-only folder).
    public init(folder: String) throws(OutputLockError) {
        self.folder = folder
        path = folder + "/" + Self.fileName
        for _ in 0..<100 {
            let candidate = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard candidate >= 0 else { throw .file(FileAccessError(path: path, operation: .open, errno: errno)) }
            var result: Int32
            repeat { result = flock(candidate, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            if result != 0 {
                let code = errno
                var bytes = [UInt8](repeating: 0, count: 32)
                let count = bytes.withUnsafeMutableBytes { pread(candidate, $0.baseAddress!, 31, 0) }
                let holder = count > 0 ? Int32(String(decoding: bytes[..<count], as: UTF8.self).trimmingNewline()) : nil
                close(candidate)
                if code == EWOULDBLOCK { throw .busy(folder: folder, holder: holder) }
                throw .file(FileAccessError(path: path, operation: .open, errno: code))
            }
            // The holder before us may have removed the file between our open and our lock.
            var held = stat(), named = stat()
            guard fstat(candidate, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
                close(candidate)
                continue
            }
            descriptor = candidate
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(descriptor, 0)
            _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, $0.count, 0) }
            return
        }
        throw .busy(folder: folder, holder: nil)
    }

    deinit {
        // Removed while still held, so no other run can take the old file after us.
        unlink(path)
        close(descriptor)
    }
}

/// Why an output folder could not be held.
public enum OutputLockError: Error, Sendable, CustomStringConvertible {
    /// Another process holds the folder (its id, when it wrote one).
    case busy(folder: String, holder: Int32?)
    /// The lock file could not be made.
    case file(FileAccessError)

    public var description: String {
        switch self {
        case .busy(let folder, let holder):
            "\(folder): another cuboid run (\(holder.map { "process \($0)" } ?? "another process")) is writing to this folder; "
                + "wait for it to finish or choose another output folder"
        case .file(let error): error.description
        }
    }
}

extension String {
    fileprivate func trimmingNewline() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " || last == "\0" { text = text.dropLast() }
        return String(text)
    }
}
