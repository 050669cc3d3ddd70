import CuboidFormats
import CuboidKernels
import CuboidIO
import Foundation

/// Every tunable of `cuboid prelabel` in one value, read from and written to one JSON file.
///
/// All distances are metres in the sensor frame (x forward, y left, z up), angles are degrees in the
/// file and radians in code only where a property says so. The defaults are chosen for a roof-mounted
/// spinning lidar with 32 to 128 beams (KITTI's HDL-64E, nuScenes' HDL-32E, Pandar/RoboSense units);
/// nothing depends on the sensor height, which is estimated per sweep. Write the defaults with
/// `cuboid prelabel --write-config FILE`; every key of the file is optional.
public struct PrelabelConfiguration: Sendable, Hashable, Codable {
    /// Version of this file's schema.
    public var version: Int = 1
    /// Region of interest.
    public var regionOfInterest = RegionOfInterest()
    /// Ground segmentation.
    public var ground = GroundSegmentationConfiguration()
    /// Clustering of the points above the ground.
    public var clustering = ClusteringConfiguration()
    /// Class models used to classify and complete clusters.
    public var classes: [ClassModel] = ClassModel.defaults
    /// Tracking and offline refinement.
    public var tracking = TrackingConfiguration()
    /// Detections kept in the output: those scoring at least this (0...1).
    public var minimumScore: Double = 0.3
    /// Rules for vehicles (Car, Van, Truck) in the detector and the tracker.
    public var vehicles = VehicleConfiguration()
    /// Rules for people (Pedestrian, Cyclist) in the detector.
    public var persons = PersonConfiguration()

    public init() {}

