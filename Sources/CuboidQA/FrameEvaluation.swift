import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation

/// Matched pairs compared on one attribute, and how many agreed.
struct AttributeCount: Sendable, Hashable, Codable {
    var compared = 0
    var agreed = 0
}

/// One frame of one tasker, as the per-frame pass leaves it for the per-tasker sums (and as a shard
/// stores it for `cuboid qa merge`).
struct FrameOutcome: Sendable, Hashable, Codable {
    struct ClassOutcome: Sendable, Hashable, Codable {
        var category: String
        var metrics: DetectionMetrics
        var apFrame: APFrame
        /// nil when a box lacks a track id.
        var tracking: TrackingInput?
    }

    var scored: Bool
    var classes: [ClassOutcome] = []
    var findings: [QAFinding] = []
    /// Counts by "gold\0labelled".
    var confusion: [String: Int] = [:]
    var attributes: [String: AttributeCount] = [:]
    var skips = QASkips()
}

extension FrameMatcher {
    /// The frame's objects as the matcher sees them: classes renamed, geometry and point counts taken.
    func prepare(_ frame: LabeledFrame, counts: [Int]?) -> [PreparedObject] {
        frame.objects.enumerated().map { index, object in
            PreparedObject(index: index, category: configuration.canonical(object.category), cuboid: object.cuboid,
                           box: cameraName.flatMap { object.box(inCamera: $0) }, points: counts?[index])
        }
    }

