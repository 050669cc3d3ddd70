public import CuboidGeometry
import CuboidIO
import Foundation

/// A malformed KITTI calibration file.
public enum KITTICalibrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line is not `KEY: numbers`.
    case malformedLine(line: Int, text: String)
    /// A value is not a finite number.
    case invalidNumber(line: Int, key: String, text: String)
    /// A matrix has the wrong number of values.
    case wrongValueCount(line: Int, key: String, expected: Int, found: Int)
    /// A matrix the calibration needs is absent.
    case missingKey(String)
    /// The file is not UTF-8 text.
    case notText
    /// A matrix that cannot be what its key says: a rotation part that is not a rotation (rows not
    /// orthonormal to 1e-4, or a reflection; an all-zero `R0_rect`, say), or a projection whose focal
    /// lengths are not positive or whose left 3 x 3 is singular.
    case invalidMatrix(line: Int, key: String, reason: String)

    public var description: String {
        switch self {
        case .malformedLine(let line, let text): "line \(line): expected \"KEY: numbers\", found \"\(Excerpt.of(text))\""
        case .invalidNumber(let line, let key, let text): "line \(line), \(key): expected a finite number, found \"\(Excerpt.of(text))\""
        case .wrongValueCount(let line, let key, let expected, let found):
            "line \(line), \(key): expected \(expected) values, found \(found)"
        case .missingKey(let key): "the calibration has no \(key)"
        case .notText: "expected UTF-8 text"
        case .invalidMatrix(let line, let key, let reason): "line \(line), \(key): \(reason)"
        }
    }
}

/// The calibration of a KITTI frame: the four rectified camera projections, the rectifying rotation
/// and the Velodyne-to-camera transform (object benchmark `calib/*.txt`, or the raw recordings'
/// `calib_cam_to_cam.txt` + `calib_velo_to_cam.txt` keys).
///
/// KITTI projects a Velodyne point `X` into camera i's image as `P_i * R0_rect * Tr_velo_to_cam * X`.
/// Labels live in the **rectified camera 0 frame** (x right, y down, z forward), the frame after
/// `R0_rect * Tr_velo_to_cam`.
public struct KITTICalibration: Sendable, Hashable, Codable {
    /// Projection matrices of the rectified cameras 0-3 (row-major 3 x 4), when present.
    public var projections: [Int: [Double]]
    /// Rectifying rotation of camera 0 (row-major 3 x 3).
    public var rectification: [Double]
    /// Velodyne to (unrectified) camera 0 (row-major 3 x 4).
    public var velodyneToCamera: [Double]
    /// IMU to Velodyne (row-major 3 x 4), when present.
    public var imuToVelodyne: [Double]?

    /// A calibration from its matrices (row-major: projections 3 x 4, rectification 3 x 3, the rigid
    /// transforms 3 x 4).
    /// - Precondition: each matrix has its number of values.
    public init(projections: [Int: [Double]], rectification: [Double], velodyneToCamera: [Double], imuToVelodyne: [Double]? = nil) {
        precondition(projections.values.allSatisfy { $0.count == 12 }, "projections are 3 x 4")
        precondition(rectification.count == 9 && velodyneToCamera.count == 12 && (imuToVelodyne?.count ?? 12) == 12,
                     "rectification is 3 x 3, rigid transforms 3 x 4")
        self.projections = projections
        self.rectification = rectification
        self.velodyneToCamera = velodyneToCamera
        self.imuToVelodyne = imuToVelodyne
    }

    /// Parses a calibration file.
    ///
    /// Accepts the object benchmark's keys (`P0`-`P3`, `R0_rect`, `Tr_velo_to_cam`, `Tr_imu_to_velo`)
    /// and the raw recordings' (`P_rect_00`-`P_rect_03`, `R_rect_00`, `Tr_velo_to_cam` or the
    /// `R:`/`T:` pair of `calib_velo_to_cam.txt`). Lines starting with `#`, blank lines and other keys
    /// are ignored.
    /// - Throws: ``KITTICalibrationError`` with the line.
    public static func decode(_ bytes: [UInt8]) throws(KITTICalibrationError) -> KITTICalibration {
        try assemble(try entries(bytes))
    }

