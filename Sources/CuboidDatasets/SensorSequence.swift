public import CuboidFormats
public import CuboidGeometry
public import CuboidImages
public import CuboidPointClouds
import CuboidIO
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The dataset layouts Cuboid opens as sequences.
public enum SequenceLayout: String, Sendable, Hashable, Codable, CaseIterable {
    /// KITTI object benchmark: `training/{velodyne,velodyne_reduced,image_2,calib,label_2}`.
    case kittiObject = "kitti-object"
    /// KITTI raw recording: `velodyne_points/data`, `image_02/data`, calibration files, `oxts/data`.
    case kittiRaw = "kitti-raw"
    /// KITTI tracking benchmark: `training/velodyne/SEQ/NNNNNN.bin`, `label_02/SEQ.txt`,
    /// `calib/SEQ.txt`, `poses/SEQ.txt` or `oxts/SEQ.txt`, `image_02/SEQ/NNNNNN.png`; one sequence per SEQ.
    case kittiTracking = "kitti-tracking"
    /// SUSTechPOINTS scene: `lidar/*.pcd`, `label/*.json`, `camera/NAME/`, `calib/camera/NAME.json`.
    case susTechPOINTS = "sustechpoints"
    /// mmdetection3d nuScenes info JSON beside the files it names.
    case nuScenesInfo = "nuscenes-info"
    /// A folder of point clouds with optional cameras, calibration, poses and timestamps (see README).
    case generic

    /// Whether the layout's frames are sweeps of one drive in order, so the ego's motion between them
    /// can be estimated from the lidar (`cuboid odometry`): false for the KITTI object benchmark and
    /// nuScenes info files, whose frames are separate samples, often of different scenes.
    public var framesAreOneDrive: Bool {
        switch self {
        case .kittiObject, .nuScenesInfo: false
        case .kittiRaw, .kittiTracking, .susTechPOINTS, .generic: true
        }
    }
}

/// One frame of a sequence, as file references: nothing is read until asked for.
public struct SensorFrameReference: Sendable, Hashable {
    /// The frame's name (a file stem such as `000001`).
    public var name: String
    /// Seconds, when the layout gives them.
    public var timestamp: Double?
    /// World-from-lidar pose, when the layout gives one.
    public var egoPose: RigidPose?
    /// Point cloud files by sensor name.
    public var pointClouds: [String: String] {
        get { clouds.dictionary }
        set { clouds = NamedFiles(newValue) }
    }
    /// Image files by camera name.
    public var images: [String: String] {
        get { cameraImages.dictionary }
        set { cameraImages = NamedFiles(newValue) }
    }
    /// Gold label file, when the layout has one per frame.
    public var labelPath: String?
    // A long recording holds one of these a frame: one file (the usual case) is kept without a
    // dictionary's allocation, its folder shared with the other frames (see `sharingFolders`).
    private var clouds: NamedFiles
    private var cameraImages: NamedFiles

    /// The same frame with its folder names sharing storage with equal ones in `folders`.
    func sharingFolders(_ folders: inout [String: String]) -> SensorFrameReference {
        var frame = self
        frame.clouds.shareFolder(&folders)
        frame.cameraImages.shareFolder(&folders)
        return frame
    }

    public init(name: String, timestamp: Double?, egoPose: RigidPose?, pointClouds: [String: String], images: [String: String], labelPath: String?) {
        self.name = name
        self.timestamp = timestamp
        self.egoPose = egoPose
        clouds = NamedFiles(pointClouds)
        cameraImages = NamedFiles(images)
        self.labelPath = labelPath
    }
}

/// Files by name, without an allocation for zero or one: one file is its name, its folder (with
/// the final `/`) and its file name (short enough, like `0000000042.bin`, to need no allocation).
private enum NamedFiles: Sendable, Hashable {
    case none
    case one(name: String, folder: String, file: String)
    case many([String: String])

