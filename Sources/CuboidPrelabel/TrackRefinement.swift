import CuboidGeometry
import CuboidKernels
import Foundation

/// Offline refinement: what a finished tracklet becomes when it is handed out (its smoothed or
/// refitted boxes, class, motion and heading, and the frames evidence extends it to).
extension StreamingTracker {
    /// The refined track in sensor frames.
    /// A refitted box must overlap the averaged one this much (bird's-eye IoU); less means the
    /// returns gathered include a neighbour's.
    static let minimumRefitOverlap = 0.3

    /// A static vehicle's box fitted to the outlines of all its detections (world frame): an L-shape
    /// fit over the gathered returns, completed to the track's size from the corner nearest the
    /// sensor position of the detection with the most returns. Nil with fewer than two detections
    /// with outlines or ten points in all.
    /// - Complexity: O(p) in the points gathered (the fit samples at most 400).
    func refitStatic(_ detections: [WorldDetection], size: SIMD3<Double>, centreZ: Double) -> Box3D? {
        let withOutline = detections.filter { !$0.outline.isEmpty }
        let points = withOutline.flatMap { $0.outline.map { SIMD2(Double($0.x), Double($0.y)) } }
        guard withOutline.count >= 2, points.count >= 10,
              let best = withOutline.max(by: { ($0.points, $1.index) < ($1.points, $0.index) }),
              let fitted = LShapeFitter.prelabel.fit(points) else { return nil }
        let completed = completeFootprint(fitted, toLength: size.x, width: size.y, sensor: best.sensor)
        return Box3D(center: SIMD3(completed.centerX, completed.centerY, centreZ), size: SIMD3(completed.length, completed.width, size.z), yaw: completed.yaw)
    }

