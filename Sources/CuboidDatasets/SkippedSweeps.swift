import CuboidIO
import Foundation

/// What a run over a sequence's sweeps does with a sweep it cannot read (a missing or unreadable
/// file, a truncated `.bin`, a PCD with a bad header: any error reading or decoding it).
public enum SweepErrorPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// The first unreadable sweep stops the run with its error (the file and byte offset).
    case stop
    /// An unreadable sweep is left out as a gap in the sequence (the frame stays, with no sweep), the
    /// run goes on, and the sweep is listed in the run's ``SkippedSweep`` list.
    case skip
}

/// A sweep a run could not read and left out (``SweepErrorPolicy/skip``).
public struct SkippedSweep: Sendable, Hashable, Codable {
    /// The frame's index in the sequence (0-based).
    public var frame: Int
    /// The frame's name.
    public var name: String
    /// The file that could not be read: the sweep's (nil when the frame names none), or the file the
    /// error names (a camera image whose size a run needed).
    public var path: String?
    /// The error that stopped the reading, as printed (it names the file and the byte offset or line).
    public var error: String

    public init(frame: Int, name: String, path: String?, error: String) {
        self.frame = frame
        self.name = name
        self.path = path
        self.error = error
    }

    /// `0000000003 (frame 3): /data/0000000003.bin: ...`, one line for a log (the path once: the
    /// error's own when it starts with it).
    public var line: String {
        "\(name) (frame \(frame)): " + (path.map { error.hasPrefix($0) } == true ? error : "\(path ?? "no file"): \(error)")
    }
}

/// Reading a sequence's sweeps under a ``SweepErrorPolicy``, and the list of those left out.
public enum SkippedSweeps {
    /// The list's file name in a run's output folder.
    public static let fileName = "skipped_sweeps.csv"

    /// Reads frame `index`'s sweep with `read`; under ``SweepErrorPolicy/skip`` an error becomes a
    /// ``SkippedSweep`` appended to `skipped` and the result is nil.
    /// - Throws: `read`'s error under ``SweepErrorPolicy/stop``.
    public static func reading<T>(_ sequence: SensorSequence, at index: Int, policy: SweepErrorPolicy, skipped: inout [SkippedSweep],
                                  _ read: () throws -> T) throws -> T? {
        do {
            return try read()
        } catch {
            guard policy == .skip else { throw error }
            skipped.append(skip(sequence, at: index, error: error))
            return nil
        }
    }

    /// The record of frame `index` failing with `error`: the file is the one the error names, else the sweep's.
    public static func skip(_ sequence: SensorSequence, at index: Int, error: any Error) -> SkippedSweep {
        let named = (error as? FileAccessError)?.path ?? (error as? FileDecodingError)?.path
        return SkippedSweep(frame: index, name: sequence.frames[index].name, path: named ?? (try? sequence.pointCloudFile(at: index)), error: "\(error)")
    }

    /// The frames of both lists, one entry a frame (the first list's when both have it), in frame order.
    public static func merged(_ a: [SkippedSweep], _ b: [SkippedSweep]) -> [SkippedSweep] {
        var byFrame: [Int: SkippedSweep] = [:]
        for entry in b + a { byFrame[entry.frame] = entry }
        return byFrame.values.sorted { $0.frame < $1.frame }
    }

    /// The list as CSV: a header `frame,name,path,error`, then one row a sweep in frame order
    /// (fields quoted when they hold a comma, a quote or a line break; no path: empty).
    public static func csv(_ skipped: [SkippedSweep]) -> [UInt8] {
        var text = "frame,name,path,error\n"
        for entry in skipped.sorted(by: { $0.frame < $1.frame }) {
            text += "\(entry.frame),\(CSVText.field(entry.name)),\(CSVText.field(entry.path ?? "")),\(CSVText.field(entry.error))\n"
        }
        return Array(text.utf8)
    }

    /// The lines a run prints at its end: `N sweeps skipped (unreadable):` then one line a sweep;
    /// none when nothing was skipped.
    public static func report(_ skipped: [SkippedSweep]) -> [String] {
        guard !skipped.isEmpty else { return [] }
        return ["\(skipped.count) \(skipped.count == 1 ? "sweep" : "sweeps") skipped (unreadable; left out as gaps):"]
            + skipped.sorted { $0.frame < $1.frame }.map { "  " + $0.line }
    }
}

/// Comma-separated values.
public enum CSVText {
    /// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
    public static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
