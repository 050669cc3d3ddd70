import CuboidFormats
import CuboidPrelabel
import CuboidQA
import CuboidSynthesis

// libFuzzer entry point (Scripts/fuzz): the other JSON inputs, one corpus: Datumaro, nuScenes results
// and info files, and the pre-label, QA and scene configuration files. Any input must return or throw
// a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? DatumaroFile.decode(bytes)
    _ = try? NuScenesResultsFile.decode(bytes)
    _ = try? NuScenesInfoFile.decode(bytes)
    _ = try? PrelabelConfiguration.decode(bytes)
    _ = try? QAConfiguration.decode(bytes)
    _ = try? SceneDescription.decode(bytes)
    return 0
}
