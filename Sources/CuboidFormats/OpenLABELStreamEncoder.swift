import CuboidGeometry
import CuboidIO

/// Builds an OpenLABEL document one frame at a time, so a long sequence is written without holding
/// its labels: ``append(_:)`` renders a frame's member of `frames` (to be written in order), and
/// ``write(emit:frames:)`` gives the text around the frames, which holds the per-object sections
/// (names, classes, frame intervals) known only once every frame is in. The bytes equal
/// ``OpenLABELFile/encode(_:)`` of the whole set.
///
/// **Identity.** An object's uid is its track id (an object without one, or whose id is taken in
/// the frame or by another class, gets a fresh uid: the smallest integer not among `reservedUIDs`
/// and the uids written so far); a frame's key is its ``LabeledFrame/number`` (a frame without one,
/// or whose number does not exceed the previous frame's, gets the previous number + 1). What an
/// OpenLABEL file held beyond the label model (``OpenLABELObjectExtras``, ``OpenLABELFrameExtras``,
/// ``OpenLABELDocumentExtras``) is written back; what cannot be is counted in ``losses``.
///
/// Memory: O(objects), not O(boxes): frame intervals grow only when an object reappears after a gap.
struct OpenLABELStreamEncoder {
    let sensor: String
    let cameras: [Camera]
    let document: OpenLABELDocumentExtras?
    /// Per object: uid, name, class, and its frame intervals (the first inline: most objects have one).
    private var objects: [(uid: String, name: String, type: String, first: (start: Int, end: Int), more: [(start: Int, end: Int)]?)] = []
    /// Position in `objects` of each uid written.
    private var objectOfUID: [String: Int] = [:]
    /// The uid of each track id (itself unless a fresh uid had taken it).
    private var uidOfTrack: [String: String] = [:]
    /// Uids that fresh ones must avoid (the set's track ids, when known in advance).
    private let reservedUIDs: Set<String>
    private var nextFresh = 0
    private var lastNumber = -1
    private var frameIntervals: [(start: Int, end: Int)] = []
    private var hasPoses = false
    /// The KITTI calibration written as the static camera streams and coordinate systems: the first
    /// frame's that has one; frames with another write theirs in their `frame_properties`.
    private var kittiCalibration: KITTICalibration?
    /// Pose into the sensor of each coordinate system the document declares (cameras as written).
    private let writtenSystems: OpenLABELWrittenSystems
    /// What could not be written as it came, by kind.
    private(set) var losses: [String: Int] = [:]

    init(sensor: String, cameras: [Camera], document: OpenLABELDocumentExtras? = nil, reservedUIDs: Set<String> = []) {
        self.sensor = sensor
        self.cameras = cameras
        self.document = document
        self.reservedUIDs = reservedUIDs.union((document?.objects ?? []).map(\.name))
        writtenSystems = OpenLABELWrittenSystems(cameras: cameras, document: document)
    }

    /// The losses as lines, one per kind.
    var notes: [String] { losses.sorted { $0.key < $1.key }.map { "openlabel: \($0.value) \($0.key)" } }

    private mutating func freshUID() -> String {
        while true {
            let candidate = String(nextFresh)
            nextFresh += 1
            if !reservedUIDs.contains(candidate) && objectOfUID[candidate] == nil {
                return candidate
            }
        }
    }

