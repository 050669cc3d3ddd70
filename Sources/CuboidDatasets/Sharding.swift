import Foundation

/// One machine's share of a batch: the K-th of N shares (1-based), taking every N-th item from the
/// K-th in the batch's sorted order, so that N machines given K = 1...N process every item exactly
/// once, whatever the order they run in.
public struct BatchShard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 1-based share, in 1...count.
    public let index: Int
    /// Number of shares (>= 1).
    public let count: Int

    /// A share.
    /// - Precondition: `count >= 1` and `1 <= index <= count`.
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (1...count).contains(index), "a shard is K/N with 1 <= K <= N")
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// Parses `K/N`.
    /// - Throws: ``BatchShardError/invalid(_:)`` unless `1 <= K <= N`.
    public static func parse(_ text: String) throws(BatchShardError) -> BatchShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, (1...n).contains(k) else { throw .invalid(text) }
        return BatchShard(index: k, count: n)
    }

    /// The share a job scheduler gives this process, from its environment:
    /// - Slurm job arrays: `SLURM_ARRAY_TASK_ID` among `SLURM_ARRAY_TASK_COUNT` tasks numbered from
    ///   `SLURM_ARRAY_TASK_MIN` (so `--array=0-9` and `--array=1-10` both give shares 1/10...10/10;
    ///   arrays with a step or a list must be contiguous);
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based) among `CUBOID_SHARD_COUNT` shares
    ///   (set it from the Job's `completions`: Kubernetes does not export that number).
    /// - Returns: nil when neither scheduler's variables are set.
    /// - Throws: ``BatchShardError/scheduler(_:)`` when they are set but inconsistent.
    public static func fromScheduler(_ environment: [String: String]) throws(BatchShardError) -> BatchShard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"] {
            guard let task = Int(id), let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }), count >= 1 else {
                throw .scheduler("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is missing or not a number")
            }
            let first = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            let index = task - first + 1
            guard (1...count).contains(index) else {
                throw .scheduler("SLURM_ARRAY_TASK_ID \(task) is outside \(first)...\(first + count - 1): use a contiguous --array range")
            }
            return BatchShard(index: index, count: count)
        }
        if let completion = environment["JOB_COMPLETION_INDEX"] {
            guard let zeroBased = Int(completion), let count = environment["CUBOID_SHARD_COUNT"].flatMap({ Int($0) }), count >= 1,
                  (0..<count).contains(zeroBased) else {
                throw .scheduler("JOB_COMPLETION_INDEX needs CUBOID_SHARD_COUNT (the Job's completions) with 0 <= index < count")
            }
            return BatchShard(index: zeroBased + 1, count: count)
        }
        return nil
    }

    /// This share of `items`, which the caller sorts so that every machine sees the same order.
    /// - Complexity: O(items).
    public func select<Element>(_ items: [Element]) -> [Element] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// A shard that cannot be used.
public enum BatchShardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `--shard` text that is not `K/N` with `1 <= K <= N`.
    case invalid(String)
    /// Scheduler variables that do not name a share.
    case scheduler(String)

    public var description: String {
        switch self {
        case .invalid(let text): "shard '\(text)' is not K/N with 1 <= K <= N"
        case .scheduler(let reason): reason
        }
    }
}
