import ArgumentParser
import Cuboid
import Foundation

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a point cloud between KITTI .bin, nuScenes .pcd.bin, PCD and PLY, or an image between PNG and JPEG.",
        discussion: """
            The output format follows OUT's extension (.bin, .pcd.bin, .pcd = PCD binary, .ply = PLY \
            binary little-endian, .png, .jpg) unless --to names one. Anything the target format cannot \
            hold (an attribute, an organised layout) is listed as a warning. The output is written to a \
            temporary file and renamed, so OUT is never left half-written; IN is never modified.
            """)

    @Argument(help: "The file to read.")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(help: "Output format: \(PointCloudFormat.allCases.map(\.rawValue).joined(separator: ", ")), png, jpeg.")
    var to: String?

    @Option(help: "Read IN as this point cloud format instead of detecting it (needed for headerless sweeps without a .bin extension).")
    var from: PointCloudFormat?

    @Option(help: "JPEG quality, 1-100.")
    var quality = 90

    func validate() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100") }
        if let to, PointCloudFormat(rawValue: to) == nil, ImageFormat(rawValue: to) == nil {
            throw ValidationError("unknown format '\(to)'; known: \((PointCloudFormat.allCases.map(\.rawValue) + ["png", "jpeg"]).joined(separator: ", "))")
        }
        // OUT's extension is an argument: checked before IN is read, so a wrong one is exit code 64.
        if to == nil, PointCloudFormat(pathExtensionOf: output) == nil, ImageFormat(pathExtensionOf: output) == nil {
            throw ValidationError("cannot tell the output format from '\(output)': name it .bin, .pcd.bin, .pcd, .ply, .png or .jpg, or use --to")
        }
    }

    func run() throws {
        try refuseOverwriting(inputs: [input], outputFiles: [output])
        do {
            try convert()
        } catch let error as ExitCode {
            throw error
        } catch {
            reportError(error, path: input)
            throw ExitCode(1)
        }
    }

    private func convert() throws {
        let file = try InputFile.read(input, pointCloudFormat: from)
        let bytes = file.bytes
        let imageTarget = to.flatMap(ImageFormat.init(rawValue:)) ?? (to == nil ? ImageFormat(pathExtensionOf: output) : nil)
        if case .image = file {
            // Decoded first, so an empty or damaged image is reported as such whatever OUT is.
            let image: Image
            do { image = try ImageCodec.decode(bytes) } catch { throw FileDecodingError(path: input, underlying: error) }
            guard let imageTarget else {
                throw ValidationError("\(input) is a \(ImageFormat.detect(bytes)!.rawValue) image; OUT must be .png or .jpg (or --to png|jpeg)")
            }
            let encoded =
                imageTarget == .png
                ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: quality)
            try FileBytes.writeAtomically(encoded, to: output)
            return
        }
        guard let target = to.flatMap(PointCloudFormat.init(rawValue:)) ?? PointCloudFormat(pathExtensionOf: output) else {
            throw ValidationError("cannot tell the output format from '\(output)': use --to")
        }
        let decoded: DecodedPointCloud
        do { decoded = try PointCloudCodec.decode(bytes, format: from, path: input) } catch { throw FileDecodingError(path: input, underlying: error) }
        for note in decoded.notes { Log.shared.warning("\(input): \(note)") }
        for loss in PointCloudCodec.losses(encoding: decoded.cloud, as: target) { Log.shared.warning("\(output): \(loss)") }
        try PointCloudCodec.write(decoded.cloud, to: output, format: target)
    }
}
