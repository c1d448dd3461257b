import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Keeps `contact_levels` equal to what `ContactLevels.derivation` gives for the whole graph, by
/// recomputing only the neighbourhood a change can reach.
///
/// A change at a person (a new case, a case ruled out or recovered, a new exposure, a quarantine
/// that starts or ends) can only move the levels of people within `maxLevel` exposures of them:
/// a chain from any case is at most `maxLevel` long. So the region is that neighbourhood; the
/// people one exposure beyond it keep their levels and seed the search at the rim. A case's window
/// may start at its own earlier exposure to another case (a promoted F1), which can depend on cases
/// further away, so those windows come from the whole graph of cases (`promotedSources`). The
/// property test `localRecomputationAgreesWithAFullOne` checks this against full recomputations.
///
/// Everyone who loses a level is written to `contact_level_ends` with the day and the reason, so a
/// ward sees who is no longer followed instead of watching them vanish.
package enum ContactLevelService {
    package struct Outcome: Sendable {
        /// People whose level changed: old and new level (nil = none).
        package var changed: [String: (old: Int?, new: Int?)] = [:]
        package var regionSize = 0
    }

    /// The rules a derivation reads, each as of the record's own date.
    package struct Settings: Sendable {
        let maxLevel: Int
        let infectiousDaysBefore: PolicyTimeline
        let followDays: PolicyTimeline
        let quarantineRules: [QuarantineRule]
        let today: CivilDate

        static func current(_ db: any SQLDatabase) async throws -> Settings {
            let today = try await SimulatedDay.today(db)
            return Settings(maxLevel: try await Policies.value(db, .maxContactLevel, on: today),
                     infectiousDaysBefore: try await PolicyTimeline.load(db, .infectiousDaysBefore),
                     followDays: try await PolicyTimeline.load(db, .contactFollowDays),
                     quarantineRules: try await QuarantineService.rules(db), today: today)
        }

        /// Days a contact never placed in quarantine is followed after a last exposure on `day`: the
        /// setting when it is set, else the quarantine and monitoring days of the F1 rule in force then.
        func followDays(after day: CivilDate) -> Int {
            let set = followDays.value(on: day)
            if set > 0 { return set }
            guard let rule = QuarantinePolicy.rule(for: .f1, setting: .facility, on: day, rules: quarantineRules) else { return 28 }
            return rule.days + rule.monitoringDays
        }

        var lapse: ContactLevels.Lapse {
            let copy = self
            return ContactLevels.Lapse(today: today) { copy.followDays(after: $0) }
        }
    }

    private struct EdgeRow: Decodable { let id: String; let a: String; let b: String; let day: String }

    /// Recomputes around `people` inside the caller's transaction and keeps the level gauges current.
    @discardableResult
    package static func recompute(_ db: any SQLDatabase, around people: Set<String>, settings: Settings? = nil) async throws -> Outcome {
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
                edges[e.id] = ContactLevels.Edge(e.a, e.b, day: try CivilDate.stored(e.day))
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
        // A window is read only on the days of the exposures this derivation holds.
        var judgedOn: [String: [CivilDate]] = [:]
        for e in edges.values {
            judgedOn[e.a, default: []].append(e.day)
            judgedOn[e.b, default: []].append(e.day)
        }
        let sources = try await promotedSources(db, around: everyone, judgedOn: judgedOn, settings: settings)
        let episodes = try await episodesOf(db, everyone)
        let rimLevels = try await levels(db, of: rim)
        var fixed: [String: ContactLevels.Assignment<String>] = [:]
        for (id, r) in rimLevels { fixed[id] = ContactLevels.Assignment(level: r.level, since: try CivilDate.stored(r.since), via: r.viaPersonId) }
        let derivation = ContactLevels.derivation(sources: sources, edges: Array(edges.values), episodes: episodes, maxLevel: settings.maxLevel,
                                                  fixed: fixed, lapse: settings.lapse)
        let derived = derivation.levels.filter { region.contains($0.key) && $0.value.level > 0 }
        let old = try await levels(db, of: region)
        var outcome = try await write(db, old: old, new: derived, lapsed: derivation.lapsed, cases: Set(derivation.levels.filter { $0.value.level == 0 }.keys))
        outcome.regionSize = region.count
        return outcome
    }

    /// The whole city's levels, derived from every case (read only).
    struct Full: Sendable {
        let levels: [String: ContactLevels.Assignment<String>]
        let lapsed: [String: CivilDate]
        let cases: Set<String>
        let regionSize: Int
    }

    static func deriveAll(_ db: any SQLDatabase, settings: Settings) async throws -> Full {
        let caseRows = try await db.raw("SELECT DISTINCT person_id FROM cases WHERE outcome <> 'ruled_out'").all()
        let seeds = Set(try caseRows.map { try $0.decode(column: "person_id", as: String.self) })
        var region = seeds
        var frontier = seeds
        var edges: [String: ContactLevels.Edge<String>] = [:]
        for _ in 0..<settings.maxLevel where !frontier.isEmpty {
            var next: Set<String> = []
            for e in try await neighbours(db, of: frontier) {
                edges[e.id] = ContactLevels.Edge(e.a, e.b, day: try CivilDate.stored(e.day))
                if !region.contains(e.b) { next.insert(e.b) }
            }
            region.formUnion(next)
            frontier = next
        }
        let derivation = ContactLevels.derivation(sources: try await sourcesOf(db, seeds, settings: settings), edges: Array(edges.values),
                                                  episodes: try await episodesOf(db, region), maxLevel: settings.maxLevel, lapse: settings.lapse)
        return Full(levels: derivation.levels.filter { $0.value.level > 0 }, lapsed: derivation.lapsed,
                    cases: Set(derivation.levels.filter { $0.value.level == 0 }.keys), regionSize: region.count)
    }

    /// Recomputes every level from all cases in the caller's transaction (tests, the benchmark's check).
    @discardableResult
    package static func recomputeAll(_ db: any SQLDatabase, settings: Settings? = nil) async throws -> Outcome {
        let settings = if let settings { settings } else { try await Settings.current(db) }
        let full = try await deriveAll(db, settings: settings)
        var outcome = try await write(db, old: try await allLevels(db), new: full.levels, lapsed: full.lapsed, cases: full.cases)
        outcome.regionSize = full.regionSize
        return outcome
    }

    static func allLevels(_ db: any SQLDatabase) async throws -> [String: ContactLevelRecord] {
        let rows = try await db.raw("SELECT person_id, level, since, via_person_id, unit_path, group_code, updated_at FROM contact_levels")
            .all(decoding: ContactLevelRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        return Dictionary(rows.map { ($0.personId, $0) }, uniquingKeysWith: { a, _ in a })
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

    /// Cases among `people` as transmission sources, each window by the infectious period in force on
    /// the case's own sampling (or onset, or confirmation) day; several cases of one person merge.
    private static func sourcesOf(_ db: any SQLDatabase, _ people: Set<String>, settings: Settings) async throws -> [ContactLevels.Source<String>] {
        var windows: [String: (from: CivilDate, until: CivilDate?)] = [:]
        for chunk in chunks(people) {
            let rows = try await db.raw("""
                SELECT person_id, confirmed_on, sampled_on, symptom_onset, outcome, outcome_on FROM cases
                WHERE person_id IN (\(binds: chunk)) AND outcome <> 'ruled_out'
                """).all(decoding: SourceRow.self, keyDecodingStrategy: .memoizedSnakeCase)
            for r in rows {
                let confirmed = try CivilDate.stored(r.confirmedOn)
                let earliest = [r.sampledOn, r.symptomOnset].compactMap { $0.flatMap(CivilDate.init(iso:)) }.reduce(confirmed) { min($0, $1) }
                let from = earliest.adding(days: -settings.infectiousDaysBefore.value(on: earliest))
                let ended = (r.outcome == CaseOutcome.recovered.rawValue || r.outcome == CaseOutcome.died.rawValue) ? r.outcomeOn.flatMap(CivilDate.init(iso:)) ?? confirmed : nil
                if let w = windows[r.personId] {
                    let until: CivilDate? = if let a = w.until, let b = ended { max(a, b) } else { nil }
                    windows[r.personId] = (min(w.from, from), until)
                } else {
                    windows[r.personId] = (from, ended)
                }
            }
        }
        return windows.map { ContactLevels.Source(node: $0.key, infectiousFrom: $0.value.from, infectiousUntil: $0.value.until) }
    }

    /// The sources among `people` with windows promoted through the graph of cases, exact on the days
    /// they are judged. Only the exposures between cases that can move those windows up to those days
    /// are loaded (`ContactLevels.promotionInputs`): following every chain of cases read most of a
    /// district per recomputation in a wave.
    private static func promotedSources(_ db: any SQLDatabase, around people: Set<String>, judgedOn: [String: [CivilDate]],
                                        settings: Settings) async throws -> [ContactLevels.Source<String>] {
        let inputs = try await ContactLevels.promotionInputs(
            targets: people, judgedOn: judgedOn,
            sourcesOf: { try await sourcesOf(db, $0, settings: settings) },
            exposuresOf: { limits in
                var edges: [ContactLevels.Edge<String>] = []
                for chunk in chunks(Set(limits.keys)) {
                    guard let latest = chunk.compactMap({ limits[$0] }).max() else { continue }
                    // EXISTS on cases_person per exposure: an IN over every case was rebuilt for each query.
                    let rows = try await db.raw("""
                        SELECT x.id, x.source_id AS a, x.contact_id AS b, x.day FROM exposures x
                        WHERE x.source_id IN (\(binds: chunk)) AND x.day <= \(bind: latest.iso)
                          AND EXISTS (SELECT 1 FROM cases c WHERE c.person_id = x.contact_id AND c.outcome <> 'ruled_out')
                        UNION ALL
                        SELECT x.id, x.contact_id AS a, x.source_id AS b, x.day FROM exposures x
                        WHERE x.contact_id IN (\(binds: chunk)) AND x.day <= \(bind: latest.iso)
                          AND EXISTS (SELECT 1 FROM cases c WHERE c.person_id = x.source_id AND c.outcome <> 'ruled_out')
                        """).all(decoding: EdgeRow.self)
                    for e in rows { edges.append(ContactLevels.Edge(e.a, e.b, day: try CivilDate.stored(e.day))) }
                }
                return edges
            })
        guard !inputs.edges.isEmpty else { return inputs.sources.filter { people.contains($0.node) } }
        return ContactLevels.promote(inputs.sources, edges: inputs.edges).filter { people.contains($0.node) }
    }

    private struct EpisodeRow: Decodable { let personId: String; let startDate: String; let status: String; let releasedOn: String? }

    /// Every quarantine episode of `people` (not isolation: a case's window comes from the case).
    private static func episodesOf(_ db: any SQLDatabase, _ people: Set<String>) async throws -> [String: [ContactLevels.Quarantine]] {
        var out: [String: [ContactLevels.Quarantine]] = [:]
        for chunk in chunks(people) {
            let rows = try await db.raw("""
                SELECT person_id, start_date, status, released_on FROM episodes
                WHERE person_id IN (\(binds: chunk)) AND kind = 'quarantine' AND status <> 'cancelled'
                """).all(decoding: EpisodeRow.self, keyDecodingStrategy: .memoizedSnakeCase)
            for r in rows {
                let ended = r.status == "active" ? nil : r.releasedOn.flatMap(CivilDate.init(iso:))
                out[r.personId, default: []].append(ContactLevels.Quarantine(startedOn: CivilDate(iso: r.startDate),
                                                                             releasedOn: r.status == "released" ? ended : nil, endedOn: ended))
            }
        }
        return out
    }

    static func levels(_ db: any SQLDatabase, of people: Set<String>) async throws -> [String: ContactLevelRecord] {
        var out: [String: ContactLevelRecord] = [:]
        for chunk in chunks(people) {
            for r in try await db.raw("SELECT person_id, level, since, via_person_id, unit_path, group_code, updated_at FROM contact_levels WHERE person_id IN (\(binds: chunk))")
                .all(decoding: ContactLevelRecord.self, keyDecodingStrategy: .memoizedSnakeCase) {
                out[r.personId] = r
            }
        }
        return out
    }

    static func metric(forLevel level: Int) -> Metric {
        level == 1 ? .f1Active : level == 2 ? .f2Active : .f3PlusActive
    }

    /// Writes the difference, records who lost a level and why, and moves the gauges with it.
    static func write(_ db: any SQLDatabase, old: [String: ContactLevelRecord], new: [String: ContactLevels.Assignment<String>],
                      lapsed: [String: CivilDate], cases: Set<String>) async throws -> Outcome {
        var outcome = Outcome()
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        let upserts = new.filter { key, a in
            guard let o = old[key] else { return true }
            return o.level != a.level || o.since != a.since.iso || o.viaPersonId != a.via
        }
        // A contact recorded when their follow period was already over never had a level to lose; they
        // are listed as lapsed all the same, once.
        try await recordLapsedWithoutLevel(db, lapsed.filter { old[$0.key] == nil && new[$0.key] == nil })
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
        let now = Timestamp.now()
        let today = try await SimulatedDay.today(db)
        var ends: [[any Encodable & Sendable]] = []
        for id in removed {
            guard let o = old[id] else { continue }
            deltas[Counters.Change(o.unitPath, group: o.groupCode, metric(forLevel: o.level)), default: 0] -= 1
            outcome.changed[id] = (o.level, nil)
            let stop = lapsed[id]
            // Why the level ended: the contact became a case, went unfollowed past the rule's period, or the
            // chain that reached them is gone (a case ruled out, a release, a changed rule).
            let reason = cases.contains(id) ? "became_case" : stop == nil ? "unlinked" : "lapsed"
            ends.append([Identifier.make(), id, o.level, o.since, o.viaPersonId, o.unitPath, o.groupCode, (stop ?? today).iso, reason, now])
        }
        for chunk in chunks(Set(removed)) {
            try await db.raw("DELETE FROM contact_levels WHERE person_id IN (\(binds: chunk))").run()
        }
        for start in stride(from: 0, to: ends.count, by: 300) {
            var builder = db.insert(into: "contact_level_ends")
                .columns("id", "person_id", "level", "since", "via_person_id", "unit_path", "group_code", "ended_on", "reason", "recorded_at")
            for row in ends[start..<min(start + 300, ends.count)] { builder = builder.values(row) }
            try await builder.run()
        }
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

    private static func recordLapsedWithoutLevel(_ db: any SQLDatabase, _ lapsed: [String: CivilDate]) async throws {
        guard !lapsed.isEmpty else { return }
        var known = Set<String>()
        for chunk in chunks(Set(lapsed.keys)) {
            for row in try await db.raw("SELECT person_id FROM contact_level_ends WHERE person_id IN (\(binds: chunk)) AND reason = 'lapsed'").all() {
                known.insert(try row.decode(column: "person_id", as: String.self))
            }
        }
        let fresh = lapsed.filter { !known.contains($0.key) }.sorted { $0.key < $1.key }
        guard !fresh.isEmpty else { return }
        var homes: [String: (String, String)] = [:]
        for chunk in chunks(Set(fresh.map(\.key))) {
            for row in try await db.raw("SELECT id, unit_path, group_code FROM persons WHERE id IN (\(binds: chunk))").all() {
                homes[try row.decode(column: "id", as: String.self)] = (try row.decode(column: "unit_path", as: String.self),
                                                                       try row.decodeNil(column: "group_code") ? "" : try row.decode(column: "group_code", as: String.self))
            }
        }
        let now = Timestamp.now()
        for start in stride(from: 0, to: fresh.count, by: 300) {
            var builder = db.insert(into: "contact_level_ends")
                .columns("id", "person_id", "level", "since", "via_person_id", "unit_path", "group_code", "ended_on", "reason", "recorded_at")
            var any = false
            for (id, stop) in fresh[start..<min(start + 300, fresh.count)] {
                guard let (unit, group) = homes[id] else { continue }
                builder = builder.values([Identifier.make(), id, 1, stop.iso, nil as String?, unit, group, stop.iso, "lapsed", now] as [any Encodable & Sendable])
                any = true
            }
            if any { try await builder.run() }
        }
    }

    static func chunks(_ ids: Set<String>, size: Int = 500) -> [[String]] {
        let sorted = ids.sorted()
        return stride(from: 0, to: sorted.count, by: size).map { Array(sorted[$0..<min($0 + size, sorted.count)]) }
    }
}

/// Every version of one setting, read once, so a derivation can take each record's value as of the
/// record's own date without a query per record.
struct PolicyTimeline: Sendable {
    let key: PolicyKey
    /// (effective from, value), oldest first.
    let versions: [(CivilDate, Int)]

    static func load(_ db: any SQLDatabase, _ key: PolicyKey) async throws -> PolicyTimeline {
        let rows = try await db.raw("SELECT effective_from, value FROM policies WHERE key = \(bind: key.rawValue) ORDER BY effective_from").all()
        var versions: [(CivilDate, Int)] = []
        for r in rows {
            guard let day = CivilDate(iso: try r.decode(column: "effective_from", as: String.self)) else { continue }
            versions.append((day, try r.decode(column: "value", as: Int.self)))
        }
        return PolicyTimeline(key: key, versions: versions)
    }

    /// The value in force on `day`: the latest version effective on or before it, else the seeded default.
    func value(on day: CivilDate) -> Int {
        versions.last { $0.0 <= day }?.1 ?? key.defaultValue
    }
}

/// The city-wide recomputation as a background job: after a change to a setting that can move a level
/// (`PolicyKey.movesContactLevels`, a quarantine rule), on request from `/rules`, and every few hours
/// so lapses take effect. The derivation reads a snapshot; the changes are written a thousand people
/// per transaction, each re-reading those people's current rows so the gauges stay exact, and the
/// derivation runs again until nothing is left to change (writes made meanwhile are caught).
package enum ContactLevelJob {
    package static let kind = "recompute_levels"

    package static func run(_ database: Database, _ job: JobContext) async throws -> String {
        var changedTotal = 0
        for _ in 0..<3 {
            let settings = try await database.read { try await ContactLevelService.Settings.current($0) }
            let full = try await database.read { try await ContactLevelService.deriveAll($0, settings: settings) }
            let old = try await database.read { try await ContactLevelService.allLevels($0) }
            var changed = Set(old.keys.filter { full.levels[$0] == nil })
            for (id, a) in full.levels {
                guard let o = old[id], o.level == a.level, o.since == a.since.iso, o.viaPersonId == a.via else { changed.insert(id); continue }
            }
            if changed.isEmpty { break }
            let ids = changed.sorted()
            for start in stride(from: 0, to: ids.count, by: 1000) {
                let chunk = Set(ids[start..<min(start + 1000, ids.count)])
                let outcome = try await database.transaction { db in
                    try await ContactLevelService.write(db, old: try await ContactLevelService.levels(db, of: chunk), new: full.levels.filter { chunk.contains($0.key) },
                                                        lapsed: full.lapsed, cases: full.cases)
                }
                changedTotal += outcome.changed.count
                await job.progress(done: min(start + 1000, ids.count), total: ids.count)
            }
        }
        let total = changedTotal
        try await database.transaction { db in
            try await Audit.record(db, actor: nil, actorName: "system", action: "recompute", entityType: "contact_levels", entityId: job.id, unitPath: nil,
                                   summary: "Tính lại toàn bộ cấp tiếp xúc: \(total) thay đổi")
        }
        return String(total)
    }
}