    /// Checks the values a run relies on.
    /// - Throws: `ConfigurationFileError` naming the first bad key.
    public func validate() throws(ConfigurationFileError) {
        func check(_ condition: Bool, _ key: String, _ expected: String) throws(ConfigurationFileError) {
            if !condition { throw .invalid(key: key, expected: expected) }
        }
        try check(regionOfInterest.maximumRange > regionOfInterest.minimumRange && regionOfInterest.minimumRange >= 0,
                  "regionOfInterest", "0 <= minimumRange < maximumRange")
        try check(ground.zones.count >= 1 && ground.zones.allSatisfy { $0.rings >= 1 && $0.sectors >= 1 && $0.outerRange > 0 },
                  "ground.zones", "at least one zone with rings >= 1, sectors >= 1, outerRange > 0")
        try check(zip(ground.zones, ground.zones.dropFirst()).allSatisfy { $0.outerRange < $1.outerRange },
                  "ground.zones", "outer ranges in increasing order")
        try check(ground.distanceThreshold > 0 && ground.seedCount >= 3 && ground.iterations >= 1,
                  "ground", "distanceThreshold > 0, seedCount >= 3, iterations >= 1")
        try check(ground.maximumTiltDegrees > 0 && ground.maximumTiltDegrees < 90, "ground.maximumTiltDegrees", "a value in (0, 90)")
        try check(clustering.cellSize > 0.02 && clustering.cellSize <= 1, "clustering.cellSize", "a value in (0.02, 1]")
        try check(clustering.minimumHeight >= 0 && clustering.maximumHeight > clustering.minimumHeight,
                  "clustering", "0 <= minimumHeight < maximumHeight")
        try check(clustering.minimumPoints >= 3, "clustering.minimumPoints", ">= 3")
        try check(clustering.minimumEvidencePoints >= 1, "clustering.minimumEvidencePoints", ">= 1")
        try check(clustering.floatingGap > 0 && clustering.maximumRoofGap >= clustering.floatingGap && clustering.stackingReach >= 0 && clustering.stackingOverlap >= 0 && clustering.minimumRoofDiagonal >= 0
                    && clustering.lowPartHeight >= 0 && clustering.maximumLowPartDiagonal >= clustering.minimumLowPartDiagonal
                    && clustering.maximumStackedDiagonal > 0,
                  "clustering", "0 < floatingGap <= maximumRoofGap, stackingReach >= 0, stackingOverlap >= 0, minimumRoofDiagonal >= 0, lowPartHeight >= 0, minimumLowPartDiagonal <= maximumLowPartDiagonal, maximumStackedDiagonal > 0")
        try check(clustering.grazingReach >= 0 && (0...10).contains(clustering.grazingSpread) && clustering.maximumGrazingDiagonal > 0
                    && clustering.maximumGrazingPieceCells >= 0,
                  "clustering", "grazingReach >= 0, grazingSpread in [0, 10] degrees, maximumGrazingDiagonal > 0, maximumGrazingPieceCells >= 0")
        try check(!classes.isEmpty && classes.allSatisfy { $0.isValid }, "classes",
                  "class models with 0 < minimum <= typical <= maximum sizes, minimumUpperSpan >= 0, minimumHeightToLength >= 0, minimumShellFraction and maximumOverheadShare in [0, 1], minimumObliqueWidthShare in [0, 1.5]")
        try check(Set(classes.map(\.name)).count == classes.count, "classes", "distinct class names")
        try check(classes.allSatisfy { model in model.fasterClass.map { faster in classes.contains { $0.name == faster } } ?? true },
                  "classes", "a fasterClass that names one of the classes")
        try check(tracking.maximumMissedFrames >= 0 && tracking.minimumHits >= 1 && tracking.gateDistance > 0 && tracking.backwardExtensionFrames >= 0,
                  "tracking", "maximumMissedFrames >= 0, minimumHits >= 1, gateDistance > 0, backwardExtensionFrames >= 0")
        try check(tracking.movingVehicleEvidenceFramesAfter >= 0 && tracking.movingVehicleEvidenceFramesBefore >= 0 && (0...1).contains(tracking.movingVehicleEvidenceInside),
                  "tracking", "movingVehicleEvidenceFramesAfter >= 0, movingVehicleEvidenceFramesBefore >= 0, movingVehicleEvidenceInside in [0, 1]")
        try check(tracking.maximumMeasurementNoiseScale >= 1, "tracking.maximumMeasurementNoiseScale", ">= 1")
        try check((0...1).contains(tracking.minimumTrackScore), "tracking.minimumTrackScore", "a value in [0, 1]")
        try check(tracking.maximumPedestrianSpeed > 0 && tracking.maximumCyclistSpeed > tracking.maximumPedestrianSpeed,
                  "tracking", "0 < maximumPedestrianSpeed < maximumCyclistSpeed")
        try check((0...1).contains(minimumScore), "minimumScore", "a value in [0, 1]")
        try check((0..<1).contains(tracking.minimumVehicleDetectionShare), "tracking.minimumVehicleDetectionShare", "a value in [0, 1)")
        try check(tracking.minimumVehicleDetections >= 1, "tracking.minimumVehicleDetections", ">= 1")
        try check(tracking.vehicleDetectionScale > 0 && tracking.minimumVehicleSpeed >= 0 && tracking.parkedVehicleSpeed >= 0
                    && (0...90).contains(tracking.maximumVehicleSidewaysDegrees),
                  "tracking", "vehicleDetectionScale > 0, minimumVehicleSpeed >= 0, parkedVehicleSpeed >= 0, maximumVehicleSidewaysDegrees in [0, 90]")
        try check((0...45).contains(vehicles.endOnSightDegrees), "vehicles.endOnSightDegrees", "a value in [0, 45]")
        try check((0...1.5).contains(vehicles.minimumSeenWidthShare), "vehicles.minimumSeenWidthShare", "a value in [0, 1.5]")
        try check(vehicles.heightToleranceBelow > 0, "vehicles.heightToleranceBelow", "a value > 0")
        try check(persons.minimumUpperWidth >= 0 && persons.upperWidthTolerance > 0 && persons.maximumOpenBottomGap >= 0 && persons.bottomGapTolerance > 0 && persons.occluderClearance >= 0
                    && (0...1).contains(persons.minimumTrackScore) && (0...1).contains(persons.minimumTrackDetectionShare) && persons.minimumTrackHeight >= 0
                    && persons.minimumWalkSpeed >= 0 && persons.minimumWalkDisplacement >= 0 && (0...1).contains(persons.minimumDetectedBoxShare)
                    && persons.besideFaceBand >= 0 && persons.besideFaceLink > 0 && persons.besideFaceMargin >= 0 && (0...1).contains(persons.minimumBesideFaceShare) && (0...1).contains(persons.minimumBesideFaceScore),
                  "persons", "minimumUpperWidth >= 0, upperWidthTolerance > 0, maximumOpenBottomGap >= 0, bottomGapTolerance > 0, occluderClearance >= 0, minimumTrackScore and minimumTrackDetectionShare in [0, 1], minimumTrackHeight >= 0, minimumWalkSpeed >= 0, minimumWalkDisplacement >= 0, minimumDetectedBoxShare in [0, 1], besideFaceBand >= 0, besideFaceLink > 0, besideFaceMargin >= 0, minimumBesideFaceShare and minimumBesideFaceScore in [0, 1]")
    }

