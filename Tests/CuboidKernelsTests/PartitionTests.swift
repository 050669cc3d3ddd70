@testable import CuboidKernels
import Foundation
import Testing

/// Keys as the ground bins make them, by name: (height bits, point index), all different.
private func keys(_ scenario: String) -> [UInt64] {
    var generator = SplitMix64(seed: UInt64(scenario.utf8.count))
    func key(_ height: UInt32, _ index: Int) -> UInt64 { UInt64(height) << 32 | UInt64(index) }
    switch scenario {
    case "empty": return []
    case "one": return [key(7, 0)]
    case "short run": return (0..<11).map { key(UInt32.random(in: 0...5, using: &generator), $0) }
    case "ascending": return (0..<500).map { key(UInt32($0 / 3), $0) }
    case "descending": return (0..<500).map { key(UInt32(1000 - $0), $0) }
    case "equal heights": return (0..<300).map { key(42, 300 - $0) }
    case "random": return (0..<2000).map { key(UInt32.random(in: 0...UInt32.max, using: &generator), $0) }
    case "few heights": return (0..<2000).map { key(UInt32.random(in: 0...3, using: &generator), $0) }
    default: preconditionFailure("unknown scenario \(scenario)")
    }
}

@Test("ground bins' key sort (CuboidKernels.sortDistinctKeys): the order the standard sort gives, inside the range only",
      arguments: ["empty", "one", "short run", "ascending", "descending", "equal heights", "random", "few heights"])
func sortUniqueKeysMatchesStandardSort(scenario: String) {
    var sorted = keys(scenario)
    #expect(Set(sorted).count == sorted.count, "the scenario's keys must all differ")
    sortDistinctKeys(&sorted, in: 0..<sorted.count)
    #expect(sorted == keys(scenario).sorted())
    // A range inside: the keys around it stay where they were.
    var framed: [UInt64] = [.max, .max - 1] + keys(scenario) + [1, 0]
    sortDistinctKeys(&framed, in: 2..<(framed.count - 2))
    #expect(framed == [.max, .max - 1] + keys(scenario).sorted() + [1, 0])
}
