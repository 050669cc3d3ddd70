import CuboidImages

// libFuzzer entry point (Scripts/fuzz builds this with -sanitize=fuzzer,address). Any input must
// return or throw a typed error: a crash, a sanitizer report, a timeout or an out-of-memory is a bug.
// The point budget keeps a lying header from asking for more than libFuzzer's memory limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? ImageCodec.decodeJPEG(bytes, options: ImageDecodingOptions(maxPixels: 16_000_000))
    return 0
}
