public import CuboidQA
public import Foundation
import CuboidSQLite

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
    /// nil (NULL in the database) where undefined: precision without labelled boxes, recall without
    /// gold, F1 with neither.
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var meanIoU: Double?
    public var findings: Int
    /// The match criterion the run used (`bev-iou`...): runs with different criteria do not compare.
    public var criterion: String
}

/// A history database that could not be opened, migrated, read or written, with the file and
/// SQLite's reason (`file is not a database`, `database or disk is full`, `attempt to write a
/// readonly database`...).
public struct QAHistoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being done with the database.
    public enum Operation: String, Sendable, Hashable {
        case open, migrate, record = "record a run in", read
    }

    /// The database file.
    public var path: String
    /// The operation that failed.
    public var operation: Operation
    /// SQLite's extended result code (26 `SQLITE_NOTADB`, 13 `SQLITE_FULL`, 8 `SQLITE_READONLY`...),
    /// or 0 when the failure was not SQLite's.
    public var code: Int32
    /// SQLite's message, or the underlying error's description.
    public var reason: String

    public init(path: String, operation: Operation, code: Int32, reason: String) {
        self.path = path
        self.operation = operation
        self.code = code
        self.reason = reason
    }

    /// Wraps any error of `body` (GRDB's `DatabaseError` or another) with the path and operation.
    static func wrapping<T>(_ path: String, _ operation: Operation, _ body: () throws -> T) throws(QAHistoryError) -> T {
        do {
            return try body()
        } catch let error as QAHistoryError {
            throw error
        } catch let error as DatabaseError {
            throw QAHistoryError(path: path, operation: operation, code: error.extendedResultCode.rawValue,
                                 reason: error.message ?? error.resultCode.description)
        } catch {
            throw QAHistoryError(path: path, operation: operation, code: 0, reason: "\(error)")
        }
    }

    public var description: String { "\(path): cannot \(operation.rawValue) the QA history database: \(reason)" }
}

