/// A dense row-major matrix of `Double`: IoU matrices, cost matrices.
///
/// Element (row, column) is `elements[row * columns + column]`.
public struct Matrix: Sendable, Hashable, Codable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements, row after row.
    public var elements: [Double]

    /// A matrix holding `elements` row-major; `elements.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, elements: [Double]) {
        precondition(rows >= 0 && columns >= 0 && elements.count == rows * columns,
                     "Matrix: \(elements.count) elements do not fill \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix with every element equal to `value`.
    public init(rows: Int, columns: Int, repeating value: Double) {
        self.init(rows: rows, columns: columns, elements: Array(repeating: value, count: rows * columns))
    }

    /// A matrix from its rows; every row must have the same length.
    public init(_ rowArrays: [[Double]]) {
        let columns = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == columns }, "Matrix: rows of different lengths")
        self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.flatMap { $0 })
    }

    /// Element at `row`, `column`.
    @inlinable
    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
            return elements[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
            elements[row * columns + column] = newValue
        }
    }

    /// One row as an array.
    public func row(_ index: Int) -> [Double] {
        Array(elements[index * columns..<(index + 1) * columns])
    }

    /// The transpose.
    public var transposed: Matrix {
        var out = [Double](repeating: 0, count: elements.count)
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = elements[r * columns + c] }
        }
        return Matrix(rows: columns, columns: rows, elements: out)
    }
}
