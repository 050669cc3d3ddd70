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
    ] + everySubcommand

    /// Per subcommand, an argument it refuses (64, its usage) and an input it cannot read (1, the path).
    static let everySubcommand: [CommandErrorScenario] = [
        .init(name: "demo: --sample-data not a folder", arguments: ["demo", "--sample-data", "/nope-cuboid-missing"],
              status: 64, mentions: ["/nope-cuboid-missing", "Usage: cuboid demo"]),
        .init(name: "interpolate run: unknown method", arguments: ["interpolate", "run", "SampleData/sequence/gold.openlabel.json", "--out", "OUT/x.json", "--method", "bogus"],
              status: 64, mentions: ["'bogus'", "world-smooth", "Usage: cuboid interpolate run"]),
        .init(name: "interpolate run: missing keyframes", arguments: ["interpolate", "run", "/nope-cuboid-missing.json", "--out", "OUT/x.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json", "No such file"]),
        .init(name: "interpolate evaluate: missing gold", arguments: ["interpolate", "evaluate", "/nope-cuboid-missing.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "interpolate suggest: missing labels", arguments: ["interpolate", "suggest", "/nope-cuboid-missing.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "odometry: --threads 0", arguments: ["odometry", "SampleData/sequence", "--threads", "0"],
              status: 64, mentions: ["--threads must be at least 1", "Usage: cuboid odometry"]),
        .init(name: "odometry: missing sequence", arguments: ["odometry", "/nope-cuboid-missing"],
              status: 1, mentions: ["/nope-cuboid-missing"]),
        .init(name: "qa: one --labels without gold", arguments: ["qa", "--labels", "SampleData/sequence/gold.openlabel.json", "--out", "OUT"],
              status: 64, mentions: ["two --labels", "Usage: cuboid qa run"]),
        .init(name: "qa: missing gold", arguments: ["qa", "--gold", "/nope-cuboid-missing", "--labels", "SampleData/sequence/gold.openlabel.json", "--out", "OUT"],
              status: 1, mentions: ["/nope-cuboid-missing"]),
        .init(name: "qa merge: missing shard", arguments: ["qa", "merge", "/nope-cuboid-missing", "--out", "OUT"],
              status: 1, mentions: ["/nope-cuboid-missing"]),
        .init(name: "qa history: no --history", arguments: ["qa", "history"],
              status: 64, mentions: ["--history", "Usage: cuboid qa history"]),
        .init(name: "qa config: unknown option", arguments: ["qa", "config", "--bogus"],
              status: 64, mentions: ["--bogus", "Usage: cuboid qa config"]),
        .init(name: "synth: --frames 0", arguments: ["synth", "OUT/s", "--frames", "0"],
              status: 64, mentions: ["--frames must be at least 1", "Usage: cuboid synth"]),
        .init(name: "synth: missing scene", arguments: ["synth", "OUT/s", "--scene", "/nope-cuboid-missing.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "inspect: missing file", arguments: ["inspect", "/nope-cuboid-missing.bin"],
              status: 1, mentions: ["/nope-cuboid-missing.bin"]),
        .init(name: "convert: missing file", arguments: ["convert", "/nope-cuboid-missing.bin", "OUT/x.pcd"],
              status: 1, mentions: ["/nope-cuboid-missing.bin"]),
        .init(name: "labels convert: missing file", arguments: ["labels", "convert", "/nope-cuboid-missing.json", "OUT/x.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "labels check: nothing to check", arguments: ["labels", "check"],
              status: 64, mentions: ["give --labels, --sequence, or both", "Usage: cuboid labels check"]),
        .init(name: "labels check: missing labels", arguments: ["labels", "check", "--labels", "/nope-cuboid-missing.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "project: missing calibration", arguments: ["project", "SampleData/sequence/gold.openlabel.json", "--calib", "/nope-cuboid-missing.txt"],
              status: 1, mentions: ["/nope-cuboid-missing.txt"]),
        .init(name: "iou: unknown kind", arguments: ["iou", "a.csv", "b.csv", "--kind", "bogus"],
              status: 64, mentions: ["'bogus'", "Usage: cuboid iou"]),
        .init(name: "iou: missing table", arguments: ["iou", "/nope-cuboid-missing.csv", "/nope-b.csv", "--kind", "bev"],
              status: 1, mentions: ["/nope-cuboid-missing.csv"]),
        .init(name: "assign: missing matrix", arguments: ["assign", "/nope-cuboid-missing.csv"],
              status: 1, mentions: ["/nope-cuboid-missing.csv"]),
        .init(name: "bench decode: missing file", arguments: ["bench", "decode", "/nope-cuboid-missing.bin"],
              status: 1, mentions: ["/nope-cuboid-missing.bin"]),
        .init(name: "bench iou: no --kind", arguments: ["bench", "iou", "a.csv", "b.csv"],
              status: 64, mentions: ["--kind", "Usage: cuboid bench iou"]),
        .init(name: "bench interp: --threads 0", arguments: ["bench", "interp", "--threads", "0"],
              status: 64, mentions: ["--threads must be at least 1", "Usage: cuboid bench interp"]),
        .init(name: "bench synth: missing scene", arguments: ["bench", "synth", "--scene", "/nope-cuboid-missing.json"],
              status: 1, mentions: ["/nope-cuboid-missing.json"]),
        .init(name: "bench prelabel: missing sweep", arguments: ["bench", "prelabel", "/nope-cuboid-missing.bin"],
              status: 1, mentions: ["/nope-cuboid-missing.bin"]),
        .init(name: "bench qa: unknown match", arguments: ["bench", "qa", "--match", "bogus"],
              status: 64, mentions: ["'bogus'", "Usage: cuboid bench qa"]),
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
        for code in ["0 success", "1 an input", "2 `labels check`", "3 a tasker", "4 a run with", "64 invalid arguments"] {
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
