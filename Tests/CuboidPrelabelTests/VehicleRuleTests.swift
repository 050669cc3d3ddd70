import CuboidGeometry
import Foundation
@testable import CuboidPrelabel
import Testing

@Suite struct EndOnCompletionTests {
    /// A car's rear 1.9 m across (bumper wrap included) and 1.0 m deep, straight ahead, to the
    /// left ahead and behind: the completed length runs along the line of sight, away from the sensor.
    @Test(arguments: [(20.0, 0.0), (15.0, 6.0), (-18.0, 3.0)])
    func lengthRunsAlongTheLineOfSight(x: Double, y: Double) {
        let sight = atan2(y, x)
        // Fitted footprint: its long side (1.9 m) across the line of sight.
        let observed = BEVBox(center: SIMD2(x, y), length: 1.9, width: 1.0, yaw: sight + .pi / 2)
        #expect(sightAngle(observed) < 1e-9)
        let completed = completeAlongSight(observed, toLength: 3.9, width: 1.65)
        #expect(abs(sin(completed.yaw - sight)) < 1e-9, "yaw \(completed.yaw) sight \(sight)")
        #expect(completed.length == 3.9 && completed.width == 1.9)
        // It grows away from the sensor: its centre is further out than the observed one.
        #expect((completed.center * completed.center).sum() > (observed.center * observed.center).sum())
    }

    @Test func diagonalViewIsNotEndOn() {
        let observed = BEVBox(center: SIMD2(10, 10), length: 1.8, width: 1.2, yaw: 0)
        #expect(abs(sightAngle(observed) - .pi / 4) < 1e-9)
        #expect(sightAngle(observed) > PrelabelConfiguration().vehicles.endOnSightDegrees * .pi / 180)
    }
}
