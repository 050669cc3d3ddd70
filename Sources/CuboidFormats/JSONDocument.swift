import CuboidIO
/// A parsed JSON value that remembers the line it started on, so label readers can say where a bad
/// value sits.
///
/// Written by hand for two reasons: Foundation's `JSONSerialization` on Linux returns numbers as
/// `NSDecimalNumber` and loses the last bits of doubles (1.4025025217488531 reads back as
/// ...534), which breaks exact round trips; and neither it nor `JSONDecoder` reports the line of a
/// value that parses but is wrong.
package struct JSONNode: Sendable {
    package enum Value: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONNode])
        case object([(key: String, value: JSONNode)])
    }

    package var value: Value
    /// 1-based line of the value's first character.
    package var line: Int
    /// 0-based byte offset of the value's first character when the whole document is one line (where
    /// a line number says nothing), else nil.
    package var offset: Int?

    package init(value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    package subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    package var members: [(key: String, value: JSONNode)]? {
        if case .object(let members) = value { return members }
        return nil
    }

    package var elements: [JSONNode]? {
        if case .array(let elements) = value { return elements }
        return nil
    }

    /// The value as a finite number (NaN and infinities, which Python's `json` writes, give nil).
    package var number: Double? {
        if case .number(let number) = value, number.isFinite { return number }
        return nil
    }

    /// The value as a number, NaN and infinities included.
    package var anyNumber: Double? {
        if case .number(let number) = value { return number }
        return nil
    }

    package var string: String? {
        if case .string(let string) = value { return string }
        return nil
    }

    package var bool: Bool? {
        if case .bool(let bool) = value { return bool }
        return nil
    }

    package var isNull: Bool {
        if case .null = value { return true }
        return false
    }
}

/// A JSON syntax error at a line and column.
package struct JSONSyntaxError: Error, Sendable, Hashable {
    package var line: Int
    package var column: Int
    package var expected: String
}

/// Parses UTF-8 JSON text (RFC 8259) into a ``JSONNode`` tree. Python's extension tokens `NaN`,
/// `Infinity` and `-Infinity` read as numbers; typed accessors refuse them where a finite value is needed.
///
/// Nesting deeper than 512 levels is refused rather than overflowing the stack.
/// - Complexity: O(bytes).
package func parseJSON(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    let node = try parser.value(depth: 0)
    parser.skipSpace()
    guard parser.index == bytes.count else { throw parser.failure("end of input") }
    return node
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0

    /// Whether the text is one line (no line feed before trailing white space): nodes then record
    /// their byte offsets.
    let oneLine: Bool

    init(bytes: [UInt8]) {
        self.bytes = bytes
        var end = bytes.count
        while end > 0, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[end - 1]) { end -= 1 }
        oneLine = !bytes[..<end].contains(0x0A)
    }

    func failure(_ expected: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: index - lineStart + 1, expected: expected)
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    mutating func literal(_ word: String, _ value: JSONNode.Value) throws(JSONSyntaxError) -> JSONNode {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            throw failure("a JSON value")
        }
        index += utf8.count
        return JSONNode(value: value, line: line)
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        let start = index
        var node = try valueBody(depth: depth)
        if oneLine { node.offset = start }
        return node
    }

    mutating func valueBody(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth < 512 else { throw failure("nesting at most 512 deep") }
        guard index < bytes.count else { throw failure("a JSON value") }
        let startLine = line
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSONNode)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONNode(value: .object(members), line: startLine)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("a quoted member name") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("':' after a member name") }
                index += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw failure("',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw failure("',' or '}'")
            }
            return JSONNode(value: .object(members), line: startLine)
        case UInt8(ascii: "["):
            index += 1
            var elements: [JSONNode] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return JSONNode(value: .array(elements), line: startLine)
            }
            while true {
                skipSpace()
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw failure("',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                throw failure("',' or ']'")
            }
            return JSONNode(value: .array(elements), line: startLine)
        case UInt8(ascii: "\""): return JSONNode(value: .string(try string()), line: startLine)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        // Python's json module writes NaN and Infinity unless told not to; real files hold them.
        case UInt8(ascii: "N"): return try literal("NaN", .number(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .number(.infinity))
        case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "I"):
            index += 1
            return try literal("Infinity", .number(-.infinity))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(value: .number(try number()), line: startLine)
        default: throw failure("a JSON value")
        }
    }

    mutating func number() throws(JSONSyntaxError) -> Double {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0 else { throw failure("a digit") }
        if leadingZero && integerDigits > 1 { index -= integerDigits - 1; throw failure("no leading zero") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("an exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("a finite number") }
        return value
    }

    mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw failure("a hex digit")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw failure("a closing '\"'") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; break }
            if byte < 0x20 { throw failure("no control character inside a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw failure("an escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hexQuad()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a low surrogate")
                    }
                    index += 2
                    let low = try hexQuad()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("a valid code point") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw failure("a valid escape")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw failure("UTF-8 text") }
        return text
    }
}