    /// Parses a configuration file's bytes: the file's keys override the defaults, keys it leaves
    /// out keep them, and every value is checked.
    /// - Throws: `ConfigurationFileError` with the line of a syntax error or unknown key, or
    ///   the key path of a value of the wrong type or out of range.
    public static func decode(_ bytes: [UInt8]) throws(ConfigurationFileError) -> PrelabelConfiguration {
        let user: JSONNode
        do { user = try parseJSON(bytes) } catch { throw .syntax(line: error.line, column: error.column, expected: error.expected) }
        let defaults: JSONNode
        do { defaults = try parseJSON(Array(try JSONEncoder().encode(PrelabelConfiguration()))) } catch {
            preconditionFailure("the default configuration encodes: \(error)")
        }
        let merged = try overlay(user, on: defaults, path: "")
        let configuration: PrelabelConfiguration
        do {
            configuration = try JSONDecoder().decode(PrelabelConfiguration.self, from: Data(output(merged).rendered(indent: 0).utf8))
        } catch let DecodingError.typeMismatch(type, context) {
            throw .invalid(key: keyPath(context.codingPath), expected: "a value of type \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw .invalid(key: keyPath(context.codingPath), expected: "a value of type \(type)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalid(key: keyPath(context.codingPath + [key]), expected: "a value")
        } catch {
            throw .invalid(key: "(file)", expected: "a prelabel configuration: \(error)")
        }
        try configuration.validate()
        return configuration
    }

    /// Reads a configuration file.
    /// - Throws: `FileAccessError`, or a `FileDecodingError` naming the file around a
    ///   `ConfigurationFileError`.
    public static func read(_ path: String) throws -> PrelabelConfiguration {
        try FileBytes.decode(path) { (bytes) throws(ConfigurationFileError) in try decode(bytes) }
    }

    /// The configuration as indented JSON with sorted keys.
    public var encoded: [UInt8] {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let node = try parseJSON(Array(try encoder.encode(self)))
            return Array((output(node).rendered(indent: 2) + "\n").utf8)
        } catch {
            preconditionFailure("a configuration encodes: \(error)")
        }
    }
}

private func keyPath(_ path: [any CodingKey]) -> String {
    path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
}

/// `user` laid over `defaults`: objects merge key by key (a key the defaults lack is refused), any
/// other value replaces the default whole.
private func overlay(_ user: JSONNode, on defaults: JSONNode, path: String) throws(ConfigurationFileError) -> JSONNode {
    guard let userMembers = user.members, let defaultMembers = defaults.members else {
        if defaults.members != nil { throw .invalid(key: path.isEmpty ? "(file)" : path, expected: "an object (line \(user.line))") }
        return user
    }
    var merged = defaultMembers
    for (key, value) in userMembers {
        let child = path.isEmpty ? key : path + "." + key
        guard let index = merged.firstIndex(where: { $0.key == key }) else {
            throw .unknownKey(line: value.line, key: child, allowed: defaultMembers.map(\.key))
        }
        merged[index].value = try overlay(value, on: merged[index].value, path: child)
    }
    return JSONNode(value: .object(merged), line: user.line)
}

private func output(_ node: JSONNode) -> JSONOutput {
    switch node.value {
    case .null: .null
    case .bool(let value): .bool(value)
    case .number(let value): .number(value)
    case .string(let value): .string(value)
    case .array(let elements): .array(elements.map(output))
    case .object(let members): .object(members.map { ($0.key, output($0.value)) })
    }
}


/// The part of the sweep that is searched for objects.
public struct RegionOfInterest: Sendable, Hashable, Codable {
    /// Points closer than this (horizontal range) belong to the ego vehicle. Default 2.7 m.
    public var minimumRange: Double = 2.7
    /// Points further than this (horizontal range) are ignored. Default 60 m.
    public var maximumRange: Double = 60
    public init() {}
}

/// One zone of the concentric zone model: rings between the previous zone's outer range and this one.
public struct GroundZone: Sendable, Hashable, Codable {
    /// Outer horizontal range of the zone, metres.
    public var outerRange: Double
    /// Rings in the zone (equal widths).
    public var rings: Int
    /// Sectors per ring (equal angles).
    public var sectors: Int
    public init(outerRange: Double, rings: Int, sectors: Int) {
        self.outerRange = outerRange
        self.rings = rings
        self.sectors = sectors
    }
}

/// Ground segmentation by plane fits in the bins of a concentric zone model (Patchwork++ style).
public struct GroundSegmentationConfiguration: Sendable, Hashable, Codable {
    /// Zones from the inside out; the first starts at the region's minimum range. Patchwork++'s
    /// default zone model.
    public var zones: [GroundZone] = [
        GroundZone(outerRange: 12.3, rings: 2, sectors: 16),
        GroundZone(outerRange: 22.6, rings: 4, sectors: 32),
        GroundZone(outerRange: 41.3, rings: 4, sectors: 54),
        GroundZone(outerRange: 80, rings: 4, sectors: 32),
    ]
    /// Lowest points averaged for the seed level of a bin. Default 20.
    public var seedCount: Int = 20
    /// Points up to this above the seed level seed the plane fit, metres. Default 0.3.
    public var seedMargin: Double = 0.3
    /// Points within this of the bin's plane (or below it) are ground, metres. Default 0.2.
    public var distanceThreshold: Double = 0.2
    /// Plane refits per bin. Default 3.
    public var iterations: Int = 3
    /// Steepest accepted plane, degrees from horizontal. Default 15.
    public var maximumTiltDegrees: Double = 15
    /// Ground may rise at most this much above the level carried in from the inner rings, plus
    /// ``rise`` per metre of ring width: higher points never seed a bin's plane, and a plane above
    /// it is refused. Default 0.2 m (a kerb).
    public var maximumStep: Double = 0.2
    /// Allowed ground rise per metre of ring width (a 6 % grade). Default 0.06.
    public var rise: Double = 0.06
    public init() {}
}