    init(_ files: [String: String]) {
        switch files.count {
        case 0: self = .none
        case 1:
            let (name, path) = files.first!
            let cut = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
            self = .one(name: name, folder: String(path[..<cut]), file: String(path[cut...]))
        default: self = .many(files)
        }
    }

    var dictionary: [String: String] {
        switch self {
        case .none: [:]
        case .one(let name, let folder, let file): [name: folder + file]
        case .many(let files): files
        }
    }

    mutating func shareFolder(_ folders: inout [String: String]) {
        guard case .one(let name, let folder, let file) = self else { return }
        if let shared = folders[folder] { self = .one(name: name, folder: shared, file: file) } else { folders[folder] = folder }
    }
}

/// A place where a recording skips (``SensorSequence/gaps(factor:)``).
public struct SequenceGap: Sendable, Hashable {
    /// Index of the frame before the gap.
    public var after: Int
    /// Time from that frame to the next, seconds, when the frames carry timestamps (zero or
    /// negative: time stands still or runs back).
    public var seconds: Double?
    /// Frames the gap stands for (by the median step, or by the frame numbers), when known.
    public var missingFrames: Int?
}

/// A sequence of sensor frames from a dataset folder: per frame a timestamp, point clouds, camera
/// images, the calibration and the ego pose when known.
///
/// Opening a sequence lists files and reads small metadata (calibration, poses, timestamps); point
/// clouds, images and labels are read only when a frame asks for them, so a 10,000-frame sequence
/// costs a few hundred bytes per frame until it is used.
public struct SensorSequence: Sendable {
    /// The layout the folder was read as.
    public let layout: SequenceLayout
    /// The folder.
    public let root: String
    /// Frames in time order.
    public let frames: [SensorFrameReference]
    /// The lidar sensor's name (`velodyne`, `lidar`, `LIDAR_TOP`).
    public let sensorName: String
    /// The sequence's name: the SEQ of a KITTI tracking sequence (`0000`), else the folder's name.
    public let name: String
    /// The camera whose view bounds the region a KITTI layout labels (KITTI labels only what camera 2
    /// sees): `image_2` for KITTI object, `image_02` for KITTI tracking and for a KITTI raw recording
    /// with tracking labels beside it; nil when the gold covers the whole sweep (or there is none).
    public let labelledRegionCamera: String?

    /// Files left out because their names are not UTF-8, which no `String` path can open: each is
    /// the folder and the name with every byte outside printable ASCII escaped as `\xNN`
    /// (`velodyne/\xFF000001.bin`). The other frames open as usual; callers report these.
    public let skippedFiles: [String]

    private let calibrationSource: CalibrationSource
    private let preloadedLabels: WholeSequenceLabels

    init(layout: SequenceLayout, root: String, frames: [SensorFrameReference], sensorName: String,
                 calibrationSource: CalibrationSource, preloadedLabels: WholeSequenceLabels, skippedFiles: [String],
                 name: String? = nil, labelledRegionCamera: String? = nil) {
        self.name = name ?? Paths.lastComponent(root)
        self.labelledRegionCamera = labelledRegionCamera
        self.skippedFiles = Array(Set(skippedFiles)).sorted()
        self.layout = layout
        self.root = root
        var folders: [String: String] = [:]
        self.frames = frames.map { $0.sharingFolders(&folders) }
        self.sensorName = sensorName
        self.calibrationSource = calibrationSource
        self.preloadedLabels = preloadedLabels
    }

    enum CalibrationSource: Sendable {
        case kittiPerFrame(folder: String)
        case kittiFixed(KITTICalibration)
        case cameras([Camera])
        case cameraFiles([String: String])
        case none
    }

    /// Number of frames.
    public var count: Int { frames.count }

