import CuboidKernels
import Foundation
/// The ground under a sweep: a height above the local ground for every point, from plane fits in the
/// bins of a concentric zone model (Patchwork++, Lee et al. 2022, without its learned parts).
///
/// The region of interest is cut into zones of rings and sectors (coarser far away, where returns are
/// sparse). In each bin the lowest points seed a plane `z = a x + b y + c` that is refitted on the
/// points near it; the plane is accepted when it is no steeper than the configured tilt and does not
/// rise above the ground level carried in from the inner rings by more than a step plus a grade (so a
/// bin holding only a car's roof or a wall is not taken for ground). Bins whose plane is refused, or
/// that hold too few points, use the level carried in. Bins are visited from the inside out, so the
/// ground follows slopes and kerbs ring by ring without assuming a sensor height.
struct GroundModel: Sendable {
    /// Height of each point above its bin's ground, metres; NaN outside the region of interest.
    var heightAboveGround: [Float]
    /// The ground level under the sensor (median of the innermost ring's planes at their centres),
    /// in sensor coordinates; NaN when the ring held no ground.
    var sensorGroundLevel: Double
    /// Bins whose plane was accepted, and all bins that held points.
    var acceptedBins: Int, occupiedBins: Int

    /// Segments a sweep.
    /// - Parameters: x, y, z: Point coordinates, metres, sensor frame (z up); equal counts.
    /// - Complexity: O(n log n) (a sort of each bin by height).
    init(x: [Float], y: [Float], z: [Float], region: RegionOfInterest, configuration: GroundSegmentationConfiguration) {
        let count = x.count
        let zones = configuration.zones
        var ringWidths = [Double](), ringInner = [Double](), ringSectors = [Int](), ringBins = [Int]()
        var inner = region.minimumRange
        var total = 0
        for zone in zones {
            let width = (zone.outerRange - inner) / Double(zone.rings)
            for ring in 0..<zone.rings {
                ringWidths.append(width)
                ringInner.append(inner + Double(ring) * width)
                ringSectors.append(zone.sectors)
                ringBins.append(total)
                total += zone.sectors
            }
            inner = zone.outerRange
        }
        let ringCount = ringInner.count
        let outer = min(region.maximumRange, zones.last!.outerRange)

        // Bin of every point (-1 outside the region), then a counting sort by bin.
        var binOfPoint = [Int32](repeating: -1, count: count)
        var binCounts = [Int](repeating: 0, count: total + 1)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                for i in 0..<count {
                    let px = Double(xs[i]), py = Double(ys[i])
                    let r = (px * px + py * py).squareRoot()
                    guard r >= region.minimumRange, r < outer else { continue }
                    var ring = 0
                    while ring + 1 < ringCount && r >= ringInner[ring + 1] { ring += 1 }
                    let sectors = ringSectors[ring]
                    // The sector from the approximate arc tangent unless the angle lies at a sector's edge.
                    let approximate = (approximateAtan2(py, px) + .pi) / (2 * .pi) * Double(sectors)
                    var sector = px != 0 && py != 0 && clearOfBinEdges(approximate, binsPerRadian: Double(sectors) / (2 * .pi))
                        ? Int(approximate) : Int((atan2(py, px) + .pi) / (2 * .pi) * Double(sectors))
                    if sector >= sectors { sector = sectors - 1 }
                    let bin = ringBins[ring] + sector
                    binOfPoint[i] = Int32(bin)
                    binCounts[bin + 1] += 1
                }
            }
        }
        for b in 0..<total { binCounts[b + 1] += binCounts[b] }
        var order = [Int32](repeating: 0, count: binCounts[total])
        var cursor = binCounts
        for i in 0..<count where binOfPoint[i] >= 0 {
            let b = Int(binOfPoint[i])
            order[cursor[b]] = Int32(i)
            cursor[b] += 1
        }

        // Ground level carried outwards per azimuth slot (1 degree).
        let slots = 360
        // The level the innermost ring starts from: the most common height (0.1 m bins) of the
        // points in the first zone, where the lower beams see mostly road.
        var histogram = [Int](repeating: 0, count: 100)
        var histogramSums = [Double](repeating: 0, count: 100)
        let firstZoneEnd = zones[0].rings < ringCount ? binCounts[ringBins[zones[0].rings]] : binCounts[total]
        for k in 0..<firstZoneEnd {
            let height = Double(z[Int(order[k])])
            let slot = Int((height + 8) * 10)
            if slot >= 0 && slot < 100 {
                histogram[slot] += 1
                histogramSums[slot] += height
            }
        }
        let mode = histogram.indices.max { histogram[$0] < histogram[$1] }!
        let startLevel = histogram[mode] > 0 ? histogramSums[mode] / Double(histogram[mode]) : Double.nan
        var carried = [Double](repeating: startLevel, count: slots)
        var accepted = 0, occupied = 0
        var innermostLevels: [Double] = []
        let minimumNormalZ = cos(configuration.maximumTiltDegrees * .pi / 180)
        // Each bin's points by height, ties in point order (one integer sort of (height bits, index)
        // keys per bin), with their coordinates as Double, in bin order: bin b's are the positions
        // binCounts[b]..<binCounts[b + 1]. Scratch owned by this initializer.
        let placed = order.count
        let sortedIndex = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(placed, 1))
        let sortedX = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(placed, 1))
        let sortedY = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(placed, 1))
        let sortedZ = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(placed, 1))
        // The members of the current plane fit, as positions in the sorted arrays.
        let members = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(placed, 1))
        let heightsOut = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        defer {
            sortedIndex.deallocate(); sortedX.deallocate(); sortedY.deallocate(); sortedZ.deallocate()
            members.deallocate(); heightsOut.deallocate()
        }
        heightsOut.initialize(repeating: .nan)
        do {
            var keys = [UInt64](repeating: 0, count: placed)
            keys.withUnsafeMutableBufferPointer { keys in
                for k in 0..<placed { keys[k] = UInt64(orderedBits(z[Int(order[k])])) << 32 | UInt64(UInt32(bitPattern: order[k])) }
            }
            for bin in 0..<total where binCounts[bin + 1] - binCounts[bin] > 1 {
                sortDistinctKeys(&keys, in: binCounts[bin]..<binCounts[bin + 1])
            }
            keys.withUnsafeBufferPointer { keys in
                x.withUnsafeBufferPointer { x in
                    y.withUnsafeBufferPointer { y in
                        z.withUnsafeBufferPointer { z in
                            for k in 0..<placed {
                                let i = Int32(bitPattern: UInt32(truncatingIfNeeded: keys[k]))
                                sortedIndex[k] = i
                                sortedX[k] = Double(x[Int(i)])
                                sortedY[k] = Double(y[Int(i)])
                                sortedZ[k] = Double(z[Int(i)])
                            }
                        }
                    }
                }
            }
        }

        for ring in 0..<ringCount {
            let sectors = ringSectors[ring]
            let ringMid = ringInner[ring] + ringWidths[ring] / 2
            var updates: [(slotRange: Range<Int>, level: Double)] = []
            for sector in 0..<sectors {
                let bin = ringBins[ring] + sector
                let range = binCounts[bin]..<binCounts[bin + 1]
                let slotLow = sector * slots / sectors, slotHigh = max(slotLow + 1, (sector + 1) * slots / sectors)
                // The level carried into this bin: the mean of its slots' levels (none only when the
                // first zone held no point at all, and then every slot is NaN).
                var carriedSum = 0.0, carriedCount = 0
                for s in slotLow..<slotHigh where !carried[s].isNaN { carriedSum += carried[s]; carriedCount += 1 }
                let reference: Double? = carriedCount > 0 ? carriedSum / Double(carriedCount) : nil
                guard !range.isEmpty else { continue }
                occupied += 1

                var plane: (a: Double, b: Double, c: Double)? = nil
                // Only points that could be ground given the level carried in may seed the plane: a
                // bin covered by a car holds no ground, and its lowest points are the car's sills.
                let step = configuration.maximumStep + configuration.rise * ringWidths[ring]
                let allowed = reference.map { $0 + step } ?? .infinity
                // Returns far below the level are reflections (multipath through glass and water).
                let floor = reference.map { $0 - 2 * step } ?? -.infinity
                // Positions (in the sorted arrays) of the first candidate and past the last one.
                var firstCandidate = range.lowerBound
                while firstCandidate < range.upperBound && !(sortedZ[firstCandidate] >= floor) { firstCandidate += 1 }
                var candidates = range.lowerBound
                while candidates < range.upperBound && sortedZ[candidates] < allowed { candidates += 1 }
                if candidates - firstCandidate >= 3 {
                    let seedCount = min(configuration.seedCount, candidates - firstCandidate)
                    var lowest = 0.0
                    for k in firstCandidate..<(firstCandidate + seedCount) { lowest += sortedZ[k] }
                    lowest /= Double(seedCount)
                    // The seeds: the candidates (sorted by height) below the lowest ones' mean plus the margin.
                    var memberCount = 0
                    let seedTop = lowest + configuration.seedMargin
                    for k in firstCandidate..<candidates {
                        guard sortedZ[k] < seedTop else { break }
                        members[memberCount] = Int32(k)
                        memberCount += 1
                    }
                    var fitted: (a: Double, b: Double, c: Double, normalZ: Double)? = nil
                    let threshold = configuration.distanceThreshold
                    for _ in 0..<configuration.iterations {
                        guard memberCount >= 3,
                              let fit = fitPlane(UnsafeBufferPointer(rebasing: members[0..<memberCount]), sortedX, sortedY, sortedZ) else { break }
                        fitted = fit
                        memberCount = 0
                        for k in firstCandidate..<candidates where abs(sortedZ[k] - (fit.a * sortedX[k] + fit.b * sortedY[k] + fit.c)) < threshold {
                            members[memberCount] = Int32(k)
                            memberCount += 1
                        }
                    }
                    if let fit = fitted, fit.normalZ >= minimumNormalZ {
                        // The plane's height at the middle of the bin.
                        let angle = (Double(sector) + 0.5) / Double(sectors) * 2 * .pi - .pi
                        let level = fit.a * ringMid * cos(angle) + fit.b * ringMid * sin(angle) + fit.c
                        if level <= allowed {
                            plane = (fit.a, fit.b, fit.c)
                            accepted += 1
                            updates.append((slotLow..<slotHigh, level))
                            if ring == 0 { innermostLevels.append(level) }
                        }
                    }
                }
                let (a, b, c) = plane ?? (0, 0, reference ?? sortedZ[range.lowerBound])
                for k in range {
                    heightsOut[Int(sortedIndex[k])] = Float(sortedZ[k] - (a * sortedX[k] + b * sortedY[k] + c))
                }
            }
            // Levels are carried after the whole ring so that sectors do not feed each other.
            for update in updates { for s in update.slotRange { carried[s] = update.level } }
        }
        heightAboveGround = Array(heightsOut[0..<count])
        sensorGroundLevel = innermostLevels.isEmpty ? .nan : innermostLevels.sorted()[innermostLevels.count / 2]
        acceptedBins = accepted
        occupiedBins = occupied
    }
}

