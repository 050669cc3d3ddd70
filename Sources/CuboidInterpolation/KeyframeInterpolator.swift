public import CuboidFormats
import CuboidGeometry
import CuboidKernels
public import CuboidPointClouds

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fills every frame between human keyframes of each track.
///
/// Input is a `LabelSet` whose frames are the output frames (in order, times increasing) and whose
/// objects are the keyframes; objects sharing a `trackID` are one track. An object whose `keyframe`
/// attribute is `false` (CVAT's own interpolation) is not a keyframe and is replaced. A track is
/// filled in every frame between its first and last keyframe; a single keyframe stays a single box.
///
/// **Times.** A frame's time is its timestamp when every frame has one, else its name read as a
/// number when every name is one (`000965` -> 965), else its index.
///
/// **World frame.** ``InterpolationMethod/world`` and ``InterpolationMethod/worldSmooth`` map each
/// keyframe into the world frame with its frame's ego pose (full orientation: the world roll, pitch
/// and yaw of `pose.rotation * Rx(roll) Ry(pitch) Rz(yaw)`), fill there and map back. Without any ego
/// pose the sensor frame stands in for the world (noted in the result).
///
/// **Per track, in the world frame:** one size for every filled box (the median of the keyframes'
/// sides) unless the keyframes differ in size on purpose (``InterpolationOptions/sizeTolerance``); heading flips (consecutive keyframes more than ``InterpolationOptions/flipAngle`` apart)
/// are turned back by pi for filling and flagged; a static track (``InterpolationOptions/staticTolerance``)
/// is reported as such and, like a moving one, follows its keyframes; each gap between two keyframes
/// is the straight line in the world frame or (``InterpolationMethod/worldSmooth``) the curve where
/// it predicts held-out keyframes better (``InterpolationOptions/curveAdvantage``); keyframes off the
/// path of the others are flagged. Keyframes themselves are never changed.
///
/// **Camera boxes.** With cameras in the label set, each filled cuboid's 2D box in every camera is its
/// projection (the elliptic cylinder for people). Tracks without cuboids are filled in image space:
/// each camera's box corners linearly in time between that camera's keyframes.
public enum KeyframeInterpolator {
    /// Fills the label set.
    /// - Parameters:
    ///   - keyframes: Output frames with keyframe objects (see the type's discussion).
    ///   - options: Method, snapping and flag thresholds.
    ///   - pointCloud: The lidar sweep of a frame (by index), in the label set's sensor frame; asked
    ///     only when ``InterpolationOptions/snap`` is set, once per frame that has boxes to snap, in
    ///     frame order. Return nil for a frame without a sweep.
    ///   - progress: Called after each frame snapped with the frames done and the frames to snap.
    /// - Throws: ``InterpolationError`` for times that do not increase, partial poses or a track twice
    ///   in a frame; whatever `pointCloud` throws.
    /// - Complexity: O(frames + keyframes + filled boxes), plus the snapping search per filled box.
    public static func interpolate(_ keyframes: LabelSet, options: InterpolationOptions = InterpolationOptions(),
                                   pointCloud: (Int) throws -> PointCloud? = { _ in nil },
                                   progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> InterpolationResult {
        let times = try frameTimes(keyframes)
        let (poses, posesKnown) = try framePoses(keyframes, method: options.method)
        var result = InterpolationResult(labels: keyframes, tracks: [], flags: [], notes: [], untrackedObjects: 0, replacedBoxes: 0)
        if !posesKnown && options.method != .sensorLinear {
            result.notes.append("no ego poses: the \(options.method.rawValue) method interpolates in the sensor frame")
        }
        // Split objects into tracks (ordered by id) and pass-through objects.
        var tracks: [String: [(frame: Int, object: LabeledObject)]] = [:]
        for (index, frame) in keyframes.frames.enumerated() {
            result.labels.frames[index].objects = []
            var seen = Set<String>()
            for object in frame.objects {
                if object.attributes["keyframe"] == .flag(false) {
                    result.replacedBoxes += 1
                    continue
                }
                guard let id = object.trackID else {
                    result.untrackedObjects += 1
                    result.labels.frames[index].objects.append(object)
                    continue
                }
                guard seen.insert(id).inserted else { throw InterpolationError.duplicateTrack(frame: frame.name, track: id) }
                tracks[id, default: []].append((index, object))
            }
        }
        let context = FillContext(set: keyframes, times: times, poses: poses, posesKnown: posesKnown, options: options)
        let ids = tracks.keys.sorted(by: trackOrder)
        let entries = ids.map { tracks[$0]! }
        // Tracks are independent: filled on all cores, gathered in track order (the same output for
        // any thread count).
        let filledTracks = parallelArray(count: ids.count, threads: options.threads, chunkSize: 16) { range, out in
            for index in range {
                (out.baseAddress! + index).initialize(to: fillTrack(id: ids[index], entries: entries[index], context: context))
            }
        }
        var pending: [[PendingBox]] = Array(repeating: [], count: keyframes.frames.count)
        for filled in filledTracks {
            result.tracks.append(filled.summary)
            result.flags += filled.flags
            for box in filled.boxes { pending[box.frame].append(box) }
        }
        if let snap = options.snap {
            try snapFilledBoxes(&pending, result: &result, settings: snap, pointCloud: pointCloud, progress: progress)
        }
        // Each frame's output, on all cores: keyframes as given, filled boxes with their origin and
        // their projection into every camera.
        let cameras = keyframes.cameras
        let passedThrough = result.labels.frames.map(\.objects)
        let objects = parallelArray(count: pending.count, threads: options.threads, chunkSize: 8) { range, out in
            for frame in range {
                var list = passedThrough[frame]
                list.reserveCapacity(list.count + pending[frame].count)
                for box in pending[frame] {
                    var object = box.object
                    object.attributes[BoxOrigin.attributeName] = .text(box.origin.rawValue)
                    if box.origin != .keyframe, let cuboid = object.cuboid, !cameras.isEmpty {
                        object.boxes = [:]
                        for camera in cameras {
                            if let image = projectedBox(cuboid, camera: camera, silhouette: ProjectionSilhouette(className: object.category)),
                               image.area > 0 {
                                object.boxes[camera.name] = image
                            }
                        }
                    }
                    list.append(object)
                }
                (out.baseAddress! + frame).initialize(to: list)
            }
        }
        for frame in objects.indices { result.labels.frames[frame].objects = objects[frame] }
        return result
    }

    /// Snaps the filled cuboids of every frame to its sweep (``snapBoxes(_:cloud:settings:)``); with
    /// ``SnapSettings/requireStillKeyframes`` only those of tracks whose keyframes the same search
    /// leaves in place. Each sweep is asked for once, in frame order.
    static func snapFilledBoxes(_ pending: inout [[PendingBox]], result: inout InterpolationResult, settings: SnapSettings,
                                pointCloud: (Int) throws -> PointCloud?, progress: (_ done: Int, _ total: Int) -> Void) throws {
        let filledTracks = Set(pending.joined().filter { $0.origin == .interpolated && $0.object.cuboid != nil }.compactMap(\.object.trackID))
        func wanted(_ box: PendingBox) -> Bool {
            guard box.object.cuboid != nil else { return false }
            if box.origin == .interpolated { return true }
            return settings.requireStillKeyframes && box.origin == .keyframe && filledTracks.contains(box.object.trackID ?? "")
        }
        let toSnap = pending.indices.filter { frame in pending[frame].contains(where: wanted) }
        var snapped: [Int: [PendingBox]] = [:]
        var keyframeMoved = Set<String>()
        for (done, frame) in toSnap.enumerated() {
            if let cloud = try pointCloud(frame) {
                var copy = pending[frame]
                if copy.contains(where: { $0.origin == .interpolated }) {
                    _ = snapBoxes(&copy, cloud: cloud, settings: settings)
                    snapped[frame] = copy
                }
                if settings.requireStillKeyframes {
                    // Keyframes searched as if they were filled boxes.
                    var keys = pending[frame].filter { $0.origin == .keyframe && wanted($0) }
                    for index in keys.indices { keys[index].origin = .interpolated }
                    keyframeMoved.formUnion(snapBoxes(&keys, cloud: cloud, settings: settings))
                }
            }
            progress(done + 1, toSnap.count)
        }
        let summaryOfTrack = Dictionary(uniqueKeysWithValues: result.tracks.enumerated().map { ($1.track, $0) })
        for (frame, copy) in snapped {
            for index in copy.indices where copy[index].origin == .snapped && !keyframeMoved.contains(copy[index].object.trackID ?? "") {
                pending[frame][index] = copy[index]
                result.tracks[summaryOfTrack[copy[index].object.trackID ?? ""]!].snapped += 1
            }
        }
        let unsnapped = keyframeMoved.intersection(filledTracks)
        if !unsnapped.isEmpty {
            result.notes.append("snapping left \(unsnapped.count) of \(filledTracks.count) tracks as filled: the same search moves their keyframes "
                + "(the returns do not fit their boxes as drawn): " + unsnapped.sorted(by: trackOrder).joined(separator: ", "))
        }
    }

    /// Numeric ids in numeric order, then the others by text.
    static func trackOrder(_ a: String, _ b: String) -> Bool {
        switch (Int(a), Int(b)) {
        case let (x?, y?): x < y || (x == y && a < b)
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a < b
        }
    }

    /// Each frame's time (see the type's discussion), checked to increase.
    static func frameTimes(_ set: LabelSet) throws(InterpolationError) -> [Double] {
        let frames = set.frames
        var times: [Double]
        if frames.allSatisfy({ $0.timestamp != nil }) {
            times = frames.map { $0.timestamp! }
        } else if frames.allSatisfy({ Double($0.name) != nil }) {
            times = frames.map { Double($0.name)! }
        } else {
            times = frames.indices.map(Double.init)
        }
        for k in times.indices.dropFirst() where !(times[k] > times[k - 1]) {
            throw .timesNotIncreasing(frame: frames[k].name, previous: frames[k - 1].name)
        }
        return times
    }

    /// World-from-sensor poses of every frame, identity when no frame has one.
    static func framePoses(_ set: LabelSet, method: InterpolationMethod) throws(InterpolationError) -> ([RigidPose], Bool) {
        guard set.frames.contains(where: { $0.egoPose != nil }) else {
            return (Array(repeating: .identity, count: set.frames.count), false)
        }
        var poses: [RigidPose] = []
        for frame in set.frames {
            guard let pose = frame.egoPose else {
                if method == .sensorLinear { return (Array(repeating: .identity, count: set.frames.count), false) }
                throw .missingPose(frame: frame.name)
            }
            poses.append(pose)
        }
        return (poses, true)
    }
}

/// A box on its way to the output.
struct PendingBox {
    var frame: Int
    var object: LabeledObject
    var origin: BoxOrigin
}

/// What filling one track needs from the whole set.
struct FillContext {
    var set: LabelSet
    var times: [Double]
    var poses: [RigidPose]
    /// Whether the poses are the ego's (false: identity stand-ins, the sensor frame is the world).
    var posesKnown: Bool
    var options: InterpolationOptions
}

/// A cuboid keyframe in the world frame, with its full orientation as world roll, pitch and yaw.
struct WorldKey {
    var frame: Int
    var time: Double
    var box: Box3D
    var roll: Double
    var pitch: Double
}

/// The sensor-frame object for a world box with a world roll and pitch: the template with that box,
/// mapped through the inverse pose (``LabeledObject/transformed(by:)``), yaw in (-pi, pi].
func sensorObject(world box: Box3D, roll: Double, pitch: Double, pose: RigidPose, template: LabeledObject) -> LabeledObject {
    var object = template
    object.cuboid = box
    object.roll = roll
    object.pitch = pitch
    object = object.transformed(by: pose.inverse)
    object.cuboid!.yaw = normalizedYaw(object.cuboid!.yaw)
    return object
}

/// The world keyframe of a sensor-frame object (``LabeledObject/transformed(by:)`` with the frame's pose).
func worldKey(_ object: LabeledObject, frame: Int, time: Double, pose: RigidPose) -> WorldKey {
    let world = object.transformed(by: pose)
    return WorldKey(frame: frame, time: time, box: world.cuboid!, roll: world.roll, pitch: world.pitch)
}

/// The filled boxes, summary and flags of one track.
struct FilledTrack {
    var boxes: [PendingBox]
    var summary: InterpolatedTrackSummary
    var flags: [InterpolationFlag]
}

/// Fills one track (entries in frame order).
func fillTrack(id: String, entries: [(frame: Int, object: LabeledObject)], context: FillContext) -> FilledTrack {
    let set = context.set
    let category = majorityCategory(entries.map(\.object))
    var boxes = entries.map { PendingBox(frame: $0.frame, object: $0.object, origin: .keyframe) }
    var summary = InterpolatedTrackSummary(track: id, category: category, keyframes: entries.count, filled: 0, snapped: 0,
                                           isStatic: false, speed: nil, hasCuboids: false,
                                           firstFrame: set.frames[entries.first!.frame].name, lastFrame: set.frames[entries.last!.frame].name)
    let cuboidEntries = entries.filter { $0.object.cuboid != nil }
    guard !cuboidEntries.isEmpty else {
        boxes += fillImageBoxes(entries: entries, context: context, category: category)
        summary.filled = boxes.count - entries.count
        return FilledTrack(boxes: boxes, summary: summary, flags: [])
    }
    summary.hasCuboids = true
    let first = cuboidEntries.first!.frame, last = cuboidEntries.last!.frame
    let keyed = Set(cuboidEntries.map(\.frame))
    let wanted = (first...last).filter { !keyed.contains($0) }
    let analysis = TrackAnalysis(id: id, entries: cuboidEntries, context: context)
    summary.isStatic = analysis.isStatic
    summary.speed = analysis.speed
    var flags = analysis.flags
    guard !wanted.isEmpty else { return FilledTrack(boxes: boxes, summary: summary, flags: flags) }

    // Template for filled objects: the class, and attributes from the keyframes that describe the object
    // rather than one view of it.
    let template = filledTemplate(id: id, category: category, from: cuboidEntries.first!.object)
    let filledObjects: [LabeledObject]
    switch context.options.method {
    case .sensorLinear:
        filledObjects = fillSensorLinear(entries: cuboidEntries, frames: wanted, times: context.times, template: template)
    case .worldLinear:
        filledObjects = fillWorldLinear(entries: cuboidEntries, frames: wanted, context: context, template: template)
    case .world, .worldSmooth:
        filledObjects = analysis.fillWorld(frames: wanted, smooth: context.options.method == .worldSmooth,
                                           alongHeading: context.posesKnown, template: template)
    }
    var outOfRangeStart: Int?
    for (frame, object) in zip(wanted, filledObjects) {
        boxes.append(PendingBox(frame: frame, object: object, origin: .interpolated))
        let cuboid = object.cuboid!
        let distance = (cuboid.x * cuboid.x + cuboid.y * cuboid.y).squareRoot()
        if distance > context.options.sensorRange {
            if outOfRangeStart == nil {
                outOfRangeStart = frame
                flags.append(InterpolationFlag(kind: .leavesRange, track: id, frame: set.frames[frame].name,
                                               detail: String(format: "filled box %.1f m from the sensor (range %.0f m)", distance,
                                                              context.options.sensorRange)))
            }
        } else {
            outOfRangeStart = nil
        }
    }
    summary.filled = filledObjects.count
    return FilledTrack(boxes: boxes, summary: summary, flags: flags)
}

/// The object a filled box starts from: the track's id and class, and what describes the object
/// rather than one view of it, taken from a keyframe: its name, the attributes not in
/// ``frameBoundAttributes``, and from an OpenLABEL keyframe the cuboid's name, the coordinate system
/// it is written in and each camera's bbox name (not the cuboid's values, its per-view attributes
/// such as a score or timestamp, or other per-frame data).
func filledTemplate(id: String?, category: String, from keyframe: LabeledObject) -> LabeledObject {
    var template = LabeledObject(trackID: id, category: category, name: keyframe.name)
    for (key, value) in keyframe.attributes where !frameBoundAttributes.contains(key) { template.attributes[key] = value }
    if let given = keyframe.openLABEL {
        var extras = OpenLABELObjectExtras()
        extras.cuboidName = given.cuboidName
        extras.coordinateSystem = given.coordinateSystem
        extras.boxMembers = given.boxMembers.mapValues { $0.filter { $0.name == "name" } }
        template.openLABEL = extras
    }
    return template
}

/// Attributes that belong to one view of an object, not copied to filled boxes.
let frameBoundAttributes: Set<String> = ["num_points", "keyframe", "occluded", "truncated", "truncation", "occlusion", "alpha",
                                         BoxOrigin.attributeName, "source"]

/// The class most keyframes give (ties: the first keyframe's).
func majorityCategory(_ objects: [LabeledObject]) -> String {
    var counts: [String: Int] = [:]
    for object in objects { counts[object.category, default: 0] += 1 }
    var best = objects[0].category
    for object in objects where counts[object.category]! > counts[best]! { best = object.category }
    return best
}

/// CVAT's per-component linear filling in each sweep's own sensor frame (no wrap of the yaw).
func fillSensorLinear(entries: [(frame: Int, object: LabeledObject)], frames: [Int], times: [Double],
                      template: LabeledObject) -> [LabeledObject] {
    var segment = 0
    return frames.map { frame in
        while entries[segment + 1].frame < frame { segment += 1 }
        let a = entries[segment].object, b = entries[segment + 1].object
        let t = (times[frame] - times[entries[segment].frame]) / (times[entries[segment + 1].frame] - times[entries[segment].frame])
        func mix(_ u: Double, _ v: Double) -> Double { u + t * (v - u) }
        let p = a.cuboid!, q = b.cuboid!
        var object = template
        object.cuboid = Box3D(x: mix(p.x, q.x), y: mix(p.y, q.y), z: mix(p.z, q.z), length: mix(p.length, q.length),
                              width: mix(p.width, q.width), height: mix(p.height, q.height), yaw: normalizedYaw(mix(p.yaw, q.yaw)))
        object.roll = mix(a.roll, b.roll)
        object.pitch = mix(a.pitch, b.pitch)
        return object
    }
}

/// The plain world-frame straight line (``InterpolationMethod/worldLinear``): each keyframe as given,
/// mapped to the world frame, every component between the two nearest keyframes, mapped back.
func fillWorldLinear(entries: [(frame: Int, object: LabeledObject)], frames: [Int], context: FillContext,
                     template: LabeledObject) -> [LabeledObject] {
    let keys = entries.map { worldKey($0.object, frame: $0.frame, time: context.times[$0.frame], pose: context.poses[$0.frame]) }
    let boxes = interpolateTrack(keys.map { Keyframe(time: $0.time, box: $0.box) }, at: frames.map { context.times[$0] }, curve: .linear)
    var segment = 0
    return zip(frames, boxes).map { frame, box in
        let time = context.times[frame]
        while keys[segment + 1].time < time { segment += 1 }
        let a = keys[segment], b = keys[segment + 1]
        let t = (time - a.time) / (b.time - a.time)
        return sensorObject(world: box, roll: a.roll + t * (b.roll - a.roll), pitch: a.pitch + t * (b.pitch - a.pitch),
                            pose: context.poses[frame], template: template)
    }
}

/// Fills a track that has only image boxes: per camera, box corners linearly in time between that
/// camera's keyframes.
func fillImageBoxes(entries: [(frame: Int, object: LabeledObject)], context: FillContext, category: String) -> [PendingBox] {
    let keyed = Set(entries.map(\.frame))
    var byFrame: [Int: LabeledObject] = [:]
    let cameras = Set(entries.flatMap { $0.object.boxes.keys }).sorted()
    for camera in cameras {
        let keys = entries.compactMap { entry in entry.object.boxes[camera].map { (frame: entry.frame, box: $0) } }
        guard keys.count >= 2 else { continue }
        for k in 0..<(keys.count - 1) {
            let a = keys[k], b = keys[k + 1]
            let ta = context.times[a.frame], tb = context.times[b.frame]
            for frame in (a.frame + 1)..<b.frame where !keyed.contains(frame) {
                let t = (context.times[frame] - ta) / (tb - ta)
                func mix(_ u: Double, _ v: Double) -> Double { u + t * (v - u) }
                var object = byFrame[frame] ?? filledTemplate(id: entries[0].object.trackID, category: category, from: entries[0].object)
                object.boxes[camera] = Box2D(minX: mix(a.box.minX, b.box.minX), minY: mix(a.box.minY, b.box.minY),
                                             maxX: mix(a.box.maxX, b.box.maxX), maxY: mix(a.box.maxY, b.box.maxY))
                byFrame[frame] = object
            }
        }
    }
    return byFrame.keys.sorted().map { PendingBox(frame: $0, object: byFrame[$0]!, origin: .interpolated) }
}
