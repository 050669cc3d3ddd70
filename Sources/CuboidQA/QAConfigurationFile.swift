public import CuboidFormats
import CuboidIO

// The configuration's file: reading JSON key by key (every error names its key and line) and
// writing it back (what `cuboid qa config` prints). The types and their defaults are in
// QAConfiguration.swift.

extension QAConfiguration {
    /// Parses a configuration file: keys it leaves out keep their defaults; unknown keys are refused.
    /// - Throws: `ConfigurationFileError` with the line of a syntax error or unknown key, or the key of
    ///   a value of the wrong type or out of range.
    public static func decode(_ bytes: [UInt8]) throws(ConfigurationFileError) -> QAConfiguration {
        let root: JSONNode
        do { root = try parseJSON(bytes) } catch { throw .syntax(line: error.line, column: error.column, expected: error.expected) }
        var configuration = QAConfiguration()
        try ConfigurationReader.read(root, into: &configuration)
        try configuration.validate()
        return configuration
    }

    /// Reads a configuration file.
    /// - Throws: `FileAccessError`, or a `FileDecodingError` naming the file around a `ConfigurationFileError`.
    public static func read(_ path: String) throws -> QAConfiguration {
        try FileBytes.decode(path) { (bytes) throws(ConfigurationFileError) in try decode(bytes) }
    }

    /// The configuration as indented JSON with sorted keys (what `cuboid qa config` prints).
    public var encoded: [UInt8] {
        func rule(_ rule: ClassRule) -> JSONOutput {
            .object([("distance", .number(rule.distance)), ("ignore", .array(rule.ignore.map { .string($0) })), ("threshold", .number(rule.threshold))])
        }
        func optional(_ value: Double?) -> JSONOutput { value.map { .number($0) } ?? .null }
        let root = JSONOutput.object(([
            ("attributes", attributes.map { .array($0.map { .string($0) }) } ?? .null),
            ("camera", camera.map { .string($0) } ?? .null),
            ("caseSensitiveClasses", .bool(caseSensitiveClasses)),
            ("classMap", .object(classMap.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("classes", .object(evaluatedClasses.map { ($0, rule(classes[$0]!)) })),
            ("gateMetric", .string(gateMetric.rawValue)),
            ("gold", .object([("cameraViewOnly", .bool(gold.cameraViewOnly)), ("dontCareClass", .string(gold.dontCareClass)),
                              ("dontCareShare", optional(gold.dontCareShare)), ("maximumOcclusion", optional(gold.maximumOcclusion.map(Double.init))),
                              ("maximumRange", optional(gold.maximumRange)), ("maximumTruncation", optional(gold.maximumTruncation)),
                              ("minimumHeight", optional(gold.minimumHeight)), ("minimumPoints", .number(Double(gold.minimumPoints)))])),
            ("known", .array(known.map { .string($0) })),
            ("match", .string(match.rawValue)),
            ("metrics", .array(metrics.map { .string($0.rawValue) })),
            ("missingFrames", .string(missingFrames.rawValue)),
            ("kittiDifficulties", .array(kittiDifficulties.map { level in
                .object([("maximumOcclusion", .number(Double(level.maximumOcclusion))), ("maximumTruncation", .number(level.maximumTruncation)),
                         ("minimumHeight", .number(level.minimumHeight)), ("name", .string(level.name))])
            })),
            ("nuScenes", .object([("distances", .array(nuScenes.distances.map { .number($0) })), ("errorDistance", .number(nuScenes.errorDistance)),
                                  ("halfTurnClasses", .array(nuScenes.halfTurnClasses.map { .string($0) })),
                                  ("minimumPrecision", .number(nuScenes.minimumPrecision)), ("minimumRecall", .number(nuScenes.minimumRecall)),
                                  ("noOrientationClasses", .array(nuScenes.noOrientationClasses.map { .string($0) }))])),
            ("tolerances", .object([("center", .number(tolerances.center)), ("elevation", .number(tolerances.elevation)),
                                    ("pixels", .number(tolerances.pixels)), ("reversedHeadingDegrees", .number(tolerances.reversedHeadingDegrees)),
                                    ("size", .number(tolerances.size)), ("yawDegrees", .number(tolerances.yawDegrees))])),
            ("unknownAttributeValues", .object(unknownAttributeValues.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map { .string($0) })) })),
            ("unknownClasses", .string(unknownClasses.rawValue)),
            ("version", .number(Double(version))),
        ] + goldCheckEncoded).sorted { $0.0 < $1.0 })
        return Array((root.rendered(indent: 2) + "\n").utf8)
    }
}