/// Connected components of the points above the ground in a bird's-eye-view grid.
public struct ClusteringConfiguration: Sendable, Hashable, Codable {
    /// Grid cell edge, metres. Default 0.2.
    public var cellSize: Double = 0.2
    /// Points lower than this above the local ground are not clustered (kerbs, road paint, ground
    /// noise). Default 0.25 m.
    public var minimumHeight: Double = 0.25
    /// Points higher than this above the local ground are not clustered (foliage, wires, overhangs).
    /// Default 3.5 m.
    public var maximumHeight: Double = 3.5
    /// Range beyond which cells two apart still connect (the sweep gets sparse and occluders cut objects into pieces). Default 12 m.
    public var sparseRange: Double = 12
    /// Clusters with fewer points are not classified. Default 8.
    public var minimumPoints: Int = 8
    /// Clusters with at least this many points that no class fits are kept as weak evidence, which
    /// keeps a confirmed track in frames where detection failed but never starts one. Default 3.
    public var minimumEvidencePoints: Int = 3
    /// Clusters whose footprint diagonal exceeds this are walls, hedges or buildings. Default 16 m.
    public var maximumDiagonal: Double = 16
    /// A cluster whose lowest point is higher than this above the ground floats: it is part of
    /// something that stands on the ground (a car's roof above its windows). Default 0.6 m.
    public var floatingGap: Double = 0.6
    /// Floating clusters whose lowest point is higher than this are canopies and overhangs, not
    /// roofs, and are left alone. Default 1.8 m.
    public var maximumRoofGap: Double = 1.8
    /// A floating cluster joins the nearest cluster whose cells lie within this horizontal distance
    /// and whose highest point is below the floating one's lowest plus ``stackingOverlap``; 0 turns
    /// the joining off. Default 1.6 m (a rear window's slope, a bonnet's length).
    public var stackingReach: Double = 1.6
    /// How far the lower cluster may reach up past the floating one's lowest point. Default 0.2 m.
    public var stackingOverlap: Double = 0.2
    /// Floating clusters whose bounds have a shorter diagonal are not roofs (a person whose legs a
    /// car hides) and are left alone. Default 1.2 m.
    public var minimumRoofDiagonal: Double = 1.2
    /// A grounded cluster whose top is lower than this is a car's bumper and bonnet seen without its
    /// cabin (no class is that low), and joins the nearest taller cluster within ``stackingReach``
    /// behind it. Default 1.0 m.
    public var lowPartHeight: Double = 1.0
    /// Low clusters whose bounds' diagonal lies outside this range are not a car's front (a post, a
    /// low wall) and are left alone. Defaults 1.0 m and 2.6 m.
    public var minimumLowPartDiagonal: Double = 1.0
    public var maximumLowPartDiagonal: Double = 2.6
    /// Joined clusters must fit a square of this diagonal (a van's length at any heading).
    /// Default 7 m.
    public var maximumStackedDiagonal: Double = 7
    /// Pieces of one surface seen at a grazing angle join when they lie within this distance of
    /// each other along the line of sight (beyond ``sparseRange``); 0 turns the joining off. A
    /// 0.17 degree azimuth step puts the returns on a car's side seen 5 degrees off the line of
    /// sight at 40 m 1.4 m apart. Default 1.5 m.
    public var grazingReach: Double = 1.5
    /// How far apart in azimuth two pieces may lie to continue each other, degrees. Default 0.5.
    public var grazingSpread: Double = 0.5
    /// Pieces joined along the line of sight must fit a square of this diagonal. Default 6 m.
    public var maximumGrazingDiagonal: Double = 6
    /// Only a piece of at most this many cells (a grazing surface's returns, one per azimuth step)
    /// looks for the piece it continues; larger ones (a person, a cyclist) stay apart. Default 4.
    public var maximumGrazingPieceCells: Int = 4
    public init() {}
}

