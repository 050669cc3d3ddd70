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

    private init(layout: SequenceLayout, root: String, frames: [SensorFrameReference], sensorName: String,
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

    /// Opens a folder, detecting its layout (or using the one given).
    ///
    /// A KITTI tracking sequence is named by its sweep folder `training/velodyne/SEQ`, or by the
    /// `training` folder (or the folder above it) when that holds one sequence; a folder with several
    /// is refused with ``SequenceError/severalSequences(_:names:)``: ``sequenceFolders(_:)`` lists them.
    /// - Throws: ``SequenceError`` when the folder matches no layout, `FileAccessError` or a decoder's
    ///   error (naming the file) for calibration, poses or timestamps that do not read.
    public static func open(_ root: String, layout: SequenceLayout? = nil) throws -> SensorSequence {
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        guard directoryExists(root) else { throw SequenceError.notAFolder(root) }
        let chosen = try layout ?? detectLayout(root)
        switch chosen {
        case .kittiObject: return try openKITTIObject(root)
        case .kittiRaw: return try openKITTIRaw(root)
        case .kittiTracking:
            guard let found = kittiTrackingFolders(root) else { throw SequenceError.unknownLayout(root) }
            guard found.sequences.count == 1 else { throw SequenceError.severalSequences(root, names: found.sequences) }
            return try openKITTITracking(training: found.training, sequence: found.sequences[0])
        case .susTechPOINTS: return try openSUSTechPOINTS(root)
        case .nuScenesInfo: return try openNuScenesInfo(root)
        case .generic: return try openGeneric(root)
        }
    }

    /// Reads a frame's point cloud.
    /// - Parameter sensor: The sensor (default: the sequence's lidar).
    /// - Throws: ``SequenceError/missing(frame:what:)``, or the decoder's error naming the file.
    public func pointCloud(at index: Int, sensor: String? = nil) throws -> PointCloud {
        try PointCloudCodec.read(try pointCloudFile(at: index, sensor: sensor)).cloud
    }

    /// The file holding a frame's point cloud.
    /// - Parameter sensor: The sensor (default: the sequence's lidar).
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

    /// The sequences a folder given on the command line stands for, each a path ``open(_:layout:)``
    /// opens: a KITTI tracking `training` folder (or the folder above it) with several sequences
    /// gives each sequence's sweep folder `training/velodyne/SEQ`, in SEQ order; any other path is
    /// itself (opening it reports what is wrong with it).
    public static func sequenceFolders(_ path: String) -> [String] {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        guard directoryExists(trimmed), let found = kittiTrackingFolders(trimmed), found.sequences.count > 1 else { return [path] }
        return found.sequences.map { found.training + "/velodyne/" + $0 }
    }

    /// A KITTI tracking layout: the `training` folder and its SEQs, or nil. `root` is the sweep
    /// folder `training/velodyne/SEQ` (a folder of point clouds inside `velodyne`, beside which
    /// `calib`, `label_02`, `poses` or `oxts` lies), the `training` folder (a `velodyne` folder of
    /// folders) or the folder holding `training`.
    static func kittiTrackingFolders(_ root: String) -> (training: String, sequences: [String])? {
        var ignored: [String] = []
        let parent = Paths.parent(root)
        if Paths.lastComponent(parent) == "velodyne", (try? pointCloudFiles(root, &ignored).isEmpty) == false {
            let training = Paths.parent(parent)
            if ["calib", "label_02", "poses", "oxts"].contains(where: { directoryExists(training + "/" + $0) }) {
                return (training, [Paths.lastComponent(root)])
            }
        }
        for training in [root, root + "/training"] where directoryExists(training + "/velodyne") {
            guard let names = try? listing(training + "/velodyne", &ignored) else { return nil }
            if names.contains(where: { PointCloudFormat(pathExtensionOf: $0) != nil }) { return nil }
            let sequences = names.filter { directoryExists(training + "/velodyne/" + $0) }.sorted()
            return sequences.isEmpty ? nil : (training, sequences)
        }
        return nil
    }

    static func detectLayout(_ root: String) throws -> SequenceLayout {
        if kittiTrackingFolders(root) != nil { return .kittiTracking }
        if directoryExists(root + "/velodyne") || directoryExists(root + "/velodyne_reduced") || directoryExists(root + "/training/velodyne") { return .kittiObject }
        if directoryExists(root + "/velodyne_points") { return .kittiRaw }
        if directoryExists(root + "/lidar") && directoryExists(root + "/label") { return .susTechPOINTS }
        var ignored: [String] = []
        if (try listing(root, &ignored)).contains(where: { $0.hasSuffix(".pkl.json") }) { return .nuScenesInfo }
        if try !pointCloudFiles(root, &ignored).isEmpty || directoryExists(root + "/lidar") || directoryExists(root + "/points") { return .generic }
        throw SequenceError.unknownLayout(root)
    }

    private static func openKITTIObject(_ given: String) throws -> SensorSequence {
        var skipped: [String] = []
        let root = directoryExists(given + "/training") && !directoryExists(given + "/velodyne") ? given + "/training" : given
        var stems = Set<String>()
        for folder in ["velodyne", "velodyne_reduced", "label_2", "image_2"] where directoryExists(root + "/" + folder) {
            for file in try listing(root + "/" + folder, &skipped) { stems.insert(stem(file)) }
        }
        let frames = stems.sorted().map { name -> SensorFrameReference in
            var clouds: [String: String] = [:]
            // The full scan when present, else the camera-cropped one.
            for folder in ["velodyne", "velodyne_reduced"] where clouds.isEmpty {
                let path = root + "/\(folder)/\(name).bin"
                if FileManager.default.fileExists(atPath: path) { clouds["velodyne"] = path }
            }
            var images: [String: String] = [:]
            for camera in ["image_2", "image_3"] {
                let path = root + "/\(camera)/\(name).png"
                if FileManager.default.fileExists(atPath: path) { images[camera] = path }
            }
            let label = root + "/label_2/\(name).txt"
            return SensorFrameReference(name: name, timestamp: nil, egoPose: nil, pointClouds: clouds, images: images,
                                        labelPath: FileManager.default.fileExists(atPath: label) ? label : nil)
        }
        return SensorSequence(layout: .kittiObject, root: root, frames: frames, sensorName: "velodyne",
                              calibrationSource: .kittiPerFrame(folder: root + "/calib"), preloadedLabels: WholeSequenceLabels([:]), skippedFiles: skipped,
                              labelledRegionCamera: "image_2")
    }

    private static func openKITTIRaw(_ root: String) throws -> SensorSequence {
        var skipped: [String] = []
        let cloudFolder = root + "/velodyne_points/data"
        let names = try listing(cloudFolder, &skipped).filter { $0.hasSuffix(".bin") }.sorted().map(stem)
        let timestamps = try readTimestamps(root + "/velodyne_points/timestamps.txt", count: names.count)
        // Calibration: the recording's three files (in the folder or the date folder above it), else
        // one combined calib*.txt in the folder.
        var calibration: KITTICalibration?
        let parent = Paths.parent(root)
        for folder in [root, parent] where calibration == nil && FileManager.default.fileExists(atPath: folder + "/calib_cam_to_cam.txt") {
            calibration = try KITTICalibration.readRaw(folder: folder)
        }
        if calibration == nil, let file = try listing(root, &skipped).filter({ $0.hasPrefix("calib") && $0.hasSuffix(".txt") }).sorted().first {
            calibration = try KITTICalibration.read(root + "/" + file)
        }
        var poses: [RigidPose?] = Array(repeating: nil, count: names.count)
        let oxtsFolder = root + "/oxts/data"
        if directoryExists(oxtsFolder) {
            let records = try names.map { name in try FileBytes.decode(oxtsFolder + "/" + name + ".txt", OXTSRecord.decode) }
            let imuPoses = OXTSRecord.poses(records)
            let velodyneFromIMU = calibration?.imuToVelodyne.map { RigidPose(matrix: $0) }
            poses = imuPoses.map { pose in velodyneFromIMU.map { pose.composed(with: $0.inverse) } ?? pose }
        }
        let frames = names.enumerated().map { index, name -> SensorFrameReference in
            var images: [String: String] = [:]
            for camera in ["image_02", "image_03"] {
                let path = root + "/\(camera)/data/\(name).png"
                if FileManager.default.fileExists(atPath: path) { images[camera] = path }
            }
            return SensorFrameReference(name: name, timestamp: timestamps?[index] ?? Double(index) * 0.1, egoPose: poses[index],
                                        pointClouds: ["velodyne": cloudFolder + "/\(name).bin"], images: images, labelPath: nil)
        }
        // Tracking labels beside the recording (label_02/SEQ.txt) are read whole, when first asked for
        // (pre-labelling never asks, and a long recording's labels would hold memory all run).
        var labels = WholeSequenceLabels([:])
        let labelFolder = root + "/label_02"
        if directoryExists(labelFolder), let calibration, let file = try listing(labelFolder, &skipped).filter({ $0.hasSuffix(".txt") }).sorted().first {
            labels = WholeSequenceLabels { frames in
                let set = try LabelStore.read(labelFolder + "/" + file, format: .kittiTracking, context: LabelContext(calibration: calibration))
                // Tracking labels number frames from 0 in recording order; frames past the last label have none.
                return trackingLabelsByFrame(set, frames: frames) { index, _ in index }
            }
        }
        let hasTrackingLabels = calibration != nil && directoryExists(labelFolder)
        return SensorSequence(layout: .kittiRaw, root: root, frames: frames, sensorName: "velodyne",
                              calibrationSource: calibration.map { .kittiFixed($0) } ?? .none, preloadedLabels: labels, skippedFiles: skipped,
                              labelledRegionCamera: hasTrackingLabels ? "image_02" : nil)
    }

    /// One KITTI tracking sequence: frames named by the stems of `velodyne/SEQ/*.bin` (10 Hz, so a
    /// frame's time is its number x 0.1 s), gold from `label_02/SEQ.txt` (read whole on first use,
    /// DontCare rows kept; a `label_02` folder without the sequence's file makes reading gold fail
    /// naming that file), calibration from `calib/SEQ.txt`, world-from-lidar poses from
    /// `poses/SEQ.txt` (12 row-major values a line), else from `oxts/SEQ.txt` (one OXTS record a line,
    /// the IMU poses turned into the lidar's with `Tr_imu_to_velo`), both re-expressed in the first
    /// sweep's lidar frame (frame 0's pose is the identity), images from `image_02/SEQ/`.
    private static func openKITTITracking(training: String, sequence: String) throws -> SensorSequence {
        var skipped: [String] = []
        let cloudFolder = training + "/velodyne/" + sequence
        let names = try listing(cloudFolder, &skipped).filter { $0.hasSuffix(".bin") }.sorted().map(stem)
        let calibrationPath = training + "/calib/" + sequence + ".txt"
        let calibration = FileManager.default.fileExists(atPath: calibrationPath) ? try KITTICalibration.read(calibrationPath) : nil
        var poses: [RigidPose?] = Array(repeating: nil, count: names.count)
        let posesPath = training + "/poses/" + sequence + ".txt", oxtsPath = training + "/oxts/" + sequence + ".txt"
        if let read = try readPoses(posesPath, count: names.count) {
            poses = read
        } else if FileManager.default.fileExists(atPath: oxtsPath) {
            let records = try FileBytes.decode(oxtsPath) { (bytes) throws(SequenceFileError) in try OXTSRecord.decodeLines(bytes, count: names.count) }
            let velodyneFromIMU = calibration?.imuToVelodyne.map { RigidPose(matrix: $0) }
            poses = OXTSRecord.poses(records).map { pose in velodyneFromIMU.map { pose.composed(with: $0.inverse) } ?? pose }
        }
        // The world frame is the first sweep's lidar frame (z up): poses/SEQ.txt files are often in
        // the first camera's frame (KITTI odometry's, y down), which a bird's-eye view cannot use.
        if let first = poses.first ?? nil {
            let worldFromFirst = first.inverse
            poses = poses.map { $0.map { worldFromFirst.composed(with: $0) } }
        }
        let frames = names.enumerated().map { index, name -> SensorFrameReference in
            var images: [String: String] = [:]
            for camera in ["image_02", "image_03"] {
                let path = training + "/\(camera)/\(sequence)/\(name).png"
                if FileManager.default.fileExists(atPath: path) { images[camera] = path }
            }
            return SensorFrameReference(name: name, timestamp: Double(Int(name) ?? index) * 0.1, egoPose: poses[index],
                                        pointClouds: ["velodyne": cloudFolder + "/\(name).bin"], images: images, labelPath: nil)
        }
        var labels = WholeSequenceLabels([:])
        let labelPath = training + "/label_02/" + sequence + ".txt"
        if directoryExists(training + "/label_02") {
            labels = WholeSequenceLabels { frames in
                guard FileManager.default.fileExists(atPath: labelPath) else { throw SequenceError.missingFile(labelPath, what: "the sequence's gold labels") }
                // KITTI's labels are in camera coordinates: reading them needs the calibration.
                let set = try LabelStore.read(labelPath, format: .kittiTracking, context: LabelContext(calibration: try KITTICalibration.read(calibrationPath)))
                // Label lines number frames as the sweeps' stems do; a sweep past the last label has none.
                return trackingLabelsByFrame(set, frames: frames) { index, frame in Int(frame.name) ?? index }
            }
        }
        return SensorSequence(layout: .kittiTracking, root: training, frames: frames, sensorName: "velodyne",
                              calibrationSource: calibration.map { .kittiFixed($0) } ?? .none, preloadedLabels: labels, skippedFiles: skipped,
                              name: sequence, labelledRegionCamera: calibration == nil ? nil : "image_02")
    }

    private static func openSUSTechPOINTS(_ root: String) throws -> SensorSequence {
        try openCameraFolders(root, layout: .susTechPOINTS, cloudFolder: root + "/lidar")
    }

    private static func openGeneric(_ root: String) throws -> SensorSequence {
        let cloudFolder = directoryExists(root + "/lidar") ? root + "/lidar" : directoryExists(root + "/points") ? root + "/points" : root
        return try openCameraFolders(root, layout: .generic, cloudFolder: cloudFolder)
    }

    /// SUSTechPOINTS and the generic layout: clouds in a folder, `camera/NAME/STEM.{jpg,png}`,
    /// `calib/camera/NAME.json`, `label/STEM.json`, and optional `timestamps.txt` and `poses.txt`.
    private static func openCameraFolders(_ root: String, layout: SequenceLayout, cloudFolder: String) throws -> SensorSequence {
        var skipped: [String] = []
        let clouds = try pointCloudFiles(cloudFolder, &skipped)
        let names = clouds.map(stem)
        let cameraNames = directoryExists(root + "/camera") ? try listing(root + "/camera", &skipped).filter { directoryExists(root + "/camera/" + $0) }.sorted() : []
        var cameraFiles: [String: [String: String]] = [:]
        for camera in cameraNames {
            for file in try listing(root + "/camera/" + camera, &skipped) where [".jpg", ".jpeg", ".png"].contains(where: { file.lowercased().hasSuffix($0) }) {
                cameraFiles[camera, default: [:]][stem(file)] = root + "/camera/\(camera)/\(file)"
            }
        }
        var calibrationFiles: [String: String] = [:]
        if directoryExists(root + "/calib/camera") {
            for file in try listing(root + "/calib/camera", &skipped) where file.hasSuffix(".json") { calibrationFiles[stem(file)] = root + "/calib/camera/" + file }
        }
        let timestamps = try readTimestamps(root + "/timestamps.txt", count: names.count)
        let poses = try readPoses(root + "/poses.txt", count: names.count)
        let frames = names.enumerated().map { index, name -> SensorFrameReference in
            var images: [String: String] = [:]
            for camera in cameraNames { if let path = cameraFiles[camera]?[name] { images[camera] = path } }
            let label = root + "/label/\(name).json"
            return SensorFrameReference(name: name, timestamp: timestamps?[index], egoPose: poses?[index],
                                        pointClouds: ["lidar": cloudFolder + "/" + clouds[index]], images: images,
                                        labelPath: FileManager.default.fileExists(atPath: label) ? label : nil)
        }
        return SensorSequence(layout: layout, root: root, frames: frames, sensorName: "lidar",
                              calibrationSource: calibrationFiles.isEmpty ? .none : .cameraFiles(calibrationFiles), preloadedLabels: WholeSequenceLabels([:]), skippedFiles: skipped)
    }

    private static func openNuScenesInfo(_ root: String) throws -> SensorSequence {
        var skipped: [String] = []
        guard let file = try listing(root, &skipped).filter({ $0.hasSuffix(".pkl.json") }).sorted().first else { throw SequenceError.unknownLayout(root) }
        let path = root + "/" + file
        let (set, document) = try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try NuScenesInfoFile.decodeWithFiles(bytes) }
        var frames: [SensorFrameReference] = []
        var preloaded: [String: LabeledFrame] = [:]
        for (index, entry) in document.enumerated() where index < set.frames.count {
            let labeled = set.frames[index]
            var images: [String: String] = [:]
            for (camera, image) in entry.images { images[camera] = root + "/" + image }
            frames.append(SensorFrameReference(name: labeled.name, timestamp: labeled.timestamp, egoPose: labeled.egoPose,
                                               pointClouds: ["LIDAR_TOP": root + "/" + entry.lidar], images: images, labelPath: nil))
            preloaded[labeled.name] = labeled
        }
        return SensorSequence(layout: .nuScenesInfo, root: root, frames: frames, sensorName: "LIDAR_TOP",
                              calibrationSource: .cameras(set.cameras), preloadedLabels: WholeSequenceLabels(preloaded), skippedFiles: skipped)
    }

    // MARK: - Helpers

    /// A KITTI tracking label file's frames by the sequence's frame names, each with the frame's name,
    /// time and pose; a frame whose number lies past the file's last labelled frame gets none.
    /// - Parameter number: The label file's frame number of the sequence's `index`-th frame.
    static func trackingLabelsByFrame(_ set: LabelSet, frames: [SensorFrameReference],
                                      number: (_ index: Int, _ frame: SensorFrameReference) -> Int) -> [String: LabeledFrame] {
        var preloaded: [String: LabeledFrame] = [:]
        for (index, frame) in frames.enumerated() {
            let k = number(index, frame)
            var labeled = set.frames.indices.contains(k) ? set.frames[k] : LabeledFrame(name: frame.name)
            labeled.name = frame.name
            labeled.timestamp = frame.timestamp
            labeled.egoPose = frame.egoPose
            preloaded[frame.name] = labeled
        }
        return preloaded
    }

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

    static func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// A folder's UTF-8 names. Names that are not UTF-8 cannot be opened through a `String` path, so
    /// they are left out of the sequence and added to `skipped` (the folder and the escaped name, see
    /// `FileBytes.escapedName`), and every other frame still opens.
    static func listing(_ path: String, _ skipped: inout [String]) throws -> [String] {
        let listing = try FileBytes.listFolder(path)
        skipped += listing.undecodableNames.map { path + "/" + $0 }
        return listing.names
    }

    static func stem(_ file: String) -> String {
        let name = Paths.lastComponent(file)
        for suffix in [".pcd.bin", ".pkl.json"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return Paths.stem(name)
    }

    static func pointCloudFiles(_ folder: String, _ skipped: inout [String]) throws -> [String] {
        guard directoryExists(folder) else { return [] }
        return try listing(folder, &skipped).filter { PointCloudFormat(pathExtensionOf: $0) != nil }.sorted()
    }

    /// One time in seconds per line, as many lines as frames; nil when the file is absent.
    static func readTimestamps(_ path: String, count: Int) throws -> [Double]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try FileBytes.decode(path) { (bytes) throws(SequenceFileError) in try SequenceFiles.timestamps(bytes, count: count) }
    }

    /// One world-from-lidar pose per line (12 row-major values, KITTI odometry's form); nil when absent.
    static func readPoses(_ path: String, count: Int) throws -> [RigidPose]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try FileBytes.decode(path) { (bytes) throws(SequenceFileError) in try SequenceFiles.poses(bytes, count: count) }
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
