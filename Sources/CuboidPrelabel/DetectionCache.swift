import CuboidFormats
import CuboidGeometry
import CuboidIO
import Foundation

// What a run may reuse from an earlier one: each frame's detections cached with the key of the
// inputs they were computed from, and why a cached frame was detected again.
/// A frame's cached detections split into detections and the weak evidence cached after them.
func splitEvidence(_ cached: [Detection]) -> (detections: [Detection], evidence: [Detection]) {
    let first = cached.firstIndex { $0.source == Detection.weakSource } ?? cached.count
    return (Array(cached[..<first]), Array(cached[first...]))
}

/// Why a frame's cache file was not used and the frame was detected again.
public enum CacheMismatch: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// The file could not be read or decoded, or is of an older format that records no inputs.
    case unreadable
    /// Written by another build of the toolkit (`CuboidVersion.build`).
    case tool
    /// Detected in another sweep file: another sequence in the same output folder, or a sweep
    /// changed since.
    case sweep
    /// Detected with another configuration.
    case configuration
    /// Made with other external detections for the frame (`--detections`), or another mode.
    case externalDetections

    public var description: String {
        switch self {
        case .unreadable: "an unreadable or older cache file"
        case .tool: "another tool version"
        case .sweep: "another sweep"
        case .configuration: "another configuration"
        case .externalDetections: "other external detections"
        }
    }

    public static func < (a: CacheMismatch, b: CacheMismatch) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What a frame's detections were computed from, recorded in its cache file: the cache is used
/// only when every field equals the running job's.
///
/// A sweep is identified by its bytes, not by its size and modification time: the bytes are read
/// for detection anyway, hashing them costs under 1 ns a byte (0.6-1.2 ms for a 2 MB KITTI sweep, next
/// to some 100 ms of detection), and a sweep rewritten within the file system's time resolution,
/// copied with its time kept, or swapped for another of the same size is still told apart.
public struct DetectionCacheKey: Sendable, Hashable {
    /// `CuboidVersion.build` of the run that detected (the version and a digest of the executable).
    public var tool: String
    /// The sweep file's name, its size and the `Digest64` digest of its bytes (the name's
    /// extension chooses the decoder of headerless `.bin` files); `unused` when only external
    /// detections were kept and the sweep was not read.
    public var sweep: String
    /// The `Digest64` digest of the configuration's canonical JSON (``PrelabelConfiguration/encoded``:
    /// sorted keys, shortest round-trip numbers), so any changed value is a different configuration.
    public var configuration: String
    /// `none` without external detections; else the mode (`join`, `replace`) and the digest of
    /// the frame's external boxes (class, score and box; an empty list when the frame has none).
    public var external: String

    public init(tool: String, sweep: String, configuration: String, external: String) {
        self.tool = tool
        self.sweep = sweep
        self.configuration = configuration
        self.external = external
    }

    /// `NAME SIZE digest64 DIGEST` for a sweep file's name and bytes.
    public static func sweep(name: String, bytes: [UInt8]) -> String {
        "\(name) \(bytes.count) digest64 \(Digest64(bytes).hex)"
    }

    /// `digest64 DIGEST` of a configuration's canonical JSON.
    public static func configuration(_ configuration: PrelabelConfiguration) -> String {
        "digest64 " + Digest64(configuration.encoded).hex
    }

    /// `MODE digest64 DIGEST` of a frame's external detections.
    static func external(_ detections: [Detection], mode: ExternalDetectionMode) -> String {
        "\(mode.rawValue) digest64 " + Digest64(DetectionCache.encode(detections, key: nil)).hex
    }

    /// The inputs in which `self` differs from `other`.
    public func mismatches(_ other: DetectionCacheKey) -> [CacheMismatch] {
        [(tool != other.tool, CacheMismatch.tool), (sweep != other.sweep, .sweep), (configuration != other.configuration, .configuration),
         (external != other.external, .externalDetections)].filter(\.0).map(\.1)
    }
}

/// The per-frame detection cache: JSON with exact (shortest round-trip) numbers, and the
/// ``DetectionCacheKey`` of the inputs they were computed from.
///
/// Version 2 added the key; a version 1 file (no key) is refused, so its frame is detected again.
enum DetectionCache {
    static let version = 2.0