/// Tracking and offline refinement.
public struct TrackingConfiguration: Sendable, Hashable, Codable {
    /// Largest centre distance (world frame, metres) for a detection to join a track. Default 2.5.
    public var gateDistance: Double = 2.5
    /// Frames a track may go unseen before it ends. Default 5.
    public var maximumMissedFrames: Int = 5
    /// Detections a track needs before it is output. Default 2.
    public var minimumHits: Int = 2
    /// Process noise of the constant-velocity model, m/s² (standard deviation of acceleration).
    public var accelerationNoise: Double = 2.0
    /// Measurement noise of a detection's centre, metres (standard deviation).
    public var measurementNoise: Double = 0.3
    /// Offline, a track is filtered again with each detection's measurement noise scaled by the
    /// square root of the track's most returns over the detection's own (a box completed from a few
    /// returns, far away or half hidden, can be metres off), at most this; a detection whose axis
    /// disagrees with the track's (completed the wrong way round) takes this scale. Default 3.
    /// Larger values trust the constant-velocity model further than it holds: 5 cost KITTI
    /// tracking 0000 (tracked) Car precision 0.768 -> 0.692 and Cyclist recall 0.955 -> 0.740.
    public var maximumMeasurementNoiseScale: Double = 3
    /// Tracks whose smoothed centre moves less than this over their life are static. Default 1 m.
    public var staticDisplacement: Double = 1.0
    /// How far back (frames) a newly confirmed track looks for the detections it missed before it
    /// started. Default 30 (3 s at 10 Hz). It also bounds the frames the tracker keeps in memory.
    public var backwardExtensionFrames: Int = 30
    /// Refit each static vehicle track's box on the returns of all the frames it was seen in (the
    /// detections' outlines in the world frame): one view shows a parked car's rear, the next its
    /// side, and together they fix its corners. Default true.
    public var refitStaticTracks: Bool = true
    /// Tracks scoring less than this (0...1; the mean score of their detections times
    /// 1 - exp(-detections / 3)) are dropped. Default 0.3, the detector's own `minimumScore`: a
    /// track of two detections needs a mean score of 0.61, of five 0.37.
    public var minimumTrackScore: Double = 0.3
    /// A moving track of a class with a ``ClassModel/fasterClass`` (by default Pedestrian) whose
    /// median smoothed speed exceeds this (m/s) takes that class (Cyclist), with at least its
    /// typical size along its velocity: people walk at 1 to 2 m/s and jog at 2.5 to 3.5, cyclists
    /// ride at 4 to 8. Default 4.
    public var maximumPedestrianSpeed: Double = 4.0
    /// A moving person track (``ObjectKind/person``) whose median smoothed speed exceeds this (m/s)
    /// is a piece of a vehicle and is dropped. Default 12 (43 km/h).
    public var maximumCyclistSpeed: Double = 12.0
    /// The kinds of the classes that external detections (`--detections`) bring and no class model
    /// describes: only tracks of one kind share detections. A class in neither is of kind
    /// ``ObjectKind/other``. Default: KITTI's Tram vehicle, Person_sitting person, and Bus vehicle.
    public var externalClasses: [ClassKind] = [ClassKind(name: "Tram", kind: .vehicle), ClassKind(name: "Person_sitting", kind: .person),
                                               ClassKind(name: "Bus", kind: .vehicle)]
    /// A vehicle track's score counts its detections with this scale: the mean detection score
    /// times 1 - exp(-detections / scale). A vehicle stays in view of a 10 Hz sensor for seconds,
    /// so a few detections say less of it than of a person crossing the view. Default 3, as
    /// every track (two detections 0.49, five 0.81).
    public var vehicleDetectionScale: Double = 3
    /// Multiply a vehicle track's score by the share of the frames from its first to its last
    /// detection that have one: a vehicle seen at all is seen in most sweeps, while pieces of
    /// hedges and facades pass as one in some sweeps and not in others. Default false.
    public var vehicleDetectionShare: Bool = false
    /// A vehicle track is kept only when more than this share of the frames from its first to its
    /// last detection have one (0 turns the rule off): a vehicle in view of a 10 Hz sensor, seen
    /// at all, is detected in most sweeps (a passing occluder hides it for a few), while pieces of
    /// hedges, facades and far clutter pass as a vehicle now and then, the track carried on between
    /// them by its prediction and by evidence. Unlike ``vehicleDetectionShare`` it does not lower a
    /// kept track's score, so a far car whose detections score low but come in most sweeps stays.
    /// Default 0.25. Measured shares: on KITTI tracking 0000 (tracked) the false vehicle tracks have
    /// 8 % to 55 % of their frames detected and the true cars 76 % to 100 %; but on the synthetic
    /// drives true cars passing beside the ego, which the detector misses there, have 33 % to 50 %
    /// (0.5 cost the synthetic highway drive of seed 11 Car recall 0.961 -> 0.864), so the rule only
    /// drops the tracks that flicker most.
    public var minimumVehicleDetectionShare: Double = 0.25
    /// A moving vehicle track's direction of motion (see ``maximumVehicleSidewaysDegrees``) is
    /// judged on its frames at least this fast (m/s). Default 0: every moving track is judged on all
    /// its frames, since a track whose boxes wander across their axis is as doubtful slow as fast
    /// (KITTI tracking 0000 tracked: Car precision 0.592 with 0.25, 0.662 with 0; the synthetic
    /// drives the same).
    public var minimumVehicleSpeed: Double = 0
    /// A vehicle track that moved more than ``staticDisplacement``, along its axis (it passed the
    /// ``maximumVehicleSidewaysDegrees`` test), with a median smoothed speed below this (m/s) is
    /// static: one box for all its frames, refitted on all its returns. A parked car's completed
    /// boxes wander by a metre or two as the ego passes it and sees its rear, side and front in
    /// turn; followed frame by frame, its box turns end-on where only its front is left in view.
    /// Default 0.5 (1.8 km/h, slower than walking pace). KITTI tracking 0000 tracked, against 0
    /// (off): Car recall@0.5 0.9042 -> 0.9125, recall@0.7 0.8208 -> 0.8458, MOTA 0.6292 -> 0.6375,
    /// the same false boxes; every value from 0.3 to 0.8 gives the same figures (0.2: recall@0.7
    /// 0.833), and no other scoreboard figure changes. A car creeping in a jam slower than this
    /// over its whole track gets one box at its mean position: set 0 for such footage.
    public var parkedVehicleSpeed: Double = 0.5
    /// A moving vehicle track whose velocity makes a median angle larger than this with its boxes'
    /// axis (degrees) is dropped: vehicles drive along their axis, and a track that slides
    /// sideways joins pieces of different things. Default 25.
    public var maximumVehicleSidewaysDegrees: Double = 25
    /// A vehicle track is kept only with at least this many detections (1 turns the rule off),
    /// unless the sequence cut it short: its first detection lies within ``maximumMissedFrames`` of
    /// the sequence's first frame, or it was still live at the sequence's last. A vehicle in view
    /// of a 10 Hz sensor stays for seconds, while pieces of hedges, fences and far clutter pass as
    /// a vehicle for a few sweeps; the score rule (``minimumTrackScore``) keeps such a track when
    /// its few detections score high. Default 5 (half a second at 10 Hz). Measured on KITTI
    /// tracking 0000 (tracked with its poses): the false vehicle tracks with 2 to 4 detections held
    /// 63 of its false Car boxes and no true one; every true Car track there has 6 or more.
    public var minimumVehicleDetections: Int = 5
    /// How many frames before its first or after its last detection a static vehicle track's box
    /// may extend on weak evidence (clusters no class fitted whose footprint overlaps the box);
    /// between its detections it always keeps its box, 0 keeps it within them, and a negative
    /// value sets no bound. Default -1, no bound, since the real and the synthetic data disagree:
    /// on KITTI tracking 0000 (tracked) the boxes 4 to 9 frames before a parked car's first
    /// detection matched no gold car (the evidence was the fence beside it) and those 1 to 3
    /// frames before did, so a bound of 3 raised Car precision 0.765 -> 0.803 at the same recall;
    /// but the synthetic drives' far parked cars go undetected for up to 6 frames at a drive's
    /// start with a few returns of evidence on them, and a bound of 3 cost the residential drive
    /// of seed 12 Car recall 0.925 -> 0.862 (0 cost seed 0's 0.935 -> 0.895).
    public var vehicleEvidenceFramesBeyondDetections: Int = -1
    /// How many frames after its last detection a moving vehicle track's box may extend, carried on
    /// at its smoothed velocity, on weak evidence (a cluster no class fits) lying inside it (see
    /// ``movingVehicleEvidenceInside``); 0 turns this off. A car leaving a camera-cropped sweep shows
    /// only the part still in view, which no class fits. Default 3. Measured on KITTI tracking 0000
    /// (tracked with its poses): 0 -> 3 raised Car recall@0.5 0.912 -> 0.925 and MOTA 0.637 -> 0.650
    /// (a car crossing out of the camera's view, 3 frames) with the same false boxes; on the
    /// synthetic highway drives of seeds 11 and 13 Car MOTA 0.913 -> 0.922 and 0.842 -> 0.858, their
    /// precision@0.7 0.934 -> 0.925 and 0.869 -> 0.865 (boxes carried on that match at 0.5, not 0.7).
    public var movingVehicleEvidenceFramesAfter: Int = 3
    /// The same as ``movingVehicleEvidenceFramesAfter``, before a moving vehicle track's first
    /// detection. Default 0, since the real and the synthetic data disagree: 3 raised the synthetic
    /// drives' Car recall@0.5 (highway 0.955 -> 0.962, residential 0.935 -> 0.941, a car entering
    /// the view labelled from its first returns) but added 3 false Car boxes on KITTI tracking 0000,
    /// whose labellers start a car 3 frames after it first shows (MOTA 0.650 -> 0.637).
    public var movingVehicleEvidenceFramesBefore: Int = 0
    /// The least share of the evidence's footprint inside the carried box for
    /// ``movingVehicleEvidenceFramesAfter`` and ``movingVehicleEvidenceFramesBefore``. Default 0.5.
    public var movingVehicleEvidenceInside: Double = 0.5
    public init() {}
}

