import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidIO
import Foundation

/// Little-endian fixed-size fields for the spools' records.
private struct RecordWriter {
    var bytes: [UInt8] = []
    mutating func int32(_ value: Int) { withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func double(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
}

private struct RecordReader {
    let bytes: [UInt8]
    var offset: Int
    mutating func int32() -> Int {
        defer { offset += 4 }
        return Int(Int32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }))
    }
    mutating func double() -> Double {
        defer { offset += 8 }
        return Double(bitPattern: UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }))
    }
}

/// Small integers for class (and camera) names, so spooled records have a fixed size.
struct CategoryCodes {
    private(set) var names: [String] = []
    private var codes: [String: Int] = [:]
    mutating func code(_ name: String) -> Int {
        if let code = codes[name] { return code }
        names.append(name)
        codes[name] = names.count - 1
        return names.count - 1
    }
}

/// Finished tracks, their boxes on disk and a small header each in memory, read back by frame range.
///
/// The tracker completes tracks out of frame order (a track is known once it ends); the labels are
/// written in frame order. Holding every box until then would make memory grow with the sequence, so
/// the boxes go to a scratch file: 64 bytes a box on disk, one header a track in memory.
final class TrackSpool {
    /// 32 bytes a track (a long sequence has thousands).
    struct Header {
        var score: Double
        /// Byte offset of the first box in the scratch file.
        var offset: Int
        private var id32: Int32
        /// The track's first and last frames (its boxes cover every frame between).
        private var first32: Int32, last32: Int32
        private var category16: UInt16
        var isMoving: Bool
        var headingKnown: Bool
        var id: Int { Int(id32) }
        var first: Int { Int(first32) }
        var last: Int { Int(last32) }
        var category: Int { Int(category16) }
        var length: Int { last - first + 1 }

        init(track: Track, category: Int, first: Int, last: Int, offset: Int) {
            precondition(category <= Int(UInt16.max) && last <= Int(Int32.max) && track.id <= Int(Int32.max), "a track spool holds up to 65,536 classes and 2^31 frames and tracks")
            score = track.score
            self.offset = offset
            id32 = Int32(track.id)
            first32 = Int32(first)
            last32 = Int32(last)
            category16 = UInt16(category)
            isMoving = track.isMoving
            headingKnown = track.headingKnown
        }
    }

    private static let recordSize = 64
    private let file: ScratchFile
    private(set) var headers: [Header] = []

    init(in folder: String) throws(FileAccessError) { file = try ScratchFile(in: folder) }

    func add(_ track: Track, codes: inout CategoryCodes) throws(FileAccessError) {
        let frames = track.boxes.keys.sorted()
        guard let first = frames.first, let last = frames.last else { return }
        precondition(frames.count == last - first + 1, "a refined track has a box in every frame from its first to its last")
        headers.append(Header(track: track, category: codes.code(track.category), first: first, last: last, offset: file.count))
        var record = RecordWriter()
        record.bytes.reserveCapacity(frames.count * Self.recordSize)
        for frame in frames {
            let box = track.boxes[frame]!
            record.int32(frame)
            record.int32(box.detection ?? -1)
            for value in [box.cuboid.x, box.cuboid.y, box.cuboid.z, box.cuboid.length, box.cuboid.width, box.cuboid.height, box.cuboid.yaw] { record.double(value) }
        }
        try file.append(record.bytes)
    }

    /// For each frame of `frames`: the tracks with a box there and the box, by track id.
    func boxes(frames: Range<Int>) throws(FileAccessError) -> [[(track: Header, box: TrackedBox)]] {
        var result = [[(track: Header, box: TrackedBox)]](repeating: [], count: frames.count)
        for header in headers where header.first < frames.upperBound && header.last >= frames.lowerBound {
            let from = max(header.first, frames.lowerBound), to = min(header.last, frames.upperBound - 1)
            let bytes = try file.read(offset: header.offset + (from - header.first) * Self.recordSize, count: (to - from + 1) * Self.recordSize)
            var reader = RecordReader(bytes: bytes, offset: 0)
            for _ in from...to {
                let frame = reader.int32(), detection = reader.int32()
                let v = (0..<7).map { _ in reader.double() }
                let box = TrackedBox(cuboid: Box3D(x: v[0], y: v[1], z: v[2], length: v[3], width: v[4], height: v[5], yaw: v[6]),
                                     detection: detection < 0 ? nil : detection)
                result[frame - frames.lowerBound].append((header, box))
            }
        }
        for k in result.indices { result[k].sort { $0.track.id < $1.track.id } }
        return result
    }
}