    /// Scores one frame of one tasker: matching per class, then the findings.
    func evaluate(gold goldFrame: LabeledFrame, labelled labelFrame: LabeledFrame, cloud: PointCloud?) -> FrameOutcome {
        var outcome = FrameOutcome(scored: true)
        let gold = prepare(goldFrame, counts: cloud.map { $0.pointCounts(inside: goldFrame.objects) })
        let labelled = prepare(labelFrame, counts: cloud.map { $0.pointCounts(inside: labelFrame.objects) })
        let known = Set(configuration.known)
        for (source, objects) in [(goldFrame, gold), (labelFrame, labelled)] {
            for object in objects where source.objects[object.index].category != object.category {
                outcome.skips.renamedClasses[source.objects[object.index].category + " -> " + object.category, default: 0] += 1
            }
        }
        for (side, objects) in [(0, gold), (1, labelled)] {
            for object in objects where configuration.classes[object.category] == nil {
                if object.category == configuration.gold.dontCareClass { continue }
                if known.contains(object.category) {
                    if side == 0 { outcome.skips.notEvaluatedGold += 1 } else { outcome.skips.notEvaluatedLabels += 1 }
                } else if side == 0 {
                    outcome.skips.unknownGoldClasses[object.category, default: 0] += 1
                } else {
                    outcome.skips.unknownLabelClasses[object.category, default: 0] += 1
                }
            }
            for object in objects where configuration.classes[object.category] != nil && !hasGeometry(object) {
                if side == 0 { outcome.skips.goldWithoutGeometry += 1 } else { outcome.skips.labelsWithoutGeometry += 1 }
            }
        }
        let dontCare = symmetric ? [] : gold.compactMap { $0.category == configuration.gold.dontCareClass ? $0.box : nil }
        var leftoverGold: [(category: String, object: PreparedObject)] = []
        var leftoverLabels: [(category: String, object: PreparedObject)] = []
        var matchedGold: [(category: String, gold: PreparedObject, label: PreparedObject)] = []
        for category in configuration.evaluatedClasses {
            let match = self.match(category: category, gold: gold, goldSource: goldFrame.objects, labelled: labelled, dontCare: dontCare)
            var metrics = DetectionMetrics()
            metrics.truePositives = match.matches.count
            metrics.falseNegatives = match.counted.count - match.matches.count
            metrics.falsePositives = match.labelled.count - match.matches.count - match.ignoredLabels.count
            metrics.ignoredLabels = match.ignoredLabels.count
            outcome.skips.ignoredGold += match.ignoredGold.filter { $0.category == category }.count
            outcome.skips.filteredLabels += match.filteredLabels
            let tolerances = configuration.tolerances
            for pair in match.matches {
                let g = match.counted[pair.gold], l = match.labelled[pair.label]
                metrics.overlapSum += pair.overlap
                let deviation: BoxDeviation
                if configuration.match.usesCuboids {
                    let a = g.cuboid!, b = l.cuboid!
                    metrics.translationErrorSum += planarDistance(a, b)
                    metrics.scaleErrorSum += 1 - alignedVolumeIoU(a, b)
                    metrics.orientationErrorSum += abs(shortestArc(from: a.yaw, to: b.yaw))
                    deviation = BoxDeviation(gold: a, labelled: b)
                } else {
                    let a = g.box!, b = l.box!
                    let dx = a.center.x - b.center.x, dy = a.center.y - b.center.y
                    metrics.translationErrorSum += (dx * dx + dy * dy).squareRoot()
                    let intersection = min(a.width, b.width) * min(a.height, b.height)
                    let union = a.area + b.area - intersection
                    metrics.scaleErrorSum += union > 0 ? 1 - intersection / union : 0
                    deviation = BoxDeviation(gold: a, labelled: b)
                }
                outcome.confusion[category + "\u{0}" + category, default: 0] += 1
                let words = deviation.describe(tolerances)
                if !words.isEmpty {
                    metrics.inaccurate += 1
                    outcome.findings.append(finding(.inaccurate, frame: goldFrame, labelFrame: labelFrame, category: category, gold: g, label: l,
                                                    overlap: pair.overlap, deviation: deviation, words: words))
                }
                matchedGold.append((category, g, l))
                compareAttributes(goldFrame.objects[g.index], labelFrame.objects[l.index], into: &outcome.attributes)
            }
            let matchedGoldSet = Set(match.matches.map(\.gold)), matchedLabelSet = Set(match.matches.map(\.label))
            for (k, object) in match.counted.enumerated() where !matchedGoldSet.contains(k) { leftoverGold.append((category, object)) }
            for (k, object) in match.labelled.enumerated() where !matchedLabelSet.contains(k) && !match.ignoredLabels.contains(k) {
                leftoverLabels.append((category, object))
            }
            var apInput = apFrame(match, labelFrame: labelFrame)
            if computesKITTI {
                let ofClass = labelled.filter { $0.category == category && hasGeometry($0) }
                apInput.kitti = KITTICalculator.frame(
                    gold: gold.filter(hasGeometry), goldSource: goldFrame.objects, labelled: ofClass,
                    scores: ofClass.map { labelFrame.objects[$0.index].score }, category: category,
                    neighbours: configuration.classes[category]!.ignore, threshold: threshold(category), dontCare: dontCare,
                    useDontCare: configuration.match == .iou2D, similarity: similarity, levels: configuration.kittiDifficulties)
            }
            outcome.classes.append(FrameOutcome.ClassOutcome(category: category, metrics: metrics,
                                                             apFrame: apInput,
                                                             tracking: trackingInput(match, goldFrame: goldFrame, labelFrame: labelFrame)))
        }
        // Labelled boxes of known classes that are not evaluated can explain a miss ("labelled Van, gold Car").
        for object in labelled where configuration.classes[object.category] == nil && known.contains(object.category) && hasGeometry(object) {
            leftoverLabels.append((object.category, object))
        }
        explainLeftovers(gold: leftoverGold, labels: leftoverLabels, matched: matchedGold, goldFrame: goldFrame, labelFrame: labelFrame,
                         into: &outcome)
        if let cloud, configuration.goldCheck.enabled, configuration.match.usesCuboids {
            GoldCheck.annotate(&outcome.findings, cloud: cloud, settings: configuration.goldCheck)
        }
        return outcome
    }

