import CuboidIO
import CuboidPointClouds
import CuboidTestSupport
import Foundation
import Testing

/// Decodes and returns the typed error, failing the test if decoding succeeds or throws another type.
func pointCloudError(_ bytes: [UInt8], format: PointCloudFormat? = nil, maxPoints: Int = PointCloudCodec.defaultMaxPoints) -> PointCloudError? {
    do {
        _ = try PointCloudCodec.decode(bytes, format: format, maxPoints: maxPoints)
        return nil
    } catch {
        return error
    }
}

@Suite("Bad point cloud input")
struct BadPointCloudInputTests {
    static let pcdSamples = ["pcd/pcl/colored_cloud.pcd", "pcd/pcl/milk_color.pcd", "pcd/pcl/bun0.pcd", "sustechpoints/lidar/000970.pcd"]

    @Test("truncated real PCD files give typed errors", .enabled(if: SharedData.isAvailable, "needs ../shared/data"), arguments: pcdSamples)
    func truncatedPCD(path: String) {
        let bytes = SharedData.bytes(path)
        let header = Corruption.offset(afterLineStarting: "DATA", in: bytes)
        let dataEnd: Int
        if path.hasSuffix("bun0.pcd") {
            dataEnd = bytes.count
        } else if path.contains("milk") {
            dataEnd = header + 8 + Int(UInt32(bytes[header]) | UInt32(bytes[header + 1]) << 8 | UInt32(bytes[header + 2]) << 16 | UInt32(bytes[header + 3]) << 24)
        } else {
            let parsed = try! PCDHeader.parse(bytes)
            dataEnd = parsed.dataOffset + parsed.pointCount * parsed.recordSize
        }
        // ASCII data can only be caught missing whole lines; binary data missing even one byte.
        let last = path.hasSuffix("bun0.pcd") ? (header + dataEnd) / 2 : dataEnd - 1
        for cut in Set([0, 10, header / 2, header - 1, header, header + 3, (header + dataEnd) / 2, last]) where cut < dataEnd {
            let error = pointCloudError(Array(bytes[0..<cut]), format: .pcdBinary)
            #expect(error != nil, "\(path) cut at \(cut) decoded")
            if case .pcd = error {} else { Issue.record("\(path) cut at \(cut): \(String(describing: error))") }
        }
    }

