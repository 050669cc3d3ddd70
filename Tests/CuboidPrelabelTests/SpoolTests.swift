import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidKernels
@testable import CuboidPrelabel
import CuboidTestSupport
import Foundation
import Testing

@Suite struct SpoolTests {
    /// Tracks written in the order they end come back per frame, by id, with every bit of their boxes.
    @Test func trackSpoolReturnsBoxesByFrame() throws {
        let folder = try scratchFolder("spool")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try TrackSpool(in: folder)
        var codes = CategoryCodes()
        var generator = SplitMix64(seed: 3)
        var expected: [Int: [(Int, TrackedBox)]] = [:]
        for id in stride(from: 40, through: 1, by: -1) {
            let first = Int(generator.next() % 90), length = 1 + Int(generator.next() % 30)
            var boxes: [Int: TrackedBox] = [:]
            for frame in first..<first + length {
                let box = TrackedBox(cuboid: Box3D(x: generator.normal(), y: generator.normal(), z: -1, length: 4, width: 1.8, height: 1.5, yaw: generator.normal()),
                                     detection: frame % 3 == 0 ? nil : frame % 7)
                boxes[frame] = box
                expected[frame, default: []].append((id, box))
            }
            try spool.add(Track(id: id, category: id % 2 == 0 ? "Car" : "Pedestrian", kind: id % 2 == 0 ? .vehicle : .person, score: 0.5, isMoving: id % 3 == 0, headingKnown: false, boxes: boxes),
                          codes: &codes)
        }
        for start in stride(from: 0, to: 120, by: 32) {
            let got = try spool.boxes(frames: start..<start + 32)
            for (offset, entries) in got.enumerated() {
                let want = (expected[start + offset] ?? []).sorted { $0.0 < $1.0 }
                #expect(entries.map(\.track.id) == want.map(\.0))
                #expect(entries.map(\.box) == want.map(\.1))
                for entry in entries {
                    #expect(codes.names[entry.track.category] == (entry.track.id % 2 == 0 ? "Car" : "Pedestrian"))
                    #expect(entry.track.isMoving == (entry.track.id % 3 == 0))
                }
            }
        }
    }

    /// 70,000 items (18 runs: a merge pass, then the final merge) come out in the order an in-memory
    /// sort gives, ties on doubt broken by frame name and track.
    @Test func reviewQueueSortsOnDisk() throws {
        let folder = try scratchFolder("spool")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = try ReviewQueue(in: folder)
        let names = (0..<500).map { String(format: "f%04d", 499 - $0) }  // name order opposite to index order
        var generator = SplitMix64(seed: 11)
        var items: [ReviewItem] = []
        for k in 0..<70_000 {
            let score = Double(generator.next() % 20) / 20  // many equal doubts
            let object = LabeledObject(trackID: "1", category: "Car", cuboid: nil, score: score)
            let factors = [ScoreFactor(name: "opaque shell", value: 0.47), ScoreFactor(name: "roof width", value: 0.81)].prefix(k % 3)
            let detection = k % 4 == 0 ? nil : Detection(category: k % 5 == 0 ? "Van" : "Car", cuboid: Box3D(x: 0, y: 0, z: 0, length: 1, width: 1, height: 1, yaw: 0),
                                                      score: score, pointCount: Int(generator.next() % 60), weakestFactors: Array(factors))
            let item = ReviewItem(frame: Int(generator.next() % 500), trackID: k, category: "Car", kind: .vehicle, headingKnown: k % 2 == 0,
                                  trackLength: k % 3 == 0 ? nil : Int(generator.next() % 9), object: object, detection: detection, codes: &queue.codes)
            items.append(item)
            try queue.add(item)
        }
        try queue.write(to: folder + "/queue.csv", frameNames: names)
        let sorted = items.sorted { a, b in
            if a.doubt != b.doubt { return a.doubt > b.doubt }
            if a.frame != b.frame { return names[a.frame] < names[b.frame] }
            return a.trackID < b.trackID
        }
        let expected = ReviewQueue.header
            + sorted.enumerated().map { $0.element.line(rank: $0.offset + 1, frameNames: names, codes: queue.codes) }.joined()
        let written = String(decoding: try FileBytes.read(folder + "/queue.csv"), as: UTF8.self)
        #expect(written == expected)
        #expect(written.contains("detected as Van") && written.contains("few points") && written.contains("short track"))
        // The score's weakest factors survive the spool, by name and value.
        #expect(written.contains("score lowered by opaque shell 0.47\"") && written.contains("score lowered by opaque shell 0.47, roof width 0.81\""))
    }
}

@Suite struct DetectionCacheTests {
    /// Outlines and score factors survive the cache bit for bit (a resumed run refits static tracks on the same
    /// numbers as an uninterrupted one); detections without one stay without.
    @Test func outlinesRoundTrip() throws {
        let outline = [SIMD2(12.345678901234, -3.1), SIMD2(1e-7, 40.000000000001), SIMD2(-0.1 / 3, 0.2 / 7)]
        let detections = [
            Detection(category: "Car", cuboid: Box3D(x: 12, y: -3, z: -0.9, length: 3.9, width: 1.65, height: 1.4, yaw: 0.1), score: 0.8, pointCount: 3, outline: outline,
                      weakestFactors: [ScoreFactor(name: "opaque shell", value: 0.1 / 3), ScoreFactor(name: "returns", value: 0.9)]),
            Detection(category: "Car", cuboid: Box3D(x: 1, y: 2, z: -0.9, length: 3.9, width: 1.65, height: 1.4, yaw: 0), score: 1, pointCount: 0, source: "external"),
        ]
        let key = DetectionCacheKey(tool: "0.1.0", sweep: "000000.bin 16 digest64 0123456789abcdef", configuration: "digest64 fedcba9876543210", external: "none")
        #expect(try DetectionCache.decode(DetectionCache.encode(detections, key: key)) == DetectionCache.Entry(key: key, detections: detections))
    }

    /// An outline with an odd count of numbers is named, with its line.
    @Test func oddOutlineIsRejected() {
        let text = "{\"version\": 2, \"madeFrom\": {\"tool\": \"0.1.0\", \"sweep\": \"unused\", \"configuration\": \"x\", \"external\": \"none\"},\n\"detections\": [\n{\"category\": \"Car\", \"score\": 1, \"points\": 3, \"source\": \"lidar\", \"box\": [1, 2, 3, 4, 5, 6, 0],\n \"outline\": [1, 2, 3]}]}"
        #expect(throws: LabelFileError.invalidField(line: 4, field: "outline", expected: "an even count of numbers (x, y pairs)")) {
            try DetectionCache.decode(Array(text.utf8))
        }
    }

    /// A version 1 file records no inputs: it is refused (and its frame detected again), not trusted.
    @Test func versionOneIsRefused() {
        let text = "{\"version\": 1, \"detections\": []}"
        #expect(throws: LabelFileError.invalidField(line: 1, field: "version", expected: "2 (an older cache records no inputs)")) {
            try DetectionCache.decode(Array(text.utf8))
        }
    }
}
