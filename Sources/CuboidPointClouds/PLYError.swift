import CuboidIO
/// Why bytes are not a valid PLY 1.0 point cloud. Header problems carry the 1-based line number,
/// binary data problems the byte offset, ASCII data problems the line.
public enum PLYError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file does not start with the `ply` magic line.
    case notPLY
    /// No `end_header` line within the header size limit.
    case missingEndHeader(headerBytesRead: Int)
    /// A header line that is not valid PLY.
    case invalidHeaderLine(line: Int, text: String, expected: String)
    /// There is no `vertex` element, or it lacks a float-convertible x, y or z.
    case missingVertexProperty(String)
    /// The header declares more vertices than the decoder's budget.
    case tooManyPoints(declared: Int, limit: Int)
    /// Binary data ends inside element `element`, row `row`.
    case truncatedData(element: String, row: Int, byteOffset: Int)
    /// A list property's count is negative.
    case invalidListCount(element: String, row: Int, byteOffset: Int)
    /// An ASCII value that does not parse as the property's type.
    case invalidValue(line: Int, element: String, property: String, text: String)
    /// ASCII data ends before all rows are read.
    case missingValues(line: Int, element: String, row: Int)

    public var description: String {
        switch self {
        case .notPLY: "not a PLY file: byte 0 does not start with the line 'ply'"
        case .missingEndHeader(let read): "PLY header has no end_header line (read \(read) bytes)"
        case .invalidHeaderLine(let line, let text, let expected): "line \(line): invalid PLY header line '\(Excerpt.of(text))', expected \(expected)"
        case .missingVertexProperty(let name): "PLY has no vertex element with a numeric property \(name)"
        case .tooManyPoints(let declared, let limit): "PLY declares \(declared) vertices, above the limit of \(limit)"
        case .truncatedData(let element, let row, let offset): "data ends at byte \(offset), inside \(Excerpt.of(element)) row \(row)"
        case .invalidListCount(let element, let row, let offset): "byte \(offset): negative list count in \(Excerpt.of(element)) row \(row)"
        case .invalidValue(let line, let element, let property, let text):
            "line \(line): '\(Excerpt.of(text))' is not a valid value for \(Excerpt.of(element)).\(Excerpt.of(property))"
        case .missingValues(let line, let element, let row): "line \(line): data ends inside \(Excerpt.of(element)) row \(row)"
        }
    }
}
