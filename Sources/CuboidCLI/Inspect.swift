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

    @Argument(help: "Files to inspect.")
    var paths: [String]

    @Flag(help: "One JSON object per input, one per line.")
    var json = false

    @Option(help: "Read point clouds as this format instead of detecting it (\(PointCloudFormat.allCases.map(\.rawValue).joined(separator: ", "))).")
    var format: PointCloudFormat?

    func run() throws {
        var failures = 0
        for path in paths {
            do {
                let report = try FileReport.make(path: path, format: format)
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
    FileHandle.standardError.write(Data("error: \(describe(error, path: path))\n".utf8))
}

/// The message for an error, naming the path when the error does not already.
func describe(_ error: any Error, path: String) -> String {
    switch error {
    case let error as FileDecodingError: error.description
    case let error as FileAccessError: error.description
    default: "\(path): \(error)"
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
