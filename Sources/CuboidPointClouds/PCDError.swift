import CuboidIO
/// Why bytes are not a valid PCD v0.7 (or v0.5) file. Header problems carry the 1-based line
/// number, data problems the byte offset (binary) or line (ASCII).
public enum PCDError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `DATA` line within the header size limit or before the bytes end.
    case missingDataLine(headerBytesRead: Int)
    /// A header line whose keyword or values are not what PCD allows.
    case invalidHeaderLine(line: Int, text: String, expected: String)
    /// A required header entry is absent.
    case missingHeaderEntry(String)
    /// SIZE, TYPE or COUNT has a different number of values than FIELDS.
    case fieldCountMismatch(line: Int, keyword: String, fields: Int, found: Int)
    /// A TYPE/SIZE pair that is not I1/I2/I4/I8, U1/U2/U4/U8 or F4/F8.
    case unsupportedType(line: Int, field: String, type: String, size: Int)
    /// Two non-padding fields share a name.
    case duplicateField(line: Int, name: String)
    /// x, y or z is absent or has COUNT other than 1.
    case unusablePositionField(String)
    /// POINTS disagrees with WIDTH x HEIGHT.
    case pointCountMismatch(declared: Int, width: Int, height: Int)
    /// The header declares more points than the decoder's budget.
    case tooManyPoints(declared: Int, limit: Int)
    /// The binary data section is shorter than POINTS x record size.
    case truncatedData(dataOffset: Int, expectedBytes: Int, availableBytes: Int)
    /// The binary_compressed sizes disagree with the header.
    case compressedSizeMismatch(dataOffset: Int, declaredUncompressed: Int, expected: Int)
    /// The LZF stream is malformed at this byte offset of the file.
    case corruptCompressedData(byteOffset: Int, reason: String)
    /// An ASCII value that does not parse as the field's type.
    case invalidValue(line: Int, field: String, text: String)
    /// An ASCII point line with too few or too many values.
    case wrongValueCount(line: Int, expected: Int, found: Int)
    /// Fewer ASCII point lines than POINTS.
    case missingPoints(declared: Int, found: Int)

    public var description: String {
        switch self {
        case .missingDataLine(let read):
            "PCD header has no DATA line (read \(read) bytes)"
        case .invalidHeaderLine(let line, let text, let expected):
            "line \(line): invalid PCD header line '\(Excerpt.of(text))', expected \(expected)"
        case .missingHeaderEntry(let keyword):
            "PCD header has no \(keyword) line"
        case .fieldCountMismatch(let line, let keyword, let fields, let found):
            "line \(line): \(keyword) has \(found) values for \(fields) FIELDS"
        case .unsupportedType(let line, let field, let type, let size):
            "line \(line): field \(Excerpt.of(field)) has unsupported TYPE \(Excerpt.of(type)) with SIZE \(size), expected I/U with 1, 2, 4, 8 or F with 4, 8"
        case .duplicateField(let line, let name):
            "line \(line): field \(Excerpt.of(name)) appears twice"
        case .unusablePositionField(let name):
            "PCD has no usable field \(name) (needs COUNT 1)"
        case .pointCountMismatch(let declared, let width, let height):
            "POINTS \(declared) differs from WIDTH x HEIGHT = \(width) x \(height)"
        case .tooManyPoints(let declared, let limit):
            "PCD declares \(declared) points, above the limit of \(limit)"
        case .truncatedData(let offset, let expected, let available):
            "data at byte \(offset) needs \(expected) bytes, file has \(available)"
        case .compressedSizeMismatch(let offset, let declared, let expected):
            "binary_compressed block at byte \(offset) declares \(declared) uncompressed bytes, header implies \(expected)"
        case .corruptCompressedData(let offset, let reason):
            "corrupt LZF data at byte \(offset): \(reason)"
        case .invalidValue(let line, let field, let text):
            "line \(line): '\(Excerpt.of(text))' is not a valid value for field \(Excerpt.of(field))"
        case .wrongValueCount(let line, let expected, let found):
            "line \(line): expected \(expected) values, found \(found)"
        case .missingPoints(let declared, let found):
            "header declares \(declared) points, data has \(found)"
        }
    }
}
