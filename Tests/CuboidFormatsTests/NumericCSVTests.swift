import CuboidFormats
import CuboidGeometry
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A malformed table and the error it must give.
struct MalformedTable: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    let kind: BoxTableKind
    let error: NumericCSVError
    var testDescription: String { name }
}

let malformedTables: [MalformedTable] = [
    MalformedTable(name: "empty file", text: "", kind: .bev, error: .missingHeader),
    MalformedTable(name: "missing column", text: "x,y,l,w\n1,2,3,4\n", kind: .bev, error: .missingColumn(name: "yaw", header: "x,y,l,w")),
    MalformedTable(name: "duplicate column", text: "x,y,l,w,yaw,x\n", kind: .bev, error: .duplicateColumn(name: "x")),
    MalformedTable(name: "short row", text: "x,y,l,w,yaw\n1,2,3,4,0\n1,2,3\n", kind: .bev, error: .wrongFieldCount(line: 3, expected: 5, found: 3)),
    MalformedTable(name: "not a number", text: "x1,y1,x2,y2\n0,0,1,1\n0,0,one,1\n", kind: .twoD,
                   error: .invalidNumber(line: 3, column: "x2", text: "one")),
    MalformedTable(name: "infinite value", text: "x,y,z,l,w,h,yaw\n0,0,0,1,1,1,inf\n", kind: .threeD,
                   error: .invalidNumber(line: 2, column: "yaw", text: "inf")),
    MalformedTable(name: "negative size", text: "x,y,z,l,w,h,yaw\n0,0,0,1,-1,1,0\n", kind: .threeD,
                   error: .negativeSize(line: 2, column: "w", value: -1)),
    MalformedTable(name: "empty field", text: "x,y,l,w,yaw\n1,,3,4,0\n", kind: .bev, error: .invalidNumber(line: 2, column: "y", text: "")),
]

@Suite("Numeric CSV tables")
struct NumericCSVTests {
    @Test("reads each kind, columns in any order and case, extra columns ignored, CRLF and blank lines")
    func reads() throws {
        let table = try BoxTable.decode(bytes("ID,yaw,X,y,w,l\r\n7,0.5,1,2,1.8,4.2\r\n\r\n8, -3.0 ,1e3,2,0,0\r\n"), kind: .bev)
        #expect(table == .bev([BEVBox(centerX: 1, centerY: 2, length: 4.2, width: 1.8, yaw: 0.5),
                               BEVBox(centerX: 1000, centerY: 2, length: 0, width: 0, yaw: -3)]))
        let boxes = try BoxTable.decode(bytes("x1,y1,x2,y2\n0,1,2,3"), kind: .twoD)
        #expect(boxes == .twoD([Box2D(minX: 0, minY: 1, maxX: 2, maxY: 3)]))
        let cuboids = try BoxTable.decode(bytes("\u{FEFF}x,y,z,l,w,h,yaw\n1,2,3,4,5,6,0.1\n"), kind: .threeD)
        #expect(cuboids == .threeD([Box3D(x: 1, y: 2, z: 3, length: 4, width: 5, height: 6, yaw: 0.1)]))
        #expect(try BoxTable.decode(bytes("x,y,l,w,yaw\n"), kind: .bev).count == 0)
    }

    @Test("malformed tables name the line and column", arguments: malformedTables)
    func malformed(table: MalformedTable) {
        #expect(throws: table.error) { try BoxTable.decode(bytes(table.text), kind: table.kind) }
    }

    @Test("invalid UTF-8 gives the byte offset")
    func notText() {
        #expect(throws: NumericCSVError.notText(byteOffset: 5)) { try BoxTable.decode([120, 44, 121, 10, 49, 0xFF], kind: .bev) }
    }

    @Test("matrices: rows of numbers, inf and nan allowed, ragged rows rejected")
    func matrices() throws {
        let m = try MatrixCSV.decode(bytes("1, 2.5,inf\n-1,nan,0\n"))
        #expect(m.rows == 2 && m.columns == 3 && m[0, 2] == .infinity && m[1, 1].isNaN)
        #expect(throws: NumericCSVError.wrongFieldCount(line: 2, expected: 2, found: 1)) { try MatrixCSV.decode(bytes("1,2\n3\n")) }
        #expect(throws: NumericCSVError.invalidNumber(line: 1, column: "2", text: "x")) { try MatrixCSV.decode(bytes("1,x\n")) }
    }

    @Test("every Double printed by roundTripText reads back identically")
    func roundTrip() {
        for value in [0.0, 1.0, 1.0 / 3.0, 0.1 + 0.2, 1e-300, .leastNonzeroMagnitude, 123_456_789.123_456_78, -0.0] {
            #expect(Double(roundTripText(value))!.bitPattern == value.bitPattern)
        }
    }
}
