import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads the parallel kernels use.
public enum Parallelism {
    /// The number of cores online on this machine (at least 1): the kernels' default `threads`.
    public static var availableCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Runs `body` over consecutive chunks of `0..<count` on up to `threads` threads.
///
/// Chunks are handed out dynamically (an atomic counter), so uneven rows balance. Every index is
/// visited exactly once; which thread visits it does not affect the results of the kernels that use
/// this, so outputs are identical for every thread count.
package func forEachChunk(count: Int, threads: Int, chunkSize: Int, _ body: (Range<Int>) -> Void) {
    precondition(threads >= 1, "threads must be at least 1")
    guard count > 0 else { return }
    let chunkCount = (count + chunkSize - 1) / chunkSize
    let workers = min(threads, chunkCount)
    if workers == 1 {
        body(0..<count)
        return
    }
    let next = Atomic<Int>(0)
    // The chunks are disjoint, so the body may run on several threads at once.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if chunk >= chunkCount { return }
            let start = chunk * chunkSize
            body(start..<min(count, start + chunkSize))
        }
    }
}

/// An array of `count` elements whose every element `body` initialises, chunk by chunk, on up to
/// `threads` threads. `body` must write every index of the range it is given.
package func parallelArray<Element>(
    count: Int, threads: Int, chunkSize: Int,
    _ body: (Range<Int>, UnsafeMutableBufferPointer<Element>) -> Void
) -> [Element] {
    // With capacity 0 the standard library hands out its shared empty-array storage and then writes
    // the count (0) into it, which ThreadSanitizer reports as a race between threads doing the same.
    guard count > 0 else { return [] }
    return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        forEachChunk(count: count, threads: threads, chunkSize: chunkSize) { range in
            body(range, buffer)
        }
        initialized = count
    }
}

