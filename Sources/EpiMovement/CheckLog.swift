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

    /// Inserts the rows, skipping ids stored already (the phone's retry, or the same id twice in one
    /// batch: the first one counts), and counts the newly stored passes with papers into the day's
    /// "other" figure. Returns, per row, whether it was stored now. Call inside a transaction.
    static func store(_ db: any SQLDatabase, _ rows: [CheckLogRow]) async throws -> [Bool] {
        var stored = Set<String>()
        var deltas: [Counters.Change: Int] = [:]
        for start in stride(from: 0, to: rows.count, by: 400) {
            var seen = Set<String>()
            let chunk = rows[start..<min(start + 400, rows.count)].filter { seen.insert($0.id).inserted && !stored.contains($0.id) }
            guard !chunk.isEmpty else { continue }
            let values: [SQLQueryString] = chunk.map { r in
                """
                (\(bind: r.id), \(bind: r.checkpointId), \(bind: r.checkpointName), \(bind: r.unitPath), \(bind: r.groupCode), \(bind: r.permitId), \(bind: r.permitNumber), \
                \(bind: r.direction), \(bind: r.result), \(bind: r.reason), \(bind: r.declarationOk), \(bind: r.officer), \(bind: r.checkedAt), \(bind: r.checkedOn), \(bind: r.receivedAt))
                """
            }
            let inserted = try await db.raw("""
                INSERT INTO checkpoint_checks (id, checkpoint_id, checkpoint_name, unit_path, group_code, permit_id, permit_number, direction, result, reason, declaration_ok, officer,
                checked_at, checked_on, received_at) VALUES \(SQLList(values)) ON CONFLICT (id) DO NOTHING RETURNING id
                """).all()
            let new = Set(try inserted.map { try $0.decode(column: "id", as: String.self) })
            for r in chunk where new.contains(r.id) && OutCounters.countsAsPapers(result: r.result, direction: r.direction) {
                guard let day = CivilDate(iso: r.checkedOn) else { continue }
                OutCounters.papersPass(unitPath: r.unitPath, groupCode: r.groupCode, day: day, into: &deltas)
            }
            stored.formUnion(new)
        }
        try await Counters.apply(db, deltas)
        // The checkpoints heard from: the latest time each sent a check, for the silent-checkpoint alert.
        var heard: [String: String] = [:]
        for r in rows where stored.contains(r.id) {
            guard let checkpoint = r.checkpointId else { continue }
            if heard[checkpoint].map({ $0 < r.receivedAt }) ?? true { heard[checkpoint] = r.receivedAt }
        }
        for (checkpoint, at) in heard {
            try await db.raw("UPDATE checkpoints SET last_seen_at = \(bind: at) WHERE id = \(bind: checkpoint) AND (last_seen_at IS NULL OR last_seen_at < \(bind: at))").run()
        }
        // A row repeated in the same call is reported stored only once, at its first place.
        var answered = Set<String>()
        return rows.map { stored.contains($0.id) && answered.insert($0.id).inserted }
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
