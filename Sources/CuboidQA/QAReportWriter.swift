public import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidImages
import CuboidIO
import CuboidPointClouds
import CuboidPreviews
import Foundation

/// Writes a QA report folder: `index.html` (summary), one `tasker-NAME.html` per tasker (classes,
/// confusions, attributes, frames, and every finding with its pictures), `report.json`,
/// `metrics.csv`, `findings.csv` and `pictures/`. The pages use no script, style sheet or font
/// from outside the folder, so the folder opens offline. Every file is written atomically.
public struct QAReportWriter {
    /// Findings that get pictures, per tasker, in report order (the rest are listed without).
    public var maximumPicturesPerTasker: Int
    /// Whether to draw pictures at all.
    public var drawsPictures: Bool

    /// Whether the tasker pages list the findings frame by frame (frames costliest first) instead of
    /// in one list by cost.
    public var groupsByFrame: Bool

    public init(maximumPicturesPerTasker: Int = 500, drawsPictures: Bool = true, groupsByFrame: Bool = false) {
        self.maximumPicturesPerTasker = maximumPicturesPerTasker
        self.drawsPictures = drawsPictures
        self.groupsByFrame = groupsByFrame
    }

    /// The files a report on these taskers writes in `folder`, and the folder of pictures, so that a
    /// run can check them against its inputs first. `shard.json` is written by a shard's run.
    public static func outputs(in folder: String, taskers: [String]) -> (files: [String], folders: [String]) {
        (["report.json", "metrics.csv", "findings.csv", "index.html", "shard.json"].map { folder + "/" + $0 }
            + taskers.map { folder + "/" + QAReportHTML.pageName($0) }, [folder + "/pictures"])
    }

    /// Writes the report.
    /// - Parameters:
    ///   - report: The scores and findings; its findings' `pictures` are filled in.
    ///   - sequence: The recording, for sweeps and camera frames in pictures (nil: boxes only).
    ///   - folder: The report folder (created).
    ///   - pictureFolders: Report folders of shards whose pictures to copy instead of drawing
    ///     (`cuboid qa merge`); empty: draw them.
    ///   - gold: The gold labels, for every gold box in the frames' full views (nil: the findings' boxes).
    ///   - taskerLabels: The taskers' labels, likewise.
    ///   - progress: Called with (pictures drawn, pictures in all).
    /// - Returns: The report with picture paths.
    /// - Throws: `FileAccessError` naming the file that could not be written; image and sweep errors.
    @discardableResult
    public func write(_ report: QAReport, sequence: SensorSequence?, to folder: String, pictureFolders: [String] = [],
                      gold: LabelSet? = nil, taskerLabels: [TaskerLabels] = [],
                      progress: ((Int, Int) -> Void)? = nil) throws -> QAReport {
        var report = report
        try FileManager.default.createDirectory(atPath: folder + "/pictures", withIntermediateDirectories: true)
        if drawsPictures && pictureFolders.isEmpty { try drawPictures(&report, sequence: sequence, folder: folder, progress: progress) }
        if drawsPictures && !pictureFolders.isEmpty { try copyPictures(&report, from: pictureFolders, to: folder) }
        if drawsPictures {
            try writeFramePages(report, sequence: pictureFolders.isEmpty ? sequence : nil, folder: folder, pictureFolders: pictureFolders,
                                gold: gold, taskerLabels: taskerLabels)
        }
        try FileBytes.writeAtomically(Array((QAReportJSON.render(report).rendered(indent: 1) + "\n").utf8), to: folder + "/report.json")
        try FileBytes.writeAtomically(Array(QAReportCSV.metrics(report).utf8), to: folder + "/metrics.csv")
        try FileBytes.writeAtomically(Array(QAReportCSV.findings(report).utf8), to: folder + "/findings.csv")
        try FileBytes.writeAtomically(Array(QAReportHTML.index(report).utf8), to: folder + "/index.html")
        for tasker in report.taskers {
            try FileBytes.writeAtomically(Array(QAReportHTML.taskerPage(tasker, report: report, groupsByFrame: groupsByFrame).utf8),
                                          to: folder + "/" + QAReportHTML.pageName(tasker.name))
        }
        return report
    }

