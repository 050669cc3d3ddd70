import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidIO
import CuboidKernels
import CuboidPointClouds
import CuboidTestSupport
import Foundation
import Testing

@testable import CuboidSynthesis

/// The shipped scenes, and a small world (the residential scene: 32 beams, a 621 x 188 camera) that
/// debug-build tests render quickly.
enum Scenes {
    static func read(_ name: String) throws -> SceneDescription {
        try SceneDescription.read(SharedData.sampleData + "/scenes/\(name).json")
    }

    static let residential: SyntheticWorld = {
        // The scene file is part of the repository; a failure here is a broken checkout.
        let scene = try! read("residential")
        return SyntheticWorld(scene: scene, frameCount: 3)
    }()
}

/// FNV-1a over bytes: enough to tell two outputs apart.
func fingerprint(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

/// Whether `point` (lidar frame) lies inside a labelled cuboid, with its full orientation.
func contains(_ object: LabeledObject, _ point: SIMD3<Double>) -> Bool {
    guard let box = object.cuboid else { return false }
    let local = object.orientation.conjugate.rotate(point - box.center)
    return abs(local.x) <= box.length / 2 && abs(local.y) <= box.width / 2 && abs(local.z) <= box.height / 2
}

@Suite("Synthetic scenes: gold")
struct SyntheticGoldTests {
    @Test("every gold cuboid holds exactly its actor's lidar returns: all of them, and no other return", arguments: [0, 2])
    func cuboidsHoldTheirReturns(frame: Int) {
        let world = Scenes.residential
        let rendered = world.renderFrame(frame, threads: 2)
        let cloud = rendered.sweep.cloud
        let objects = rendered.labels.objects
        let labelled = Set(objects.compactMap(\.trackID))
        var wrong = 0, actorReturns = 0, checkedObjects = Set<String>(), beyondLabelRange = 0
        for index in 0..<cloud.count {
            let p = cloud[position: index]
            let point = SIMD3<Double>(Double(p.x), Double(p.y), Double(p.z))
            let owner = rendered.sweep.actorOfPoint[index]
            let inside = objects.filter { contains($0, point) }.compactMap(\.trackID)
            if owner >= 0 && !labelled.contains(String(owner)) {
                // Actors beyond the label range are not labelled, but their returns are real.
                beyondLabelRange += 1
                if (point.x * point.x + point.y * point.y).squareRoot() < world.scene.labelRange - 10 { wrong += 1 }
                if !inside.isEmpty { wrong += 1 }
            } else if owner >= 0 {
                actorReturns += 1
                checkedObjects.insert(String(owner))
                if inside != [String(owner)] { wrong += 1 }
            } else if !inside.isEmpty {
                wrong += 1
            }
        }
        #expect(wrong == 0, "\(wrong) returns in the wrong cuboids")
        #expect(actorReturns > 1000)
        #expect(checkedObjects.count >= 10)
        // num_points is the count of the actor's returns.
        for object in objects {
            let owned = rendered.sweep.actorOfPoint.filter { String($0) == object.trackID }.count
            #expect(object.attributes["num_points"] == .number(Double(owned)))
        }
    }

    @Test("projected gold boxes enclose every pixel of their actor", arguments: [0, 2])
    func boxesEnclosePixels(frame: Int) {
        let world = Scenes.residential
        let rendered = world.renderFrame(frame, threads: 2)
        let width = rendered.image.image.width
        var boxes: [Int32: Box2D] = [:]
        for object in rendered.labels.objects {
            if let id = object.trackID.flatMap({ Int32($0) }), let box = object.boxes["image_02"] { boxes[id] = box }
        }
        var outside = 0, actorPixels = 0, people = 0
        for (pixel, owner) in rendered.image.actorOfPixel.enumerated() where owner >= 0 {
            actorPixels += 1
            let u = Double(pixel % width) + 0.5, v = Double(pixel / width) + 0.5
            guard let box = boxes[owner] else { outside += 1; continue }
            if u < box.minX - 1e-6 || u > box.maxX + 1e-6 || v < box.minY - 1e-6 || v > box.maxY + 1e-6 { outside += 1 }
        }
        for object in rendered.labels.objects where object.category == "Pedestrian" && object.boxes["image_02"] != nil { people += 1 }
        #expect(outside == 0)
        #expect(actorPixels > 5000)
        // People project as cylinders, so the check covers that silhouette too.
        #expect(people >= 1)
    }

    @Test("actors never overlap one another, static clutter or the ego's lane neighbours' cuboids", arguments: ["urban", "highway", "residential"])
    func actorsDoNotOverlap(name: String) throws {
        let world = SyntheticWorld(scene: try Scenes.read(name), frameCount: 60)
        for frame in stride(from: 0, to: 60, by: 6) {
            let t = world.time(ofFrame: frame)
            let boxes = world.actors.map { world.worldCuboid(of: $0, at: t) }.filter { box in
                let ego = world.lidarPose(at: t).translation
                return ((box.x - ego.x) * (box.x - ego.x) + (box.y - ego.y) * (box.y - ego.y)).squareRoot() < 150
            }
            for i in boxes.indices {
                for j in boxes.indices where j > i {
                    #expect(intersectionVolume(boxes[i], boxes[j]) == 0, "frame \(frame): actors overlap")
                }
            }
        }
    }

    @Test("labels: track ids, classes, sizes near KITTI's means, KITTI attributes where the camera sees")
    func labelContents() throws {
        let world = SyntheticWorld(scene: try Scenes.read("urban"), frameCount: 1)
        var sizes: [String: [SIMD3<Double>]] = [:]
        for actor in world.actors { sizes[actor.category, default: []].append(actor.size) }
        for (category, list) in sizes where list.count >= 10 {
            let mean = list.reduce(SIMD3<Double>.zero, +) / Double(list.count)
            let expected = ClassSize.of(category).mean
            for axis in 0..<3 { #expect(abs(mean[axis] / expected[axis] - 1) < 0.05, "\(category) axis \(axis)") }
        }
        #expect(Set(sizes.keys).isSuperset(of: ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]))
        #expect(world.actors.contains { $0.isMoving } && world.actors.contains { !$0.isMoving })
    }
}

@Suite("Synthetic scenes: determinism and files")
struct SyntheticOutputTests {
    @Test("the same frame renders to the same bytes on 1 and 2 threads")
    func threadCountDoesNotMatter() {
        let world = Scenes.residential
        let one = world.renderFrame(1, threads: 1), two = world.renderFrame(1, threads: 2)
        #expect(fingerprint(BinaryScanCodec.encode(one.sweep.cloud, layout: .kitti)) == fingerprint(BinaryScanCodec.encode(two.sweep.cloud, layout: .kitti)))
        #expect(one.sweep.actorOfPoint == two.sweep.actorOfPoint)
        #expect(one.image.image == two.image.image)
        #expect(one.image.coveredPixels == two.image.coveredPixels)
        #expect(one.labels == two.labels)
    }

    @Test("frames do not depend on how many frames the run has")
    func prefixStable() throws {
        let scene = try Scenes.read("residential")
        let short = SyntheticWorld(scene: scene, frameCount: 1), long = SyntheticWorld(scene: scene, frameCount: 40)
        let a = short.renderFrame(0, threads: 2), b = long.renderFrame(0, threads: 2)
        #expect(a.sweep.cloud == b.sweep.cloud)
        #expect(a.labels == b.labels)
    }

    @Test("two runs write identical files, thread counts 1 and 2; the sequence reader opens them and agrees with the world")
    func writeAndRead() throws {
        let world = Scenes.residential
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let summary = try SyntheticSequenceWriter.write(world, to: folder + "/a", threads: 1)
        _ = try SyntheticSequenceWriter.write(world, to: folder + "/b", threads: 2)
        #expect(try folderFingerprints(folder + "/a") == folderFingerprints(folder + "/b"))
        #expect(summary.frames == 3)

        let sequence = try SensorSequence.open(folder + "/a")
        #expect(sequence.layout == .kittiRaw)
        #expect(sequence.frames.count == 3)
        for index in 0..<3 {
            let frame = world.renderFrame(index, threads: 2)
            #expect(try sequence.pointCloud(at: index).count == frame.sweep.cloud.count)
            #expect(try sequence.image(at: index, camera: "image_02") == frame.image.image)
            // OXTS records through the devkit's Mercator formula give back the exact poses.
            let read = try #require(sequence.frames[index].egoPose)
            let exact = world.odometryPose(frame: index)
            let offset = read.translation - exact.translation
            #expect((offset * offset).sum().squareRoot() < 1e-6)
            #expect(abs(read.rotation.w * exact.rotation.w + (read.rotation.vector * exact.rotation.vector).sum()) > 1 - 1e-12)
            #expect(abs(try #require(sequence.frames[index].timestamp) - (frame.labels.timestamp ?? 0)) < 1e-6)
            // KITTI tracking gold: the objects the camera sees, same boxes.
            let kitti = try #require(try sequence.labels(at: index))
            let seen = frame.labels.objects.filter { $0.boxes["image_02"] != nil }
            #expect(kitti.objects.count == seen.count)
            for object in kitti.objects {
                let gold = try #require(seen.first { $0.trackID == object.trackID })
                let a = try #require(object.cuboid), b = try #require(gold.cuboid)
                #expect(abs(a.x - b.x) < 0.01 && abs(a.y - b.y) < 0.01 && abs(a.z - b.z) < 0.01)
                #expect(abs(normalizedYaw(a.yaw - b.yaw)) < 0.01)
                #expect(object.category == gold.category)
            }
        }
        // The camera of the files is the world's.
        let cameras = try sequence.cameras(at: 0)
        #expect(cameras.map(\.name) == ["image_02"])
        let probe = SIMD3<Double>(12, 2, -0.5)
        let fromFiles = try #require(cameras[0].project(probe)), fromWorld = try #require(world.camera.project(probe))
        #expect(abs(fromFiles.pixel.x - fromWorld.pixel.x) < 1e-9 && abs(fromFiles.pixel.y - fromWorld.pixel.y) < 1e-9)
        // OpenLABEL gold reads back with every object.
        let gold = try LabelStore.read(folder + "/a/gold.openlabel.json", format: .openLABEL)
        #expect(gold.objectCount == summary.labelledObjects)
        #expect(gold.frames.map(\.name) == ["0000000000", "0000000001", "0000000002"])
        // The scene file written beside the data reads back as the scene that ran.
        #expect(try SceneDescription.read(folder + "/a/scene.json") == world.scene)
    }

    #if os(Linux)
    @Test("SampleData/sequence is what `cuboid synth` makes from SampleData/scenes/residential.json today")
    func sampleDataRegenerates() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try SyntheticSequenceWriter.write(Scenes.residential, to: folder, threads: 2)
        #expect(try folderFingerprints(folder) == folderFingerprints(SharedData.sampleData + "/sequence"))
    }
    #endif

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "cuboid-synth-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func folderFingerprints(_ folder: String) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let next = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + next, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[next] = fingerprint(try FileBytes.read(folder + "/" + next))
            }
        }
        return out
    }
}
