import CuboidDatasets
import Testing

@Suite("Batch shards")
struct ShardingTests {
    @Test("N shares of a batch cover every item exactly once, in the batch's order", arguments: [1, 2, 3, 7, 12])
    func sharesPartition(count: Int) {
        let items = (0..<10).map { "seq\($0)" }
        let shares = (1...count).map { BatchShard(index: $0, count: count).select(items) }
        #expect(shares.flatMap { $0 }.sorted() == items)
        #expect(shares.map(\.count).reduce(0, +) == items.count)
        for share in shares { #expect(share == share.sorted()) }
    }

    @Test("K/N parses; anything else is refused", arguments: [("2/5", true), ("5/5", true), ("0/5", false), ("6/5", false), ("1/0", false),
                                                           ("2", false), ("a/b", false), ("1/2/3", false), (" 3 / 4 ", true)])
    func parsing(text: String, valid: Bool) {
        #expect(((try? BatchShard.parse(text)) != nil) == valid)
    }

    @Test("a Slurm array numbered from 0 or from 1 gives shares 1...N")
    func slurm() throws {
        #expect(try BatchShard.fromScheduler(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"])
                == BatchShard(index: 1, count: 4))
        #expect(try BatchShard.fromScheduler(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"])
                == BatchShard(index: 4, count: 4))
        #expect(throws: BatchShardError.self) {
            try BatchShard.fromScheduler(["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"])
        }
        #expect(throws: BatchShardError.self) { try BatchShard.fromScheduler(["SLURM_ARRAY_TASK_ID": "1"]) }
    }

    @Test("a Kubernetes Indexed Job's completion index with CUBOID_SHARD_COUNT; no scheduler gives nil")
    func kubernetes() throws {
        #expect(try BatchShard.fromScheduler(["JOB_COMPLETION_INDEX": "2", "CUBOID_SHARD_COUNT": "3"]) == BatchShard(index: 3, count: 3))
        #expect(throws: BatchShardError.self) { try BatchShard.fromScheduler(["JOB_COMPLETION_INDEX": "3", "CUBOID_SHARD_COUNT": "3"]) }
        #expect(throws: BatchShardError.self) { try BatchShard.fromScheduler(["JOB_COMPLETION_INDEX": "0"]) }
        #expect(try BatchShard.fromScheduler(["HOME": "/root"]) == nil)
    }
}