    /// Pairs the frame's unmatched gold and labelled boxes that lie near each other, so that the
    /// feedback says "labelled Van, gold Car" or "too far off" instead of a miss and an extra; what
    /// stays unpaired becomes "missed", "duplicate" or "extra".
    func explainLeftovers(gold: [(category: String, object: PreparedObject)], labels: [(category: String, object: PreparedObject)],
                          matched: [(category: String, gold: PreparedObject, label: PreparedObject)],
                          goldFrame: LabeledFrame, labelFrame: LabeledFrame, into outcome: inout FrameOutcome) {
        var pairedGold = Set<Int>(), pairedLabels = Set<Int>()
        if !gold.isEmpty && !labels.isEmpty {
            let similarities = similarity(labels.map(\.object), gold.map(\.object))
            // Near: IoU at least 0.1, or centres within twice the class distance.
            var cost = Matrix(rows: labels.count, columns: gold.count, repeating: .nan)
            for l in labels.indices {
                for g in gold.indices {
                    let value = similarities[l, g]
                    let near = configuration.match == .centerDistance
                        ? -value <= 2 * configuration.classes[gold[g].category]!.distance : value >= 0.1
                    guard near else { continue }
                    let normalised = configuration.match == .centerDistance ? 1 / (1 - value) : value
                    cost[l, g] = -(normalised + (labels[l].category == gold[g].category ? 1 : 0))
                }
            }
            for pair in optimalAssignment(cost: cost) {
                let g = gold[pair.column], l = labels[pair.row]
                pairedGold.insert(pair.column)
                pairedLabels.insert(pair.row)
                let value = similarities[pair.row, pair.column]
                let overlap = overlap(g.object, l.object, similarity: value)
                let deviation = configuration.match.usesCuboids
                    ? BoxDeviation(gold: g.object.cuboid!, labelled: l.object.cuboid!) : BoxDeviation(gold: g.object.box!, labelled: l.object.box!)
                let words = deviation.describe(configuration.tolerances)
                if g.category == l.category {
                    outcome.confusion[g.category + "\u{0}none", default: 0] += 1
                    outcome.confusion["none\u{0}" + l.category, default: 0] += 1
                    outcome.findings.append(finding(.belowThreshold, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object,
                                                    label: l.object, overlap: overlap, deviation: deviation, words: words))
                } else {
                    outcome.confusion[g.category + "\u{0}" + l.category, default: 0] += 1
                    outcome.findings.append(finding(.misclassified, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object,
                                                    label: l.object, overlap: overlap, deviation: deviation, words: words))
                }
            }
        }
        for (k, g) in gold.enumerated() where !pairedGold.contains(k) {
            outcome.confusion[g.category + "\u{0}none", default: 0] += 1
            outcome.findings.append(finding(.missed, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object, label: nil,
                                            overlap: nil, deviation: nil, words: []))
        }
        for (k, l) in labels.enumerated() where !pairedLabels.contains(k) && configuration.classes[l.category] != nil {
            outcome.confusion["none\u{0}" + l.category, default: 0] += 1
            // A second box on a gold box that is already matched.
            let candidates = matched.filter { $0.category == l.category }
            var duplicateOf: (gold: PreparedObject, overlap: Double)?
            if !candidates.isEmpty {
                let values = similarity([l.object], candidates.map(\.gold))
                for (c, candidate) in candidates.enumerated() where values[0, c] >= threshold(l.category) {
                    let overlap = overlap(candidate.gold, l.object, similarity: values[0, c])
                    if duplicateOf.map({ overlap > $0.overlap }) ?? true { duplicateOf = (candidate.gold, overlap) }
                }
            }
            if let duplicateOf {
                outcome.findings.append(finding(.duplicate, frame: goldFrame, labelFrame: labelFrame, category: l.category, gold: duplicateOf.gold,
                                                label: l.object, overlap: duplicateOf.overlap, deviation: nil, words: []))
            } else {
                outcome.findings.append(finding(.extra, frame: goldFrame, labelFrame: labelFrame, category: l.category, gold: nil, label: l.object,
                                                overlap: nil, deviation: nil, words: []))
            }
        }
    }

    func finding(_ kind: FindingKind, frame goldFrame: LabeledFrame, labelFrame: LabeledFrame, category: String, gold: PreparedObject?,
                 label: PreparedObject?, overlap: Double?, deviation: BoxDeviation?, words: [String]) -> QAFinding {
        let subject = kind == .extra || kind == .duplicate ? label : gold ?? label
        let range = subject.flatMap { $0.cuboid.map(horizontalRange) }
        let points = subject?.points
        let thresholdText: String? = configuration.classes[category].map { rule in
            configuration.match == .centerDistance ? fixed(rule.distance, decimals: 2) + " m" : fixed(rule.threshold, decimals: 2)
        }
        let message = QAFinding.message(kind: kind, category: category, labelledCategory: label.map(\.category), overlap: overlap,
                                        threshold: thresholdText, range: range, points: points, deviation: words, criterion: configuration.match)
        let goldObject = gold.map { goldFrame.objects[$0.index] }, labelObject = label.map { labelFrame.objects[$0.index] }
        return QAFinding(kind: kind, frame: goldFrame.name, category: category, goldIndex: gold?.index, goldTrack: goldObject?.trackID,
                         labelIndex: label?.index, labelledCategory: label?.category, labelTrack: labelObject?.trackID, gold: goldObject,
                         labelled: labelObject, overlap: overlap, range: range, points: points, deviation: deviation, message: message)
    }