/// Builds JSON text. Numbers print in Swift's shortest round-trip form, so doubles read back bit
/// for bit.
struct JSONWriter {
    private(set) var text = ""

    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A finite double as JavaScript's `Number.prototype.toString` prints it (ECMA-262 Number::toString):
    /// the shortest digits that read back to the same double, in decimal from 1e-6 up to 1e21 and in
    /// exponent form outside. Tools written in JavaScript (SUSTechPOINTS, CVAT's front end) print
    /// numbers this way, so files they wrote come back byte for byte.
    ///
    /// Works on the ASCII bytes of Swift's `description` in a stack buffer (no `String` splitting):
    /// a prelabel run formats some 10^5 numbers a second into its cache and labels.
    static func number(_ value: Double) -> String {
        precondition(value.isFinite, "JSON cannot hold \(value)")
        if value == 0 { return "0" }
        // Swift's description has the same shortest digits; only the layout differs.
        var text = abs(value).description
        return text.withUTF8 { source in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
                // The significant digits (mantissa without its point), then the output after them.
                var count = 0, point = -1, exponent = 0, negativeExponent = false, inExponent = false
                for byte in source {
                    if inExponent {
                        if byte == UInt8(ascii: "-") { negativeExponent = true } else if byte != UInt8(ascii: "+") { exponent = exponent * 10 + Int(byte &- 48) }
                    } else if byte == UInt8(ascii: "e") {
                        inExponent = true
                    } else if byte == UInt8(ascii: ".") {
                        point = count
                    } else {
                        buffer[count] = byte
                        count += 1
                    }
                }
                if point < 0 { point = count }
                var n = point + (negativeExponent ? -exponent : exponent)
                var first = 0
                while first < count && buffer[first] == UInt8(ascii: "0") { first += 1; n -= 1 }
                while count > first && buffer[count - 1] == UInt8(ascii: "0") { count -= 1 }
                let k = count - first
                var out = 32
                func put(_ byte: UInt8) { buffer[out] = byte; out += 1 }
                func putDigits(_ range: Range<Int>) { for i in range { put(buffer[first + i]) } }
                if value < 0 { put(UInt8(ascii: "-")) }
                if k <= n && n <= 21 {
                    putDigits(0..<k)
                    for _ in 0..<(n - k) { put(UInt8(ascii: "0")) }
                } else if 0 < n && n <= 21 {
                    putDigits(0..<n)
                    put(UInt8(ascii: "."))
                    putDigits(n..<k)
                } else if -6 < n && n <= 0 {
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "."))
                    for _ in 0..<(-n) { put(UInt8(ascii: "0")) }
                    putDigits(0..<k)
                } else {
                    let e = n - 1
                    putDigits(0..<1)
                    if k > 1 {
                        put(UInt8(ascii: "."))
                        putDigits(1..<k)
                    }
                    put(UInt8(ascii: "e"))
                    put(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                    var magnitude = abs(e), digits = 0
                    repeat { buffer[60 - digits] = UInt8(48 + magnitude % 10); magnitude /= 10; digits += 1 } while magnitude > 0
                    for i in 0..<digits { put(buffer[61 - digits + i]) }
                }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[32..<out]), as: UTF8.self)
            }
        }
    }
}

/// A JSON value to write, built by the exporters.
package indirect enum JSONOutput {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONOutput])
    case object([(String, JSONOutput)])
    /// Text inserted as it is (a part rendered elsewhere).
    case raw(String)

    package static func numbers(_ values: [Double]) -> JSONOutput { .array(values.map { .number($0) }) }

    /// The text, indented by `indent` spaces per level (0: one line). Arrays of numbers stay on one line.
    package func rendered(indent: Int = 2) -> String { rendered(indent: indent, level: 0) }

    /// The text as it reads nested `level` deep in a document indented by `indent`.
    package func rendered(indent: Int, level: Int) -> String {
        var out = ""
        write(into: &out, indent: indent, level: level)
        return out
    }

    /// The text on one line with Python's `json.dumps` separators (`", "` and `": "`).
    func renderedInline() -> String {
        switch self {
        case .array(let elements): "[" + elements.map { $0.renderedInline() }.joined(separator: ", ") + "]"
        case .object(let members): "{" + members.map { JSONWriter.quoted($0.0) + ": " + $0.1.renderedInline() }.joined(separator: ", ") + "}"
        default: rendered(indent: 0)
        }
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        // Made only where used: leaves (most calls) need no padding.
        var pad: String { String(repeating: " ", count: indent * (level + 1)) }
        var closePad: String { String(repeating: " ", count: indent * level) }
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value): out += JSONWriter.number(value)
        case .string(let value): out += JSONWriter.quoted(value)
        case .raw(let text): out += text
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            let flat = indent == 0 || elements.allSatisfy { if case .number = $0 { true } else { false } }
            if flat {
                out += "["
                for (k, element) in elements.enumerated() {
                    if k > 0 { out += indent > 0 ? ", " : "," }
                    element.write(into: &out, indent: 0, level: 0)
                }
                out += "]"
                return
            }
            out += "[" + newline
            let padding = pad
            for (k, element) in elements.enumerated() {
                out += padding
                element.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < elements.count ? "," : "") + newline
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            let padding = pad
            for (k, (key, value)) in members.enumerated() {
                out += (indent > 0 ? padding : "") + JSONWriter.quoted(key) + (indent > 0 ? ": " : ":")
                value.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < members.count ? "," : "") + newline
            }
            out += closePad + "}"
        }
    }
}

/// A configuration file (pre-labelling, QA) that cannot be used: the line of a syntax error or unknown
/// key, or the key of a value of the wrong type or out of range.
public enum ConfigurationFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file is not JSON.
    case syntax(line: Int, column: Int, expected: String)
    /// A key the configuration does not have (a typo would otherwise be ignored silently).
    case unknownKey(line: Int, key: String, allowed: [String])
    /// A value of the wrong type or out of range.
    case invalid(key: String, expected: String)

    public var description: String {
        switch self {
        case .syntax(let line, let column, let expected): "line \(line), column \(column): expected \(expected)"
        case .unknownKey(let line, let key, let allowed): "line \(line): unknown key \(Excerpt.of(key)) (allowed: \(allowed.joined(separator: ", ")))"
        case .invalid(let key, let expected): "\(Excerpt.of(key)): expected \(Excerpt.of(expected))"
        }
    }
}