/// The QA history: the latest run of every tasker per batch, in an embedded SQLite database (GRDB),
/// so a QA lead can follow a tasker's trend and a tasker can see what their tier rests on.
///
/// Tables: `run` (one row per tasker and batch, with the overall figures) and `run_class` (the same
/// figures per class). Recording a batch again for a tasker replaces that tasker's earlier row of the
/// batch and its class rows (a re-run QA is not a second data point); a unique index on
/// (`batch`, `tasker`) holds this. The schema is created and migrated on open (migration `v2` keeps
/// only the newest row of each batch and tasker a version 1 database holds, by `recordedAt` then
/// insertion; migration `v3` lets `precision`, `recall`, `f1` and the class rows' `f1` be NULL, which
/// is how a figure that is undefined, "n/a", is stored: recall without gold, precision without labelled
/// boxes; rows a version 2 database holds keep their values); writes are transactions, so an interrupted run leaves the database as it was.
public struct QAHistory: Sendable {
    private let database: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens (creating if needed) a history database.
    /// - Throws: ``QAHistoryError`` naming the file when it is not a database or cannot be created,
    ///   read or migrated.
    public init(path: String) throws(QAHistoryError) {
        self.path = path
        database = try QAHistoryError.wrapping(path, .open) { try DatabaseQueue(path: path) }
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
        migrator.registerMigration("v2") { db in
            // One row per batch and tasker: the newest (latest recordedAt, then the last inserted).
            // Class rows are deleted by hand: migrations run with foreign keys off, so no cascade.
            try db.execute(sql: """
                DELETE FROM run WHERE id <> (SELECT newer.id FROM run AS newer WHERE newer.batch = run.batch AND newer.tasker = run.tasker
                                             ORDER BY newer.recordedAt DESC, newer.id DESC LIMIT 1)
                """)
            try db.execute(sql: "DELETE FROM run_class WHERE runId NOT IN (SELECT id FROM run)")
            try db.create(index: "run_batch_tasker", on: "run", columns: ["batch", "tasker"], unique: true)
        }
        migrator.registerMigration("v3") { db in
            // SQLite cannot drop NOT NULL in place: the tables are rebuilt with the same columns, the
            // undefined figures nullable, and the rows copied (GRDB runs migrations with foreign keys off).
            try db.create(table: "run_new") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("batch", .text).notNull()
                t.column("tasker", .text).notNull()
                t.column("recordedAt", .text).notNull()
                t.column("frames", .integer).notNull()
                t.column("truePositives", .integer).notNull()
                t.column("falsePositives", .integer).notNull()
                t.column("falseNegatives", .integer).notNull()
                t.column("precision", .double)
                t.column("recall", .double)
                t.column("f1", .double)
                t.column("meanIoU", .double)
                t.column("findings", .integer).notNull()
                t.column("criterion", .text).notNull()
                t.column("configuration", .text).notNull()
            }
            try db.execute(sql: "INSERT INTO run_new SELECT id, batch, tasker, recordedAt, frames, truePositives, falsePositives, falseNegatives, "
                           + "precision, recall, f1, meanIoU, findings, criterion, configuration FROM run")
            try db.create(table: "run_class_new") { t in
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("category", .text).notNull()
                t.column("truePositives", .integer).notNull()
                t.column("falsePositives", .integer).notNull()
                t.column("falseNegatives", .integer).notNull()
                t.column("f1", .double)
                t.column("meanIoU", .double)
                t.column("averagePrecision", .double)
                t.column("mota", .double)
            }
            try db.execute(sql: "INSERT INTO run_class_new SELECT runId, category, truePositives, falsePositives, falseNegatives, f1, meanIoU, "
                           + "averagePrecision, mota FROM run_class")
            try db.drop(table: "run_class")
            try db.drop(table: "run")
            try db.rename(table: "run_new", to: "run")
            try db.rename(table: "run_class_new", to: "run_class")
            try db.create(index: "run_tasker", on: "run", columns: ["tasker", "recordedAt"])
            try db.create(index: "run_batch_tasker", on: "run", columns: ["batch", "tasker"], unique: true)
        }
        try QAHistoryError.wrapping(path, .migrate) { try migrator.migrate(database) }
    }

    /// Stores every tasker of a report under a batch name, in one transaction; a tasker already
    /// recorded for this batch has that earlier run (and its class rows) replaced.
    /// - Returns: The new entries.
    /// - Throws: ``QAHistoryError`` naming the file (a full disk, a read-only file); the database is
    ///   then as it was.
    @discardableResult
    public func record(_ report: QAReport, batch: String, date: Date = Date()) throws(QAHistoryError) -> [QAHistoryEntry] {
        let stamp = ISO8601DateFormatter().string(from: date)
        let configuration = String(decoding: report.configuration.encoded, as: UTF8.self)
        return try QAHistoryError.wrapping(path, .record) { try database.write { db in
            var entries: [QAHistoryEntry] = []
            for tasker in report.taskers {
                let o = tasker.overall
                try db.execute(sql: "DELETE FROM run_class WHERE runId IN (SELECT id FROM run WHERE batch = ? AND tasker = ?)",
                               arguments: [batch, tasker.name])
                try db.execute(sql: "DELETE FROM run WHERE batch = ? AND tasker = ?", arguments: [batch, tasker.name])
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
        } }
    }

    /// The stored runs, oldest first, of one tasker or of all.
    /// - Throws: ``QAHistoryError`` naming the file.
    public func entries(tasker: String? = nil) throws(QAHistoryError) -> [QAHistoryEntry] {
        try QAHistoryError.wrapping(path, .read) { try database.read { db in
            let sql = "SELECT * FROM run" + (tasker == nil ? "" : " WHERE tasker = ?") + " ORDER BY tasker, recordedAt, id"
            return try Row.fetchAll(db, sql: sql, arguments: tasker.map { [$0] } ?? []).map { row in
                QAHistoryEntry(id: row["id"], batch: row["batch"], tasker: row["tasker"], recordedAt: row["recordedAt"], frames: row["frames"],
                               truePositives: row["truePositives"], falsePositives: row["falsePositives"], falseNegatives: row["falseNegatives"],
                               precision: row["precision"], recall: row["recall"], f1: row["f1"], meanIoU: row["meanIoU"], findings: row["findings"],
                               criterion: row["criterion"])
            }
        } }
    }
}
