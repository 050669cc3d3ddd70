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