/// Reads a configuration's JSON tree key by key, so that every error names its key and line.
private enum ConfigurationReader {
    typealias Failure = ConfigurationFileError

    static func members(_ node: JSONNode, _ key: String, allowed: [String]?) throws(Failure) -> [(key: String, value: JSONNode)] {
        guard let members = node.members else { throw .invalid(key: key.isEmpty ? "(file)" : key, expected: "an object (line \(node.line))") }
        if let allowed {
            for member in members where !allowed.contains(member.key) {
                throw .unknownKey(line: member.value.line, key: key.isEmpty ? member.key : key + "." + member.key, allowed: allowed)
            }
        }
        return members
    }

    static func number(_ node: JSONNode, _ key: String) throws(Failure) -> Double {
        guard let value = node.number else { throw .invalid(key: key, expected: "a number (line \(node.line))") }
        return value
    }

    static func optionalNumber(_ node: JSONNode, _ key: String) throws(Failure) -> Double? {
        node.isNull ? nil : try number(node, key)
    }

    static func integer(_ node: JSONNode, _ key: String) throws(Failure) -> Int {
        let value = try number(node, key)
        guard value == value.rounded(), abs(value) < 1e15 else { throw .invalid(key: key, expected: "an integer (line \(node.line))") }
        return Int(value)
    }

    static func string(_ node: JSONNode, _ key: String) throws(Failure) -> String {
        guard let value = node.string else { throw .invalid(key: key, expected: "a string (line \(node.line))") }
        return value
    }

    static func strings(_ node: JSONNode, _ key: String) throws(Failure) -> [String] {
        guard let elements = node.elements else { throw .invalid(key: key, expected: "an array of strings (line \(node.line))") }
        var values: [String] = []
        for (index, element) in elements.enumerated() { values.append(try string(element, "\(key)[\(index)]")) }
        return values
    }

