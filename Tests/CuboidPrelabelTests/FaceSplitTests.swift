import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation
@testable import CuboidPrelabel
import Testing

/// A fence or a wall across the line of sight and what stands near it, as a 64-beam sensor 1.73 m
/// up sees them: rings 0.4 degree apart from 2 degrees up downwards, returns every 0.09 degree.
struct FaceScene: CustomTestStringConvertible, Sendable {
    var name: String
    /// The face: its distance straight ahead (x, metres) and its ends across (y), metres.
    var faceX = 10.4, faceFrom = -3.0, faceTo = 3.0
    /// The person's range straight ahead, metres; nil for none.
    var person: Double? = 10
    /// A shrub (returns through a 2 m x 2 m block) centred here; nil for none.
    var shrub: SIMD2<Double>? = nil
    /// How many pieces stand before the face.
    var pieces: Int

    var testDescription: String { name }

    static let mount = 1.73, ringStep = 0.4, azimuthStep = 0.09 * Double.pi / 180

    /// The scene's returns: x, y and height above the ground; the person's come last.
    var returns: (x: [Float], y: [Float], h: [Float], personCount: Int) {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        for ring in 0..<60 {
            let slope = tan((2.0 - Self.ringStep * Double(ring)) * Double.pi / 180)
            var azimuth = atan2(faceFrom, faceX)
            while azimuth <= atan2(faceTo, faceX) {
                let height = Self.mount + slope * faceX / cos(azimuth)
                if height >= 0.3 && height <= 2.0 { x.append(Float(faceX)); y.append(Float(faceX * tan(azimuth))); h.append(Float(height)) }
                azimuth += Self.azimuthStep
            }
        }
        if let shrub {
            for px in stride(from: shrub.x - 1, through: shrub.x + 1, by: 0.1) {
                for py in stride(from: shrub.y - 1, through: shrub.y + 1, by: 0.1) { x.append(Float(px)); y.append(Float(py)); h.append(Float(0.5 + 0.4 * abs(px - shrub.x))) }
            }
        }
        let before = x.count
        if let range = person {
            for ring in 0..<60 {
                let slope = tan((2.0 - Self.ringStep * Double(ring)) * Double.pi / 180)
                let height = Self.mount + slope * range
                guard height >= 0.3 && height <= 1.75 else { continue }
                let half = (height > 1.5 ? 0.22 : 0.48) / 2
                var azimuth = -half / range
                while azimuth <= half / range {
                    x.append(Float(range * cos(azimuth))); y.append(Float(range * sin(azimuth))); h.append(Float(height))
                    azimuth += Self.azimuthStep
                }
            }
        }
        return (x, y, h, x.count - before)
    }

    var cluster: ClusterPoints {
        let r = returns
        return ClusterPoints((0..<Int32(r.x.count)).map { $0 }, cloud: PointCloud(x: r.x, y: r.y, z: r.h.map { $0 - Float(Self.mount) }), heights: r.h)
    }

    static let scenarios: [FaceScene] = [
        FaceScene(name: "a person 0.4 m before a fence", pieces: 1),
        FaceScene(name: "a fence alone", person: nil, pieces: 0),
        FaceScene(name: "a person behind the fence", person: 10.8, pieces: 0),
        FaceScene(name: "a person at the fence's end", faceFrom: -3, faceTo: 0.1, pieces: 0),
        FaceScene(name: "a person before a 1.2 m stub", faceFrom: -0.6, faceTo: 0.6, pieces: 0),
        FaceScene(name: "a person beside a shrub, no face", faceFrom: 2, faceTo: 2.5, shrub: SIMD2(10.5, 1.5), pieces: 0),
    ]
}

@Suite struct FaceSplitTests {
    static let persons = PersonConfiguration()

    func pieces(_ cluster: ClusterPoints, band: Double = persons.besideFaceBand) -> [ClusterPoints] {
        cluster.piecesBesideFace(band: band, link: Self.persons.besideFaceLink, margin: Self.persons.besideFaceMargin,
                                 minimumFaceShare: Self.persons.minimumBesideFaceShare, minimumPoints: PrelabelConfiguration().clustering.minimumPoints)
    }

    /// Someone standing before a wall or a fence is split off it, with exactly their returns;
    /// nothing is split off a face alone, behind it, at its end, off a face too short to be one, or
    /// off a cluster that is no face.
    @Test(arguments: FaceScene.scenarios)
    func whatStandsBeforeAFace(_ scene: FaceScene) {
        let cluster = scene.cluster
        let found = pieces(cluster)
        #expect(found.count == scene.pieces, "\(scene.name): \(found.map(\.count)) pieces")
        if scene.pieces == 1, let piece = found.first {
            #expect(piece.count == scene.returns.personCount)
            #expect(piece.footprint.allSatisfy { abs($0.x - 10) < 0.05 })
        }
    }

    /// The piece is a person to the classifier, the fence with them is no class at all; with the
    /// band at 0 (the setting's off switch) nothing is split.
    @Test func thePieceIsAPerson() throws {
        let cluster = FaceScene.scenarios[0].cluster
        let detector = LidarDetector()
        let r = FaceScene.scenarios[0].returns
        let cloud = PointCloud(x: r.x, y: r.y, z: r.h.map { $0 - Float(FaceScene.mount) })
        let surroundings = Surroundings(cloud, heights: r.h, configuration: detector.configuration)
        #expect(detector.classify(cluster, footprint: try #require(LShapeFitter.prelabel.fit(cluster.footprint)), surroundings: surroundings) == nil)
        let piece = try #require(pieces(cluster).first)
        let found = detector.classify(piece, footprint: try #require(LShapeFitter.prelabel.fit(piece.footprint)), surroundings: surroundings)
        #expect(found?.category == "Pedestrian")
        #expect((found?.score ?? 0) >= Self.persons.minimumBesideFaceScore)
        #expect(pieces(cluster, band: 0).isEmpty)
    }
}
