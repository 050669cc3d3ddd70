import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long run on standard error: `label 12/40 frames, 8.3 frames/s, ETA 3 s`, redrawn
/// in place when standard error is a terminal and silent otherwise (logs and pipes stay clean).
/// Callers serialise `update` (worker threads report under their own lock).
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let start = DispatchTime.now().uptimeNanoseconds
    private let enabled: Bool
    private var lastDraw: UInt64 = 0

    init(_ label: String, total: Int, unit: String = "frames", enabled: Bool = isatty(2) == 1) {
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled
    }

    /// Reports `done` of `total`; redraws at most ten times a second and always at the end.
    func update(_ done: Int) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard done == total || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let text = String(format: "\r%@ %d/%d %@, %.1f %@/s, ETA %.0f s\u{1B}[K", label, done, total, unit, rate, unit, remaining)
        FileHandle.standardError.write(Data(text.utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
