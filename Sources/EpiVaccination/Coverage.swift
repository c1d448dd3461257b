import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// One unit's coverage: per age group and count, people reached against the population.
package struct UnitCoverage: Codable, Sendable {
    package struct Cell: Codable, Sendable {
        package let ageGroup: String
        package let population: Int
        package let populationEntered: Bool
        package let first: Int
        package let complete: Int
        package let booster: Int
    }
    package let unitPath: String
    package var cells: [Cell]
    /// When the registry's populations of these cells were counted (nil: never, e.g. no ward asked).
    package var registryCountedAt: String? = nil
}

/// A dated target and the units that will miss it at their last 7 days' pace.
package struct TargetStanding: Codable, Sendable {
    package struct Unit: Codable, Sendable {
        package let unitPath: String
        package let covered: Int
        package let population: Int
        package let percent: Double?
        package let perDay: Double
        package let projected: Int
        package let willMiss: Bool
    }
    package let id: String
    package let title: String
    package let minAge: Int
    package let kind: String
    package let percent: Int
    package let dueOn: String
    package let units: [Unit]
}

package struct TargetInput: Codable, Sendable {
    package var title: String?
    package var minAge: Int?
    package var kind: String?
    package var percent: Int?
    package var dueOn: String?
    package var unit: String?
    package init(title: String? = nil, minAge: Int? = nil, kind: String? = nil, percent: Int? = nil, dueOn: String? = nil, unit: String? = nil) {
        self.title = title; self.minAge = minAge; self.kind = kind; self.percent = percent; self.dueOn = dueOn; self.unit = unit
    }
}

package struct PopulationInput: Codable, Sendable {
    package var unit: String?
    package var ageGroup: String?
    package var population: Int?
    package init(unit: String? = nil, ageGroup: String? = nil, population: Int? = nil) { self.unit = unit; self.ageGroup = ageGroup; self.population = population }
}

