import CuboidGeometry
import Foundation

// One track's motion: a constant-velocity Kalman filter per axis, the tracklet that runs it
// through the frames, and the Rauch-Tung-Striebel smoother over its steps.

/// A constant-velocity Kalman filter along one axis: state (position, velocity).
struct AxisFilter: Sendable {
    var x: SIMD2<Double>
    /// Covariance [[p00, p01], [p01, p11]].
    var p: SIMD3<Double>

    mutating func predict(dt: Double, accelerationNoise q: Double) {
        x = SIMD2(x[0] + dt * x[1], x[1])
        let (p00, p01, p11) = (p[0], p[1], p[2])
        let q2 = q * q
        p = SIMD3(p00 + 2 * dt * p01 + dt * dt * p11 + q2 * dt * dt * dt * dt / 4,
                  p01 + dt * p11 + q2 * dt * dt * dt / 2,
                  p11 + q2 * dt * dt)
    }

    mutating func update(_ z: Double, measurementNoise r: Double) {
        let s = p[0] + r * r
        let k0 = p[0] / s, k1 = p[1] / s
        let innovation = z - x[0]
        x = SIMD2(x[0] + k0 * innovation, x[1] + k1 * innovation)
        p = SIMD3((1 - k0) * p[0], (1 - k0) * p[1], p[2] - k1 * p[1])
    }
}

/// A track being built: its filtered and predicted states per frame, for the smoother.
struct Tracklet: Sendable {
    struct Step: Sendable {
        var frame: Int
        var time: Double
        var detection: WorldDetection?
        /// Predicted (before the update) and filtered states for x and y.
        var predicted: (AxisFilter, AxisFilter)
        var filtered: (AxisFilter, AxisFilter)
    }
    var steps: [Step] = []
    var filters: (AxisFilter, AxisFilter)
    var predicted: (AxisFilter, AxisFilter)
    var time: Double
    var missed = 0
    var hits = 1
    var kind: ObjectKind
    /// Which tracklet this is (in order of creation), for the detections it holds.
    var serial = 0
    /// The track's number once confirmed.
    var id: Int?
    /// Weak evidence near the track in frames without a detection (they may lie before the first
    /// step, from the backward extension).
    var evidence: [EvidenceSighting] = []
    var firstFrame: Int { steps[0].frame }
    /// Confidence in 0...1: the mean score of the detections times 1 - exp(-detections / 3).
    var score: Double {
        let measured = steps.compactMap(\.detection)
        let meanScore = measured.map(\.score).reduce(0, +) / Double(measured.count)
        return meanScore * (1 - exp(-Double(measured.count) / 3))
    }
    /// The first frame the track may have a box in.
    var earliestFrame: Int { min(firstFrame, evidence.map(\.frame).min() ?? firstFrame) }
    /// Below this speed (m/s) a track may be static: evidence alone keeps it alive.
    static let slowSpeed = 1.0
    var isSlow: Bool { SIMD2(filters.0.x[1], filters.1.x[1]).length < Self.slowSpeed }
    var position: SIMD2<Double> { SIMD2(predicted.0.x[0], predicted.1.x[0]) }

    init(frame: Int, time: Double, detection: WorldDetection, _ configuration: TrackingConfiguration, noiseScale: Double = 1) {
        let r = configuration.measurementNoise * noiseScale
        // Velocity unknown: standard deviation 15 m/s (54 km/h) in each axis.
        let prior = SIMD3(r * r, 0, 225)
        filters = (AxisFilter(x: SIMD2(detection.box.x, 0), p: prior), AxisFilter(x: SIMD2(detection.box.y, 0), p: prior))
        predicted = filters
        self.time = time
        kind = detection.kind
        steps = [Step(frame: frame, time: time, detection: detection, predicted: filters, filtered: filters)]
    }

    /// Outlines a tracklet keeps: the static refit needs the best-seen few, and a car that drives
    /// with the ego for thousands of frames must not hold thousands.
    static let maximumOutlines = 32

    /// Past `maximumOutlines`, forgets the outline of the detection with the fewest returns (the
    /// earliest of equals).
    mutating func dropSurplusOutline() {
        var kept = 0, weakest: Int? = nil
        for (k, step) in steps.enumerated() {
            guard let d = step.detection, !d.outline.isEmpty else { continue }
            kept += 1
            if weakest.map({ d.points < steps[$0].detection!.points }) ?? true { weakest = k }
        }
        if kept > Self.maximumOutlines, let k = weakest { steps[k].detection!.outline = [] }
    }

    mutating func predict(to newTime: Double, _ configuration: TrackingConfiguration) {
        let dt = newTime - time
        predicted = filters
        predicted.0.predict(dt: dt, accelerationNoise: configuration.accelerationNoise)
        predicted.1.predict(dt: dt, accelerationNoise: configuration.accelerationNoise)
        filters = predicted
        time = newTime
    }

    mutating func update(frame: Int, detection: WorldDetection, _ configuration: TrackingConfiguration, noiseScale: Double = 1) {
        let r = configuration.measurementNoise * noiseScale
        filters.0.update(detection.box.x, measurementNoise: r)
        filters.1.update(detection.box.y, measurementNoise: r)
        steps.append(Step(frame: frame, time: time, detection: detection, predicted: predicted, filtered: filters))
        dropSurplusOutline()
        missed = 0
        hits += 1
    }

