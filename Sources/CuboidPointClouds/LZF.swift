/// LZF (liblzf's format, as PCL's binary_compressed uses it), written here because no package in
/// reach implements it.
///
/// A stream is a sequence of runs. A control byte below 32 starts a literal run of `control + 1`
/// bytes; otherwise its top three bits give `length - 2` (7 means one extra length byte follows)
/// and its low five bits with the next byte give `distance - 1` back into the output.
enum LZF {
    enum Failure: Error, Equatable {
        case truncatedInput(at: Int)
        case outputOverrun(at: Int)
        case referenceBeforeStart(at: Int)
        case shortOutput(produced: Int, expected: Int)

        var offset: Int {
            switch self {
            case .truncatedInput(let at), .outputOverrun(let at), .referenceBeforeStart(let at): at
            case .shortOutput: 0
            }
        }

        var reason: String {
            switch self {
            case .truncatedInput: "stream ends inside a run"
            case .outputOverrun: "run writes past the declared uncompressed size"
            case .referenceBeforeStart: "back reference points before the start of the output"
            case .shortOutput(let produced, let expected): "stream produced \(produced) bytes, expected \(expected)"
            }
        }
    }

    /// Decompresses `input` into exactly `output.count` bytes.
    /// - Throws: ``Failure`` with the input offset of the bad run.
    /// - Complexity: O(output size).
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(Failure) {
        guard let source = input.baseAddress, input.count > 0 else {
            if output.count != 0 { throw .shortOutput(produced: 0, expected: output.count) }
            return
        }
        guard let target = output.baseAddress else { throw .outputOverrun(at: 0) }
        let inputEnd = input.count
        let outputEnd = output.count
        var ip = 0
        var op = 0
        while ip < inputEnd {
            let runStart = ip
            let control = Int(source.load(fromByteOffset: ip, as: UInt8.self))
            ip += 1
            if control < 32 {
                let length = control + 1
                guard ip + length <= inputEnd else { throw .truncatedInput(at: runStart) }
                guard op + length <= outputEnd else { throw .outputOverrun(at: runStart) }
                if ip + 32 <= inputEnd && op + 32 <= outputEnd {
                    // Two 16-byte moves cover any literal run; bytes past `length` are rewritten by
                    // the next run, so over-copying inside both buffers is harmless and avoids a call.
                    (target + op).storeBytes(of: source.loadUnaligned(fromByteOffset: ip, as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                    if length > 16 {
                        (target + op + 16).storeBytes(
                            of: source.loadUnaligned(fromByteOffset: ip + 16, as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                    }
                } else {
                    (target + op).copyMemory(from: source + ip, byteCount: length)
                }
                ip += length
                op += length
            } else {
                var length = control >> 5
                if length == 7 {
                    guard ip < inputEnd else { throw .truncatedInput(at: runStart) }
                    length += Int(source.load(fromByteOffset: ip, as: UInt8.self))
                    ip += 1
                }
                guard ip < inputEnd else { throw .truncatedInput(at: runStart) }
                let distance = ((control & 0x1F) << 8) + Int(source.load(fromByteOffset: ip, as: UInt8.self)) + 1
                ip += 1
                length += 2
                guard distance <= op else { throw .referenceBeforeStart(at: runStart) }
                guard op + length <= outputEnd else { throw .outputOverrun(at: runStart) }
                let bytes = target.assumingMemoryBound(to: UInt8.self)
                if distance >= length {
                    (target + op).copyMemory(from: target + op - distance, byteCount: length)
                } else {
                    for k in 0..<length { bytes[op + k] = bytes[op + k - distance] }  // overlapping: repeats a pattern
                }
                op += length
            }
        }
        guard op == outputEnd else { throw .shortOutput(produced: op, expected: outputEnd) }
    }

    /// Compresses `input` (greedy matching over a 16k-entry hash of 3-byte prefixes).
    /// - Complexity: O(n).
    static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let count = input.count
        var output = [UInt8]()
        output.reserveCapacity(count + count / 32 + 16)
        guard count > 0, let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return output }
        let hashBits = 14
        var table = [Int](repeating: -1, count: 1 << hashBits)
        var literalStart = 0
        var ip = 0

        func flushLiterals(upTo end: Int) {
            var start = literalStart
            while start < end {
                let run = min(32, end - start)
                output.append(UInt8(run - 1))
                output.append(contentsOf: UnsafeBufferPointer(start: source + start, count: run))
                start += run
            }
        }

        while ip + 2 < count {
            let key = (Int(source[ip]) << 16) | (Int(source[ip + 1]) << 8) | Int(source[ip + 2])
            let slot = ((key &* 2_654_435_761) >> (32 - hashBits)) & ((1 << hashBits) - 1)
            let candidate = table[slot]
            table[slot] = ip
            if candidate >= 0, ip - candidate <= 8192, source[candidate] == source[ip],
                source[candidate + 1] == source[ip + 1], source[candidate + 2] == source[ip + 2]
            {
                var length = 3
                let maximum = min(264, count - ip)
                while length < maximum && source[candidate + length] == source[ip + length] { length += 1 }
                flushLiterals(upTo: ip)
                let distance = ip - candidate - 1
                let encoded = length - 2
                if encoded < 7 {
                    output.append(UInt8((encoded << 5) | (distance >> 8)))
                } else {
                    output.append(UInt8((7 << 5) | (distance >> 8)))
                    output.append(UInt8(encoded - 7))
                }
                output.append(UInt8(distance & 0xFF))
                ip += length
                literalStart = ip
            } else {
                ip += 1
            }
        }
        flushLiterals(upTo: count)
        return output
    }
}
