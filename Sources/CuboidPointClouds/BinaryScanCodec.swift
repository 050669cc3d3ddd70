/// Reads and writes the headerless float32 sweeps of KITTI (`.bin`: x, y, z, intensity) and
/// nuScenes (`.pcd.bin`: x, y, z, intensity, ring), little-endian, 16 or 20 bytes per point.
public enum BinaryScanCodec {
    /// The two record layouts.
    public enum Layout: Sendable, Hashable, CaseIterable {
        /// x, y, z, intensity.
        case kitti
        /// x, y, z, intensity, ring (the ring stored as a float).
        case nuScenes

        /// Floats per point.
        public var floatsPerPoint: Int { self == .kitti ? 4 : 5 }
        /// Bytes per point.
        public var recordSize: Int { floatsPerPoint * 4 }
    }

    /// Why bytes are not a whole number of records.
    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        /// The byte count is not a multiple of the record size; the partial record starts at `byteOffset`.
        case partialRecord(byteCount: Int, recordSize: Int, byteOffset: Int)
        /// More points than the decoder's budget: `byteCount` bytes of `recordSize`-byte points.
        case tooManyPoints(count: Int, limit: Int, byteCount: Int, recordSize: Int)

        public var description: String {
            switch self {
            case .partialRecord(let count, let size, let offset):
                "\(count) bytes is not a whole number of \(size)-byte points: a partial point starts at byte \(offset)"
            case .tooManyPoints(let count, let limit, let bytes, let size):
                "\(bytes) bytes hold \(count) \(size)-byte points, above the limit of \(limit) points"
            }
        }
    }

    /// Decodes a sweep: positions plus float32 `intensity` (and `ring` for nuScenes).
    ///
    /// - Throws: ``Error/partialRecord(byteCount:recordSize:byteOffset:)`` for a truncated file.
    /// - Complexity: O(n); one pass that splits the records into columns.
    public static func decode(_ bytes: [UInt8], layout: Layout, maxPoints: Int = PointCloudCodec.defaultMaxPoints) throws(Error) -> PointCloud {
        try bytes.withRawBytes { (raw) throws(Error) in try decode(raw, layout: layout, maxPoints: maxPoints) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, layout: Layout, maxPoints: Int) throws(Error) -> PointCloud {
        let record = layout.recordSize
        let count = bytes.count / record
        guard bytes.count % record == 0 else {
            throw .partialRecord(byteCount: bytes.count, recordSize: record, byteOffset: count * record)
        }
        guard count <= maxPoints else { throw .tooManyPoints(count: count, limit: maxPoints, byteCount: bytes.count, recordSize: record) }
        let floats = layout.floatsPerPoint
        var columns = (0..<floats).map { _ in [Float]() }
        if let base = bytes.baseAddress, count > 0 {
            // One pass over the records writes all columns (the file is read once, as numpy's fromfile does).
            var xs = [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
            var ys = xs, zs = xs, intensities = xs
            var rings = layout == .nuScenes ? xs : []
            xs.withUnsafeMutableBufferPointer { x in
                ys.withUnsafeMutableBufferPointer { y in
                    zs.withUnsafeMutableBufferPointer { z in
                        intensities.withUnsafeMutableBufferPointer { i in
                            if layout == .kitti {
                                for p in 0..<count {
                                    let v = base.loadUnaligned(fromByteOffset: p * 16, as: SIMD4<Float>.self)
                                    x[p] = v.x; y[p] = v.y; z[p] = v.z; i[p] = v.w
                                }
                            } else {
                                rings.withUnsafeMutableBufferPointer { r in
                                    for p in 0..<count {
                                        let v = base.loadUnaligned(fromByteOffset: p * 20, as: SIMD4<Float>.self)
                                        x[p] = v.x; y[p] = v.y; z[p] = v.z; i[p] = v.w
                                        r[p] = base.loadUnaligned(fromByteOffset: p * 20 + 16, as: Float.self)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            columns = [xs, ys, zs, intensities] + (layout == .nuScenes ? [rings] : [])
        }
        var attributes = [PointAttribute(name: StandardAttribute.intensity, values: .float32(columns[3]))]
        if layout == .nuScenes { attributes.append(PointAttribute(name: StandardAttribute.ring, values: .float32(columns[4]))) }
        return PointCloud(x: columns[0], y: columns[1], z: columns[2], attributes: attributes)
    }

    /// Encodes a sweep. Intensity and ring come from attributes of those names converted to float32;
    /// a missing one is written as 0 (``PointCloudCodec/losses(encoding:as:)`` lists what is dropped).
    /// - Complexity: O(n).
    public static func encode(_ cloud: PointCloud, layout: Layout) -> [UInt8] {
        let count = cloud.count
        let intensity = cloud.attribute(named: StandardAttribute.intensity).map { firstComponent($0) } ?? [Float](repeating: 0, count: count)
        let ring = cloud.attribute(named: StandardAttribute.ring).map { firstComponent($0) } ?? [Float](repeating: 0, count: count)
        let floats = layout.floatsPerPoint
        return [UInt8](unsafeUninitializedCapacity: count * layout.recordSize) { buffer, initialized in
            let target = UnsafeMutableRawPointer(buffer.baseAddress!)
            for p in 0..<count {
                let base = p * floats * 4
                target.storeBytes(of: SIMD4(cloud.x[p], cloud.y[p], cloud.z[p], intensity[p]), toByteOffset: base, as: SIMD4<Float>.self)
                if layout == .nuScenes { target.storeBytes(of: ring[p], toByteOffset: base + 16, as: Float.self) }
            }
            initialized = count * layout.recordSize
        }
    }

    private static func firstComponent(_ attribute: PointAttribute) -> [Float] {
        let all = attribute.values.floats()
        guard attribute.componentCount != 1 else { return all }
        guard attribute.componentCount > 0 else { return [Float](repeating: 0, count: all.count) }
        return Swift.stride(from: 0, to: all.count, by: attribute.componentCount).map { all[$0] }
    }
}
