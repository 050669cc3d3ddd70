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