    /// A cache file's contents.
    struct Entry: Sendable, Hashable {
        var key: DetectionCacheKey
        var detections: [Detection]
    }

    /// The file's bytes; without a key, only the detections (what the key's external digest hashes).
    static func encode(_ detections: [Detection], key: DetectionCacheKey?) -> [UInt8] {
        let items: [JSONOutput] = detections.map { d in
            .object([("category", .string(d.category)), ("score", .number(d.score)), ("points", .number(Double(d.pointCount))),
                     ("source", .string(d.source)),
                     ("box", .numbers([d.cuboid.x, d.cuboid.y, d.cuboid.z, d.cuboid.length, d.cuboid.width, d.cuboid.height, d.cuboid.yaw]))]
                    + (d.outline.map { [("outline", .numbers($0.flatMap { [$0.x, $0.y] }))] } ?? [])
                    + (d.weakestFactors.isEmpty ? [] : [("factors", .array(d.weakestFactors.map { .object([("name", .string($0.name)), ("value", .number($0.value))]) }))]))
        }
        guard let key else { return Array(JSONOutput.array(items).rendered(indent: 0).utf8) }
        let made = JSONOutput.object([("tool", .string(key.tool)), ("sweep", .string(key.sweep)), ("configuration", .string(key.configuration)),
                                      ("external", .string(key.external))])
        return Array((JSONOutput.object([("version", .number(version)), ("madeFrom", made), ("detections", .array(items))]).rendered(indent: 0) + "\n").utf8)
    }

    static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> Entry {
        let root: JSONNode
        do { root = try parseJSON(bytes) } catch { throw .syntax(line: error.line, column: error.column, expected: error.expected) }
        guard root["version"]?.number == version else {
            throw .invalidField(line: root.line, field: "version", expected: "\(Int(version)) (an older cache records no inputs)")
        }
        guard let made = root["madeFrom"] else { throw .missingField(line: root.line, field: "madeFrom") }
        guard let tool = made["tool"]?.string, let sweep = made["sweep"]?.string, let configuration = made["configuration"]?.string,
              let external = made["external"]?.string else {
            throw .invalidField(line: made.line, field: "madeFrom", expected: "tool, sweep, configuration and external as strings")
        }
        guard let items = root["detections"]?.elements else { throw .missingField(line: root.line, field: "detections") }
        var detections: [Detection] = []
        for item in items {
            guard let category = item["category"]?.string, let score = item["score"]?.number, let points = item["points"]?.number,
                  let source = item["source"]?.string, let box = item["box"]?.elements?.compactMap(\.number), box.count == 7 else {
                throw .invalidField(line: item.line, field: "detection", expected: "category, score, points, source and a 7-number box")
            }
            var outline: [SIMD2<Double>]? = nil
            if let node = item["outline"] {
                guard let flat = node.elements?.compactMap(\.number), flat.count == node.elements?.count, flat.count % 2 == 0 else {
                    throw .invalidField(line: node.line, field: "outline", expected: "an even count of numbers (x, y pairs)")
                }
                outline = stride(from: 0, to: flat.count, by: 2).map { SIMD2(flat[$0], flat[$0 + 1]) }
            }
            var factors: [ScoreFactor] = []
            if let node = item["factors"] {
                guard let elements = node.elements else { throw .invalidField(line: node.line, field: "factors", expected: "an array") }
                for element in elements {
                    guard let name = element["name"]?.string, let value = element["value"]?.number else {
                        throw .invalidField(line: element.line, field: "factors", expected: "objects with a name and a value")
                    }
                    factors.append(ScoreFactor(name: name, value: value))
                }
            }
            detections.append(Detection(category: category, cuboid: Box3D(x: box[0], y: box[1], z: box[2], length: box[3], width: box[4], height: box[5], yaw: box[6]),
                                        score: score, pointCount: Int(points), source: source, outline: outline, weakestFactors: factors))
        }
        return Entry(key: DetectionCacheKey(tool: tool, sweep: sweep, configuration: configuration, external: external), detections: detections)
    }
}