/// One line of the review queue: a box and why a person should look at it.
struct ReviewItem {
    var frame: Int
    var trackID: Int
    var category: Int
    var score: Double
    var doubt: Double
    /// The detection's class when it differs from the track's.
    var detectedAs: Int?
    /// Returns inside, when detected in this frame by the lidar detector.
    var pointCount: Int?
    var detected: Bool
    /// Frames of the track when tracked.
    var trackLength: Int?
    var headingUnknown: Bool
    /// The box's centre, lidar (sensor) frame, metres.
    var position: SIMD3<Double>
    /// The camera whose preview shows the box (its name's code), when one does.
    var camera: Int?
    /// The detection's weakest score factors (name's code and value, weakest first; see
    /// ``Detection/weakestFactors``): at most two.
    var factors: [(name: Int, value: Double)]

    static let recordSize = 96

    /// - Parameters: `trackLength` nil when frames are not tracked; `camera` the camera whose preview
    ///   shows the box, nil for none.
    init(frame: Int, trackID: Int, category: String, kind: ObjectKind, headingKnown: Bool, trackLength: Int?, object: LabeledObject, detection: Detection?,
         camera: String? = nil, codes: inout CategoryCodes) {
        self.frame = frame
        position = object.cuboid.map { SIMD3($0.x, $0.y, $0.z) } ?? SIMD3(repeating: .nan)
        self.camera = camera.map { codes.code($0) }
        self.trackID = trackID
        self.category = codes.code(category)
        score = object.score ?? 0
        detected = detection != nil
        pointCount = detection.map(\.pointCount)
        self.trackLength = trackLength
        headingUnknown = !headingKnown && kind != .person
        detectedAs = detection.flatMap { $0.category == category ? nil : codes.code($0.category) }
        factors = (detection?.weakestFactors ?? []).prefix(2).map { (codes.code($0.name), $0.value) }
        var doubt = 1 - score
        if detection == nil { doubt += 0.2 }
        if let pointCount, pointCount > 0 && pointCount < 30 { doubt += 0.1 }
        if let trackLength, trackLength < 5 { doubt += 0.1 }
        if headingUnknown { doubt += 0.05 }
        if detectedAs != nil { doubt += 0.15 }
        self.doubt = min(1, doubt)
    }

    private init(reading reader: inout RecordReader) {
        doubt = reader.double()
        score = reader.double()
        position = SIMD3(reader.double(), reader.double(), reader.double())
        frame = reader.int32()
        trackID = reader.int32()
        category = reader.int32()
        let detectedAs = reader.int32(), pointCount = reader.int32(), trackLength = reader.int32()
        self.detectedAs = detectedAs < 0 ? nil : detectedAs
        self.pointCount = pointCount < 0 ? nil : pointCount
        self.trackLength = trackLength < 0 ? nil : trackLength
        let flags = reader.int32()
        detected = flags & 1 != 0
        headingUnknown = flags & 2 != 0
        let camera = reader.int32()
        self.camera = camera < 0 ? nil : camera
        factors = []
        for _ in 0..<2 {
            let name = reader.int32()
            let value = reader.double()
            if name >= 0 { factors.append((name, value)) }
        }
    }

    fileprivate func encode(into record: inout RecordWriter) {
        record.double(doubt)
        record.double(score)
        for k in 0..<3 { record.double(position[k]) }
        for value in [frame, trackID, category, detectedAs ?? -1, pointCount ?? -1, trackLength ?? -1, (detected ? 1 : 0) | (headingUnknown ? 2 : 0), camera ?? -1] {
            record.int32(value)
        }
        for k in 0..<2 {
            record.int32(k < factors.count ? factors[k].name : -1)
            record.double(k < factors.count ? factors[k].value : 0)
        }
    }

    fileprivate static func decode(_ bytes: [UInt8]) -> [ReviewItem] {
        var reader = RecordReader(bytes: bytes, offset: 0)
        return (0..<(bytes.count / recordSize)).map { _ in ReviewItem(reading: &reader) }
    }

    /// The CSV line (``ReviewQueue/header``); with `previews`, the bird's-eye preview's path and the
    /// camera preview's (when the box is in a camera), relative to the output folder.
    func line(rank: Int, frameNames: [String], codes: CategoryCodes, previews: Bool = true) -> String {
        var reasons: [String] = []
        if !detected { reasons.append("not detected in this frame (box from the smoothed track)") }
        if let pointCount, pointCount > 0 && pointCount < 30 { reasons.append("few points (\(pointCount))") }
        if let trackLength, trackLength < 5 { reasons.append("short track (\(trackLength) frames)") }
        if headingUnknown { reasons.append("heading unknown (front/back)") }
        if let detectedAs { reasons.append("detected as \(codes.names[detectedAs])") }
        if !factors.isEmpty {
            reasons.append("score lowered by " + factors.map { "\(codes.names[$0.name]) \(String(format: "%.2f", $0.value))" }.joined(separator: ", "))
        }
        let bev = previews ? "preview/" + PrelabelRunner.previewName(frameNames[frame]) : ""
        let view = previews ? camera.map { "preview/" + PrelabelRunner.previewName(frameNames[frame], camera: codes.names[$0]) } ?? "" : ""
        let xyz = (0..<3).map { position[$0].isFinite ? String(format: "%.2f", position[$0]) : "" }.joined(separator: ",")
        return "\(rank),\(frameNames[frame]),\(trackID),\(codes.names[category]),\(String(format: "%.3f", score)),\(String(format: "%.3f", doubt)),\"\(reasons.joined(separator: "; "))\","
            + "\(xyz),\(CSVText.field(bev)),\(CSVText.field(view))\n"
    }
}