    /// Whether the sweeps follow each other with none skipped, so the motion from one to the next is
    /// small enough to register (lidar odometry predicts each pose from the last motion): every gap
    /// between timestamps at most `maximumGap` seconds when every frame has one, else frame names
    /// that are whole numbers counting up by one (`000950`, `000951`, ...). SUSTechPOINTS' example
    /// scene (every 5th frame of a drive) and KITTI object frames are not.
    /// - Parameter maximumGap: Seconds; 0.25 by default (a 10 Hz lidar with at most one sweep lost).
    public func sweepsAreConsecutive(maximumGap: Double = 0.25) -> Bool {
        guard frames.count >= 2 else { return false }
        let times = frames.compactMap(\.timestamp)
        if times.count == frames.count {
            return zip(times, times.dropFirst()).allSatisfy { $1 > $0 && $1 - $0 <= maximumGap }
        }
        let numbers = frames.compactMap { Int($0.name) }
        guard numbers.count == frames.count else { return false }
        return zip(numbers, numbers.dropFirst()).allSatisfy { $1 == $0 + 1 }
    }

    /// Where the recording skips: between frame `after` and the next, by timestamps when every frame
    /// has one (a gap longer than `factor` times the median step), else by frame names that are whole
    /// numbers (a step other than one). Frames that have neither, and layouts whose frames are separate
    /// scenes, give no gaps.
    /// - Parameter factor: How many median steps make a gap; 1.5 by default (one lost sweep is 2).
    public func gaps(factor: Double = 1.5) -> [SequenceGap] {
        // Frames of separate scenes (KITTI object) have no order to skip in.
        guard frames.count >= 2, layout.framesAreOneDrive else { return [] }
        let times = frames.compactMap(\.timestamp)
        if times.count == frames.count {
            let steps = zip(times, times.dropFirst()).map { $1 - $0 }
            let median = steps.sorted()[steps.count / 2]
            return steps.enumerated().compactMap { index, step in
                step > factor * median || step <= 0 ? SequenceGap(after: index, seconds: step, missingFrames: median > 0 ? max(Int((step / median).rounded()) - 1, 0) : nil) : nil
            }
        }
        let numbers = frames.compactMap { Int($0.name) }
        guard numbers.count == frames.count else { return [] }
        return zip(numbers, numbers.dropFirst()).enumerated().compactMap { index, pair in
            pair.1 == pair.0 + 1 ? nil : SequenceGap(after: index, seconds: nil, missingFrames: max(pair.1 - pair.0 - 1, 0))
        }
    }

    /// The same sequence with other world-from-lidar poses (one per frame, nil for none): poses
    /// estimated by lidar odometry, or none at all. The labels it reads carry the new poses.
    public func replacingEgoPoses(_ poses: [RigidPose?]) -> SensorSequence {
        precondition(poses.count == frames.count, "one pose per frame")
        var replaced = frames
        for index in replaced.indices { replaced[index].egoPose = poses[index] }
        return SensorSequence(layout: layout, root: root, frames: replaced, sensorName: sensorName, calibrationSource: calibrationSource,
                              preloadedLabels: preloadedLabels, skippedFiles: skippedFiles, name: name, labelledRegionCamera: labelledRegionCamera)
    }

    /// The files the frames read (sweeps, images, per-frame labels) and the folder itself, so that a
    /// run can check that it writes over none of them.
    public var inputFiles: [String] {
        [root] + frames.flatMap { frame in Array(frame.pointClouds.values) + Array(frame.images.values) + (frame.labelPath.map { [$0] } ?? []) }
    }


    /// Reads a frame's point cloud.
    /// - Parameters:
    ///   - index: The frame's index in ``frames``.
    ///   - sensor: The sensor (default: the sequence's lidar).
    /// - Throws: ``SequenceError/missing(frame:what:)``, or the decoder's error naming the file.
    public func pointCloud(at index: Int, sensor: String? = nil) throws -> PointCloud {
        try PointCloudCodec.read(try pointCloudFile(at: index, sensor: sensor)).cloud
    }

