import EpiCore
import Foundation
import SQLKit

/// Keeps `contact_levels` equal to what `ContactLevels.derive` gives for the whole graph, by
/// recomputing only the neighbourhood a change can reach.
///
/// A change at a person (a new case, a case ruled out or recovered, a new exposure, a quarantine
/// that starts or ends) can only move the levels of people within `maxLevel` exposures of them:
/// a chain from any case is at most `maxLevel` long. So the region is that neighbourhood; the
/// people one exposure beyond it keep their levels and seed the search at the rim. The property
/// test `localRecomputationAgreesWithAFullOne` checks this against full recomputations.
enum ContactLevelService {
    struct Outcome: Sendable {
        /// People whose level changed: old and new level (nil = none).
        var changed: [String: (old: Int?, new: Int?)] = [:]
        var regionSize = 0
    }

    struct Settings: Sendable {
        let maxLevel: Int
        let infectiousDaysBefore: Int

        static func current(_ db: any SQLDatabase) async throws -> Settings {
            Settings(maxLevel: try await Policies.value(db, .maxContactLevel), infectiousDaysBefore: try await Policies.value(db, .infectiousDaysBefore))
        }
    }

    private struct EdgeRow: Decodable { let id: String; let a: String; let b: String; let day: String }

    /// Recomputes around `people` inside the caller's transaction and keeps the level gauges current.
    @discardableResult
    static func recompute(_ db: any SQLDatabase, around people: Set<String>, settings: Settings? = nil) async throws -> Outcome {
        guard !people.isEmpty else { return Outcome() }
        let settings = if let settings { settings } else { try await Settings.current(db) }
        var region = people
        var frontier = people
        var edges: [String: ContactLevels.Edge<String>] = [:]
        var rim: Set<String> = []
        for hop in 0...settings.maxLevel {
            let found = try await neighbours(db, of: frontier)
            var next: Set<String> = []
            for e in found {
                edges[e.id] = ContactLevels.Edge(e.a, e.b, day: CivilDate(iso: e.day)!)
                if !region.contains(e.b) { next.insert(e.b) }
            }
            if hop == settings.maxLevel {
                rim = next
            } else {
                region.formUnion(next)
                frontier = next
            }
            if next.isEmpty { break }
        }
        let everyone = region.union(rim)
        let sources = try await sourcesOf(db, everyone, settings: settings)
        let quarantine = try await quarantineOf(db, everyone)
        let rimLevels = try await levels(db, of: rim)
        let fixed = rimLevels.mapValues { ContactLevels.Assignment(level: $0.level, since: CivilDate(iso: $0.since)!, via: $0.viaPersonId) }
        let derived = ContactLevels.derive(sources: sources, edges: Array(edges.values), quarantine: quarantine, maxLevel: settings.maxLevel, fixed: fixed)
            .filter { region.contains($0.key) && $0.value.level > 0 }
        let old = try await levels(db, of: region)
        var outcome = try await write(db, old: old, new: derived)
        outcome.regionSize = region.count
        return outcome
    }

    /// Recomputes every level from all cases (after a change of the maximum level, or to check the incremental path).
    @discardableResult
    static func recomputeAll(_ db: any SQLDatabase, settings: Settings? = nil) async throws -> Outcome {
        let settings = if let settings { settings } else { try await Settings.current(db) }
        let caseRows = try await db.raw("SELECT DISTINCT person_id FROM cases WHERE outcome <> 'ruled_out'").all()
        let seeds = Set(try caseRows.map { try $0.decode(column: "person_id", as: String.self) })
        var region = seeds
        var frontier = seeds
        var edges: [String: ContactLevels.Edge<String>] = [:]
        for _ in 0..<settings.maxLevel where !frontier.isEmpty {
            var next: Set<String> = []
            for e in try await neighbours(db, of: frontier) {
                edges[e.id] = ContactLevels.Edge(e.a, e.b, day: CivilDate(iso: e.day)!)
                if !region.contains(e.b) { next.insert(e.b) }
            }
            region.formUnion(next)
            frontier = next
        }
        let derived = ContactLevels.derive(sources: try await sourcesOf(db, seeds, settings: settings), edges: Array(edges.values),
                                           quarantine: try await quarantineOf(db, region), maxLevel: settings.maxLevel)
            .filter { $0.value.level > 0 }
        let oldRows = try await db.raw("SELECT person_id, level, since, via_person_id, unit_path, group_code, updated_at FROM contact_levels")
            .all(decoding: ContactLevelRecord.self, keyDecodingStrategy: .convertFromSnakeCase)
        let old = Dictionary(uniqueKeysWithValues: oldRows.map { ($0.personId, $0) })
        var outcome = try await write(db, old: old, new: derived)
        outcome.regionSize = region.count
        return outcome
    }

