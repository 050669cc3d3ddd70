import ArgumentParser
import Cuboid
import Foundation

/// Refuses, as an invalid argument (exit code 64), an output that would replace or rewrite an input,
/// before anything is written. Nil inputs (options not given) are skipped.
func refuseOverwriting(inputs: [String?], outputFiles: [String] = [], outputFolders: [String] = []) throws {
    do {
        try InputProtection.check(inputs: inputs.compactMap { $0 }, outputFiles: outputFiles, outputFolders: outputFolders)
    } catch {
        printError(error.description)
        throw ExitCode.validationFailure
    }
}

/// The file or the folder a label format writes at `path` (KITTI and SUSTechPOINTS write a folder
/// of per-frame files).
func labelOutputs(_ path: String, format: LabelFormat) -> (files: [String], folders: [String]) {
    format.isFolder ? ([], [path]) : ([path], [])
}

/// A `--labels NAME=PATH` argument split, or `PATH` alone named by its stem (a file whose own name
/// holds `=` is a path).
func namedArgument(_ argument: String) -> (name: String, path: String) {
    if let equals = argument.firstIndex(of: "="), !FileManager.default.fileExists(atPath: argument) {
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
    return (Paths.stem(argument), argument)
}

/// Creates `folder` and holds it for this run (see `OutputLock`). A folder another run holds
/// stops this one with exit code 1 and the other run's process id.
func holdOutputFolder(_ folder: String) throws -> OutputLock {
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try OutputLock(folder: folder)
    } catch let error as OutputLockError {
        printError(error.description)
        throw ExitCode.failure
    } catch {
        printError("\(folder): cannot create the output folder: \(error.localizedDescription)")
        throw ExitCode.failure
    }
}

/// `error: MESSAGE` on standard error.
func printError(_ message: String) {
    Log.shared.error("\(message)")
}
