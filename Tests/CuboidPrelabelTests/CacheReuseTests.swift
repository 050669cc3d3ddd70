import CuboidDatasets
import CuboidFormats
import CuboidIO
@testable import CuboidPrelabel
import CuboidTestSupport
import Foundation
import Testing

/// One way an output folder comes to be reused with other inputs than those that filled its cache.
struct CacheReuseScenario: Sendable, CustomTestStringConvertible {
    let name: String
    /// The input the reused cache must be found to differ in.
    let reason: CacheMismatch
    /// Frames whose cache must be re-detected (the others are still served from it).
    let redetected: Int
    /// Changes the sequence's files (a copy) and the options after the first run.
    let change: @Sendable (_ sequence: String, _ options: inout PrelabelOptions) throws -> Void

    var testDescription: String { name }

    static let sweeps = "/velodyne_points/data/"
    static let all: [CacheReuseScenario] = [
        CacheReuseScenario(name: "another sequence in the same output folder (the same frame names, other sweeps)", reason: .sweep, redetected: 3) { sequence, _ in
            // Frame k gets the sweep of frame k + 1: every frame name now holds another sweep.
            let names = try FileManager.default.contentsOfDirectory(atPath: sequence + sweeps).sorted()
            let bytes = try names.map { try FileBytes.read(sequence + sweeps + $0) }
            for (k, name) in names.enumerated() { try FileBytes.writeAtomically(bytes[(k + 1) % names.count], to: sequence + sweeps + name) }
        },
        CacheReuseScenario(name: "another configuration (clustering.minimumPoints 40)", reason: .configuration, redetected: 3) { _, options in
            options.configuration.clustering.minimumPoints = 40
        },
        CacheReuseScenario(name: "a changed sweep (frame 1 loses its last 5000 returns; same name, same folder)", reason: .sweep, redetected: 1) { sequence, _ in
            let path = sequence + sweeps + "0000000001.bin"
            let bytes = try FileBytes.read(path)
            try FileBytes.writeAtomically(Array(bytes.dropLast(5000 * 16)), to: path)
        },
        CacheReuseScenario(name: "other external detections (frame 0's boxes dropped)", reason: .externalDetections, redetected: 1) { _, options in
            options.externalDetections!.frames[0].objects = []
        },
    ]
}

@Suite struct CacheReuseTests {
    /// A folder filled by one run and reused with other inputs ends with the same bytes (the cache
    /// aside) as a fresh run on those inputs, and the run says which frames it detected again.
    @Test(arguments: CacheReuseScenario.all)
    func reusedFolderMatchesFreshRun(_ scenario: CacheReuseScenario) throws {
        let root = try scratchFolder("prelabel-reuse")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let copy = root + "/sequence", reused = root + "/reused", fresh = root + "/fresh"
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: copy)
        var options = PrelabelOptions()
        options.formats = [.openLABEL, .kitti]
        options.threads = 1
        // The gold boxes stand in for another model's output; joined with the lidar detector's.
        options.externalDetections = try LabelStore.read(copy + "/gold.openlabel.json", format: .openLABEL)
        let first = try PrelabelRunner.run(try SensorSequence.open(copy), output: reused, options: options)
        #expect(first.redetectedFrames == 0 && first.resumedFrames == 0)

        try scenario.change(copy, &options)
        let sequence = try SensorSequence.open(copy)
        let again = try PrelabelRunner.run(sequence, output: reused, options: options)
        #expect(again.redetectedFrames == scenario.redetected)
        #expect(again.resumedFrames == sequence.count - scenario.redetected)
        #expect(again.redetectionReasons[scenario.reason] == scenario.redetected, "\(again.redetectionReasons)")
        let clean = try PrelabelRunner.run(sequence, output: fresh, options: options)
        #expect(again.boxes == clean.boxes && again.tracks == clean.tracks)

        let a = try filesBelow(reused).filter { !$0.key.hasPrefix("cache/") }, b = try filesBelow(fresh).filter { !$0.key.hasPrefix("cache/") }
        #expect(a.keys.sorted() == b.keys.sorted())
        for name in a.keys.sorted() where a[name] != b[name] { Issue.record("\(name) differs from a fresh run's") }
        // A third run on the same inputs is served whole from the cache and changes nothing.
        let third = try PrelabelRunner.run(sequence, output: reused, options: options)
        #expect(third.resumedFrames == sequence.count && third.redetectedFrames == 0)
        #expect(try filesBelow(reused).filter { !$0.key.hasPrefix("cache/") } == b)
    }

    /// Pictures of frames the sequence does not have (an earlier run's, in the same folder) are removed.
    @Test func picturesOfOtherFramesAreRemoved() throws {
        let root = try scratchFolder("prelabel-reuse")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        try FileManager.default.createDirectory(atPath: out + "/preview", withIntermediateDirectories: true)
        try FileBytes.writeAtomically([1, 2, 3], to: out + "/preview/other-bev.png")
        try FileBytes.writeAtomically([1, 2, 3], to: out + "/preview/notes.txt")
        var options = PrelabelOptions()
        options.threads = 1
        _ = try PrelabelRunner.run(try SensorSequence.open(SharedData.sampleData + "/sequence"), output: out, options: options)
        let pictures = try FileManager.default.contentsOfDirectory(atPath: out + "/preview").sorted()
        #expect(!pictures.contains("other-bev.png") && pictures.contains("notes.txt"))
        // 3 frames' bird's-eye and camera pictures, and the contact sheet.
        #expect(pictures.filter { $0.hasSuffix(".png") }.count == 7 && pictures.contains("contact_sheet.png"))
    }

    /// The cache key's fields each tell their input apart, and nothing else.
    @Test func keyNamesEveryDifference() {
        let key = DetectionCacheKey(tool: "1", sweep: "a.bin 16 digest64 00", configuration: "digest64 01", external: "none")
        var other = key
        #expect(key.mismatches(other).isEmpty)
        other.sweep = "a.bin 16 digest64 02"
        other.tool = "2"
        #expect(key.mismatches(other) == [.tool, .sweep])
        var configuration = PrelabelConfiguration()
        let defaults = DetectionCacheKey.configuration(configuration)
        configuration.clustering.minimumPoints += 1
        #expect(DetectionCacheKey.configuration(configuration) != defaults)
        #expect(DetectionCacheKey.configuration(PrelabelConfiguration()) == defaults)
        #expect(DetectionCacheKey.sweep(name: "a.bin", bytes: [0, 0, 0, 1]) != DetectionCacheKey.sweep(name: "a.bin", bytes: [0, 0, 1, 0]))
    }
}