    /// The matrices a calibration file holds, by Cuboid's key (`P0`-`P3`, `R0_rect`, `Tr_velo_to_cam`,
    /// `Tr_imu_to_velo`, and `R`/`T` for the raw recordings' rigid-transform files).
    static func entries(_ bytes: [UInt8]) throws(KITTICalibrationError) -> [String: [Double]] {
        var found: [String: [Double]] = [:]
        for (number, rawLine) in try numberedLines(bytes, notText: { _ in KITTICalibrationError.notText }) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw .malformedLine(line: number, text: String(line)) }
            let key = String(line[..<colon])
            func values(_ count: Int) throws(KITTICalibrationError) -> [Double] {
                let fields = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count == count else {
                    throw .wrongValueCount(line: number, key: key, expected: count, found: fields.count)
                }
                var out: [Double] = []
                for field in fields {
                    guard let value = finiteNumber(field) else {
                        throw .invalidNumber(line: number, key: key, text: String(field))
                    }
                    out.append(value)
                }
                return out
            }
            switch key {
            case "P0", "P1", "P2", "P3": found[key] = try projection(try values(12), line: number, key: key)
            case "P_rect_00", "P_rect_01", "P_rect_02", "P_rect_03":
                found["P" + key.suffix(1)] = try projection(try values(12), line: number, key: key)
            case "R0_rect", "R_rect_00": found["R0_rect"] = try rotation(try values(9), line: number, key: key)
            case "Tr_velo_to_cam", "Tr_velo_cam": found["Tr_velo_to_cam"] = try rigid(try values(12), line: number, key: key)
            case "Tr_imu_to_velo", "Tr_imu_velo": found["Tr_imu_to_velo"] = try rigid(try values(12), line: number, key: key)
            case "R": found["R"] = try rotation(try values(9), line: number, key: key)
            case "T": found["T"] = try values(3)
            default: continue
            }
        }
        if let r = found["R"], let t = found["T"] {
            found["RT"] = [r[0], r[1], r[2], t[0], r[3], r[4], r[5], t[1], r[6], r[7], r[8], t[2]]
        }
        return found
    }

    /// A row-major 3 x 3 rotation, checked as ``RigidPose/init(validatingMatrix:)`` checks rigid
    /// transforms (rows orthonormal to 1e-4, determinant +1). KITTI's six-decimal rotations are
    /// orthonormal to 1e-7 (the worst of the real calibration files is 9e-8), so the tolerance keeps a
    /// margin of 1000 and still refuses a singular or scaled matrix.
    static func rotation(_ r: [Double], line: Int, key: String) throws(KITTICalibrationError) -> [Double] {
        _ = try rigid([r[0], r[1], r[2], 0, r[3], r[4], r[5], 0, r[6], r[7], r[8], 0], line: line, key: key)
        return r
    }

    /// A row-major 3 x 4 rigid transform whose left 3 x 3 must be a rotation.
    static func rigid(_ m: [Double], line: Int, key: String) throws(KITTICalibrationError) -> [Double] {
        guard RigidPose(validatingMatrix: m) != nil else {
            throw .invalidMatrix(line: line, key: key, reason: "the 3 x 3 rotation part is not a rotation (rows not orthonormal within 1e-4, or determinant not +1)")
        }
        return m
    }

    /// A row-major 3 x 4 projection `K [I | t]`: positive focal lengths (`P[0]`, `P[5]`) and an
    /// invertible left 3 x 3, without which no point projects and no camera pose can be recovered.
    static func projection(_ p: [Double], line: Int, key: String) throws(KITTICalibrationError) -> [Double] {
        guard p[0] > 0, p[5] > 0 else {
            throw .invalidMatrix(line: line, key: key, reason: "focal lengths fx = \(p[0]), fy = \(p[5]) must be positive")
        }
        let determinant = p[0] * (p[5] * p[10] - p[6] * p[9]) - p[1] * (p[4] * p[10] - p[6] * p[8]) + p[2] * (p[4] * p[9] - p[5] * p[8])
        // Relative to fx * fy, the determinant of an upper-triangular K with K[2][2] = 1.
        guard abs(determinant) > 1e-9 * p[0] * p[5] else {
            throw .invalidMatrix(line: line, key: key, reason: "the left 3 x 3 (the intrinsics) is singular")
        }
        return p
    }

    static func assemble(_ found: [String: [Double]]) throws(KITTICalibrationError) -> KITTICalibration {
        var projections: [Int: [Double]] = [:]
        for index in 0..<4 { if let p = found["P\(index)"] { projections[index] = p } }
        guard let rectification = found["R0_rect"] else { throw .missingKey("R0_rect") }
        guard let velodyne = found["Tr_velo_to_cam"] ?? found["RT"] else { throw .missingKey("Tr_velo_to_cam") }
        return KITTICalibration(projections: projections, rectification: rectification, velodyneToCamera: velodyne,
                                imuToVelodyne: found["Tr_imu_to_velo"])
    }

    /// Reads a KITTI raw recording's calibration from its three files: `calib_cam_to_cam.txt`
    /// (`P_rect_0i`, `R_rect_00`), `calib_velo_to_cam.txt` (`R`, `T`) and, when present,
    /// `calib_imu_to_velo.txt` (`R`, `T`).
    /// - Throws: `FileAccessError`, or `FileDecodingError` naming the file that is wrong.
    public static func readRaw(folder: String) throws -> KITTICalibration {
        var found = try FileBytes.decode(folder + "/calib_cam_to_cam.txt", entries)
        let velodyne = try FileBytes.decode(folder + "/calib_velo_to_cam.txt", entries)
        guard let rt = velodyne["RT"] else {
            throw FileDecodingError(path: folder + "/calib_velo_to_cam.txt", underlying: KITTICalibrationError.missingKey("R and T"))
        }
        found["Tr_velo_to_cam"] = rt
        let imuPath = folder + "/calib_imu_to_velo.txt"
        if FileManager.default.fileExists(atPath: imuPath), let imu = try FileBytes.decode(imuPath, entries)["RT"] { found["Tr_imu_to_velo"] = imu }
        do { return try assemble(found) } catch { throw FileDecodingError(path: folder + "/calib_cam_to_cam.txt", underlying: error) }
    }

    /// Reads and decodes a calibration file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``KITTICalibrationError``.
    public static func read(_ path: String) throws -> KITTICalibration {
        try FileBytes.decode(path, decode)
    }

    /// The pose that maps Velodyne points into the rectified camera 0 frame (`R0_rect * Tr_velo_to_cam`),
    /// the frame of KITTI's labels.
    public var rectifiedFromVelodyne: RigidPose {
        let r = rectification, t = velodyneToCamera
        var m = [Double](repeating: 0, count: 12)
        for row in 0..<3 {
            for column in 0..<4 {
                var sum = 0.0
                for k in 0..<3 { sum += r[row * 3 + k] * t[k * 4 + column] }
                m[row * 4 + column] = sum
            }
        }
        return RigidPose(matrix: m)
    }

    /// Camera `index` (0-3) as a pinhole: its intrinsics from `P_index`, and its extrinsic pose from the
    /// Velodyne frame, which includes the baseline that `P_index`'s fourth column encodes.
    /// - Throws: ``KITTICalibrationError/missingKey(_:)`` when the file has no `P_index`.
    public func camera(_ index: Int, width: Int, height: Int) throws(KITTICalibrationError) -> Camera {
        guard let p = projections[index] else { throw .missingKey("P\(index)") }
        let intrinsics = CameraIntrinsics(matrix: p, width: width, height: height)
        // P = K [I | t]: t = K^-1 * P[:, 3].
        let tz = p[11]
        let ty = (p[7] - intrinsics.cy * tz) / intrinsics.fy
        let tx = (p[3] - intrinsics.skew * ty - intrinsics.cx * tz) / intrinsics.fx
        let baseline = RigidPose(rotation: .identity, translation: SIMD3(tx, ty, tz))
        return Camera(name: "image_0\(index)", intrinsics: intrinsics, cameraFromSensor: baseline.composed(with: rectifiedFromVelodyne))
    }
}