    /// The next frame's text, with the separator before it.
    mutating func append(_ frame: LabeledFrame) -> String {
        let isFirst = frameIntervals.isEmpty
        let number: Int
        if let given = frame.number, given > lastNumber {
            number = given
        } else {
            if frame.number != nil { losses["frames renumbered (their numbers did not increase)", default: 0] += 1 }
            number = lastNumber + 1
        }
        lastNumber = number
        if let last = frameIntervals.last, last.end == number - 1 { frameIntervals[frameIntervals.count - 1].end = number } else { frameIntervals.append((number, number)) }
        if frame.egoPose != nil { hasPoses = true }
        if kittiCalibration == nil, let calibration = frame.kittiCalibration { kittiCalibration = calibration }
        // A 2D box names its camera as `coordinate_system` only when the document declares it.
        let declared = Set(writtenSystems.poses.keys).union(kittiCalibration.map { Self.kittiCameraNames($0) } ?? [])
        var entryUIDs: [String] = []
        var entryData: [[(String, JSONOutput)]] = []
        var entryOfUID: [String: Int] = [:]
        for object in frame.objects {
            var uid: String
            if let track = object.trackID, let tracked = uidOfTrack[track], let known = objectOfUID[tracked] {
                if let entry = entryOfUID[tracked], object.cuboid == nil, objects[known].type == object.category {
                    // The same object again in this frame (a DontCare object's regions): its boxes join the first.
                    let data: [(String, JSONOutput)] = OpenLABELFile.objectData(object, sensor: sensor, systems: writtenSystems, declared: declared, losses: &losses)
                    entryData[entry] = Self.merging(boxes: data, into: entryData[entry])
                    continue
                }
                if entryOfUID[tracked] == nil, objects[known].type == object.category {
                    uid = tracked
                    // Seen before: extend its last interval or start one.
                    if let more = objects[known].more {
                        if more[more.count - 1].end == number - 1 { objects[known].more![more.count - 1].end = number } else { objects[known].more!.append((number, number)) }
                    } else if objects[known].first.end == number - 1 {
                        objects[known].first.end = number
                    } else {
                        objects[known].more = [(number, number)]
                    }
                } else {
                    losses["objects given a new uid (their uid twice in a frame, or with another class)", default: 0] += 1
                    uid = newObject(object, uid: freshUID(), number: number)
                }
            } else if let track = object.trackID {
                // A new track: its id is its uid unless a fresh uid took it.
                if objectOfUID[track] == nil {
                    uid = newObject(object, uid: track, number: number)
                } else {
                    losses["objects given a new uid (their uid was given to another object)", default: 0] += 1
                    uid = newObject(object, uid: freshUID(), number: number)
                }
                uidOfTrack[track] = uid
            } else {
                uid = newObject(object, uid: freshUID(), number: number)
            }
            entryOfUID[uid] = entryUIDs.count
            entryUIDs.append(uid)
            let data: [(String, JSONOutput)] = OpenLABELFile.objectData(object, sensor: sensor, systems: writtenSystems, declared: declared, losses: &losses)
            entryData.append(data)
        }
        var properties: [(String, JSONOutput)] = []
        // The key gives the name when it is the number itself.
        if frame.name != String(number) { properties.append(("name", .string(frame.name))) }
        if let timestamp = frame.timestamp { properties.append(("timestamp", .number(timestamp))) }
        let given = frame.openLABEL?.transforms ?? []
        var transforms: [(String, JSONOutput)] = []
        if let pose = frame.egoPose {
            let key = sensor + "_to_odom"
            transforms.append((key, .object([
                ("src", .string(sensor)), ("dst", .string("odom")),
                ("transform_src_to_dst", .object([("matrix4x4", .numbers(pose.matrix))])),
            ])))
            let dropped = given.filter { $0.name != key }.count
            if dropped > 0 { losses["frame transforms not kept (the ego pose is written as \(key))", default: 0] += dropped }
        } else if !given.isEmpty {
            transforms += outputMembers(given)
        }
        // A frame whose KITTI calibration differs from the document's gives its own streams and transforms.
        if let calibration = frame.kittiCalibration, let first = kittiCalibration, calibration != first {
            let own = kittiFrameCalibration(calibration, declared: Set(Self.kittiCameraNames(first)))
            properties.append(("streams", .object(own.streams)))
            transforms += own.transforms.filter { written in !transforms.contains { $0.0 == written.0 } }
        }
        if !transforms.isEmpty { properties.append(("transforms", .object(transforms))) }
        properties += outputMembers(frame.openLABEL?.properties ?? [])
        var objectMembers: [(String, JSONOutput)] = []
        for (uid, data) in zip(entryUIDs, entryData) { objectMembers.append((uid, JSONOutput.object([("object_data", JSONOutput.object(data))]))) }
        var members: [(String, JSONOutput)] = [("objects", JSONOutput.object(objectMembers))]
        if !properties.isEmpty { members.append(("frame_properties", .object(properties))) }
        members += outputMembers(frame.openLABEL?.members ?? [])
        return (isFirst ? "{\n" : ",\n") + "      " + JSONWriter.quoted(String(number)) + ": " + JSONOutput.object(members).rendered(indent: 2, level: 3)
    }

