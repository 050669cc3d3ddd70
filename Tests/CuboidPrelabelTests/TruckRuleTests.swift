import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation
@testable import CuboidPrelabel
import Testing

/// An axis-aligned solid in the sensor frame (x forward, y left, metres; heights above the ground).
struct Solid: Sendable {
    var x: ClosedRange<Double>, y: ClosedRange<Double>, height: ClosedRange<Double>
}

/// One sweep of a spinning lidar 1.73 m above flat ground, ray-cast against `solids`: rings every
/// 0.4 degree from 24.9 degrees down to 15 degrees up (a sensor that sees up high, as
/// SUSTechPOINTS' does), azimuths every 0.2 degree over the front half, ground out to 60 m.
func castSweep(_ solids: [Solid]) -> PointCloud {
    let mount = 1.73
    var x: [Float] = [], y: [Float] = [], z: [Float] = []
    for ring in 0..<100 {
        let elevation = (-24.9 + 0.4 * Double(ring)) * .pi / 180
        for step in 0...900 {
            let azimuth = (-90 + 0.2 * Double(step)) * .pi / 180
            let direction = SIMD3(cos(elevation) * cos(azimuth), cos(elevation) * sin(azimuth), sin(elevation))
            var nearest = elevation < 0 ? mount / -direction.z : Double.infinity
            if nearest * cos(elevation) > 60 { nearest = .infinity }
            for solid in solids {
                // Slab intersection with the box (heights relative to the ground).
                var enter = 0.0, leave = Double.infinity
                let low = SIMD3(solid.x.lowerBound, solid.y.lowerBound, solid.height.lowerBound - mount)
                let high = SIMD3(solid.x.upperBound, solid.y.upperBound, solid.height.upperBound - mount)
                var hit = true
                for axis in 0..<3 {
                    if abs(direction[axis]) < 1e-12 {
                        if 0 < low[axis] || 0 > high[axis] { hit = false }
                        continue
                    }
                    let a = low[axis] / direction[axis], b = high[axis] / direction[axis]
                    enter = max(enter, min(a, b))
                    leave = min(leave, max(a, b))
                }
                if hit && enter <= leave && enter > 0 { nearest = min(nearest, enter) }
            }
            guard nearest.isFinite else { continue }
            let p = direction * nearest
            x.append(Float(p.x)); y.append(Float(p.y)); z.append(Float(p.z))
        }
    }
    return PointCloud(x: x, y: y, z: z)
}

/// Things in one sweep that are or look like a truck's side: a truck is a box with a roof no
/// higher than the class's largest height, standing alone, that shows its end when seen at an
/// angle; a facade goes on up past it, a wall or a fence goes on along its line past the longest
/// truck, and a wall seen at an angle shows one thin face.
struct TruckLookalikeScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let solids: [Solid]
    /// Where the thing's near face lies, to find its detection.
    let near: SIMD2<Double>
    let truck: Bool
    /// Whether the scenario is run with Truck's ``ClassModel/minimumObliqueWidthShare`` at 0.85
    /// (off by default; see its documentation).
    var obliqueRule = false
    /// Whether the scenario is run with Truck's ``ClassModel/refuseAlongLongerSurface`` on (off by
    /// default; see its documentation).
    var surfaceRule = false
    var testDescription: String { name }

    /// A truck's body on its wheels: a box from 0.5 m up to `top`, wheels under it, its body's
    /// footprint `x` by `y`.
    static func truck(x: ClosedRange<Double>, y: ClosedRange<Double>, top: Double = 3.3) -> [Solid] {
        var solids = [Solid(x: x, y: y, height: 0.5...top)]
        let alongX = x.upperBound - x.lowerBound > y.upperBound - y.lowerBound
        let ends = alongX ? [x.lowerBound + 0.8, x.upperBound - 1.6, x.upperBound - 0.8] : [y.lowerBound + 0.8, y.upperBound - 1.6, y.upperBound - 0.8]
        for along in ends {
            let span = (along - 0.5)...(along + 0.5)
            solids.append(alongX ? Solid(x: span, y: y, height: 0...0.9) : Solid(x: x, y: span, height: 0...0.9))
        }
        return solids
    }

    static let all = [
        TruckLookalikeScenario(name: "a truck seen broadside", solids: truck(x: 18...20.5, y: -5...5), near: SIMD2(18, 0), truck: true),
        TruckLookalikeScenario(name: "a truck's rear and side seen at an angle", solids: truck(x: 20...30, y: -9...(-6.5)), near: SIMD2(24, -6.5), truck: true,
                               obliqueRule: true),
        TruckLookalikeScenario(name: "a facade going on up past a truck's height", solids: [Solid(x: 18...30, y: -5...5, height: 0...12)],
                               near: SIMD2(18, 0), truck: false),
        TruckLookalikeScenario(name: "a wall in pieces along a 30 m stretch",
                               solids: [Solid(x: 18...18.3, y: -15.5...(-5.4), height: 0...3.3), Solid(x: 18...18.3, y: -4.6...4.6, height: 0...3.3),
                                        Solid(x: 18...18.3, y: 5.4...15.5, height: 0...3.3)],
                               near: SIMD2(18, 0), truck: false, surfaceRule: true),
        TruckLookalikeScenario(name: "a wall 10 m long seen at an angle along the street", solids: [Solid(x: 20...30, y: -6.8...(-6.5), height: 0...3.3)],
                               near: SIMD2(24, -6.5), truck: false, obliqueRule: true),
    ]
}