extension KITTICalibration {
    /// The calibration as a KITTI raw recording's three files, by file name: `calib_cam_to_cam.txt`
    /// (`P_rect_0i` for each projection, `R_rect_00`, `S_rect_0i` when `imageSize` is given),
    /// `calib_velo_to_cam.txt` (`R`, `T`) and, with an IMU transform, `calib_imu_to_velo.txt`.
    ///
    /// Numbers print in Swift's shortest round-trip form, so ``readRaw(folder:)`` gives back this value
    /// exactly.
    /// - Parameter imageSize: The cameras' image size for the `S_rect_0i` lines; nil: none written.
    /// - Parameter calibrationTime: The `calib_time` line's text.
    public func encodedRawFiles(imageSize: (width: Int, height: Int)? = nil,
                                calibrationTime: String = "01-Jan-2026 12:00:00") -> [String: [UInt8]] {
        func numbers(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: " ") }
        func rigid(_ m: [Double]) -> String {
            "calib_time: \(calibrationTime)\nR: \(numbers([m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]]))\n"
                + "T: \(numbers([m[3], m[7], m[11]]))\n"
        }
        var cameras = "calib_time: \(calibrationTime)\n"
        for index in projections.keys.sorted() {
            let name = String(format: "%02d", index)
            if let imageSize { cameras += "S_rect_\(name): \(Double(imageSize.width)) \(Double(imageSize.height))\n" }
            cameras += "R_rect_\(name): \(numbers(index == 0 ? rectification : [1, 0, 0, 0, 1, 0, 0, 0, 1]))\n"
            cameras += "P_rect_\(name): \(numbers(projections[index]!))\n"
        }
        var files = ["calib_cam_to_cam.txt": Array(cameras.utf8), "calib_velo_to_cam.txt": Array(rigid(velodyneToCamera).utf8)]
        if let imuToVelodyne { files["calib_imu_to_velo.txt"] = Array(rigid(imuToVelodyne).utf8) }
        return files
    }
}
