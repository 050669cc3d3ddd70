import ArgumentParser
import Cuboid
import Foundation

extension LabelFormat: ExpressibleByArgument {}
extension MOTVariant: ExpressibleByArgument {}

struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert and check label files (OpenLABEL, KITTI, SUSTechPOINTS, nuScenes, CVAT, Kitti Raw, Sly Point Cloud, Datumaro, COCO, MOT).",
        subcommands: [LabelsConvert.self, LabelsCheck.self])
}

/// Where labels come from, and the context formats need.
struct LabelSourceArguments: ParsableArguments {
    @Option(help: "Calibration: a KITTI calib file (object or raw form) used for every frame.")
    var calib: String?

    @Option(help: "A KITTI object folder whose calib/FRAME.txt calibrates each frame.")
    var dataset: String?

    @Option(help: "Image size WIDTHxHEIGHT, to project cuboids where a format needs 2D boxes (KITTI).")
    var imageSize: String?

    @Option(help: "Rename classes on reading: OLD=NEW[,OLD=NEW...] (e.g. Motor=Cyclist,Bus=Truck).")
    var classMap: String?

    @Option(help: "Leave out objects of this class (after renaming); repeat for several.")
    var dropClass: [String] = []

    func context(decimals: Int = 2, camera: String? = nil) throws -> LabelContext {
        var context = LabelContext(calibrationFolder: dataset, camera: camera, decimals: decimals)
        context.droppedClasses = Set(dropClass)
        if let calib { context.calibration = try KITTICalibration.read(calib) }
        if let dataset {
            // Image sizes from the dataset's images (DIR/CAMERA/FRAME.png or .jpg), read from their headers.
            context.frameImageSize = { frame, camera in
                for suffix in [".png", ".jpg", ".jpeg"] {
                    let path = dataset + "/" + camera + "/" + frame + suffix
                    guard FileManager.default.fileExists(atPath: path),
                          let header = try? FileBytes.decode(path, { (bytes) throws(ImageError) in try ImageCodec.header(bytes) }) else { continue }
                    return (header.width, header.height)
                }
                return nil
            }
        }
        if let imageSize { context.imageSize = try parseImageSize(imageSize) }
        if let classMap {
            for pair in classMap.split(separator: ",") {
                let sides = pair.split(separator: "=", maxSplits: 1)
                guard sides.count == 2 else { throw ValidationError("--class-map entries are OLD=NEW, found '\(pair)'") }
                context.classMap[String(sides[0])] = String(sides[1])
            }
        }
        return context
    }
}

/// `WIDTHxHEIGHT` from `--image-size`.
func parseImageSize(_ text: String) throws -> (width: Int, height: Int) {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("--image-size must be WIDTHxHEIGHT, e.g. 1242x375") }
    return (parts[0], parts[1])
}

