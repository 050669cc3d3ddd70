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
}
