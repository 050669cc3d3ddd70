import CuboidFormats
import CuboidGeometry
import Foundation
import Testing

/// Inputs the fuzzers (Scripts/fuzz) found that trapped, reduced to the line that did it. Each must
/// now give a typed error (or, when writing, a clamped value), never a crash.
@Suite("Fuzzer crashers")
struct FuzzRegressionTests {
    @Test("FuzzKITTILabels: an occlusion of 2e88 in a tracking line trapped converting to Int; now an invalid number on its line")
    func hugeOcclusion() {
        let line = "0 26 Van 0 2" + String(repeating: "0", count: 88) + " -2.58 58.7 79.4 93.8 92.1 2.16 1.95 4.94 -40.5 0.96 63.0 -1.57\n"
        #expect(throws: KITTILabelError.invalidNumber(line: 1, field: "occluded", text: "2" + String(repeating: "0", count: 88))) {
            try KITTITrackingLabelFile.decode(Array(line.utf8))
        }
        #expect(throws: KITTILabelError.self) { try KITTILabelFile.decode(Array("Car 0 1.5 0 1 1 10 10 1.5 1.6 4 1 1 10 0\n".utf8)) }
    }

    @Test("FuzzCSV: a 250-byte MOT file naming frame 902,290 timed out (26 s under ASan) building its frames twice; the frames are built once, empty ones included")
    func motFarFrame() throws {
        let text = "22,1,0,90,2,0,0.15\n902290,3,75,2,0,0.1590\n"
        let set = try MOTFile.decode(Array(text.utf8))
        #expect(set.frames.count == 902_290)
        #expect(set.frames.first?.name == "1" && set.frames.last?.name == "902290")
        #expect(set.frames[21].objects.count == 1 && set.frames[902_289].objects.count == 1 && set.objectCount == 2)
        #expect(try MOTFile.decode([]).frames.isEmpty)
    }

    @Test("writing KITTI from labels whose occlusion or truncation is huge clamps instead of trapping")
    func hugeAttributesOnWrite() throws {
        let calibration = try KITTICalibration.decode(Array("""
            P2: 700 0 600 0 0 700 180 0 0 0 1 0
            R0_rect: 1 0 0 0 1 0 0 0 1
            Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0

            """.utf8))
        let object = LabeledObject(trackID: "1", category: "Car", cuboid: Box3D(x: 10, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0),
                                   boxes: [LabeledObject.kittiCamera: Box2D(x: 1, y: 1, width: 5, height: 5)],
                                   attributes: ["occluded": .number(1e300), "truncated": .number(1e300)])
        let label = try KITTIObjectLabel(object, calibration: calibration)
        #expect(label.occluded == 1000)
        let text = String(decoding: KITTITrackingLabelFile.encode([KITTITrackingLabel(frame: 0, trackID: 1, object: label)]), as: UTF8.self)
        #expect(text.hasPrefix("0 1 Car 1000000000 1000 "), "\(text)")
    }

    @Test("COCO and Datumaro ids that are not integers (1e300, 1.5) are refused with their line", arguments: ["1e300", "1.5"])
    func nonIntegerIDs(id: String) {
        let coco = "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\"}],\n\"categories\": [{\"id\": \(id), \"name\": \"Car\"}], \"annotations\": []}"
        #expect(throws: LabelFileError.invalidField(line: 2, field: "id", expected: "an integer")) { try COCOFile.decode(Array(coco.utf8)) }
    }

    @Test("FuzzCVAT: an element name that is not UTF-8 made Foundation's XMLParser trap; now refused with the byte's offset")
    func cvatInvalidUTF8() {
        let head = Array("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <t".utf8)
        let bytes = head + [0xF5] + Array("pe>rectangle</type>\n</annotations>\n".utf8)
        #expect(throws: LabelFileError.notText(offset: head.count)) { try CVATFile.decode(bytes) }
    }

    @Test("FuzzCSV: a MOT frame number of 1e300 trapped converting to Int, and 8080000 took over 20 s making empty frames; now refused with its line",
          arguments: ["1e300", "8080000"])
    func hugeMOTFrame(frame: String) {
        let text = "1,1,10,10,5,5,1,-1,-1,-1\n\(frame),2,10,10,5,5,1,-1,-1,-1\n"
        #expect(throws: LabelFileError.invalidField(line: 2, field: "frame", expected: "a frame number in 1...1000000")) {
            try MOTFile.decode(Array(text.utf8))
        }
    }

    @Test("FuzzCVAT: a processing instruction without data (<?xm?>) made Foundation's XMLParser dereference null; now refused with its line")
    func cvatProcessingInstruction() {
        let text = "<?xm?>\n<annotations><version>1.1</version></annotations>\n"
        #expect(throws: LabelFileError.syntax(line: 1, column: 0, expected: "no processing instruction besides the XML declaration")) {
            try CVATFile.decode(Array(text.utf8))
        }
        let later = "<?xml version=\"1.0\"?>\n<annotations>\n<?pi?></annotations>\n"
        #expect(throws: LabelFileError.self) { try CVATFile.decode(Array(later.utf8)) }
    }

    @Test("FuzzCVAT: an image id of 1e300 trapped converting to Int; now refused with its line")
    func cvatHugeImageID() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n<image id=\"1e300\" name=\"a.png\"></image>\n</annotations>\n"
        #expect(throws: LabelFileError.invalidField(line: 3, field: "id", expected: "an integer, found \"1e300\"")) {
            try CVATFile.decode(Array(text.utf8))
        }
    }

    @Test("found reading the decoders for the same pattern: an OpenLABEL camera width of 1e300 would trap; now refused")
    func openLABELHugeWidth() {
        let text = """
            {"openlabel": {"metadata": {"schema_version": "1.0.0"}, "streams": {"cam": {"type": "camera", "stream_properties": {"intrinsics_pinhole": {
            "camera_matrix_3x4": [700, 0, 600, 0, 0, 700, 180, 0, 0, 0, 1, 0], "width_px": 1e300, "height_px": 375}}}}}}
            """
        #expect(throws: LabelFileError.invalidField(line: 2, field: "width_px", expected: "an integer")) { try OpenLABELFile.decode(Array(text.utf8)) }
    }
}