struct LabelsConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert labels between formats.",
        discussion: """
            Formats: \(LabelFormat.allCases.map(\.rawValue).joined(separator: ", ")). kitti and sustechpoints are \
            per frame: IN/OUT is a folder of FRAME.txt / FRAME.json (or one file for one frame). KITTI needs \
            --calib or --dataset; nuscenes-info is read only. Every output file is written to a temporary \
            file and renamed; IN is never modified.
            """)

    @Argument(help: "Labels to read (a file, or a folder for per-frame formats).")
    var input: String

    @Argument(help: "Where to write (a file, or a folder for per-frame formats).")
    var output: String

    @Option(help: "Format of IN (default: detected from its content).")
    var from: LabelFormat?

    @Option(help: "Format of OUT (default openlabel).")
    var to: LabelFormat = .openLABEL

    @Option(help: "Camera whose 2D boxes CVAT and MOT get, when the labels have several; for KITTI, the camera whose boxes are camera 2's (default: image_2, else the one with P2's intrinsics).")
    var camera: String?

    @Option(help: "Decimals in KITTI output (2 as the benchmark's gold files).")
    var decimals = 2

    @Option(help: "Gold labels (read with --reference-format) whose image and category ids COCO results must use.")
    var reference: String?

    @Option(help: "Format of --reference.")
    var referenceFormat: LabelFormat?

    @Option(help: "MOT layout: mot15 (10 columns, also every MOTChallenge results file) or mot17 (MOT16/17 ground truth: 9 columns with the MOT17 class id and visibility).")
    var motVariant: MOTVariant = .mot15

    @Flag(help: "KITTI output: keep only the cuboids whose projection into camera 2 overlaps the image (with truncation computed), instead of refusing the others.")
    var kittiInView = false

    @OptionGroup var source: LabelSourceArguments

    func validate() throws {
        guard (0...9).contains(decimals) else { throw ValidationError("--decimals must be 0...9") }
    }

    func run() throws {
        let outputs = labelOutputs(output, format: to)
        try refuseOverwriting(inputs: [input, reference, source.calib, source.dataset], outputFiles: outputs.files, outputFolders: outputs.folders)
        let lock = try outputs.folders.first.map(holdOutputFolder)
        defer { withExtendedLifetime(lock) {} }
        do {
            var context = try source.context(decimals: decimals, camera: camera)
            context.motVariant = motVariant
            context.kittiInView = kittiInView
            let from = try labelInputFormat(input, given: from, option: "--from")
            if let reference { context.reference = try LabelStore.read(reference, format: referenceFormat ?? from, context: context) }
            let set = try LabelStore.read(input, format: from, context: context)
            let losses = try LabelStore.write(set, to: output, format: to, context: context)
            for line in losses { Log.shared.warning("\(output): \(line)") }
            FileHandle.standardError.write(Data("\(input) (\(from.rawValue)) -> \(output) (\(to.rawValue)): \(set.frames.count) frames, \(set.objectCount) objects\n".utf8))
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: input)
            throw ExitCode(1)
        }
    }
}

struct LabelsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report boxes with impossible sizes for their class, yaw flips within a track, tracks with gaps, and boxes that hold no lidar point.",
        discussion: """
            With --sequence (a dataset folder Cuboid opens as a sequence), each frame's point cloud is \
            read to find empty boxes; frames are matched by name. Without --labels, the sequence's own \
            gold labels are checked. Exit code 0 with no findings, 2 with findings, 1 on a read error.
            """)

    @Option(help: "Labels to check.")
    var labels: String?

    @Option(help: "Format of --labels (default: detected from its content).")
    var labelsFormat: LabelFormat?

    @Option(name: .customLong("format"), help: .hidden)
    var earlierFormat: LabelFormat?

    func validate() throws {
        try checkRenamed(labelsFormat, "--labels-format", earlier: earlierFormat, "--format")
    }

    @Option(help: "A dataset folder (KITTI, SUSTechPOINTS, nuScenes info, generic) whose clouds to test boxes against.")
    var sequence: String?

    @Flag(help: "Print the findings as JSON lines.")
    var json = false

    @OptionGroup var source: LabelSourceArguments

    func run() throws {
        let findings: [LabelFinding]
        do {
            let opened = try sequence.map { try openSequence($0) }
            guard labels != nil || opened != nil else { throw ValidationError("give --labels, --sequence, or both") }
            var context = try source.context()
            if context.calibrationFolder == nil, let opened, opened.layout == .kittiObject { context.calibrationFolder = opened.root }
            let set = try labels.map { try LabelStore.read($0, format: try labelInputFormat($0, given: labelsFormat ?? earlierFormat, option: "--labels-format"), context: context) } ?? opened!.labelSet()
            var frameIndex: [String: Int] = [:]
            for (index, frame) in (opened?.frames ?? []).enumerated() { frameIndex[frame.name] = index }
            findings = try checkLabels(set, pointClouds: opened.map { sequence in
                { index in try frameIndex[set.frames[index].name].map { try sequence.pointCloud(at: $0) } }
            })
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                for finding in findings { print(String(decoding: try encoder.encode(finding), as: UTF8.self)) }
            } else {
                for finding in findings { print(finding) }
                let counts = Dictionary(grouping: findings, by: \.kind).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
                FileHandle.standardError.write(Data("\(set.frames.count) frames, \(set.objectCount) objects: \(findings.isEmpty ? "no findings" : counts.joined(separator: ", "))\n".utf8))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: labels ?? sequence ?? "")
            throw ExitCode(1)
        }
        if !findings.isEmpty { throw ExitCode(2) }
    }
}

struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each cuboid's 2D box in a camera image.",
        discussion: """
            Corners behind the camera's near plane (0.1 m) are cut away and the box is clipped to the \
            image. People (Pedestrian, Person_sitting, pedestrian, person) project as the elliptic cylinder \
            inscribed in their cuboid. --calib is a KITTI calib file (--camera image_2 or image_3; \
            --image-size or --image gives the size) or a camera JSON (intrinsic, extrinsic, width, height).
            """)

    @Argument(help: "Labels (a KITTI label file, or any format Cuboid reads).")
    var labels: String

    @Option(help: "Format of LABELS (default: detected from its content).")
    var from: LabelFormat?

    @Option(name: .customLong("format"), help: .hidden)
    var earlierFormat: LabelFormat?

    @Option(help: "Calibration: a KITTI calib file, or a camera JSON.")
    var calib: String

    @Option(help: "Camera: image_2 / image_3 for KITTI calibration, or the camera's name.")
    var camera = "image_2"

    @Option(help: "Image size WIDTHxHEIGHT.")
    var imageSize: String?

    @Option(help: "An image whose header gives the size.")
    var image: String?

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        try checkRenamed(from, "--from", earlier: earlierFormat, "--format")
    }

    func run() throws {
        do {
            var size: (width: Int, height: Int)?
            if let imageSize {
                size = try parseImageSize(imageSize)
            } else if let image {
                let header = try FileBytes.decode(image) { (bytes) throws(ImageError) in try ImageCodec.header(bytes) }
                size = (header.width, header.height)
            }
            let chosen: Camera
            var context = LabelContext()
            if calib.hasSuffix(".json") {
                chosen = try FileBytes.decode(calib) { (bytes) throws(LabelFileError) in try CameraCalibrationFile.decode(bytes, name: camera, imageSize: size) }
            } else {
                let calibration = try FileBytes.decode(calib) { (bytes) throws(KITTICalibrationError) in try KITTICalibration.decode(bytes) }
                guard let size else { throw ValidationError("a KITTI calibration needs --image-size or --image") }
                guard let index = Int(camera.filter(\.isNumber)), (0...3).contains(index) else { throw ValidationError("--camera for KITTI is image_0 ... image_3") }
                chosen = try calibration.camera(index, width: size.width, height: size.height)
                context.calibration = calibration
            }
            let set = try LabelStore.read(labels, format: try labelInputFormat(labels, given: from ?? earlierFormat, option: "--from"), context: context)
            for frame in set.frames {
                for (index, object) in frame.objects.enumerated() {
                    guard let box = object.cuboid else { continue }
                    let projected = projectedBox(box, camera: chosen, silhouette: ProjectionSilhouette(className: object.category))
                    if json {
                        let boxText = projected.map { "[\(roundTripText($0.minX)), \(roundTripText($0.minY)), \(roundTripText($0.maxX)), \(roundTripText($0.maxY))]" } ?? "null"
                        print("{\"frame\": \"\(frame.name)\", \"object\": \(index), \"class\": \"\(object.category)\", \"box\": \(boxText)}")
                    } else if let projected {
                        print(frame.name, index, object.category, String(format: "%.2f %.2f %.2f %.2f", projected.minX, projected.minY, projected.maxX, projected.maxY))
                    } else {
                        print(frame.name, index, object.category, "not visible")
                    }
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: labels)
            throw ExitCode(1)
        }
    }
}
