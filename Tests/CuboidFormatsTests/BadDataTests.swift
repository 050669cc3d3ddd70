import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

/// A calibration file made wrong in one way, and the error it must give.
struct BadCalibration: CustomTestStringConvertible, Sendable {
    let name: String
    /// The key whose line is replaced.
    let key: String
    let values: String
    var testDescription: String { name }
}

/// KITTI object calibration of frame 000000 (the real file's values), so that each scenario changes
/// one line of a calibration that is otherwise valid.
let validKITTICalibration = """
    P0: 7.070493e+02 0 6.040814e+02 0 0 7.070493e+02 1.805066e+02 0 0 0 1 0
    P1: 7.070493e+02 0 6.040814e+02 -3.797842e+02 0 7.070493e+02 1.805066e+02 0 0 0 1 0
    P2: 7.070493e+02 0 6.040814e+02 4.575831e+01 0 7.070493e+02 1.805066e+02 -3.454157e-01 0 0 1 4.981016e-03
    P3: 7.070493e+02 0 6.040814e+02 -3.341081e+02 0 7.070493e+02 1.805066e+02 2.330660e+00 0 0 1 3.201153e-03
    R0_rect: 9.999128e-01 1.009263e-02 -8.511932e-03 -1.012729e-02 9.999406e-01 -4.037671e-03 8.470675e-03 4.123522e-03 9.999556e-01
    Tr_velo_to_cam: 6.927964e-03 -9.999722e-01 -2.757829e-03 -2.457729e-02 -1.162982e-03 2.749836e-03 -9.999955e-01 -6.127237e-02 9.999753e-01 6.931141e-03 -1.143899e-03 -3.321029e-01
    Tr_imu_to_velo: 9.999976e-01 7.553071e-04 -2.035826e-03 -8.086759e-01 -7.854027e-04 9.998898e-01 -1.482298e-02 3.195559e-01 2.024406e-03 1.482454e-02 9.998881e-01 -7.997231e-01

    """

let badCalibrations: [BadCalibration] = [
    BadCalibration(name: "all-zero R0_rect", key: "R0_rect", values: "0 0 0 0 0 0 0 0 0"),
    BadCalibration(name: "R0_rect scaled by 2", key: "R0_rect", values: "2 0 0 0 2 0 0 0 2"),
    BadCalibration(name: "R0_rect a reflection", key: "R0_rect", values: "1 0 0 0 1 0 0 0 -1"),
    BadCalibration(name: "R0_rect off by 1e-3", key: "R0_rect", values: "1.001 0 0 0 1 0 0 0 1"),
    BadCalibration(name: "Tr_velo_to_cam with a singular rotation", key: "Tr_velo_to_cam", values: "0 -1 0 0 0 0 -1 0 0 0 0 0"),
    BadCalibration(name: "Tr_imu_to_velo with rows swapped (a reflection)", key: "Tr_imu_to_velo", values: "0 1 0 0 1 0 0 0 0 0 1 0"),
    BadCalibration(name: "P2 with zero focal lengths", key: "P2", values: "0 0 604 45 0 0 180 0 0 0 1 0"),
    BadCalibration(name: "P2 with a negative focal length", key: "P2", values: "-707 0 604 45 0 707 180 0 0 0 1 0"),
    BadCalibration(name: "P2 with a singular left 3 x 3", key: "P2", values: "707 0 604 45 0 707 180 0 0 0 0 0"),
]

