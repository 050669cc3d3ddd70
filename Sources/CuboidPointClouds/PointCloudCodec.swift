import CuboidIO

/// Every point cloud file format Cuboid reads and writes.
public enum PointCloudFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case kittiBin = "kitti-bin"
    case nuScenesBin = "nuscenes-bin"
    case pcdASCII = "pcd-ascii"
    case pcdBinary = "pcd-binary"
    case pcdBinaryCompressed = "pcd-binary-compressed"
    case plyASCII = "ply-ascii"
    case plyBinaryLittleEndian = "ply-binary-le"
    case plyBinaryBigEndian = "ply-binary-be"

    /// The format a path's extension implies for writing: `.pcd.bin` nuScenes, `.bin` KITTI, `.pcd`
    /// PCD binary, `.ply` PLY binary little-endian.
    public init?(pathExtensionOf path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".pcd.bin") {
            self = .nuScenesBin
        } else if lower.hasSuffix(".bin") {
            self = .kittiBin
        } else if lower.hasSuffix(".pcd") {
            self = .pcdBinary
        } else if lower.hasSuffix(".ply") {
            self = .plyBinaryLittleEndian
        } else {
            return nil
        }
    }

    /// Recognises PCD and PLY by their text headers; headerless sweeps need the extension.
    public static func detect(_ bytes: [UInt8], path: String? = nil) -> PointCloudFormat? {
        bytes.withUnsafeBytes { detect($0, path: path) }
    }

    static func detect(_ bytes: UnsafeRawBufferPointer, path: String? = nil) -> PointCloudFormat? {
        switch Family(bytes, path: path) {
        case .pcd:
            switch (try? PCDHeader.parse(bytes))?.encoding {
            case .ascii: return .pcdASCII
            case .binaryCompressed: return .pcdBinaryCompressed
            case .binary, nil: return .pcdBinary
            }
        case .ply:
            switch (try? PLYHeader.parse(bytes))?.encoding {
            case .ascii: return .plyASCII
            case .binaryBigEndian: return .plyBinaryBigEndian
            case .binaryLittleEndian, nil: return .plyBinaryLittleEndian
            }
        case .kitti: return .kittiBin
        case .nuScenes: return .nuScenesBin
        case nil: return nil
        }
    }

    /// The codec a format belongs to (the encoding inside PCD and PLY comes from their headers).
    enum Family {
        case pcd, ply, kitti, nuScenes

        init(_ format: PointCloudFormat) {
            switch format {
            case .kittiBin: self = .kitti
            case .nuScenesBin: self = .nuScenes
            case .pcdASCII, .pcdBinary, .pcdBinaryCompressed: self = .pcd
            case .plyASCII, .plyBinaryLittleEndian, .plyBinaryBigEndian: self = .ply
            }
        }

        /// From the first bytes: PCD and PLY by their text headers, headerless sweeps by extension.
        init?(_ bytes: UnsafeRawBufferPointer, path: String?) {
            func starts(with text: String) -> Bool {
                let prefix = Array(text.utf8)
                return bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
            }
            if starts(with: "ply\n") || starts(with: "ply\r\n") {
                self = .ply
            } else if ["# .PCD", "#.PCD", "VERSION", "FIELDS"].contains(where: starts(with:)) {
                self = .pcd
            } else if let path, let format = PointCloudFormat(pathExtensionOf: path), format == .kittiBin || format == .nuScenesBin {
                self = Family(format)
            } else {
                return nil
            }
        }
    }
}

/// Why bytes could not be decoded as a point cloud.
public enum PointCloudError: Error, Sendable, Hashable, CustomStringConvertible {
    case pcd(PCDError)
    case ply(PLYError)
    case binaryScan(BinaryScanCodec.Error)
    /// Neither a PCD nor a PLY header, and no `.bin` extension to go by.
    case unrecognizedFormat

    public var description: String {
        switch self {
        case .pcd(let error): "PCD: \(error)"
        case .ply(let error): "PLY: \(error)"
        case .binaryScan(let error): "binary sweep: \(error)"
        case .unrecognizedFormat: "not a PCD, PLY, KITTI .bin or nuScenes .pcd.bin point cloud (no header at byte 0, unknown extension)"
        }
    }
}