    /// Exposures of `people`, each oriented from the person asked about.
    private static func neighbours(_ db: any SQLDatabase, of people: Set<String>) async throws -> [EdgeRow] {
        var out: [EdgeRow] = []
        for chunk in chunks(people) {
            out += try await db.raw("""
                SELECT id, source_id AS a, contact_id AS b, day FROM exposures WHERE source_id IN (\(binds: chunk))
                UNION ALL
                SELECT id, contact_id AS a, source_id AS b, day FROM exposures WHERE contact_id IN (\(binds: chunk))
                """).all(decoding: EdgeRow.self)
        }
        return out
    }

    private struct SourceRow: Decodable {
        let personId: String, confirmedOn: String, sampledOn: String?, symptomOnset: String?, outcome: String, outcomeOn: String?
    }

    /// Cases among `people` as transmission sources; several cases of one person merge into one window.
    private static func sourcesOf(_ db: any SQLDatabase, _ people: Set<String>, settings: Settings) async throws -> [ContactLevels.Source<String>] {
        var windows: [String: (from: CivilDate, until: CivilDate?)] = [:]
        for chunk in chunks(people) {
            let rows = try await db.raw("""
                SELECT person_id, confirmed_on, sampled_on, symptom_onset, outcome, outcome_on FROM cases
                WHERE person_id IN (\(binds: chunk)) AND outcome <> 'ruled_out'
                """).all(decoding: SourceRow.self, keyDecodingStrategy: .convertFromSnakeCase)
            for r in rows {
                let confirmed = CivilDate(iso: r.confirmedOn)!
                let earliest = [r.sampledOn, r.symptomOnset].compactMap { $0.flatMap(CivilDate.init(iso:)) }.reduce(confirmed) { min($0, $1) }
                let from = earliest.adding(days: -settings.infectiousDaysBefore)
                let ended = (r.outcome == CaseOutcome.recovered.rawValue || r.outcome == CaseOutcome.died.rawValue) ? r.outcomeOn.flatMap(CivilDate.init(iso:)) ?? confirmed : nil
                if let w = windows[r.personId] {
                    let until: CivilDate? = (w.until == nil || ended == nil) ? nil : max(w.until!, ended!)
                    windows[r.personId] = (min(w.from, from), until)
                } else {
                    windows[r.personId] = (from, ended)
                }
            }
        }
        return windows.map { ContactLevels.Source(node: $0.key, infectiousFrom: $0.value.from, infectiousUntil: $0.value.until) }
    }

    private struct EpisodeRow: Decodable { let personId: String; let startDate: String; let status: String; let releasedOn: String? }

    /// Each person's latest quarantine (not isolation: a case's window comes from the case).
    private static func quarantineOf(_ db: any SQLDatabase, _ people: Set<String>) async throws -> [String: ContactLevels.Quarantine] {
        var out: [String: (start: String, q: ContactLevels.Quarantine)] = [:]
        for chunk in chunks(people) {
            let rows = try await db.raw("""
                SELECT person_id, start_date, status, released_on FROM episodes
                WHERE person_id IN (\(binds: chunk)) AND kind = 'quarantine' AND status <> 'cancelled'
                """).all(decoding: EpisodeRow.self, keyDecodingStrategy: .convertFromSnakeCase)
            for r in rows where (out[r.personId]?.start ?? "") <= r.startDate {
                let released = r.status == "released" ? r.releasedOn.flatMap(CivilDate.init(iso:)) : nil
                out[r.personId] = (r.startDate, ContactLevels.Quarantine(startedOn: CivilDate(iso: r.startDate), releasedOn: released))
            }
        }
        return out.mapValues(\.q)
    }

