public import CuboidFormats
import CuboidGeometry
import CuboidKernels

/// What ``KeyframeSuggestion`` aims for.
public struct SuggestionOptions: Sendable, Hashable {
    /// The largest distance, metres, bird's-eye view, world frame, allowed between a box of the data
    /// at hand and the straight line in the world between the two suggested keyframes around it: the
    /// fill ``InterpolationMethod/worldSmooth`` never does worse than (it takes its curve only where
    /// the curve predicts held-out keyframes better).
    public var maximumCenterError: Double = 0.15
    /// The longest gap between two suggested keyframes, in the track's own boxes. Bounds the search
    /// (cubic in this number per track) and keeps a human looking at the object now and then.
    public var maximumGap: Int = 60
    /// The fill the suggestion is checked with: after the straight-line search, the track is filled
    /// from its suggested keyframes with this method, the box furthest from its fill (mean distance of
    /// the bird's-eye-view corners: centre and heading) is added while one is beyond
    /// ``maximumCenterError``, then each keyframe whose removal keeps every box within it is dropped (so a curve that follows a turn saves the keyframes the line needed there).
    public var fill = InterpolationOptions(method: .worldSmooth)

    public init(maximumCenterError: Double = 0.15) {
        self.maximumCenterError = maximumCenterError
    }
}

/// The keyframes suggested for one track.
public struct SuggestedTrack: Sendable, Hashable, Codable {
    /// The track id.
    public var track: String
    /// Its class (the one most boxes give).
    public var category: String
    /// Boxes of the track in the data at hand.
    public var boxes: Int
    /// The frames to label (indices into the label set), first and last box included, ascending.
    public var frames: [Int]
    /// Largest centre distance of a box of the data at hand from the straight world line between the
    /// suggested keyframes around it, metres.
    public var worstCenterError: Double
}

/// Chooses, per track, the fewest frames to label so that the fill stays within a centre error on
/// the data at hand (a dense set of boxes: gold of a similar drive, tracker output, pre-labels).
///
/// Each track's boxes are mapped into the world frame with the ego poses (the sensor frame stands in
/// without poses). A gap between two chosen boxes is allowed when every box between them lies within
/// ``SuggestionOptions/maximumCenterError`` of the straight line joining them in the world, by time;
/// the fewest keyframes that cover the track with allowed gaps are found exactly (shortest path over
/// the track's boxes), ties broken by the smaller sum of the centre errors. Then the track is filled
/// from them with the real fill (``SuggestionOptions/fill``): keyframes are added where a box is
/// still beyond the error, and dropped where the fill does without them. A straight constant-speed
/// stretch needs two keyframes however long it is; a turn, a stop or an acceleration needs more.
public enum KeyframeSuggestion {
    /// The suggested keyframes of every track with cuboids, sorted by track id.
    /// - Throws: ``InterpolationError`` for times that do not increase or partial poses.
    /// - Complexity: O(boxes x maximumGap^2) per track.
    public static func suggest(_ dense: LabelSet, options: SuggestionOptions = SuggestionOptions()) throws -> [SuggestedTrack] {
        precondition(options.maximumGap >= 1 && options.maximumCenterError >= 0, "suggestion options out of range")
        let times = try KeyframeInterpolator.frameTimes(dense)
        let poses = try KeyframeInterpolator.framePoses(dense, method: .worldLinear).0
        let tracks = trackEntries(dense)
        return tracks.keys.sorted(by: KeyframeInterpolator.trackOrder).map { id in
            let entries = tracks[id]!
            let centers = entries.map { entry -> SIMD2<Double> in
                let world = poses[entry.frame].apply(to: entry.object.cuboid!.center)
                return SIMD2(world.x, world.y)
            }
            let (lineChoice, _) = fewestKeyframes(times: entries.map { times[$0.frame] }, centers: centers, options: options)
            let (chosen, worst) = checkedWithFill(dense, entries: entries, start: lineChoice, options: options)
            return SuggestedTrack(track: id, category: majorityCategory(entries.map(\.object)), boxes: entries.count,
                                  frames: chosen.map { entries[$0].frame }, worstCenterError: worst)
        }
    }