    /// The track's refined boxes; nil for a person's shape moving faster than anyone rides (a piece
    /// of a passing vehicle).
    /// - Parameter score: The tracklet's score (``Tracklet/score``), computed once by the caller.
    func refine(_ tracklet: Tracklet, id: Int, score: Double) -> Track? {
        let measured = tracklet.steps.compactMap(\.detection)
        // The track's axis: the measured one that disagrees least with the others. A detection
        // whose axis is off it by more than about 15 degrees was completed the wrong way round (a
        // side taken for a rear), and its centre is as wrong as its axis.
        let trackAxis = axisMedoid(measured.map(\.box.yaw))
        func agrees(_ d: WorldDetection) -> Bool { abs(sin(d.box.yaw - trackAxis)) < 0.25 }
        // Offline, each measurement counts by the returns it was made from, against the track's best
        // (a box completed from a few returns, far away or half hidden, can be metres off), and a
        // wrong-way one as little as the fewest.
        let bestPoints = measured.map(\.points).max() ?? 0
        let states = bestPoints > 0
            ? tracklet.refiltered(times: times, configuration) { d in
                let largest = configuration.maximumMeasurementNoiseScale
                guard agrees(d) else { return largest }
                return d.points > 0 ? min(largest, max(1, (Double(bestPoints) / Double(d.points)).squareRoot())) : 1
            }.smoothed()
            : tracklet.smoothed()
        var votes: [String: Double] = [:]
        for d in measured { votes[d.category, default: 0] += d.score }
        var category = votes.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }
        var size = SIMD3(median(measured.map(\.box.length)), median(measured.map(\.box.width)), median(measured.map(\.box.height)))
        let centreZ = median(measured.map(\.box.z))
        let positions = states.map(\.position)
        let displacement = (positions.last! - positions.first!).length
        var isMoving = displacement > configuration.staticDisplacement
        if tracklet.kind == .person && !isMoving && persons.minimumWalkSpeed > 0 {
            // A person seen walking for a moment (a short track) moves less than a static object's
            // threshold, and a box pinned at the mean position lags it at both ends.
            let duration = states.last!.time - states.first!.time
            isMoving = displacement >= persons.minimumWalkDisplacement && duration > 0 && displacement / duration >= persons.minimumWalkSpeed
        }
        if tracklet.kind == .vehicle && isMoving {
            // A vehicle drives along its axis, never sideways: a track that slides across its
            // boxes' axis joins pieces of different things (a facade's pieces as the ego passes).
            let sideways = states.filter { $0.velocity.length >= configuration.minimumVehicleSpeed }
                .map { abs(sin(atan2($0.velocity.y, $0.velocity.x) - trackAxis)) }
            if !sideways.isEmpty && median(sideways) > sin(configuration.maximumVehicleSidewaysDegrees * .pi / 180) { return nil }
            // A parked vehicle's completed boxes wander by a metre or two as the ego passes it
            // (its rear, side and front seen in turn), slower than anything drives.
            if median(states.map(\.velocity.length)) < configuration.parkedVehicleSpeed { isMoving = false }
        }
        // A person's shape faster than anyone walks or jogs rides a bicycle: one sweep cannot tell a
        // cyclist whose bicycle is hidden, or seen end-on, from a pedestrian; the track's speed can.
        // Its box takes a cyclist's size, along its velocity. Faster than anyone rides, it is a piece
        // of a vehicle.
        var rides = false
        if tracklet.kind == .person && isMoving {
            let speed = median(states.map(\.velocity.length))
            if speed > configuration.maximumCyclistSpeed { return nil }
            if speed > configuration.maximumPedestrianSpeed, let faster = fasterClasses[category] {
                category = faster.name
                size = pointwiseMax(size, faster.size)
                rides = true
            }
        }
        // The measured axes by frame, in frame order (the axis sums run in a fixed order, so reruns
        // give the same bits).
        let measuredYaw: [(frame: Int, yaw: Double)] = tracklet.steps.compactMap { step in step.detection.map { (step.frame, $0.box.yaw) } }
        let agreeing = measured.filter(agrees)
        let overallAxis = axisMean(agreeing.map(\.box.yaw))
        // A static object's one position: the centres of its right-way detections weighted by the
        // returns behind each.
        var weighted = SIMD2<Double>.zero, weights = 0.0
        for d in agreeing {
            let w = Double(max(d.points, 1))
            weighted += w * SIMD2(d.box.x, d.box.y)
            weights += w
        }
        let meanPosition = weighted / weights
        // A static track's one box, world frame.
        var staticBox = Box3D(center: SIMD3(meanPosition.x, meanPosition.y, centreZ), size: size, yaw: overallAxis)
        if !isMoving && configuration.refitStaticTracks && tracklet.kind == .vehicle, let refit = refitStatic(agreeing, size: size, centreZ: centreZ),
           iou(refit.bev, staticBox.bev) >= Self.minimumRefitOverlap {
            staticBox = refit
        }
        var boxes: [Int: TrackedBox] = [:]
        // The first and last boxes (world frame), which a moving vehicle's box is carried on from.
        var ends: (first: Box3D, last: Box3D)?
        var headingKnown = false
        let detectionOfFrame = Dictionary(tracklet.steps.compactMap { step in step.detection.map { (step.frame, $0.index) } }, uniquingKeysWith: { a, _ in a })
        for state in states {
            let f = state.frame
            var world = staticBox
            if isMoving {
                // Axis from the measurements near this frame, direction from the velocity. The axis
                // is the mean of the measured axes that agree (within about 15 degrees) with the one
                // that disagrees least with all: a single sweep's axis can be 90 degrees off where
                // only one face was seen, and a plain mean would then be 45 degrees off the truth.
                let nearby = measuredYaw.filter { abs($0.frame - f) <= 2 }.map(\.yaw)
                var yaw = overallAxis
                if rides && state.velocity.length > 1 {
                    yaw = atan2(state.velocity.y, state.velocity.x)
                } else if !nearby.isEmpty {
                    let chosen = axisMedoid(nearby)
                    yaw = axisMean(nearby.filter { abs(sin($0 - chosen)) < 0.25 })
                }
                if state.velocity.length > 1 {
                    let heading = atan2(state.velocity.y, state.velocity.x)
                    if abs(shortestArc(from: heading, to: yaw)) > .pi / 2 { yaw = normalizedYaw(yaw + .pi) }
                    headingKnown = true
                }
                world = Box3D(center: SIMD3(state.position.x, state.position.y, centreZ), size: size, yaw: yaw)
            }
            boxes[f] = TrackedBox(cuboid: world.transformed(by: poses[f].inverse), detection: detectionOfFrame[f])
            ends = (ends?.first ?? world, world)
        }
        // A moving vehicle's box goes on beside its detections where evidence lies inside it.
        if isMoving && tracklet.kind == .vehicle, let firstState = states.first, let lastState = states.last, let ends {
            for (f, box) in movingEvidenceExtension(tracklet.evidence, from: (firstState, ends.first), to: (lastState, ends.last)) {
                boxes[f] = TrackedBox(cuboid: box.transformed(by: poses[f].inverse), detection: nil)
            }
        }
        // Frames beyond the detections where evidence showed a static object: it stays where it is.
        // (A moving vehicle's evidence counts only inside its carried box, above; a moving person's
        // not at all.) Only evidence whose footprint overlaps the track's box counts, and every
        // frame between the furthest such evidence and the detections gets the box (a refined track
        // has one in every frame from its first to its last).
        // A vehicle's reaches at most ``TrackingConfiguration/vehicleEvidenceFramesBeyondDetections``
        // frames beyond them when that is not negative; a person's only as far as
        // ``PersonConfiguration/minimumDetectedBoxShare`` of its boxes stay on detections.
        if !isMoving, let firstState = states.first, let lastState = states.last {
            let bound = configuration.vehicleEvidenceFramesBeyondDetections
            let reach = tracklet.kind == .vehicle && bound >= 0 ? bound : Int.max
            let footprint = staticBox.bev
            let seen = tracklet.evidence.filter {
                intersectionArea(footprint, $0.box.bev) > 0 && firstState.frame - $0.frame <= reach && $0.frame - lastState.frame <= reach
            }.map(\.frame)
            var before = firstState.frame - (seen.filter { $0 < firstState.frame }.min() ?? firstState.frame)
            var after = (seen.filter { $0 > lastState.frame }.max() ?? lastState.frame) - lastState.frame
            if tracklet.kind == .person && persons.minimumDetectedBoxShare > 0 {
                let span = lastState.frame - firstState.frame + 1
                let budget = max(0, Int((Double(measured.count) / persons.minimumDetectedBoxShare + 1e-9).rounded(.down)) - span)
                (before, after) = nearestFirst(before: before, after: after, budget: budget)
            }
            for f in Array((firstState.frame - before)..<firstState.frame) + Array((lastState.frame + 1)..<(lastState.frame + after + 1)) {
                boxes[f] = TrackedBox(cuboid: staticBox.transformed(by: poses[f].inverse), detection: nil)
            }
        }
        return Track(id: id, category: category, kind: tracklet.kind, score: score, isMoving: isMoving, headingKnown: headingKnown, boxes: boxes)
    }
}