    private mutating func newObject(_ object: LabeledObject, uid: String, number: Int) -> String {
        objectOfUID[uid] = objects.count
        objects.append((uid, object.name ?? object.trackID ?? uid, object.category, (number, number), nil))
        return uid
    }

    /// Appends the `bbox` entries of `data` to those of `entry`.
    private static func merging(boxes data: [(String, JSONOutput)], into entry: [(String, JSONOutput)]) -> [(String, JSONOutput)] {
        guard let added = data.first(where: { $0.0 == "bbox" }), case .array(let more) = added.1 else { return entry }
        var out = entry
        if let k = out.firstIndex(where: { $0.0 == "bbox" }), case .array(let old) = out[k].1 {
            out[k].1 = JSONOutput.array(old + more)
        } else {
            out.append(("bbox", JSONOutput.array(more)))
        }
        return out
    }

    /// The whole document: `emit` receives its text in order, and `frames` is called where the frames
    /// (the texts ``append(_:)`` returned, in order) go. One object's section is rendered at a time.
    mutating func write(emit: (String) throws -> Void, frames: () throws -> Void) throws {
        var metadata: [(String, JSONOutput)] = [("schema_version", .string("1.0.0"))]
        let given = document?.metadata ?? []
        if !given.contains(where: { $0.name == "annotator" }) { metadata.append(("annotator", .string("cuboid"))) }
        metadata += outputMembers(given)
        var root: [(String, JSONOutput)] = [("metadata", .object(metadata))]
        if !frameIntervals.isEmpty {
            root.append(("frame_intervals", .array(frameIntervals.map { OpenLABELFile.interval($0.start, $0.end) })))
        }
        let extraSystems = (document?.systems ?? []).filter { system in
            !(self.cameras.contains { $0.name == system.name } || (hasPoses && system.name == "odom"))
        }
        let kittiNames = Set(kittiCalibration.map { Self.kittiCameraNames($0) } ?? [])
        // Systems a KITTI calibration writes itself are not written again as read.
        let keptSystems = extraSystems.filter { $0.sensorFromSystem != nil && !kittiNames.contains($0.name) }
        let unposed = extraSystems.filter { $0.sensorFromSystem == nil }.count
        if unposed > 0 {
            losses["coordinate systems not kept (no static pose to \(sensor))", default: 0] += unposed
        }
        var systems: [(String, JSONOutput)] = []
        if hasPoses {
            systems.append(("odom", .object([("type", .string("scene_cs")), ("parent", .string("")), ("children", .array([.string(sensor)]))])))
        }
        // A KITTI calibration's cameras replace the cameras of the same name (the calibration keeps
        // KITTI's split of each camera's pose between its projection matrix and the rectified frame).
        let kittiCameras = kittiCalibration.map { Self.kittiCameraNames($0) } ?? []
        let cameras = self.cameras.filter { !kittiCameras.contains($0.name) }
        systems.append((sensor, .object([("type", .string("sensor_cs")), ("parent", .string(hasPoses ? "odom" : "")),
                                         ("children", .array((cameras.map(\.name) + kittiCameras + keptSystems.map(\.name)).map { .string($0) }))])))
        var streams: [(String, JSONOutput)] = [(sensor, .object(OpenLABELFile.streamMembers(sensor, [("type", .string("lidar"))], document: document)))]
        if let kittiCalibration {
            let written = kittiStaticCalibration(kittiCalibration)
            systems += written.systems
            streams += written.streams
        }
        for camera in cameras {
            systems.append((camera.name, .object([
                ("type", .string("sensor_cs")), ("parent", .string(sensor)), ("children", .array([])),
                ("pose_wrt_parent", .object([("matrix4x4", .numbers(camera.sensorFromCamera.matrix))])),
            ])))
            let k = camera.intrinsics
            streams.append((camera.name, .object(OpenLABELFile.streamMembers(camera.name, [
                ("type", .string("camera")),
                ("stream_properties", .object([("intrinsics_pinhole", .object([
                    ("width_px", .number(Double(k.width))), ("height_px", .number(Double(k.height))),
                    ("camera_matrix_3x4", .numbers([k.fx, k.skew, k.cx, 0, 0, k.fy, k.cy, 0, 0, 0, 1, 0])),
                ]))])),
            ], document: document))))
        }
        for system in keptSystems {
            systems.append((system.name, .object([
                ("type", .string(system.type)), ("parent", .string(sensor)), ("children", .array([])),
                ("pose_wrt_parent", .object([("matrix4x4", .numbers(system.sensorFromSystem!.matrix))])),
            ])))
        }
        // Streams Cuboid does not write itself, as given.
        for stream in document?.streams ?? [] where stream.name != sensor && !cameras.contains(where: { $0.name == stream.name }) && !kittiNames.contains(stream.name) {
            streams.append((stream.name, .raw(stream.json.text)))
        }
        root.append(("coordinate_systems", .object(systems)))
        root.append(("streams", .object(streams)))
        // The objects and frames are rendered apart; NUL and SOH (escaped in any JSON string) mark their places.
        root.append(("objects", .raw("\u{0}")))
        root.append(("frames", .raw("\u{1}")))
        root += outputMembers(document?.sections ?? [])
        let text = JSONOutput.object([("openlabel", .object(root))]).rendered() + "\n"
        let objectsAt = text.firstIndex(of: "\u{0}")!, framesAt = text.firstIndex(of: "\u{1}")!
        try emit(String(text[..<objectsAt]))
        // Object-level members beyond name, class and frames, by uid; objects the frames never held
        // (static ones) are written as given.
        var objectMembers: [String: [(String, JSONOutput)]] = [:]
        var staticObjects: [(String, String)] = []
        for entry in document?.objects ?? [] {
            guard case .object(let members)? = (try? parseJSON(Array(entry.json.text.utf8)))?.value else { continue }
            if objectOfUID[entry.name] == nil {
                if document?.objectsWithoutFrames.contains(entry.name) == true { staticObjects.append((entry.name, entry.json.text)) }
                continue
            }
            objectMembers[entry.name] = members.filter { $0.key != "name" && $0.key != "type" }.map { ($0.key, .raw($0.value.asOutput.rendered(indent: 0))) }
        }
        if objects.isEmpty && staticObjects.isEmpty { try emit("{}") }
        for (k, object) in objects.enumerated() {
            let member = JSONOutput.object([("name", .string(object.name)), ("type", .string(object.type)),
                                            ("frame_intervals", .array([OpenLABELFile.interval(object.first.start, object.first.end)]
                                                + (object.more ?? []).map { OpenLABELFile.interval($0.start, $0.end) }))]
                                           + (objectMembers[object.uid] ?? []))
            try emit((k == 0 ? "{\n" : ",\n") + "      " + JSONWriter.quoted(object.uid) + ": " + member.rendered(indent: 2, level: 3))
        }
        for (k, (uid, text)) in staticObjects.enumerated() {
            try emit((k == 0 && objects.isEmpty ? "{\n" : ",\n") + "      " + JSONWriter.quoted(uid) + ": " + text)
        }
        if !objects.isEmpty || !staticObjects.isEmpty { try emit("\n    }") }
        try emit(String(text[text.index(after: objectsAt)..<framesAt]))
        try frames()
        try emit((frameIntervals.isEmpty ? "{}" : "\n    }") + String(text[text.index(after: framesAt)...]))
    }
}

