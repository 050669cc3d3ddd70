import ArgumentParser
import Logging
import Cuboid
import Foundation

@main
struct CuboidCommand: ParsableCommand {
    static func main() {
        tuneAllocator()
        let parsed: ParsableCommand
        do { parsed = try parseAsRoot() } catch { exit(reporting: error, from: nil) }
        var command = parsed
        do { try command.run() } catch { exit(reporting: error, from: type(of: parsed)) }
    }

    /// Prints `error` the one way every subcommand does (`error: MESSAGE` on standard error, help on
    /// standard output) and exits with its code. An argument found invalid while `subcommand` runs
    /// prints that subcommand's usage, not the top level's, and exits with 64.
    static func exit(reporting error: any Error, from subcommand: ParsableCommand.Type?) -> Never {
        let code = exitCode(for: error)
        if let subcommand, subcommand != Self.self, let invalid = error as? ValidationError {
            let usage = usageString(for: subcommand)
            // The usage starts with the command's path ("cuboid interpolate evaluate"), then its arguments.
            let path = usage.split(separator: " ").prefix { !["<", "[", "-"].contains($0.first) }.joined(separator: " ")
            printError("\(invalid.message)\nUsage: \(usage)\n  See '\(path) --help' for more information.")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        var message = fullMessage(for: error)
        if code.isSuccess {
            if !message.isEmpty { print(message) }
            Foundation.exit(code.rawValue)
        }
        // swift-argument-parser spells its own errors "Error: "; ours are "error: ".
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        if !message.isEmpty { printError(message) }
        Foundation.exit(code.rawValue)
    }

    static let configuration = CommandConfiguration(
        commandName: "cuboid",
        abstract: "Lidar and camera-frame annotation toolkit: pre-label, interpolate and score 3D boxes; estimate ego poses; inspect, check and convert sensor data and labels.",
        discussion: """
            Exit codes: 0 success; 1 an input could not be read, decoded or written (each failure is \
            printed with its file and byte offset or line); 2 `labels check` found problems; 3 a tasker \
            below `qa --fail-under`; 4 a run with `--on-error skip` finished but left out unreadable sweeps \
            (listed on standard error and in a CSV file; everything else was written); 64 invalid arguments.
            """,
        version: CuboidVersion.current,
        subcommands: [Demo.self, Prelabel.self, Interpolate.self, Odometry.self, QA.self, Synth.self, Inspect.self, Convert.self, Labels.self, Project.self, IoUCommand.self, AssignCommand.self, Bench.self])
}

/// Every diagnostic that is not a command's own output (errors, warnings, notes), on standard error,
/// set up once per process.
enum Log {
    static let shared: Logger = {
        LoggingSystem.bootstrap { _ in DiagnosticLogHandler() }
        var logger = Logger(label: "cuboid")
        logger.logLevel = .info
        return logger
    }()
}

/// Writes a log message as one compiler-style line on standard error: `error: MESSAGE`,
/// `warning: MESSAGE`, `note: MESSAGE` (notice and info), no time stamp or label, so a diagnostic
/// reads the same whichever part of the tool raised it.
struct DiagnosticLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = switch event.level {
        case .critical, .error: "error"
        case .warning: "warning"
        case .notice, .info: "note"
        case .debug, .trace: "debug"
        }
        FileHandle.standardError.write(Data("\(prefix): \(event.message)\n".utf8))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Keeps per-frame buffers (a 2 MB sweep, a 6 MB frame) in the heap between frames.
///
/// glibc serves a request at or above its mmap threshold with a fresh mapping, so a buffer of the
/// same size each frame is mapped anew and every page faults in again (measured: 0.9 ms of a 1.1 ms
/// PCD read). The tool is the process owner, so it sets the allocator here; the library leaves
/// allocation to its host.
func tuneAllocator() {
    #if canImport(Glibc)
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    // No fresh mappings at all (M_MMAP_MAX = 0): large blocks come from the heap and are reused, so
    // a 128 MB IoU matrix computed again does not fault in 32,768 pages again (measured: 60 % of
    // a 4000 x 4000 2D IoU call went to page faults).
    _ = mallopt(-4, 0)  // M_MMAP_MAX
    _ = mallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
    #endif
}

/// Opens a sequence folder and warns about each file left out because its name is not UTF-8
/// (`SensorSequence.skippedFiles`), so a skipped frame is never silent.
func openSequence(_ path: String) throws -> SensorSequence {
    let sequence = try SensorSequence.open(path)
    for file in sequence.skippedFiles { Log.shared.warning("\(file): file name is not UTF-8; left out of the sequence (rename it to read it)") }
    return sequence
}