    /// Attribute agreement of one match.
    func compareAttributes(_ gold: LabeledObject, _ labelled: LabeledObject, into counts: inout [String: AttributeCount]) {
        let excluded: Set<String> = ["alpha", "truncated", "interpolation"]
        let names = configuration.attributes ?? gold.attributes.keys.filter { !excluded.contains($0) && labelled.attributes[$0] != nil }
        for name in names {
            guard let a = gold.attributes[name], let b = labelled.attributes[name] else { continue }
            // "Unknown" (KITTI occluded -1) on either side is no disagreement: the pair is not compared.
            if let unknown = configuration.unknownAttributeValues[name], unknown.contains(a.description) || unknown.contains(b.description) { continue }
            counts[name, default: AttributeCount()].compared += 1
            if a == b { counts[name, default: AttributeCount()].agreed += 1 }
        }
    }

    /// The frame's input to average precision (NaN scores mark boxes without a score).
    func apFrame(_ match: ClassFrameMatch, labelFrame: LabeledFrame) -> APFrame {
        var frame = APFrame(countedGold: match.counted.count, ignoredGold: match.ignoredGold.count,
                            scores: match.labelled.map { labelFrame.objects[$0.index].score },
                            dontCareShares: match.dontCareShares.isEmpty ? Array(repeating: 0, count: match.labelled.count) : match.dontCareShares,
                            pairs: match.pairs)
        if configuration.metrics.contains(.nuscenes) && configuration.match.usesCuboids {
            let settings = configuration.nuScenes
            frame.nuScenes = NuScenesCalculator.candidates(
                labelled: match.labelled.map { $0.cuboid! }, gold: match.counted.map { $0.cuboid! },
                limit: max(settings.distances.max()!, settings.errorDistance),
                period: settings.halfTurnClasses.contains(match.category) ? .pi : 2 * .pi)
        }
        return frame
    }

    /// The frame's input to tracking, or nil when a box lacks a track id.
    func trackingInput(_ match: ClassFrameMatch, goldFrame: LabeledFrame,
                       labelFrame: LabeledFrame) -> TrackingInput? {
        var goldIDs: [String] = []
        for object in match.counted {
            guard let id = goldFrame.objects[object.index].trackID else { return nil }
            goldIDs.append(id)
        }
        var labelIDs: [String] = [], position: [Int: Int] = [:]
        for (l, object) in match.labelled.enumerated() where !match.ignoredLabels.contains(l) {
            guard let id = labelFrame.objects[object.index].trackID else { return nil }
            position[l] = labelIDs.count
            labelIDs.append(id)
        }
        let threshold = threshold(match.category)
        var pairs: [TrackingInput.Pair] = []
        for pair in match.pairs where pair.gold < match.counted.count && pair.similarity >= threshold {
            guard let l = position[pair.label] else { continue }
            pairs.append(TrackingInput.Pair(gold: pair.gold, label: l,
                                            distance: configuration.match == .centerDistance ? -pair.similarity : 1 - pair.similarity))
        }
        var input = TrackingInput(gold: goldIDs, labels: labelIDs, pairs: pairs)
        if computesHOTA {
            input.overlaps = match.overlaps.compactMap { pair in
                position[pair.label].map { TrackingInput.Pair(gold: pair.gold, label: $0, distance: pair.similarity) }
            }
        }
        return input
    }
}

/// nuScenes' scale IoU: the IoU of two boxes moved onto the same centre and heading.
func alignedVolumeIoU(_ a: Box3D, _ b: Box3D) -> Double {
    let intersection = min(a.length, b.length) * min(a.width, b.width) * min(a.height, b.height)
    let union = a.volume + b.volume - intersection
    return union > 0 ? intersection / union : 0
}
