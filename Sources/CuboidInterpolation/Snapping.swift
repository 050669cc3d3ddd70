import CuboidFormats
import CuboidGeometry
import CuboidPointClouds
import Foundation

/// Moves the frame's filled cuboids to fit its lidar returns (see ``SnapSettings``).
/// - Returns: The track ids of the boxes that moved (one entry per moved box).
/// - Complexity: O(boxes x (points + candidates x returns near the box)).
func snapBoxes(_ boxes: inout [PendingBox], cloud: PointCloud, settings: SnapSettings) -> [String] {
    var moved: [String] = []
    let steps = Int((settings.maximumShift / settings.shiftStep).rounded())
    let turns = Int((settings.maximumTurn / settings.turnStep).rounded())
    let xs = cloud.x, ys = cloud.y, zs = cloud.z
    for index in boxes.indices where boxes[index].origin == .interpolated {
        guard let box = boxes[index].object.cuboid else { continue }
        // Returns near the box, relative to its centre, above the ground and below its top.
        let reach = 0.5 * (box.length * box.length + box.width * box.width).squareRoot() + settings.maximumShift + settings.margin
        let low = Float(box.bottom + settings.groundClearance), high = Float(box.top)
        let minX = Float(box.x - reach), maxX = Float(box.x + reach), minY = Float(box.y - reach), maxY = Float(box.y + reach)
        var localX: [Double] = [], localY: [Double] = []
        for k in 0..<xs.count {
            let x = xs[k], y = ys[k], z = zs[k]
            if x >= minX && x <= maxX && y >= minY && y <= maxY && z >= low && z <= high {
                localX.append(Double(x) - box.x)
                localY.append(Double(y) - box.y)
            }
        }
        guard localX.count >= settings.minimumPoints else { continue }
        let halfLength = box.length / 2, halfWidth = box.width / 2
        let outerLength = halfLength + settings.margin, outerWidth = halfWidth + settings.margin
        var rotatedU = [Double](repeating: 0, count: localX.count), rotatedV = rotatedU
        /// (score, inside) of every shift for one turn, row-major over (shift x, shift y).
        var best: (score: Int, inside: Int, cost: Double, dx: Double, dy: Double, turn: Double)?
        var candidates: [(score: Int, inside: Int, cost: Double, dx: Double, dy: Double, turn: Double)] = []
        var unmoved = 0
        for turnIndex in -turns...turns {
            let turn = Double(turnIndex) * settings.turnStep
            let c = cos(box.yaw + turn), s = sin(box.yaw + turn)
            for k in localX.indices {
                rotatedU[k] = localX[k] * c + localY[k] * s
                rotatedV[k] = -localX[k] * s + localY[k] * c
            }
            for i in -steps...steps {
                for j in -steps...steps {
                    let dx = Double(i) * settings.shiftStep, dy = Double(j) * settings.shiftStep
                    let shiftU = dx * c + dy * s, shiftV = -dx * s + dy * c
                    var inside = 0, shell = 0
                    for k in rotatedU.indices {
                        let u = abs(rotatedU[k] - shiftU), v = abs(rotatedV[k] - shiftV)
                        if u <= halfLength && v <= halfWidth {
                            inside += 1
                        } else if u <= outerLength && v <= outerWidth {
                            shell += 1
                        }
                    }
                    let score = inside - shell
                    let cost = (dx * dx + dy * dy).squareRoot() + abs(turn) * 5
                    if i == 0 && j == 0 && turnIndex == 0 { unmoved = score }
                    candidates.append((score, inside, cost, dx, dy, turn))
                    if best == nil || score > best!.score { best = (score, inside, cost, dx, dy, turn) }
                }
            }
        }
        guard let top = best, top.score - unmoved >= settings.minimumGain else { continue }
        // The nearest candidate that fits about as well as the best.
        var chosen = top
        for candidate in candidates where candidate.score >= top.score - settings.minimumGain + 1 && candidate.score - unmoved >= settings.minimumGain {
            if candidate.cost < chosen.cost || (candidate.cost == chosen.cost && candidate.score > chosen.score) { chosen = candidate }
        }
        guard chosen.inside >= settings.minimumPoints else { continue }
        var snapped = box
        snapped.x += chosen.dx
        snapped.y += chosen.dy
        snapped.yaw = normalizedYaw(box.yaw + chosen.turn)
        boxes[index].object.cuboid = snapped
        boxes[index].object.attributes["snap_shift"] = .number((chosen.dx * chosen.dx + chosen.dy * chosen.dy).squareRoot())
        boxes[index].origin = .snapped
        moved.append(boxes[index].object.trackID ?? "")
    }
    return moved
}
