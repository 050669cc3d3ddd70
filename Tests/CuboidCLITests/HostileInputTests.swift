import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

/// A scratch folder for one hostile-input case: inputs in `scratch/inputs`, the output deep inside
/// (`scratch/x1/x2/x3/x4/out`) so that a name climbing out of it lands inside the scratch folder,
/// where the listing before and after the run sees it.
struct Sandbox {
    let parent: String
    var inputs: String { parent + "/scratch/inputs" }
    var work: String { parent + "/scratch/x1/x2/x3/x4" }
    var out: String { work + "/out" }

    init(_ name: String) throws {
        parent = try scratchFolder("hostile-\(name)")
        for folder in [inputs, work] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: parent) }

    /// Every file below the parent but outside `out`, with its bytes (with its size and modification
    /// time for a file above 64 MiB, such as a sparse 5 GiB input).
    func outsideOut() throws -> [String: [UInt8]] {
        let outPrefix = "scratch/x1/x2/x3/x4/out/"
        var files: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: parent)
        while let name = enumerator?.nextObject() as? String {
            guard !name.hasPrefix(outPrefix), name != "scratch/x1/x2/x3/x4/out" else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: parent + "/" + name)
            guard attributes[.type] as? FileAttributeType != .typeDirectory else { continue }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            files[name] = size > 64 << 20
                ? Array("\(size) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)".utf8)
                : try FileBytes.read(parent + "/" + name)
        }
        return files
    }

    /// The names of the files in an output folder.
    func names(in folder: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
    }

    /// Runs cuboid, checking that nothing outside `out` was written or changed.
    func run(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let before = try outsideOut()
        let result = try runCuboid(arguments, in: directory ?? work)
        let after = try outsideOut()
        #expect(after.keys.sorted() == before.keys.sorted(), "files written outside --out: \(Set(after.keys).symmetricDifference(before.keys).sorted())")
        for (name, bytes) in before where after[name] != bytes { Issue.record("\(name) changed outside --out") }
        return result
    }
}

/// Names climbing out of the output folder: to the scratch folder, and past it to the test's parent.
let escapingNames = ["../../../../outside/ESCAPED", "../../../../../../../outside/ESCAPED-PARENT"]

