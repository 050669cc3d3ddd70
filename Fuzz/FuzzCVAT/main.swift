import CuboidFormats

// libFuzzer entry point (Scripts/fuzz): CVAT for images XML 1.1. Any input must return or throw a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? CVATFile.decode(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