    /// The findings that get pictures: each tasker's first ``maximumPicturesPerTasker``, as (tasker, finding).
    private func pictured(_ report: QAReport) -> [(Int, Int)] {
        report.taskers.enumerated().flatMap { t, tasker in tasker.findings.indices.prefix(maximumPicturesPerTasker).map { (t, $0) } }
    }

    /// Picture names without suffix, `pictures/TASKER-FRAME-K` with K counting the tasker's findings
    /// in that frame, so a shard and a whole run name the same finding alike.
    private func pictureStems(_ report: QAReport) -> [[String]] {
        report.taskers.map { tasker in
            var counts: [String: Int] = [:]
            return tasker.findings.map { finding in
                let k = counts[finding.frame, default: 0]
                counts[finding.frame] = k + 1
                return "pictures/" + fileSafe(tasker.name) + "-" + fileSafe(finding.frame) + "-\(k)"
            }
        }
    }

    /// The frames that get a page of their own, per tasker: those of the findings with pictures.
    static func pagedFrames(_ tasker: TaskerReport) -> [String] {
        var seen = Set<String>(), frames: [String] = []
        for finding in tasker.findings where !finding.pictures.isEmpty && seen.insert(finding.frame).inserted { frames.append(finding.frame) }
        return frames
    }

    /// Each tasker's frame pages with the frame's full bird's-eye view (drawn from the sweep, or
    /// copied from the shards' folders).
    private func writeFramePages(_ report: QAReport, sequence: SensorSequence?, folder: String, pictureFolders: [String], gold: LabelSet?,
                                 taskerLabels: [TaskerLabels]) throws {
        let frameIndex = Dictionary((sequence?.frames ?? []).enumerated().map { (QualityReview.frameKey($1.name), $0) }, uniquingKeysWith: { a, _ in a })
        func objects(_ set: LabelSet?, _ frame: String) -> [LabeledObject]? {
            set?.frames.first { QualityReview.frameKey($0.name) == QualityReview.frameKey(frame) }?.objects
        }
        var clouds: [String: PointCloud] = [:]
        for tasker in report.taskers {
            let labels = taskerLabels.first { $0.name == tasker.name }?.labels
            for frame in Self.pagedFrames(tasker) {
                let findings = tasker.findings.filter { $0.frame == frame }
                let goldObjects = objects(gold, frame) ?? findings.compactMap(\.gold)
                let labelledObjects = objects(labels, frame) ?? findings.compactMap(\.labelled)
                // The view's extent comes from the findings' boxes, so a merged report's shards agree on it.
                let view = BirdsEyeView.frame(findings.flatMap { [$0.gold?.cuboid, $0.labelled?.cuboid].compactMap { $0 } })
                let name = "pictures/" + fileSafe(tasker.name) + "-" + fileSafe(frame) + "-frame.png"
                var picture: String?
                if let source = pictureFolders.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + name) }) {
                    try FileBytes.writeAtomically(try FileBytes.read(source + "/" + name), to: folder + "/" + name)
                    picture = name
                } else if pictureFolders.isEmpty {
                    var cloud: PointCloud?
                    if let sequence, let s = frameIndex[QualityReview.frameKey(frame)] {
                        if clouds[frame] == nil { clouds = [frame: try sequence.pointCloud(at: s)] }
                        cloud = clouds[frame]
                    }
                    let layers = [PictureLayer(objects: goldObjects, color: (40, 220, 90)), PictureLayer(objects: labelledObjects, color: (255, 70, 200))]
                    let image = PreviewRenderer.birdsEyeCrop(cloud: cloud, center: view.center, halfSide: view.halfSide, pixelsPerMetre: view.pixelsPerMetre,
                                                             layers: layers, scaleBar: view.scaleBar, marksEgo: true)
                    try FileBytes.writeAtomically(try ImageCodec.encodePNG(image, compressionLevel: 3), to: folder + "/" + name)
                    picture = name
                }
                // Names over the boxes of the findings (every box is drawn; naming them all would hide the picture).
                var named: [(text: String, box: Box3D, color: String)] = []
                for (n, finding) in findings.enumerated() {
                    let number = "\(n + 1). "
                    if let object = finding.gold, let box = object.cuboid {
                        named.append((number + QAReportHTML.boxName(object, index: finding.goldIndex), box, QAReportHTML.goldColor))
                    }
                    if let object = finding.labelled, let box = object.cuboid {
                        named.append(((finding.gold == nil ? number : "") + QAReportHTML.boxName(object, index: finding.labelIndex), box, QAReportHTML.labelledColor))
                    }
                }
                let page = QAReportHTML.framePage(frame: frame, tasker: tasker, report: report, picture: picture, view: picture == nil ? nil : view,
                                                  labels: named)
                try FileBytes.writeAtomically(Array(page.utf8), to: folder + "/" + QAReportHTML.framePageName(tasker: tasker.name, frame: frame))
            }
        }
    }

    /// Copies the pictures shards drew for the findings that get pictures.
    private func copyPictures(_ report: inout QAReport, from folders: [String], to folder: String) throws {
        let stems = pictureStems(report)
        for (t, f) in pictured(report) {
            for suffix in ["-bev.png", "-camera.png"] {
                let name = stems[t][f] + suffix
                guard let source = folders.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + name) }) else { continue }
                try FileBytes.writeAtomically(try FileBytes.read(source + "/" + name), to: folder + "/" + name)
                report.taskers[t].findings[f].pictures.append(name)
            }
        }
    }

    private func drawPictures(_ report: inout QAReport, sequence: SensorSequence?, folder: String, progress: ((Int, Int) -> Void)?) throws {
        let frameIndex = Dictionary((sequence?.frames ?? []).enumerated().map { (QualityReview.frameKey($1.name), $0) }, uniquingKeysWith: { a, _ in a })
        let cameraName = report.configuration.camera
        let total = report.taskers.reduce(0) { $0 + min($1.findings.count, maximumPicturesPerTasker) }
        var drawn = 0
        // Findings frame by frame, so each sweep and image is read once.
        var work: [String: [(tasker: Int, finding: Int)]] = [:]
        var order: [String] = []
        for (t, f) in pictured(report) {
            let frame = report.taskers[t].findings[f].frame
            if work[frame] == nil { order.append(frame) }
            work[frame, default: []].append((t, f))
        }
        let stems = pictureStems(report)
        let gold = (40, 220, 90) as (UInt8, UInt8, UInt8), labelled = (255, 70, 200) as (UInt8, UInt8, UInt8)
        let is2D = report.configuration.match == .iou2D
        for frame in order {
            var cloud: PointCloud?, image: Image?, camera: Camera?
            if let sequence, let s = frameIndex[QualityReview.frameKey(frame)] {
                cloud = try sequence.pointCloud(at: s)
                let cameras = try sequence.cameras(at: s)
                camera = cameras.first { $0.name == (cameraName ?? LabeledObject.kittiCamera) } ?? cameras.first
                if let camera, sequence.frames[s].images[camera.name] != nil { image = try sequence.image(at: s, camera: camera.name) }
            }
            for (t, f) in work[frame]! {
                let finding = report.taskers[t].findings[f]
                let stem = stems[t][f]
                let layers = [PictureLayer(objects: finding.gold.map { [$0] } ?? [], color: gold, drawsImageBoxes: is2D),
                              PictureLayer(objects: finding.labelled.map { [$0] } ?? [], color: labelled, drawsImageBoxes: is2D)]
                if let view = BirdsEyeView.crop(finding) {
                    let picture = PreviewRenderer.birdsEyeCrop(cloud: cloud, center: view.center, halfSide: view.halfSide,
                                                               pixelsPerMetre: view.pixelsPerMetre, layers: layers, scaleBar: view.scaleBar, marksEgo: true)
                    try FileBytes.writeAtomically(try ImageCodec.encodePNG(picture, compressionLevel: 3), to: folder + "/" + stem + "-bev.png")
                    report.taskers[t].findings[f].pictures.append(stem + "-bev.png")
                }
                if let image, let camera, let picture = PreviewRenderer.cameraCrop(image: image, camera: camera, layers: layers, minimumHeight: 240) {
                    try FileBytes.writeAtomically(try ImageCodec.encodePNG(picture, compressionLevel: 3), to: folder + "/" + stem + "-camera.png")
                    report.taskers[t].findings[f].pictures.append(stem + "-camera.png")
                }
                drawn += 1
                progress?(drawn, total)
            }
        }
    }
}