extension StreamingTracker {
    /// The frames beside a moving vehicle track's detections where weak evidence lies inside its
    /// box carried on at its smoothed velocity, with those boxes (world frame): a car leaving a
    /// camera-cropped sweep shows only the part still in view, a fragment no class fits. Frames run
    /// outward from the detections, one after another, at most
    /// ``TrackingConfiguration/movingVehicleEvidenceFramesBefore`` before the first and
    /// ``TrackingConfiguration/movingVehicleEvidenceFramesAfter`` after the last, and stop at the
    /// first without such evidence: at least ``TrackingConfiguration/movingVehicleEvidenceInside``
    /// of the evidence's footprint inside the carried box.
    /// - Parameter first: The first smoothed state and its box; `last` the last.
    func movingEvidenceExtension(_ evidence: [EvidenceSighting], from first: (state: Tracklet.State, box: Box3D),
                                 to last: (state: Tracklet.State, box: Box3D)) -> [(frame: Int, box: Box3D)] {
        var byFrame: [Int: Box3D] = [:]
        for sighting in evidence { byFrame[sighting.frame] = sighting.box }
        var extended: [(frame: Int, box: Box3D)] = []
        for (end, step, reach) in [(first, -1, configuration.movingVehicleEvidenceFramesBefore), (last, 1, configuration.movingVehicleEvidenceFramesAfter)] {
            for k in stride(from: 1, through: reach, by: 1) {
                let f = end.state.frame + step * k
                guard let seen = byFrame[f] else { break }
                let shift = end.state.velocity * (times[f] - end.state.time)
                var carried = end.box
                carried.center.x += shift.x
                carried.center.y += shift.y
                let footprint = seen.bev
                guard footprint.area > 0, intersectionArea(carried.bev, footprint) >= configuration.movingVehicleEvidenceInside * footprint.area else { break }
                extended.append((f, carried))
            }
        }
        return extended
    }
}

/// How many of `before` and `after` frames beside a track's detections to keep within `budget`
/// frames: the nearest first, alternating sides (before first at equal distance).
func nearestFirst(before: Int, after: Int, budget: Int) -> (before: Int, after: Int) {
    var kept = (before: 0, after: 0)
    while kept.before + kept.after < budget && (kept.before < before || kept.after < after) {
        if kept.before < before && (kept.before <= kept.after || kept.after == after) { kept.before += 1 } else { kept.after += 1 }
    }
    return kept
}

/// The mean axis (yaw modulo pi) of `yaws`: the double-angle mean, halved. Sums run in the
/// array's order, so reruns give the same bits.
func axisMean(_ yaws: [Double]) -> Double {
    var c = 0.0, s = 0.0
    for yaw in yaws { c += cos(2 * yaw); s += sin(2 * yaw) }
    return atan2(s, c) / 2
}

/// The axis (yaw modulo pi) among `yaws` with the least total disagreement (sum of |sin| of the
/// differences) with the others; ties go to the earliest.
/// - Precondition: `yaws` is not empty.
func axisMedoid(_ yaws: [Double]) -> Double {
    precondition(!yaws.isEmpty, "the medoid of no axes")
    var best = (cost: Double.infinity, yaw: yaws[0])
    for candidate in yaws {
        var cost = 0.0
        for yaw in yaws { cost += abs(sin(yaw - candidate)) }
        if cost < best.cost - 1e-12 { best = (cost, candidate) }
    }
    return best.yaw
}
