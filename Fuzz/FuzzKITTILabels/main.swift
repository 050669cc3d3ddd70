import CuboidFormats

// libFuzzer entry point (Scripts/fuzz). KITTI's text files share one corpus: object labels, tracking
// labels and calibration files. Any input must return or throw a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? KITTILabelFile.decode(bytes)
    _ = try? KITTITrackingLabelFile.decode(bytes)
    _ = try? KITTICalibration.decode(bytes)
    return 0
}
