import Dispatch
import Foundation

/// Work a prelabel run hands off its main thread: atomic file writes, whose `fsync` waits on the
/// disk (some 16 ms a file on ext4, measured), and preview drawing, which the second core does
/// while the first detects or writes labels.
///
/// At most `limit` tasks are pending or running at once (``submit(_:)`` waits for a slot), so
/// memory stays bounded whatever the sequence's length. The first error a task throws is rethrown
/// by the next ``submit(_:)`` or by ``wait()``; tasks not yet started when a task fails are skipped.
/// Tasks must not depend on each other's order: each one's outputs are its own files.
final class BackgroundWork: @unchecked Sendable {
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: (any Error)?
    /// Seconds the tasks ran, summed over tasks (guarded by `lock`).
    private var busy = 0.0

    /// - Parameter limit: Tasks pending or running at once (>= 1).
    init(label: String, limit: Int) {
        precondition(limit >= 1, "a background work queue needs at least one slot")
        queue = DispatchQueue(label: "cuboid.prelabel." + label, attributes: .concurrent)
        slots = DispatchSemaphore(value: limit)
    }

    /// The summed run time of the tasks finished so far, seconds.
    var taskSeconds: Double { lock.withLock { busy } }

    /// Runs `task` on another thread once a slot is free.
    /// - Throws: The error an earlier task threw.
    func submit(_ task: @escaping @Sendable () throws -> Void) throws {
        try rethrowFailure()
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            guard lock.withLock({ failure == nil }) else { return }
            let start = DispatchTime.now().uptimeNanoseconds
            do { try task() } catch { lock.withLock { if failure == nil { failure = error } } }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            lock.withLock { busy += seconds }
        }
    }

    /// Waits until every submitted task has finished.
    /// - Throws: The first error a task threw.
    func wait() throws {
        group.wait()
        try rethrowFailure()
    }

    private func rethrowFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}

/// A value computed on another thread, waited for once: the next frame's sweep read while this
/// frame is detected.
final class Prefetch<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    /// Waits for the value. Call once.
    /// - Throws: The error the work threw.
    func value() throws -> Value {
        done.wait()
        return try result!.get()
    }
}
