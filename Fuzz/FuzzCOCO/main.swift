import CuboidFormats

// libFuzzer entry point (Scripts/fuzz): COCO detection JSON. Any input must return or throw a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? COCOFile.decode(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
