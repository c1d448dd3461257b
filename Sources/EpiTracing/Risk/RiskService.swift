import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// A stored weekly assessment of one unit.
package struct RiskAssessmentRow: Codable, Sendable, Equatable {
    let unitPath: String
    let week: String
    let ruleSetId: String
    let scheme: String
    let level: Int?
    let communityCases: Int
    let population: Int?
    let rate: Double?
    let coverageMet: Bool?
    let capacityMet: Bool?
    let decidedVi: String
    let decidedEn: String
    let computedAt: String
    let computedBy: String

    static let columns = "unit_path, week, rule_set_id, scheme, level, community_cases, population, rate, coverage_met, capacity_met, decided_vi, decided_en, computed_at, computed_by"
}

/// Indicators the risk tables need that other systems supply (until vaccination lives here too).
package enum Indicator: String, CaseIterable, Sendable {
    case adultsFirstDose = "coverage_adults_first_dose_pct"
    case over50Full = "coverage_over50_full_pct"
    case treatmentCapacity = "treatment_capacity_met"

    var labelVI: String {
        switch self {
        case .adultsFirstDose: return "% người từ 18 tuổi tiêm ít nhất 1 mũi"
        case .over50Full: return "% người từ 50 tuổi tiêm đủ liều"
        case .treatmentCapacity: return "Đáp ứng năng lực điều trị (1 = có, 0 = không)"
        }
    }

    var labelEN: String {
        switch self {
        case .adultsFirstDose: return "% of adults (18+) with at least 1 dose"
        case .over50Full: return "% of people 50+ fully vaccinated"
        case .treatmentCapacity: return "Treatment capacity met (1 = yes, 0 = no)"
        }
    }

    var range: ClosedRange<Double> { self == .treatmentCapacity ? 0...1 : 0...100 }
    var isCoverage: Bool { self != .treatmentCapacity }
}

