public import CuboidGeometry
public import CuboidKernels

extension PointCloud {
    /// The points of this cloud inside each cuboid (cuboids in the cloud's frame; NaN points are never
    /// inside). See `CuboidKernels.PointsInCuboids`.
    /// - Complexity: O(P + C + H), as `CuboidKernels.PointsInCuboids.init(x:y:z:cuboids:)`.
    public func points(inside cuboids: [Box3D]) -> PointsInCuboids {
        PointsInCuboids(x: x, y: y, z: z, cuboids: cuboids)
    }
}