    @Test("a truncated binary PCD names the data offset and sizes", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func truncatedBinaryDetails() {
        let bytes = SharedData.bytes("pcd/pcl/colored_cloud.pcd")
        let header = Corruption.offset(afterLineStarting: "DATA", in: bytes)
        #expect(pointCloudError(Array(bytes[0..<(header + 1000)])) == .pcd(.truncatedData(dataOffset: header, expectedBytes: 32_000, availableBytes: 1000)))
    }

    @Test("header lies give typed errors with the line", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func headerLies() {
        let bytes = SharedData.bytes("pcd/pcl/colored_cloud.pcd")
        #expect(pointCloudError(Corruption.replacing("POINTS 1000", with: "POINTS 2000", in: bytes)) == .pcd(.pointCountMismatch(declared: 2000, width: 1, height: 1000)))
        #expect(pointCloudError(Corruption.replacing("HEIGHT 1000", with: "HEIGHT 9000", in: Corruption.replacing("POINTS 1000", with: "POINTS 9000", in: bytes)))
            == .pcd(.truncatedData(dataOffset: 241, expectedBytes: 288_000, availableBytes: 32_000)))
        #expect(pointCloudError(Corruption.replacing("SIZE 4 4 4 4", with: "SIZE 4 4 4 3", in: bytes)) == .pcd(.unsupportedType(line: 5, field: "rgb", type: "U", size: 3)))
        #expect(pointCloudError(Corruption.replacing("TYPE F F F U", with: "TYPE F F F Q", in: bytes)) == .pcd(.unsupportedType(line: 5, field: "rgb", type: "Q", size: 4)))
        #expect(pointCloudError(Corruption.replacing("COUNT 1 1 1 1 1 1 1 1", with: "COUNT 1 1 1 1 1 1 1", in: bytes)) == .pcd(.fieldCountMismatch(line: 6, keyword: "COUNT", fields: 8, found: 7)))
        #expect(pointCloudError(Corruption.replacing("WIDTH 1", with: "WIDTH nan", in: bytes)) == .pcd(.invalidHeaderLine(line: 7, text: "WIDTH nan", expected: "one non-negative integer")))
        #expect(pointCloudError(Corruption.replacing("DATA binary", with: "DATA zipped", in: bytes)) == .pcd(.invalidHeaderLine(line: 11, text: "DATA zipped", expected: "DATA ascii, binary or binary_compressed")))
        #expect(pointCloudError(Corruption.replacing("FIELDS x y z", with: "FIELDS a y z", in: bytes)) == .pcd(.unusablePositionField("x")))
        #expect(pointCloudError(Corruption.replacing("DATA binary", with: "DATE binary", in: bytes)) != nil)
    }

    @Test("a header that claims billions of points is refused before allocating")
    func hugeClaims() {
        let header = "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 4000000000\nHEIGHT 1\nPOINTS 4000000000\nDATA "
        #expect(pointCloudError(Array((header + "binary\n").utf8)) == .pcd(.tooManyPoints(declared: 4_000_000_000, limit: PointCloudCodec.defaultMaxPoints)))
        #expect(pointCloudError(Array((header + "ascii\n1 2 3\n").utf8), maxPoints: .max) == .pcd(.missingPoints(declared: 4_000_000_000, found: 1)))
        let compressed = Array((header + "binary_compressed\n").utf8) + [16, 0, 0, 0, 0, 0, 0, 0xF0]
        #expect(pointCloudError(compressed, maxPoints: 10_000_000_000) == .pcd(.compressedSizeMismatch(dataOffset: compressed.count - 8, declaredUncompressed: 0xF000_0000, expected: 48_000_000_000)))
        let ply = "ply\nformat binary_little_endian 1.0\nelement vertex 3000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
        #expect(pointCloudError(Array(ply.utf8)) == .ply(.tooManyPoints(declared: 3_000_000_000, limit: PointCloudCodec.defaultMaxPoints)))
    }

    @Test("ASCII PCD errors name the line")
    func asciiErrors() {
        let header = "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z label\nSIZE 4 4 4 1\nTYPE F F F U\nCOUNT 1 1 1 1\nWIDTH 3\nHEIGHT 1\nPOINTS 3\nDATA ascii\n"
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 x 4\n1 2 3 4\n").utf8)) == .pcd(.invalidValue(line: 12, field: "z", text: "x")))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3\n1 2 3 4\n").utf8)) == .pcd(.wrongValueCount(line: 12, expected: 4, found: 3)))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 4 5\n1 2 3 4\n").utf8)) == .pcd(.wrongValueCount(line: 12, expected: 4, found: 5)))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 300\n1 2 3 4\n").utf8)) == .pcd(.invalidValue(line: 12, field: "label", text: "300")))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 -1\n").utf8)) == .pcd(.invalidValue(line: 12, field: "label", text: "-1")))
        #expect(pointCloudError(Array((header + "1 2 3 4\n\n1 2 3 4\n").utf8)) == .pcd(.missingPoints(declared: 3, found: 2)))
        // NaN where a count is expected.
        #expect(pointCloudError(Array(header.replacingOccurrences(of: "COUNT 1 1 1 1", with: "COUNT 1 1 1 nan").utf8))
            == .pcd(.invalidHeaderLine(line: 6, text: "COUNT 1 1 1 nan", expected: "element counts")))
        // nan values in float fields are data, not errors.
        #expect(pointCloudError(Array((header + "nan nan nan 0\n1 2 3 4\n-inf 2 3 4\n").utf8)) == nil)
    }

    @Test("corrupt binary_compressed data gives a typed error", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func corruptCompressed() {
        let bytes = SharedData.bytes("pcd/pcl/milk_color.pcd")
        let data = Corruption.offset(afterLineStarting: "DATA", in: bytes)
        var damaged = bytes
        damaged[data + 8] = 0xFF  // a back reference before the start of the output
        #expect(pointCloudError(damaged) == .pcd(.corruptCompressedData(byteOffset: data + 8, reason: "back reference points before the start of the output")))
        for copy in Corruption.randomOverwrites(bytes, copies: 50, count: 4, range: (data + 8)..<bytes.count, seed: 7) {
            _ = pointCloudError(copy)  // must not crash; some damage only changes values
        }
    }

    @Test("PLY errors", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func plyErrors() {
        let bytes = SharedData.bytes("ply/d60558d2-d1aa-34ee-a902-e061e346e02a__PC_315971347819783000.ply")
        let header = Corruption.offset(afterLineStarting: "end_header", in: bytes)
        #expect(pointCloudError(Array(bytes[0..<(header + 100)])) == .ply(.truncatedData(element: "vertex", row: 6, byteOffset: header + 100)))
        #expect(pointCloudError(Array(bytes[0..<(header - 5)])) == .ply(.invalidHeaderLine(line: 9, text: "end_he", expected: "format, comment, obj_info, element, property or end_header")))
        #expect(pointCloudError(Array(bytes[0..<(header - 11)])) == .ply(.missingEndHeader(headerBytesRead: header - 11)))
        #expect(pointCloudError(Corruption.replacing("property float x", with: "property flt x", in: bytes))
            == .ply(.invalidHeaderLine(line: 4, text: "property flt x", expected: "property TYPE NAME with TYPE one of char uchar short ushort int uint float double")))
        #expect(pointCloudError(Corruption.replacing("property float x", with: "property float q", in: bytes)) == .ply(.missingVertexProperty("x")))
        #expect(pointCloudError(Corruption.replacing("ply", with: "plx", in: bytes), format: .plyBinaryLittleEndian) == .ply(.notPLY))
        for cut in Corruption.truncations(bytes, headerLength: header) {
            #expect(pointCloudError(cut, format: .plyBinaryLittleEndian) != nil)
        }
    }

    @Test("ASCII PLY errors name the line")
    func plyASCII() {
        let header = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty uchar i\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 4\n3 0 1 1\n").utf8)) == nil)
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 three 4\n3 0 1 1\n").utf8)) == .ply(.invalidValue(line: 12, element: "vertex", property: "z", text: "three")))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 999\n3 0 1 1\n").utf8)) == .ply(.invalidValue(line: 12, element: "vertex", property: "i", text: "999")))
        #expect(pointCloudError(Array((header + "1 2 3 4\n1 2 3 4\n3 0 1\n").utf8)) == .ply(.missingValues(line: 14, element: "face", row: 0)))
        let decoded = try? PointCloudCodec.decode(Array((header + "1 2 3 4\n5 6 7 8\n3 0 1 1\n").utf8))
        #expect(decoded?.cloud.x == [1, 5])
        #expect(decoded?.notes == ["dropped PLY element 'face' (1 rows)"])
    }

    @Test("big-endian PLY with a list property before the scalars")
    func bigEndianWithLists() throws {
        var body: [UInt8] = []
        for (index, value) in [Float(1.5), -2, 3].enumerated() {
            body += [2] + withUnsafeBytes(of: Int16(index).bigEndian, Array.init) + withUnsafeBytes(of: Int16(7).bigEndian, Array.init)
            body += withUnsafeBytes(of: value.bitPattern.bigEndian, Array.init)
            body += withUnsafeBytes(of: (value * 2).bitPattern.bigEndian, Array.init)
            body += withUnsafeBytes(of: (value * 3).bitPattern.bigEndian, Array.init)
        }
        let header = "ply\nformat binary_big_endian 1.0\nelement vertex 3\nproperty list uchar short ids\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
        let decoded = try PointCloudCodec.decode(Array(header.utf8) + body)
        #expect(decoded.cloud.x == [1.5, -2, 3])
        #expect(decoded.cloud.z == [4.5, -6, 9])
        #expect(decoded.notes == ["dropped vertex list property 'ids'"])
    }

    @Test("KITTI and nuScenes sweeps that are not whole records")
    func partialRecords() {
        #expect(pointCloudError([UInt8](repeating: 0, count: 33), format: .kittiBin) == .binaryScan(.partialRecord(byteCount: 33, recordSize: 16, byteOffset: 32)))
        #expect(pointCloudError([UInt8](repeating: 0, count: 48), format: .nuScenesBin) == .binaryScan(.partialRecord(byteCount: 48, recordSize: 20, byteOffset: 40)))
        #expect(pointCloudError([1, 2, 3]) == .unrecognizedFormat)
    }

    @Test("random damage to every real cloud never crashes", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func randomDamage() {
        for path in SharedData.files(under: "pcd/pcl", suffixes: [".pcd"]).prefix(12) + ["ply/d60558d2-d1aa-34ee-a902-e061e346e02a__PC_315971347819783000.ply"] {
            let bytes = SharedData.bytes(path)
            let headerEnd = min(bytes.count, 400)
            for copy in Corruption.randomOverwrites(bytes, copies: 20, count: 3, range: 0..<headerEnd, seed: 11) {
                _ = pointCloudError(copy)
            }
        }
    }

    @Test("a file error names the path")
    func fileErrors() throws {
        #expect(throws: FileAccessError.self) { try PointCloudCodec.read("/nonexistent/cloud.pcd") }
        do {
            _ = try PointCloudCodec.read(SharedData.projectRoot + "/Package.swift")
            Issue.record("Package.swift decoded as a point cloud")
        } catch let error as FileDecodingError {
            #expect(error.description.hasPrefix(SharedData.projectRoot + "/Package.swift: "))
        }
    }
}

