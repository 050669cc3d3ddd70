/// Reads and writes PCD v0.7 files (PCL's format) in all three DATA encodings.
///
/// Reading accepts any FIELDS/SIZE/TYPE/COUNT mix, padding fields named `_`, COUNT 0 or above 1,
/// organised clouds with NaN points, VIEWPOINT, v0.5 headers, and PCL's page padding after the data.
public enum PCDCodec {
    /// Decodes a PCD file from memory.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - maxPoints: Refuse headers declaring more points (no allocation happens before this check).
    /// - Returns: The cloud and the header it was read with. Padding fields are dropped; every other
    ///   field other than x, y, z becomes an attribute with its own type and COUNT.
    /// - Throws: ``PCDError`` naming the header line, data line or byte offset.
    /// - Complexity: O(n) in the file size; one pass per field over binary records.
    public static func decode(_ bytes: [UInt8], maxPoints: Int = PointCloudCodec.defaultMaxPoints) throws(PCDError) -> (PointCloud, PCDHeader) {
        try bytes.withRawBytes { (raw) throws(PCDError) in try decode(raw, maxPoints: maxPoints) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPoints: Int) throws(PCDError) -> (PointCloud, PCDHeader) {
        let header = try PCDHeader.parse(bytes)
        guard header.pointCount <= maxPoints else { throw .tooManyPoints(declared: header.pointCount, limit: maxPoints) }
        let cloud: PointCloud
        switch header.encoding {
        case .binary: cloud = try decodeBinary(bytes, header)
        case .binaryCompressed: cloud = try decodeCompressed(bytes, header)
        case .ascii: cloud = try decodeASCII(bytes, header)
        }
        return (cloud, header)
    }

    /// Bytes after the binary data that the file holds but the header does not account for (PCL
    /// pads files it writes through mmap); zero for ASCII files.
    static func trailingByteCount(_ bytes: UnsafeRawBufferPointer, header: PCDHeader) -> Int {
        switch header.encoding {
        case .ascii: return 0
        case .binary: return max(0, bytes.count - header.dataOffset - header.pointCount * header.recordSize)
        case .binaryCompressed:
            guard header.dataOffset + 8 <= bytes.count else { return 0 }
            let compressed = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: header.dataOffset, as: UInt32.self)))
            return max(0, bytes.count - header.dataOffset - 8 - compressed)
        }
    }

    // MARK: - Decoding

    /// Builds the cloud from field data at `base + fieldOffsets[i] + point * stride(field)`: the
    /// binary encoding's interleaved records, or the field-major blocks that binary_compressed
    /// decompresses to and the ASCII parser fills. Padding fields are dropped.
    private static func cloud(
        _ header: PCDHeader, base: UnsafeRawPointer, fieldOffsets: [Int], stride: (PCDHeader.Field) -> Int
    ) -> PointCloud {
        let count = header.pointCount
        var positions: [String: [Float]] = [:]
        var attributes: [PointAttribute] = []
        for (index, field) in header.fields.enumerated() where !field.isPadding {
            let start = base + fieldOffsets[index]
            if ["x", "y", "z"].contains(field.name) {
                positions[field.name] = gatherFloatArray(field.type, from: start, stride: stride(field), count: count, swap: false)
            } else {
                let values = gatherValues(field.type, componentCount: field.count, from: start, stride: stride(field), count: count, swap: false)
                attributes.append(PointAttribute(name: field.name, componentCount: field.count, values: values))
            }
        }
        return PointCloud(
            x: positions["x"]!, y: positions["y"]!, z: positions["z"]!, attributes: attributes,
            width: header.width, height: header.height, viewpoint: header.viewpoint)
    }

    /// Where each field's block starts when fields are stored one after another, `count` points each.
    private static func blockOffsets(_ header: PCDHeader, includingPadding: Bool) -> [Int] {
        var offsets: [Int] = []
        var position = 0
        for field in header.fields {
            offsets.append(position)
            if includingPadding || !field.isPadding { position += field.byteCount * header.pointCount }
        }
        return offsets
    }

    private static func decodeBinary(_ bytes: UnsafeRawBufferPointer, _ header: PCDHeader) throws(PCDError) -> PointCloud {
        let record = header.recordSize
        let (needed, overflow) = header.pointCount.multipliedReportingOverflow(by: record)
        let available = bytes.count - header.dataOffset
        guard !overflow, needed <= available else {
            throw .truncatedData(dataOffset: header.dataOffset, expectedBytes: overflow ? Int.max : needed, availableBytes: available)
        }
        let base = bytes.baseAddress.map { UnsafeRawPointer($0) + header.dataOffset } ?? UnsafeRawPointer(bitPattern: 1)!
        return cloud(header, base: base, fieldOffsets: header.fields.map(\.offset), stride: { _ in record })
    }

    private static func decodeCompressed(_ bytes: UnsafeRawBufferPointer, _ header: PCDHeader) throws(PCDError) -> PointCloud {
        let offset = header.dataOffset
        guard offset + 8 <= bytes.count else {
            throw .truncatedData(dataOffset: offset, expectedBytes: 8, availableBytes: max(0, bytes.count - offset))
        }
        let compressedSize = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let uncompressedSize = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
        let count = header.pointCount
        // PCL writes every field's block, padding included; accept writers that left padding out too.
        let withPadding = header.fields.reduce(0) { $0 + $1.byteCount * count }
        let withoutPadding = header.fields.reduce(0) { $0 + ($1.isPadding ? 0 : $1.byteCount * count) }
        guard uncompressedSize == withPadding || uncompressedSize == withoutPadding else {
            throw .compressedSizeMismatch(dataOffset: offset, declaredUncompressed: uncompressedSize, expected: withPadding)
        }
        guard offset + 8 + compressedSize <= bytes.count else {
            throw .truncatedData(dataOffset: offset + 8, expectedBytes: compressedSize, availableBytes: bytes.count - offset - 8)
        }
        var status: Result<Void, LZF.Failure> = .success(())
        let plain = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { target, initialized in
            status = Result { () throws(LZF.Failure) in
                try LZF.decompress(UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(offset + 8 + compressedSize)]), into: UnsafeMutableRawBufferPointer(target))
            }
            // decompress fills every byte or fails; on failure the array is discarded unread.
            initialized = (try? status.get()) != nil ? uncompressedSize : 0
        }
        if case .failure(let error) = status {
            throw .corruptCompressedData(byteOffset: offset + 8 + error.offset, reason: error.reason)
        }
        let offsets = blockOffsets(header, includingPadding: uncompressedSize == withPadding)
        return plain.withUnsafeBytes { raw in
            cloud(header, base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, fieldOffsets: offsets, stride: \.byteCount)
        }
    }

    private static func decodeASCII(_ bytes: UnsafeRawBufferPointer, _ header: PCDHeader) throws(PCDError) -> PointCloud {
        let count = header.pointCount
        let fields = header.fields
        let valuesPerPoint = fields.reduce(0) { $0 + $1.count }
        let dataRange = min(header.dataOffset, bytes.count)..<bytes.count
        // Every point needs at least one byte per value; a header that claims more cannot be met.
        guard count <= dataRange.count / max(1, 2 * valuesPerPoint) + 1 else {
            throw .missingPoints(declared: count, found: newlineCount(bytes, dataRange))
        }
        // Values go into field-major blocks, the layout binary_compressed uses (padding values are
        // parsed and later dropped).
        let offsets = blockOffsets(header, includingPadding: true)
        var blocks = [UInt8](repeating: 0, count: fields.reduce(0) { $0 + $1.byteCount * count })
        let firstDataLine = lineNumber(of: dataRange.lowerBound, in: bytes)
        let result: Result<Void, PCDError> = blocks.withUnsafeMutableBytes { target in
            withTerminatedText(bytes, dataRange) { text, length in
                var scanner = TextScanner(base: text, end: length, position: 0)
                var line = firstDataLine
                var point = 0
                while point < count {
                    // Skip blank lines.
                    scanner.skipBlanks()
                    if scanner.position >= length { return .failure(.missingPoints(declared: count, found: point)) }
                    if scanner.atLineEnd {
                        scanner.position += 1
                        line += 1
                        continue
                    }
                    var parsed = 0
                    for (index, field) in fields.enumerated() {
                        for component in 0..<field.count {
                            scanner.skipBlanks()
                            if scanner.atLineEnd { return .failure(.wrongValueCount(line: line, expected: valuesPerPoint, found: parsed)) }
                            let destination = target.baseAddress! + offsets[index] + (point * field.count + component) * field.type.byteCount
                            if !scanner.parse(field.type, into: destination) {
                                return .failure(.invalidValue(line: line, field: field.name, text: scanner.token()))
                            }
                            parsed += 1
                        }
                    }
                    scanner.skipBlanks()
                    if !scanner.atLineEnd {
                        var extra = parsed
                        while !scanner.atLineEnd {
                            while !scanner.atLineEnd && scanner.base[scanner.position] != 0x20 && scanner.base[scanner.position] != 0x09 {
                                scanner.position += 1
                            }
                            extra += 1
                            scanner.skipBlanks()
                        }
                        return .failure(.wrongValueCount(line: line, expected: valuesPerPoint, found: extra))
                    }
                    if scanner.position < length { scanner.position += 1 }
                    line += 1
                    point += 1
                }
                return .success(())
            }
        }
        try result.get()
        return blocks.withUnsafeBytes { raw in
            cloud(header, base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, fieldOffsets: offsets, stride: \.byteCount)
        }
    }

    // MARK: - Encoding

    /// Encodes a cloud as PCD v0.7: x, y, z as `F 4`, then each attribute with its type and COUNT.
    ///
    /// - Complexity: O(n).
    public static func encode(_ cloud: PointCloud, encoding: PCDEncoding) -> [UInt8] {
        let columns: [(name: String, type: ScalarType, count: Int, values: AttributeValues)] =
            [("x", .float32, 1, .float32(cloud.x)), ("y", .float32, 1, .float32(cloud.y)), ("z", .float32, 1, .float32(cloud.z))]
            + cloud.attributes.map { ($0.name, $0.scalarType, $0.componentCount, $0.values) }
        let v = cloud.viewpoint
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description
        }
        var header = "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\n"
        header += "FIELDS " + columns.map(\.name).joined(separator: " ") + "\n"
        header += "SIZE " + columns.map { String($0.type.byteCount) }.joined(separator: " ") + "\n"
        header += "TYPE " + columns.map { PCDHeader.typeAndSize($0.type).0 }.joined(separator: " ") + "\n"
        header += "COUNT " + columns.map { String($0.count) }.joined(separator: " ") + "\n"
        header += "WIDTH \(cloud.width)\nHEIGHT \(cloud.height)\n"
        header += "VIEWPOINT " + [v.translation.x, v.translation.y, v.translation.z, v.rotation[0], v.rotation[1], v.rotation[2], v.rotation[3]]
            .map(number).joined(separator: " ") + "\n"
        header += "POINTS \(cloud.count)\nDATA \(encoding.rawValue)\n"
        let count = cloud.count
        let record = columns.reduce(0) { $0 + $1.type.byteCount * $1.count }
        var writer = ByteWriter(capacity: header.utf8.count + count * record + 16)
        writer.append(header)
        switch encoding {
        case .binary:
            writer.appendRaw(count: count * record) { target in
                var offset = 0
                for column in columns {
                    let chunk = column.type.byteCount * column.count
                    column.values.withUnsafeBytes { source in
                        if chunk > 0 && count > 0 {
                            scatterChunks(from: source.baseAddress!, chunkSize: chunk, count: count, to: target.baseAddress! + offset, stride: record)
                        }
                    }
                    offset += chunk
                }
            }
        case .binaryCompressed:
            var plain = [UInt8]()
            plain.reserveCapacity(count * record)
            for column in columns { column.values.withUnsafeBytes { plain.append(contentsOf: $0) } }
            let compressed = plain.withUnsafeBytes { LZF.compress($0) }
            writer.append(littleEndian: UInt32(compressed.count))
            writer.append(littleEndian: UInt32(plain.count))
            writer.bytes.append(contentsOf: compressed)
        case .ascii:
            for point in 0..<count {
                var first = true
                for column in columns {
                    for component in 0..<column.count {
                        if !first { writer.bytes.append(0x20) }
                        first = false
                        writer.append(formatValue(column.values, point * column.count + component))
                    }
                }
                writer.bytes.append(0x0A)
            }
        }
        return writer.bytes
    }
}