/// A decoded cloud with the format it was read in and notes about anything not kept.
public struct DecodedPointCloud: Sendable, Hashable {
    public var cloud: PointCloud
    public var format: PointCloudFormat
    /// Declared fields as the file stores them (types may differ from the cloud's float32 positions).
    public var fileFields: [PointField]
    /// Things worth telling a user: trailing bytes, dropped PLY elements.
    public var notes: [String]
}

/// One entry point over all point cloud codecs.
public enum PointCloudCodec {
    /// The default point budget: far above any sweep (a 128-beam sweep has ~260k points), low enough
    /// that a lying header cannot make the decoder allocate tens of gigabytes.
    public static let defaultMaxPoints = 200_000_000

    /// Decodes bytes in `format`, or in the format detected from the header (and `path`'s extension
    /// for headerless `.bin` sweeps).
    ///
    /// - Throws: ``PointCloudError`` wrapping the format's typed error.
    public static func decode(
        _ bytes: [UInt8], format: PointCloudFormat? = nil, path: String? = nil, maxPoints: Int = defaultMaxPoints
    ) throws(PointCloudError) -> DecodedPointCloud {
        try bytes.withRawBytes { (raw) throws(PointCloudError) in try decode(raw, format: format, path: path, maxPoints: maxPoints) }
    }

    static func decode(
        _ raw: UnsafeRawBufferPointer, format: PointCloudFormat?, path: String?, maxPoints: Int
    ) throws(PointCloudError) -> DecodedPointCloud {
        do {
            // Routing needs only the family; the PCD and PLY decoders read their encoding from the header.
            guard let family = format.map(PointCloudFormat.Family.init) ?? PointCloudFormat.Family(raw, path: path) else {
                throw .unrecognizedFormat
            }
            switch family {
            case .kitti, .nuScenes:
                let layout: BinaryScanCodec.Layout = family == .kitti ? .kitti : .nuScenes
                do throws(BinaryScanCodec.Error) {
                    let cloud = try BinaryScanCodec.decode(raw, layout: layout, maxPoints: maxPoints)
                    return DecodedPointCloud(cloud: cloud, format: family == .kitti ? .kittiBin : .nuScenesBin, fileFields: cloud.fields, notes: [])
                } catch { throw .binaryScan(error) }
            case .pcd:
                do throws(PCDError) {
                    let (cloud, header) = try PCDCodec.decode(raw, maxPoints: maxPoints)
                    let actual: PointCloudFormat =
                        switch header.encoding {
                        case .ascii: .pcdASCII
                        case .binary: .pcdBinary
                        case .binaryCompressed: .pcdBinaryCompressed
                        }
                    var notes: [String] = []
                    let trailing = PCDCodec.trailingByteCount(raw, header: header)
                    if trailing > 0 { notes.append("\(trailing) bytes after the point data ignored") }
                    let fields = header.fields.map { PointField(name: $0.name, type: $0.type, count: $0.count) }
                    return DecodedPointCloud(cloud: cloud, format: actual, fileFields: fields, notes: notes)
                } catch { throw .pcd(error) }
            case .ply:
                do throws(PLYError) {
                    let (cloud, report) = try PLYCodec.decode(raw, maxPoints: maxPoints)
                    let actual: PointCloudFormat =
                        switch report.header.encoding {
                        case .ascii: .plyASCII
                        case .binaryLittleEndian: .plyBinaryLittleEndian
                        case .binaryBigEndian: .plyBinaryBigEndian
                        }
                    let vertex = report.header.elements.first { $0.name == "vertex" }!
                    let fields = vertex.properties.filter { $0.listCountType == nil }.map { PointField(name: $0.name, type: $0.type) }
                    return DecodedPointCloud(cloud: cloud, format: actual, fileFields: fields, notes: report.notes)
                } catch { throw .ply(error) }
            }
        }
    }