    /// The file holding a frame's point cloud.
    /// - Parameters:
    ///   - index: The frame's index in ``frames``.
    ///   - sensor: The sensor (default: the sequence's lidar).
    /// - Throws: ``SequenceError/missing(frame:what:)`` when the frame has none.
    public func pointCloudFile(at index: Int, sensor: String? = nil) throws -> String {
        let frame = frames[index]
        guard let path = frame.pointClouds[sensor ?? sensorName] else { throw SequenceError.missing(frame: frame.name, what: "point cloud \(sensor ?? sensorName)") }
        return path
    }

    /// Reads a frame's image from a camera.
    /// - Throws: ``SequenceError/missing(frame:what:)``, or the decoder's error naming the file.
    public func image(at index: Int, camera: String) throws -> Image {
        let frame = frames[index]
        guard let path = frame.images[camera] else { throw SequenceError.missing(frame: frame.name, what: "image from \(camera)") }
        return try ImageCodec.read(path)
    }

    /// The cameras of a frame, calibrated against the lidar (image sizes from the frame's images).
    /// - Throws: a calibration or image header error naming the file.
    public func cameras(at index: Int) throws -> [Camera] {
        let frame = frames[index]
        switch calibrationSource {
        case .none: return []
        case .cameras(let cameras): return cameras
        case .kittiFixed(let calibration): return try kittiCameras(calibration, frame: frame)
        case .kittiPerFrame(let folder): return try kittiCameras(try KITTICalibration.read(folder + "/" + frame.name + ".txt"), frame: frame)
        case .cameraFiles(let files):
            var cameras: [Camera] = []
            for (name, path) in files.sorted(by: { $0.key < $1.key }) {
                let size = try frame.images[name].map { try imageSize($0) } ?? firstImageSize(camera: name)
                cameras.append(try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try CameraCalibrationFile.decode(bytes, name: name, imageSize: size) })
            }
            return cameras
        }
    }

    /// The KITTI calibration of a frame, for KITTI layouts.
    public func kittiCalibration(at index: Int) throws -> KITTICalibration? {
        switch calibrationSource {
        case .kittiFixed(let calibration): return calibration
        case .kittiPerFrame(let folder): return try KITTICalibration.read(folder + "/" + frames[index].name + ".txt")
        default: return nil
        }
    }

    /// Whether the layout names gold labels: per-frame label files, or a whole-sequence file (KITTI
    /// tracking's `label_02/SEQ.txt`, nuScenes infos).
    public var hasLabels: Bool { frames.contains { $0.labelPath != nil } || preloadedLabels.hasLabels }

    /// The gold labels of a frame, when the layout has them, in the lidar frame.
    /// - Returns: nil when the frame has no label file.
    public func labels(at index: Int) throws -> LabeledFrame? {
        let frame = frames[index]
        if var preloaded = try preloadedLabels.frame(named: frame.name, frames: frames) {
            preloaded.egoPose = frame.egoPose
            return preloaded
        }
        guard let path = frame.labelPath else { return nil }
        var labeled = LabeledFrame(name: frame.name, timestamp: frame.timestamp, egoPose: frame.egoPose)
        switch layout {
        case .kittiObject:
            guard let calibration = try kittiCalibration(at: index) else { return nil }
            labeled.objects = try KITTILabelFile.read(path).map { LabeledObject(kitti: $0, calibration: calibration) }
        case .susTechPOINTS, .generic:
            labeled.objects = try SUSTechPOINTSLabelFile.read(path)
        default: return nil
        }
        return labeled
    }

    /// All gold labels as one label set (reads every label file).
    public func labelSet() throws -> LabelSet {
        var set = LabelSet(sensorName: sensorName)
        if !frames.isEmpty { set.cameras = (try? cameras(at: 0)) ?? [] }
        for index in frames.indices {
            set.frames.append(try labels(at: index) ?? LabeledFrame(name: frames[index].name, timestamp: frames[index].timestamp, egoPose: frames[index].egoPose))
        }
        return set
    }

    // MARK: - Layouts

    /// KITTI's image size (1242 x 375 pixels), given to camera 2 when a KITTI folder has its
    /// calibration but no image from it (KITTI tracking's sweeps come without images), so that its
    /// view still bounds the labelled region and the pre-labels get their 2D boxes.
    public static let kittiImageSize = (width: 1242, height: 375)

    private func kittiCameras(_ calibration: KITTICalibration, frame: SensorFrameReference) throws -> [Camera] {
        var cameras: [Camera] = []
        let leftColour = layout == .kittiObject ? "image_2" : "image_02"
        for (name, index) in [("image_2", 2), ("image_3", 3), ("image_02", 2), ("image_03", 3)] {
            guard calibration.projections[index] != nil else { continue }
            let size: (width: Int, height: Int)
            if let path = frame.images[name] {
                size = try imageSize(path)
            } else if name == leftColour {
                size = try firstImageSize(camera: name) ?? Self.kittiImageSize
            } else {
                continue
            }
            var camera = try calibration.camera(index, width: size.width, height: size.height)
            camera.name = name
            cameras.append(camera)
        }
        return cameras
    }

    private func firstImageSize(camera: String) throws -> (width: Int, height: Int)? {
        guard let path = frames.lazy.compactMap({ $0.images[camera] }).first else { return nil }
        return try imageSize(path)
    }

    private func imageSize(_ path: String) throws -> (width: Int, height: Int) {
        let header = try FileBytes.decode(path) { (bytes) throws(ImageError) in try ImageCodec.header(bytes) }
        return (header.width, header.height)
    }

}

