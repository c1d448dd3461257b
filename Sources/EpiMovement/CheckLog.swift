import EpiCore
import EpiPlatform
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// One row of `checkpoint_checks`, as a check online or an upload from an offline phone writes it.
package struct CheckLogRow: Sendable {
    let id: String
    let checkpointId: String?
    let checkpointName: String
    let unitPath: String
    let groupCode: String
    let permitId: String?
    let permitNumber: String
    let direction: String
    let result: String
    let reason: String
    let declarationOk: Bool?
    let officer: String
    let checkedAt: String
    let checkedOn: String
    let receivedAt: String

    static let insert = BulkInsert(into: "checkpoint_checks", columns: ["id", "checkpoint_id", "checkpoint_name", "unit_path", "group_code", "permit_id", "permit_number",
                                                                       "direction", "result", "reason", "declaration_ok", "officer", "checked_at", "checked_on", "received_at"],
                                   skippingConflictsOn: ["id"], idColumn: "id")

    /// Inserts the rows, skipping ids stored already (the phone's retry, or the same id twice in one
    /// batch: the first one counts), and counts the newly stored passes with papers into the day's
    /// "other" figure. Returns, per row, whether it was stored now. Call inside a transaction.
    static func store(_ db: any SQLDatabase, _ rows: [CheckLogRow]) async throws -> [Bool] {
        var cells: [SQLCell] = []
        cells.reserveCapacity(rows.count * insert.columns.count)
        for r in rows {
            cells.append(.text(r.id))
            cells.append(SQLCell(r.checkpointId))
            cells.append(.text(r.checkpointName))
            cells.append(.text(r.unitPath))
            cells.append(.text(r.groupCode))
            cells.append(SQLCell(r.permitId))
            cells.append(.text(r.permitNumber))
            cells.append(.text(r.direction))
            cells.append(.text(r.result))
            cells.append(.text(r.reason))
            cells.append(SQLCell(r.declarationOk))
            cells.append(.text(r.officer))
            cells.append(.text(r.checkedAt))
            cells.append(.text(r.checkedOn))
            cells.append(.text(r.receivedAt))
        }
        // Per row, whether it was stored now: false for an id stored before and for an id repeated in the call.
        let written = try await insert.run(db, cells: cells)
        var deltas: [Counters.Change: Int] = [:]
        for (r, new) in zip(rows, written) where new && OutCounters.countsAsPapers(result: r.result, direction: r.direction) {
            guard let day = CivilDate(iso: r.checkedOn) else { continue }
            OutCounters.papersPass(unitPath: r.unitPath, groupCode: r.groupCode, day: day, into: &deltas)
        }
        try await Counters.apply(db, deltas)
        // The checkpoints heard from: the latest time each sent a check, for the silent-checkpoint alert.
        var heard: [String: String] = [:]
        for (r, new) in zip(rows, written) where new {
            guard let checkpoint = r.checkpointId else { continue }
            if heard[checkpoint].map({ $0 < r.receivedAt }) ?? true { heard[checkpoint] = r.receivedAt }
        }
        for (checkpoint, at) in heard {
            try await db.raw("UPDATE checkpoints SET last_seen_at = \(bind: at) WHERE id = \(bind: checkpoint) AND (last_seen_at IS NULL OR last_seen_at < \(bind: at))").run()
        }
        return written
    }
}

/// What the checks of one server share: the group committer that writes the check log (many officers'
/// checks in one transaction, each answered after its group commits) and the checkpoints read so far.
///
/// Checkpoint rows are few (≈60 in Hanoi, 2021) and no route changes one once created, so a cached row
/// stays right; `forgetCheckpoints` is there for a change made behind the server's back, and entries
/// are read again after `checkpointLifetime` anyway.
package final class CheckShared: Sendable {
    let log: GroupCommitter<CheckLogRow, Bool>
    private let checkpoints = NIOLockedValueBox<[String: (Date, CheckService.Checkpoint)]>([:])
    static let checkpointLifetime: TimeInterval = 300

    package init(database: Database) {
        log = GroupCommitter(maxGroup: 256) { rows in
            try await database.transaction { try await CheckLogRow.store($0, rows) }
        }
    }

    func checkpoint(_ id: String) -> CheckService.Checkpoint? {
        checkpoints.withLockedValue { cache in
            guard let (at, row) = cache[id] else { return nil }
            guard Date().timeIntervalSince(at) < Self.checkpointLifetime else {
                cache[id] = nil
                return nil
            }
            return row
        }
    }

    func remember(_ checkpoint: CheckService.Checkpoint) {
        guard let id = checkpoint.id else { return }
        checkpoints.withLockedValue { cache in
            // Bounded: ids come from requests, and a wrong id is never stored (only rows that exist).
            if cache.count >= 10_000 { cache.removeAll() }
            cache[id] = (Date(), checkpoint)
        }
    }

    package func forgetCheckpoints() {
        checkpoints.withLockedValue { $0.removeAll() }
    }
}