    private static func levels(_ db: any SQLDatabase, of people: Set<String>) async throws -> [String: ContactLevelRecord] {
        var out: [String: ContactLevelRecord] = [:]
        for chunk in chunks(people) {
            for r in try await db.raw("SELECT person_id, level, since, via_person_id, unit_path, group_code, updated_at FROM contact_levels WHERE person_id IN (\(binds: chunk))")
                .all(decoding: ContactLevelRecord.self, keyDecodingStrategy: .convertFromSnakeCase) {
                out[r.personId] = r
            }
        }
        return out
    }

    static func metric(forLevel level: Int) -> Metric {
        level == 1 ? .f1Active : level == 2 ? .f2Active : .f3PlusActive
    }

    /// Writes the difference and moves the gauges with it.
    private static func write(_ db: any SQLDatabase, old: [String: ContactLevelRecord], new: [String: ContactLevels.Assignment<String>]) async throws -> Outcome {
        var outcome = Outcome()
        let removed = old.keys.filter { new[$0] == nil }
        let upserts = new.filter { key, a in
            guard let o = old[key] else { return true }
            return o.level != a.level || o.since != a.since.iso || o.viaPersonId != a.via
        }
        guard !removed.isEmpty || !upserts.isEmpty else { return outcome }
        // Where the new people live, for scoping and the gauges.
        var homes: [String: (String, String)] = [:]
        for chunk in chunks(Set(upserts.keys.filter { old[$0] == nil })) {
            for row in try await db.raw("SELECT id, unit_path, group_code FROM persons WHERE id IN (\(binds: chunk))").all() {
                homes[try row.decode(column: "id", as: String.self)] = (try row.decode(column: "unit_path", as: String.self),
                                                                       try row.decodeNil(column: "group_code") ? "" : try row.decode(column: "group_code", as: String.self))
            }
        }
        var deltas: [Counters.Change: Int] = [:]
        for id in removed {
            let o = old[id]!
            deltas[Counters.Change(o.unitPath, group: o.groupCode, metric(forLevel: o.level)), default: 0] -= 1
            outcome.changed[id] = (o.level, nil)
        }
        for chunk in chunks(Set(removed)) {
            try await db.raw("DELETE FROM contact_levels WHERE person_id IN (\(binds: chunk))").run()
        }
        let now = Timestamp.now()
        let rows: [ContactLevelRecord] = upserts.compactMap { id, a in
            guard let (unit, group) = old[id].map({ ($0.unitPath, $0.groupCode) }) ?? homes[id] else { return nil }
            return ContactLevelRecord(personId: id, level: a.level, since: a.since.iso, viaPersonId: a.via, unitPath: unit, groupCode: group, updatedAt: now)
        }.sorted { $0.personId < $1.personId }
        for start in stride(from: 0, to: rows.count, by: 300) {
            var builder = db.insert(into: "contact_levels").columns("person_id", "level", "since", "via_person_id", "unit_path", "group_code", "updated_at")
            for r in rows[start..<min(start + 300, rows.count)] {
                builder = builder.values(SQLBind(r.personId), SQLBind(r.level), SQLBind(r.since), SQLBind(r.viaPersonId), SQLBind(r.unitPath), SQLBind(r.groupCode), SQLBind(r.updatedAt))
            }
            try await builder.onConflict(with: ["person_id"]) {
                $0.set(excludedValueOf: "level").set(excludedValueOf: "since").set(excludedValueOf: "via_person_id").set(excludedValueOf: "updated_at")
            }.run()
        }
        for r in rows {
            let o = old[r.personId]
            if let o { deltas[Counters.Change(o.unitPath, group: o.groupCode, metric(forLevel: o.level)), default: 0] -= 1 }
            deltas[Counters.Change(r.unitPath, group: r.groupCode, metric(forLevel: r.level)), default: 0] += 1
            outcome.changed[r.personId] = (o?.level, r.level)
        }
        try await Counters.apply(db, deltas)
        return outcome
    }

    static func chunks(_ ids: Set<String>, size: Int = 500) -> [[String]] {
        let sorted = ids.sorted()
        return stride(from: 0, to: sorted.count, by: size).map { Array(sorted[$0..<min($0 + size, sorted.count)]) }
    }
}
