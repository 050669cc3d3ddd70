import ArgumentParser
import Cuboid
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Cuboid on the bundled SampleData (for now: decode and describe every file).")

    @Option(help: "The SampleData folder (default: ./SampleData, else the one in the source checkout).")
    var sampleData: String?

    func run() throws {
        let folder = try locateSampleData()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        var failures = 0
        var decoded = 0
        print("SampleData: \(folder)")
        for name in names {
            let path = folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let lower = name.lowercased()
            guard [".bin", ".pcd", ".ply", ".png", ".jpg", ".jpeg"].contains(where: lower.hasSuffix) else { continue }
            do {
                print(try FileReport.make(path: path, format: nil).text())
                decoded += 1
            } catch {
                failures += 1
                reportError(error, path: path)
            }
        }
        print("decoded \(decoded) files, \(failures) failed")
        if failures > 0 || decoded == 0 { throw ExitCode(1) }
    }

    private func locateSampleData() throws -> String {
        if let sampleData { return sampleData }
        let candidates = [
            FileManager.default.currentDirectoryPath + "/SampleData",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("SampleData").path,
        ]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate) { return candidate }
        throw ValidationError("no SampleData folder found; pass --sample-data DIR")
    }
}
