public import CuboidFormats
import CuboidGeometry
import CuboidKernels
import Foundation

/// A seeded synthetic QA batch for benchmarks and tests: gold tracks of cars, pedestrians and
/// cyclists moving over the frames (cuboids, and 2D boxes under camera `image`), and taskers who keep most boxes with noise (some with a flipped
/// heading), drop some, confuse a few classes and add extras, with scores and track ids.
public enum SyntheticQABatch {
    /// Makes a batch.
    /// - Parameters:
    ///   - frames: Frames (> 0).
    ///   - boxesPerFrame: Gold boxes in each frame (>= 0).
    ///   - taskers: Taskers (> 0).
    ///   - seed: The generator's seed; the same seed gives the same batch.
    /// - Complexity: O(frames x boxesPerFrame x taskers).
    public static func make(frames: Int, boxesPerFrame: Int, taskers: Int, seed: UInt64 = 1) -> (gold: LabelSet, taskers: [TaskerLabels]) {
        precondition(frames > 0 && boxesPerFrame >= 0 && taskers > 0, "frames and taskers must be > 0, boxesPerFrame >= 0")
        var random = SplitMix64(seed: seed)
        let classes: [(name: String, size: SIMD3<Double>, speed: Double)] = [("Car", SIMD3(4.4, 1.85, 1.55), 1.0),
                                                                            ("Pedestrian", SIMD3(0.75, 0.7, 1.75), 0.12),
                                                                            ("Cyclist", SIMD3(1.8, 0.65, 1.7), 0.45)]
        struct Track { var category: Int; var center: SIMD2<Double>; var yaw: Double; var speed: Double; var size: SIMD3<Double> }
        let tracks = (0..<boxesPerFrame).map { _ -> Track in
            let u = random.unit()
            let category = u < 0.6 ? 0 : u < 0.85 ? 1 : 2
            return Track(category: category, center: SIMD2(random.unit() * 100 - 50, random.unit() * 100 - 50), yaw: random.unit() * 2 * .pi - .pi,
                         speed: classes[category].speed * random.unit() * 1.5,
                         size: classes[category].size * SIMD3(0.85 + 0.3 * random.unit(), 0.85 + 0.3 * random.unit(), 0.85 + 0.3 * random.unit()))
        }
        var gold = LabelSet(frames: (0..<frames).map { LabeledFrame(name: String(format: "%06d", $0)) })
        for f in 0..<frames {
            gold.frames[f].objects = tracks.enumerated().map { id, track in
                let center = track.center + Double(f) * track.speed * SIMD2(cos(track.yaw), sin(track.yaw))
                let cuboid = Box3D(center: SIMD3(center.x, center.y, -1 + track.size.z / 2), size: track.size, yaw: track.yaw)
                return LabeledObject(trackID: String(id), category: classes[track.category].name, cuboid: cuboid,
                                     boxes: ["image": imageBox(cuboid)])
            }
        }
        var labelled: [TaskerLabels] = []
        for t in 0..<taskers {
            var set = LabelSet(frames: gold.frames.map { LabeledFrame(name: $0.name) })
            let care = 0.04 + 0.03 * Double(t)
            for f in 0..<frames {
                for object in gold.frames[f].objects {
                    guard random.unit() > care, var box = object.cuboid else { continue }
                    box.x += 0.1 * random.normal()
                    box.y += 0.1 * random.normal()
                    box.length *= 1 + 0.05 * random.normal()
                    box.width *= 1 + 0.05 * random.normal()
                    box.yaw = normalizedYaw(box.yaw + 0.05 * random.normal() + (random.unit() < 0.02 ? .pi : 0))
                    let category = random.unit() < 0.02 ? classes[Int(random.next() % 3)].name : object.category
                    set.frames[f].objects.append(LabeledObject(trackID: "t" + object.trackID!, category: category, cuboid: box,
                                                               boxes: ["image": imageBox(box)], score: 0.3 + 0.7 * random.unit()))
                }
                for k in 0..<Int(random.next() % 3) {
                    let size = classes[0].size
                    let box = Box3D(center: SIMD3(random.unit() * 100 - 50, random.unit() * 100 - 50, -0.2), size: size,
                                    yaw: random.unit() * 2 * .pi - .pi)
                    set.frames[f].objects.append(LabeledObject(trackID: "x\(f)-\(k)", category: "Car", cuboid: box, boxes: ["image": imageBox(box)],
                                                               score: 0.5 * random.unit()))
                }
            }
            labelled.append(TaskerLabels(name: "tasker\(t + 1)", labels: set))
        }
        return (gold, labelled)
    }

    /// A stand-in image box for 2D scoring: the footprint's axis-aligned bounds at 10 pixels a metre
    /// in a 1000 x 1000 picture of the 100 m square.
    static func imageBox(_ box: Box3D) -> Box2D {
        let bounds = box.bev.enclosingBox
        return Box2D(minX: 500 + 10 * bounds.minX, minY: 500 + 10 * bounds.minY, maxX: 500 + 10 * bounds.maxX, maxY: 500 + 10 * bounds.maxY)
    }
}
