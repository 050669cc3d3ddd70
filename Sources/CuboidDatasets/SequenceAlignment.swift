public import CuboidFormats

/// Labels whose frames a sensor sequence does not hold.
public enum SequenceAlignmentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A labelled frame has no frame of that name (or number) in the sequence.
    case frameNotInSequence(frame: String, sequence: String)

    public var description: String {
        switch self {
        case .frameNotInSequence(let frame, let sequence): "frame \(frame) of the labels is not in the sequence \(sequence)"
        }
    }
}

/// A label set laid onto the frames of a recording.
public struct AlignedLabels: Sendable {
    /// The labels over every sequence frame from the first labelled one to the last, with the
    /// sequence's timestamps, ego poses and cameras where the labels lack them.
    public var labels: LabelSet
    /// For each frame of ``labels``, its index in the sequence.
    public var sequenceIndex: [Int]
    /// Labelled frames whose numbers had to move up to make room for the frames added before them
    /// (see `LabelSet.numberAddedFrames()`).
    public var renumberedFrames = 0
}

extension SensorSequence {
    /// Lays labels onto this recording's frames.
    ///
    /// Frames match by name, or by number when both names are numbers (`10` matches `0000000010`). The
    /// result holds every sequence frame from the first labelled frame to the last (frames without
    /// labels are empty), so keyframe files that list only their keyframes are filled in every sweep.
    /// A label frame's own timestamp and pose win over the sequence's. When the labels' frames carry
    /// numbers (OpenLABEL frame keys), each added frame takes the number after the frame before it
    /// (`LabelSet.numberAddedFrames()`).
    /// - Throws: ``SequenceAlignmentError`` when a labelled frame is not in the sequence.
    /// - Complexity: O(frames).
    public func align(_ labels: LabelSet) throws(SequenceAlignmentError) -> AlignedLabels {
        var byName: [String: Int] = [:], byNumber: [Int: Int] = [:]
        for (index, frame) in frames.enumerated() {
            byName[frame.name] = index
            if let number = Int(frame.name) { byNumber[number] = index }
        }
        var matched: [Int: LabeledFrame] = [:]
        for frame in labels.frames {
            guard let index = byName[frame.name] ?? Int(frame.name).flatMap({ byNumber[$0] }) else {
                throw .frameNotInSequence(frame: frame.name, sequence: root)
            }
            matched[index] = frame
        }
        var result = labels
        if result.cameras.isEmpty, !frames.isEmpty { result.cameras = (try? cameras(at: 0)) ?? [] }
        result.frames = []
        var indices: [Int] = []
        if let first = matched.keys.min(), let last = matched.keys.max() {
            for index in first...last {
                let reference = frames[index]
                var frame = matched[index] ?? LabeledFrame(name: reference.name)
                if frame.timestamp == nil { frame.timestamp = reference.timestamp }
                if frame.egoPose == nil { frame.egoPose = reference.egoPose }
                result.frames.append(frame)
                indices.append(index)
            }
        }
        // Added frames take the numbers after the labelled frame before them.
        let renumbered = result.numberAddedFrames()
        return AlignedLabels(labels: result, sequenceIndex: indices, renumberedFrames: renumbered)
    }
}