@Suite("Bad data is refused with evidence")
struct BadDataTests {
    /// A calibration matrix that cannot be what its key says (an all-zero `R0_rect` once put a truck's
    /// centre 70 m from where it was) is refused at decode, naming the line and the key.
    @Test("invalid calibration matrices are refused", arguments: badCalibrations)
    func invalidCalibration(_ scenario: BadCalibration) throws {
        #expect(try KITTICalibration.decode(Array(validKITTICalibration.utf8)).rectification.count == 9)
        var lines = validKITTICalibration.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.hasPrefix(scenario.key + ":") })
        lines[index] = scenario.key + ": " + scenario.values
        do {
            _ = try KITTICalibration.decode(Array(lines.joined(separator: "\n").utf8))
            Issue.record("\(scenario.name) was accepted")
        } catch {
            guard case .invalidMatrix(let line, let key, let reason) = error else { Issue.record("\(error)"); return }
            #expect(line == index + 1 && key == scenario.key)
            #expect(!reason.isEmpty)
            #expect(error.description.hasPrefix("line \(index + 1), \(scenario.key): "))
        }
    }

    /// The raw recordings' files are checked too, and the error names the file that is wrong.
    @Test func invalidRawCalibrationNamesTheFile() throws {
        let folder = try scratchFolder("calib-raw")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let valid = try KITTICalibration.decode(Array(validKITTICalibration.utf8))
        for (name, bytes) in valid.encodedRawFiles() { try FileBytes.writeAtomically(bytes, to: folder + "/" + name) }
        #expect(try KITTICalibration.readRaw(folder: folder) == valid)
        try FileBytes.writeAtomically(Array("calib_time: x\nR: 1 0 0 0 0 0 0 0 1\nT: 0 0 0\n".utf8), to: folder + "/calib_velo_to_cam.txt")
        do {
            _ = try KITTICalibration.readRaw(folder: folder)
            Issue.record("a singular R was accepted")
        } catch let error as FileDecodingError {
            #expect(error.path == folder + "/calib_velo_to_cam.txt")
            #expect(error.underlying as? KITTICalibrationError == .invalidMatrix(line: 2, key: "R", reason: "the 3 x 3 rotation part is not a rotation (rows not orthonormal within 1e-4, or determinant not +1)"))
        }
    }

    /// Every real calibration still reads (their rotations are orthonormal to 1e-7), and SampleData's.
    @Test("real calibration files pass the checks", .enabled(if: SharedData.isAvailable, "needs ../shared/data"), arguments: [
        "kitti_object/training/calib/000000.txt", "kitti_object/training/calib/000001.txt", "kitti_object/training/calib/000002.txt",
        "kitti_object/training/calib/000003.txt", "kitti_object/training/calib/007347.txt", "kitti_tracking/training/calib/0000.txt",
        "kitti_raw/2011_09_26_drive_0005/calib.txt", "kitti_raw/2011_09_26/calib_extracted.txt",
    ])
    func realCalibration(_ path: String) throws {
        let calibration = try KITTICalibration.read(SharedData.path(path))
        #expect(calibration.projections[2] != nil)
    }

    @Test func sampleDataCalibrationPasses() throws {
        #expect(try KITTICalibration.readRaw(folder: SharedData.sampleData + "/sequence").projections.isEmpty == false)
    }

    @Test("real camera calibrations pass the checks", .enabled(if: SharedData.isAvailable, "needs ../shared/data"), arguments: ["front", "left", "right"])
    func realCameraCalibration(_ name: String) throws {
        let camera = try FileBytes.decode(SharedData.path("sustechpoints/calib/camera/\(name).json")) { (bytes) throws(LabelFileError) in
            try CameraCalibrationFile.decode(bytes, name: name, imageSize: (2048, 1536))
        }
        #expect(camera.intrinsics.fx > 0)
    }

    /// A 20 MB CSV cell, a 6 MB class name: messages quote 200 bytes and the length.
    @Test("huge input text is cut in messages", arguments: ["csv", "kitti-class", "kitti-number", "calibration"])
    func hugeTextInMessages(kind: String) {
        let huge = String(repeating: "z", count: 20_000_000)
        let message: String
        do {
            switch kind {
            case "csv": _ = try BoxTable.decode(Array("x,y,l,w,yaw\n1,\(huge),3,4,0\n".utf8), kind: .bev)
            case "kitti-class": _ = try KITTILabelFile.decode(Array("\(huge) 0 0 0 0 0 10 10 1 1 1 0 0 10 0\n".utf8))
            case "kitti-number": _ = try KITTILabelFile.decode(Array("Car 0 0 0 0 0 10 10 1 1 1 0 0 \(huge) 0\n".utf8))
            default: _ = try KITTICalibration.decode(Array("P2: \(huge) 0 0 0 0 0 0 0 0 0 0 0\n".utf8))
            }
            Issue.record("decoded")
            return
        } catch {
            message = String(describing: error)
        }
        #expect(message.utf8.count < 600, "\(message.utf8.count) bytes")
        #expect(message.contains("… (20000000 bytes)"), "\(message.prefix(300))")
    }

    /// A streamed OpenLABEL file's scratch file names the destination when it fails, not the folder.
    @Test func streamWriterErrorsNameTheDestination() throws {
        do {
            _ = try LabelStreamWriter(path: "/nonexistent-folder/labels.openlabel.json", format: .openLABEL)
            Issue.record("created a writer in a missing folder")
        } catch let error as FileAccessError {
            #expect(error.path == "/nonexistent-folder/labels.openlabel.json")
        }
    }

    /// A per-frame label file whose name is not UTF-8 would drop its frame unseen: an error naming it.
    @Test func undecodableLabelFileNameIsAnError() throws {
        let root = try scratchFolder("labels-names")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/label_2"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let calibration = root + "/calib.txt"
        try FileBytes.writeAtomically(Array(validKITTICalibration.utf8), to: calibration)
        let line = Array("Car 0.00 0 -1.57 599.41 156.40 629.75 189.25 1.5 1.6 3.9 0.47 1.49 20.44 -1.56\n".utf8)
        try FileBytes.writeAtomically(line, to: folder + "/000000.txt")
        let context = LabelContext(calibration: try KITTICalibration.read(calibration))
        #expect(try LabelStore.read(folder, format: .kitti, context: context).frames.count == 1)
        let bad = Array((folder + "/00").utf8) + [0xFF] + Array("001.txt".utf8) + [0]
        let descriptor = bad.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        #expect(descriptor >= 0)
        close(descriptor)
        do {
            _ = try LabelStore.read(folder, format: .kitti, context: context)
            Issue.record("a label file was left out silently")
        } catch let error as FileAccessError {
            #expect(error.path == folder + "/00\\xFF001.txt" && error.code == EILSEQ)
        }
    }
}
