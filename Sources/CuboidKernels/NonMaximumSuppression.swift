import CuboidGeometry

/// Rotated non-maximum suppression in the ground plane: keeps the best-scoring boxes and drops every
/// box that overlaps an already kept one by more than `iouThreshold` (BEV IoU).
///
/// - Parameters:
///   - boxes: Candidate rectangles.
///   - scores: One score per box; higher is better. Ties keep the lower index first.
///   - iouThreshold: A box is suppressed when its BEV IoU with a kept box is greater than this.
/// - Returns: Indices of the kept boxes, best score first.
/// - Precondition: `scores.count == boxes.count`; valid boxes as for the BEV `iou(_:_:)`.
/// - Complexity: O(N log N + K) where K is the number of (kept, candidate) pairs whose bounding boxes
///   overlap; O(N^2) in the worst case.
public func nonMaximumSuppression(_ boxes: [BEVBox], scores: [Double], iouThreshold: Double) -> [Int] {
    precondition(boxes.count == scores.count, "nonMaximumSuppression needs one score per box")
    boxes.forEach(validate)
    return suppress(boxes.map(PreparedCuboid.init(flat:)), scores: scores, threshold: iouThreshold, vertical: false)
}

/// Non-maximum suppression of cuboids by 3D IoU; otherwise as the BEV version.
/// - Complexity: as the BEV version.
public func nonMaximumSuppression(_ boxes: [Box3D], scores: [Double], iouThreshold: Double) -> [Int] {
    precondition(boxes.count == scores.count, "nonMaximumSuppression needs one score per box")
    boxes.forEach(validate)
    return suppress(boxes.map(PreparedCuboid.init), scores: scores, threshold: iouThreshold, vertical: true)
}

private func suppress(_ boxes: [PreparedCuboid], scores: [Double], threshold: Double, vertical: Bool) -> [Int] {
    let order = boxes.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
    var kept: [Int] = []
    var scratch = ClipScratch()
    // Kept boxes are few; a bounding-box test skips most pairs before the exact IoU.
    for candidate in order {
        let box = boxes[candidate]
        var suppressed = false
        for k in kept {
            let other = boxes[k]
            if other.rectangle.maxX <= box.rectangle.minX || other.rectangle.minX >= box.rectangle.maxX
                || other.rectangle.maxY <= box.rectangle.minY || other.rectangle.minY >= box.rectangle.maxY {
                continue
            }
            let overlap = vertical ? iou3D(box, other, &scratch) : bevIoU(box.rectangle, other.rectangle, &scratch)
            if overlap > threshold {
                suppressed = true
                break
            }
        }
        if !suppressed { kept.append(candidate) }
    }
    return kept
}
