// The umbrella module: `import Cuboid` brings in every public module of the toolkit.
@_exported import CuboidIO
@_exported import CuboidImages
@_exported import CuboidPointClouds
@_exported import CuboidGeometry
@_exported import CuboidKernels
@_exported import CuboidFormats
@_exported import CuboidDatasets
@_exported import CuboidSynthesis
@_exported import CuboidPreviews
@_exported import CuboidPrelabel
@_exported import CuboidInterpolation
@_exported import CuboidOdometry
@_exported import CuboidQA
@_exported import CuboidQAHistory
