import ArgumentParser
import Logging

@main
struct CuboidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuboid",
        abstract: "Lidar and camera-frame annotation toolkit: inspect, convert and (soon) pre-label sensor data.",
        discussion: """
            Exit codes: 0 success; 1 an input could not be read, decoded or written (each failure is \
            printed with its file and byte offset or line); 64 invalid arguments.
            """,
        version: "0.1.0",
        subcommands: [Demo.self, Inspect.self, Convert.self, Bench.self])
}

/// Logging to standard error, set up once per process.
enum Log {
    static let shared: Logger = {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "cuboid")
        logger.logLevel = .info
        return logger
    }()
}
