import CuboidFormats

// libFuzzer entry point (Scripts/fuzz): SUSTechPOINTS label JSON and its camera calibration JSON.
// Any input must return or throw a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SUSTechPOINTSLabelFile.decode(bytes)
    _ = try? CameraCalibrationFile.decode(bytes, name: "front", imageSize: (2048, 1536))
    return 0
}
