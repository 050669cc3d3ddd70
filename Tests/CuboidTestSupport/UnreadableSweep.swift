/// Bytes that stand in for a sweep no reader can decode, to test what a run does with one: shared by
/// the odometry's and the pre-labeller's gap tests.
public struct UnreadableSweep: CustomStringConvertible, Sendable {
    /// What the bytes are, for the test's name.
    public var name: String
    /// The file's bytes.
    public var bytes: [UInt8]
    public var description: String { name }

    /// A sweep cut short (1,001 zero bytes) and text in place of a sweep.
    public static let all = [
        UnreadableSweep(name: "truncated to 1001 bytes", bytes: Array(repeating: 0, count: 1001)),
        UnreadableSweep(name: "text in place of the sweep", bytes: Array("not a point cloud\n".utf8)),
    ]
}
