/// The median of the values: the middle one, or the mean of the middle two for an even count.
/// - Precondition: `values` is not empty.
/// - Complexity: O(n log n).
package func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "the median of no values")
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}
