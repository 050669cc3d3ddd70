// swift-tools-version: 6.0
// Cuboid's SQLite layer: GRDB behind one module of Cuboid's own, so that the package's documentation
// (`swift package generate-documentation`) covers Cuboid's modules and not GRDB's catalogue.
import PackageDescription

let package = Package(
    name: "CuboidSQLite",
    products: [.library(name: "CuboidSQLite", targets: ["CuboidSQLite"])],
    dependencies: [.package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0")],
    targets: [.target(name: "CuboidSQLite", dependencies: [.product(name: "GRDB", package: "GRDB.swift")])]
)