// MARK: - KITTI calibration as OpenLABEL camera streams and coordinate systems

extension OpenLABELStreamEncoder {
    /// The stream (and coordinate-system) name of KITTI camera `index`: `image_2` for P2, as KITTI's
    /// folders and the 2D boxes' coordinate system (``LabeledObject/kittiCamera``) name it.
    static func kittiCameraName(_ index: Int) -> String { "image_\(index)" }

    /// The names of the calibration's cameras, in index order.
    static func kittiCameraNames(_ calibration: KITTICalibration) -> [String] {
        calibration.projections.keys.sorted().map(kittiCameraName)
    }

    /// The intrinsics of KITTI camera `index` as OpenLABEL's `intrinsics_pinhole`: the projection
    /// matrix `P_index` verbatim as `camera_matrix_3x4` (`[K | p]`, its fourth column the camera's offset
    /// from the rectified camera-0 frame, as VCD writes KITTI), with the image size when a camera of
    /// that name gives one.
    private func kittiPinhole(_ calibration: KITTICalibration, index: Int) -> JSONOutput {
        var pinhole: [(String, JSONOutput)] = []
        if let size = cameras.first(where: { $0.name == Self.kittiCameraName(index) })?.intrinsics, size.width > 0, size.height > 0 {
            pinhole += [("width_px", .number(Double(size.width))), ("height_px", .number(Double(size.height)))]
        }
        pinhole.append(("camera_matrix_3x4", .numbers(calibration.projections[index]!)))
        return .object([("intrinsics_pinhole", .object(pinhole))])
    }