/// A name reduced to characters safe in file names.
func fileSafe(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
}

/// The machine-readable report.
enum QAReportJSON {
    static func number(_ value: Double?) -> JSONOutput { value.map { $0.isFinite ? .number($0) : .null } ?? .null }

    static func detection(_ m: DetectionMetrics) -> JSONOutput {
        .object([("truePositives", .number(Double(m.truePositives))), ("falsePositives", .number(Double(m.falsePositives))),
                 ("falseNegatives", .number(Double(m.falseNegatives))), ("ignoredLabels", .number(Double(m.ignoredLabels))),
                 ("scored", .bool(m.isScored)), ("precision", number(m.precision)), ("recall", number(m.recall)), ("f1", number(m.f1)), ("meanIoU", number(m.meanIoU)),
                 ("translationError", number(m.meanTranslationError)), ("scaleError", number(m.meanScaleError)),
                 ("orientationError", number(m.meanOrientationError)), ("inaccurate", .number(Double(m.inaccurate)))])
    }

    static func nuScenes(_ n: NuScenesDetection) -> JSONOutput {
        .object([("averagePrecisions", .array(n.averagePrecisions.map { .number($0) })), ("meanAveragePrecision", .number(n.meanAveragePrecision)),
                 ("translationError", .number(n.translationError)), ("scaleError", .number(n.scaleError)), ("orientationError", number(n.orientationError))])
    }

