import CuboidFormats
import CuboidGeometry
import CuboidInterpolation
import CuboidKernels
import CuboidPointClouds
import Foundation
import Testing

/// A label set of `count` frames, 0.1 s apart, with the given ego poses (or none).
func frames(_ count: Int, poses: [RigidPose]? = nil) -> LabelSet {
    LabelSet(frames: (0..<count).map { index in
        LabeledFrame(name: String(format: "%06d", index), timestamp: 100 + 0.1 * Double(index), egoPose: poses?[index])
    })
}

/// The filled cuboid of `track` in frame `index`.
func cuboid(_ result: InterpolationResult, frame index: Int, track: String = "1") -> Box3D? {
    result.labels.frames[index].objects.first { $0.trackID == track }?.cuboid
}

func origin(_ result: InterpolationResult, frame index: Int, track: String = "1") -> String? {
    result.labels.frames[index].objects.first { $0.trackID == track }?.attributes[BoxOrigin.attributeName]?.text
}

/// A car on a circle of radius 20 m about the origin, heading along its path.
func circleCar(_ time: Double, rate: Double, start: Double) -> Box3D {
    let angle = start + rate * time
    return Box3D(x: 20 * cos(angle), y: 20 * sin(angle), z: 0.8, length: 4.5, width: 1.9, height: 1.6, yaw: normalizedYaw(angle + .pi / 2))
}

@Suite("Keyframe interpolation")
struct InterpolationTests {
    @Test("cubic Hermite with parabola slopes reproduces constant acceleration exactly, with unequal gaps")
    func hermiteIsExactForConstantAcceleration() {
        func x(_ t: Double) -> Double { 1 + 2 * t + 0.75 * t * t }
        let keyTimes = [0.0, 0.3, 1.1, 1.5, 2.9]
        let keys = keyTimes.map { Keyframe(time: $0, box: Box3D(x: x($0), y: -x($0), z: 0.5 * x($0), length: 4, width: 2, height: 1.5, yaw: 0.1)) }
        let times = stride(from: 0.0, through: 2.9, by: 0.05).map { $0 }
        let boxes = interpolateTrack(keys, at: times, curve: .cubicHermite)
        for (t, box) in zip(times, boxes) {
            #expect(abs(box.x - x(t)) < 1e-9 && abs(box.y + x(t)) < 1e-9 && abs(box.z - 0.5 * x(t)) < 1e-9, "t = \(t)")
        }
        // The linear curve misses between keyframes (its chords cut the parabola).
        let linear = interpolateTrack(keys, at: [1.3], curve: .linear)[0]
        #expect(abs(linear.x - x(1.3)) > 0.01)
        // Keyframe times give the keyframes exactly.
        #expect(interpolateTrack(keys, at: keyTimes, curve: .cubicHermite) == keys.map(\.box))
        // Two keyframes: the linear track.
        let pair = Array(keys.prefix(2))
        #expect(interpolateTrack(pair, at: [0.1, 0.2], curve: .cubicHermite) == interpolateTrack(pair, at: [0.1, 0.2], curve: .linear))
    }