    mutating func miss(frame: Int) {
        steps.append(Step(frame: frame, time: time, detection: nil, predicted: predicted, filtered: filters))
        missed += 1
    }

    /// The same measurements with earlier ones put in front, filtered again from the first.
    func prepending(_ earlier: [(Int, WorldDetection)], times: FrameWindow<Double>, _ configuration: TrackingConfiguration) -> Tracklet {
        var measurements: [Int: WorldDetection] = [:]
        for (f, d) in earlier { measurements[f] = d }
        for step in steps { if let d = step.detection { measurements[step.frame] = d } }
        return rebuilt(measurements, times: times, configuration) { _ in 1 }
    }

    /// The same measurements filtered again, each with its measurement noise scaled.
    func refiltered(times: FrameWindow<Double>, _ configuration: TrackingConfiguration, noiseScale: (WorldDetection) -> Double) -> Tracklet {
        var measurements: [Int: WorldDetection] = [:]
        for step in steps { if let d = step.detection { measurements[step.frame] = d } }
        return rebuilt(measurements, times: times, configuration, noiseScale: noiseScale)
    }

    private func rebuilt(_ measurements: [Int: WorldDetection], times: FrameWindow<Double>, _ configuration: TrackingConfiguration,
                         noiseScale: (WorldDetection) -> Double) -> Tracklet {
        let frames = measurements.keys.sorted()
        let first = measurements[frames[0]]!
        var rebuilt = Tracklet(frame: frames[0], time: times[frames[0]], detection: first, configuration, noiseScale: noiseScale(first))
        rebuilt.kind = kind
        rebuilt.serial = serial
        rebuilt.id = id
        rebuilt.evidence = evidence
        for f in (frames[0] + 1)...frames.last! {
            rebuilt.predict(to: times[f], configuration)
            if let d = measurements[f] { rebuilt.update(frame: f, detection: d, configuration, noiseScale: noiseScale(d)) } else { rebuilt.miss(frame: f) }
        }
        return rebuilt
    }

    struct State { var frame: Int; var time: Double; var position: SIMD2<Double>; var velocity: SIMD2<Double> }

    /// Rauch-Tung-Striebel smoothed states from the first to the last detection (trailing misses dropped).
    func smoothed() -> [State] {
        guard let last = steps.lastIndex(where: { $0.detection != nil }) else { return [] }
        let used = Array(steps[0...last])
        var sx = used.map(\.filtered.0), sy = used.map(\.filtered.1)
        if used.count > 1 {
            for k in stride(from: used.count - 2, through: 0, by: -1) {
                let dt = used[k + 1].time - used[k].time
                sx[k] = rts(filtered: used[k].filtered.0, predictedNext: used[k + 1].predicted.0, smoothedNext: sx[k + 1], dt: dt)
                sy[k] = rts(filtered: used[k].filtered.1, predictedNext: used[k + 1].predicted.1, smoothedNext: sy[k + 1], dt: dt)
            }
        }
        return used.indices.map { k in
            State(frame: used[k].frame, time: used[k].time, position: SIMD2(sx[k].x[0], sy[k].x[0]), velocity: SIMD2(sx[k].x[1], sy[k].x[1]))
        }
    }
}

/// One backward step of the RTS smoother along one axis.
private func rts(filtered f: AxisFilter, predictedNext p: AxisFilter, smoothedNext s: AxisFilter, dt: Double) -> AxisFilter {
    // C = P_f F^T P_p^-1 with F = [[1, dt], [0, 1]].
    let (a00, a01, a11) = (f.p[0], f.p[1], f.p[2])
    // P_f F^T
    let m00 = a00 + dt * a01, m01 = a01
    let m10 = a01 + dt * a11, m11 = a11
    let (b00, b01, b11) = (p.p[0], p.p[1], p.p[2])
    let det = b00 * b11 - b01 * b01
    guard det > 1e-18 else { return f }
    let i00 = b11 / det, i01 = -b01 / det, i11 = b00 / det
    let c00 = m00 * i00 + m01 * i01, c01 = m00 * i01 + m01 * i11
    let c10 = m10 * i00 + m11 * i01, c11 = m10 * i01 + m11 * i11
    let d = s.x - p.x
    let x = f.x + SIMD2(c00 * d[0] + c01 * d[1], c10 * d[0] + c11 * d[1])
    // P_s = P_f + C (P_s' - P_p) C^T
    let e00 = s.p[0] - b00, e01 = s.p[1] - b01, e11 = s.p[2] - b11
    let t00 = c00 * e00 + c01 * e01, t01 = c00 * e01 + c01 * e11
    let t10 = c10 * e00 + c11 * e01, t11 = c10 * e01 + c11 * e11
    let q00 = t00 * c00 + t01 * c01, q01 = t00 * c10 + t01 * c11, q11 = t10 * c10 + t11 * c11
    return AxisFilter(x: x, p: SIMD3(a00 + q00, a01 + q01, a11 + q11))
}

extension SIMD2 where Scalar == Double {
    var length: Double { (self * self).sum().squareRoot() }
}