/// The bits of a finite float as an unsigned integer in the same order (negative values reversed
/// below positive ones; -0 counts as 0).
@inline(__always)
private func orderedBits(_ value: Float) -> UInt32 {
    let bits = (value == 0 ? 0 : value).bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
}

/// Least-squares plane `z = a x + b y + c` through the points, with a small ridge towards horizontal
/// so that a bin holding one scan line (collinear points) still gets a plane; `normalZ` is the z of
/// the unit normal.
private func fitPlane(_ members: UnsafeBufferPointer<Int32>, _ x: UnsafeMutableBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>,
                      _ z: UnsafeMutableBufferPointer<Double>) -> (a: Double, b: Double, c: Double, normalZ: Double)? {
    let n = Double(members.count)
    var mx = 0.0, my = 0.0, mz = 0.0
    for i in members { mx += x[Int(i)]; my += y[Int(i)]; mz += z[Int(i)] }
    mx /= n; my /= n; mz /= n
    var sxx = 0.0, sxy = 0.0, syy = 0.0, sxz = 0.0, syz = 0.0
    for i in members {
        let dx = x[Int(i)] - mx, dy = y[Int(i)] - my, dz = z[Int(i)] - mz
        sxx += dx * dx; sxy += dx * dy; syy += dy * dy; sxz += dx * dz; syz += dy * dz
    }
    let ridge = 0.05 * n
    sxx += ridge; syy += ridge
    let det = sxx * syy - sxy * sxy
    guard det > 0 else { return nil }
    let a = (sxz * syy - syz * sxy) / det
    let b = (syz * sxx - sxz * sxy) / det
    let c = mz - a * mx - b * my
    return (a, b, c, 1 / (1 + a * a + b * b).squareRoot())
}