/// Rules for vehicles in the detector and the tracker.
public struct VehicleConfiguration: Sendable, Hashable, Codable {
    /// A vehicle is seen end-on when both sides of its fitted footprint are no longer than the
    /// class's largest width, two faces are seen (the footprint is at least `singleFaceWidth` wide),
    /// neither end of it is hidden behind nearer returns (a side cut short by an occluder looks
    /// the same), and one of its axes lies within this angle of the line of sight, degrees: its box is then
    /// completed with its length along that axis, since what the lidar sees of a vehicle's end runs
    /// across the line of sight and its hidden length along it (a bumper wider than a typical car
    /// otherwise gets the length across it). 0 turns the rule off. A diagonal view (45 degrees)
    /// tells nothing. Default 30.
    public var endOnSightDegrees: Double = 30
    /// A vehicle's fitted footprint is at least this share of the class's smallest width long, its
    /// score falling to 0 over a further 0.3 of that width below: every view of a vehicle shows at
    /// least one of its ends or sides whole, unless something hides it, while pieces of hedges,
    /// shrubs and facades that clustering cut out are often shorter. Default 0.85 (a car's end seen
    /// at 27 m by a 64-beam sensor spans 1.3 m of its 1.7 m: its rounded corners return no
    /// light).
    public var minimumSeenWidthShare: Double = 0.85
    /// How far a vehicle's highest return may lie below its class's smallest height, metres, its
    /// score falling to 0 over this (persons and heights above the largest keep 0.25 m). Where the
    /// rings lie further apart than this the top may lie one beam step above the highest return
    /// (see the classifier's top allowance), so only near objects, whose roofs the rings cover
    /// densely, are held to it: low walls, hedges and bushes 1.0 m to 1.15 m high, dense and near,
    /// passed as cars 1.2 m high. Default 0.1.
    public var heightToleranceBelow: Double = 0.1
    public init() {}
}

