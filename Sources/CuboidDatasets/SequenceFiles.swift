public import CuboidGeometry
import Foundation
import CuboidIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A malformed timestamps, poses or OXTS file.
public enum SequenceFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line does not hold the expected number of values.
    case wrongValueCount(line: Int, expected: Int, found: Int)
    /// A value is not a finite number (or, for KITTI raw timestamps, not a date and time).
    case invalidValue(line: Int, text: String)
    /// The file has fewer lines than the sequence has frames.
    case tooFewLines(expected: Int, found: Int)
    /// A pose's 3 x 3 part is not a rotation.
    case notARotation(line: Int)
    /// Not UTF-8 text.
    case notText

    public var description: String {
        switch self {
        case .wrongValueCount(let line, let expected, let found): "line \(line): expected \(expected) values, found \(found)"
        case .invalidValue(let line, let text): "line \(line): expected a number, found \"\(Excerpt.of(text))\""
        case .tooFewLines(let expected, let found): "expected a line per frame (\(expected)), found \(found)"
        case .notARotation(let line): "line \(line): the 3 x 3 part is not a rotation"
        case .notText: "expected UTF-8 text"
        }
    }
}

/// Decoders for the small per-sequence text files.
public enum SequenceFiles {
    /// Timestamps, one per line: seconds as a number, or KITTI raw's `YYYY-MM-DD HH:MM:SS.fffffffff`
    /// (read as seconds since that day's midnight UTC plus the date's days since 1970).
    /// - Throws: ``SequenceFileError`` with the line.
    public static func timestamps(_ bytes: [UInt8], count: Int) throws(SequenceFileError) -> [Double] {
        var out: [Double] = []
        for (number, line) in try lines(bytes) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if let seconds = Double(text), seconds.isFinite {
                out.append(seconds)
            } else if let seconds = kittiTime(text) {
                out.append(seconds)
            } else {
                throw .invalidValue(line: number, text: text)
            }
        }
        guard out.count >= count else { throw .tooFewLines(expected: count, found: out.count) }
        return Array(out.prefix(count))
    }

    /// Poses, one per line: 12 row-major values `[R | t]` of the world-from-lidar transform (KITTI
    /// odometry's `poses/SEQ.txt` form).
    /// - Throws: ``SequenceFileError`` with the line.
    public static func poses(_ bytes: [UInt8], count: Int) throws(SequenceFileError) -> [RigidPose] {
        var out: [RigidPose] = []
        for (number, line) in try lines(bytes) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            if fields.isEmpty { continue }
            guard fields.count == 12 else { throw .wrongValueCount(line: number, expected: 12, found: fields.count) }
            var values: [Double] = []
            for field in fields {
                guard let value = Double(field), value.isFinite else { throw .invalidValue(line: number, text: String(field)) }
                values.append(value)
            }
            guard let pose = RigidPose(validatingMatrix: values) else { throw .notARotation(line: number) }
            out.append(pose)
        }
        guard out.count >= count else { throw .tooFewLines(expected: count, found: out.count) }
        return Array(out.prefix(count))
    }

    /// Poses in the form ``poses(_:count:)`` reads (KITTI odometry's): per line the top three rows of
    /// the 4 x 4 world-from-lidar matrix, 12 row-major values, in shortest round-trip decimal.
    public static func encodePoses(_ poses: [RigidPose]) -> [UInt8] {
        var text = ""
        for pose in poses {
            text += pose.matrix.prefix(12).map { "\($0 == 0 ? 0 : $0)" }.joined(separator: " ") + "\n"
        }
        return Array(text.utf8)
    }

    static func lines(_ bytes: [UInt8]) throws(SequenceFileError) -> [(Int, Substring)] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText }
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().map { ($0 + 1, $1) }
    }

    /// KITTI raw's timestamp text for `nanoseconds` since 1970-01-01 UTC: `YYYY-MM-DD HH:MM:SS.fffffffff`.
    public static func kittiTimestamp(nanoseconds: Int64) -> String {
        let second = nanoseconds / 1_000_000_000, fraction = nanoseconds % 1_000_000_000
        let days = second / 86_400, clock = second % 86_400
        // Civil date from days since 1970 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2)) \(padded(clock / 3600, 2)):\(padded(clock / 60 % 60, 2)):"
            + "\(padded(clock % 60, 2)).\(padded(fraction, 9))"
    }

    /// `2011-09-26 13:02:25.964389445` as seconds since 1970 (UTC, proleptic Gregorian).
    static func kittiTime(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":")
        guard date.count == 3, time.count == 3, let hours = Int(time[0]), let minutes = Int(time[1]), let seconds = Double(time[2]) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = date[1] <= 2 ? date[0] - 1 : date[0]
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (date[1] + 9) % 12
        let doy = (153 * mp + 2) / 5 + date[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Double(days * 86400 + hours * 3600 + minutes * 60) + seconds
    }
}

/// One KITTI raw OXTS record (`oxts/data/FRAME.txt`): 30 values, of which Cuboid uses latitude,
/// longitude (degrees), altitude (metres) and roll, pitch, yaw (radians).
public struct OXTSRecord: Sendable, Hashable {
    public var latitude: Double
    public var longitude: Double
    public var altitude: Double
    public var roll: Double
    public var pitch: Double
    public var yaw: Double

    public init(latitude: Double, longitude: Double, altitude: Double, roll: Double, pitch: Double, yaw: Double) {
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.roll = roll
        self.pitch = pitch
        self.yaw = yaw
    }