@Suite("Point cloud size checks before reading")
struct PointCloudSizeCheckTests {
    /// A headerless sweep's point count is its size over its record size: a 5 GiB sparse `.bin` or
    /// `.pcd.bin` (hundreds of millions of points) is refused from `fstat`, naming the file, its size and
    /// the point budget, without reading it.
    @Test("an oversized sweep is refused from its size", arguments: [
        (name: "big.bin", format: nil as PointCloudFormat?, recordSize: 16),
        (name: "big.pcd.bin", format: nil, recordSize: 20),
        (name: "big.dat", format: .kittiBin, recordSize: 16),
    ])
    func oversizedSweep(name: String, format: PointCloudFormat?, recordSize: Int) throws {
        let folder = try scratchFolder("clouds-size")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        let size = 5 << 30
        try sparseFile(path, size: size)
        do {
            _ = try PointCloudCodec.read(path, format: format)
            Issue.record("\(name) was read")
        } catch let error as FileDecodingError {
            let expected = BinaryScanCodec.Error.tooManyPoints(count: size / recordSize, limit: PointCloudCodec.defaultMaxPoints,
                                                                byteCount: size, recordSize: recordSize)
            #expect(error.underlying as? PointCloudError == .binaryScan(expected))
            #expect(error.description == "\(path): binary sweep: 5368709120 bytes hold \(size / recordSize) \(recordSize)-byte points, above the limit of 200000000 points")
        }
    }