    static func hota(_ h: HOTAMetrics) -> JSONOutput {
        .object([("hota", .number(h.hota)), ("detA", .number(h.detA)), ("assA", .number(h.assA)), ("locA", .number(h.locA))])
    }

    static func tracking(_ t: TrackingMetrics) -> JSONOutput {
        var members: [(String, JSONOutput)] = [("mota", number(t.mota)), ("motp", number(t.motp)), ("idf1", number(t.idf1)), ("objects", .number(Double(t.objects))),
                 ("predictions", .number(Double(t.predictions))), ("matches", .number(Double(t.matches))), ("misses", .number(Double(t.misses))),
                 ("falsePositives", .number(Double(t.falsePositives))), ("identitySwitches", .number(Double(t.identitySwitches))),
                 ("fragmentations", .number(Double(t.fragmentations))), ("identityTruePositives", .number(Double(t.identityTruePositives))),
                 ("goldTracks", .number(Double(t.goldTracks))), ("labelledTracks", .number(Double(t.labelledTracks))),
                 ("mostlyTracked", .number(Double(t.mostlyTracked))), ("mostlyLost", .number(Double(t.mostlyLost)))]
        if let h = t.hota { members.append(("hota", hota(h))) }
        return .object(members)
    }

    static func box(_ object: LabeledObject?) -> JSONOutput {
        guard let object else { return .null }
        var members: [(String, JSONOutput)] = [("category", .string(object.category))]
        if let c = object.cuboid { members.append(("cuboid", .numbers([c.x, c.y, c.z, c.length, c.width, c.height, c.yaw]))) }
        for (camera, b) in object.boxes.sorted(by: { $0.key < $1.key }) { members.append(("box:" + camera, .numbers([b.minX, b.minY, b.maxX, b.maxY]))) }
        if let score = object.score { members.append(("score", .number(score))) }
        if let track = object.trackID { members.append(("track", .string(track))) }
        return .object(members)
    }

    static func evidence(_ e: BoxEvidence?) -> JSONOutput {
        guard let e else { return .null }
        return .object([("inside", .number(Double(e.inside))), ("body", .number(Double(e.body))), ("shell", .number(Double(e.shell))), ("seeThrough", .number(Double(e.seeThrough))),
                        ("groundGap", number(e.groundGap)), ("fit", .number(e.fit))])
    }