    static func choice<T: RawRepresentable & CaseIterable>(_ node: JSONNode, _ key: String, _ type: T.Type) throws(Failure) -> T where T.RawValue == String {
        let text = try string(node, key)
        guard let value = T(rawValue: text) else {
            throw .invalid(key: key, expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", ") + " (line \(node.line))")
        }
        return value
    }

    static func read(_ root: JSONNode, into configuration: inout QAConfiguration) throws(Failure) {
        let topKeys = ["version", "match", "camera", "classes", "known", "classMap", "unknownClasses", "missingFrames", "gold", "tolerances",
                       "attributes", "gateMetric", "caseSensitiveClasses", "unknownAttributeValues", "metrics", "nuScenes", "kittiDifficulties"] + goldCheckKeys
        for (key, value) in try members(root, "", allowed: topKeys) {
            switch key {
            // Gold check and finding order (issue 26).
            case "goldCheck", "findingCost": try readGoldCheck(key, value, into: &configuration)
            case "version": configuration.version = try integer(value, key)
            case "match": configuration.match = try choice(value, key, MatchCriterion.self)
            case "camera": configuration.camera = value.isNull ? nil : try string(value, key)
            case "classes":
                var classes: [String: ClassRule] = [:]
                for (name, ruleNode) in try members(value, key, allowed: nil) {
                    let path = "classes." + name
                    var rule = ClassRule(threshold: 0.5)
                    for (field, fieldValue) in try members(ruleNode, path, allowed: ["threshold", "distance", "ignore"]) {
                        switch field {
                        case "threshold": rule.threshold = try number(fieldValue, path + ".threshold")
                        case "distance": rule.distance = try number(fieldValue, path + ".distance")
                        default: rule.ignore = try strings(fieldValue, path + ".ignore")
                        }
                    }
                    classes[name] = rule
                }
                configuration.classes = classes
            case "known": configuration.known = try strings(value, key)
            case "classMap":
                var map: [String: String] = [:]
                for (name, target) in try members(value, key, allowed: nil) { map[name] = try string(target, "classMap." + name) }
                configuration.classMap = map
            case "unknownClasses":
                guard let policy = UnknownClassPolicy(rawValue: try string(value, key)) else {
                    throw .invalid(key: key, expected: "skip or error (line \(value.line))")
                }
                configuration.unknownClasses = policy
            case "missingFrames":
                guard let policy = MissingFramePolicy(name: try string(value, key)) else {
                    throw .invalid(key: key, expected: "skip, count-as-missed or error (line \(value.line))")
                }
                configuration.missingFrames = policy
            case "gold":
                let allowed = ["maximumRange", "minimumPoints", "maximumOcclusion", "maximumTruncation", "minimumHeight", "dontCareClass",
                               "dontCareShare", "cameraViewOnly"]
                for (field, fieldValue) in try members(value, key, allowed: allowed) {
                    let path = "gold." + field
                    switch field {
                    case "maximumRange": configuration.gold.maximumRange = try optionalNumber(fieldValue, path)
                    case "minimumPoints": configuration.gold.minimumPoints = try integer(fieldValue, path)
                    case "maximumOcclusion": configuration.gold.maximumOcclusion = fieldValue.isNull ? nil : try integer(fieldValue, path)
                    case "maximumTruncation": configuration.gold.maximumTruncation = try optionalNumber(fieldValue, path)
                    case "minimumHeight": configuration.gold.minimumHeight = try optionalNumber(fieldValue, path)
                    case "dontCareShare": configuration.gold.dontCareShare = try optionalNumber(fieldValue, path)
                    case "cameraViewOnly":
                        guard let flag = fieldValue.bool else { throw .invalid(key: path, expected: "true or false (line \(fieldValue.line))") }
                        configuration.gold.cameraViewOnly = flag
                    default: configuration.gold.dontCareClass = try string(fieldValue, path)
                    }
                }
            case "tolerances":
                for (field, fieldValue) in try members(value, key, allowed: ["center", "elevation", "yawDegrees", "size", "pixels", "reversedHeadingDegrees"]) {
                    let number = try number(fieldValue, "tolerances." + field)
                    switch field {
                    case "center": configuration.tolerances.center = number
                    case "elevation": configuration.tolerances.elevation = number
                    case "yawDegrees": configuration.tolerances.yawDegrees = number
                    case "pixels": configuration.tolerances.pixels = number
                    case "reversedHeadingDegrees": configuration.tolerances.reversedHeadingDegrees = number
                    default: configuration.tolerances.size = number
                    }
                }
            case "unknownAttributeValues":
                var values: [String: [String]] = [:]
                for (name, list) in try members(value, key, allowed: nil) { values[name] = try strings(list, "unknownAttributeValues." + name) }
                configuration.unknownAttributeValues = values
            case "caseSensitiveClasses":
                guard let flag = value.bool else { throw .invalid(key: key, expected: "true or false (line \(value.line))") }
                configuration.caseSensitiveClasses = flag
            case "attributes": configuration.attributes = value.isNull ? nil : try strings(value, key)
            case "metrics":
                guard let elements = value.elements else { throw .invalid(key: key, expected: "an array of metric names (line \(value.line))") }
                var metrics: [MetricDefinition] = []
                for (index, element) in elements.enumerated() {
                    let metric = try choice(element, "metrics[\(index)]", MetricDefinition.self)
                    if !metrics.contains(metric) { metrics.append(metric) }
                }
                configuration.metrics = metrics
            case "kittiDifficulties":
                guard let elements = value.elements, !elements.isEmpty else { throw .invalid(key: key, expected: "an array of levels (line \(value.line))") }
                var levels: [KITTIDifficulty] = []
                for (index, element) in elements.enumerated() {
                    let path = "kittiDifficulties[\(index)]"
                    var level = KITTIDifficulty(name: "level \(index + 1)", maximumOcclusion: 2, maximumTruncation: 0.5, minimumHeight: 25)
                    for (field, fieldValue) in try members(element, path, allowed: ["name", "maximumOcclusion", "maximumTruncation", "minimumHeight"]) {
                        switch field {
                        case "name": level.name = try string(fieldValue, path + ".name")
                        case "maximumOcclusion": level.maximumOcclusion = try integer(fieldValue, path + ".maximumOcclusion")
                        case "maximumTruncation": level.maximumTruncation = try number(fieldValue, path + ".maximumTruncation")
                        default: level.minimumHeight = try number(fieldValue, path + ".minimumHeight")
                        }
                    }
                    levels.append(level)
                }
                configuration.kittiDifficulties = levels
            case "nuScenes":
                let allowed = ["distances", "errorDistance", "minimumRecall", "minimumPrecision", "halfTurnClasses", "noOrientationClasses"]
                for (field, fieldValue) in try members(value, key, allowed: allowed) {
                    let path = "nuScenes." + field
                    switch field {
                    case "distances":
                        guard let elements = fieldValue.elements else { throw .invalid(key: path, expected: "an array of numbers (line \(fieldValue.line))") }
                        var distances: [Double] = []
                        for (index, element) in elements.enumerated() { distances.append(try number(element, path + "[\(index)]")) }
                        configuration.nuScenes.distances = distances
                    case "errorDistance": configuration.nuScenes.errorDistance = try number(fieldValue, path)
                    case "minimumRecall": configuration.nuScenes.minimumRecall = try number(fieldValue, path)
                    case "minimumPrecision": configuration.nuScenes.minimumPrecision = try number(fieldValue, path)
                    case "halfTurnClasses": configuration.nuScenes.halfTurnClasses = try strings(fieldValue, path)
                    default: configuration.nuScenes.noOrientationClasses = try strings(fieldValue, path)
                    }
                }
            default: configuration.gateMetric = try choice(value, key, GateMetric.self)
            }
        }
    }
}

