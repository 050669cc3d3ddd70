import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidIO
import CuboidKernels
import CuboidPointClouds
import Foundation

/// What a synthetic run wrote.
public struct SyntheticSequenceSummary: Sendable, Hashable {
    public var frames: Int
    public var points: Int
    public var actors: Int
    public var labelledObjects: Int
    public var objectsInImage: Int
}

/// Writes a ``SyntheticWorld`` as a KITTI raw recording that Cuboid's sequence reader (and KITTI's
/// devkit) opens:
///
/// ```
/// OUT/scene.json                          the scene, every key written (regenerates the run)
/// OUT/calib_cam_to_cam.txt                P_rect_00-03, R_rect_00, S_rect_0i
/// OUT/calib_velo_to_cam.txt               R, T
/// OUT/calib_imu_to_velo.txt               R, T
/// OUT/velodyne_points/data/0000000000.bin KITTI float32 x, y, z, intensity
/// OUT/velodyne_points/timestamps{,_start,_end}.txt
/// OUT/image_02/data/0000000000.png        8-bit RGB
/// OUT/image_02/timestamps.txt
/// OUT/oxts/data/0000000000.txt            OXTS records whose devkit poses are the ego's exact poses
/// OUT/oxts/timestamps.txt
/// OUT/label_02/0000.txt                   gold, KITTI tracking labels (objects the camera sees)
/// OUT/gold.openlabel.json                 gold, ASAM OpenLABEL (every object within label range)
/// ```
///
/// Every file is written atomically. The bytes depend only on the scene, the seed and the frame
/// count, not on the thread count.
public enum SyntheticSequenceWriter {
    /// Where the first OXTS record is (Karlsruhe, near KITTI's recordings).
    static let origin = (latitude: 49.011, longitude: 8.4164, altitude: 115.0)

    /// Renders and writes every frame of `world` into `folder` (created if needed).
    /// - Parameters:
    ///   - world: The synthetic world and its drive.
    ///   - folder: The recording's folder.
    ///   - threads: Threads per frame.
    ///   - progress: Called after each frame with the number of frames done.
    /// - Throws: `FileAccessError` when a file cannot be written; `LabelFileError` if the gold cannot
    ///   be expressed as KITTI labels (not expected).
    public static func write(_ world: SyntheticWorld, to folder: String, threads: Int = Parallelism.availableCores,
                             progress: (Int) -> Void = { _ in }) throws -> SyntheticSequenceSummary {
        let manager = FileManager.default
        for sub in ["velodyne_points/data", "image_02/data", "oxts/data", "label_02"] {
            try manager.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        let count = world.frameCount
        try FileBytes.writeAtomically(world.scene.encoded(), to: folder + "/scene.json")
        let size = (world.camera.intrinsics.width, world.camera.intrinsics.height)
        for (name, bytes) in world.calibration.encodedRawFiles(imageSize: size).sorted(by: { $0.key < $1.key }) {
            try FileBytes.writeAtomically(bytes, to: folder + "/" + name)
        }
        // Timestamps: the reference time (camera trigger, lidar facing forward), and the sweep's start
        // and end half a revolution either side.
        let half = Int64((0.5e9 / world.scene.frameRate).rounded())
        func stamps(_ offset: Int64) -> [UInt8] {
            Array((0..<count).map { SequenceFiles.kittiTimestamp(nanoseconds: world.timestampNanoseconds($0) + offset) + "\n" }.joined().utf8)
        }
        try FileBytes.writeAtomically(stamps(0), to: folder + "/velodyne_points/timestamps.txt")
        try FileBytes.writeAtomically(stamps(-half), to: folder + "/velodyne_points/timestamps_start.txt")
        try FileBytes.writeAtomically(stamps(half), to: folder + "/velodyne_points/timestamps_end.txt")
        try FileBytes.writeAtomically(stamps(0), to: folder + "/image_02/timestamps.txt")
        try FileBytes.writeAtomically(stamps(0), to: folder + "/oxts/timestamps.txt")
        let imuPoses = (0..<count).map { world.lidarPose(at: world.time(ofFrame: $0)).composed(with: world.lidarFromIMU) }
        let records = OXTSRecord.records(imuPoses: imuPoses, latitude: origin.latitude, longitude: origin.longitude, altitude: origin.altitude)
        let speed = world.scene.ego.speed

        var gold = LabelSet(sensorName: "velodyne", cameras: [world.camera])
        var kitti = LabelSet(sensorName: "velodyne")
        var summary = SyntheticSequenceSummary(frames: count, points: 0, actors: 0, labelledObjects: 0, objectsInImage: 0)
        var seen = Set<String>()
        for index in 0..<count {
            let frame = world.renderFrame(index, threads: threads)
            let name = frame.name
            try FileBytes.writeAtomically(BinaryScanCodec.encode(frame.sweep.cloud, layout: .kitti), to: folder + "/velodyne_points/data/\(name).bin")
            try FileBytes.writeAtomically(ImageCodec.encodePNG(frame.image.image), to: folder + "/image_02/data/\(name).png")
            try FileBytes.writeAtomically(records[index].encoded(velocity: SIMD3(speed, 0, 0)), to: folder + "/oxts/data/\(name).txt")
            gold.frames.append(frame.labels)
            var inImage = frame.labels
            inImage.objects = frame.labels.objects.compactMap { object in
                guard let box = object.boxes[world.camera.name] else { return nil }
                var copy = object
                copy.boxes = [LabeledObject.kittiCamera: box]
                return copy
            }
            kitti.frames.append(inImage)
            summary.points += frame.sweep.cloud.count
            summary.labelledObjects += frame.labels.objects.count
            summary.objectsInImage += inImage.objects.count
            for object in frame.labels.objects { seen.insert(object.trackID ?? "") }
            progress(index + 1)
        }
        summary.actors = seen.count
        try LabelStore.write(kitti, to: folder + "/label_02/0000.txt", format: .kittiTracking, context: LabelContext(calibration: world.calibration))
        try LabelStore.write(gold, to: folder + "/gold.openlabel.json", format: .openLABEL)
        return summary
    }
}
