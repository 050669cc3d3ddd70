import CuboidIO
import CuboidKernels
import Foundation

/// The real public driving data beside the project (`../shared/data`), which tests read when it
/// exists and skip otherwise, so a fresh clone still passes.
public enum SharedData {
    /// The project root (the folder holding Package.swift).
    public static let projectRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// `../shared/data` from the project root, or `CUBOID_SHARED_DATA` when set.
    public static let root: String = {
        if let override = ProcessInfo.processInfo.environment["CUBOID_SHARED_DATA"] { return override }
        return URL(fileURLWithPath: projectRoot).deletingLastPathComponent().appendingPathComponent("shared/data").standardized.path
    }()

    /// Whether the shared data folder is present.
    public static let isAvailable: Bool = FileManager.default.fileExists(atPath: root + "/README.md")

    /// Absolute path of a file under the shared data folder.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The bytes of a shared data file (traps if missing: call only from tests enabled by ``isAvailable``).
    public static func bytes(_ relative: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { fatalError("missing \(relative)") }
        return [UInt8](data)
    }

    /// Files below a folder of the shared data whose names end with one of `suffixes`, sorted.
    public static func files(under folder: String, suffixes: [String]) -> [String] {
        guard isAvailable, let enumerator = FileManager.default.enumerator(atPath: path(folder)) else { return [] }
        var result: [String] = []
        while let next = enumerator.nextObject() as? String {
            if suffixes.contains(where: next.lowercased().hasSuffix) { result.append(folder + "/" + next) }
        }
        return result.sorted()
    }

    /// The bundled SampleData folder.
    public static let sampleData: String = projectRoot + "/SampleData"
}

/// The seeded generator every randomised test uses, so each run repeats.
public typealias SeededGenerator = SplitMix64

/// Ways to damage a real file for the bad-input tests.
public enum Corruption {
    /// Prefixes of `bytes` cut at several points: inside the header, at its end, inside the data, one byte short.
    public static func truncations(_ bytes: [UInt8], headerLength: Int) -> [[UInt8]] {
        let cuts = Set([0, 1, min(headerLength / 2, bytes.count - 1), max(0, headerLength - 1), headerLength,
                        headerLength + (bytes.count - headerLength) / 2, bytes.count - 1].filter { $0 >= 0 && $0 < bytes.count })
        return cuts.sorted().map { Array(bytes[0..<$0]) }
    }

    /// Copies of `bytes` with `count` random bytes overwritten, each copy from its own seed.
    public static func randomOverwrites(_ bytes: [UInt8], copies: Int, count: Int, range: Range<Int>? = nil, seed: UInt64) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        let range = range ?? 0..<bytes.count
        return (0..<copies).map { _ in
            var copy = bytes
            for _ in 0..<count { copy[Int.random(in: range, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            return copy
        }
    }

    /// `bytes` with the first occurrence of `target` (ASCII) replaced by `replacement`.
    public static func replacing(_ target: String, with replacement: String, in bytes: [UInt8]) -> [UInt8] {
        let needle = Array(target.utf8)
        guard let start = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle }) else {
            fatalError("'\(target)' not found")
        }
        return Array(bytes[0..<start]) + Array(replacement.utf8) + Array(bytes[(start + needle.count)...])
    }

    /// Offset just past the first line equal to or starting with `prefix` (the end of a text header).
    public static func offset(afterLineStarting prefix: String, in bytes: [UInt8]) -> Int {
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            if String(decoding: bytes[start..<index], as: UTF8.self).hasPrefix(prefix) { return index + 1 }
            start = index + 1
        }
        fatalError("no line starting with \(prefix)")
    }
}

/// Finds the built `cuboid` executable next to the test bundle, for end-to-end tests.
public enum BuiltProducts {
    public static var folder: URL {
        // The test bundle lives in .build/<config>/; so does the executable.
        let bundle = Bundle.main.bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }

    public static var cuboid: URL { folder.appendingPathComponent("cuboid") }
}

/// Every regular file below a folder, by relative path, with its bytes: to compare the outputs of two runs.
/// A new empty folder under the temporary directory, named `cuboid-PREFIX-UUID`.
public func scratchFolder(_ prefix: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

public func filesBelow(_ folder: String) throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder)
    while let name = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[name] = try FileBytes.read(folder + "/" + name)
        }
    }
    return files
}

/// Creates a sparse file of `size` bytes with `ftruncate` (it takes no disk space): a huge input for
/// the read-limit tests.
public func sparseFile(_ path: String, size: Int) throws {
    let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw FileAccessError(path: path, operation: .open, code: errno, reason: "open") }
    defer { close(descriptor) }
    guard ftruncate(descriptor, off_t(size)) == 0 else { throw FileAccessError(path: path, operation: .write, code: errno, reason: "ftruncate") }
}
