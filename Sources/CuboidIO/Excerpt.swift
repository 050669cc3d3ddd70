/// Input text quoted in an error message, cut so that a huge line or field (a 6 MB PCD `FIELDS` line,
/// a 20 MB CSV cell) cannot flood the terminal or a log.
///
/// Text of at most ``maxBytes`` UTF-8 bytes is returned whole. Longer text keeps its first
/// ``maxBytes`` bytes (cut on a character boundary) followed by `… (N bytes)`, N being the whole
/// text's length. Every error that quotes its input goes through this one function.
public enum Excerpt {
    /// The most bytes of input an error message quotes: 200.
    public static let maxBytes = 200

    /// `text`, or its first ``maxBytes`` bytes and its length when it is longer.
    public static func of(_ text: some StringProtocol) -> String {
        let whole = String(text)
        let utf8 = whole.utf8
        guard utf8.count > maxBytes else { return whole }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        // Back up to the start of a scalar (never split a multi-byte character).
        while end > utf8.startIndex && (utf8[end] & 0xC0) == 0x80 { end = utf8.index(before: end) }
        return String(decoding: utf8[utf8.startIndex..<end], as: UTF8.self) + "… (\(utf8.count) bytes)"
    }
}