/// Coverage by ward × age group × count against the registry's (or entered) population, read from the
/// per-day counts that every dose keeps current, and dated targets with the wards that will miss them.
package struct CoverageService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }

    /// The lowest administrative units under a path (the path itself when it is one), at most 1,000.
    package func wards(under root: String) async -> [String] {
        let directory = services.directory
        if await directory.isLowestAdministrative(root) { return [root] }
        guard let r = try? UnitPath(root) else { return [] }
        var out: [String] = []
        for u in await directory.all() where !u.isGroup {
            guard let p = try? UnitPath(u.path), r.contains(p), p != r, await directory.isLowestAdministrative(u.path) else { continue }
            out.append(u.path)
            if out.count >= 1_000 { break }
        }
        return out.sorted()
    }

    /// Birth-date bounds (exclusive lower, inclusive upper, ISO) of an age group on a day.
    static func birthBounds(_ group: AgeGroup, on day: CivilDate) -> (after: String, upTo: String) {
        func yearsAgo(_ n: Int) -> String {
            (CivilDate(year: day.year - n, month: day.month, day: day.day) ?? CivilDate(year: day.year - n, month: day.month, day: 28))?.iso ?? "0000-00-00"
        }
        switch group {
        case .age12to17: return (yearsAgo(18), yearsAgo(12))
        case .age18to49: return (yearsAgo(50), yearsAgo(18))
        case .age50to64: return (yearsAgo(65), yearsAgo(50))
        case .age65plus: return ("0000-00-00", yearsAgo(65))
        }
    }

    /// Coverage on `day`: the running totals less the per-day counts of any later day (none when `day` is
    /// today), so a call reads one row per ward × age group × count, not every day since the first dose; the
    /// registry's populations come from the stored count for that day (`registryPopulations`).
    package func coverage(scope: Scope, wards: [String], on day: CivilDate) async throws -> [UnitCoverage] {
        let registry = try await registryPopulations(scope: scope, wards: wards, on: day)
        return try await services.database.read { db in
            var entered: [String: [String: Int]] = [:]
            for row in try await db.raw("SELECT unit_path, age_group, population FROM vaccine_populations WHERE \(scope.wholeWard.condition())").all() {
                entered[try row.decode(column: "unit_path", as: String.self), default: [:]][try row.decode(column: "age_group", as: String.self)] = try row.decode(column: "population", as: Int.self)
            }
            var covered: [String: [String: [String: Int]]] = [:]
            for row in try await db.raw("SELECT unit_path, age_group, kind, n FROM vaccine_coverage_totals WHERE \(scope.wholeWard.condition())").all() {
                covered[try row.decode(column: "unit_path", as: String.self), default: [:]][try row.decode(column: "age_group", as: String.self), default: [:]][try row.decode(column: "kind", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            // The day index walks only the days after `day`.
            for row in try await db.raw("""
                SELECT unit_path, age_group, kind, CAST(SUM(n) AS BIGINT) AS n FROM vaccine_coverage_daily WHERE day > \(bind: day.iso) AND \(scope.wholeWard.condition())
                GROUP BY unit_path, age_group, kind
                """).all() {
                let w = try row.decode(column: "unit_path", as: String.self), g = try row.decode(column: "age_group", as: String.self), k = try row.decode(column: "kind", as: String.self)
                covered[w, default: [:]][g, default: [:]][k, default: 0] -= try row.decode(column: "n", as: Int.self)
            }
            return wards.map { w in
                UnitCoverage(unitPath: w, cells: AgeGroup.allCases.map { g in
                    let e = entered[w]?[g.rawValue]
                    let c = covered[w]?[g.rawValue] ?? [:]
                    return UnitCoverage.Cell(ageGroup: g.rawValue, population: e ?? registry[w]?.counts[g.rawValue] ?? 0, populationEntered: e != nil,
                                             first: c["first"] ?? 0, complete: c["complete"] ?? 0, booster: c["booster"] ?? 0)
                }, registryCountedAt: registry[w]?.countedAt)
            }
        }
    }

    /// How long a stored registry count serves before it is counted again.
    static let populationLifetime: TimeInterval = 86_400

    /// The registry's people per ward and age group on `day` (ages as of that day), with when they were
    /// counted: the stored count when one for that day is less than a day old for every ward asked, else a
    /// count now (one pass over the scope's registry), stored for the next calls. `recount` forces the count.
    package func registryPopulations(scope: Scope, wards: [String], on day: CivilDate, recount: Bool = false) async throws -> [String: (counts: [String: Int], countedAt: String)] {
        let cutoff = Timestamp.string(Date().addingTimeInterval(-Self.populationLifetime))
        let scope = scope.wholeWard
        if !recount {
            let stored = try await services.database.read { db in
                try await db.raw("""
                    SELECT unit_path, age_group, population, counted_at FROM vaccine_registry_populations
                    WHERE as_of = \(bind: day.iso) AND counted_at > \(bind: cutoff) AND \(scope.condition())
                    """).all().map { (try $0.decode(column: "unit_path", as: String.self), try $0.decode(column: "age_group", as: String.self),
                                      try $0.decode(column: "population", as: Int.self), try $0.decode(column: "counted_at", as: String.self)) }
            }
            var out: [String: (counts: [String: Int], countedAt: String)] = [:]
            for (w, g, n, at) in stored {
                out[w, default: ([:], at)].counts[g] = n
                if let seen = out[w]?.countedAt, at < seen { out[w]?.countedAt = at }
            }
            if wards.allSatisfy({ out[$0]?.counts.count == AgeGroup.allCases.count }) { return out }
        }
        let bounds = AgeGroup.allCases.map { ($0, Self.birthBounds($0, on: day)) }
        var counts: [String: [String: Int]] = [:]
        for w in wards { counts[w] = Dictionary(uniqueKeysWithValues: AgeGroup.allCases.map { ($0.rawValue, 0) }) }
        // Counted on a reader, so the single SQLite writer is held only for the short store below.
        let found = try await services.database.read { db in
            let sums = bounds.enumerated().map { i, b -> SQLQueryString in
                "CAST(SUM(CASE WHEN birth_date > \(bind: b.1.after) AND birth_date <= \(bind: b.1.upTo) THEN 1 ELSE 0 END) AS BIGINT) AS g\(unsafeRaw: String(i))"
            }
            var select: SQLQueryString = "SELECT unit_path"
            for s in sums { select = select + ", " + s }
            var found: [String: [String: Int]] = [:]
            for row in try await db.raw(select + " FROM persons WHERE merged_into IS NULL AND birth_date IS NOT NULL AND \(scope.condition()) GROUP BY unit_path").all() {
                let path = try row.decode(column: "unit_path", as: String.self)
                for (i, b) in bounds.enumerated() { found[path, default: [:]][b.0.rawValue] = try row.decode(column: "g\(i)", as: Int?.self) ?? 0 }
            }
            return found
        }
        counts.merge(found) { _, new in new }
        let countedAt = Timestamp.real()
        let rows = counts.sorted { $0.key < $1.key }.flatMap { w, byGroup in byGroup.sorted { $0.key < $1.key }.map { (w, $0.key, $0.value) } }
        let asOf = day.iso
        try await services.database.transaction { db in
            // Counts a day old serve no one any more: they go, whatever day they were for.
            try await db.raw("DELETE FROM vaccine_registry_populations WHERE counted_at <= \(bind: cutoff)").run()
            for start in stride(from: 0, to: rows.count, by: 1_000) {
                let values = rows[start..<min(start + 1_000, rows.count)].map { r -> SQLQueryString in
                    "(\(bind: asOf), \(bind: r.0), \(bind: r.1), \(bind: r.2), \(bind: countedAt))"
                }
                try await db.raw("""
                    INSERT INTO vaccine_registry_populations (as_of, unit_path, age_group, population, counted_at) VALUES \(values.joined(separator: ", "))
                    ON CONFLICT (as_of, unit_path, age_group) DO UPDATE SET population = excluded.population, counted_at = excluded.counted_at
                    """).run()
            }
        }
        return counts.mapValues { (counts: $0, countedAt: countedAt) }
    }

    /// Counts the registry's populations of `scope`'s wards again (after a resident import, say), unless a
    /// count for today finished less than `recountFloor` ago: a second click or a double submit counts
    /// once. Returns when the count in force was made; the audit row says who asked.
    package func recountPopulations(scope: Scope, wards: [String], user: CurrentUser) async throws -> String {
        let today = Clock.today()
        let stored = try await registryPopulations(scope: scope, wards: wards, on: today)
        let floor = Timestamp.string(Date().addingTimeInterval(-Self.recountFloor))
        let oldest = stored.values.map(\.countedAt).min() ?? ""
        let counted = oldest > floor ? oldest : (try await registryPopulations(scope: scope, wards: wards, on: today, recount: true)).values.map(\.countedAt).min() ?? oldest
        try await services.database.transaction { db in
            try await Audit.record(db, actor: user, action: "recount_population", entityType: "vaccine_population", entityId: scope.root.string, unitPath: scope.root,
                                   summary: "Đếm lại dân số theo nhóm tuổi từ sổ cư trú (\(wards.count) phường/xã)")
        }
        return counted
    }

    /// A recount asked for within this many seconds of the last count returns that count.
    static let recountFloor: TimeInterval = 60

    /// People reaching a count per day in the scope (all ages), for the trend.
    package func daily(scope: Scope, kind: DoseKind, from: CivilDate, to: CivilDate) async throws -> (before: Int, days: [CivilDate], values: [Int]) {
        try await services.database.read { db in
            let before = try await db.raw("""
                SELECT CAST(SUM(n) AS BIGINT) AS n FROM vaccine_coverage_daily WHERE kind = \(bind: kind.rawValue) AND day < \(bind: from.iso) AND \(scope.wholeWard.condition())
                """).first()?.decode(column: "n", as: Int?.self) ?? 0
            var byDay: [String: Int] = [:]
            for row in try await db.raw("""
                SELECT day, CAST(SUM(n) AS BIGINT) AS n FROM vaccine_coverage_daily WHERE kind = \(bind: kind.rawValue) AND day >= \(bind: from.iso) AND day <= \(bind: to.iso)
                  AND \(scope.wholeWard.condition()) GROUP BY day
                """).all() {
                byDay[try row.decode(column: "day", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            let count = max(0, to.days(since: from)) + 1
            let days = (0..<count).map { from.adding(days: $0) }
            return (before, days, days.map { byDay[$0.iso] ?? 0 })
        }
    }

    static func groups(minAge: Int) -> [AgeGroup] {
        AgeGroup.allCases.filter { g in
            switch g {
            case .age12to17: return minAge <= 12
            case .age18to49: return minAge <= 18
            case .age50to64: return minAge <= 50
            case .age65plus: return minAge <= 65
            }
        }
    }

    /// Targets set at the focus or above it (or inside it), each with the wards' standing at their 7-day pace.
    package func targets(scope: Scope, focus: String, wards: [String], coverage: [UnitCoverage], today: CivilDate) async throws -> [TargetStanding] {
        let rows = try await services.database.read { db in
            try await db.raw("SELECT id, unit_path, title, min_age, kind, percent, due_on FROM vaccine_targets ORDER BY due_on, id LIMIT 100").all().map {
                (id: try $0.decode(column: "id", as: String.self), unit: try $0.decode(column: "unit_path", as: String.self), title: try $0.decode(column: "title", as: String.self),
                 minAge: try $0.decode(column: "min_age", as: Int.self), kind: try $0.decode(column: "kind", as: String.self),
                 percent: try $0.decode(column: "percent", as: Int.self), due: try $0.decode(column: "due_on", as: String.self))
            }
        }
        guard let focusPath = try? UnitPath(focus) else { return [] }
        let applicable = rows.filter { t in
            guard let p = try? UnitPath(t.unit) else { return false }
            return p.contains(focusPath) || focusPath.contains(p)
        }
        guard !applicable.isEmpty else { return [] }
        let start = today.adding(days: -6)
        let recent = try await services.database.read { db in
            try await db.raw("""
                SELECT unit_path, day, age_group, kind, n FROM vaccine_coverage_daily WHERE day >= \(bind: start.iso) AND day <= \(bind: today.iso) AND \(scope.wholeWard.condition())
                """).all().map { (try $0.decode(column: "unit_path", as: String.self), try $0.decode(column: "day", as: String.self),
                                  try $0.decode(column: "age_group", as: String.self), try $0.decode(column: "kind", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
        let byWard = Dictionary(coverage.map { ($0.unitPath, $0) }, uniquingKeysWith: { a, _ in a })
        return applicable.map { t in
            let groups = Set(Self.groups(minAge: t.minAge).map(\.rawValue))
            let due = CivilDate(iso: t.due) ?? today
            let units: [TargetStanding.Unit] = wards.compactMap { w in
                guard let p = try? UnitPath(w), (try? UnitPath(t.unit))?.contains(p) == true, let c = byWard[w] else { return nil }
                let cells = c.cells.filter { groups.contains($0.ageGroup) }
                let population = cells.reduce(0) { $0 + $1.population }
                let covered = cells.reduce(0) { $0 + (t.kind == "complete" ? $1.complete : t.kind == "booster" ? $1.booster : $1.first) }
                var perDay = Array(repeating: 0, count: 7)
                for r in recent where r.0 == w && r.3 == t.kind && groups.contains(r.2) {
                    if let d = CivilDate(iso: r.1) { let i = d.days(since: start); if i >= 0 && i < 7 { perDay[i] += r.4 } }
                }
                let pace = PaceProjection(covered: covered, population: population, targetPercent: Double(t.percent), lastSevenDays: perDay, today: today, dueOn: due)
                return TargetStanding.Unit(unitPath: w, covered: covered, population: population, percent: Coverage.percent(covered, of: population),
                                           perDay: pace.perDay, projected: pace.projected, willMiss: pace.willMiss)
            }
            return TargetStanding(id: t.id, title: t.title, minAge: t.minAge, kind: t.kind, percent: t.percent, dueOn: t.due, units: units)
        }
    }

    package func createTarget(_ input: TargetInput, user: CurrentUser, language l: Language) async throws -> String {
        guard user.can(.manageVaccineStock) else { throw AppError.forbidden }
        let unit = try await VaccinationService(services: services).coveredUnit(input.unit, user: user)
        var errors: [String: String] = [:]
        let title = (input.title ?? "").trimmed
        if title.isEmpty || title.count > TextLimits.title { errors["title"] = msg(l, "Nhập tên chỉ tiêu.", "Name the target.") }
        let minAge = input.minAge ?? 18
        if ![12, 18, 50, 65].contains(minAge) { errors["min_age"] = msg(l, "Từ tuổi: 12, 18, 50 hoặc 65.", "Minimum age: 12, 18, 50 or 65.") }
        let kind = input.kind.flatMap(DoseKind.init(rawValue:))
        if kind == nil { errors["kind"] = msg(l, "Chọn mũi 1, đủ liều hoặc nhắc lại.", "Choose first, complete or booster.") }
        let percent = input.percent ?? 0
        if !(1...100).contains(percent) { errors["percent"] = msg(l, "Tỷ lệ từ 1 đến 100%.", "Percent: 1 to 100.") }
        let due = (try? DateInput.parse(input.dueOn, field: "due_on")) ?? nil
        if due == nil { errors["due_on"] = msg(l, "Nhập hạn (dd/mm/yyyy).", "Enter the due date (dd/mm/yyyy).") }
        guard errors.isEmpty, let kind, let due else { throw VaccinationService.invalid(l, errors) }
        let id = Identifier.make()
        try await services.database.transaction { db in
            try await db.raw("""
                INSERT INTO vaccine_targets (id, unit_path, title, min_age, kind, percent, due_on, created_by, created_at)
                VALUES (\(bind: id), \(bind: unit.path), \(bind: title), \(bind: minAge), \(bind: kind.rawValue), \(bind: percent), \(bind: due.iso), \(bind: user.username), \(bind: Timestamp.now()))
                """).run()
            try await Audit.record(db, actor: user, action: "create", entityType: "vaccine_target", entityId: id, unitPath: try? UnitPath(unit.path),
                                   summary: "Chỉ tiêu tiêm chủng: \(title)", changes: [FieldChange("percent", old: nil, new: String(percent)), FieldChange("due_on", old: nil, new: due.iso)])
        }
        return id
    }

    package func setPopulation(_ input: PopulationInput, user: CurrentUser, language l: Language) async throws {
        guard user.can(.manageVaccineStock) else { throw AppError.forbidden }
        let unit = try await VaccinationService(services: services).coveredUnit(input.unit, user: user)
        guard let group = input.ageGroup.flatMap(AgeGroup.init(rawValue:)) else {
            throw VaccinationService.invalid(l, ["age_group": msg(l, "Chọn nhóm tuổi.", "Choose the age group.")])
        }
        guard let population = input.population, (0...10_000_000).contains(population) else {
            throw VaccinationService.invalid(l, ["population": msg(l, "Dân số từ 0 đến 10.000.000.", "Population: 0 to 10,000,000.")])
        }
        try await services.database.transaction { db in
            let old = try await db.raw("SELECT population FROM vaccine_populations WHERE unit_path = \(bind: unit.path) AND age_group = \(bind: group.rawValue)").first()
                .map { try $0.decode(column: "population", as: Int.self) }
            try await db.raw("""
                INSERT INTO vaccine_populations (unit_path, age_group, population, entered_by, entered_at) VALUES (\(bind: unit.path), \(bind: group.rawValue), \(bind: population), \(bind: user.username), \(bind: Timestamp.now()))
                ON CONFLICT (unit_path, age_group) DO UPDATE SET population = excluded.population, entered_by = excluded.entered_by, entered_at = excluded.entered_at
                """).run()
            try await Audit.record(db, actor: user, action: "set_vaccine_population", entityType: "vaccine_population", entityId: "\(unit.path) \(group.rawValue)", unitPath: try? UnitPath(unit.path),
                                   summary: "Dân số \(group.labelVI) của \(unit.name): \(population)", changes: [FieldChange("population", old: old.map(String.init), new: String(population))])
        }
    }
}

/// Coverage increments of one or many doses, summed in memory and written as one upsert per table (the
/// per-day rows and the running totals), so a batch of imported doses costs two statements, not two per dose.
struct CoverageTally: Sendable {
    struct Day: Hashable, Sendable {
        let unitPath: String; let day: String; let ageGroup: String; let kind: String

        /// By ward, day, age group, kind. Field by field: comparing the four as tuples built two tuples of
        /// strings per comparison, and the sort was a tenth of a dose import's time.
        static func ordered(_ a: Day, _ b: Day) -> Bool {
            if a.unitPath != b.unitPath { return a.unitPath < b.unitPath }
            if a.day != b.day { return a.day < b.day }
            if a.ageGroup != b.ageGroup { return a.ageGroup < b.ageGroup }
            return a.kind < b.kind
        }
    }
    struct Total: Hashable, Sendable {
        let unitPath: String; let ageGroup: String; let kind: String

        static func ordered(_ a: Total, _ b: Total) -> Bool {
            if a.unitPath != b.unitPath { return a.unitPath < b.unitPath }
            if a.ageGroup != b.ageGroup { return a.ageGroup < b.ageGroup }
            return a.kind < b.kind
        }
    }
    private(set) var daily: [Day: Int] = [:]

    var isEmpty: Bool { daily.isEmpty }

    /// `by: -1` takes a dose's counts back (a merge of duplicate records counts their doses again as one history).
    mutating func add(unitPath: String, day: String, ageGroup: String?, counts: String, by delta: Int = 1) {
        // A dose without an age group (no birth date) counts in no cell, as before.
        guard let ageGroup else { return }
        for kind in counts.split(separator: ",") where !kind.isEmpty {
            daily[Day(unitPath: unitPath, day: day, ageGroup: ageGroup, kind: String(kind)), default: 0] += delta
        }
    }

    /// Rows per statement: 5 binds each stays far under SQLite's 32,766 and PostgreSQL's 65,535.
    static let chunk = 1_000

    func apply(_ db: any SQLDatabase) async throws {
        guard !daily.isEmpty else { return }
        var totals: [Total: Int] = [:]
        for (k, n) in daily { totals[Total(unitPath: k.unitPath, ageGroup: k.ageGroup, kind: k.kind), default: 0] += n }
        // Sorted keys: two writers touch rows in the same order (PostgreSQL row locks), and tests are repeatable.
        let days = daily.sorted { Day.ordered($0.key, $1.key) }
        for start in stride(from: 0, to: days.count, by: Self.chunk) {
            let rows = days[start..<min(start + Self.chunk, days.count)].map { e -> SQLQueryString in
                "(\(bind: e.key.unitPath), \(bind: e.key.day), \(bind: e.key.ageGroup), \(bind: e.key.kind), \(bind: e.value))"
            }
            try await db.raw("""
                INSERT INTO vaccine_coverage_daily (unit_path, day, age_group, kind, n) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (unit_path, day, age_group, kind) DO UPDATE SET n = vaccine_coverage_daily.n + excluded.n
                """).run()
        }
        let sums = totals.sorted { Total.ordered($0.key, $1.key) }
        for start in stride(from: 0, to: sums.count, by: Self.chunk) {
            let rows = sums[start..<min(start + Self.chunk, sums.count)].map { e -> SQLQueryString in
                "(\(bind: e.key.unitPath), \(bind: e.key.ageGroup), \(bind: e.key.kind), \(bind: e.value))"
            }
            try await db.raw("""
                INSERT INTO vaccine_coverage_totals (unit_path, age_group, kind, n) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (unit_path, age_group, kind) DO UPDATE SET n = vaccine_coverage_totals.n + excluded.n
                """).run()
        }
    }
}

/// The risk levels' coverage criterion, counted here: per ward, people 18+ with a first dose and people
/// 50+ with a complete series, against the registry's (or entered) population of those ages.
package struct VaccinationCoverageSource: CoverageSource {
    package init() {}

    package func coverage(_ services: AppServices, scope: Scope, root: String, on day: CivilDate) async throws -> [String: CoverageFigures] {
        let service = CoverageService(services: services)
        let wards = await service.wards(under: root)
        guard !wards.isEmpty else { return [:] }
        let adults: Set<String> = [AgeGroup.age18to49.rawValue, AgeGroup.age50to64.rawValue, AgeGroup.age65plus.rawValue]
        let over50: Set<String> = [AgeGroup.age50to64.rawValue, AgeGroup.age65plus.rawValue]
        // Unrounded: a ward at 69.96% has not reached a 70% criterion.
        func percent(_ n: Int, _ p: Int) -> Double? { p > 0 ? Double(n) * 100 / Double(p) : nil }
        var out: [String: CoverageFigures] = [:]
        for unit in try await service.coverage(scope: scope, wards: wards, on: day) {
            let a = unit.cells.filter { adults.contains($0.ageGroup) }, o = unit.cells.filter { over50.contains($0.ageGroup) }
            out[unit.unitPath] = CoverageFigures(adultsFirstDosePercent: percent(a.reduce(0) { $0 + $1.first }, a.reduce(0) { $0 + $1.population }),
                                                 over50CompletePercent: percent(o.reduce(0) { $0 + $1.complete }, o.reduce(0) { $0 + $1.population }))
        }
        return out
    }
}