    /// Encodes a cloud in `format`.
    /// - Complexity: O(n).
    public static func encode(_ cloud: PointCloud, as format: PointCloudFormat) -> [UInt8] {
        switch format {
        case .kittiBin: BinaryScanCodec.encode(cloud, layout: .kitti)
        case .nuScenesBin: BinaryScanCodec.encode(cloud, layout: .nuScenes)
        case .pcdASCII: PCDCodec.encode(cloud, encoding: .ascii)
        case .pcdBinary: PCDCodec.encode(cloud, encoding: .binary)
        case .pcdBinaryCompressed: PCDCodec.encode(cloud, encoding: .binaryCompressed)
        case .plyASCII: PLYCodec.encode(cloud, encoding: .ascii)
        case .plyBinaryLittleEndian: PLYCodec.encode(cloud, encoding: .binaryLittleEndian)
        case .plyBinaryBigEndian: PLYCodec.encode(cloud, encoding: .binaryBigEndian)
        }
    }

    /// What writing `cloud` in `format` would not preserve, in words; empty when nothing is lost.
    public static func losses(encoding cloud: PointCloud, as format: PointCloudFormat) -> [String] {
        var result: [String] = []
        switch format {
        case .kittiBin, .nuScenesBin:
            let kept: Set<String> = format == .kittiBin ? ["intensity"] : ["intensity", "ring"]
            for attribute in cloud.attributes where !kept.contains(attribute.name) {
                result.append("attribute '\(attribute.name)' is not stored in \(format.rawValue)")
            }
            for name in kept {
                if let attribute = cloud.attribute(named: name) {
                    if attribute.scalarType != .float32 || attribute.componentCount != 1 {
                        result.append("attribute '\(name)' (\(attribute.scalarType.rawValue)[\(attribute.componentCount)]) is converted to one float32")
                    }
                } else {
                    result.append("no '\(name)' attribute: written as 0")
                }
            }
            if cloud.isOrganized { result.append("organised layout \(cloud.width)x\(cloud.height) is not stored") }
            if cloud.viewpoint != .identity { result.append("viewpoint is not stored") }
        case .plyASCII, .plyBinaryLittleEndian, .plyBinaryBigEndian:
            for attribute in cloud.attributes {
                if PLYHeader.typeName(attribute.scalarType) == nil {
                    result.append("attribute '\(attribute.name)' (\(attribute.scalarType.rawValue)) is written as double")
                }
                if attribute.componentCount != 1 {
                    result.append("attribute '\(attribute.name)' with \(attribute.componentCount) components is split into \(attribute.componentCount) properties")
                }
            }
            if cloud.isOrganized { result.append("organised layout \(cloud.width)x\(cloud.height) is not stored") }
            if cloud.viewpoint != .identity { result.append("viewpoint is not stored") }
        case .pcdASCII, .pcdBinary, .pcdBinaryCompressed:
            break
        }
        return result
    }
}

extension PointCloudCodec {
    /// The largest point cloud file read: for headerless sweeps (`format`, or else `path`'s extension,
    /// says KITTI `.bin` or nuScenes `.pcd.bin`) `maxPoints` records; for PCD and PLY `maxPoints` x 20
    /// bytes (the widest sweep record), and never less than `FileBytes.defaultMaxBytes` so that a small
    /// point budget still lets the header be read and checked. With the default budget: 3.2 GB for
    /// KITTI `.bin`, 4 GB for the rest.
    public static func fileByteLimit(format: PointCloudFormat? = nil, path: String? = nil, maxPoints: Int = defaultMaxPoints) -> Int {
        let (product, overflow) = maxPoints.multipliedReportingOverflow(by: headerlessLayout(format: format, path: path)?.recordSize ?? 20)
        let limit = overflow ? Int.max : product
        return headerlessLayout(format: format, path: path) == nil ? max(limit, FileBytes.defaultMaxBytes) : limit
    }

    /// The record layout when `format` (or else `path`'s extension) names a headerless sweep.
    static func headerlessLayout(format: PointCloudFormat?, path: String?) -> BinaryScanCodec.Layout? {
        switch format ?? path.flatMap(PointCloudFormat.init(pathExtensionOf:)) {
        case .kittiBin: .kitti
        case .nuScenesBin: .nuScenes
        default: nil
        }
    }

