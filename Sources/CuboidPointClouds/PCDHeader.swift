/// The DATA encodings of a PCD file.
public enum PCDEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    case ascii
    case binary
    case binaryCompressed = "binary_compressed"
}

/// A parsed PCD header.
public struct PCDHeader: Sendable, Hashable {
    /// One FIELDS entry with its SIZE, TYPE and COUNT. Fields named `_` are padding.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: ScalarType
        public var count: Int
        /// Byte offset inside a binary record.
        public var offset: Int

        public var isPadding: Bool { name == "_" }
        public var byteCount: Int { type.byteCount * count }
    }

    public var version: String
    public var fields: [Field]
    public var width: Int
    public var height: Int
    public var viewpoint: Viewpoint
    public var pointCount: Int
    public var encoding: PCDEncoding
    /// Offset of the first data byte (just after the DATA line).
    public var dataOffset: Int

    /// Bytes per point in the binary encoding.
    public var recordSize: Int { fields.reduce(0) { $0 + $1.byteCount } }

    /// Largest header the parser reads before it gives up looking for DATA.
    static let maximumHeaderBytes = 1 << 20

    /// Parses the header at the start of a PCD file's bytes.
    ///
    /// - Throws: ``PCDError`` with the offending line.
    /// - Complexity: O(header length).
    public static func parse(_ bytes: [UInt8]) throws(PCDError) -> PCDHeader {
        try bytes.withRawBytes { (raw) throws(PCDError) in try parse(raw) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(PCDError) -> PCDHeader {
        var version = ""
        var names: [String]?
        var sizes: [Int]?
        var types: [String]?
        var counts: [Int]?
        var width: Int?
        var height: Int?
        var points: Int?
        var viewpoint = Viewpoint.identity
        var lineNumbers: [String: Int] = [:]
        var position = 0
        var line = 0
        let limit = min(bytes.count, maximumHeaderBytes)
        while position < limit {
            line += 1
            var end = position
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let next = min(end + 1, bytes.count)
            var text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            position = next
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let keyword = words[0].uppercased()
            let values = Array(words.dropFirst())
            lineNumbers[keyword] = line
            func integers(_ expected: String) throws(PCDError) -> [Int] {
                var result: [Int] = []
                for value in values {
                    guard let number = Int(value), number >= 0, number <= 1 << 40 else {
                        throw .invalidHeaderLine(line: line, text: text, expected: expected)
                    }
                    result.append(number)
                }
                return result
            }
            func single(_ expected: String) throws(PCDError) -> Int {
                let result = try integers(expected)
                guard result.count == 1 else { throw .invalidHeaderLine(line: line, text: text, expected: expected) }
                return result[0]
            }
            switch keyword {
            case "VERSION":
                version = values.first ?? ""
            case "FIELDS", "COLUMNS":
                guard !values.isEmpty, values.count <= 100_000 else {
                    throw .invalidHeaderLine(line: line, text: text, expected: "one or more field names")
                }
                names = values
            case "SIZE":
                sizes = try integers("byte sizes 1, 2, 4 or 8")
            case "TYPE":
                types = values
            case "COUNT":
                let parsed = try integers("element counts")
                guard parsed.allSatisfy({ $0 <= 1 << 20 }) else {
                    throw .invalidHeaderLine(line: line, text: text, expected: "element counts up to 1048576")
                }
                counts = parsed
            case "WIDTH":
                width = try single("one non-negative integer")
            case "HEIGHT":
                height = try single("one non-negative integer")
            case "POINTS":
                points = try single("one non-negative integer")
            case "VIEWPOINT":
                let numbers = values.compactMap(Double.init)
                guard numbers.count == 7, values.count == 7, numbers.allSatisfy(\.isFinite) else {
                    throw .invalidHeaderLine(line: line, text: text, expected: "7 numbers: tx ty tz qw qx qy qz")
                }
                viewpoint = Viewpoint(
                    translation: SIMD3(numbers[0], numbers[1], numbers[2]),
                    rotation: SIMD4(numbers[3], numbers[4], numbers[5], numbers[6]))
            case "DATA":
                guard values.count == 1, let encoding = PCDEncoding(rawValue: values[0].lowercased()) else {
                    throw .invalidHeaderLine(line: line, text: text, expected: "DATA ascii, binary or binary_compressed")
                }
                return try assemble(
                    version: version, names: names, sizes: sizes, types: types, counts: counts, width: width,
                    height: height, points: points, viewpoint: viewpoint, encoding: encoding, dataOffset: next,
                    lineNumbers: lineNumbers)
            default:
                throw .invalidHeaderLine(
                    line: line, text: String(text.prefix(80)),
                    expected: "a header keyword (VERSION, FIELDS, SIZE, TYPE, COUNT, WIDTH, HEIGHT, VIEWPOINT, POINTS, DATA)")
            }
        }
        throw .missingDataLine(headerBytesRead: position)
    }

    private static func assemble(
        version: String, names: [String]?, sizes: [Int]?, types: [String]?, counts: [Int]?, width: Int?, height: Int?,
        points: Int?, viewpoint: Viewpoint, encoding: PCDEncoding, dataOffset: Int, lineNumbers: [String: Int]
    ) throws(PCDError) -> PCDHeader {
        guard let names else { throw .missingHeaderEntry("FIELDS") }
        guard let sizes else { throw .missingHeaderEntry("SIZE") }
        guard let types else { throw .missingHeaderEntry("TYPE") }
        let counts = counts ?? Array(repeating: 1, count: names.count)
        for (keyword, found) in [("SIZE", sizes.count), ("TYPE", types.count), ("COUNT", counts.count)] where found != names.count {
            throw .fieldCountMismatch(line: lineNumbers[keyword] ?? 0, keyword: keyword, fields: names.count, found: found)
        }
        var fields: [Field] = []
        var offset = 0
        var seen = Set<String>()
        for index in names.indices {
            let line = lineNumbers["TYPE"] ?? 0
            guard let type = scalarType(types[index], size: sizes[index]) else {
                throw .unsupportedType(line: line, field: names[index], type: types[index], size: sizes[index])
            }
            if names[index] != "_" {
                guard seen.insert(names[index]).inserted else {
                    throw .duplicateField(line: lineNumbers["FIELDS"] ?? lineNumbers["COLUMNS"] ?? 0, name: names[index])
                }
            }
            fields.append(Field(name: names[index], type: type, count: counts[index], offset: offset))
            offset += type.byteCount * counts[index]
        }
        for axis in ["x", "y", "z"] {
            guard let field = fields.first(where: { $0.name == axis }), field.count == 1 else {
                throw .unusablePositionField(axis)
            }
        }
        let height = height ?? 1
        guard let width = width ?? points.map({ height == 0 ? 0 : $0 / height }) else { throw .missingHeaderEntry("WIDTH") }
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        let pointCount = points ?? product
        guard !overflow, product == pointCount else {
            throw .pointCountMismatch(declared: pointCount, width: width, height: height)
        }
        return PCDHeader(
            version: version, fields: fields, width: width, height: height, viewpoint: viewpoint,
            pointCount: pointCount, encoding: encoding, dataOffset: dataOffset)
    }

    static func scalarType(_ type: String, size: Int) -> ScalarType? {
        switch (type.uppercased(), size) {
        case ("I", 1): .int8
        case ("I", 2): .int16
        case ("I", 4): .int32
        case ("I", 8): .int64
        case ("U", 1): .uint8
        case ("U", 2): .uint16
        case ("U", 4): .uint32
        case ("U", 8): .uint64
        case ("F", 4): .float32
        case ("F", 8): .float64
        default: nil
        }
    }

    static func typeAndSize(_ type: ScalarType) -> (String, Int) {
        switch type {
        case .int8, .int16, .int32, .int64: ("I", type.byteCount)
        case .uint8, .uint16, .uint32, .uint64: ("U", type.byteCount)
        case .float32, .float64: ("F", type.byteCount)
        }
    }
}