/// The review queue, most doubtful first (ties by frame name and track), sorted on disk: items go to
/// a scratch file, are sorted in runs of 4,096 and merged 16 runs at a time, so memory does not grow
/// with the sequence.
final class ReviewQueue {
    private let folder: String
    private let items: ScratchFile
    var codes = CategoryCodes()
    private static let run = 4_096
    private static let fanIn = 16

    init(in folder: String) throws(FileAccessError) {
        self.folder = folder
        items = try ScratchFile(in: folder)
    }

    func add(_ item: ReviewItem) throws(FileAccessError) {
        var record = RecordWriter()
        item.encode(into: &record)
        try items.append(record.bytes)
    }

    /// The CSV's first line. `x,y,z`: the box's centre, lidar frame, metres; `preview`,
    /// `camera_preview`: picture files relative to the output folder (empty without previews or camera).
    static let header = "rank,frame,track,category,score,doubt,reasons,x,y,z,preview,camera_preview\n"

    /// Writes the CSV atomically; `previews` says whether the run drew the pictures the rows name.
    func write(to path: String, frameNames: [String], previews: Bool = true) throws {
        func before(_ a: ReviewItem, _ b: ReviewItem) -> Bool {
            if a.doubt != b.doubt { return a.doubt > b.doubt }
            if a.frame != b.frame { return frameNames[a.frame] < frameNames[b.frame] }
            return a.trackID < b.trackID
        }
        let size = ReviewItem.recordSize
        let total = items.count / size
        // Sorted runs, one after another in one scratch file.
        var source = try ScratchFile(in: folder)
        var runs: [Range<Int>] = []
        for start in stride(from: 0, to: total, by: Self.run) {
            let count = min(Self.run, total - start)
            var record = RecordWriter()
            for item in ReviewItem.decode(try items.read(offset: start * size, count: count * size)).sorted(by: before) { item.encode(into: &record) }
            try source.append(record.bytes)
            runs.append(start..<start + count)
        }
        // Merge passes until few enough runs remain for the last one.
        while runs.count > Self.fanIn {
            let target = try ScratchFile(in: folder)
            var merged: [Range<Int>] = []
            for group in stride(from: 0, to: runs.count, by: Self.fanIn) {
                let start = target.count / size
                var record = RecordWriter()
                try Self.merge(runs[group..<min(group + Self.fanIn, runs.count)], from: source, before: before) { item in
                    item.encode(into: &record)
                    if record.bytes.count >= 1 << 16 {
                        try target.append(record.bytes)
                        record.bytes.removeAll(keepingCapacity: true)
                    }
                }
                try target.append(record.bytes)
                merged.append(start..<target.count / size)
            }
            source = target
            runs = merged
        }
        let writer = try AtomicFileWriter(path: path)
        try writer.append(Self.header)
        var rank = 0
        try Self.merge(runs[...], from: source, before: before) { item in
            rank += 1
            try writer.append(item.line(rank: rank, frameNames: frameNames, codes: codes, previews: previews))
        }
        try writer.commit()
    }

    /// Merges sorted runs of `source` (item ranges), reading 128 items of each at a time.
    private static func merge(_ runs: ArraySlice<Range<Int>>, from source: ScratchFile, before: (ReviewItem, ReviewItem) -> Bool,
                              emit: (ReviewItem) throws -> Void) throws {
        let size = ReviewItem.recordSize
        struct Cursor { var next: Int; var end: Int; var buffer: [ReviewItem] = []; var position = 0 }
        var cursors = runs.map { Cursor(next: $0.lowerBound, end: $0.upperBound) }
        func head(_ k: Int) throws -> ReviewItem? {
            if cursors[k].position == cursors[k].buffer.count {
                let count = min(128, cursors[k].end - cursors[k].next)
                guard count > 0 else { return nil }
                cursors[k].buffer = ReviewItem.decode(try source.read(offset: cursors[k].next * size, count: count * size))
                cursors[k].next += count
                cursors[k].position = 0
            }
            return cursors[k].buffer[cursors[k].position]
        }
        while true {
            var best: (Int, ReviewItem)?
            for k in cursors.indices {
                guard let item = try head(k) else { continue }
                if best == nil || before(item, best!.1) { best = (k, item) }
            }
            guard let (k, item) = best else { return }
            cursors[k].position += 1
            try emit(item)
        }
    }
}