    /// At most `budget` keyframes over all tracks with cuboids, placed where they lower the fill's
    /// error most (sorted by track id).
    ///
    /// Every track starts from its first and last box (one box: that box), so every box is filled;
    /// then, one keyframe at a time, the box whose labelling lowers the summed error of its track's
    /// boxes the most (the real fill, ``SuggestionOptions/fill``; error: mean distance of the
    /// bird's-eye-view corners, metres) is added, over all tracks, until the budget is spent or no
    /// keyframe lowers an error. A budget below the track ends gives the track ends (more than the
    /// budget: count the frames). ``SuggestionOptions/maximumCenterError`` and
    /// ``SuggestionOptions/maximumGap`` play no part.
    /// - Throws: ``InterpolationError`` for times that do not increase or partial poses.
    /// - Complexity: O(boxes) fills of one track per track, then O(track boxes) fills per keyframe added.
    public static func suggest(_ dense: LabelSet, budget: Int, options: SuggestionOptions = SuggestionOptions()) throws -> [SuggestedTrack] {
        precondition(budget >= 0, "keyframe budget must be >= 0")
        _ = try KeyframeInterpolator.frameTimes(dense)
        _ = try KeyframeInterpolator.framePoses(dense, method: .worldLinear)
        let tracks = trackEntries(dense)
        let ids = tracks.keys.sorted(by: KeyframeInterpolator.trackOrder)
        var fills: [TrackFill] = [], keys: [[Int]] = [], errors: [[Double]] = []
        for id in ids {
            let entries = tracks[id]!
            let fill = TrackFill(dense, entries: entries, options: options.fill)
            let start = entries.count == 1 ? [0] : [0, entries.count - 1]
            fills.append(fill)
            keys.append(start)
            errors.append(fill.errors(start))
        }
        /// The box of track `t` whose labelling lowers its summed error most, with the errors after it.
        func bestAddition(_ t: Int) -> (box: Int, gain: Double, errors: [Double])? {
            let before = errors[t].reduce(0, +)
            var best: (box: Int, gain: Double, errors: [Double])?
            for box in 0..<fills[t].entries.count where !keys[t].contains(box) {
                let trial = fills[t].errors((keys[t] + [box]).sorted()), gain = before - trial.reduce(0, +)
                if gain > 0 && (best == nil || gain > best!.gain) { best = (box, gain, trial) }
            }
            return best
        }
        var candidates = ids.indices.map(bestAddition)
        var total = keys.reduce(0) { $0 + $1.count }
        while total < budget {
            var pick: Int?
            for t in candidates.indices {
                guard let candidate = candidates[t] else { continue }
                if pick == nil || candidate.gain > candidates[pick!]!.gain { pick = t }
            }
            guard let t = pick, let chosen = candidates[t] else { break }
            keys[t] = (keys[t] + [chosen.box]).sorted()
            errors[t] = chosen.errors
            total += 1
            candidates[t] = bestAddition(t)
        }
        return ids.indices.map { t in
            let entries = fills[t].entries
            return SuggestedTrack(track: ids[t], category: majorityCategory(entries.map(\.object)), boxes: entries.count,
                                  frames: keys[t].map { entries[$0].frame }, worstCenterError: errors[t].max() ?? 0)
        }
    }

    /// Each track's cuboid boxes (frame index, object), in frame order.
    static func trackEntries(_ dense: LabelSet) -> [String: [(frame: Int, object: LabeledObject)]] {
        var tracks: [String: [(frame: Int, object: LabeledObject)]] = [:]
        for (index, frame) in dense.frames.enumerated() {
            for object in frame.objects where object.cuboid != nil {
                if let id = object.trackID { tracks[id, default: []].append((index, object)) }
            }
        }
        return tracks
    }

    /// The label set a human would give after labelling the suggested frames: `dense`'s frames, each
    /// holding only its objects whose track has that frame suggested.
    public static func keyframes(of dense: LabelSet, suggestion: [SuggestedTrack]) -> LabelSet {
        var wanted: [Int: Set<String>] = [:]
        for track in suggestion {
            for frame in track.frames { wanted[frame, default: []].insert(track.track) }
        }
        var set = dense
        for index in set.frames.indices {
            set.frames[index].objects = set.frames[index].objects.filter { object in
                object.trackID.map { wanted[index]?.contains($0) ?? false } ?? false
            }
        }
        return set
    }