    /// The budget is the caller's: 11 points of a small file are refused with maxPoints 10, 10 read.
    @Test func pointBudgetIsCheckedFromTheSize() throws {
        let folder = try scratchFolder("clouds-size")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/eleven.bin"
        try FileBytes.writeAtomically([UInt8](repeating: 0, count: 11 * 16), to: path)
        #expect(throws: FileDecodingError.self) { try PointCloudCodec.read(path, maxPoints: 10) }
        #expect(try PointCloudCodec.read(path, maxPoints: 11).cloud.count == 11)
    }

    @Test("byte limits follow the point budget", arguments: [
        (format: PointCloudFormat?.some(.kittiBin), path: nil as String?, limit: 3_200_000_000),
        (format: nil, path: "a.pcd.bin", limit: 4_000_000_000),
        (format: nil, path: "a.pcd", limit: 4_000_000_000),
        (format: .plyASCII, path: nil, limit: 4_000_000_000),
    ])
    func byteLimits(format: PointCloudFormat?, path: String?, limit: Int) {
        #expect(PointCloudCodec.fileByteLimit(format: format, path: path) == limit)
        // A small budget still lets PCD and PLY headers be read and checked.
        #expect(PointCloudCodec.fileByteLimit(format: .pcdBinary, maxPoints: 1) == FileBytes.defaultMaxBytes)
    }

