import ArgumentParser
import Cuboid
import Foundation

extension BoxTableKind: ExpressibleByArgument {}

/// The two box tables and their kind, as `iou` and `bench iou` take them.
struct BoxTableArguments: ParsableArguments {
    @Argument(help: "Boxes A (CSV with a header).")
    var tableA: String

    @Argument(help: "Boxes B (CSV with a header).")
    var tableB: String

    @Option(help: "Kind of boxes: 2d, bev or 3d.")
    var kind: BoxTableKind

    func load() throws -> BoxTablePair { try BoxTablePair.load(tableA, tableB, kind: kind) }
}

/// `--threads`, shared by the commands that run parallel kernels.
struct ThreadArguments: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Threads for the kernels (default: all cores).")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The boxes of two tables of the same kind, loaded for `iou` and `bench iou`.
struct BoxTablePair {
    let a: BoxTable
    let b: BoxTable

    static func load(_ pathA: String, _ pathB: String, kind: BoxTableKind) throws -> BoxTablePair {
        var tables: [BoxTable] = []
        for path in [pathA, pathB] {
            do {
                tables.append(try BoxTable.read(path, kind: kind))
            } catch {
                reportError(error, path: path)
                throw ExitCode(1)
            }
        }
        return BoxTablePair(a: tables[0], b: tables[1])
    }

    /// The IoU matrix of every box of `a` with every box of `b`.
    func pairwise(threads: Int) -> Matrix {
        switch (a, b) {
        case (.twoD(let x), .twoD(let y)): pairwiseIoU(x, y, threads: threads)
        case (.bev(let x), .bev(let y)): pairwiseIoU(x, y, threads: threads)
        case (.threeD(let x), .threeD(let y)): pairwiseIoU(x, y, threads: threads)
        default: preconditionFailure("both tables are read with the same kind")
        }
    }

    /// The IoU of `a[i]` with `b[i]`.
    func aligned(threads: Int) -> [Double] {
        switch (a, b) {
        case (.twoD(let x), .twoD(let y)): alignedIoU(x, y)
        case (.bev(let x), .bev(let y)): alignedIoU(x, y, threads: threads)
        case (.threeD(let x), .threeD(let y)): alignedIoU(x, y, threads: threads)
        default: preconditionFailure("both tables are read with the same kind")
        }
    }
}

struct IoUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iou",
        abstract: "IoU of the boxes in two CSV tables: 2D (axis-aligned), BEV (rotated) or 3D (yaw-only cuboids).",
        discussion: """
            Input: CSV with a header naming the columns (any order, other columns ignored):
              2d  x1,y1,x2,y2          corners
              bev x,y,l,w,yaw          centre, length, width, yaw in radians
              3d  x,y,z,l,w,h,yaw      geometric centre, size, yaw in radians
            Output (stdout): --pairwise (default) prints N rows of M comma-separated values; --aligned \
            prints one value per line for row i of A against row i of B. Every value reads back as the \
            same Double. A malformed table prints its file, line and column and exits with 1.
            """)

    enum Mode: String, EnumerableFlag {
        case pairwise, aligned
    }

    @OptionGroup var tables: BoxTableArguments

    @Flag(help: "Every box of A with every box of B (default), or A[i] with B[i].")
    var mode: Mode = .pairwise

    @OptionGroup var threading: ThreadArguments

    func run() throws {
        let tables = try self.tables.load()
        let threads = threading.threads
        var output = ""
        switch mode {
        case .pairwise:
            let matrix = tables.pairwise(threads: threads)
            output.reserveCapacity(matrix.elements.count * 8)
            for row in 0..<matrix.rows {
                for column in 0..<matrix.columns {
                    if column > 0 { output += "," }
                    output += roundTripText(matrix.elements[row * matrix.columns + column])
                }
                output += "\n"
            }
        case .aligned:
            guard tables.a.count == tables.b.count else {
                printError("--aligned needs as many boxes in \(self.tables.tableA) (\(tables.a.count)) as in \(self.tables.tableB) (\(tables.b.count))")
                throw ExitCode(1)
            }
            for value in tables.aligned(threads: threads) {
                output += roundTripText(value)
                output += "\n"
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Optimal (or greedy) assignment on a cost matrix CSV, with an optional gate.",
        discussion: """
            Input: one matrix row per line, comma-separated numbers, no header; inf or nan marks a \
            forbidden pair. Output: one matched pair per line, "row,column" (0-based), sorted by row. \
            The optimal solver maximises the number of pairs, then minimises their total cost \
            (rectangular Jonker-Volgenant, as SciPy's linear_sum_assignment).
            """)

    @Argument(help: "Cost matrix (CSV, no header).")
    var costMatrix: String

    @Option(help: "Never match pairs costing more than this.")
    var maximumCost: Double?

    @Flag(help: "Greedy matching (cheapest pair first) instead of the optimal assignment.")
    var greedy = false

    func run() throws {
        let cost: Matrix
        do {
            cost = try MatrixCSV.read(costMatrix)
        } catch {
            reportError(error, path: costMatrix)
            throw ExitCode(1)
        }
        let pairs = greedy
            ? greedyAssignment(cost: cost, maximumCost: maximumCost)
            : optimalAssignment(cost: cost, maximumCost: maximumCost)
        print(pairs.map { "\($0.row),\($0.column)" }.joined(separator: "\n"))
    }
}