    /// The static form: one `camera` stream per projection, and per camera a coordinate system (child
    /// of the sensor) for the rectified camera-0 frame KITTI's labels live in: its `pose_wrt_parent`
    /// maps it into the sensor frame, `(R0_rect Tr_velo_to_cam)^-1`, so that `X_img = P (pose)^-1 X_sensor`
    /// is KITTI's projection.
    fileprivate func kittiStaticCalibration(_ calibration: KITTICalibration) -> (systems: [(String, JSONOutput)], streams: [(String, JSONOutput)]) {
        let sensorFromRectified = calibration.rectifiedFromVelodyne.inverse
        var systems: [(String, JSONOutput)] = [], streams: [(String, JSONOutput)] = []
        for index in calibration.projections.keys.sorted() {
            let name = Self.kittiCameraName(index)
            systems.append((name, .object([
                ("type", .string("sensor_cs")), ("parent", .string(sensor)), ("children", .array([])),
                ("pose_wrt_parent", .object([("matrix4x4", .numbers(sensorFromRectified.matrix))])),
            ])))
            streams.append((name, .object([("type", .string("camera")), ("stream_properties", kittiPinhole(calibration, index: index))])))
        }
        return (systems, streams)
    }

    /// A frame whose calibration differs from the static one (KITTI object frames come from several
    /// drives): its cameras' intrinsics in `frame_properties.streams` and a transform
    /// `SENSOR_to_image_N` per camera (`X_image = M X_sensor`, `R0_rect Tr_velo_to_cam`), which
    /// replaces the static `pose_wrt_parent` in that frame.
    /// Only the cameras the static calibration declares (`declared`) are written.
    fileprivate func kittiFrameCalibration(_ calibration: KITTICalibration, declared: Set<String>) -> (streams: [(String, JSONOutput)], transforms: [(String, JSONOutput)]) {
        let rectifiedFromSensor = calibration.rectifiedFromVelodyne
        var streams: [(String, JSONOutput)] = [], transforms: [(String, JSONOutput)] = []
        for index in calibration.projections.keys.sorted() where declared.contains(Self.kittiCameraName(index)) {
            let name = Self.kittiCameraName(index)
            streams.append((name, .object([("stream_properties", kittiPinhole(calibration, index: index))])))
            transforms.append((sensor + "_to_" + name, .object([
                ("src", .string(sensor)), ("dst", .string(name)),
                ("transform_src_to_dst", .object([("matrix4x4", .numbers(rectifiedFromSensor.matrix))])),
            ])))
        }
        return (streams, transforms)
    }
}
