import CuboidPrelabel
import Foundation
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsRoundTripThroughTheirFile() throws {
        let defaults = PrelabelConfiguration()
        let decoded = try PrelabelConfiguration.decode(defaults.encoded)
        #expect(decoded == defaults)
    }

    @Test func partialFileKeepsTheOtherDefaults() throws {
        let text = #"{"clustering": {"cellSize": 0.15}, "minimumScore": 0.5}"#
        let configuration = try PrelabelConfiguration.decode(Array(text.utf8))
        #expect(configuration.clustering.cellSize == 0.15)
        #expect(configuration.minimumScore == 0.5)
        #expect(configuration.clustering.minimumPoints == PrelabelConfiguration().clustering.minimumPoints)
        #expect(configuration.ground == PrelabelConfiguration().ground)
    }

    @Test(arguments: [
        ("{\n  \"clustering\": {\n    \"cellSiz\": 0.1}}", "line 3: unknown key clustering.cellSiz"),
        ("{\"minimumScore\": 2}", "minimumScore: expected a value in [0, 1]"),
        ("{\"clustering\": {\"cellSize\": \"big\"}}", "clustering.cellSize: expected a value of type Double"),
        ("{\"ground\": 3}", "ground: expected an object"),
        ("{\"tracking\": {\"minimumHits\": 0}}", "tracking: expected"),
        ("{\"tracking\": {\"minimumTrackScore\": 1.5}}", "tracking.minimumTrackScore: expected a value in [0, 1]"),
        ("{\"tracking\": {\"maximumCyclistSpeed\": 3}}", "tracking: expected 0 < maximumPedestrianSpeed < maximumCyclistSpeed"),
        ("{\"tracking\": {\"minimumVehicleDetectionShare\": 1}}", "tracking.minimumVehicleDetectionShare: expected a value in [0, 1)"),
        ("{\"vehicles\": {\"heightToleranceBelow\": 0}}", "vehicles.heightToleranceBelow: expected a value > 0"),
        ("{\n\"version\": 1,,}", "line 2"),
    ])
    func badFilesNameTheProblem(text: String, expected: String) {
        do {
            _ = try PrelabelConfiguration.decode(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }
}
