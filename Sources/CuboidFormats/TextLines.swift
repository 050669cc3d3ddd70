/// The lines of a UTF-8 text file with their 1-based numbers (LF, CRLF or CR endings; a final empty
/// line after the last newline is dropped).
///
/// - Parameter notText: Makes the format's error from the byte offset of the first invalid UTF-8 byte.
/// - Complexity: O(bytes).
func numberedLines<Failure: Error>(
    _ bytes: [UInt8], notText: (Int) -> Failure
) throws(Failure) -> [(number: Int, text: Substring)] {
    guard let text = String(validating: bytes, as: UTF8.self) else { throw notText(firstInvalidUTF8Offset(bytes) ?? 0) }
    var lines: [(number: Int, text: Substring)] = []
    // "\r\n" is one Character in Swift, so split on newline characters, not on "\n".
    for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        lines.append((index + 1, line))
    }
    if let last = lines.last, last.text.isEmpty { lines.removeLast() }
    return lines
}

/// A field as a finite Double, or nil (not a number, NaN or infinite).
@inline(__always)
func finiteNumber(_ field: Substring) -> Double? {
    guard let value = Double(field), value.isFinite else { return nil }
    return value
}

/// The byte offset of the first byte that is not valid UTF-8, or nil when all are.
/// - Complexity: O(bytes).
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var offset = 0
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}