    /// A 5 GiB sparse PCD is above the 4 GB byte limit: refused unread with its size.
    @Test func oversizedPCDIsRefusedUnread() throws {
        let folder = try scratchFolder("clouds-size")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/big.pcd"
        try sparseFile(path, size: 5 << 30)
        #expect(throws: FileAccessError.tooLarge(path: path, size: 5 << 30, limit: 4_000_000_000)) { try PointCloudCodec.read(path) }
    }

    /// A 6 MB FIELDS line (or field name, or PLY element name) is quoted in at most 200 bytes.
    @Test("huge header text is cut in messages", arguments: ["fields", "name", "ply"])
    func hugeHeaderText(kind: String) {
        let huge = String(repeating: "q", count: 6_000_000)
        let text: String
        switch kind {
        case "fields":
            text = "# .PCD v0.7\nVERSION 0.7\nFIELDS " + (0..<700_000).map { "f\($0)" }.joined(separator: " ") + "\nSIZE 4\nTYPE F\nCOUNT 1\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1\n"
        case "name":
            text = "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z \(huge)\nSIZE 4 4 4 3\nTYPE F F F F\nCOUNT 1 1 1 1\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1 2 3 4\n"
        default:
            text = "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement \(huge) 1\nproperty float a\nend_header\n1 2 3\n"
        }
        let error = pointCloudError(Array(text.utf8))
        #expect(error != nil)
        let message = String(describing: error!)
        #expect(message.utf8.count < 1000, "\(message.utf8.count) bytes")
        #expect(message.contains("bytes)") || message.contains("line"), "\(message)")
    }
}

@Suite("Point cloud headers checked before reading")
struct PointCloudHeaderCheckTests {
    /// A 3 GiB file (under the 4 GB byte limit) whose first bytes are no point cloud, or a header over
    /// the point budget, is refused from its first 64 KiB instead of being read whole.
    @Test("large files are refused from their header", arguments: ["zeros", "pcd", "ply"])
    func refusedFromHeader(kind: String) throws {
        let folder = try scratchFolder("clouds-header")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/big." + (kind == "ply" ? "ply" : "pcd")
        try sparseFile(path, size: 3 << 30)
        let header: String
        let expected: PointCloudError
        switch kind {
        case "pcd":
            header = "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 250000000\nHEIGHT 1\nPOINTS 250000000\nDATA binary\n"
            expected = .pcd(.tooManyPoints(declared: 250_000_000, limit: PointCloudCodec.defaultMaxPoints))
        case "ply":
            header = "ply\nformat binary_little_endian 1.0\nelement vertex 250000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
            expected = .ply(.tooManyPoints(declared: 250_000_000, limit: PointCloudCodec.defaultMaxPoints))
        default:
            header = ""
            expected = .unrecognizedFormat
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data(header.utf8))
        try handle.close()
        do {
            _ = try PointCloudCodec.read(path)
            Issue.record("read")
        } catch let error as FileDecodingError {
            #expect(error.path == path && error.underlying as? PointCloudError == expected)
        }
    }
}
