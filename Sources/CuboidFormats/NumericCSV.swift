public import CuboidGeometry
import CuboidIO

/// A malformed numeric CSV file (box tables, cost matrices), with the line it was found on.
public enum NumericCSVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file has no header line.
    case missingHeader
    /// The header lacks a column the kind of table needs.
    case missingColumn(name: String, header: String)
    /// A header names the same column twice.
    case duplicateColumn(name: String)
    /// A row has a different number of fields from the header (or, in a matrix, from the first row).
    case wrongFieldCount(line: Int, expected: Int, found: Int)
    /// A field is not a finite decimal number.
    case invalidNumber(line: Int, column: String, text: String)
    /// A size (length, width, height) is negative.
    case negativeSize(line: Int, column: String, value: Double)
    /// The file is not UTF-8 text.
    case notText(byteOffset: Int)

    public var description: String {
        switch self {
        case .missingHeader: "line 1: expected a header line, found an empty file"
        case .missingColumn(let name, let header): "line 1: the header \"\(Excerpt.of(header))\" has no column \"\(Excerpt.of(name))\""
        case .duplicateColumn(let name): "line 1: the header names column \"\(Excerpt.of(name))\" twice"
        case .wrongFieldCount(let line, let expected, let found):
            "line \(line): expected \(expected) comma-separated fields, found \(found)"
        case .invalidNumber(let line, let column, let text):
            "line \(line), column \(Excerpt.of(column)): expected a finite number, found \"\(Excerpt.of(text))\""
        case .negativeSize(let line, let column, let value):
            "line \(line), column \(column): a size cannot be negative (\(value))"
        case .notText(let offset): "byte \(offset): expected UTF-8 text"
        }
    }
}

/// The kinds of box tables `cuboid iou` reads, by their CSV header.
public enum BoxTableKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Axis-aligned boxes, columns `x1,y1,x2,y2` (corners; x2 >= x1 and y2 >= y1 for a non-empty box).
    case twoD = "2d"
    /// Rotated ground-plane boxes, columns `x,y,l,w,yaw` (centre, length, width, radians).
    case bev
    /// Yaw-only cuboids, columns `x,y,z,l,w,h,yaw` (geometric centre, size, radians).
    case threeD = "3d"

    /// The header columns, in the documented order.
    public var columns: [String] {
        switch self {
        case .twoD: ["x1", "y1", "x2", "y2"]
        case .bev: ["x", "y", "l", "w", "yaw"]
        case .threeD: ["x", "y", "z", "l", "w", "h", "yaw"]
        }
    }
}

/// Boxes read from a CSV table: one kind per table.
public enum BoxTable: Sendable, Hashable {
    case twoD([Box2D])
    case bev([BEVBox])
    case threeD([Box3D])

    /// Number of boxes.
    public var count: Int {
        switch self {
        case .twoD(let boxes): boxes.count
        case .bev(let boxes): boxes.count
        case .threeD(let boxes): boxes.count
        }
    }

    /// Decodes a CSV table of boxes.
    ///
    /// The first line is a header naming at least the kind's columns (``BoxTableKind/columns``), in
    /// any order and any letter case; other columns are ignored. Every later non-empty line is one box.
    /// Fields are decimal numbers (surrounding spaces allowed); sizes must not be negative.
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - kind: The kind of box the table holds.
    /// - Throws: ``NumericCSVError`` naming the line and column.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8], kind: BoxTableKind) throws(NumericCSVError) -> BoxTable {
        let rows = try readRows(bytes, columns: kind.columns, sizeColumns: ["l", "w", "h"])
        switch kind {
        case .twoD:
            return .twoD(rows.map { Box2D(minX: $0[0], minY: $0[1], maxX: $0[2], maxY: $0[3]) })
        case .bev:
            return .bev(rows.map { BEVBox(centerX: $0[0], centerY: $0[1], length: $0[2], width: $0[3], yaw: $0[4]) })
        case .threeD:
            return .threeD(rows.map {
                Box3D(x: $0[0], y: $0[1], z: $0[2], length: $0[3], width: $0[4], height: $0[5], yaw: $0[6])
            })
        }
    }

    /// Reads and decodes a box table file.
    /// - Throws: `FileAccessError` when the file cannot be read; `FileDecodingError` wrapping a
    ///   ``NumericCSVError`` (with the path) when it is malformed.
    public static func read(_ path: String, kind: BoxTableKind) throws -> BoxTable {
        try FileBytes.decode(path) { (bytes) throws(NumericCSVError) in try decode(bytes, kind: kind) }
    }
}