    /// Reads a point cloud file's bytes within the budget, checking what can be checked first.
    ///
    /// For a regular file, before it is read:
    /// - a file above ``fileByteLimit(format:path:maxPoints:)`` is refused from its `fstat` size;
    /// - a headerless sweep's point count is its `fstat` size over the record size, so more than
    ///   `maxPoints` records are refused with the
    ///   ``BinaryScanCodec/Error/tooManyPoints(count:limit:byteCount:recordSize:)`` its decoding would give;
    /// - a file larger than ``headerCheckBytes`` has its first ``headerCheckBytes`` read: with no PCD or
    ///   PLY header there (and no `format` or sweep extension) it is refused as
    ///   ``PointCloudError/unrecognizedFormat``, and a header that declares more than `maxPoints` points
    ///   is refused as the decoder would refuse it.
    ///
    /// Pipes are read up to ``fileByteLimit(format:path:maxPoints:)`` (their first bytes cannot be
    /// looked at twice).
    /// - Throws: `FileAccessError` (a file above the byte limit, a device), or `FileDecodingError`
    ///   wrapping a ``PointCloudError`` with the path.
    public static func readBytes(_ path: String, format: PointCloudFormat? = nil, maxPoints: Int = defaultMaxPoints) throws -> [UInt8] {
        let limit = fileByteLimit(format: format, path: path, maxPoints: maxPoints)
        if let size = try FileBytes.regularFileSize(path) {
            let headerless = headerlessLayout(format: format, path: path) != nil
            if !headerless && size > limit { throw FileAccessError.tooLarge(path: path, size: size, limit: limit) }
            let head = !headerless && size > headerCheckBytes ? try FileBytes.readPrefix(path, count: headerCheckBytes) : nil
            do throws(PointCloudError) {
                if let layout = headerlessLayout(format: format, path: path) {
                    if size / layout.recordSize > maxPoints {
                        throw .binaryScan(.tooManyPoints(count: size / layout.recordSize, limit: maxPoints, byteCount: size, recordSize: layout.recordSize))
                    }
                } else if let head {
                    try checkHeader(head, format: format, path: path, maxPoints: maxPoints)
                }
            } catch {
                throw FileDecodingError(path: path, underlying: error)
            }
        }
        return try FileBytes.read(path, maxBytes: limit)
    }

    /// How much of a large PCD or PLY file ``readBytes(_:format:maxPoints:)`` looks at before reading
    /// it whole: 64 KiB, more than any real header.
    public static let headerCheckBytes = 1 << 16

    /// Refuses a file's first bytes when they hold no point cloud header, or a header over the budget.
    /// A header that does not end within `head` is left to the decoder.
    private static func checkHeader(_ head: [UInt8], format: PointCloudFormat?, path: String, maxPoints: Int) throws(PointCloudError) {
        let detected = head.withRawBytes { PointCloudFormat.Family($0, path: path) }
        guard let family = format.map(PointCloudFormat.Family.init) ?? detected else { throw .unrecognizedFormat }
        switch family {
        case .pcd:
            if let header = try? PCDHeader.parse(head), header.pointCount > maxPoints {
                throw .pcd(.tooManyPoints(declared: header.pointCount, limit: maxPoints))
            }
        case .ply:
            if let vertex = (try? PLYHeader.parse(head))?.elements.first(where: { $0.name == "vertex" }), vertex.count > maxPoints {
                throw .ply(.tooManyPoints(declared: vertex.count, limit: maxPoints))
            }
        case .kitti, .nuScenes:
            break
        }
    }

    /// Reads and decodes a point cloud file, checking its size against the budget before reading
    /// (see ``readBytes(_:format:maxPoints:)``).
    ///
    /// - Throws: `FileAccessError` when the file cannot be read or is too large, or
    ///   `FileDecodingError` wrapping a ``PointCloudError`` with the path.
    public static func read(_ path: String, format: PointCloudFormat? = nil, maxPoints: Int = defaultMaxPoints) throws -> DecodedPointCloud {
        let bytes = try readBytes(path, format: format, maxPoints: maxPoints)
        do {
            return try decode(bytes, format: format, path: path, maxPoints: maxPoints)
        } catch {
            throw FileDecodingError(path: path, underlying: error)
        }
    }

    /// Encodes a cloud and writes it atomically (temporary file, then rename).
    public static func write(_ cloud: PointCloud, to path: String, format: PointCloudFormat) throws {
        try FileBytes.writeAtomically(encode(cloud, as: format), to: path)
    }
}
