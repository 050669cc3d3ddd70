import CuboidIO
/// Reads and writes PLY 1.0 point clouds: ascii, binary_little_endian and binary_big_endian, any
/// property types, a `vertex` element beside other elements.
///
/// The `vertex` element's x, y, z become positions and its other scalar properties attributes.
/// Other elements (faces, edges) are parsed to validate the file and then dropped, with a note; list
/// properties on vertices are dropped the same way.
public enum PLYCodec {
    /// What a decode returns besides the cloud.
    public struct Report: Sendable, Hashable {
        public var header: PLYHeader
        /// Human-readable notes about data that was not kept (other elements, vertex lists).
        public var notes: [String]
    }

    /// Decodes a PLY file from memory.
    ///
    /// - Throws: ``PLYError`` with the header line, data line or byte offset.
    /// - Complexity: O(file size).
    public static func decode(_ bytes: [UInt8], maxPoints: Int = PointCloudCodec.defaultMaxPoints) throws(PLYError) -> (PointCloud, Report) {
        try bytes.withRawBytes { (raw) throws(PLYError) in try decode(raw, maxPoints: maxPoints) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPoints: Int) throws(PLYError) -> (PointCloud, Report) {
        let header = try PLYHeader.parse(bytes)
        guard let vertexIndex = header.elements.firstIndex(where: { $0.name == "vertex" }) else {
            throw .missingVertexProperty("x")
        }
        let vertex = header.elements[vertexIndex]
        for axis in ["x", "y", "z"] where !vertex.properties.contains(where: { $0.name == axis && $0.listCountType == nil }) {
            throw .missingVertexProperty(axis)
        }
        guard vertex.count <= maxPoints else { throw .tooManyPoints(declared: vertex.count, limit: maxPoints) }
        var notes: [String] = []
        for element in header.elements where element.name != "vertex" {
            notes.append("dropped PLY element '\(Excerpt.of(element.name))' (\(element.count) rows)")
        }
        for property in vertex.properties where property.listCountType != nil {
            notes.append("dropped vertex list property '\(Excerpt.of(property.name))'")
        }
        let cloud: PointCloud
        if header.encoding == .ascii {
            cloud = try decodeASCII(bytes, header, vertexIndex: vertexIndex)
        } else {
            cloud = try decodeBinary(bytes, header, vertexIndex: vertexIndex)
        }
        return (cloud, Report(header: header, notes: notes))
    }

    // MARK: - Binary

    private static func decodeBinary(_ bytes: UnsafeRawBufferPointer, _ header: PLYHeader, vertexIndex: Int) throws(PLYError) -> PointCloud {
        let swap = header.encoding == .binaryBigEndian
        var offset = header.dataOffset
        var cloud: PointCloud?
        for (index, element) in header.elements.enumerated() {
            if index == vertexIndex, let row = element.fixedRowSize {
                let (size, overflow) = element.count.multipliedReportingOverflow(by: row)
                guard !overflow, offset + size <= bytes.count else {
                    let complete = row == 0 ? 0 : (bytes.count - offset) / row
                    throw .truncatedData(element: element.name, row: complete, byteOffset: bytes.count)
                }
                cloud = vertexColumns(bytes.baseAddress! + offset, stride: row, element: element, swap: swap)
                offset += size
            } else if index == vertexIndex {
                // Rows with list properties: find each row's start, then gather the scalar columns.
                var starts = [Int]()
                starts.reserveCapacity(element.count)
                for row in 0..<element.count {
                    starts.append(offset)
                    offset = try skipRow(bytes, offset, element, row: row, swap: swap)
                }
                cloud = vertexColumns(bytes, rowStarts: starts, element: element, swap: swap)
            } else if let row = element.fixedRowSize {
                let (size, overflow) = element.count.multipliedReportingOverflow(by: row)
                guard !overflow, offset + size <= bytes.count else {
                    throw .truncatedData(element: element.name, row: row == 0 ? 0 : (bytes.count - offset) / row, byteOffset: bytes.count)
                }
                offset += size
            } else {
                for row in 0..<element.count { offset = try skipRow(bytes, offset, element, row: row, swap: swap) }
            }
        }
        return cloud!
    }

    private static func skipRow(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ element: PLYHeader.Element, row: Int, swap: Bool) throws(PLYError) -> Int {
        var offset = start
        for property in element.properties {
            if let countType = property.listCountType {
                guard offset + countType.byteCount <= bytes.count else {
                    throw .truncatedData(element: element.name, row: row, byteOffset: bytes.count)
                }
                let count = readInteger(bytes.baseAddress! + offset, countType, swap: swap)
                guard count >= 0 else { throw .invalidListCount(element: element.name, row: row, byteOffset: offset) }
                offset += countType.byteCount
                let (size, overflow) = count.multipliedReportingOverflow(by: property.type.byteCount)
                guard !overflow, size <= bytes.count - offset else {
                    throw .truncatedData(element: element.name, row: row, byteOffset: bytes.count)
                }
                offset += size
            } else {
                guard offset + property.type.byteCount <= bytes.count else {
                    throw .truncatedData(element: element.name, row: row, byteOffset: bytes.count)
                }
                offset += property.type.byteCount
            }
        }
        return offset
    }

    private static func readInteger(_ pointer: UnsafeRawPointer, _ type: ScalarType, swap: Bool) -> Int {
        func load<T: FixedWidthInteger & BitwiseCopyable>(_: T.Type) -> Int {
            let raw = pointer.loadUnaligned(as: T.self)
            return Int(truncatingIfNeeded: swap ? raw.byteSwapped : raw)
        }
        switch type {
        case .int8: return load(Int8.self)
        case .uint8: return load(UInt8.self)
        case .int16: return load(Int16.self)
        case .uint16: return load(UInt16.self)
        case .int32: return load(Int32.self)
        case .uint32: return load(UInt32.self)
        case .int64: return load(Int64.self)
        case .uint64: let v = load(UInt64.self); return v < 0 ? -1 : v
        case .float32, .float64: return -1
        }
    }

    private static func scalarOffsets(_ element: PLYHeader.Element) -> [(PLYHeader.Property, Int)] {
        var result: [(PLYHeader.Property, Int)] = []
        var offset = 0
        for property in element.properties {
            result.append((property, offset))
            offset += property.type.byteCount
        }
        return result
    }

    /// The cloud from the vertex element's scalar properties (the first of a repeated name wins):
    /// x, y, z become positions, the others attributes. `positions` may convert an axis straight to
    /// Float; by default it goes through `values`.
    private static func vertexCloud(
        _ element: PLYHeader.Element, values: (Int, PLYHeader.Property) -> AttributeValues,
        positions: ((Int, PLYHeader.Property) -> [Float])? = nil
    ) -> PointCloud {
        var axes: [String: [Float]] = [:]
        var attributes: [PointAttribute] = []
        var seen = Set<String>()
        for (index, property) in element.properties.enumerated() where property.listCountType == nil && seen.insert(property.name).inserted {
            if ["x", "y", "z"].contains(property.name) {
                axes[property.name] = positions?(index, property) ?? values(index, property).floats()
            } else {
                attributes.append(PointAttribute(name: property.name, values: values(index, property)))
            }
        }
        return PointCloud(x: axes["x"]!, y: axes["y"]!, z: axes["z"]!, attributes: attributes)
    }

    /// Values from a column of raw host-order bytes.
    private static func values(_ type: ScalarType, raw: [UInt8]) -> AttributeValues {
        raw.withUnsafeBytes { source in
            AttributeValues.make(type, count: source.count / type.byteCount) { target in
                if source.count > 0 { target.copyMemory(from: source) }
            }
        }
    }

    private static func vertexColumns(_ base: UnsafeRawPointer, stride: Int, element: PLYHeader.Element, swap: Bool) -> PointCloud {
        let count = element.count
        let offsets = scalarOffsets(element).map(\.1)
        return vertexCloud(
            element,
            values: { index, property in
                gatherValues(property.type, componentCount: 1, from: base + offsets[index], stride: stride, count: count, swap: swap)
            },
            positions: { index, property in
                gatherFloatArray(property.type, from: base + offsets[index], stride: stride, count: count, swap: swap)
            })
    }

    private static func vertexColumns(_ bytes: UnsafeRawBufferPointer, rowStarts: [Int], element: PLYHeader.Element, swap: Bool) -> PointCloud {
        // Scalar properties after a list move from row to row: walk each row up to the property.
        vertexCloud(element) { index, property in
            let size = property.type.byteCount
            var column = [UInt8](repeating: 0, count: rowStarts.count * size)
            for (row, start) in rowStarts.enumerated() {
                var offset = start
                for candidate in element.properties[..<index] {
                    if let countType = candidate.listCountType {
                        let n = readInteger(bytes.baseAddress! + offset, countType, swap: swap)
                        offset += countType.byteCount + n * candidate.type.byteCount
                    } else {
                        offset += candidate.type.byteCount
                    }
                }
                for b in 0..<size { column[row * size + b] = bytes[offset + (swap ? size - 1 - b : b)] }
            }
            return values(property.type, raw: column)
        }
    }

    // MARK: - ASCII

    private static func decodeASCII(_ bytes: UnsafeRawBufferPointer, _ header: PLYHeader, vertexIndex: Int) throws(PLYError) -> PointCloud {
        let range = min(header.dataOffset, bytes.count)..<bytes.count
        let firstLine = lineNumber(of: range.lowerBound, in: bytes)
        let vertex = header.elements[vertexIndex]
        // Each scalar takes at least two bytes of text ("0 "), so the vertex count is bounded by the data.
        let scalarCount = max(1, vertex.properties.count)
        guard vertex.count <= range.count / (2 * scalarCount) + 1 else {
            throw .missingValues(line: firstLine + newlineCount(bytes, range), element: "vertex", row: 0)
        }
        var columns = vertex.properties.map { [UInt8](repeating: 0, count: $0.listCountType == nil ? vertex.count * $0.type.byteCount : 0) }
        let result: Result<Void, PLYError> = withTerminatedText(bytes, range) { text, length in
            var scanner = TextScanner(base: text, end: length, position: 0)
            var line = firstLine
            func advance() {
                // Count newlines skipped so errors can name the line.
                while scanner.position < length {
                    let c = scanner.base[scanner.position]
                    if c == 0x0A { line += 1 } else if !(c == 0x20 || c == 0x09 || c == 0x0D) { break }
                    scanner.position += 1
                }
            }
            var scratch = [UInt8](repeating: 0, count: 8)
            for (elementIndex, element) in header.elements.enumerated() {
                for row in 0..<element.count {
                    for (propertyIndex, property) in element.properties.enumerated() {
                        var items = 1
                        if let countType = property.listCountType {
                            advance()
                            if scanner.position >= length { return .failure(.missingValues(line: line, element: element.name, row: row)) }
                            let ok = scratch.withUnsafeMutableBytes { scanner.parse(countType, into: $0.baseAddress!) }
                            guard ok else { return .failure(.invalidValue(line: line, element: element.name, property: property.name, text: scanner.token())) }
                            items = scratch.withUnsafeBytes { readInteger($0.baseAddress!, countType, swap: false) }
                            guard items >= 0 else { return .failure(.invalidValue(line: line, element: element.name, property: property.name, text: String(items))) }
                        }
                        for _ in 0..<items {
                            advance()
                            if scanner.position >= length { return .failure(.missingValues(line: line, element: element.name, row: row)) }
                            let keep = elementIndex == vertexIndex && property.listCountType == nil
                            let ok: Bool
                            if keep {
                                ok = columns[propertyIndex].withUnsafeMutableBytes {
                                    scanner.parse(property.type, into: $0.baseAddress! + row * property.type.byteCount)
                                }
                            } else {
                                ok = scratch.withUnsafeMutableBytes { scanner.parse(property.type, into: $0.baseAddress!) }
                            }
                            guard ok else { return .failure(.invalidValue(line: line, element: element.name, property: property.name, text: scanner.token())) }
                        }
                    }
                }
            }
            return .success(())
        }
        try result.get()
        return vertexCloud(vertex) { index, property in values(property.type, raw: columns[index]) }
    }

    // MARK: - Encoding

    /// Encodes a cloud as a PLY `vertex` element: x, y, z as `float`, then one property per
    /// attribute component (an attribute with several components becomes `name_0`, `name_1`, ...).
    /// 64-bit integer attributes, which PLY cannot hold, are written as `double`.
    ///
    /// - Complexity: O(n).
    public static func encode(_ cloud: PointCloud, encoding: PLYEncoding) -> [UInt8] {
        var columns: [(name: String, type: ScalarType, source: AttributeValues, component: Int, stride: Int)] = [
            ("x", .float32, .float32(cloud.x), 0, 1), ("y", .float32, .float32(cloud.y), 0, 1), ("z", .float32, .float32(cloud.z), 0, 1),
        ]
        for attribute in cloud.attributes {
            var values = attribute.values
            if PLYHeader.typeName(attribute.scalarType) == nil {
                values = .float64((0..<values.count).map { attribute.values[$0] })
            }
            for component in 0..<attribute.componentCount {
                let name = attribute.componentCount == 1 ? attribute.name : "\(attribute.name)_\(component)"
                columns.append((name, values.scalarType, values, component, attribute.componentCount))
            }
        }
        var header = "ply\nformat \(encoding.rawValue) 1.0\ncomment written by Cuboid\nelement vertex \(cloud.count)\n"
        for column in columns { header += "property \(PLYHeader.typeName(column.type)!) \(column.name)\n" }
        header += "end_header\n"
        let count = cloud.count
        let row = columns.reduce(0) { $0 + $1.type.byteCount }
        var writer = ByteWriter(capacity: header.utf8.count + count * row)
        writer.append(header)
        if encoding == .ascii {
            for point in 0..<count {
                for (index, column) in columns.enumerated() {
                    if index > 0 { writer.bytes.append(0x20) }
                    writer.append(formatValue(column.source, point * column.stride + column.component))
                }
                writer.bytes.append(0x0A)
            }
            return writer.bytes
        }
        let swap = encoding == .binaryBigEndian
        writer.appendRaw(count: count * row) { target in
            var offset = 0
            for column in columns {
                let size = column.type.byteCount
                column.source.withUnsafeBytes { source in
                    guard count > 0 else { return }
                    if !swap && column.stride == 1 {
                        scatterChunks(from: source.baseAddress!, chunkSize: size, count: count, to: target.baseAddress! + offset, stride: row)
                    } else {
                        for point in 0..<count {
                            let from = source.baseAddress! + (point * column.stride + column.component) * size
                            let to = target.baseAddress! + point * row + offset
                            for b in 0..<size {
                                to.storeBytes(of: from.load(fromByteOffset: swap ? size - 1 - b : b, as: UInt8.self), toByteOffset: b, as: UInt8.self)
                            }
                        }
                    }
                }
                offset += size
            }
        }
        return writer.bytes
    }
}
