/// Path arithmetic on plain strings, and names from inside files made safe to use as file names.
///
/// Foundation's `NSString` path methods trap on Linux for a one-component relative path
/// (`("s" as NSString).deletingLastPathComponent`), so the project splits paths here, on `/` only.
public enum Paths {
    /// The folder holding `path`: `"a/b/c.txt"` → `"a/b"`, `"c.txt"` → `"."`, `"/c"` → `"/"`.
    /// Trailing slashes are ignored (`"a/b/"` → `"a"`).
    public static func parent(_ path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let folder = trimmingTrailingSlashes(String(trimmed[..<slash]))
        return folder.isEmpty ? "/" : folder
    }

    /// The last component of `path`: `"a/b/c.txt"` → `"c.txt"`, `"a/b/"` → `"b"`, `"/"` → `"/"`.
    public static func lastComponent(_ path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        if trimmed == "/" { return "/" }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The last component without its last extension: `"a/000001.txt"` → `"000001"`,
    /// `"x.pcd.bin"` → `"x.pcd"`, `".hidden"` → `".hidden"`.
    public static func stem(_ path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}

/// A name that came from inside a file (a frame name, a camera key, a tasker) turned into one path
/// component that cannot leave its folder, and back.
///
/// The escape is reversible and leaves ordinary names as they are: `%`, `/`, `\`, the control
/// characters (including NUL) and a leading `.` are written `%XX` (two upper-case hex digits of the
/// byte); an empty name is `%`. So `../../x` becomes `%2E.%2F..%2Fx`, which stays in its folder, and
/// ``unescaped(_:)`` gives back the name. A component is at most 255 bytes on Linux; a longer name
/// fails when its file is written, with the file named.
public enum PathComponent {
    /// The component for `name`.
    public static func escaped(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var result: [UInt8] = []
        result.reserveCapacity(name.utf8.count)
        for (offset, byte) in name.utf8.enumerated() {
            if needsEscape(byte, first: offset == 0) {
                result.append(UInt8(ascii: "%"))
                result.append(hexDigit(byte >> 4))
                result.append(hexDigit(byte & 0xF))
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// The name `component` was made from. Only the escapes ``escaped(_:)`` writes are decoded, so a
    /// component it did not make (a file named by hand) comes back as it is.
    public static func unescaped(_ component: String) -> String {
        if component == "%" { return "" }
        let bytes = Array(component.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]),
               needsEscape(high << 4 | low, first: result.isEmpty) {
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `folder/escaped(name)suffix`: a file for `name` that is always inside `folder`.
    /// - Precondition: `suffix` holds no `/` (it is the program's own text, such as `.json`).
    public static func file(in folder: String, name: String, suffix: String = "") -> String {
        precondition(!suffix.contains("/"), "a file suffix must not hold a separator")
        return folder + "/" + escaped(name) + suffix
    }

    private static func needsEscape(_ byte: UInt8, first: Bool) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\")
            || (first && byte == UInt8(ascii: "."))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