/// A KITTI object calibration file (camera 2 of a 1242 x 375 image looking along the lidar's x) in `folder`.
func kittiCalibration(in folder: String) throws -> String {
    let path = folder + "/calib.txt"
    try """
        P0: 721.5 0 609.6 0 0 721.5 172.9 0 0 0 1 0
        P1: 721.5 0 609.6 -387.6 0 721.5 172.9 0 0 0 1 0
        P2: 721.5 0 609.6 44.9 0 721.5 172.9 0.2 0 0 1 0.003
        P3: 721.5 0 609.6 -339.5 0 721.5 172.9 2.2 0 0 1 0.003
        R0_rect: 1 0 0 0 1 0 0 0 1
        Tr_velo_to_cam: 0 -1 0 0 0 0 -1 -0.08 1 0 0 -0.27
        Tr_imu_to_velo: 1 0 0 -0.81 0 1 0 0.32 0 0 1 -0.8

        """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The sample drive's gold with the first two frames renamed.
func goldWithFrameNames(_ names: [String]) throws -> Data {
    let url = URL(fileURLWithPath: SharedData.sampleData + "/sequence/gold.openlabel.json")
    var root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var openlabel = root["openlabel"] as! [String: Any]
    var frames = openlabel["frames"] as! [String: Any]
    for (index, name) in names.enumerated() {
        var frame = frames[String(index)] as! [String: Any]
        var properties = frame["frame_properties"] as? [String: Any] ?? [:]
        properties["name"] = name
        frame["frame_properties"] = properties
        frames[String(index)] = frame
    }
    openlabel["frames"] = frames
    root["openlabel"] = openlabel
    return try JSONSerialization.data(withJSONObject: root)
}

@Suite("hostile inputs: nothing written outside --out, no input replaced, no empty success", .serialized)
struct HostileInputTests {
    enum NameSource: String, CaseIterable, CustomTestStringConvertible {
        case openLABELToSUSTechPOINTS, openLABELToKITTI, datumaro, nuScenesResults, interpolateToSUSTechPOINTS, susTechPOINTSFolder, kittiFolder
        var testDescription: String { rawValue }
    }

    @Test("a frame name climbing out of the output folder is written inside it, escaped, and read back", arguments: NameSource.allCases)
    func frameNamesStayInside(_ source: NameSource) throws {
        let box = try Sandbox(source.rawValue)
        defer { box.remove() }
        let evil = box.inputs + "/evil.openlabel.json"
        try goldWithFrameNames(escapingNames).write(to: URL(fileURLWithPath: evil))
        let calib = ["--calib", try kittiCalibration(in: box.inputs), "--image-size", "1242x375"]
        var input = evil, from = "openlabel"
        switch source {
        case .datumaro, .nuScenesResults:
            // The same names through another format's own field (a Datumaro item id, a nuScenes sample token).
            let format = source == .datumaro ? "datumaro" : "nuscenes"
            input = box.inputs + "/evil.\(format).json"
            let made = try runCuboid(["labels", "convert", evil, input, "--from", "openlabel", "--to", format,
                                      "--class-map", "Car=car,Van=car,Pedestrian=pedestrian"])
            #expect(made.status == 0, "\(made.stderr)")
            from = format
        case .openLABELToKITTI, .kittiFolder:
            // KITTI holds what camera 2 sees: a frame of one car in front of it, under the two names.
            let folder = box.inputs + "/label_2"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for frame in ["000000", "000001"] {
                try "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
                    .write(toFile: folder + "/\(frame).txt", atomically: true, encoding: .utf8)
            }
            let made = try runCuboid(["labels", "convert", folder, evil, "--from", "kitti", "--to", "openlabel"] + calib)
            #expect(made.status == 0, "\(made.stderr)")
            let renamed = try String(contentsOfFile: evil, encoding: .utf8)
                .replacingOccurrences(of: "\"000000\"", with: "\"\(escapingNames[0])\"")
                .replacingOccurrences(of: "\"000001\"", with: "\"\(escapingNames[1])\"")
            try renamed.write(toFile: evil, atomically: true, encoding: .utf8)
            if source == .kittiFolder { fallthrough }
        case .susTechPOINTSFolder:
            // Per-frame folders whose file names carry the names escaped (as Cuboid writes them, or by hand).
            let format = source == .kittiFolder ? "kitti" : "sustechpoints"
            input = box.inputs + "/\(format)-folder"
            let made = try runCuboid(["labels", "convert", evil, input, "--from", "openlabel", "--to", format] + (source == .kittiFolder ? calib : []))
            #expect(made.status == 0, "\(made.stderr)")
            from = format
        default: break
        }
        let result: (status: Int32, stdout: String, stderr: String)
        switch source {
        case .openLABELToKITTI, .kittiFolder:
            result = try box.run(["labels", "convert", input, box.out, "--from", from, "--to", "kitti"] + calib)
        case .interpolateToSUSTechPOINTS:
            result = try box.run(["interpolate", input, "--out", box.out, "--to", "sustechpoints"])
        default:
            result = try box.run(["labels", "convert", input, box.out, "--from", from, "--to", "sustechpoints"])
        }
        #expect(result.status == 0, "\(result.stderr)")
        let suffix = source == .openLABELToKITTI || source == .kittiFolder ? ".txt" : ".json"
        let written = box.names(in: box.out)
        for name in escapingNames { #expect(written.contains(PathComponent.escaped(name) + suffix), "\(written.sorted())") }
        // Read back, the folder gives the names as they were.
        let back = box.parent + "/back.openlabel.json"
        let reread = try runCuboid(["labels", "convert", box.out, back, "--from", suffix == ".txt" ? "kitti" : "sustechpoints"]
                                   + (suffix == ".txt" ? calib : []))
        #expect(reread.status == 0, "\(reread.stderr)")
        let text = try String(contentsOfFile: back, encoding: .utf8)
        #expect(text.contains("ESCAPED-PARENT"))
        #expect(text.contains(#""name": "../../../../outside/ESCAPED""#) || text.contains(#""name":"../../../../outside/ESCAPED""#)
                || text.contains(#"..\/..\/..\/..\/outside\/ESCAPED"#), "the name did not come back")
    }

    @Test("a nuScenes info token and a camera key climbing out: prelabel's cache, previews and labels stay inside",
          .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func nuScenesInfoNames() throws {
        let box = try Sandbox("nuscenes-info")
        defer { box.remove() }
        let source = SharedData.path("nuscenes")
        let sequence = box.inputs + "/nuscenes"
        try FileManager.default.createDirectory(atPath: sequence, withIntermediateDirectories: true)
        // The info file (it holds NaN, which JSONSerialization refuses) edited as text: the sample's token
        // and the front camera's key in `images` (the first `"CAM_FRONT": {`).
        var info = ""
        for file in try FileManager.default.contentsOfDirectory(atPath: source) {
            if file.hasSuffix(".pkl.json") {
                info = try String(contentsOfFile: source + "/" + file, encoding: .utf8)
            } else {
                try FileManager.default.createSymbolicLink(atPath: sequence + "/" + file, withDestinationPath: source + "/" + file)
            }
        }
        let token = try #require(info.firstMatch(of: /"token": "([0-9a-f]+)"/)?.output.1)
        info = info.replacingOccurrences(of: String(token), with: escapingNames[1])
        let camera = try #require(info.range(of: "\"CAM_FRONT\": {"))
        info.replaceSubrange(camera, with: "\"../../../../../outside/CAM\": {")
        try info.write(toFile: sequence + "/evil.pkl.json", atomically: true, encoding: .utf8)
        let result = try box.run(["prelabel", sequence, "--out", box.out, "--to", "openlabel,sustechpoints,kitti-raw,sly-pointcloud"])
        #expect(result.status == 0, "\(result.stderr)")
        let escaped = PathComponent.escaped(escapingNames[1])
        #expect(box.names(in: box.out + "/sly_pointcloud/ds0/ann") == [escaped + ".pcd.json"])
        #expect(try String(contentsOfFile: box.out + "/kitti_raw/frame_list.txt", encoding: .utf8) == "0 \(escaped)\n")
        #expect(box.names(in: box.out + "/cache").contains(escaped + ".detections.json"))
        #expect(box.names(in: box.out + "/preview").contains(escaped + "-bev.png"))
        #expect(box.names(in: box.out + "/preview").contains(escaped + "-" + PathComponent.escaped("../../../../../outside/CAM") + ".png"))
        #expect(box.names(in: box.out + "/sustechpoints").contains(escaped + ".json"))
        // A rig of six cameras cannot go into one-camera CVAT: refused before anything is written.
        let cvat = try box.run(["prelabel", sequence, "--out", box.out + "/cvat", "--to", "coco,cvat"])
        #expect(cvat.status == 1 && cvat.stderr.contains("cvat holds the boxes of one camera"), "\(cvat.stderr)")
        #expect(!box.names(in: box.out + "/cvat").contains("coco.json"))
    }

    enum Overwrite: String, CaseIterable, CustomTestStringConvertible {
        case convertCloud, convertCloudThroughLink, labelsConvert, labelsConvertIntoItsFolder, interpolate, prelabelConfig
        var testDescription: String { rawValue }
    }

    @Test("an output that would replace an input is refused with exit 64 and the input is unchanged", arguments: Overwrite.allCases)
    func inputsNeverReplaced(_ scenario: Overwrite) throws {
        let box = try Sandbox(scenario.rawValue)
        defer { box.remove() }
        let cloud = box.inputs + "/b.pcd", labels = box.inputs + "/x.json"
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sweep.pcd", toPath: cloud)
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence/gold.openlabel.json", toPath: labels)
        let kittiFolder = box.inputs + "/label_2"
        try FileManager.default.createDirectory(atPath: kittiFolder, withIntermediateDirectories: true)
        try "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
            .write(toFile: kittiFolder + "/000001.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: box.inputs + "/link.pcd", withDestinationPath: cloud)
        let config = box.inputs + "/config.json"
        try "{}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let arguments: [String]
        switch scenario {
        case .convertCloud: arguments = ["convert", cloud, cloud, "--to", "pcd-ascii"]
        case .convertCloudThroughLink: arguments = ["convert", box.inputs + "/link.pcd", cloud, "--to", "pcd-ascii"]
        case .labelsConvert: arguments = ["labels", "convert", labels, labels, "--from", "openlabel"]
        case .labelsConvertIntoItsFolder:
            arguments = ["labels", "convert", kittiFolder, kittiFolder, "--from", "kitti", "--to", "kitti",
                         "--calib", SharedData.sampleData + "/sequence/calib_velo_to_cam.txt"]
        case .interpolate: arguments = ["interpolate", labels, "--out", labels]
        case .prelabelConfig: arguments = ["prelabel", "--config", config, "--write-config", config]
        }
        let before = try filesBelow(box.inputs)
        let result = try box.run(arguments)
        #expect(result.status == 64, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("error: ") && result.stderr.contains("never modified") || result.stderr.contains("holds this input"), "\(result.stderr)")
        #expect(try filesBelow(box.inputs) == before)
    }

    @Test("a one-letter relative path works (Foundation's path methods trap on it)")
    func oneLetterPaths() throws {
        let box = try Sandbox("one-letter")
        defer { box.remove() }
        // A drive named `s` in the working folder, its gold as `g` and `i`.
        let made = try runCuboid(["synth", box.out + "/s", "--scene", SharedData.sampleData + "/scenes/urban.json", "--frames", "2"])
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.copyItem(atPath: box.out + "/s/gold.openlabel.json", toPath: box.out + "/g")
        try FileManager.default.copyItem(atPath: box.out + "/s/gold.openlabel.json", toPath: box.out + "/i")
        for arguments in [["prelabel", "s", "--out", "o", "--no-previews"], ["interpolate", "i", "--out", "j"],
                          ["qa", "--gold", "g", "--labels", "g", "--out", "q", "--no-pictures"]] {
            let result = try box.run(arguments, in: box.out)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: box.out + "/o/prelabels.openlabel.json"))
        #expect(FileManager.default.fileExists(atPath: box.out + "/j"))
        #expect(FileManager.default.fileExists(atPath: box.out + "/q/index.html"))
    }

    @Test("prelabel refuses, before detecting, a KITTI format on a sequence without camera 2's calibration (it wrote a 0-byte file) and exits 1")
    func emptyKITTITracking() throws {
        let box = try Sandbox("no-camera")
        defer { box.remove() }
        let sequence = box.inputs + "/drive"
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: sequence)
        try FileManager.default.removeItem(atPath: sequence + "/image_02")
        // Calibrated but without images, camera 2 has KITTI's image size: the KITTI formats are written.
        let calibrated = try box.run(["prelabel", sequence, "--out", box.out + "/calibrated", "--to", "kitti-tracking", "--no-previews"])
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        #expect(box.names(in: box.out + "/calibrated").contains("kitti_tracking.txt"))
        // Without the calibration there is no camera 2.
        for file in ["calib_cam_to_cam.txt", "calib_velo_to_cam.txt", "calib_imu_to_velo.txt"] { try FileManager.default.removeItem(atPath: sequence + "/" + file) }
        for format in ["kitti-tracking", "kitti"] {
            let result = try box.run(["prelabel", sequence, "--out", box.out + "/o", "--to", format, "--no-previews"])
            #expect(result.status == 1, "\(result.stdout)")
            #expect(result.stderr.contains("KITTI output needs a KITTI calibration"), "\(result.stderr)")
            #expect(!result.stdout.contains("boxes"))
            #expect(!box.names(in: box.out + "/o").contains("kitti_tracking.txt") && !box.names(in: box.out + "/o").contains("kitti"))
        }
    }

    @Test("two runs into one output folder: the second refuses with the first's process id, the first finishes whole")
    func concurrentRuns() throws {
        let box = try Sandbox("concurrent")
        defer { box.remove() }
        let sequence = SharedData.sampleData + "/sequence"
        let first = Process()
        first.executableURL = BuiltProducts.cuboid
        first.arguments = ["prelabel", sequence, "--out", box.out, "--threads", "1"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Wait until the first run holds the folder (its lock file names it).
        let lockFile = box.out + "/" + OutputLock.fileName
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.processIdentifier)\n" { usleep(2_000) }
        let second = try runCuboid(["prelabel", sequence, "--out", box.out], in: box.work)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        if second.status == 0 {
            // The first run finished before the second started: nothing to test on this machine's timing.
            #expect(second.stdout.contains("from the cache"))
        } else {
            #expect(second.status == 1)
            #expect(second.stderr.contains("another cuboid run (process \(first.processIdentifier))"), "\(second.stderr)")
        }
        // The first run's outputs are whole, and a run after it takes the folder over.
        let again = try runCuboid(["prelabel", sequence, "--out", box.out], in: box.work)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(3 from the cache)"), "\(again.stdout)")
    }
}
