/// A pinhole camera's intrinsics: focal lengths and principal point in pixels, and the image size.
///
/// Acts on points in the camera frame (x right, y down, z forward along the optical axis, metres):
/// `u = fx * x / z + skew * y / z + cx`, `v = fy * y / z + cy`, in image coordinates (origin at the
/// top-left corner of the top-left pixel). Lens distortion is not modelled. See the Conventions article.
public struct CameraIntrinsics: Sendable, Hashable, Codable {
    /// Focal length along x, pixels.
    public var fx: Double
    /// Focal length along y, pixels.
    public var fy: Double
    /// Principal point x, pixels.
    public var cx: Double
    /// Principal point y, pixels.
    public var cy: Double
    /// Axis skew (0 for every common camera).
    public var skew: Double
    /// Image width, pixels.
    public var width: Int
    /// Image height, pixels.
    public var height: Int

    public init(fx: Double, fy: Double, cx: Double, cy: Double, skew: Double = 0, width: Int, height: Int) {
        self.fx = fx
        self.fy = fy
        self.cx = cx
        self.cy = cy
        self.skew = skew
        self.width = width
        self.height = height
    }

    /// Intrinsics from a row-major 3 x 3 matrix `K` or a 3 x 4 projection matrix `P` whose left 3 x 3
    /// block is `K` (KITTI's `P2` with its baseline column is accepted; the column is ignored here).
    public init(matrix values: [Double], width: Int, height: Int) {
        precondition(values.count == 9 || values.count == 12, "CameraIntrinsics(matrix:) takes 9 or 12 row-major values")
        let stride = values.count == 9 ? 3 : 4
        self.init(fx: values[0], fy: values[stride + 1], cx: values[2], cy: values[stride + 2],
                  skew: values[1], width: width, height: height)
    }

    /// Row-major 3 x 3 camera matrix `K`.
    public var matrix: [Double] { [fx, skew, cx, 0, fy, cy, 0, 0, 1] }

    /// The pixel a camera-frame point projects to, or nil when it is not in front of the camera
    /// (`z <= 0`). The pixel may lie outside the image.
    @inlinable
    public func project(_ point: SIMD3<Double>) -> SIMD2<Double>? {
        guard point.z > 0 else { return nil }
        return SIMD2(fx * point.x / point.z + skew * point.y / point.z + cx, fy * point.y / point.z + cy)
    }

    /// The camera-frame point at `depth` (its z) that projects to `pixel`.
    @inlinable
    public func unproject(_ pixel: SIMD2<Double>, depth: Double) -> SIMD3<Double> {
        let y = (pixel.y - cy) / fy
        let x = (pixel.x - cx - skew * y) / fx
        return SIMD3(x * depth, y * depth, depth)
    }
}

/// A calibrated camera: intrinsics plus the extrinsic pose that maps sensor (lidar or vehicle)
/// coordinates into the camera frame.
public struct Camera: Sendable, Hashable, Codable {
    /// Name of the camera in its rig (for example `image_02` or `front`).
    public var name: String
    /// Pinhole intrinsics.
    public var intrinsics: CameraIntrinsics
    /// Maps points of the sensor frame (x forward, y left, z up) into the camera frame (x right, y down, z forward).
    public var cameraFromSensor: RigidPose

    public init(name: String, intrinsics: CameraIntrinsics, cameraFromSensor: RigidPose) {
        self.name = name
        self.intrinsics = intrinsics
        self.cameraFromSensor = cameraFromSensor
    }

    /// The pose of the camera in the sensor frame (the inverse extrinsic).
    public var sensorFromCamera: RigidPose { cameraFromSensor.inverse }

    /// The pixel and depth (metres along the optical axis) of a sensor-frame point, or nil when the
    /// point is behind the camera.
    public func project(_ point: SIMD3<Double>) -> (pixel: SIMD2<Double>, depth: Double)? {
        let inCamera = cameraFromSensor.apply(to: point)
        guard let pixel = intrinsics.project(inCamera) else { return nil }
        return (pixel, inCamera.z)
    }
}
