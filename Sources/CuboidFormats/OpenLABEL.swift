import CuboidGeometry
import CuboidIO

/// ASAM OpenLABEL 1.0 JSON: Cuboid's default interchange format.
///
/// What Cuboid writes, and reads back without loss:
/// - `metadata.schema_version` `"1.0.0"`; a top-level `frame_intervals`.
/// - `coordinate_systems`: the sensor frame (`sensor_cs`, child of a scene frame `odom` when any frame
///   has an ego pose) and each camera (`sensor_cs`, child of the sensor, with `pose_wrt_parent` the
///   4 x 4 row-major matrix that maps camera coordinates into the sensor frame).
/// - `streams`: the sensor as `lidar`, each camera as `camera` with `intrinsics_pinhole`
///   (`width_px`, `height_px`, `camera_matrix_3x4`).
/// - A KITTI calibration (``LabeledFrame/kittiCalibration``): a `camera` stream `image_N` per
///   projection `PN` with `PN` verbatim as `camera_matrix_3x4` (`[K | p]`, as VCD writes KITTI), and per
///   camera a coordinate system for the rectified camera-0 frame (child of the sensor,
///   `pose_wrt_parent` = `(R0_rect Tr_velo_to_cam)^-1`); a frame whose calibration differs from the
///   first one's gives its own in `frame_properties.streams` and `SENSOR_to_image_N` transforms.
/// - `objects`: one per track, keyed by uid: the track id is the uid (`name` the object's name, else
///   the track id; `type` the class); objects without a track id get one object per detection, with
///   the smallest integer uid no track id holds.
/// - `frames`: keyed by ``LabeledFrame/number`` (else the previous frame's number + 1; 0 first);
///   per object a `cuboid` `[x, y, z, qx, qy, qz, qw, sx, sy, sz]` in the sensor frame
///   (geometric centre; sizes along the box's own x = length, y = width, z = height); its exact Euler
///   angles ride along as a `vec` attribute `euler_xyz` = `[roll, pitch, yaw]` so that yaw-only and
///   SUSTechPOINTS boxes come back bit for bit; one `bbox` `[centre x, centre y, width, height]` per
///   camera (named and with `coordinate_system` set to the camera); the score as `num` `score`; other
///   attributes as `num`, `text` or `boolean`. `frame_properties` holds `timestamp` (seconds), the
///   frame's `name`, and, with an ego pose, a transform `SENSOR_to_odom` (src the sensor, dst `odom`)
///   whose `matrix4x4` is the ego pose: `X_odom = matrix * X_sensor`, as ASAM OpenLABEL's
///   `transform_src_to_dst` and VCD's scene library read it.
/// - What a file read by Cuboid held beyond its label model (``OpenLABELObjectExtras``,
///   ``OpenLABELFrameExtras``, ``OpenLABELDocumentExtras``): cuboids in the coordinate system they
///   came in, names, attributes, object-level data, metadata, streams and sections, written back as
///   given (see `OpenLABELIdentity.swift`); what cannot be is counted in the writer's notes.
///
/// What Cuboid reads, besides its own layout:
/// - Poses as `matrix4x4`, `quaternion` (x, y, z, w) + `translation`, or `euler_angles` +
///   `translation` + `sequence` (default `"ZYX"`: `R = R_Z(a0) R_Y(a1) R_X(a2)`, VCD's `euler2R`).
/// - Ego poses through any chain of transforms between the sensor and the scene system (`odom` when
///   it is a `scene_cs`, else the first `scene_cs`): per-frame `transforms` in either direction (a
///   transform from A to B is used as written going from A to B and inverted going back) and static
///   `pose_wrt_parent` (mapping the child's coordinates into the parent's, as VCD applies it); a
///   frame-level transform replaces the static pose between the same two systems. VCD's KITTI file,
///   for example, gives `vehicle-iso8855_to_odom` per frame and `VELO_TOP` under `vehicle-iso8855`.
/// - Cuboids in any declared coordinate system, converted into the sensor frame (a camera-frame box
///   is re-axed so that its height is the axis nearest the sensor's z); a cuboid in a system no
///   chain reaches is refused, naming the system.
/// - DontCare objects: a cuboid with negative sizes is a placeholder (no cuboid); several 2D boxes
///   in one camera give one region each.
/// - Files written by Cuboid before its poses followed the standard (`metadata.annotator` `"cuboid"`
///   and a transform `odom_to_SENSOR` with src `odom`, dst the sensor): that matrix was already the
///   ego pose (world from sensor), only its direction label was backwards, so it is read as
///   `SENSOR_to_odom`. Such files load exactly as they were meant.
/// - Without a `lidar` stream, the sensor frame is the first cuboid's coordinate system.
/// - Object-level (static) `object_data`: an object with a static cuboid or 2D box is in every frame
///   it lives in (its `frame_intervals`, or all frames without any; one frame when the file has no
///   frames); static values complete what a frame gives for the object.
/// - A camera stream `image_2` whose coordinate system reaches the sensor gives each frame a KITTI
///   calibration (streams `image_0`..`image_3` as `P0`..`P3`; without `image_2`, the camera the
///   first cuboid is given in, its 3 x 4 matrix as `P2`), which KITTI export uses when no
///   calibration is given. `width_px` and `height_px` are optional (0 when absent).
/// - A `camera_matrix_3x4` with a fourth column `p` (`[K | p]`, KITTI's P2 and P3 as VCD writes them)
///   moves the camera by `K^-1 p` from its coordinate system, so each camera projects as the matrix does.
public enum OpenLABELFile {
    /// Parses an OpenLABEL document.
    ///
    /// Objects are keyed by uid: the uid is each object's track id, its `name` goes to
    /// ``LabeledObject/name``; each frame's key is its ``LabeledFrame/number``.
    ///
    /// Cuboids given with 9 values (`x, y, z, rx, ry, rz, sx, sy, sz`, Euler) are read as
    /// `Rz(rz) Ry(ry) Rx(rx)` (ASAM OpenLABEL; VCD's `transform_cuboid`); with 10, the quaternion's
    /// roll, pitch and yaw are recovered (or the `euler_xyz` attribute is used when it agrees with the
    /// quaternion to 1e-9).
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> LabelSet {
        let document = try parseLabelJSON(bytes)
        let root = try document.required("openlabel")
        let metadata = try root.required("metadata")
        let version = try metadata.string("schema_version")
        guard version.hasPrefix("1.") else {
            throw metadata.invalid(field: "schema_version", expected: "1.x, found \(version)")
        }
        var set = LabelSet()
        var extras = OpenLABELDocumentExtras()
        readDocumentExtras(root, into: &extras)
        // The sensor is the lidar stream (or, without one, the first cuboid's coordinate system: below).
        var cameraNames = Set<String>()
        var intrinsics: [String: CameraIntrinsics] = [:]
        // A 3 x 4 camera matrix `[K | p]` (KITTI's P2, as VCD writes it) projects from a frame offset
        // by K^-1 p from the camera's own: that offset joins the camera's pose.
        var projectionOffsets: [String: SIMD3<Double>] = [:]
        if let streams = root["streams"]?.members {
            for (name, stream) in streams {
                let type = stream["type"]?.string
                if type == "lidar" { set.sensorName = name }
                guard type == "camera" else { continue }
                cameraNames.insert(name)
                if let pinhole = stream["stream_properties"]?["intrinsics_pinhole"] {
                    let key = pinhole["camera_matrix_3x4"] != nil ? "camera_matrix_3x4" : "camera_matrix"
                    let matrix = try pinhole.numbers(key, count: 12, 9)
                    // The image size is optional in the schema: 0 when not given.
                    let width = pinhole["width_px"] == nil ? 0 : try pinhole.integer("width_px")
                    let height = pinhole["height_px"] == nil ? 0 : try pinhole.integer("height_px")
                    guard width >= 0, height >= 0 else {
                        throw pinhole.invalid(field: "width_px/height_px", expected: "pixel counts >= 0")
                    }
                    let k = CameraIntrinsics(matrix: matrix, width: width, height: height)
                    intrinsics[name] = k
                    if matrix.count == 12, matrix[3] != 0 || matrix[7] != 0 || matrix[11] != 0, k.fx != 0, k.fy != 0 {
                        let tz = matrix[11], ty = (matrix[7] - k.cy * tz) / k.fy
                        projectionOffsets[name] = SIMD3((matrix[3] - k.skew * ty - k.cx * tz) / k.fx, ty, tz)
                    }
                }
            }
        }
        // The coordinate-system tree: static edges from each system's `pose_wrt_parent`.
        var tree = OpenLABELTransformGraph()
        var declared = Set<String>()
        var sceneSystems: [String] = []
        for (name, system) in root["coordinate_systems"]?.members ?? [] {
            declared.insert(name)
            if system["type"]?.string == "scene_cs" { sceneSystems.append(name) }
            if let parent = system["parent"]?.string, !parent.isEmpty, let pose = system["pose_wrt_parent"] {
                tree.add(from: name, to: parent, try transform(pose, field: "pose_wrt_parent"))
            }
        }
        // Without a lidar stream, the sensor frame is the first cuboid's coordinate system.
        if !(root["streams"]?.members ?? []).contains(where: { $0.value["type"]?.string == "lidar" }),
           let system = firstCuboidSystem(root), declared.contains(system) {
            set.sensorName = system
        }
        let kittiReference = kittiReference(root)
        // The scene frame ego poses map into: `odom` when declared as a scene, else the first scene_cs.
        let scene = sceneSystems.contains("odom") ? "odom" : sceneSystems.first
        // Files written by Cuboid before the fix named the world-from-sensor pose `odom_to_SENSOR` with
        // src odom and dst the sensor: the matrix was right, its direction label backwards.
        let legacyCuboid = metadata["annotator"]?.string == "cuboid"
        for name in cameraNames.sorted() {
            guard let k = intrinsics[name] else { continue }
            let sensorFromCamera = tree.pose(from: name, to: set.sensorName) ?? .identity
            let offset = RigidPose(translation: projectionOffsets[name] ?? .zero)
            set.cameras.append(Camera(name: name, intrinsics: k, cameraFromSensor: offset.composed(with: sensorFromCamera.inverse)))
        }

        var objectInfo: [String: (name: String, type: String)] = [:]
        // Object-level `object_data` (static: valid in every frame the object lives in): objects with
        // static geometry join those frames; the others' static data completes their frame data.
        var staticData: [String: JSONNode] = [:]
        var staticObjects: [(uid: String, data: JSONNode)] = []
        if let objects = root["objects"]?.members {
            for (uid, object) in objects {
                // A missing name is an empty one: objects are known by their uid.
                let name = object["name"] == nil ? "" : try object.string("name")
                objectInfo[uid] = (name, try object.string("type"))
                extras.objects.append(NamedJSON(name: uid, json: RawJSON(text: JSONOutput.object(
                    outputMembers(object.namedMembers(except: ["frame_intervals", "object_data_pointers"]))).rendered(indent: 0))))
                guard let data = object["object_data"] else { continue }
                staticData[uid] = data
                if data["cuboid"] != nil || data["bbox"] != nil { staticObjects.append((uid, data)) }
            }
        }
        let frames = root["frames"]?.members ?? []
        var numbered: [(index: Int, node: JSONNode)] = []
        for (key, frame) in frames {
            guard let index = Int(key) else { throw frame.invalid(field: "frames", expected: "integer frame keys, found \"\(key)\"") }
            numbered.append((index, frame))
        }
        numbered.sort { $0.index < $1.index }
        for (index, frame) in numbered {
            var labeled = LabeledFrame(name: String(index), number: index)
            labeled.openLABEL = frameExtras(frame)
            if let properties = frame["frame_properties"] {
                if let name = properties["name"]?.string { labeled.name = name }
                if let timestamp = properties["timestamp"] {
                    if let seconds = timestamp.number {
                        labeled.timestamp = seconds
                    } else if let text = timestamp.string, let seconds = Double(text) {
                        labeled.timestamp = seconds
                    } else {
                        throw timestamp.invalid(field: "timestamp", expected: "seconds")
                    }
                }
            }
            // The frame's transforms, over the static tree: a frame-level transform replaces the static
            // pose between the same two systems.
            var graph = tree
            for (key, entry) in frame["frame_properties"]?["transforms"]?.members ?? [] {
                let named = key.components(separatedBy: "_to_")
                guard let src = entry["src"]?.string ?? (named.count == 2 ? named[0] : nil),
                      let dst = entry["dst"]?.string ?? (named.count == 2 ? named[1] : nil) else {
                    throw entry.invalid(field: "transforms \(key)", expected: "src and dst")
                }
                let pose = try Self.transform(try entry.required("transform_src_to_dst"), field: "transform_src_to_dst")
                if legacyCuboid && key == "odom_to_" + set.sensorName && src == "odom" && dst == set.sensorName {
                    graph.add(from: dst, to: src, pose)
                } else {
                    graph.add(from: src, to: dst, pose)
                }
            }
            if let scene, scene != set.sensorName { labeled.egoPose = graph.pose(from: set.sensorName, to: scene) }
            labeled.kittiCalibration = try kittiCalibration(root, frame: frame, sensor: set.sensorName, reference: kittiReference, graph: graph)
            let objects = frame["objects"]?.members ?? []
            // Document order is the frame's object order as written.
            var present = Set<String>()
            for (uid, entry) in objects {
                guard let info = objectInfo[uid] else { throw entry.invalid(field: "objects", expected: "object \(uid) declared in openlabel.objects") }
                present.insert(uid)
                var read = try object(entry["object_data"], uid: uid, info: info, sensor: set.sensorName, declared: declared, graph: graph)
                if let data = staticData[uid], read.count == 1 {
                    let fixed = try object(data, uid: uid, info: info, sensor: set.sensorName, declared: declared, graph: graph)[0]
                    read[0] = read[0].completed(by: fixed)
                    read[0].openLABEL = (read[0].openLABEL ?? OpenLABELObjectExtras()).noting(static: fixed)
                }
                labeled.objects += read
            }
            // Objects whose geometry is static (object-level `object_data`) in the frames they live in.
            for (uid, data) in staticObjects where !present.contains(uid) && isLive(root["objects"]?[uid], frame: index) {
                for var fixed in try object(data, uid: uid, info: objectInfo[uid]!, sensor: set.sensorName, declared: declared, graph: graph) {
                    fixed.openLABEL = (fixed.openLABEL ?? OpenLABELObjectExtras()).noting(static: fixed)
                    labeled.objects.append(fixed)
                }
            }
            set.frames.append(labeled)
        }
        // A document without frames whose objects carry static geometry: one frame holds them.
        if numbered.isEmpty && !staticObjects.isEmpty {
            var labeled = LabeledFrame(name: "0")
            labeled.kittiCalibration = try kittiCalibration(root, frame: nil, sensor: set.sensorName, reference: kittiReference, graph: tree)
            for (uid, data) in staticObjects {
                labeled.objects += try object(data, uid: uid, info: objectInfo[uid]!, sensor: set.sensorName, declared: declared, graph: tree)
            }
            set.frames.append(labeled)
        }
        // Every system but the sensor, with its static pose to the sensor (the writer writes those it
        // does not write itself, and checks cuboids kept in a camera against the camera's pose).
        for (name, system) in root["coordinate_systems"]?.members ?? [] where name != set.sensorName {
            extras.systems.append(OpenLABELSystem(name: name, type: system["type"]?.string ?? "local_cs",
                                                  sensorFromSystem: tree.pose(from: name, to: set.sensorName)))
        }
        let inFrames = Set(frames.flatMap { $0.value["objects"]?.members?.map(\.key) ?? [] })
        extras.objectsWithoutFrames = Set(extras.objects.map(\.name)).subtracting(inFrames)
        set.openLABEL = extras
        return set
    }