// Gold check and finding order (issue 26): their keys, JSON and reading, kept apart from the rest.
extension QAConfiguration {
    /// The `goldCheck` and `findingCost` members of the configuration's JSON.
    var goldCheckEncoded: [(String, JSONOutput)] {
        let g = goldCheck
        return [
            ("findingCost", .object([("halfRange", .number(findingCost.halfRange)),
                                     ("weights", .object(findingCost.weights.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }))])),
            ("goldCheck", .object([("countInGate", .bool(g.countInGate)), ("enabled", .bool(g.enabled)), ("fitMargin", .number(g.fitMargin)),
                                   ("groundClearance", .number(g.groundClearance)), ("groundPenalty", .number(g.groundPenalty)),
                                   ("groundRadius", .number(g.groundRadius)), ("groundSearch", .number(g.groundSearch)),
                                   ("groundTolerance", .number(g.groundTolerance)), ("minimumEvidencePoints", .number(Double(g.minimumEvidencePoints))),
                                   ("nearlyEmptyPoints", .number(Double(g.nearlyEmptyPoints))), ("shellMargin", .number(g.shellMargin)),
                                   ("supportedFit", .number(g.supportedFit)), ("heldShare", .number(g.heldShare)),
                                   ("heldFitMargin", .number(g.heldFitMargin)), ("heldShareAlone", .number(g.heldShareAlone)),
                                   ("seeThroughMargin", .number(g.seeThroughMargin))].sorted { $0.0 < $1.0 })),
        ]
    }
}

extension ConfigurationReader {
    static let goldCheckKeys = ["goldCheck", "findingCost"]

    static func readGoldCheck(_ key: String, _ value: JSONNode, into configuration: inout QAConfiguration) throws(Failure) {
        if key == "findingCost" {
            for (field, fieldValue) in try members(value, key, allowed: ["halfRange", "weights"]) {
                if field == "halfRange" {
                    configuration.findingCost.halfRange = try number(fieldValue, "findingCost.halfRange")
                } else {
                    for (name, weight) in try members(fieldValue, "findingCost.weights", allowed: FindingKind.allCases.map(\.rawValue)) {
                        configuration.findingCost.weights[name] = try number(weight, "findingCost.weights." + name)
                    }
                }
            }
            return
        }
        for (field, fieldValue) in try members(value, key, allowed: GoldCheckSettings.keys) {
            let path = "goldCheck." + field
            var g = configuration.goldCheck
            switch field {
            case "enabled", "countInGate":
                guard let flag = fieldValue.bool else { throw .invalid(key: path, expected: "true or false (line \(fieldValue.line))") }
                if field == "enabled" { g.enabled = flag } else { g.countInGate = flag }
            case "nearlyEmptyPoints": g.nearlyEmptyPoints = try integer(fieldValue, path)
            case "minimumEvidencePoints": g.minimumEvidencePoints = try integer(fieldValue, path)
            case "shellMargin": g.shellMargin = try number(fieldValue, path)
            case "groundClearance": g.groundClearance = try number(fieldValue, path)
            case "groundRadius": g.groundRadius = try number(fieldValue, path)
            case "groundSearch": g.groundSearch = try number(fieldValue, path)
            case "groundTolerance": g.groundTolerance = try number(fieldValue, path)
            case "groundPenalty": g.groundPenalty = try number(fieldValue, path)
            case "fitMargin": g.fitMargin = try number(fieldValue, path)
            case "heldShare": g.heldShare = try number(fieldValue, path)
            case "heldFitMargin": g.heldFitMargin = try number(fieldValue, path)
            case "heldShareAlone": g.heldShareAlone = try number(fieldValue, path)
            case "seeThroughMargin": g.seeThroughMargin = try number(fieldValue, path)
            default: g.supportedFit = try number(fieldValue, path)
            }
            configuration.goldCheck = g
        }
    }
}
