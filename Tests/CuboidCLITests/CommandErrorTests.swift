import CuboidTestSupport
import Foundation
import Testing

/// One way of failing across subcommands: `error: ` on standard error, the failing subcommand's own
/// usage for an invalid argument, exit code 64 for arguments and 1 for inputs (the README's table).
struct CommandErrorScenario: CustomTestStringConvertible, Sendable {
    var name: String
    var arguments: [String]
    var status: Int32
    /// Text the error must hold (the offending value, the valid ones, the subcommand's usage).
    var mentions: [String]

    var testDescription: String { name }

    static let all: [CommandErrorScenario] = [
        .init(name: "prelabel --threads 0, found while running", arguments: ["prelabel", "SampleData/sequence", "--threads", "0", "--out", "OUT"],
              status: 64, mentions: ["--threads must be at least 1", "Usage: cuboid prelabel", "See 'cuboid prelabel --help'"]),
        .init(name: "prelabel --to kittii lists the valid formats", arguments: ["prelabel", "SampleData/sequence", "--to", "kittii", "--out", "OUT"],
              status: 64, mentions: ["'kittii'", "known: ", "openlabel", "kitti", "Usage: cuboid prelabel"]),
        .init(name: "prelabel --shard 3/2", arguments: ["prelabel", "SampleData/sequence", "--shard", "3/2", "--out", "OUT"],
              status: 64, mentions: ["--shard", "Usage: cuboid prelabel"]),
        .init(name: "an unknown option, found while parsing", arguments: ["prelabel", "--bogus"],
              status: 64, mentions: ["--bogus", "Usage: cuboid prelabel"]),
        .init(name: "interpolate evaluate --every 0", arguments: ["interpolate", "evaluate", "SampleData/sequence", "--every", "0"],
              status: 64, mentions: ["Usage: cuboid interpolate evaluate", "See 'cuboid interpolate evaluate --help'"]),
        .init(name: "convert to an unknown extension is an argument error, before IN is read", arguments: ["convert", "missing.bin", "OUT/x.xyz"],
              status: 64, mentions: ["x.xyz", "--to", "Usage: cuboid convert"]),
        .init(name: "a missing sequence names its path once", arguments: ["prelabel", "/nope-cuboid-missing", "--out", "OUT"],
              status: 1, mentions: ["/nope-cuboid-missing"]),
    ]
}

@Suite("command errors and help")
struct CommandErrorTests {
    @Test(arguments: CommandErrorScenario.all)
    func errorPath(_ scenario: CommandErrorScenario) throws {
        let out = try scratchFolder("cuboid-errors")
        let result = try runCuboid(scenario.arguments.map { $0.replacingOccurrences(of: "OUT", with: out) })
        #expect(result.status == scenario.status, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(!result.stderr.contains("Error: "))
        #expect(!result.stderr.contains("cuboid <subcommand>"), "the top level's usage instead of the subcommand's: \(result.stderr)")
        for text in scenario.mentions { #expect(result.stderr.contains(text), "\(text) missing from: \(result.stderr)") }
        if scenario.status == 1 {
            let path = scenario.mentions[0]
            #expect(result.stderr.components(separatedBy: path).count == 2, "the path printed more than once: \(result.stderr)")
        }
        #expect(result.stdout.isEmpty)
    }

    static let subcommands: [[String]] = [
        ["demo"], ["prelabel"], ["interpolate"], ["interpolate", "evaluate"], ["interpolate", "suggest"], ["odometry"], ["qa"], ["synth"],
        ["inspect"], ["convert"], ["labels", "convert"], ["labels", "check"], ["project"], ["iou"], ["assign"], ["bench", "prelabel"],
    ]

    @Test("every subcommand's --help: exit 0, its own usage on standard output, one default per option", arguments: subcommands)
    func help(_ path: [String]) throws {
        let result = try runCuboid(path + ["--help"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.contains("USAGE: cuboid \(path.joined(separator: " "))"), "\(result.stdout.prefix(300))")
        // "(default: all cores) ... (default: 2)": a default stated in words must not also be printed as this machine's value.
        for line in result.stdout.split(separator: "\n") where line.contains("--threads") {
            #expect(line.components(separatedBy: "(default:").count <= 2, "\(line)")
        }
    }

    @Test("the top-level help lists every exit code")
    func topLevelExitCodes() throws {
        let result = try runCuboid(["--help"])
        #expect(result.status == 0)
        for code in ["0 success", "1 an input", "2 `labels check`", "3 a tasker", "64 invalid arguments"] {
            #expect(result.stdout.contains(code), "\(code)")
        }
    }
}

@Suite("one flag vocabulary")
struct FlagVocabularyTests {
    @Test("an earlier spelling is still read, with a warning naming the new one; both at once is refused")
    func earlierSpelling() throws {
        let out = try scratchFolder("cuboid-vocabulary")
        let earlier = try runCuboid(["inspect", "--format", "kitti-bin", "SampleData/sequence/velodyne_points/data/0000000000.bin"])
        #expect(earlier.status == 0, "\(earlier.stderr)")
        #expect(earlier.stderr.contains("warning: --format is deprecated here; use --from"))
        let current = try runCuboid(["inspect", "--from", "kitti-bin", "SampleData/sequence/velodyne_points/data/0000000000.bin"])
        #expect(current.status == 0 && current.stderr.isEmpty && current.stdout == earlier.stdout)
        let both = try runCuboid(["prelabel", "SampleData/sequence", "--to", "kitti", "--format", "kitti", "--out", out])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give --to only"))
    }

    @Test("an input's format is detected from its content when not given")
    func detectedInputFormat() throws {
        let out = try scratchFolder("cuboid-vocabulary")
        let gold = "SampleData/sequence/gold.openlabel.json"
        let converted = try runCuboid(["labels", "convert", gold, out + "/back.json", "--to", "openlabel"])
        let named = try runCuboid(["labels", "convert", gold, out + "/named.json", "--from", "openlabel", "--to", "openlabel"])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/back.json")) == Data(contentsOf: URL(fileURLWithPath: out + "/named.json")))
        let checked = try runCuboid(["labels", "check", "--labels", gold])
        #expect(checked.status != 1 && checked.status != 64, "\(checked.stderr)")
        let unknown = try runCuboid(["labels", "convert", "SampleData/frame.png", out + "/x.json"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("give --from"))
    }
}