    /// The keyframes (indices into `entries`) adjusted so the real fill keeps every box within the
    /// error (see ``SuggestionOptions/fill``), and the worst error left.
    static func checkedWithFill(_ dense: LabelSet, entries: [(frame: Int, object: LabeledObject)], start: [Int],
                                options: SuggestionOptions) -> ([Int], Double) {
        guard entries.count > 2 else { return (start, 0) }
        let track = TrackFill(dense, entries: entries, options: options.fill)
        var keys = start
        var current = track.errors(keys)
        // Add the worst box while one is beyond the limit.
        while let worst = current.indices.max(by: { current[$0] < current[$1] }), current[worst] > options.maximumCenterError,
              !keys.contains(worst) {
            keys = (keys + [worst]).sorted()
            current = track.errors(keys)
        }
        // Drop keyframes the fill does without, the least needed first.
        var dropped = true
        while dropped {
            dropped = false
            var bestDrop: (index: Int, worst: Double, errors: [Double])?
            for position in 1..<(keys.count - 1) {
                var fewer = keys
                fewer.remove(at: position)
                let trial = track.errors(fewer), worst = trial.max() ?? 0
                if worst <= options.maximumCenterError && (bestDrop == nil || worst < bestDrop!.worst) { bestDrop = (position, worst, trial) }
            }
            if let drop = bestDrop {
                keys.remove(at: drop.index)
                current = drop.errors
                dropped = true
            }
        }
        return (keys, current.max() ?? 0)
    }

    /// Indices of the fewest boxes (first and last included) with every gap allowed, and the worst
    /// centre error left.
    static func fewestKeyframes(times: [Double], centers: [SIMD2<Double>], options: SuggestionOptions) -> ([Int], Double) {
        let n = centers.count
        guard n > 2 else { return (Array(0..<n), 0) }
        /// (keyframes, summed error, worst error, previous keyframe) of the best cover ending at each box.
        var best = [(count: Int, sum: Double, worst: Double, previous: Int)](repeating: (Int.max, 0, 0, -1), count: n)
        best[0] = (1, 0, 0, -1)
        for i in 1..<n {
            for j in max(0, i - options.maximumGap)..<i where best[j].count != Int.max {
                var sum = 0.0, worst = 0.0, allowed = true
                for p in (j + 1)..<i {
                    let t = (times[p] - times[j]) / (times[i] - times[j])
                    let line = centers[j] + t * (centers[i] - centers[j]), gap = centers[p] - line
                    let error = (gap * gap).sum().squareRoot()
                    if error > options.maximumCenterError {
                        allowed = false
                        break
                    }
                    sum += error
                    worst = max(worst, error)
                }
                guard allowed else { continue }
                let candidate = (count: best[j].count + 1, sum: best[j].sum + sum, worst: max(best[j].worst, worst), previous: j)
                if candidate.count < best[i].count || (candidate.count == best[i].count && candidate.sum < best[i].sum) {
                    best[i] = candidate
                }
            }
        }
        var chosen: [Int] = []
        var index = n - 1
        while index >= 0 {
            chosen.append(index)
            index = best[index].previous
        }
        return (chosen.reversed(), best[n - 1].worst)
    }
}

/// One track of the dense boxes, filled alone from a choice of its boxes as keyframes.
struct TrackFill {
    /// The track's boxes (frame index, object), in frame order.
    let entries: [(frame: Int, object: LabeledObject)]
    /// The dense set's frames with no objects.
    let empty: LabelSet
    let options: InterpolationOptions

    init(_ dense: LabelSet, entries: [(frame: Int, object: LabeledObject)], options: InterpolationOptions) {
        self.entries = entries
        var empty = dense
        for index in empty.frames.indices { empty.frames[index].objects = [] }
        self.empty = empty
        var options = options
        options.threads = 1
        options.snap = nil
        self.options = options
    }

    /// Each box's error under the fill from `keys` (indices into ``entries``, ascending): the mean
    /// distance of its bird's-eye-view corners from the fill's (centre and heading in one figure,
    /// metres, its sensor frame); 0 at a keyframe, infinity where the fill leaves it empty.
    func errors(_ keys: [Int]) -> [Double] {
        var set = empty
        for k in keys { set.frames[entries[k].frame].objects = [entries[k].object] }
        guard let result = try? KeyframeInterpolator.interpolate(set, options: options) else { return entries.map { _ in .infinity } }
        return entries.map { entry in
            guard let box = result.labels.frames[entry.frame].objects.first?.cuboid else { return .infinity }
            return cornerDistance(box, entry.object.cuboid!)
        }
    }
}
