public import CuboidQA
public import Foundation
import GRDB

/// One stored QA run of one tasker on one batch.
public struct QAHistoryEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var batch: String
    public var tasker: String
    /// When the run was recorded (UTC, ISO 8601).
    public var recordedAt: String
    public var frames: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var meanIoU: Double?
    public var findings: Int
    /// The match criterion the run used (`bev-iou`...): runs with different criteria do not compare.
    public var criterion: String
}

/// The QA history: every run of every tasker per batch, in an embedded SQLite database (GRDB), so a
/// QA lead can follow a tasker's trend and a tasker can see what their tier rests on.
///
/// Tables: `run` (one row per tasker and run, with the overall figures) and `run_class` (the same
/// figures per class). The schema is created and migrated on open; writes are transactions, so an
/// interrupted run leaves the database as it was.
public struct QAHistory: Sendable {
    private let database: DatabaseQueue

    /// Opens (creating if needed) a history database.
    /// - Throws: GRDB's `DatabaseError` when the file is not a database or cannot be written.
    public init(path: String) throws {
        database = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("batch", .text).notNull()
                t.column("tasker", .text).notNull()
                t.column("recordedAt", .text).notNull()
                t.column("frames", .integer).notNull()
                t.column("truePositives", .integer).notNull()
                t.column("falsePositives", .integer).notNull()
                t.column("falseNegatives", .integer).notNull()
                t.column("precision", .double).notNull()
                t.column("recall", .double).notNull()
                t.column("f1", .double).notNull()
                t.column("meanIoU", .double)
                t.column("findings", .integer).notNull()
                t.column("criterion", .text).notNull()
                t.column("configuration", .text).notNull()
            }
            try db.create(index: "run_tasker", on: "run", columns: ["tasker", "recordedAt"])
            try db.create(table: "run_class") { t in
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("category", .text).notNull()
                t.column("truePositives", .integer).notNull()
                t.column("falsePositives", .integer).notNull()
                t.column("falseNegatives", .integer).notNull()
                t.column("f1", .double).notNull()
                t.column("meanIoU", .double)
                t.column("averagePrecision", .double)
                t.column("mota", .double)
            }
        }
        try migrator.migrate(database)
    }

    /// Stores every tasker of a report under a batch name, in one transaction.
    /// - Returns: The new entries.
    @discardableResult
    public func record(_ report: QAReport, batch: String, date: Date = Date()) throws -> [QAHistoryEntry] {
        let stamp = ISO8601DateFormatter().string(from: date)
        let configuration = String(decoding: report.configuration.encoded, as: UTF8.self)
        return try database.write { db in
            var entries: [QAHistoryEntry] = []
            for tasker in report.taskers {
                let o = tasker.overall
                try db.execute(sql: """
                    INSERT INTO run (batch, tasker, recordedAt, frames, truePositives, falsePositives, falseNegatives, precision, recall, f1,
                                     meanIoU, findings, criterion, configuration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [batch, tasker.name, stamp, tasker.frames.count, o.truePositives, o.falsePositives, o.falseNegatives,
                                     o.precision, o.recall, o.f1, o.meanIoU, tasker.findings.count, report.configuration.match.rawValue,
                                     configuration])
                let id = db.lastInsertedRowID
                for c in tasker.classes {
                    try db.execute(sql: """
                        INSERT INTO run_class (runId, category, truePositives, falsePositives, falseNegatives, f1, meanIoU, averagePrecision, mota)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [id, c.category, c.detection.truePositives, c.detection.falsePositives, c.detection.falseNegatives,
                                         c.detection.f1, c.detection.meanIoU, c.averagePrecision?.coco101, c.tracking?.mota])
                }
                entries.append(QAHistoryEntry(id: id, batch: batch, tasker: tasker.name, recordedAt: stamp, frames: tasker.frames.count,
                                              truePositives: o.truePositives, falsePositives: o.falsePositives, falseNegatives: o.falseNegatives,
                                              precision: o.precision, recall: o.recall, f1: o.f1, meanIoU: o.meanIoU,
                                              findings: tasker.findings.count, criterion: report.configuration.match.rawValue))
            }
            return entries
        }
    }

    /// The stored runs, oldest first, of one tasker or of all.
    public func entries(tasker: String? = nil) throws -> [QAHistoryEntry] {
        try database.read { db in
            let sql = "SELECT * FROM run" + (tasker == nil ? "" : " WHERE tasker = ?") + " ORDER BY tasker, recordedAt, id"
            return try Row.fetchAll(db, sql: sql, arguments: tasker.map { [$0] } ?? []).map { row in
                QAHistoryEntry(id: row["id"], batch: row["batch"], tasker: row["tasker"], recordedAt: row["recordedAt"], frames: row["frames"],
                               truePositives: row["truePositives"], falsePositives: row["falsePositives"], falseNegatives: row["falseNegatives"],
                               precision: row["precision"], recall: row["recall"], f1: row["f1"], meanIoU: row["meanIoU"], findings: row["findings"],
                               criterion: row["criterion"])
            }
        }
    }
}
