import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidIO
import CuboidPointClouds
import Foundation

// Opening a folder as a sequence: which layout it is, and one opener per layout (the frames, their
// files, calibration, poses and labels). Reading a frame's data is in SensorSequence.swift.
extension SensorSequence {
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
