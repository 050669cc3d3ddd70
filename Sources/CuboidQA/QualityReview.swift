public import CuboidDatasets
public import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation

/// Scores taskers' labels against gold (or two taskers against each other), frame by frame.
public enum QualityReview {
    /// Scores every tasker against the gold.
    /// - Parameters:
    ///   - gold: The gold labels (sensor frame). For agreement, the first tasker.
    ///   - taskers: The labels to score, in the gold's sensor frame; frames are paired by name, or by
    ///     number when both names are numbers (`0000000010` and `000010`).
    ///   - configuration: Matching, classes, filters and tolerances (validated here).
    ///   - sequence: The recording, for the returns inside boxes (filters, feedback) and the cameras
    ///     (DontCare regions, 2D filters); frames paired by name. nil: no point counts.
    ///   - agreement: Score two taskers symmetrically (no gold filters or ignored boxes).
    ///   - threads: Worker threads over frames.
    ///   - progress: Called with (frames done, frames in all) after each frame, from a worker thread, one call at a time.
    /// - Throws: `ConfigurationFileError`, ``QAInputError``, or file errors from reading the sweeps.
    /// - Complexity: O(F (G L)) similarities plus one optimal assignment per frame and class.
    public static func evaluate(gold: LabelSet, taskers: [TaskerLabels], configuration: QAConfiguration, sequence: SensorSequence? = nil,
                                agreement: Bool = false, threads: Int = Parallelism.availableCores,
                                progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> QAReport {
        let scored = try scoreShard(gold: gold, taskers: taskers, configuration: configuration, sequence: sequence, agreement: agreement,
                                    goldName: agreement ? "first tasker" : "gold", shard: nil, threads: threads, progress: progress)
        return try report(merging: [scored], threads: threads)
    }

    /// Scores one share of a batch's frames (every N-th frame of the gold's order from the K-th), for
    /// N machines to split a batch; ``report(merging:threads:)`` combines the shares into the report a
    /// single run gives. With `shard` nil every frame is scored. Parameters and errors as in
    /// ``evaluate(gold:taskers:configuration:sequence:agreement:threads:progress:)``; `goldName`
    /// names the gold side in the report.
    /// - Complexity: O(F/N (G L)).
    public static func scoreShard(gold: LabelSet, taskers: [TaskerLabels], configuration: QAConfiguration, sequence: SensorSequence? = nil,
                                  agreement: Bool = false, goldName: String = "gold", shard: BatchShard?,
                                  threads: Int = Parallelism.availableCores,
                                  progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> QAShard {
        try configuration.validate()
        guard !taskers.isEmpty else { throw QAInputError.taskers("no labels to score: give at least one --labels") }
        let names = taskers.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw QAInputError.taskers("two taskers are named \(duplicate): name them with NAME=PATH")
        }
        let goldSide = agreement ? "tasker \(taskers[0].name)" : "gold"
        let goldFrames = try index(gold, side: goldSide)
        // The frames scored: the gold's, then (with missingFrames: count-as-missed) the taskers' extra ones.
        var frameNames = gold.frames.map(\.name)
        var skips = [QASkips](repeating: QASkips(), count: taskers.count)
        var labelFrames: [[String: Int]] = []
        for (t, tasker) in taskers.enumerated() {
            let frames = try index(tasker.labels, side: "tasker \(tasker.name)")
            labelFrames.append(frames)
            skips[t].framesOnlyInGold = gold.frames.map(\.name).filter { frames[frameKey($0)] == nil }
            skips[t].framesOnlyInLabels = tasker.labels.frames.map(\.name).filter { goldFrames[frameKey($0)] == nil }
            switch configuration.missingFrames {
            case .error:
                if !skips[t].framesOnlyInGold.isEmpty { throw QAInputError.missingFrames(side: "tasker \(tasker.name)", frames: skips[t].framesOnlyInGold) }
                if !skips[t].framesOnlyInLabels.isEmpty { throw QAInputError.missingFrames(side: goldSide, frames: skips[t].framesOnlyInLabels) }
            case .countAsMissed:
                for name in skips[t].framesOnlyInLabels where !frameNames.contains(where: { frameKey($0) == frameKey(name) }) { frameNames.append(name) }
            case .skip: break
            }
        }
        try checkClasses(gold, side: goldSide, configuration: configuration)
        for tasker in taskers { try checkClasses(tasker.labels, side: "tasker \(tasker.name)", configuration: configuration) }

        let cameraName = configuration.camera ?? defaultCamera(gold)
        let sequenceIndex = Dictionary((sequence?.frames ?? []).enumerated().map { (frameKey($1.name), $0) }, uniquingKeysWith: { a, _ in a })
        let needsPoints = sequence != nil
        // Per frame of the share, in parallel: every tasker's matches, findings and figures.
        let selected = shard.map { $0.select(Array(frameNames.indices)) } ?? Array(frameNames.indices)
        var results = [[FrameOutcome]?](repeating: nil, count: selected.count)
        var firstError: (any Error)?
        let lock = NSLock()
        var done = 0
        let chunk = max(1, min(16, selected.count / max(1, threads * 4)))
        forEachChunk(count: selected.count, threads: max(1, threads), chunkSize: chunk) { range in
            for position in range {
                let f = selected[position]
                let name = frameNames[f]
                do {
                    let key = frameKey(name)
                    let goldFrame = goldFrames[key].map { gold.frames[$0] } ?? LabeledFrame(name: name)
                    var cloud: PointCloud?
                    var camera = gold.cameras.first { $0.name == cameraName }
                    if let sequence, let s = sequenceIndex[key] {
                        if needsPoints { cloud = try sequence.pointCloud(at: s) }
                        if let cameraName, let found = try sequence.cameras(at: s).first(where: { $0.name == cameraName }) { camera = found }
                    }
                    let frameMatcher = FrameMatcher(configuration: configuration, camera: camera, cameraName: cameraName, symmetric: agreement)
                    var outcomes: [FrameOutcome] = []
                    for (t, tasker) in taskers.enumerated() {
                        let labelFrame: LabeledFrame
                        if let k = labelFrames[t][key] {
                            labelFrame = tasker.labels.frames[k]
                        } else if goldFrames[key] != nil && configuration.missingFrames == .countAsMissed {
                            labelFrame = LabeledFrame(name: name)
                        } else {
                            outcomes.append(FrameOutcome(scored: false))
                            continue
                        }
                        if goldFrames[key] == nil && configuration.missingFrames != .countAsMissed {
                            outcomes.append(FrameOutcome(scored: false))
                            continue
                        }
                        outcomes.append(frameMatcher.evaluate(gold: goldFrame, labelled: labelFrame, cloud: cloud))
                    }
                    lock.lock()
                    results[position] = outcomes
                    done += 1
                    progress?(done, selected.count)
                    lock.unlock()
                } catch {
                    lock.lock()
                    if firstError == nil { firstError = error }
                    lock.unlock()
                }
            }
        }
        if let firstError { throw firstError }
        return QAShard(shard: shard, configuration: configuration, isAgreement: agreement, goldName: goldName, taskerNames: names,
                       frameNames: frameNames, skips: skips,
                       frames: zip(selected, results).map { QAShard.ScoredFrame(index: $0, outcomes: $1!) })
    }

    /// The report of a whole batch from the shares that scored it.
    /// - Throws: ``QAMergeError`` when the shares come from different batches or configurations, or do
    ///   not cover every frame exactly once.
    /// - Complexity: O(frames x taskers) plus AP and tracking per tasker and class.
    public static func report(merging shards: [QAShard], threads: Int = Parallelism.availableCores) throws(QAMergeError) -> QAReport {
        guard let first = shards.first else { throw .mismatch("no shards to merge") }
        for other in shards.dropFirst() {
            if other.configuration != first.configuration { throw .mismatch("the shards were scored with different configurations") }
            if other.taskerNames != first.taskerNames || other.goldName != first.goldName || other.isAgreement != first.isAgreement {
                throw .mismatch("the shards score different taskers or gold")
            }
            if other.frameNames != first.frameNames || other.skips != first.skips { throw .mismatch("the shards come from different batches") }
        }
        var outcomes = [[FrameOutcome]?](repeating: nil, count: first.frameNames.count)
        var duplicated: [String] = []
        for shard in shards {
            for frame in shard.frames {
                if outcomes[frame.index] != nil { duplicated.append(first.frameNames[frame.index]) }
                outcomes[frame.index] = frame.outcomes
            }
        }
        if !duplicated.isEmpty { throw .duplicateFrames(duplicated) }
        let missing = first.frameNames.indices.filter { outcomes[$0] == nil }.map { first.frameNames[$0] }
        if !missing.isEmpty { throw .missingFrames(missing) }
        return summarizeAll(first, outcomes: outcomes.map { $0! }, threads: threads)
    }

    /// The report of one share alone: frames other shares score count as not scored.
    public static func report(partial shard: QAShard, threads: Int = Parallelism.availableCores) -> QAReport {
        let unscored = [FrameOutcome](repeating: FrameOutcome(scored: false), count: shard.taskerNames.count)
        var outcomes = [[FrameOutcome]](repeating: unscored, count: shard.frameNames.count)
        for frame in shard.frames { outcomes[frame.index] = frame.outcomes }
        return summarizeAll(shard, outcomes: outcomes, threads: threads)
    }

    private static func summarizeAll(_ shard: QAShard, outcomes: [[FrameOutcome]], threads: Int) -> QAReport {
        let configuration = shard.configuration
        let matcher = FrameMatcher(configuration: configuration, camera: nil, cameraName: nil, symmetric: shard.isAgreement)
        let lock = NSLock()
        var reports = [TaskerReport?](repeating: nil, count: shard.taskerNames.count)
        forEachChunk(count: shard.taskerNames.count, threads: max(1, threads), chunkSize: 1) { range in
            for t in range {
                let report = summarize(tasker: t, name: shard.taskerNames[t], frameNames: shard.frameNames, results: outcomes, skips: shard.skips[t],
                                       configuration: configuration, matcher: matcher, agreement: shard.isAgreement)
                lock.lock()
                reports[t] = report
                lock.unlock()
            }
        }
        return QAReport(isAgreement: shard.isAgreement, goldName: shard.goldName, configuration: configuration,
                        frameCount: shard.frameNames.count, taskers: reports.map { $0! })
    }

    /// One tasker's figures from the frames' outcomes, in frame order.
    private static func summarize(tasker t: Int, name: String, frameNames: [String], results: [[FrameOutcome]], skips: QASkips,
                                  configuration: QAConfiguration, matcher: FrameMatcher, agreement: Bool) -> TaskerReport {
        var report = TaskerReport(name: name, overall: DetectionMetrics(), classes: [], frames: [], findings: [], confusion: [],
                                  attributes: [], skips: skips)
        report.findings.reserveCapacity(frameNames.indices.reduce(0) { $0 + results[$1][t].findings.count })
        var perClass: [String: DetectionMetrics] = [:]
        var apFrames: [String: [APFrame]] = [:]
        var tracking: [String: TrackingAccumulator] = [:]
        var trackable = Set(configuration.evaluatedClasses), tracked = Set<String>()
        var confusion: [String: Int] = [:]
        var attributes: [String: AttributeCount] = [:]
        var scored = Set(configuration.evaluatedClasses)
        for (f, name) in frameNames.enumerated() {
            let outcome = results[f][t]
            guard outcome.scored else { continue }
            var frameMetrics = DetectionMetrics()
            for match in outcome.classes {
                perClass[match.category, default: DetectionMetrics()] += match.metrics
                frameMetrics += match.metrics
                apFrames[match.category, default: []].append(match.apFrame)
                if match.apFrame.scores.contains(nil) { scored.remove(match.category) }
                if let input = match.tracking {
                    if !input.gold.isEmpty || !input.labels.isEmpty { tracked.insert(match.category) }
                    tracking[match.category, default: TrackingAccumulator()].add(input)
                } else {
                    trackable.remove(match.category)
                }
            }
            report.frames.append(FrameReport(frame: name, detection: frameMetrics))
            report.findings += outcome.findings
            for (key, count) in outcome.confusion { confusion[key, default: 0] += count }
            for (key, value) in outcome.attributes {
                attributes[key, default: AttributeCount()].compared += value.compared
                attributes[key, default: AttributeCount()].agreed += value.agreed
            }
            report.skips.unknownLabelClasses.merge(outcome.skips.unknownLabelClasses, uniquingKeysWith: +)
            report.skips.unknownGoldClasses.merge(outcome.skips.unknownGoldClasses, uniquingKeysWith: +)
            report.skips.notEvaluatedLabels += outcome.skips.notEvaluatedLabels
            report.skips.notEvaluatedGold += outcome.skips.notEvaluatedGold
            report.skips.labelsWithoutGeometry += outcome.skips.labelsWithoutGeometry
            report.skips.goldWithoutGeometry += outcome.skips.goldWithoutGeometry
            report.skips.ignoredGold += outcome.skips.ignoredGold
            report.skips.filteredLabels += outcome.skips.filteredLabels
            report.skips.renamedClasses.merge(outcome.skips.renamedClasses, uniquingKeysWith: +)
        }
        for category in configuration.evaluatedClasses {
            let metrics = perClass[category] ?? DetectionMetrics()
            report.overall += metrics
            let frames = apFrames[category] ?? []
            let hasLabels = frames.contains { !$0.scores.isEmpty }
            let ap = scored.contains(category) && hasLabels
                ? AveragePrecisionCalculator.compute(frames, threshold: matcher.threshold(category), cocoRange: configuration.match == .iou2D) : nil
            let track = trackable.contains(category) && tracked.contains(category) && !agreement ? (tracking[category] ?? TrackingAccumulator()).finished() : nil
            var classReport = ClassReport(category: category, detection: metrics, averagePrecision: ap, tracking: track)
            if configuration.metrics.contains(.nuscenes) && scored.contains(category) {
                classReport.nuScenes = NuScenesCalculator.compute(frames, category: category, settings: configuration.nuScenes)
            }
            if matcher.computesKITTI && !frames.isEmpty {
                classReport.kitti = KITTICalculator.compute(frames.map(\.kitti), levels: configuration.kittiDifficulties)
            }
            report.classes.append(classReport)
        }
        report.confusion = confusion.map { key, count in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            return ConfusionCell(gold: parts[0], labelled: parts[1], count: count)
        }.sorted { ($0.gold, $0.labelled) < ($1.gold, $1.labelled) }
        report.findings = report.findings.orderedByCost(configuration.findingCost)
        report.attributes = attributes.map { AttributeAgreement(attribute: $0.key, compared: $0.value.compared, agreed: $0.value.agreed) }
            .sorted { $0.attribute < $1.attribute }
        return report
    }

    /// Two taskers' agreement: the first tasker stands in for gold, with nothing filtered or ignored,
    /// so the figures that do not depend on the order (matches, F1, mean IoU, ATE, ASE, AOE) are
    /// the same either way round; precision and recall swap.
    public static func agreement(_ first: TaskerLabels, _ second: TaskerLabels, configuration: QAConfiguration,
                                 sequence: SensorSequence? = nil, threads: Int = Parallelism.availableCores) throws -> QAReport {
        let scored = try scoreShard(gold: first.labels, taskers: [second], configuration: configuration, sequence: sequence, agreement: true,
                                    goldName: first.name, shard: nil, threads: threads)
        return try report(merging: [scored], threads: threads)
    }

    private static func index(_ set: LabelSet, side: String) throws(QAInputError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (k, frame) in set.frames.enumerated() {
            guard index[frameKey(frame.name)] == nil else { throw .duplicateFrame(side: side, frame: frame.name) }
            index[frameKey(frame.name)] = k
        }
        return index
    }

    private static func checkClasses(_ set: LabelSet, side: String, configuration: QAConfiguration) throws(QAInputError) {
        guard configuration.unknownClasses == .error else { return }
        for frame in set.frames {
            for object in frame.objects {
                let name = configuration.canonical(object.category)
                if configuration.classes[name] == nil && !configuration.known.contains(name) {
                    throw .unknownClass(side: side, frame: frame.name, name: object.category)
                }
            }
        }
    }

    /// The key frames are paired by: the name, or the number when the name is all digits
    /// (`0000000010` pairs with `000010`, as KITTI raw and KITTI tracking number the same frame).
    static func frameKey(_ name: String) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(name) else { return name }
        return String(number)
    }

    /// The camera the gold's 2D boxes use when there is exactly one (KITTI's `image_2`), or the first.
    static func defaultCamera(_ set: LabelSet) -> String? {
        var names = Set<String>()
        for frame in set.frames.prefix(50) { for object in frame.objects { names.formUnion(object.boxes.keys) } }
        if names.contains(LabeledObject.kittiCamera) { return LabeledObject.kittiCamera }
        return names.sorted().first ?? set.cameras.first?.name
    }
}
