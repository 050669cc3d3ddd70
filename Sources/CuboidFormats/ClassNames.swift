/// Other datasets' names for KITTI's classes, the one table both `cuboid qa` (its default
/// `classMap`) and `cuboid prelabel --score` / `cuboid demo` score with, so that a class counts the
/// same way in both: nuScenes `car`, `pedestrian`, `bicycle` (whose box holds its rider when ridden),
/// SUSTechPOINTS `Rider`, `BicycleRider`.
public enum ClassNames {
    /// Lower-case name -> KITTI class.
    public static let kittiAliases: [String: String] = [
        "car": "Car", "van": "Van", "truck": "Truck",
        "pedestrian": "Pedestrian", "person": "Pedestrian",
        "cyclist": "Cyclist", "bicyclerider": "Cyclist", "bicycle_rider": "Cyclist", "rider": "Cyclist", "bicycle": "Cyclist",
    ]

    /// The KITTI class a name stands for (compared without case), or the name itself.
    public static func kittiCategory(_ name: String) -> String { kittiAliases[name.lowercased()] ?? name }

    /// Lower-case name -> nuScenes detection class, for names that are not one already: nuScenes
    /// `car` holds vans, `bicycle` a ridden bicycle with its rider, `pedestrian` a sitting person.
    public static let nuScenesDetectionAliases: [String: String] = [
        "van": "car", "cyclist": "bicycle", "bicyclerider": "bicycle", "bicycle_rider": "bicycle", "rider": "bicycle",
        "person_sitting": "pedestrian", "person": "pedestrian",
    ]

    /// The nuScenes detection class a name stands for: itself compared without case (`Car` is `car`),
    /// else through ``nuScenesDetectionAliases``; nil for a name nuScenes detection has no class for
    /// (KITTI's `Tram`, `Misc`, `DontCare`).
    public static func nuScenesDetectionClass(_ name: String, classes: [String]) -> String? {
        let lowered = name.lowercased()
        if classes.contains(lowered) { return lowered }
        return nuScenesDetectionAliases[lowered].flatMap { classes.contains($0) ? $0 : nil }
    }
}