    /// Parses one record.
    /// - Throws: ``SequenceFileError`` (line 1).
    public static func decode(_ bytes: [UInt8]) throws(SequenceFileError) -> OXTSRecord {
        try parse(try lines(bytes).flatMap { $0.1.split(separator: " ") }, line: 1)
    }

    /// Parses a KITTI tracking `oxts/SEQ.txt`: one record per line (30 values), one line per frame.
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - count: The sequence's frames; the file may hold more lines, not fewer.
    /// - Throws: ``SequenceFileError`` with the line.
    public static func decodeLines(_ bytes: [UInt8], count: Int) throws(SequenceFileError) -> [OXTSRecord] {
        var records: [OXTSRecord] = []
        for (number, line) in try lines(bytes) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            records.append(try parse(fields, line: number))
        }
        guard records.count >= count else { throw .tooFewLines(expected: count, found: records.count) }
        return Array(records.prefix(count))
    }

    private static func parse(_ fields: [Substring], line: Int) throws(SequenceFileError) -> OXTSRecord {
        guard fields.count == 30 else { throw .wrongValueCount(line: line, expected: 30, found: fields.count) }
        var values: [Double] = []
        for field in fields.prefix(6) {
            guard let value = Double(field), value.isFinite else { throw .invalidValue(line: line, text: String(field)) }
            values.append(value)
        }
        guard abs(values[0]) < 90 else { throw .invalidValue(line: line, text: String(fields[0])) }
        return OXTSRecord(latitude: values[0], longitude: values[1], altitude: values[2], roll: values[3], pitch: values[4], yaw: values[5])
    }

    private static func lines(_ bytes: [UInt8]) throws(SequenceFileError) -> [(Int, Substring)] { try SequenceFiles.lines(bytes) }

    /// The record as a KITTI raw `oxts/data/FRAME.txt` line: the six pose values in shortest
    /// round-trip form, then forward, leftward and upward velocity (m/s), zero accelerations and
    /// angular rates, and fixed accuracy and status fields (navstat 4, 10 satellites, modes 5 5 6).
    public func encoded(velocity: SIMD3<Double> = .zero) -> [UInt8] {
        var fields = [latitude, longitude, altitude, roll, pitch, yaw].map { "\($0)" }
        // vn ve vf vl vu, ax ay az af al au, wx wy wz wf wl wu.
        fields += ["0", "0", "\(velocity.x)", "\(velocity.y)", "\(velocity.z)"] + Array(repeating: "0", count: 12)
        fields += ["0.05", "0.02", "4", "10", "5", "5", "6"]
        return Array((fields.joined(separator: " ") + "\n").utf8)
    }

    /// Records whose ``poses(_:)`` are `imuPoses` (relative to the first), the inverse of the
    /// devkit's Mercator projection with the first record at `latitude`, `longitude`, `altitude`.
    ///
    /// Rotations are split as `Rz(yaw) Ry(pitch) Rx(roll)`; pitch must stay inside +-90 degrees.
    /// - Complexity: O(poses).
    public static func records(imuPoses: [RigidPose], latitude: Double, longitude: Double, altitude: Double) -> [OXTSRecord] {
        guard let first = imuPoses.first else { return [] }
        let radius = 6_378_137.0
        let scale = cos(latitude * .pi / 180)
        let x0 = scale * longitude * .pi * radius / 180
        let y0 = scale * radius * log(tan((90 + latitude) * .pi / 360))
        return imuPoses.enumerated().map { index, pose in
            let m = pose.rotation.rotationMatrix
            let yaw = atan2(m[1][0], m[0][0])
            let pitch = atan2(-m[2][0], (m[2][1] * m[2][1] + m[2][2] * m[2][2]).squareRoot())
            let roll = atan2(m[2][1], m[2][2])
            if index == 0 {
                // The first record sits exactly at the given place, so the devkit scales at `latitude`.
                return OXTSRecord(latitude: latitude, longitude: longitude, altitude: altitude + pose.translation.z - first.translation.z,
                                  roll: roll, pitch: pitch, yaw: yaw)
            }
            let x = x0 + pose.translation.x - first.translation.x, y = y0 + pose.translation.y - first.translation.y
            let lon = x * 180 / (.pi * radius * scale)
            let lat = 360 / Double.pi * atan(exp(y / (scale * radius))) - 90
            return OXTSRecord(latitude: lat, longitude: lon, altitude: altitude + pose.translation.z - first.translation.z,
                              roll: roll, pitch: pitch, yaw: yaw)
        }
    }


    /// IMU poses in a local world frame, as KITTI's devkit computes them (`convertOxtsToPose`): a
    /// Mercator projection scaled at the first record's latitude (earth radius 6,378,137 m), rotation
    /// `Rz(yaw) Ry(pitch) Rx(roll)`, and every pose expressed relative to the first.
    /// - Complexity: O(records).
    public static func poses(_ records: [OXTSRecord]) -> [RigidPose] {
        guard let first = records.first else { return [] }
        let radius = 6_378_137.0
        let scale = cos(first.latitude * .pi / 180)
        func absolute(_ r: OXTSRecord) -> RigidPose {
            let x = scale * r.longitude * .pi * radius / 180
            let y = scale * radius * log(tan((90 + r.latitude) * .pi / 360))
            let rotation = Quaternion(axis: SIMD3(0, 0, 1), angle: r.yaw) * Quaternion(axis: SIMD3(0, 1, 0), angle: r.pitch)
                * Quaternion(axis: SIMD3(1, 0, 0), angle: r.roll)
            return RigidPose(rotation: rotation, translation: SIMD3(x, y, r.altitude))
        }
        let origin = absolute(first).inverse
        return records.map { origin.composed(with: absolute($0)) }
    }
}