/// Weekly risk levels per ward, district and city from live figures and the rule set in force.
package struct RiskService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    struct RuleSetVersion: Sendable {
        let id: String
        let effectiveFrom: CivilDate
        let rules: RiskRuleSet
        let note: String
        let createdBy: String
    }

    static func ruleSets(_ db: any SQLDatabase) async throws -> [RuleSetVersion] {
        struct Row: Decodable { let id: String, effectiveFrom: String, definition: String, note: String, createdBy: String }
        return try await db.raw("SELECT id, effective_from, definition, note, created_by FROM risk_rule_sets ORDER BY effective_from DESC, created_at DESC")
            .all(decoding: Row.self, keyDecodingStrategy: .memoizedSnakeCase)
            .compactMap { r in
                guard let from = CivilDate(iso: r.effectiveFrom), let rules = try? JSONDecoder().decode(RiskRuleSet.self, from: Data(r.definition.utf8)) else { return nil }
                return RuleSetVersion(id: r.id, effectiveFrom: from, rules: rules, note: r.note, createdBy: r.createdBy)
            }
    }

    /// The rule set in force on a day: the latest version effective on or before it.
    static func ruleSet(_ db: any SQLDatabase, on day: CivilDate) async throws -> RuleSetVersion? {
        try await ruleSets(db).first { $0.effectiveFrom <= day }
    }

    static func addRuleSet(_ db: any SQLDatabase, _ rules: RiskRuleSet, from day: CivilDate, note: String, user: CurrentUser) async throws -> String {
        let problems = rules.problems()
        guard problems.isEmpty else {
            throw AppError.invalid("Bảng tiêu chí không hợp lệ: \(problems.joined(separator: "; ")).", "Invalid criteria table: \(problems.joined(separator: "; ")).")
        }
        let id = Identifier.make()
        let json = String(decoding: try JSONEncoder().encode(rules), as: UTF8.self)
        try await db.raw("""
            INSERT INTO risk_rule_sets (id, scheme, effective_from, definition, note, created_by, created_at)
            VALUES (\(bind: id), \(bind: rules.scheme), \(bind: day.iso), \(bind: json), \(bind: note.trimmed), \(bind: user.username), \(bind: Timestamp.now()))
            """).run()
        try await Audit.record(db, actor: user, action: "create", entityType: "risk_rule_set", entityId: id, unitPath: nil,
                               summary: "Bảng tiêu chí cấp độ \(rules.scheme) từ \(day.vietnamese)", changes: [FieldChange("definition", old: nil, new: json)])
        return id
    }

    /// A figure entered by hand. Coverage is counted from the vaccination records, so a coverage figure
    /// entered by hand overrides it and must say why (audited, shown with the level it decided).
    package static func setIndicator(_ db: any SQLDatabase, unit: String, _ indicator: Indicator, asOf: CivilDate, value: Double, reason raw: String? = nil, user: CurrentUser) async throws {
        guard indicator.range.contains(value) else {
            throw AppError.invalid("Giá trị \(value) ngoài khoảng \(indicator.range.lowerBound)–\(indicator.range.upperBound).", "Value outside \(indicator.range).", details: ["value": "out_of_range"])
        }
        let reason = String((raw ?? "").trimmedWhitespace.prefix(500))
        if indicator.isCoverage && reason.isEmpty {
            throw AppError.invalid("Độ bao phủ được tính từ số liệu tiêm chủng; nhập tay để thay thế phải ghi lý do.",
                                   "Coverage is computed from the vaccination records; a figure entered to override it needs a reason.", details: ["reason": "required"])
        }
        let old = try await db.raw("SELECT value FROM unit_indicators WHERE unit_path = \(bind: unit) AND indicator = \(bind: indicator.rawValue) AND as_of = \(bind: asOf.iso)").first()
            .map { try $0.decode(column: "value", as: Double.self) }
        try await db.raw("DELETE FROM unit_indicators WHERE unit_path = \(bind: unit) AND indicator = \(bind: indicator.rawValue) AND as_of = \(bind: asOf.iso)").run()
        try await db.raw("""
            INSERT INTO unit_indicators (unit_path, indicator, as_of, value, entered_by, entered_at, reason)
            VALUES (\(bind: unit), \(bind: indicator.rawValue), \(bind: asOf.iso), \(bind: value), \(bind: user.username), \(bind: Timestamp.now()), \(bind: reason))
            """).run()
        var changes = [FieldChange(indicator.rawValue, old: old.map { String($0) }, new: String(value))]
        if !reason.isEmpty { changes.append(FieldChange("reason", old: nil, new: reason)) }
        try await Audit.record(db, actor: user, action: "update", entityType: "indicator", entityId: "\(unit)#\(indicator.rawValue)", unitPath: try? UnitPath(unit),
                               summary: "\(indicator.labelVI) ngày \(asOf.vietnamese): \(value)" + (reason.isEmpty ? "" : " (nhập tay: \(reason))"), changes: changes)
    }

    /// A figure entered by hand, with its reason.
    struct Entered: Sendable { let value: Double; let reason: String }

    /// Each unit's latest value of each indicator on or before `day`.
    static func indicators(_ db: any SQLDatabase, on day: CivilDate) async throws -> [String: [Indicator: Entered]] {
        let rows = try await db.raw("SELECT unit_path, indicator, value, reason FROM unit_indicators WHERE as_of <= \(bind: day.iso) ORDER BY as_of").all()
        var out: [String: [Indicator: Entered]] = [:]
        for row in rows {
            guard let i = Indicator(rawValue: try row.decode(column: "indicator", as: String.self)) else { continue }
            out[try row.decode(column: "unit_path", as: String.self), default: [:]][i] = Entered(value: try row.decode(column: "value", as: Double.self), reason: try row.decode(column: "reason", as: String.self))
        }
        return out
    }

    package struct Computed: Sendable {
        let week: String
        package let rows: [RiskAssessmentRow]
        let ruleSet: RuleSetVersion
    }

    /// Assesses every ward under `root`, then `root`'s districts and `root` itself, for the ISO week, and stores the results.
    package func compute(week: String, root: UnitPath, user: CurrentUser) async throws -> Computed {
        guard user.can(.assessRisk) else { throw AppError.forbidden }
        guard let monday = CivilDate(isoWeekKey: week) else { throw AppError.invalid("Tuần không hợp lệ (dạng 2021-W37).", "Invalid week (like 2021-W37).", details: ["week": "invalid"]) }
        let sunday = monday.adding(days: 6)
        let directory = services.directory
        guard let rootUnit = try await directory.unit(root.string) else { throw AppError.notFound }
        let rootScope = try await Scope.focus(root, for: user, directory: directory)
        let (ruleSet, cases, indicators) = try await database.read { db -> (RuleSetVersion?, [String: Int], [String: [Indicator: Entered]]) in
            return (try await Self.ruleSet(db, on: sunday),
                    try await Counters.byUnit(db, scope: rootScope, .casesNewCommunity, from: monday, to: sunday),
                    try await Self.indicators(db, on: sunday))
        }
        guard let ruleSet else {
            throw AppError.invalid("Chưa có bảng tiêu chí nào có hiệu lực trong tuần \(week).", "No criteria table was in force in week \(week).", details: ["week": "no_rules"])
        }
        let rules = ruleSet.rules
        // Coverage counted from the vaccination records on the week's last day, when a feature supplies it.
        var computedCoverage: [String: CoverageFigures] = [:]
        if rules.usesCoverage, let source = services.dashboard.coverage {
            computedCoverage = try await source.coverage(services, scope: rootScope, root: root.string, on: sunday)
        }
        // Walk the tree below root: lowest units are assessed on their figures; higher ones by the aggregation rule.
        var results: [String: (RiskResult, cases: Int, population: Int?, capacity: Bool?)] = [:]
        func entered(_ path: String, _ i: Indicator) async -> Entered? {
            var current: String? = path
            while let p = current {
                if let v = indicators[p]?[i] { return v }
                current = await directory.cached(p)?.parentPath
            }
            return nil
        }
        func indicator(_ path: String, _ i: Indicator) async -> Double? { await entered(path, i)?.value }
        /// A ward's coverage: its own hand entry (an override, with its reason), else the computed figure, else
        /// an entry of a unit above it (what the ward had before coverage was counted here).
        func coverage(_ path: String, _ i: Indicator) async -> (value: Double?, override: String?) {
            if let own = indicators[path]?[i] { return (own.value, own.reason.isEmpty ? nil : own.reason) }
            if let figures = computedCoverage[path] {
                let v = i == .adultsFirstDose ? figures.adultsFirstDosePercent : figures.over50CompletePercent
                if let v { return (v, nil) }
            }
            let inherited = await entered(path, i)
            return (inherited?.value, inherited.flatMap { $0.reason.isEmpty ? nil : $0.reason })
        }
        func assess(_ unit: UnitRecord) async -> (cases: Int, population: Int?, weightedCoverage: (Double, Double, Int)?) {
            let children = await directory.children(of: unit.path).filter { !$0.isGroup }
            if children.isEmpty {
                let n = cases[unit.path] ?? 0
                let first = await coverage(unit.path, .adultsFirstDose), full = await coverage(unit.path, .over50Full)
                let a18 = first.value, o50 = full.value
                let capacity = await indicator(unit.path, .treatmentCapacity).map { $0 >= 0.5 }
                var result = RiskAssessment.assess(RiskInput(communityCases: n, population: unit.population, adultsFirstDosePercent: a18, over50FullPercent: o50,
                                                             treatmentCapacityMet: capacity), rules: rules)
                let reasons = Array(Set([first.override, full.override].compactMap { $0 })).sorted()
                if result.coverageMet != nil, !reasons.isEmpty {
                    let why = reasons.joined(separator: "; ")
                    result = RiskResult(level: result.level, ratePer100k: result.ratePer100k, coverageMet: result.coverageMet,
                                        decidedVI: result.decidedVI + " (độ bao phủ nhập tay: \(why))", decidedEN: result.decidedEN + " (coverage entered by hand: \(why))")
                }
                results[unit.path] = (result, n, unit.population, capacity)
                let weight = unit.population ?? 0
                return (n, unit.population, (a18.map { $0 * Double(weight) } ?? 0, o50.map { $0 * Double(weight) } ?? 0, a18 != nil && o50 != nil ? weight : 0))
            }
            var total = 0, population = 0, populationKnown = true
            var cov = (0.0, 0.0, 0)
            var levels: [Int] = []
            for child in children {
                let r = await assess(child)
                total += r.cases
                if let p = r.population { population += p } else { populationKnown = false }
                if let w = r.weightedCoverage { cov = (cov.0 + w.0, cov.1 + w.1, cov.2 + w.2) }
                if let l = results[child.path]?.0.level { levels.append(l) }
            }
            let ownPopulation = unit.population ?? (populationKnown ? population : nil)
            let capacity = await indicator(unit.path, .treatmentCapacity).map { $0 >= 0.5 }
            let result: RiskResult
            switch rules.aggregation {
            case .shareOfUnits:
                result = RiskAssessment.aggregate(childLevels: levels, rules: rules)
            case .ownFigures:
                let a18 = indicators[unit.path]?[.adultsFirstDose]?.value ?? (cov.2 > 0 ? cov.0 / Double(cov.2) : nil)
                let o50 = indicators[unit.path]?[.over50Full]?.value ?? (cov.2 > 0 ? cov.1 / Double(cov.2) : nil)
                result = RiskAssessment.assess(RiskInput(communityCases: total, population: ownPopulation, adultsFirstDosePercent: a18, over50FullPercent: o50,
                                                         treatmentCapacityMet: capacity), rules: rules)
            }
            results[unit.path] = (result, total, ownPopulation, capacity)
            return (total, ownPopulation, cov)
        }
        _ = await assess(rootUnit)
        let now = Timestamp.now()
        let rows = results.map { path, r in
            RiskAssessmentRow(unitPath: path, week: week, ruleSetId: ruleSet.id, scheme: rules.scheme, level: r.0.level, communityCases: r.cases, population: r.population,
                              rate: r.0.ratePer100k, coverageMet: r.0.coverageMet, capacityMet: r.capacity, decidedVi: r.0.decidedVI, decidedEn: r.0.decidedEN,
                              computedAt: now, computedBy: user.username)
        }.sorted { $0.unitPath < $1.unitPath }
        try await database.transaction { db in
            try await db.raw("DELETE FROM risk_assessments WHERE week = \(bind: week) AND (unit_path = \(bind: root.string) OR (unit_path >= \(bind: root.descendantLowerBound) AND unit_path < \(bind: root.descendantUpperBound)))").run()
            for start in stride(from: 0, to: rows.count, by: 200) {
                var builder = db.insert(into: "risk_assessments").columns("unit_path", "group_code", "week", "rule_set_id", "scheme", "level", "community_cases", "population", "rate",
                                                                         "coverage_met", "capacity_met", "decided_vi", "decided_en", "computed_at", "computed_by")
                for r in rows[start..<min(start + 200, rows.count)] {
                    builder = builder.values(SQLBind(r.unitPath), SQLBind(""), SQLBind(r.week), SQLBind(r.ruleSetId), SQLBind(r.scheme), SQLBind(r.level), SQLBind(r.communityCases),
                                             SQLBind(r.population), SQLBind(r.rate), SQLBind(r.coverageMet), SQLBind(r.capacityMet), SQLBind(r.decidedVi), SQLBind(r.decidedEn),
                                             SQLBind(r.computedAt), SQLBind(r.computedBy))
                }
                try await builder.run()
            }
            let counts = Dictionary(grouping: rows.compactMap(\.level), by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }.map { "cấp \($0.key): \($0.value)" }.joined(separator: ", ")
            try await Audit.record(db, actor: user, action: "assess", entityType: "risk_week", entityId: week, unitPath: root,
                                   summary: "Đánh giá cấp độ tuần \(week) theo \(rules.scheme): \(counts)")
        }
        return Computed(week: week, rows: rows, ruleSet: ruleSet)
    }

    static func assessments(_ db: any SQLDatabase, week: String, scope: Scope) async throws -> [RiskAssessmentRow] {
        try await db.raw("SELECT \(unsafeRaw: RiskAssessmentRow.columns) FROM risk_assessments WHERE week = \(bind: week) AND \(scope.wholeWard.condition()) ORDER BY unit_path")
            .all(decoding: RiskAssessmentRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func history(_ db: any SQLDatabase, unit: String, limit: Int = 52) async throws -> [RiskAssessmentRow] {
        try await db.raw("SELECT \(unsafeRaw: RiskAssessmentRow.columns) FROM risk_assessments WHERE unit_path = \(bind: unit) ORDER BY week DESC LIMIT \(literal: limit)")
            .all(decoding: RiskAssessmentRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }
}

/// Colours the dashboard's ward grid with each ward's assessed level.
package struct RiskLevelProvider: LevelProvider {
    package init() {}

    package func levels(_ db: any SQLDatabase, scope: Scope, on day: CivilDate) async throws -> [String: UnitLevel] {
        let rows = try await RiskService.assessments(db, week: day.isoWeekKey, scope: scope)
        let sets = Dictionary(uniqueKeysWithValues: try await RiskService.ruleSets(db).map { ($0.id, $0.rules) })
        var out: [String: UnitLevel] = [:]
        for r in rows {
            guard let level = r.level, let def = sets[r.ruleSetId]?.level(level) else { continue }
            out[r.unitPath] = UnitLevel(level: level, labelVI: def.labelVI, labelEN: def.labelEN, color: def.color)
        }
        return out
    }
}