    /// Whether an object with static data lives in frame `index`: inside one of its `frame_intervals`,
    /// or in every frame when it declares none.
    private static func isLive(_ object: JSONNode?, frame index: Int) -> Bool {
        guard let intervals = object?["frame_intervals"]?.elements, !intervals.isEmpty else { return true }
        return intervals.contains { interval in
            guard let start = interval["frame_start"]?.number, let end = interval["frame_end"]?.number else { return false }
            return Double(index) >= start && Double(index) <= end
        }
    }

    /// The camera whose coordinate system KITTI labels of a document live in: the camera stream
    /// `image_2`, else the camera the first cuboid is given in when its `camera_matrix_3x4` is a
    /// projection `[K | p]` (VCD's KITTI files give their cuboids in `CAM_LEFT`, whose matrix is P2).
    private static func kittiReference(_ root: JSONNode) -> String? {
        if root["streams"]?[LabeledObject.kittiCamera]?["type"]?.string == "camera" { return LabeledObject.kittiCamera }
        guard let system = firstCuboidSystem(root), let stream = root["streams"]?[system], stream["type"]?.string == "camera",
              stream["stream_properties"]?["intrinsics_pinhole"]?["camera_matrix_3x4"] != nil else { return nil }
        return system
    }

    /// The KITTI calibration a document carries for one frame (`frame` nil: the static one), or nil
    /// when it has no camera `reference` (``kittiReference(_:)``) with a 3 x 4 camera matrix whose
    /// coordinate system reaches the sensor. With another reference than `image_2`, its matrix is P2.
    ///
    /// Streams `image_0` to `image_3` give `P0` to `P3`: their `camera_matrix_3x4` (the frame's own in
    /// `frame_properties.streams` when given), each multiplied by the pose from `image_2`'s coordinate
    /// system into the camera's own, so that every projection acts on `image_2`'s system (identity for
    /// KITTI calibrations Cuboid writes, where the cameras share the rectified camera-0 frame).
    /// `R0_rect` is the identity and `Tr_velo_to_cam` the pose from the sensor into `image_2`'s system,
    /// so that `P R0_rect Tr_velo_to_cam` is each camera's projection from the sensor frame.
    private static func kittiCalibration(_ root: JSONNode, frame: JSONNode?, sensor: String, reference: String?,
                                         graph: OpenLABELTransformGraph) throws(LabelFileError) -> KITTICalibration? {
        guard let reference, let rectifiedFromSensor = graph.pose(from: sensor, to: reference) else { return nil }
        let cameras = reference == LabeledObject.kittiCamera ? (0..<4).map { ($0, "image_\($0)") } : [(2, reference)]
        var projections: [Int: [Double]] = [:]
        for (index, name) in cameras {
            let pinhole = frame?["frame_properties"]?["streams"]?[name]?["stream_properties"]?["intrinsics_pinhole"]
                ?? root["streams"]?[name]?["stream_properties"]?["intrinsics_pinhole"]
            guard let pinhole, pinhole["camera_matrix_3x4"] != nil, let cameraFromReference = graph.pose(from: reference, to: name) else { continue }
            let p = try pinhole.numbers("camera_matrix_3x4", count: 12)
            let m = cameraFromReference.matrix
            projections[index] = (0..<3).flatMap { row in (0..<4).map { column in (0..<4).reduce(0.0) { $0 + p[row * 4 + $1] * m[$1 * 4 + column] } } }
        }
        guard let p2 = projections[2], p2[0] > 0, p2[5] > 0 else { return nil }
        return KITTICalibration(projections: projections, rectification: [1, 0, 0, 0, 1, 0, 0, 0, 1],
                                velodyneToCamera: Array(rectifiedFromSensor.matrix.prefix(12)))
    }