    @Test("yaw crosses +-pi along the shorter arc in every world method; sensor-linear spins through 0 like CVAT",
          arguments: [InterpolationMethod.world, .worldSmooth, .sensorLinear])
    func yawWrapAround(method: InterpolationMethod) throws {
        var set = frames(11)
        for (index, yaw) in [(0, 3.0), (10, -3.0)] {
            set.frames[index].objects = [LabeledObject(trackID: "1", category: "Car",
                                                       cuboid: Box3D(x: 10, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: yaw))]
        }
        let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: method))
        let middle = try #require(cuboid(result, frame: 5))
        if method == .sensorLinear {
            #expect(abs(middle.yaw) < 1e-9)
        } else {
            #expect(abs(abs(middle.yaw) - .pi) < 1e-9, "yaw \(middle.yaw)")
            for index in 1..<10 {
                let yaw = try #require(cuboid(result, frame: index)).yaw
                #expect(abs(yaw) > 3.0 - 1e-9 && yaw > -.pi && yaw <= .pi, "frame \(index): yaw \(yaw)")
            }
        }
        #expect(result.flags.isEmpty)
    }

    @Test("a car turning through +-pi on a circle: world-smooth stays on the circle and its heading, world cuts the chord")
    func turningThroughPi() throws {
        // A world frame (identity ego poses): headings steer the smooth curve only where the frame is a world frame.
        var set = frames(41, poses: Array(repeating: .identity, count: 41))
        // 0.6 rad/s around the circle, heading from 2.4 rad through pi to about -2.5 rad.
        for index in stride(from: 0, through: 40, by: 10) {
            set.frames[index].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: circleCar(0.1 * Double(index), rate: 0.6, start: 0.83))]
        }
        var worst: [InterpolationMethod: (center: Double, yaw: Double)] = [:]
        for method in [InterpolationMethod.world, .worldSmooth] {
            let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: method))
            var center = 0.0, yaw = 0.0
            for index in 0...40 {
                let box = try #require(cuboid(result, frame: index)), truth = circleCar(0.1 * Double(index), rate: 0.6, start: 0.83)
                center = max(center, ((box.x - truth.x) * (box.x - truth.x) + (box.y - truth.y) * (box.y - truth.y)).squareRoot())
                yaw = max(yaw, abs(shortestArc(from: truth.yaw, to: box.yaw)))
                #expect(box.yaw > -.pi && box.yaw <= .pi)
            }
            worst[method] = (center, yaw)
        }
        // Keyframes 1 s apart on a 20 m circle: the chord sags 20 (1 - cos 0.3) = 0.89 m below the arc.
        #expect(worst[.world]!.center > 0.8)
        #expect(worst[.worldSmooth]!.center < 0.01, "world-smooth centre error \(worst[.worldSmooth]!.center)")
        #expect(worst[.worldSmooth]!.yaw < 1e-9)  // constant turn rate: the yaw spline is exact
    }

    @Test("a keyframe in the opposite heading is flagged and filled as the same footprint, not spun through 90°")
    func oppositeHeadings() throws {
        var set = frames(11)
        set.frames[0].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 10, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0.1))]
        set.frames[10].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 15, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0.1 - .pi))]
        for method in [InterpolationMethod.world, .worldSmooth] {
            let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: method))
            #expect(result.flags.map(\.kind) == [.headingFlip])
            #expect(result.flags.first?.frame == "000010")
            for index in 1..<10 { #expect(abs(try #require(cuboid(result, frame: index)).yaw - 0.1) < 1e-9) }
            // Keyframes are never changed.
            #expect(cuboid(result, frame: 10)?.yaw == 0.1 - .pi)
        }
        // A third keyframe agreeing with the flipped one: the majority heading wins for filling.
        set.frames[5].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 12.5, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0.1 - .pi))]
        let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: .world))
        #expect(abs(shortestArc(from: 0.1 - .pi, to: try #require(cuboid(result, frame: 3)).yaw)) < 1e-9)
    }

    @Test("a single-keyframe track stays one box; nothing is filled and nothing traps")
    func singleKeyframe() throws {
        var set = frames(5)
        set.frames[2].objects = [LabeledObject(trackID: "7", category: "Pedestrian", cuboid: Box3D(x: 3, y: 1, z: 0, length: 0.6, width: 0.6, height: 1.7, yaw: 0))]
        for method in InterpolationMethod.allCases {
            let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: method))
            #expect(result.labels.objectCount == 1)
            #expect(origin(result, frame: 2, track: "7") == "keyframe")
            #expect(result.tracks.map(\.filled) == [0])
            #expect(result.tracks.first?.speed == nil)
        }
    }

    @Test("a parked car seen from a turning ego stays exactly still in the world; sensor-linear bends it")
    func staticObjectWithMovingEgo() throws {
        let poses = (0...20).map { index -> RigidPose in
            let t = 0.1 * Double(index)
            return RigidPose(yaw: 0.3 * t, translation: SIMD3(12 * t, 2 * t * t, 0.05 * t))
        }
        let world = Box3D(x: 20, y: 6, z: 0.9, length: 4.2, width: 1.8, height: 1.5, yaw: 0.4)
        var set = frames(21, poses: poses)
        for index in [0, 20] {
            set.frames[index].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: world.transformed(by: poses[index].inverse))]
        }
        for method in InterpolationMethod.allCases {
            let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: method))
            var worst = 0.0
            for index in 1..<20 {
                let back = try #require(cuboid(result, frame: index)).transformed(by: poses[index])
                worst = max(worst, (back.center - world.center).max(), (world.center - back.center).max(), abs(shortestArc(from: world.yaw, to: back.yaw)))
                #expect(origin(result, frame: index) == "interpolated")
            }
            if method == .sensorLinear {
                #expect(worst > 0.5)
            } else {
                #expect(worst < 1e-9, "\(method): \(worst)")
                #expect(result.tracks.first?.isStatic == true)
            }
        }
    }

    @Test("ego roll and pitch: filled boxes carry the sensor-frame roll and pitch of a level world box")
    func fullOrientation() throws {
        let poses = (0...4).map { index in
            RigidPose(rotation: Quaternion(axis: SIMD3(1, 0.5, 0.2), angle: 0.02 * Double(index)) * Quaternion(yaw: 0.1 * Double(index)),
                      translation: SIMD3(3 * Double(index), 0, 0))
        }
        var set = frames(5, poses: poses)
        func sensorBox(_ index: Int) -> LabeledObject {
            let world = LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 10 + Double(index), y: 4, z: 0.8, length: 4, width: 2, height: 1.5, yaw: 1.0))
            let angles = LabeledObject.eulerXYZ(poses[index].rotation.conjugate * world.orientation)
            return LabeledObject(trackID: "1", category: "Car",
                                 cuboid: Box3D(center: poses[index].inverse.apply(to: world.cuboid!.center), size: world.cuboid!.size, yaw: angles.yaw),
                                 roll: angles.roll, pitch: angles.pitch)
        }
        set.frames[0].objects = [sensorBox(0)]
        set.frames[4].objects = [sensorBox(4)]
        let result = try KeyframeInterpolator.interpolate(set, options: InterpolationOptions(method: .world))
        for index in 1...3 {
            let filled = try #require(result.labels.frames[index].objects.first), truth = sensorBox(index)
            #expect(abs(filled.roll - truth.roll) < 1e-9 && abs(filled.pitch - truth.pitch) < 1e-9)
            #expect(abs(filled.cuboid!.yaw - truth.cuboid!.yaw) < 1e-9)
            let gap = filled.cuboid!.center - truth.cuboid!.center
            #expect((gap * gap).sum().squareRoot() < 1e-9)
        }
    }

    @Test("flags: a keyframe off its neighbours' path, a keyframe of another size, a track leaving the sensor range")
    func flags() throws {
        var set = frames(31)
        for index in stride(from: 0, through: 30, by: 10) {
            var box = Box3D(x: 10 + 2 * Double(index), y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0)
            if index == 10 { box.y = 3 }  // 3 m off a straight line
            if index == 20 { box.length = 6 }  // 50 % longer
            set.frames[index].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: box)]
        }
        var options = InterpolationOptions(method: .world)
        options.sensorRange = 50
        let result = try KeyframeInterpolator.interpolate(set, options: options)
        let kinds = Dictionary(grouping: result.flags, by: \.kind)
        #expect(kinds[.disagreeingKeyframe]?.map(\.frame).sorted() == ["000010", "000020"])
        #expect(kinds[.leavesRange]?.map(\.frame) == ["000021"])  // 10 + 2 x 21 = 52 m
        // A keyframe 50 % longer is a size change on purpose: filled linearly between its keyframes
        // (the track's median size only stands in for keyframes within 5 % of it).
        #expect(abs(try #require(cuboid(result, frame: 15)).length - 5) < 1e-12)
        // Clean keyframes raise nothing.
        var clean = set
        clean.frames[10].objects[0].cuboid!.y = 0
        clean.frames[20].objects[0].cuboid!.length = 4
        #expect(try KeyframeInterpolator.interpolate(clean).flags.isEmpty)
    }

    @Test("image-box tracks are filled in image space; cuboid tracks get their projection in each camera")
    func imageBoxes() throws {
        var set = frames(5)
        set.frames[0].objects = [LabeledObject(trackID: "4", category: "Car", boxes: ["cam": Box2D(minX: 100, minY: 50, maxX: 200, maxY: 120)])]
        set.frames[4].objects = [LabeledObject(trackID: "4", category: "Car", boxes: ["cam": Box2D(minX: 140, minY: 70, maxX: 260, maxY: 150)])]
        let result = try KeyframeInterpolator.interpolate(set)
        let box = try #require(result.labels.frames[1].objects.first?.boxes["cam"])
        #expect(abs(box.minX - 110) < 1e-9 && abs(box.minY - 55) < 1e-9 && abs(box.maxX - 215) < 1e-9 && abs(box.maxY - 127.5) < 1e-9)
        #expect(result.tracks.first?.hasCuboids == false)

        let camera = Camera(name: "front", intrinsics: CameraIntrinsics(fx: 700, fy: 700, cx: 640, cy: 360, width: 1280, height: 720),
                            cameraFromSensor: RigidPose(matrix: [0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 1]))
        var cuboids = frames(3)
        cuboids.cameras = [camera]
        cuboids.frames[0].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 12, y: 1, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))]
        cuboids.frames[2].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 16, y: -1, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))]
        let filled = try KeyframeInterpolator.interpolate(cuboids)
        let middle = try #require(filled.labels.frames[1].objects.first)
        #expect(middle.boxes["front"] == projectedBox(middle.cuboid!, camera: camera))
    }

    @Test("snapping moves a lagging box onto its returns, and leaves a box without returns alone")
    func snapping() throws {
        // Truth is 0.4 m ahead of where a linear fill puts the middle box.
        var set = frames(3)
        set.frames[0].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 10, y: 5, z: 0.75, length: 4, width: 2, height: 1.5, yaw: 0))]
        set.frames[2].objects = [LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 14, y: 5, z: 0.75, length: 4, width: 2, height: 1.5, yaw: 0))]
        let truth = Box3D(x: 12.4, y: 5, z: 0.75, length: 4, width: 2, height: 1.5, yaw: 0)
        // Returns on the two faces a sensor at the origin sees (rear and right side), plus ground.
        var xs: [Float] = [], ys: [Float] = [], zs: [Float] = []
        for step in 0..<40 {
            for level in 0..<6 {
                let z = Float(0.3 + 0.2 * Double(level))
                // 5 cm inside the true faces, so Float rounding cannot put a return on a face.
                xs.append(Float(truth.x - 1.95)); ys.append(Float(truth.y - 0.95 + 0.045 * Double(step))); zs.append(z)
                xs.append(Float(truth.x - 1.9 + 0.1 * Double(step))); ys.append(Float(truth.y - 0.95)); zs.append(z)
            }
            xs.append(Float(8 + 0.2 * Double(step))); ys.append(3); zs.append(0)
        }
        let cloud = PointCloud(x: xs, y: ys, z: zs)
        var options = InterpolationOptions(method: .world, snap: SnapSettings())
        var reports: [[Int]] = []
        let result = try KeyframeInterpolator.interpolate(set, options: options, pointCloud: { $0 == 1 ? cloud : nil },
                                                          progress: { reports.append([$0, $1]) })
        // The frame with a box to snap and the two keyframe frames (the keyframes are searched too:
        // a track is snapped only when they stay still) are asked for; progress ends at its total.
        #expect(reports == [[1, 3], [2, 3], [3, 3]])
        let snapped = try #require(cuboid(result, frame: 1))
        #expect(origin(result, frame: 1) == "snapped")
        #expect(abs(snapped.x - truth.x) < 1e-9 && abs(snapped.y - truth.y) < 1e-9 && abs(snapped.yaw) < 1e-9, "\(snapped)")
        #expect(result.tracks.first?.snapped == 1)
        // No returns: the box stays where the curve put it.
        options.snap = SnapSettings()
        let alone = try KeyframeInterpolator.interpolate(set, options: options) { _ in PointCloud(x: [], y: [], z: []) }
        #expect(abs(try #require(cuboid(alone, frame: 1)).x - 12) < 1e-9)
        #expect(origin(alone, frame: 1) == "interpolated")
    }

    @Test("bad keyframe sets throw typed errors naming the frame")
    func errors() throws {
        var set = frames(3)
        set.frames[2].timestamp = set.frames[1].timestamp
        #expect(throws: InterpolationError.timesNotIncreasing(frame: "000002", previous: "000001")) { try KeyframeInterpolator.interpolate(set) }

        var twice = frames(2)
        let object = LabeledObject(trackID: "3", category: "Car", cuboid: Box3D(x: 1, y: 1, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))
        twice.frames[1].objects = [object, object]
        #expect(throws: InterpolationError.duplicateTrack(frame: "000001", track: "3")) { try KeyframeInterpolator.interpolate(twice) }

        var partial = frames(2, poses: [.identity, .identity])
        partial.frames[1].egoPose = nil
        #expect(throws: InterpolationError.missingPose(frame: "000001")) { try KeyframeInterpolator.interpolate(partial) }
        #expect(try KeyframeInterpolator.interpolate(partial, options: InterpolationOptions(method: .sensorLinear)).labels.frames.count == 2)
    }

    @Test("the same output on 1 and 2 threads, and CVAT's non-key boxes are replaced")
    func deterministicAndReplacing() throws {
        var set = frames(30)
        for track in 0..<40 {
            for index in stride(from: track % 3, to: 30, by: 7) {
                var object = LabeledObject(trackID: String(track), category: "Car",
                                           cuboid: Box3D(x: Double(track) + 0.5 * Double(index), y: Double(track % 5), z: 0, length: 4, width: 2, height: 1.5, yaw: 0.01 * Double(track)))
                object.attributes["num_points"] = .number(Double(index))
                set.frames[index].objects.append(object)
            }
        }
        var cvat = set
        cvat.frames[1].objects.append(LabeledObject(trackID: "0", category: "Car", cuboid: Box3D(x: 0, y: 0, z: 0, length: 1, width: 1, height: 1, yaw: 0),
                                                    attributes: ["keyframe": .flag(false)]))
        var one = InterpolationOptions(), two = InterpolationOptions()
        one.threads = 1
        two.threads = 2
        let a = try KeyframeInterpolator.interpolate(set, options: one), b = try KeyframeInterpolator.interpolate(cvat, options: two)
        #expect(a.labels == b.labels)
        #expect(b.replacedBoxes == 1)
        // View-bound attributes stay on keyframes only.
        let filled = a.labels.frames.flatMap(\.objects).filter { $0.attributes[BoxOrigin.attributeName] == .text("interpolated") }
        #expect(filled.count == a.tracks.reduce(0) { $0 + $1.filled } && !filled.isEmpty)
        #expect(filled.allSatisfy { $0.attributes["num_points"] == nil })
    }

    @Test("evaluation: constant-velocity tracks through world poses are filled exactly at every spacing")
    func evaluationOnExactMotion() throws {
        let poses = (0..<41).map { RigidPose(yaw: 0.02 * Double($0), translation: SIMD3(1.2 * Double($0), 0, 0)) }
        var gold = frames(41, poses: poses)
        for index in 0..<41 {
            for track in 0..<5 {
                let world = Box3D(x: 5 * Double(track) + 0.3 * Double(index) * Double(track), y: 4, z: 0.8, length: 4, width: 2, height: 1.5, yaw: 0.5)
                gold.frames[index].objects.append(LabeledObject(trackID: String(track), category: "Car", cuboid: world.transformed(by: poses[index].inverse)))
            }
        }
        for k in [2, 5, 10, 20] {
            for method in [InterpolationMethod.world, .worldSmooth] {
                let accuracy = try InterpolationEvaluation.evaluate(gold: gold, every: k, options: InterpolationOptions(method: method))
                #expect(accuracy.scored == 5 * (40 - 40 / k))
                #expect(accuracy.uncovered == 0)
                #expect(accuracy.meanBEVIoU > 1 - 1e-9 && accuracy.meanCenterError < 1e-9, "K=\(k) \(method): \(accuracy)")
                #expect(accuracy.movingScored == 4 * (40 - 40 / k))
            }
            let sensor = try InterpolationEvaluation.evaluate(gold: gold, every: k, options: InterpolationOptions(method: .sensorLinear))
            #expect(sensor.meanBEVIoU < 0.999)
        }
    }
}