    static func goldCheck(_ check: GoldEvidence) -> JSONOutput {
        .object([("goldDoubtful", .bool(check.goldDoubtful)), ("goldFactors", .array(check.goldFactors.map { .string($0) })),
                 ("labelledFactors", .array(check.labelledFactors.map { .string($0) })), ("goldOnlyShare", number(check.goldOnlyShare)),
                 ("labelledOnlyShare", number(check.labelledOnlyShare)), ("gold", evidence(check.gold)),
                 ("labelled", evidence(check.labelled))])
    }

    static func finding(_ f: QAFinding) -> JSONOutput {
        var members: [(String, JSONOutput)] = [("kind", .string(f.kind.rawValue)), ("frame", .string(f.frame)), ("category", .string(f.category)),
                                               ("message", .string(f.message))]
        if let v = f.labelledCategory { members.append(("labelledCategory", .string(v))) }
        if let v = f.goldIndex { members.append(("goldIndex", .number(Double(v)))) }
        if let v = f.labelIndex { members.append(("labelIndex", .number(Double(v)))) }
        if let v = f.goldTrack { members.append(("goldTrack", .string(v))) }
        if let v = f.labelTrack { members.append(("labelTrack", .string(v))) }
        if let v = f.overlap { members.append(("overlap", .number(v))) }
        if let v = f.range { members.append(("range", .number(v))) }
        if let v = f.points { members.append(("points", .number(Double(v)))) }
        if let d = f.deviation {
            members.append(("deviation", .object([("forward", .number(d.forward)), ("left", .number(d.left)), ("up", .number(d.up)),
                                                  ("yawDegrees", .number(d.yawDegrees)), ("length", .number(d.length)),
                                                  ("width", .number(d.width)), ("height", .number(d.height)), ("image", .bool(d.isImage))])))
        }
        members.append(("cost", .number(f.cost)))
        if let check = f.goldCheck { members.append(("goldCheck", goldCheck(check))) }
        members.append(("gold", box(f.gold)))
        members.append(("labelled", box(f.labelled)))
        members.append(("pictures", .array(f.pictures.map { .string($0) })))
        return .object(members)
    }

