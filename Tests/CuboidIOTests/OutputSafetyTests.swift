import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

@Suite("Paths and path components")
struct PathComponentTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var escaped: String
        var testDescription: String { name.debugDescription }
    }

    static let hostile: [Scenario] = [
        Scenario(name: "000001", escaped: "000001"),
        Scenario(name: "../../../../outside/ESCAPED", escaped: "%2E.%2F..%2F..%2F..%2Foutside%2FESCAPED"),
        Scenario(name: "..", escaped: "%2E."),
        Scenario(name: ".", escaped: "%2E"),
        Scenario(name: "", escaped: "%"),
        Scenario(name: "/etc/passwd", escaped: "%2Fetc%2Fpasswd"),
        Scenario(name: "a\\b", escaped: "a%5Cb"),
        Scenario(name: "line\nbreak\0nul", escaped: "line%0Abreak%00nul"),
        Scenario(name: "50%", escaped: "50%25"),
        Scenario(name: "x%2Fy", escaped: "x%252Fy"),
        Scenario(name: ".x.json.tmp-ABCDEF", escaped: "%2Ex.json.tmp-ABCDEF"),
        Scenario(name: "CAM_FRONT/left", escaped: "CAM_FRONT%2Fleft"),
        Scenario(name: "frame.name-ü", escaped: "frame.name-ü"),
    ]

    @Test("names become one component that stays in its folder, and come back", arguments: hostile)
    func escapeRoundTrip(_ scenario: Scenario) {
        let component = PathComponent.escaped(scenario.name)
        #expect(component == scenario.escaped)
        #expect(!component.contains("/") && !component.isEmpty && component != "." && component != ".." && !component.hasPrefix("."))
        #expect(!component.utf8.contains { $0 < 0x20 })
        #expect(PathComponent.unescaped(component) == scenario.name)
        let file = PathComponent.file(in: "out", name: scenario.name, suffix: ".json")
        #expect(Paths.parent(file) == "out")
    }

    @Test("a component not made by the escape comes back as it is")
    func foreignComponents() {
        for text in ["a%41", "%2", "%zz", "abc%", "x%2Ey"] { #expect(PathComponent.unescaped(text) == text) }
    }

    @Test("parent, last component and stem of one-letter, relative and absolute paths (Foundation traps on some)",
          arguments: [("s", ".", "s", "s"), ("a/b/c.txt", "a/b", "c.txt", "c"), ("/c", "/", "c", "c"), ("a/b/", "a", "b", "b"),
                      ("/", "/", "/", "/"), ("x.pcd.bin", ".", "x.pcd.bin", "x.pcd"), (".hidden", ".", ".hidden", ".hidden"),
                      ("dir//f.json", "dir", "f.json", "f")])
    func pathParts(_ path: String, _ parent: String, _ last: String, _ stem: String) {
        #expect(Paths.parent(path) == parent)
        #expect(Paths.lastComponent(path) == last)
        #expect(Paths.stem(path) == stem)
    }
}

@Suite("Inputs are never overwritten")
struct InputProtectionTests {
    @Test("an output that is an input, by any spelling or link, is refused; a new file passes")
    func sameFile() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/x.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.json", withDestinationPath: input)
        #expect(throws: InputOverwriteError.self) { try InputProtection.check(inputs: [input], outputFiles: [input]) }
        #expect(throws: InputOverwriteError.self) { try InputProtection.check(inputs: [input], outputFiles: [folder + "/./x.json"]) }
        #expect(throws: InputOverwriteError.self) { try InputProtection.check(inputs: [folder + "/link.json"], outputFiles: [input]) }
        // A rename over a link replaces the link, not the file it points to.
        #expect(throws: Never.self) { try InputProtection.check(inputs: [input], outputFiles: [folder + "/link.json"]) }
        #expect(throws: Never.self) { try InputProtection.check(inputs: [input], outputFiles: [folder + "/y.json"]) }
        #expect(throws: Never.self) { try InputProtection.check(inputs: [folder + "/missing.json"], outputFiles: [folder + "/missing.json"]) }
    }

    @Test("an output folder that holds an input, or is one, is refused")
    func folderHoldsInput() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/labels", withIntermediateDirectories: true)
        let input = folder + "/labels/000001.txt"
        try Data("Car 0 0 0 0 0 0 0 1 1 1 0 0 0 0\n".utf8).write(to: URL(fileURLWithPath: input))
        let error = #expect(throws: InputOverwriteError.self) { try InputProtection.check(inputs: [input], outputFolders: [folder + "/labels"]) }
        #expect(error?.isFolder == true && error?.input == input)
        #expect(throws: InputOverwriteError.self) { try InputProtection.check(inputs: [folder + "/labels"], outputFolders: [folder + "/labels/"]) }
        #expect(throws: Never.self) { try InputProtection.check(inputs: [input], outputFolders: [folder + "/labels-out"]) }
        #expect(throws: Never.self) { try InputProtection.check(inputs: [folder + "/labels"], outputFolders: [folder + "/label"]) }
    }
}

@Suite("Output folder lock")
struct OutputLockTests {
    @Test("a second hold on a held folder is refused with the holder's process id; a released folder is taken again")
    func exclusive() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first: OutputLock? = try OutputLock(folder: folder)
        let error = #expect(throws: OutputLockError.self) { try OutputLock(folder: folder) }
        if case .busy(let busyFolder, let holder) = error {
            #expect(busyFolder == folder && holder == getpid())
        } else {
            Issue.record("expected busy, got \(String(describing: error))")
        }
        #expect(first != nil)
        first = nil
        // A finished hold leaves nothing behind, and the folder is free again.
        #expect(!FileManager.default.fileExists(atPath: folder + "/" + OutputLock.fileName))
        #expect(throws: Never.self) { _ = try OutputLock(folder: folder) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("a stale lock file (its process gone) is taken over")
    func staleLock() throws {
        let folder = try scratchFolder("io")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("999999\n".utf8).write(to: URL(fileURLWithPath: folder + "/" + OutputLock.fileName))
        let lock = try OutputLock(folder: folder)
        #expect(lock.folder == folder)
        let recorded = try String(contentsOfFile: folder + "/" + OutputLock.fileName, encoding: .utf8)
        #expect(recorded == "\(getpid())\n")
    }

    @Test("a folder that cannot hold the lock file gives a file error naming it")
    func missingFolder() {
        let error = #expect(throws: OutputLockError.self) { try OutputLock(folder: "/nonexistent-cuboid-folder") }
        #expect(error?.description.contains("/nonexistent-cuboid-folder/.cuboid.lock") == true)
    }
}
