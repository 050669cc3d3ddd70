/// The three PLY 1.0 data encodings.
public enum PLYEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    case ascii
    case binaryLittleEndian = "binary_little_endian"
    case binaryBigEndian = "binary_big_endian"
}

/// A parsed PLY header.
public struct PLYHeader: Sendable, Hashable {
    /// A property: a scalar, or a list with a count type and an item type.
    public struct Property: Sendable, Hashable {
        public var name: String
        public var type: ScalarType
        /// The list's count type, nil for a scalar property.
        public var listCountType: ScalarType?
    }

    /// An element (`vertex`, `face`, ...) with its row count and properties.
    public struct Element: Sendable, Hashable {
        public var name: String
        public var count: Int
        public var properties: [Property]

        /// Bytes per row when no property is a list.
        var fixedRowSize: Int? {
            properties.contains { $0.listCountType != nil } ? nil : properties.reduce(0) { $0 + $1.type.byteCount }
        }
    }

    public var encoding: PLYEncoding
    public var elements: [Element]
    public var comments: [String]
    public var dataOffset: Int

    static let maximumHeaderBytes = 1 << 20

    static func scalarType(_ name: String) -> ScalarType? {
        switch name {
        case "char", "int8": .int8
        case "uchar", "uint8": .uint8
        case "short", "int16": .int16
        case "ushort", "uint16": .uint16
        case "int", "int32": .int32
        case "uint", "uint32": .uint32
        case "float", "float32": .float32
        case "double", "float64": .float64
        default: nil
        }
    }

    static func typeName(_ type: ScalarType) -> String? {
        switch type {
        case .int8: "char"
        case .uint8: "uchar"
        case .int16: "short"
        case .uint16: "ushort"
        case .int32: "int"
        case .uint32: "uint"
        case .float32: "float"
        case .float64: "double"
        case .int64, .uint64: nil
        }
    }

    /// Parses the header at the start of a PLY file's bytes.
    /// - Throws: ``PLYError`` with the offending line.
    public static func parse(_ bytes: [UInt8]) throws(PLYError) -> PLYHeader {
        try bytes.withRawBytes { (raw) throws(PLYError) in try parse(raw) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(PLYError) -> PLYHeader {
        var position = 0
        var line = 0
        var encoding: PLYEncoding?
        var elements: [Element] = []
        var comments: [String] = []
        let limit = min(bytes.count, maximumHeaderBytes)
        while position < limit {
            line += 1
            var end = position
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            position = min(end + 1, bytes.count)
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if line == 1 {
                guard text == "ply" else { throw .notPLY }
                continue
            }
            guard let keyword = words.first else { continue }
            func fail(_ expected: String) -> PLYError { .invalidHeaderLine(line: line, text: String(text.prefix(80)), expected: expected) }
            switch keyword {
            case "format":
                guard words.count == 3, let parsed = PLYEncoding(rawValue: words[1]), words[2].hasPrefix("1") else {
                    throw fail("format ascii|binary_little_endian|binary_big_endian 1.0")
                }
                encoding = parsed
            case "comment", "obj_info":
                comments.append(String(text.dropFirst(keyword.count).drop { $0 == " " }))
            case "element":
                guard words.count == 3, let count = Int(words[2]), count >= 0 else { throw fail("element NAME COUNT") }
                elements.append(Element(name: words[1], count: count, properties: []))
            case "property":
                guard !elements.isEmpty else { throw fail("an element line before its properties") }
                if words.count == 5 && words[1] == "list" {
                    guard let countType = scalarType(words[2]), !countType.isFloatingPoint, let itemType = scalarType(words[3]) else {
                        throw fail("property list COUNT_TYPE ITEM_TYPE NAME with an integer count type")
                    }
                    elements[elements.count - 1].properties.append(Property(name: words[4], type: itemType, listCountType: countType))
                } else {
                    guard words.count == 3, let type = scalarType(words[1]) else {
                        throw fail("property TYPE NAME with TYPE one of char uchar short ushort int uint float double")
                    }
                    elements[elements.count - 1].properties.append(Property(name: words[2], type: type, listCountType: nil))
                }
            case "end_header":
                guard let encoding else { throw .missingEndHeader(headerBytesRead: position) }
                return PLYHeader(encoding: encoding, elements: elements, comments: comments, dataOffset: position)
            default:
                throw fail("format, comment, obj_info, element, property or end_header")
            }
        }
        if line == 0 || (line == 1 && position < 3) { throw .notPLY }
        throw .missingEndHeader(headerBytesRead: position)
    }
}
