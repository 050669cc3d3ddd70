import CuboidPrelabel
import Foundation
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsRoundTripThroughTheirFile() throws {
        let defaults = PrelabelConfiguration()
        let decoded = try PrelabelConfiguration.decode(defaults.encoded)
        #expect(decoded == defaults)
    }

    /// A class model without the optional rules reads with them off.
    @Test func aClassModelsOptionalRulesDefaultToOff() throws {
        let text = #"{"classes": [{"name": "Auto", "kind": "vehicle", "typical": [3.9, 1.65, 1.55], "minimum": [3, 1.4, 1.2], "maximum": [5.3, 2.1, 2]}]}"#
        let model = try #require(try PrelabelConfiguration.decode(Array(text.utf8)).classes.first)
        #expect(model.kind == .vehicle && !model.refuseAlongLongerSurface && model.fasterClass == nil && model.minimumHeightToLength == nil)
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
        // A class states its kind: the rules follow the kind, never the name.
        ("{\"classes\": [{\"name\": \"Car\", \"typical\": [3.9, 1.65, 1.55], \"minimum\": [3, 1.4, 1.2], \"maximum\": [5.3, 2.1, 2]}]}", "kind: expected a value"),
        ("{\"classes\": [{\"name\": \"Car\", \"kind\": \"lorry\", \"typical\": [3.9, 1.65, 1.55], \"minimum\": [3, 1.4, 1.2], \"maximum\": [5.3, 2.1, 2]}]}", "classes"),
        ("{\"classes\": [{\"name\": \"Walker\", \"kind\": \"person\", \"fasterClass\": \"Rider\", \"typical\": [0.85, 0.65, 1.75], \"minimum\": [0.3, 0.3, 1], \"maximum\": [1.2, 1.1, 2.1]}]}",
         "classes: expected a fasterClass that names one of the classes"),
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
