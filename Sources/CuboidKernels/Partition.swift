// Quicksort's partition step, shared by the selection (`select`) and the distinct-key sort.

/// Partitions `buffer[low...high]` around the median of its first, middle and last elements
/// (Hoare's scheme): afterwards every element of `low...j` is at most the pivot, every element of
/// `i...high` at least, and `j < i`.
/// - Precondition: `low < high`; no NaN.
/// - Complexity: O(high - low).
@inline(__always)
func partitionAroundMedianOfThree<T: Comparable>(_ buffer: UnsafeMutableBufferPointer<T>, _ low: Int, _ high: Int) -> (i: Int, j: Int) {
    let mid = low + (high - low) / 2
    if buffer[mid] < buffer[low] { buffer.swapAt(mid, low) }
    if buffer[high] < buffer[low] { buffer.swapAt(high, low) }
    if buffer[high] < buffer[mid] { buffer.swapAt(high, mid) }
    let pivot = buffer[mid]
    var i = low, j = high
    while i <= j {
        while buffer[i] < pivot { i += 1 }
        while buffer[j] > pivot { j -= 1 }
        if i <= j {
            buffer.swapAt(i, j)
            i += 1
            j -= 1
        }
    }
    return (i, j)
}

/// Sorts `keys[range]`, whose keys are all different, into increasing order: the order any correct
/// sort gives, so stability does not matter (a quicksort with insertion sort for short runs, faster
/// than the standard library's stable merge sort on a ground bin's few hundred keys).
/// - Precondition: `range` lies within `keys`.
/// - Complexity: O(n log n) expected; runs deeper than 2 log2(n) levels fall back to the standard sort.
package func sortDistinctKeys(_ keys: inout [UInt64], in range: Range<Int>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= keys.count, "sortDistinctKeys: range outside the keys")
    guard range.count > 1 else { return }
    keys.withUnsafeMutableBufferPointer { buffer in
        quicksortDistinct(buffer, range.lowerBound, range.upperBound - 1, depth: 2 * (Int.bitWidth - range.count.leadingZeroBitCount))
    }
}

private func quicksortDistinct(_ keys: UnsafeMutableBufferPointer<UInt64>, _ low: Int, _ high: Int, depth: Int) {
    var low = low, high = high, depth = depth
    while high - low >= 16 {
        if depth == 0 {
            var rest = UnsafeMutableBufferPointer(rebasing: keys[low...high])
            rest.sort()
            return
        }
        depth -= 1
        let (i, j) = partitionAroundMedianOfThree(keys, low, high)
        // The smaller side recursively, the larger one in this loop.
        if j - low < high - i {
            quicksortDistinct(keys, low, j, depth: depth)
            low = i
        } else {
            quicksortDistinct(keys, i, high, depth: depth)
            high = j
        }
    }
    // Insertion sort of the short run.
    if high > low {
        for k in (low + 1)...high {
            let key = keys[k]
            var m = k
            while m > low && keys[m - 1] > key { keys[m] = keys[m - 1]; m -= 1 }
            keys[m] = key
        }
    }
}