    /// The first cuboid's `coordinate_system` in document order (frames, then objects' static data).
    private static func firstCuboidSystem(_ root: JSONNode) -> String? {
        for (_, frame) in root["frames"]?.members ?? [] {
            for (_, object) in frame["objects"]?.members ?? [] {
                if let system = object["object_data"]?["cuboid"]?.elements?.first?["coordinate_system"]?.string, !system.isEmpty { return system }
            }
        }
        for (_, object) in root["objects"]?.members ?? [] {
            if let system = object["object_data"]?["cuboid"]?.elements?.first?["coordinate_system"]?.string, !system.isEmpty { return system }
        }
        return nil
    }

    /// One object's data in one frame: normally one object; a DontCare object with several 2D boxes
    /// in one camera (VCD's KITTI conversion gathers a frame's DontCare regions in one object) gives
    /// one region per box.
    private static func object(_ data: JSONNode?, uid: String, info: (name: String, type: String), sensor: String,
                               declared: Set<String>, graph: OpenLABELTransformGraph) throws(LabelFileError) -> [LabeledObject] {
        var object = LabeledObject(trackID: uid, category: info.type, name: info.name)
        guard let data else { return [object] }
        var extras = objectExtras(data)
        let isDontCare = info.type.lowercased() == "dontcare"
        if let cuboid = data["cuboid"]?.elements?.first {
            let values = try cuboid.numbers("val", count: 10, 9)
            let size = SIMD3(values[values.count - 3], values[values.count - 2], values[values.count - 1])
            let system = cuboid["coordinate_system"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? sensor
            if isDontCare && size.x < 0 && size.y < 0 && size.z < 0 {
                // A DontCare region's placeholder cuboid (KITTI tracking writes sizes -1000): not a box,
                // and not valid OpenLABEL, so not written back; KITTI tracking export writes it again.
                if size == SIMD3(repeating: -1000) { object.attributes["dontcare_placeholders"] = .text("tracking") }
            } else {
                guard size.x >= 0, size.y >= 0, size.z >= 0 else {
                    throw cuboid.invalid(field: "cuboid val", expected: "sizes >= 0")
                }
                var rotation: Quaternion
                var exact: (roll: Double, pitch: Double, yaw: Double)?
                if values.count == 9 {
                    // ASAM OpenLABEL: (rx, ry, rz) applied as Rz(rz) Ry(ry) Rx(rx), as VCD's euler2R([rz, ry, rx], ZYX).
                    rotation = axisRotation(values[5], SIMD3(0, 0, 1)) * axisRotation(values[4], SIMD3(0, 1, 0)) * axisRotation(values[3], SIMD3(1, 0, 0))
                } else {
                    let raw = Quaternion(w: values[6], x: values[3], y: values[4], z: values[5])
                    guard abs(raw.norm - 1) < 1e-4 else {
                        throw cuboid.invalid(field: "cuboid val", expected: "a unit quaternion")
                    }
                    rotation = raw.normalized
                    if let euler = cuboid["attributes"]?["vec"]?.elements?.first(where: { $0["name"]?.string == "euler_xyz" }) {
                        let angles = try euler.numbers("val", count: 3)
                        let candidate = LabeledObject(category: "", cuboid: Box3D(center: .zero, size: .zero, yaw: angles[2]),
                                                      roll: angles[0], pitch: angles[1])
                        if abs(candidate.orientation.dot(rotation)) > 1 - 1e-9 { exact = (angles[0], angles[1], angles[2]) }
                    }
                }
                let center = SIMD3(values[0], values[1], values[2])
                if system != sensor { extras.coordinateSystem = system }
                if system == sensor {
                    let (roll, pitch, yaw) = exact ?? LabeledObject.eulerXYZ(rotation)
                    object.cuboid = Box3D(center: center, size: size, yaw: yaw)
                    object.roll = roll
                    object.pitch = pitch
                } else {
                    guard declared.contains(system) else {
                        throw cuboid.invalid(field: "cuboid coordinate_system",
                                            expected: "a declared coordinate system, found \"\(system)\"")
                    }
                    guard let sensorFromSystem = graph.pose(from: system, to: sensor) else {
                        throw cuboid.invalid(field: "cuboid coordinate_system",
                                            expected: "a chain of transforms from \"\(system)\" to the sensor frame \"\(sensor)\", found none")
                    }
                    object = object.placing(center: center, rotation: rotation, size: size, by: sensorFromSystem)
                }
            }
        }
        var boxes: [(String, Box2D)] = []
        for bbox in data["bbox"]?.elements ?? [] {
            let values = try bbox.numbers("val", count: 4)
            let camera = bbox["coordinate_system"]?.string ?? bbox["name"]?.string ?? "image"
            guard values[2] >= 0, values[3] >= 0 else { throw bbox.invalid(field: "bbox val", expected: "width and height >= 0") }
            boxes.append((camera, Box2D(minX: values[0] - values[2] / 2, minY: values[1] - values[3] / 2,
                                        maxX: values[0] + values[2] / 2, maxY: values[1] + values[3] / 2)))
        }
        for (camera, box) in boxes where object.boxes[camera] == nil { object.boxes[camera] = box }
        if let cuboid = object.cuboid, let values = try? data["cuboid"]?.elements?.first?.numbers("val", count: 10, 9) {
            extras.cuboidAsRead = OpenLABELCuboidAsRead(values: values, cuboid: cuboid, roll: object.roll, pitch: object.pitch)
        }
        object.openLABEL = extras
        for entry in data["num"]?.elements ?? [] {
            let name = try entry.string("name")
            let value = try entry.number("val")
            if name == "score" { object.score = value } else { object.attributes[name] = .number(value) }
        }
        for entry in data["text"]?.elements ?? [] {
            object.attributes[try entry.string("name")] = .text(try entry.string("val"))
        }
        for entry in data["boolean"]?.elements ?? [] {
            let node = try entry.required("val")
            guard let flag = node.bool else { throw node.invalid(field: "boolean val", expected: "true or false") }
            object.attributes[try entry.string("name")] = .flag(flag)
        }
        guard isDontCare, object.cuboid == nil, boxes.count > object.boxes.count else { return [object] }
        // One region per 2D box.
        let members = (data["bbox"]?.elements ?? []).map { $0.namedMembers(except: ["coordinate_system", "val"]) }
        return boxes.enumerated().map { k, entry in
            var region = object
            region.boxes = [entry.0: entry.1]
            region.openLABEL?.boxMembers = [entry.0: members[k]]
            return region
        }
    }

    /// A rotation by `angle` radians about a unit `axis`.
    private static func axisRotation(_ angle: Double, _ axis: SIMD3<Double>) -> Quaternion {
        Quaternion(axis: axis, angle: angle)
    }

    private static func transform(_ node: JSONNode, field: String) throws(LabelFileError) -> RigidPose {
        if node["matrix4x4"] != nil {
            let m = try node.numbers("matrix4x4", count: 16)
            guard let pose = RigidPose(validatingMatrix: m) else {
                throw node.invalid(field: field, expected: "a rigid transform (its 3 x 3 part a rotation)")
            }
            return pose
        }
        if node["quaternion"] != nil {
            let q = try node.numbers("quaternion", count: 4), t = try node.numbers("translation", count: 3)
            let rotation = Quaternion(w: q[3], x: q[0], y: q[1], z: q[2])
            guard abs(rotation.norm - 1) < 1e-4 else { throw node.invalid(field: field, expected: "a unit quaternion") }
            return RigidPose(rotation: rotation.normalized, translation: SIMD3(t[0], t[1], t[2]))
        }
        if node["euler_angles"] != nil {
            // VCD's euler2R: angles a with sequence "ABC" (default "ZYX") give R_A(a0) R_B(a1) R_C(a2).
            let a = try node.numbers("euler_angles", count: 3), t = try node.numbers("translation", count: 3)
            let sequence = node["sequence"]?.string?.uppercased() ?? "ZYX"
            let axes: [Character: SIMD3<Double>] = ["X": SIMD3(1, 0, 0), "Y": SIMD3(0, 1, 0), "Z": SIMD3(0, 0, 1)]
            let steps = sequence.compactMap { axes[$0] }
            guard sequence.count == 3, steps.count == 3, a.allSatisfy(\.isFinite) else {
                throw node.invalid(field: field, expected: "a sequence of three axes X, Y, Z such as \"ZYX\"")
            }
            let rotation = axisRotation(a[0], steps[0]) * axisRotation(a[1], steps[1]) * axisRotation(a[2], steps[2])
            return RigidPose(rotation: rotation, translation: SIMD3(t[0], t[1], t[2]))
        }
        throw node.invalid(field: field, expected: "matrix4x4, quaternion and translation, or euler_angles and translation")
    }

    /// Writes a label set as an OpenLABEL 1.0 document (see the type's description for the layout).
    /// - Complexity: O(objects).
    public static func encode(_ set: LabelSet) -> [UInt8] {
        var encoder = OpenLABELStreamEncoder(sensor: set.sensorName, cameras: set.cameras, document: set.openLABEL, reservedUIDs: set.trackIDs)
        var frames = ""
        for frame in set.frames { frames += encoder.append(frame) }
        var document = ""
        // Nothing here throws: the text goes to a string.
        try! encoder.write(emit: { document += $0 }, frames: { document += frames })
        return Array(document.utf8)
    }

    static func interval(_ start: Int, _ end: Int) -> JSONOutput {
        .object([("frame_start", .number(Double(start))), ("frame_end", .number(Double(end)))])
    }

    /// Reads and decodes an OpenLABEL file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``LabelFileError``.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path, decode) }
}

/// The rigid transforms between an OpenLABEL document's coordinate systems: the static tree
/// (`pose_wrt_parent`) and, per frame, the frame's `transforms`.
///
/// Edges carry the pose that maps points of one system into the other (`X_dst = pose * X_src`, as
/// ASAM OpenLABEL's `transform_src_to_dst`); each edge is usable both ways (inverted going back).
/// A system's `pose_wrt_parent` maps the child's coordinates into the parent's, as VCD's scene
/// library (`vcd.scl.Scene.get_transform`) applies it going from child to parent.
struct OpenLABELTransformGraph {
    /// `edges[a][b]` maps coordinates of `a` into `b`.
    private var edges: [String: [String: RigidPose]] = [:]

