#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The check that keeps a run from replacing its own inputs: inputs are never modified.
///
/// Files are compared by identity (device and inode), not by spelling, so `./x.json`, `x.json` and
/// a symbolic link to it are the same input. An output file replaces an input when its directory
/// entry (not followed, since a rename replaces a link, not its target) is the input's file. An
/// output folder, whose files the run names itself (per-frame labels, a cache, previews), rewrites
/// an input that lies inside it, or that is the folder itself.
public enum InputProtection {
    /// Throws when writing `outputFiles` or into `outputFolders` would replace or rewrite one of
    /// `inputs` (files or folders). Paths that do not exist yet cannot be inputs and pass.
    /// - Throws: ``InputOverwriteError`` naming the input and the output.
    public static func check(inputs: [String], outputFiles: [String] = [], outputFolders: [String] = []) throws(InputOverwriteError) {
        let identified = inputs.compactMap { path in identity(path, follow: true).map { (path, $0) } }
        guard !identified.isEmpty else { return }
        for output in outputFiles {
            guard let target = identity(output, follow: false) else { continue }
            if let input = identified.first(where: { $0.1 == target }) {
                throw InputOverwriteError(input: input.0, output: output, isFolder: false)
            }
        }
        for folder in outputFolders {
            guard let resolvedFolder = resolved(folder) else { continue }
            for (input, _) in identified {
                guard let resolvedInput = resolved(input) else { continue }
                if resolvedInput == resolvedFolder || resolvedInput.hasPrefix(resolvedFolder == "/" ? "/" : resolvedFolder + "/") {
                    throw InputOverwriteError(input: input, output: folder, isFolder: true)
                }
            }
        }
    }

    private struct Identity: Equatable { var device: UInt64, inode: UInt64 }

    private static func identity(_ path: String, follow: Bool) -> Identity? {
        var status = stat()
        guard (follow ? stat(path, &status) : lstat(path, &status)) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// An output that would replace or rewrite an input. The command line refuses it as an invalid
/// argument (exit code 64), before anything is written.
public struct InputOverwriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input that would be lost.
    public var input: String
    /// The output file or folder that would replace or hold it.
    public var output: String
    /// Whether `output` is a folder the run writes into.
    public var isFolder: Bool

    public init(input: String, output: String, isFolder: Bool) {
        self.input = input
        self.output = output
        self.isFolder = isFolder
    }

    public var description: String {
        isFolder
            ? "\(input): the output folder \(output) holds this input, whose files the run would write over; choose another output folder"
            : "\(input): the output \(output) is this input and would replace it; inputs are never modified, choose another output"
    }
}
