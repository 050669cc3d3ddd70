// swift-tools-version: 6.1
import PackageDescription

// Layout (one job per module, dependencies pointing one way):
//   CuboidGeometry                geometry value types: boxes, cuboids, poses, cameras, matrices
//   CuboidKernels                 IoU, fitting, point-in-cuboid, assignment, NMS, interpolation
//   CuboidIO                      file access adapter, atomic writes, error locations
//   CuboidFormats                 label formats (KITTI, OpenLABEL, SUSTechPOINTS, nuScenes, CVAT, COCO, MOT, Datumaro), CSV tables
//   CuboidImages                  camera frames: Image, PNG and JPEG codecs (system libpng, libjpeg-turbo)
//   CuboidPointClouds             point clouds: PointCloud, KITTI/nuScenes .bin, PCD, PLY
//   CuboidDatasets                sequences: dataset layouts, poses, timestamps, label checks, labels laid onto recordings
//   CuboidPreviews                pictures of labels: bird's-eye views and camera frames with boxes drawn
//   CuboidSynthesis               synthetic sensor scenes with exact gold (lidar ray casting, camera rendering)
//   CuboidPrelabel                pre-labelling: model-free lidar detection, tracking, refinement, scoring, previews
//   CuboidQA                      scoring taskers against gold: matching, metrics, AP, tracking, feedback, reports, history
//   CuboidQAHistory               QA runs per tasker and batch in an embedded SQLite database (GRDB, via Packages/CuboidSQLite)
//   CuboidOdometry                lidar odometry: ego poses estimated from the sweeps (frame-to-map ICP), pose accuracy
//   CuboidInterpolation           filling frames between human keyframes (world frame, smooth, snapped), flags, accuracy
//   Cuboid                        umbrella: re-exports the public modules
//   CuboidCLI (product `cuboid`)  argument parsing and printing only; no algorithms
let package = Package(
    name: "Cuboid",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Cuboid", targets: ["Cuboid"]),
        .library(name: "CuboidGeometry", targets: ["CuboidGeometry"]),
        .library(name: "CuboidKernels", targets: ["CuboidKernels"]),
        .library(name: "CuboidIO", targets: ["CuboidIO"]),
        .library(name: "CuboidFormats", targets: ["CuboidFormats"]),
        .library(name: "CuboidDatasets", targets: ["CuboidDatasets"]),
        .library(name: "CuboidSynthesis", targets: ["CuboidSynthesis"]),
        .library(name: "CuboidPreviews", targets: ["CuboidPreviews"]),
        .library(name: "CuboidPrelabel", targets: ["CuboidPrelabel"]),
        .library(name: "CuboidInterpolation", targets: ["CuboidInterpolation"]),
        .library(name: "CuboidOdometry", targets: ["CuboidOdometry"]),
        .library(name: "CuboidQA", targets: ["CuboidQA"]),
        .library(name: "CuboidQAHistory", targets: ["CuboidQAHistory"]),
        .library(name: "CuboidImages", targets: ["CuboidImages"]),
        .library(name: "CuboidPointClouds", targets: ["CuboidPointClouds"]),
        .executable(name: "cuboid", targets: ["CuboidCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // GRDB 7.10 through a one-module local package (see Packages/CuboidSQLite/Package.swift).
        .package(path: "Packages/CuboidSQLite"),
    ],
    targets: [
        // System libraries and the tiny C shim that turns their longjmp/exit errors into return codes.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(
            name: "CCodecShims",
            dependencies: ["CPNG", "CJPEG"],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),

        .target(name: "CuboidGeometry"),
        .target(name: "CuboidKernels", dependencies: ["CuboidGeometry"]),
        .target(name: "CuboidIO"),
        .target(name: "CuboidFormats", dependencies: ["CuboidGeometry", "CuboidKernels", "CuboidIO"]),
        .target(name: "CuboidDatasets", dependencies: ["CuboidFormats", "CuboidKernels", "CuboidPointClouds", "CuboidImages", "CuboidIO"]),
        .target(name: "CuboidSynthesis", dependencies: ["CuboidDatasets", "CuboidFormats", "CuboidKernels", "CuboidPointClouds", "CuboidImages", "CuboidIO"]),
        .target(name: "CuboidPreviews", dependencies: ["CuboidFormats", "CuboidGeometry", "CuboidImages", "CuboidKernels", "CuboidPointClouds"]),
        .target(name: "CuboidPrelabel", dependencies: ["CuboidPreviews", "CuboidDatasets", "CuboidFormats", "CuboidKernels", "CuboidPointClouds", "CuboidImages", "CuboidIO"]),
        .target(name: "CuboidInterpolation", dependencies: ["CuboidFormats", "CuboidKernels", "CuboidPointClouds"]),
        .target(name: "CuboidOdometry", dependencies: ["CuboidDatasets", "CuboidFormats", "CuboidGeometry", "CuboidKernels", "CuboidPointClouds"]),
        .target(
            name: "CuboidQA",
            dependencies: ["CuboidDatasets", "CuboidFormats", "CuboidGeometry", "CuboidKernels", "CuboidPointClouds", "CuboidPreviews", "CuboidImages",
                           "CuboidIO"]),
        .target(name: "CuboidQAHistory", dependencies: ["CuboidQA", .product(name: "CuboidSQLite", package: "CuboidSQLite")]),
        .target(name: "CuboidImages", dependencies: ["CuboidIO", "CCodecShims"]),
        .target(name: "CuboidPointClouds", dependencies: ["CuboidIO", "CuboidKernels"]),
        .target(
            name: "Cuboid",
            dependencies: ["CuboidGeometry", "CuboidKernels", "CuboidIO", "CuboidFormats", "CuboidDatasets", "CuboidSynthesis", "CuboidPreviews", "CuboidPrelabel", "CuboidInterpolation", "CuboidOdometry", "CuboidQA", "CuboidQAHistory", "CuboidImages",
                           "CuboidPointClouds"]),
        .executableTarget(
            name: "CuboidCLI",
            dependencies: [
                "Cuboid",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // libFuzzer entry points, one per decoder (see Scripts/fuzz). In a plain `swift build` they are
        // executables that do nothing; only the fuzzer build gives them a main.
        .executableTarget(name: "FuzzPCD", dependencies: ["CuboidPointClouds"], path: "Fuzz/FuzzPCD"),
        .executableTarget(name: "FuzzPLY", dependencies: ["CuboidPointClouds"], path: "Fuzz/FuzzPLY"),
        .executableTarget(name: "FuzzKITTIBin", dependencies: ["CuboidPointClouds"], path: "Fuzz/FuzzKITTIBin"),
        .executableTarget(name: "FuzzPNG", dependencies: ["CuboidImages"], path: "Fuzz/FuzzPNG"),
        .executableTarget(name: "FuzzJPEG", dependencies: ["CuboidImages"], path: "Fuzz/FuzzJPEG"),
        .executableTarget(name: "FuzzKITTILabels", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzKITTILabels"),
        .executableTarget(name: "FuzzOpenLABEL", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzOpenLABEL"),
        .executableTarget(name: "FuzzCVAT", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzCVAT"),
        .executableTarget(name: "FuzzCOCO", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzCOCO"),
        .executableTarget(name: "FuzzSUSTechPOINTS", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzSUSTechPOINTS"),
        .executableTarget(name: "FuzzCSV", dependencies: ["CuboidFormats"], path: "Fuzz/FuzzCSV"),
        .executableTarget(name: "FuzzJSONFiles", dependencies: ["CuboidFormats", "CuboidPrelabel", "CuboidQA", "CuboidSynthesis"], path: "Fuzz/FuzzJSONFiles"),

        // Tests: one target per module plus shared support.
        .target(name: "CuboidTestSupport", dependencies: ["CuboidIO", "CuboidKernels"], path: "Tests/CuboidTestSupport"),
        .testTarget(name: "CuboidGeometryTests", dependencies: ["CuboidGeometry", "CuboidTestSupport"]),
        .testTarget(name: "CuboidKernelsTests", dependencies: ["CuboidKernels", "CuboidTestSupport"]),
        .testTarget(
            name: "CuboidFormatsTests",
            dependencies: ["CuboidFormats", "CuboidKernels", "CuboidPointClouds", "CuboidImages", "CuboidTestSupport"]),
        .testTarget(name: "CuboidIOTests", dependencies: ["CuboidIO", "CuboidTestSupport"]),
        .testTarget(name: "CuboidDatasetsTests", dependencies: ["CuboidDatasets", "CuboidKernels", "CuboidTestSupport"]),
        .testTarget(name: "CuboidSynthesisTests", dependencies: ["CuboidSynthesis", "CuboidDatasets", "CuboidKernels", "CuboidTestSupport"]),
        .testTarget(name: "CuboidPrelabelTests", dependencies: ["CuboidPrelabel", "CuboidDatasets", "CuboidFormats", "CuboidKernels", "CuboidIO", "CuboidTestSupport"]),
        .testTarget(name: "CuboidInterpolationTests", dependencies: ["CuboidInterpolation", "CuboidDatasets", "CuboidFormats", "CuboidKernels", "CuboidPointClouds", "CuboidTestSupport"]),
        .testTarget(
            name: "CuboidQATests",
            dependencies: ["CuboidQA", "CuboidQAHistory", "CuboidDatasets", "CuboidFormats", "CuboidKernels", "CuboidTestSupport",
                           .product(name: "CuboidSQLite", package: "CuboidSQLite")]),
        .testTarget(name: "CuboidOdometryTests", dependencies: ["CuboidOdometry", "CuboidSynthesis", "CuboidDatasets", "CuboidFormats", "CuboidPointClouds", "CuboidTestSupport"]),
        .testTarget(name: "CuboidImagesTests", dependencies: ["CuboidImages", "CuboidTestSupport"]),
        .testTarget(name: "CuboidPreviewsTests", dependencies: ["CuboidPreviews", "CuboidFormats", "CuboidGeometry", "CuboidImages", "CuboidPointClouds"]),
        .testTarget(name: "CuboidPointCloudsTests", dependencies: ["CuboidPointClouds", "CuboidTestSupport"]),
        .testTarget(name: "CuboidCLITests", dependencies: ["CuboidCLI", "CuboidTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
