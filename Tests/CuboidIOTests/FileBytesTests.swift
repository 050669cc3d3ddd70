import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

@Suite("File access")
struct FileBytesTests {
    @Test("atomic write creates, replaces, and leaves no temporary file", arguments: [0, 1, 4096, 1_000_003])
    func atomicWrite(size: Int) throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/out.bin"
        let first = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try FileBytes.writeAtomically(first, to: path)
        #expect(try FileBytes.read(path) == first)
        let second = Array(first.reversed()) + [1, 2, 3]
        try FileBytes.writeAtomically(second, to: path)
        #expect(try FileBytes.read(path) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.bin"])
    }

    @Test("a failed write names the file and keeps the old contents")
    func failedWrite() throws {
        #expect(throws: FileAccessError.self) { try FileBytes.writeAtomically([1], to: "/nonexistent-folder/x.bin") }
        do {
            try FileBytes.writeAtomically([1], to: "/nonexistent-folder/x.bin")
        } catch {
            #expect(error.path == "/nonexistent-folder/x.bin")
            #expect(error.operation == .createTemporary)
            #expect(error.description.contains("No such file or directory"))
        }
        // Renaming over a directory fails after the data was written: the directory stays, no temporary is left.
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/taken", withIntermediateDirectories: false)
        #expect(throws: FileAccessError.self) { try FileBytes.writeAtomically([1, 2], to: folder + "/taken") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["taken"])
    }

    @Test("reading errors name the file")
    func readErrors() throws {
        #expect(throws: FileAccessError(path: "/nonexistent/file", operation: .open, code: ENOENT, reason: "No such file or directory")) {
            try FileBytes.read("/nonexistent/file")
        }
        #expect(throws: FileAccessError.self) { try FileBytes.read(NSTemporaryDirectory()) }
    }

    @Test("reads files whose size fstat does not know (/proc)")
    func procFile() throws {
        let bytes = try FileBytes.read("/proc/self/status")
        #expect(String(decoding: bytes, as: UTF8.self).contains("Name:"))
    }
}

@Suite struct StaleTemporaryTests {
    /// Atomic writes' temporaries, and a scratch file whose process died between creating and
    /// unlinking it, go; everything else stays.
    @Test func onlyAtomicWriteTemporariesAreRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-stale-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in [".a.json.tmp-Ab3dE9", "a.json", ".hidden", "b.tmp-123456", ".c.txt.tmp-short", ".cuboid-scratch-x1Y2z3"] {
            try FileBytes.writeAtomically([1], to: folder + "/" + name)
        }
        #expect(FileBytes.removeStaleTemporaries(in: folder) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [".c.txt.tmp-short", ".hidden", "a.json", "b.tmp-123456"])
    }
}

@Suite("Atomic and scratch files")
struct AtomicFileWriterTests {
    /// Pieces of every size (past the 256 KiB buffer, and the contents of a scratch file) arrive in order.
    @Test func piecesArriveWholeOnCommit() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scratch = try ScratchFile(in: folder)
        var expected: [UInt8] = []
        var generator = SeededGenerator(seed: 5)
        let writer = try AtomicFileWriter(path: folder + "/out.bin")
        for k in 0..<40 {
            let piece = (0..<Int(generator.next() % 300_000)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if k % 5 == 4 {
                try scratch.append(piece)
            } else {
                try writer.append(piece)
                expected += piece
            }
        }
        try writer.append("tail")
        expected += Array("tail".utf8)
        try writer.append(contentsOf: scratch)
        expected += try scratch.read(offset: 0, count: scratch.count)
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.bin"))
        try writer.commit()
        #expect(try FileBytes.read(folder + "/out.bin") == expected)
        // The scratch file was never visible in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.bin"])
    }

    /// A writer dropped before commit (an error on the way) leaves the old file and no temporary file.
    @Test func droppedWriterLeavesTheOldFile() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileBytes.writeAtomically(Array("old".utf8), to: folder + "/labels.json")
        do {
            let writer = try AtomicFileWriter(path: folder + "/labels.json")
            try writer.append(Array(repeating: 7, count: 1 << 20))
        }
        #expect(try FileBytes.read(folder + "/labels.json") == Array("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["labels.json"])
        #expect(throws: FileAccessError.self) { try AtomicFileWriter(path: folder + "/missing/labels.json") }
    }
}

