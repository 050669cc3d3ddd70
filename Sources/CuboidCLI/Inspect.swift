import ArgumentParser
import Cuboid
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe point clouds and images: format, size, fields, bounds, NaN count.",
        discussion: """
            Point clouds: PCD (ascii, binary, binary_compressed), PLY (ascii, binary), KITTI .bin, \
            nuScenes .pcd.bin. Images: PNG, JPEG. Every file is fully decoded, so a corrupt file is \
            reported with its byte offset or line. With --json each input gives one JSON object on its \
            own line; a file that fails gives {"path":..., "kind":"error", "error":...}.
            """)

    @Argument(help: "Files to inspect, or dataset folders (any layout `prelabel` opens: the layout, frames, cameras, poses and gold).")
    var paths: [String]

    @Flag(help: "One JSON object per input, one per line.")
    var json = false

    @Option(help: "Read point clouds as this format instead of detecting it (\(PointCloudFormat.allCases.map(\.rawValue).joined(separator: ", "))).")
    var from: PointCloudFormat?

    @Option(name: .customLong("format"), help: .hidden)
    var earlierFormat: PointCloudFormat?

    func validate() throws {
        try checkRenamed(from, "--from", earlier: earlierFormat, "--format")
    }

    func run() throws {
        var failures = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                for folder in SensorSequence.sequenceFolders(path) {
                    do {
                        let report = try SequenceReport.make(folder)
                        print(json ? serialize(report) : SequenceReport.text(report))
                    } catch {
                        failures += 1
                        if json { print(FileReport.errorLine(path: folder, error: error)) }
                        reportError(error, path: folder)
                    }
                }
                continue
            }
            do {
                let report = try FileReport.make(path: path, format: from ?? earlierFormat)
                print(json ? report.jsonLine() : report.text())
            } catch {
                failures += 1
                if json { print(FileReport.errorLine(path: path, error: error)) }
                reportError(error, path: path)
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

extension PointCloudFormat: ExpressibleByArgument {}

/// Prints `error: MESSAGE` on standard error, naming the path.
func reportError(_ error: any Error, path: String) {
    printError(describe(error, path: path))
}

/// The message for an error, naming the path when the error does not already.
func describe(_ error: any Error, path: String) -> String {
    switch error {
    case let error as FileDecodingError: error.description
    case let error as FileAccessError: error.description
    default:
        // Errors of a sequence or a label file often name their path already.
        "\(error)".hasPrefix(path) ? "\(error)" : "\(path): \(error)"
    }
}

/// An input file of `inspect`, `convert` and `bench`, read within its kind's limit.
enum InputFile {
    case image([UInt8])
    case pointCloud([UInt8])

    /// Reads `path`: an image when no point cloud format is forced and the name ends in `.png`, `.jpg`
    /// or `.jpeg` (so an empty or damaged image gets an image error) or the bytes start with a PNG or
    /// JPEG signature; a point cloud otherwise. Point clouds are checked against the point budget
    /// before they are read (`PointCloudCodec.readBytes`), images against `FileBytes.defaultMaxBytes`.
    static func read(_ path: String, pointCloudFormat: PointCloudFormat?) throws -> InputFile {
        if pointCloudFormat == nil {
            if ImageFormat(pathExtensionOf: path) != nil { return .image(try FileBytes.read(path)) }
            // A regular file's signature is looked at first; a pipe's only after it is read.
            if try FileBytes.regularFileSize(path) != nil, ImageFormat.detect(try FileBytes.readPrefix(path, count: 8)) != nil {
                return .image(try FileBytes.read(path))
            }
        }
        let bytes = try PointCloudCodec.readBytes(path, format: pointCloudFormat)
        return pointCloudFormat == nil && ImageFormat.detect(bytes) != nil ? .image(bytes) : .pointCloud(bytes)
    }

    var bytes: [UInt8] {
        switch self {
        case .image(let bytes), .pointCloud(let bytes): bytes
        }
    }
}

/// What `inspect` reports for one file.
enum FileReport {
    case pointCloud(path: String, DecodedPointCloud)
    case image(path: String, ImageFormat, Image, progressive: Bool)

    static func make(path: String, format: PointCloudFormat?) throws -> FileReport {
        let input = try InputFile.read(path, pointCloudFormat: format)
        if case .image(let bytes) = input {
            do {
                let image = try ImageCodec.decode(bytes)
                let header = try ImageCodec.header(bytes)
                return .image(path: path, header.format, image, progressive: header.isProgressive)
            } catch {
                throw FileDecodingError(path: path, underlying: error)
            }
        }
        let bytes = input.bytes
        do {
            return .pointCloud(path: path, try PointCloudCodec.decode(bytes, format: format, path: path))
        } catch {
            throw FileDecodingError(path: path, underlying: error)
        }
    }

    func text() -> String {
        switch self {
        case .pointCloud(let path, let decoded):
            let cloud = decoded.cloud
            var lines = ["\(path)", "  kind: point cloud", "  format: \(decoded.format.rawValue)", "  points: \(cloud.count)"]
            if cloud.isOrganized { lines.append("  organised: \(cloud.width) x \(cloud.height)") }
            lines.append("  fields: " + decoded.fileFields.map(\.description).joined(separator: " "))
            if let bounds = cloud.bounds {
                lines.append("  bounds min: " + format(bounds.min) + "  max: " + format(bounds.max))
            }
            lines.append("  nan points: \(cloud.nonFiniteCount)")
            for note in decoded.notes { lines.append("  note: \(note)") }
            return lines.joined(separator: "\n")
        case .image(let path, let format, let image, let progressive):
            return [
                "\(path)", "  kind: image", "  format: \(format.rawValue)\(progressive ? " (progressive/interlaced)" : "")",
                "  size: \(image.width) x \(image.height)", "  channels: \(image.channels) (\(image.layout))",
                "  bit depth: \(image.bitDepth)",
            ].joined(separator: "\n")
        }
    }

    func jsonLine() -> String {
        switch self {
        case .pointCloud(let path, let decoded):
            let cloud = decoded.cloud
            var object: [String: Any] = [
                "path": path, "kind": "pointcloud", "format": decoded.format.rawValue, "points": cloud.count,
                "width": cloud.width, "height": cloud.height, "nan_points": cloud.nonFiniteCount,
                "fields": decoded.fileFields.map { ["name": $0.name, "type": $0.type.rawValue, "count": $0.count] as [String: Any] },
                "notes": decoded.notes,
            ]
            if let bounds = cloud.bounds {
                object["bounds"] = [
                    "min": [bounds.min.x, bounds.min.y, bounds.min.z].map(Double.init),
                    "max": [bounds.max.x, bounds.max.y, bounds.max.z].map(Double.init),
                ]
            }
            return serialize(object)
        case .image(let path, let format, let image, let progressive):
            return serialize([
                "path": path, "kind": "image", "format": format.rawValue, "width": image.width, "height": image.height,
                "channels": image.channels, "bit_depth": image.bitDepth, "progressive": progressive,
            ])
        }
    }

    static func errorLine(path: String, error: any Error) -> String {
        serialize(["path": path, "kind": "error", "error": describe(error, path: path)])
    }

    private func format(_ v: SIMD3<Float>) -> String {
        "(" + [v.x, v.y, v.z].map { String(format: "%.3f", Double($0)) }.joined(separator: ", ") + ")"
    }
}

func serialize(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

/// What `inspect` says about a dataset folder: its layout, frames, cameras, poses and gold.
enum SequenceReport {
    static func make(_ path: String) throws -> [String: Any] {
        let sequence = try openSequence(path)
        var report: [String: Any] = [
            "path": path, "kind": "sequence", "layout": sequence.layout.rawValue, "name": sequence.name,
            "frames": sequence.count, "sensor": sequence.sensorName,
            "posed_frames": sequence.frames.filter { $0.egoPose != nil }.count,
            "image_frames": sequence.frames.filter { !$0.images.isEmpty }.count,
        ]
        if let first = sequence.frames.first, let last = sequence.frames.last { report["frame_names"] = [first.name, last.name] }
        if !sequence.frames.isEmpty {
            report["cameras"] = try sequence.cameras(at: 0).map { ["name": $0.name, "width": $0.intrinsics.width, "height": $0.intrinsics.height] as [String: Any] }
        }
        let times = sequence.frames.compactMap(\.timestamp)
        if times.count == sequence.count, let first = times.first, let last = times.last { report["time_span_seconds"] = last - first }
        report["gaps"] = sequence.gaps().map { gap -> [String: Any] in
            var entry: [String: Any] = ["after": sequence.frames[gap.after].name, "before": sequence.frames[gap.after + 1].name]
            if let seconds = gap.seconds { entry["seconds"] = seconds }
            if let missing = gap.missingFrames { entry["missing_frames"] = missing }
            return entry
        }
        if let region = sequence.labelledRegionCamera { report["labelled_region_camera"] = region }
        let gold = try sequence.labelSet()
        let objects = gold.frames.flatMap(\.objects)
        let dontCare = objects.filter { ClassNames.kittiCategory($0.category) == "DontCare" }.count
        report["gold_objects"] = objects.count - dontCare
        report["gold_dontcare"] = dontCare
        report["gold_tracks"] = Set(objects.compactMap(\.trackID)).count
        return report
    }

    static func text(_ report: [String: Any]) -> String {
        var lines = ["\(report["path"]!)", "  kind: sequence", "  layout: \(report["layout"]!)", "  name: \(report["name"]!)"]
        let names = (report["frame_names"] as? [String]).map { " (\($0[0]) ... \($0[1]))" } ?? ""
        lines.append("  frames: \(report["frames"]!)\(names), sensor \(report["sensor"]!)")
        let cameras = (report["cameras"] as? [[String: Any]] ?? []).map { "\($0["name"]!) \($0["width"]!) x \($0["height"]!)" }
        lines.append("  cameras: " + (cameras.isEmpty ? "none" : cameras.joined(separator: ", ")) + "; frames with images: \(report["image_frames"]!)")
        if let span = report["time_span_seconds"] as? Double { lines.append(String(format: "  time span: %.3f s", span)) }
        let gaps = report["gaps"] as? [[String: Any]] ?? []
        let shown = gaps.prefix(5).map { gap in
            "\(gap["after"]!) -> \(gap["before"]!)" + ((gap["seconds"] as? Double).map { String(format: " %.3f s", $0) } ?? "")
                + ((gap["missing_frames"] as? Int).map { ", \($0) frames missing" } ?? "")
        }
        lines.append("  gaps: " + (gaps.isEmpty ? "none" : "\(gaps.count): " + shown.joined(separator: "; ") + (gaps.count > 5 ? "; ..." : "")))
        lines.append("  ego poses: \(report["posed_frames"]!) of \(report["frames"]!) frames")
        if let region = report["labelled_region_camera"] { lines.append("  labelled region: \(region)'s view") }
        lines.append("  gold: \(report["gold_objects"]!) objects, \(report["gold_dontcare"]!) DontCare regions, \(report["gold_tracks"]!) tracks")
        return lines.joined(separator: "\n")
    }
}
