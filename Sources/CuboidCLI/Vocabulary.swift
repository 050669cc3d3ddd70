import ArgumentParser
import Cuboid
import Foundation

// One flag vocabulary across subcommands: the format of the main input is `--from`, of another input
// `--NAME-format` (`--gold-format`, `--labels-format`, `--detections-format`), of an output `--to`;
// an input's format defaults to what its content says (`LabelFormat.detect`), an output's to
// OpenLABEL; an output path is `--out` / `-o`.

/// Refuses an option given under both its spelling and its earlier one, and warns when only the
/// earlier one is given (it is still read: scripts written for it keep working).
func checkRenamed(_ newValue: Any?, _ newName: String, earlier oldValue: Any?, _ oldName: String) throws {
    guard oldValue != nil else { return }
    if newValue != nil { throw ValidationError("give \(newName) only (\(oldName) is its earlier spelling)") }
    printWarning("\(oldName) is deprecated here; use \(newName) (same values)")
}

/// The format to read the labels at `path` in: `given`, else detected from the file or folder.
func labelInputFormat(_ path: String, given: LabelFormat?, option: String) throws -> LabelFormat {
    if let given { return given }
    try requireInput(path)
    guard let detected = LabelFormat.detect(path) else {
        throw ValidationError("cannot tell the format of \(path) from its content: give \(option) (\(LabelFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return detected
}

/// Stops with the reader's own error (exit code 1) when an input path does not exist, before its
/// format or layout is guessed from nothing.
func requireInput(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
        throw FileAccessError(path: path, operation: .open, code: ENOENT, reason: "No such file or directory")
    }
}

/// `warning: MESSAGE` on standard error.
func printWarning(_ message: String) {
    Log.shared.warning("\(message)")
}

extension SweepErrorPolicy: ExpressibleByArgument {}

/// `--on-error stop|skip`: what an unreadable sweep does, for every subcommand that reads a
/// sequence's sweeps in turn (`prelabel`, `odometry`).
struct SweepErrorOptions: ParsableArguments {
    @Option(name: .customLong("on-error"), help: ArgumentHelp(
        "What a sweep that cannot be read (missing or unreadable file, truncated .bin, bad PCD header) does: stop (the run stops with an error naming the file and byte offset, exit 1) or skip (the sweep is left out as a gap, the run goes on, and at the end the skipped sweeps are listed on standard error and in a CSV file; exit \(SweepErrorOptions.skippedExitCode)).",
        valueName: "stop|skip"))
    var onError: SweepErrorPolicy = .stop

    /// The exit code of a run that finished but skipped unreadable sweeps.
    static let skippedExitCode: Int32 = 4

    /// Prints the skipped sweeps (count, then each path and error) as a warning on standard error,
    /// saying which file lists them; nothing when none was skipped.
    static func report(_ skipped: [SkippedSweep], listedIn file: String?) {
        let lines = SkippedSweeps.report(skipped)
        guard !lines.isEmpty else { return }
        printWarning((lines + (file.map { ["  listed in \($0)"] } ?? [])).joined(separator: "\n"))
    }
}
