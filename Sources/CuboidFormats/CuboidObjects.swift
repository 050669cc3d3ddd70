/// The 3D objects of a label set as the point cloud annotation formats count them (Sly Point Cloud,
/// Segments.ai): one object per (track id, class), so a track whose class changes is two objects,
/// and one per untracked box; boxes without a cuboid are left out.
struct CuboidObjects {
    /// Per frame, in the frame's order: each box with a cuboid and the index of its object.
    var perFrame: [[(object: LabeledObject, owner: Int)]] = []
    /// Per object, in order of first appearance: its track id (nil for an untracked box).
    var owners: [String?] = []

    /// - Complexity: O(boxes).
    init(_ set: LabelSet) {
        var objectKeys: [String: Int] = [:]
        for (f, frame) in set.frames.enumerated() {
            var boxes: [(object: LabeledObject, owner: Int)] = []
            for (k, object) in frame.objects.enumerated() where object.cuboid != nil {
                let key = object.trackID.map { $0 + "\u{0}" + object.category } ?? "\u{1}\(f)/\(k)"
                if objectKeys[key] == nil {
                    objectKeys[key] = owners.count
                    owners.append(object.trackID)
                }
                boxes.append((object, objectKeys[key]!))
            }
            perFrame.append(boxes)
        }
    }
}