/// A folder that cannot be opened as a sequence.
public enum SequenceError: Error, Sendable, Hashable, CustomStringConvertible {
    case notAFolder(String)
    case unknownLayout(String)
    case missing(frame: String, what: String)
    /// A KITTI tracking folder with several sequences given where one is needed (the names are its SEQs).
    case severalSequences(String, names: [String])
    /// A file the layout names is absent.
    case missingFile(String, what: String)

    public var description: String {
        switch self {
        case .notAFolder(let path): "\(path): not a folder"
        case .unknownLayout(let path):
            "\(path): no known layout (expected KITTI velodyne/ or velodyne_points/, SUSTechPOINTS lidar/, a .pkl.json, or point cloud files)"
        case .missing(let frame, let what): "frame \(frame) has no \(what)"
        case .severalSequences(let path, let names):
            "\(path): holds \(names.count) KITTI tracking sequences (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")); name one as \(path)/velodyne/SEQ"
        case .missingFile(let path, let what): "\(path): missing (\(what))"
        }
    }
}

/// Labels kept in one file for a whole sequence (KITTI tracking, nuScenes infos), by frame name:
/// given, or read on first use (once, under a lock; a failed read is retried on the next call).
final class WholeSequenceLabels: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [String: LabeledFrame]?
    private let load: (@Sendable ([SensorFrameReference]) throws -> [String: LabeledFrame])?

    init(_ frames: [String: LabeledFrame]) {
        self.frames = frames
        load = nil
    }

    /// - Parameter load: Reads the labels, given the sequence's frames.
    init(load: @escaping @Sendable ([SensorFrameReference]) throws -> [String: LabeledFrame]) {
        frames = nil
        self.load = load
    }

    /// Whether there are labels (or a file to read them from).
    var hasLabels: Bool {
        lock.lock()
        defer { lock.unlock() }
        return load != nil || frames?.isEmpty == false
    }

    func frame(named name: String, frames sequenceFrames: [SensorFrameReference]) throws -> LabeledFrame? {
        lock.lock()
        defer { lock.unlock() }
        if frames == nil { frames = try load!(sequenceFrames) }
        return frames![name]
    }
}