/// Cost matrices as CSV: one row per line, comma-separated numbers, no header. `inf` and `nan`
/// are accepted (forbidden pairs for the assignment solvers).
public enum MatrixCSV {
    /// Decodes a matrix.
    /// - Throws: ``NumericCSVError`` naming the line.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(NumericCSVError) -> Matrix {
        let lines = try numberedLines(bytes, notText: NumericCSVError.notText(byteOffset:))
        var elements: [Double] = []
        var columns: Int?
        var rows = 0
        for (number, line) in lines where !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if let expected = columns, fields.count != expected {
                throw .wrongFieldCount(line: number, expected: expected, found: fields.count)
            }
            columns = fields.count
            for (k, field) in fields.enumerated() {
                let text = field.trimmingSpaces
                guard let value = Double(text) ?? (text.lowercased() == "inf" ? .infinity : nil) else {
                    throw .invalidNumber(line: number, column: String(k + 1), text: String(text))
                }
                elements.append(value)
            }
            rows += 1
        }
        return Matrix(rows: rows, columns: columns ?? 0, elements: elements)
    }

    /// Reads and decodes a matrix file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``NumericCSVError``.
    public static func read(_ path: String) throws -> Matrix {
        try FileBytes.decode(path, decode)
    }
}

/// Formats a Double so that reading the text back gives the same Double (shortest round-trip form).
public func roundTripText(_ value: Double) -> String {
    value.description
}

// MARK: - Parsing helpers

/// Rows of a headed CSV table, each the values of `columns` in that order.
private func readRows(_ bytes: [UInt8], columns: [String], sizeColumns: Set<String>) throws(NumericCSVError) -> [[Double]] {
    var lines = try numberedLines(bytes, notText: NumericCSVError.notText(byteOffset:))[...]
    // Skip a UTF-8 byte order mark and leading blank lines.
    while let first = lines.first, first.1.trimmingSpaces.isEmpty { lines.removeFirst() }
    guard let headerLine = lines.popFirst() else { throw .missingHeader }
    var headerText = headerLine.1
    if headerText.hasPrefix("\u{FEFF}") { headerText = headerText.dropFirst() }
    let names = headerText.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces.lowercased() }
    var positions: [Int] = []
    for column in columns {
        let matches = names.indices.filter { names[$0] == column }
        if matches.isEmpty { throw .missingColumn(name: column, header: String(headerText)) }
        if matches.count > 1 { throw .duplicateColumn(name: column) }
        positions.append(matches[0])
    }
    var rows: [[Double]] = []
    rows.reserveCapacity(lines.count)
    for (number, line) in lines where !line.trimmingSpaces.isEmpty {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == names.count else {
            throw .wrongFieldCount(line: number, expected: names.count, found: fields.count)
        }
        var row: [Double] = []
        row.reserveCapacity(columns.count)
        for (column, position) in zip(columns, positions) {
            let text = fields[position].trimmingSpaces
            guard let value = finiteNumber(text) else {
                throw .invalidNumber(line: number, column: column, text: String(text))
            }
            if sizeColumns.contains(column) && value < 0 {
                throw .negativeSize(line: number, column: column, value: value)
            }
            row.append(value)
        }
        rows.append(row)
    }
    return rows
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