    static func render(_ report: QAReport) -> JSONOutput {
        let configuration: JSONOutput
        do { configuration = try JSONOutput(parseJSON(report.configuration.encoded)) } catch { preconditionFailure("the configuration encodes: \(error)") }
        let taskers: [JSONOutput] = report.taskers.map { t in
            let classes: [JSONOutput] = t.classes.map { c in
                var members: [(String, JSONOutput)] = [("category", .string(c.category)), ("detection", detection(c.detection))]
                if let ap = c.averagePrecision {
                    members.append(("averagePrecision", .object([("coco101", .number(ap.coco101)), ("r40", .number(ap.r40)),
                                                                 ("cocoRange", number(ap.cocoRange)), ("coco50", number(ap.coco50)),
                                                                 ("coco75", number(ap.coco75))])))
                } else {
                    members.append(("averagePrecision", .null))
                }
                members.append(("tracking", c.tracking.map(tracking) ?? .null))
                // The optional metric definitions appear only when asked for, so the default report is unchanged.
                if report.configuration.metrics.contains(.nuscenes) { members.append(("nuScenes", c.nuScenes.map(nuScenes) ?? .null)) }
                if report.configuration.metrics.contains(.kitti) {
                    members.append(("kitti", c.kitti.map { levels in
                        .array(levels.map { .object([("difficulty", .string($0.difficulty)), ("r40", .number($0.r40)), ("r11", .number($0.r11)),
                                                     ("counted", .number(Double($0.counted)))]) })
                    } ?? .null))
                }
                return .object(members)
            }
            let skips = t.skips
            let skipObject = JSONOutput.object([
                ("framesOnlyInGold", .array(skips.framesOnlyInGold.map { .string($0) })),
                ("framesOnlyInLabels", .array(skips.framesOnlyInLabels.map { .string($0) })),
                ("unknownLabelClasses", .object(skips.unknownLabelClasses.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ("unknownGoldClasses", .object(skips.unknownGoldClasses.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ("notEvaluatedLabels", .number(Double(skips.notEvaluatedLabels))), ("notEvaluatedGold", .number(Double(skips.notEvaluatedGold))),
                ("labelsWithoutGeometry", .number(Double(skips.labelsWithoutGeometry))),
                ("goldWithoutGeometry", .number(Double(skips.goldWithoutGeometry))), ("ignoredGold", .number(Double(skips.ignoredGold))),
                ("filteredLabels", .number(Double(skips.filteredLabels))),
                ("renamedClasses", .object(skips.renamedClasses.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
            ])
            var tail: [(String, JSONOutput)] = []
            if report.configuration.metrics.contains(.nuscenes) { tail.append(("nuScenesMean", t.nuScenesMean.map(nuScenes) ?? .null)) }
            return .object([
                ("name", .string(t.name)), ("overall", detection(t.overall)), ("classes", .array(classes)),
            ] + tail + [
                ("frames", .array(t.frames.map { .object([("frame", .string($0.frame)), ("detection", detection($0.detection))]) })),
                ("confusion", .array(t.confusion.map { .object([("gold", .string($0.gold)), ("labelled", .string($0.labelled)),
                                                                 ("count", .number(Double($0.count)))]) })),
                ("attributes", .array(t.attributes.map { .object([("attribute", .string($0.attribute)), ("compared", .number(Double($0.compared))),
                                                                   ("agreed", .number(Double($0.agreed))), ("rate", number($0.rate))]) })),
                ("skips", skipObject),
                ("findings", .array(t.findings.map(finding))),
            ])
        }
        return .object([("tool", .string("cuboid qa")), ("agreement", .bool(report.isAgreement)), ("gold", .string(report.goldName)),
                        ("frames", .number(Double(report.frameCount))), ("configuration", configuration), ("taskers", .array(taskers))])
    }
}

extension JSONOutput {
    /// A parsed tree as output (to embed one JSON document in another).
    init(_ node: JSONNode) {
        switch node.value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let elements): self = .array(elements.map(JSONOutput.init))
        case .object(let members): self = .object(members.map { ($0.key, JSONOutput($0.value)) })
        }
    }
}

/// The tables for spreadsheets.
enum QAReportCSV {
    static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }

    static func metrics(_ report: QAReport) -> String {
        var lines = ["tasker,class,true_positives,false_positives,false_negatives,precision,recall,f1,mean_iou,translation_error,scale_error,"
            + "orientation_error,inaccurate,ap_coco101,ap_r40,ap_coco_range,mota,motp,idf1,identity_switches,fragmentations"]
        for t in report.taskers {
            let rows = t.classes.map { ($0.category, $0.detection, $0.averagePrecision, $0.tracking) } + [("all", t.overall, nil, nil)]
            for (name, d, ap, track) in rows {
                lines.append([field(t.name), field(name), "\(d.truePositives)", "\(d.falsePositives)", "\(d.falseNegatives)", number(d.precision),
                              number(d.recall), number(d.f1), number(d.meanIoU), number(d.meanTranslationError), number(d.meanScaleError),
                              number(d.meanOrientationError), "\(d.inaccurate)", number(ap?.coco101), number(ap?.r40), number(ap?.cocoRange),
                              number(track?.mota), number(track?.motp), number(track?.idf1), track.map { "\($0.identitySwitches)" } ?? "",
                              track.map { "\($0.fragmentations)" } ?? ""].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func findings(_ report: QAReport) -> String {
        var lines = ["tasker,frame,kind,class,labelled_class,gold_index,label_index,overlap,range_m,points,message,pictures,cost,gold_doubtful,gold_factors,labelled_factors"]
        for t in report.taskers {
            for f in t.findings {
                lines.append([field(t.name), field(f.frame), f.kind.rawValue, field(f.category), field(f.labelledCategory ?? ""),
                              f.goldIndex.map(String.init) ?? "", f.labelIndex.map(String.init) ?? "", number(f.overlap), number(f.range),
                              f.points.map(String.init) ?? "", field(f.message), field(f.pictures.joined(separator: " ")), number(f.cost),
                              f.goldCheck.map { $0.goldDoubtful ? "true" : "false" } ?? "", field(f.goldCheck?.goldFactors.joined(separator: " ") ?? ""),
                              field(f.goldCheck?.labelledFactors.joined(separator: " ") ?? "")].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