/// Reads are bounded before memory is allocated: regular files by their `fstat` size, pipes by the
/// bytes read so far, devices not at all.
@Suite("Read limits")
struct ReadLimitTests {
    /// A 5 GiB sparse file (no disk space used) is refused from its size, before any allocation, with a
    /// typed error that names the file and states its size and the limit.
    @Test func sparseFileAboveTheLimitIsRefusedUnread() throws {
        let folder = try scratchFolder("io-limit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/big.bin"
        try sparseFile(path, size: 5 << 30)
        let expected = FileAccessError.tooLarge(path: path, size: 5 << 30, limit: FileBytes.defaultMaxBytes)
        #expect(throws: expected) { try FileBytes.read(path) }
        #expect(expected.code == EFBIG && expected.size == 5 << 30 && expected.limit == 1 << 31)
        #expect(expected.description == "\(path): cannot read file: 5368709120 bytes, above the limit of 2147483648 bytes")
        // A decoder behind FileBytes.decode is never called.
        #expect(throws: FileAccessError.self) { try FileBytes.decode(path) { (_: [UInt8]) throws(FileAccessError) in Issue.record("decoded") } }
    }

    @Test("the limit is inclusive", arguments: [(size: 100, limit: 100, accepted: true), (size: 101, limit: 100, accepted: false), (size: 0, limit: 0, accepted: true)])
    func limitBoundary(size: Int, limit: Int, accepted: Bool) throws {
        let folder = try scratchFolder("io-limit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = [UInt8](repeating: 9, count: size)
        try FileBytes.writeAtomically(bytes, to: folder + "/f")
        if accepted {
            #expect(try FileBytes.read(folder + "/f", maxBytes: limit) == bytes)
        } else {
            #expect(throws: FileAccessError.tooLarge(path: folder + "/f", size: size, limit: limit)) { try FileBytes.read(folder + "/f", maxBytes: limit) }
        }
    }

    /// `/dev/zero` never ends: refused without reading a byte.
    @Test func devicesAreRefused() throws {
        do {
            _ = try FileBytes.read("/dev/zero")
            Issue.record("/dev/zero was read")
        } catch {
            #expect(error.path == "/dev/zero" && error.code == ENODEV)
            #expect(error.description.contains("character device"))
        }
    }

    /// A pipe (no size) is read in chunks and refused once it passes the limit; under it, it reads whole.
    @Test("pipes are read up to the limit", arguments: [(written: 3000, limit: 5000), (written: 3000, limit: 3000), (written: 3000, limit: 2999)])
    func pipeIsBounded(written: Int, limit: Int) throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let bytes = (0..<written).map { UInt8(truncatingIfNeeded: $0) }
        #expect(bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) } == written)
        close(ends[1])
        defer { close(ends[0]) }
        let path = "/proc/self/fd/\(ends[0])"
        if written <= limit {
            #expect(try FileBytes.read(path, maxBytes: limit) == bytes)
        } else {
            #expect(throws: FileAccessError.tooLarge(path: path, size: nil, limit: limit)) { try FileBytes.read(path, maxBytes: limit) }
        }
    }
}

@Suite("Folder listings and error excerpts")
struct ListingAndExcerptTests {
    /// A name that is not UTF-8 is listed apart, escaped byte by byte; the other names are kept.
    @Test func undecodableNamesAreListedApart() throws {
        let folder = try scratchFolder("io-names")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileBytes.writeAtomically([1], to: folder + "/000000.bin")
        let badName = Array(folder.utf8) + [UInt8(ascii: "/"), 0xFF] + Array("000001.bin".utf8)
        let descriptor = (badName + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        #expect(descriptor >= 0)
        close(descriptor)
        let listing = try FileBytes.listFolder(folder)
        #expect(listing.names == ["000000.bin"])
        #expect(listing.undecodableNames == ["\\xFF000001.bin"])
        #expect(throws: FileAccessError.self) { try FileBytes.listFolder(folder + "/missing") }
    }

    @Test("names escape every byte outside printable ASCII", arguments: [
        (bytes: Array("a b~.bin".utf8), escaped: "a b~.bin"),
        (bytes: [0xFF, 0x41], escaped: "\\xFFA"),
        (bytes: [0x5C, 0x0A, 0xC3, 0xA9], escaped: "\\\\\\x0A\\xC3\\xA9"),
    ])
    func escaping(bytes: [UInt8], escaped: String) {
        #expect(FileBytes.escapedName(bytes) == escaped)
    }

    @Test("error excerpts keep at most 200 bytes and say how long the text was", arguments: [
        (text: "FIELDS x y z", expected: "FIELDS x y z"),
        (text: String(repeating: "x", count: 200), expected: String(repeating: "x", count: 200)),
        (text: String(repeating: "x", count: 6_000_000), expected: String(repeating: "x", count: 200) + "… (6000000 bytes)"),
        // A two-byte character across the cut is left out whole, never split.
        (text: String(repeating: "x", count: 199) + "é" + "yyy", expected: String(repeating: "x", count: 199) + "… (204 bytes)"),
    ])
    func excerpt(text: String, expected: String) {
        #expect(Excerpt.of(text) == expected)
        #expect(Excerpt.of(text[...]) == expected)
    }

    /// A scratch file made for a destination names the destination in its errors, not its folder.
    @Test func scratchFileErrorsNameTheDestination() throws {
        do {
            _ = try ScratchFile(in: "/nonexistent-folder", for: "/nonexistent-folder/out.openlabel.json")
            Issue.record("created a scratch file in a missing folder")
        } catch {
            #expect(error.path == "/nonexistent-folder/out.openlabel.json")
            #expect(error.description.contains("its scratch file in /nonexistent-folder"))
        }
        #expect(throws: FileAccessError(path: "/nonexistent-folder", operation: .createTemporary, code: ENOENT, reason: "No such file or directory")) {
            try ScratchFile(in: "/nonexistent-folder")
        }
    }
}