@Suite struct TruckLookalikeTests {
    /// The detector on a ray-cast sweep: only the truck-shaped clusters come out as a Truck.
    @Test(arguments: TruckLookalikeScenario.all)
    func onlyATruckIsATruck(_ scenario: TruckLookalikeScenario) {
        var configuration = PrelabelConfiguration()
        for k in configuration.classes.indices where configuration.classes[k].name == "Truck" {
            if scenario.obliqueRule { configuration.classes[k].minimumObliqueWidthShare = 0.85 }
            if scenario.surfaceRule { configuration.classes[k].refuseAlongLongerSurface = true }
        }
        let detections = LidarDetector(configuration: configuration).detect(castSweep(scenario.solids)).detections
        let trucks = detections.filter { $0.category == "Truck" }
        let nearby = trucks.filter { d in
            let corners = d.cuboid.bev.corners
            return corners.contains { ($0 - scenario.near).length < 12 }
        }
        #expect(!nearby.isEmpty == scenario.truck, "\(detections.map { "\($0.category) \($0.cuboid.x) \($0.cuboid.y) \($0.score)" })")
    }

    /// Each rule is what refuses its lookalike: without it the lookalike passes as a truck.
    @Test func withoutTheRulesTheLookalikesAreTrucks() {
        var configuration = PrelabelConfiguration()
        for k in configuration.classes.indices {
            configuration.classes[k].maximumOverheadShare = nil
            configuration.classes[k].refuseAlongLongerSurface = false
            configuration.classes[k].minimumObliqueWidthShare = nil
        }
        for scenario in TruckLookalikeScenario.all where !scenario.truck {
            let detections = LidarDetector(configuration: configuration).detect(castSweep(scenario.solids)).detections
            #expect(detections.contains { $0.category == "Truck" }, "\(scenario.name): \(detections.map { "\($0.category) \($0.cuboid.x) \($0.cuboid.y)" })")
        }
    }
}

@Suite struct TruckShellTests {
    /// A truck's lower body is an opaque shell (``ClassModel/minimumShellFraction`` 0.6): a tree row
    /// or a hedge as tall and long as a truck, two thirds of whose lower returns come from inside
    /// it, is no truck; with the 0.5 every vehicle class needs it would be one.
    @Test(arguments: [true, false])
    func aTrucksLowerBodyIsAShell(shell: Bool) {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        // A side 9 m long at x = 20 (facing the sensor) and 2.4 m deep, 3.2 m high.
        var k = 0
        for ph in stride(from: 0.3, through: 3.2, by: 0.1) {
            for py in stride(from: -4.5, through: 4.5, by: 0.1) {
                k += 1
                // Foliage: below 2 m, 13 of every 20 returns come from 0.3 m to 2.3 m behind the face.
                let depth = shell || ph > 2.0 || k % 20 < 7 ? 0 : 0.3 + Double(k % 20) / 10
                x.append(Float(20 + depth)); y.append(Float(py)); h.append(Float(ph))
            }
        }
        for px in stride(from: 20.1, through: 22.4, by: 0.1) { x.append(Float(px)); y.append(-4.5); h.append(3.2) }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: h.map { $0 - 1.73 }), heights: h)
        let features = ClusterFeatures(cluster, footprint: LShapeFitter.prelabel.fit(cluster.footprint)!)
        let truck = ClassModel.defaults.first { $0.name == "Truck" }!
        #expect((features.shellFraction >= 0.6) == shell, "shell fraction \(features.shellFraction)")
        #expect((features.score(for: truck) >= PrelabelConfiguration().minimumScore) == shell, "score \(features.score(for: truck))")
        var lenient = truck
        lenient.minimumShellFraction = nil
        #expect(features.score(for: lenient) >= PrelabelConfiguration().minimumScore)
    }
}
