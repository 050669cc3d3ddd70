import CuboidFormats

// libFuzzer entry point (Scripts/fuzz): the CSV inputs (box tables of every kind, cost matrices,
// MOTChallenge tracks). Any input must return or throw a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for kind in BoxTableKind.allCases { _ = try? BoxTable.decode(bytes, kind: kind) }
    _ = try? MatrixCSV.decode(bytes)
    _ = try? MOTFile.decode(bytes)
    return 0
}