/// Rules that tell a person (Pedestrian, Cyclist) from street furniture of a person's size in one
/// sweep (see `PersonShape`): the upper body, the returns at least half the cluster's height up.
public struct PersonConfiguration: Sendable, Hashable, Codable {
    /// A person's upper body spans at least this across the line of sight (shoulders are 0.35 m to
    /// 0.5 m across, a torso seen side-on 0.25 m to 0.3 m deep), metres; poles and sign posts are
    /// 0.05 m to 0.2 m. The score falls to 0 over ``upperWidthTolerance`` below. Default 0.25.
    public var minimumUpperWidth: Double = 0.25
    /// Default 0.1 m.
    public var upperWidthTolerance: Double = 0.1
    /// A person's lowest return lies at most this far above the ground plus one beam step (the
    /// clustering starts at `clustering.minimumHeight`, 0.25 m), metres, unless returns nearer the
    /// sensor (by ``occluderClearance``) lie in front of it (its legs hidden); the score falls to 0
    /// over ``bottomGapTolerance`` above. Default 0.5.
    public var maximumOpenBottomGap: Double = 0.5
    /// Default 0.3 m.
    public var bottomGapTolerance: Double = 0.3
    /// Returns in a cluster's azimuth span at least this much nearer the sensor than the cluster's
    /// nearest return may hide its legs, metres. Default 0.5.
    public var occluderClearance: Double = 0.5
    /// A person's track (Pedestrian or Cyclist) is handed out only when its score, the mean score of
    /// its detections times 1 - exp(-detections / 3), is at least this (the tracker's
    /// `tracking.minimumTrackScore` applies to every track as well). Default 0, off: 0.5 dropped
    /// 32 of KITTI tracking 0000's 210 false Pedestrian boxes left by the two rules below, but cost
    /// the synthetic urban drive Pedestrian recall 0.912 -> 0.838 (its people's tracks are short:
    /// the drives have 10 frames, and the factor for the detections' count holds them down).
    public var minimumTrackScore: Double = 0
    /// A person's track is handed out only when its detections cover at least this share of the
    /// frames from its first to its last detection: a person in view is detected in most sweeps,
    /// while clutter of a person's size (shrubs, a hedge's end, a pole, a piece of a fence) passes
    /// the person rules only from some viewpoints, the track carried between those sweeps by its
    /// prediction and by evidence. Default 0.6. Measured (tracked with poses): KITTI tracking 0000's
    /// false Pedestrian boxes 637 -> 210 with the height rule below (0.75: 45, but the synthetic
    /// drives lose true people then: urban seed 13 Pedestrian recall 0.736 -> 0.626); the true
    /// Pedestrian and Cyclist tracks there have a detection in 4 of 4 and 144 of 154 frames.
    public var minimumTrackDetectionShare: Double = 0.6
    /// A person's track is handed out only when the median height of its detections is at least
    /// this, metres (a detection's box is never lower than its class's smallest height): people
    /// stand 1.5 m to 1.9 m, while hedges, low walls and fence pieces cut at 1.0 m to 1.1 m stay
    /// that low in every sweep (on KITTI tracking 0000, 9 of the 35 false person tracks). One
    /// sweep of a crouching person or a child does not drop a track; only a track that stays low.
    /// Default 1.2.
    public var minimumTrackHeight: Double = 1.2
    /// A person's track whose smoothed centre moved less than `tracking.staticDisplacement` is still
    /// moving, its boxes following it, when it moved at least ``minimumWalkDisplacement`` at a mean
    /// speed (first to last frame) of at least this, m/s: a person seen walking for half a second
    /// moves 0.5 m, and a box pinned at the mean position lags them at both ends. A static
    /// object's centre, jittering over a long track, moves slower on average. 0 turns the rule
    /// off. Default 0.5 (people walk at 1 to 2 m/s). Measured (tracked): KITTI tracking 0000
    /// Pedestrian recall@0.5 0.095 -> 0.190 (its walker seen for 4 sweeps); the synthetic drives'
    /// Pedestrian recall@0.5 rises on every drive with people (urban 0.912 -> 0.971, residential
    /// seed 11 0.615 -> 0.936).
    public var minimumWalkSpeed: Double = 0.5
    /// See ``minimumWalkSpeed``, metres. Default 0.3.
    public var minimumWalkDisplacement: Double = 0.3
    /// A static person's box may extend before its first and after its last detection on weak
    /// evidence (clusters no class fitted whose footprint overlaps the box) only as far as at least
    /// this share of the track's boxes still rests on its detections; the frames nearest the
    /// detections come first, alternating sides. A person standing in view is detected in most
    /// sweeps, while a pole or a trunk that passed the person rules for a few sweeps keeps its
    /// evidence for as long as it is in view. 0 sets no bound. Default 0.5. Measured (tracked with
    /// poses), against no bound: KITTI tracking 0000's false Pedestrian boxes 194 -> 159 at the same
    /// recall (one pole's track, 7 detections in 10 frames, had been carried 35 frames on
    /// evidence), KITTI raw 0005's (estimated poses) 104 -> 78; no figure of the synthetic drives
    /// changes (a bound of 0 frames cost the urban drive Pedestrian recall 0.971 -> 0.912: people
    /// undetected in the drive's first 5 frames, seen again later).
    public var minimumDetectedBoxShare: Double = 0.5
    /// A person beside a wall or a fence joins it in the clustering grid. A cluster no class fits
    /// that is mostly one face (at least ``minimumBesideFaceShare`` of its returns within this of
    /// one line at least 1.5 m long, bird's-eye view) gives up the returns more than this beyond
    /// the face on the sensor's side; linked within ``besideFaceLink``, each piece the face passes
    /// behind (see ``besideFaceMargin``) is classified alone and kept when a person class scores it
    /// at least ``minimumBesideFaceScore``. Metres; 0 turns the split off. Default 0.3. Measured
    /// against no split (KITTI tracking 0000, whose one person near the camera walks 0.3 m to
    /// 0.5 m from a fence for 16 frames): Pedestrian recall@0.5 tracked with poses 0.190 -> 0.571,
    /// precision 0.025 -> 0.067, each sweep alone 0.238 -> 0.810; no synthetic, KITTI object,
    /// SUSTechPOINTS or nuScenes figure changes.
    public var besideFaceBand: Double = 0.3
    /// See ``besideFaceBand``, metres. Default 0.25.
    public var besideFaceLink: Double = 0.25
    /// A piece split off a face (see ``besideFaceBand``) stands before it: the face goes on at
    /// least this far past the piece at both ends (a wall's corner or its end is no person).
    /// Metres. Default 0.5.
    public var besideFaceMargin: Double = 0.5
    /// See ``besideFaceBand``. Default 0.8.
    public var minimumBesideFaceShare: Double = 0.8
    /// A piece split off a face (see ``besideFaceBand``) is kept only with at least this score:
    /// pieces of a wall (a pillar, a shrub before a fence) pass the person rules more often than
    /// whole clusters do. Default 0.8. Measured on KITTI tracking 0000 (tracked with poses) and
    /// raw drive 0005 (estimated poses): with no floor, 0005's false Cyclist boxes 11 -> 16 (pieces
    /// of walls that seem to move as the ego passes) and 0000's Pedestrian recall 0.524; 0.7 gives
    /// 0000 recall 0.524 with 174 false boxes, 0.8 0.571 with 167, 0.85 0.381 with 171 (the
    /// person's first sweeps, the upper body over a parked car, score 0.80 to 0.90).
    public var minimumBesideFaceScore: Double = 0.8
    public init() {}
}