    /// Adds (or replaces) the transform mapping `src` coordinates into `dst`, and its inverse.
    mutating func add(from src: String, to dst: String, _ pose: RigidPose) {
        guard src != dst else { return }
        edges[src, default: [:]][dst] = pose
        edges[dst, default: [:]][src] = pose.inverse
    }

    /// The pose mapping coordinates of `src` into `dst` along the shortest chain of transforms
    /// (breadth first, neighbours in name order, so the result does not depend on hashing); nil when
    /// no chain joins them.
    /// - Complexity: O(systems + transforms).
    func pose(from src: String, to dst: String) -> RigidPose? {
        if src == dst { return .identity }
        // srcFrom[x] maps coordinates of x into src; grown outwards from src.
        var srcFrom: [String: RigidPose] = [src: .identity]
        var queue = [src], head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (next, pose) in (edges[node] ?? [:]).sorted(by: { $0.key < $1.key }) where srcFrom[next] == nil {
                // pose maps node -> next, so next -> src is (src <- node) ∘ (node <- next).
                let fromNext = srcFrom[node]!.composed(with: pose.inverse)
                if next == dst { return fromNext.inverse }
                srcFrom[next] = fromNext
                queue.append(next)
            }
        }
        return nil
    }
}

extension LabeledObject {
    /// The object with a box given in another frame: `center`, `rotation` (box axes into that frame)
    /// and `size` (along the box's own x, y, z), mapped into the sensor frame by `pose`.
    ///
    /// A box in a camera frame (KITTI: y down, sizes length, height, width) is re-axed so its height
    /// runs along the box axis nearest the sensor's +z, its length along the first remaining axis:
    /// the same solid, in Cuboid's convention (length, width, height; roll, pitch, yaw, intrinsic XYZ).
    func placing(center: SIMD3<Double>, rotation: Quaternion, size: SIMD3<Double>, by pose: RigidPose) -> LabeledObject {
        let m = (pose.rotation * rotation).rotationMatrix
        let columns = (0..<3).map { k in SIMD3(m[0][k], m[1][k], m[2][k]) }
        let up = (0..<3).max { abs(columns[$0].z) < abs(columns[$1].z) }!
        let rest = (0..<3).filter { $0 != up }
        let third = columns[up].z < 0 ? -columns[up] : columns[up]
        let first = columns[rest[0]]
        let second = SIMD3(third.y * first.z - third.z * first.y, third.z * first.x - third.x * first.z, third.x * first.y - third.y * first.x)
        let axes = [first, second, third]
        let rows = (0..<3).map { r in (0..<3).map { c in axes[c][r] } }
        let (roll, pitch, yaw) = LabeledObject.eulerXYZ(Quaternion(rotationMatrix: rows))
        var object = self
        object.cuboid = Box3D(center: pose.apply(to: center), size: SIMD3(size[rest[0]], size[rest[1]], size[up]), yaw: yaw)
        object.roll = roll
        object.pitch = pitch
        return object
    }
}

extension LabeledObject {
    /// The object with what it lacks taken from `other` (an object's static data): its cuboid, 2D
    /// boxes in other cameras, score and attributes it does not give itself.
    func completed(by other: LabeledObject) -> LabeledObject {
        var object = self
        if object.cuboid == nil, let box = other.cuboid {
            object.cuboid = box
            object.roll = other.roll
            object.pitch = other.pitch
        }
        for (camera, box) in other.boxes where object.boxes[camera] == nil { object.boxes[camera] = box }
        if object.score == nil { object.score = other.score }
        for (name, value) in other.attributes where object.attributes[name] == nil { object.attributes[name] = value }
        return object
    }
}
