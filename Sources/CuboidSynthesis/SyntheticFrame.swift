import CuboidFormats
import CuboidGeometry
import CuboidKernels
import Foundation

/// One rendered frame: the sweep, the camera image and the gold labels.
public struct SyntheticFrame: Sendable {
    /// Frame index from 0.
    public var index: Int
    /// File stem (`0000000000`, KITTI raw's ten digits).
    public var name: String
    public var sweep: SyntheticSweep
    public var image: SyntheticImage
    /// Gold labels in the lidar frame at the frame's reference time: every actor within
    /// `labelRange`, with its track id, class, cuboid (yaw plus the small roll and pitch the ego's lean
    /// on a sloped road gives), its `image_02` box when any pixel shows it, and attributes
    /// `num_points` (its lidar returns), `moving`, and when in the image `visible_pixels`,
    /// `occluded` (KITTI's 0-2 from the share of its pixels not hidden) and `truncated`.
    public var labels: LabeledFrame
}

extension SyntheticWorld {
    /// Frame 0's time: 2026-01-01 12:00:00 UTC, in seconds since 1970.
    public static let startTime: Int64 = 1_767_268_800

    /// Frame `index`'s file stem.
    public func frameName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// Frame `index`'s reference time in nanoseconds since 1970.
    public func timestampNanoseconds(_ index: Int) -> Int64 {
        Self.startTime * 1_000_000_000 + Int64((Double(index) * 1e9 / scene.frameRate).rounded())
    }

    /// The IMU's pose in the lidar frame (from the calibration).
    public var lidarFromIMU: RigidPose { RigidPose(matrix: calibration.imuToVelodyne!) }

    /// Odometry-from-lidar pose of frame `index`, where the odometry frame is the IMU's frame at frame
    /// 0, as KITTI's devkit makes it from the OXTS records.
    public func odometryPose(frame index: Int) -> RigidPose {
        let worldFromIMU0 = lidarPose(at: 0).composed(with: lidarFromIMU)
        return worldFromIMU0.inverse.composed(with: lidarPose(at: time(ofFrame: index)))
    }

    /// Renders frame `index`: sweep, image and gold.
    /// - Complexity: dominated by ``renderImage(frame:threads:)`` and ``renderSweep(frame:threads:)``.
    public func renderFrame(_ index: Int, threads: Int = Parallelism.availableCores) -> SyntheticFrame {
        let sweep = renderSweep(frame: index, threads: threads)
        let image = renderImage(frame: index, threads: threads)
        return SyntheticFrame(index: index, name: frameName(index), sweep: sweep, image: image,
                              labels: labels(frame: index, sweep: sweep, image: image))
    }

    /// The gold labels of frame `index` (see ``SyntheticFrame/labels``).
    func labels(frame index: Int, sweep: SyntheticSweep, image: SyntheticImage) -> LabeledFrame {
        let t = time(ofFrame: index)
        let pose = lidarPose(at: t)
        let toSensor = pose.inverse
        var points: [Int32: Int] = [:]
        for actor in sweep.actorOfPoint where actor >= 0 { points[actor, default: 0] += 1 }
        var pixels: [Int32: Int] = [:]
        for actor in image.actorOfPixel where actor >= 0 { pixels[actor, default: 0] += 1 }
        let camera = worldCamera(frame: index)
        let center = SIMD2(pose.translation.x, pose.translation.y)
        var frame = LabeledFrame(name: frameName(index), timestamp: Double(timestampNanoseconds(index)) / 1e9, egoPose: odometryPose(frame: index))
        for actor in actors where isNear(actor, center, scene.labelRange, at: t) {
            let world = worldCuboid(of: actor, at: t)
            var object = LabeledObject(trackID: String(actor.id), category: actor.category,
                                       cuboid: Box3D(center: world.center, size: actor.size, yaw: world.yaw)).transformed(by: toSensor)
            let id = Int32(actor.id)
            object.attributes["num_points"] = .number(Double(points[id] ?? 0))
            object.attributes["moving"] = .flag(actor.isMoving)
            let silhouette = ProjectionSilhouette(className: actor.category)
            if let visible = pixels[id], let box = projectedBox(world, camera: camera, silhouette: silhouette),
               let full = projectedBox(world, camera: camera, silhouette: silhouette, clippedToImage: false) {
                object.boxes[camera.name] = box
                let covered = max(visible, image.coveredPixels[actor.id] ?? visible)
                let share = Double(visible) / Double(covered)
                object.attributes["visible_pixels"] = .number(Double(visible))
                object.attributes["occluded"] = .number(share >= 0.8 ? 0 : share >= 0.4 ? 1 : 2)
                let fullArea = full.width * full.height
                object.attributes["truncated"] = .number(fullArea > 0 ? ((1 - box.width * box.height / fullArea) * 100).rounded() / 100 : 0)
            }
            frame.objects.append(object)
        }
        return frame
    }
}
