import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// People allowed out per ward, day and reason, kept in `unit_daily` (metrics `people_out_*`) by every
/// write that changes them, in that write's transaction: a permit or voucher issued (+1 on each day it
/// lets its holder out), revoked (−1 on the same days), a pass with papers logged at a checkpoint (+1
/// "other" on its day, only for a row stored now). Reading a day is then one indexed read of at most
/// wards × 3 rows, whatever the number of permits; `people_out` (all reasons) pre-fills the daily report.
package enum OutCounters {
    package static func metric(_ reason: OutReason) -> Metric {
        switch reason {
        case .work: return .peopleOutWork
        case .market: return .peopleOutMarket
        case .other: return .peopleOutOther
        }
    }

    static let reasonMetrics: [Metric] = OutReason.allCases.map(metric)

    /// What of a permit decides where and when it counts.
    package struct Permit: Hashable, Sendable {
        package let unitPath: String
        package let groupCode: String
        package let group: String
        package let validFrom: String
        package let validTo: String
        package let days: String

        package init(unitPath: String, groupCode: String = "", group: String, validFrom: String, validTo: String, days: String) {
            self.unitPath = unitPath
            self.groupCode = groupCode
            self.group = group
            self.validFrom = validFrom
            self.validTo = validTo
            self.days = days
        }

        init(_ p: PermitRecord) {
            self.init(unitPath: p.unitPath, groupCode: p.groupCode, group: p.grp, validFrom: p.validFrom, validTo: p.validTo, days: p.days)
        }

        /// The days the holder may go out: a voucher's listed days within its dates, else every day from–to.
        var outDays: [CivilDate] {
            guard let from = CivilDate(iso: validFrom), let to = CivilDate(iso: validTo), from <= to else { return [] }
            let listed = days.split(separator: ",").compactMap { CivilDate(iso: $0.trimmingCharacters(in: .whitespaces)) }
            if !days.trimmingCharacters(in: .whitespaces).isEmpty {
                return Array(Set(listed.filter { $0 >= from && $0 <= to })).sorted()
            }
            // Permits run at most `PermitTerms.maxDays`; the bound only guards against a corrupt row.
            return (0...min(to.dayNumber - from.dayNumber, 366)).map { from.adding(days: $0) }
        }
    }

    /// Adds `sign × n` people to every day each permit counts on.
    package static func permits(_ permits: [Permit: Int], sign: Int, into deltas: inout [Counters.Change: Int]) {
        for (p, n) in permits {
            guard let reason = PermitGroup(rawValue: p.group)?.outReason else { continue }
            for day in p.outDays {
                add(&deltas, p.unitPath, p.groupCode, reason, day, sign * n)
            }
        }
    }

    package static func permits(_ list: [Permit], sign: Int, into deltas: inout [Counters.Change: Int]) {
        permits(list.reduce(into: [Permit: Int]()) { $0[$1, default: 0] += 1 }, sign: sign, into: &deltas)
    }

    /// A pass with papers (no permit) through a checkpoint, going out: one "other" on its day.
    package static func papersPass(unitPath: String, groupCode: String = "", day: CivilDate, n: Int = 1, into deltas: inout [Counters.Change: Int]) {
        add(&deltas, unitPath, groupCode, .other, day, n)
    }

    /// Whether a logged check is counted as someone let out with papers.
    static func countsAsPapers(result: String, direction: String) -> Bool {
        result == papersResult && direction == CheckDirection.outbound.rawValue
    }

    private static func add(_ deltas: inout [Counters.Change: Int], _ unit: String, _ group: String, _ reason: OutReason, _ day: CivilDate, _ n: Int) {
        guard n != 0 else { return }
        deltas[Counters.Change(unit, group: group, metric(reason), day: day), default: 0] += n
        deltas[Counters.Change(unit, group: group, .peopleOut, day: day), default: 0] += n
    }

    /// Rebuilds every `people_out*` counter from the permits and checkpoint logs (the migration that
    /// introduces them, over data written before). Reads grouped rows: one per distinct validity.
    package static func rebuild(_ db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM unit_daily WHERE metric IN (\(SQLList(([Metric.peopleOut] + reasonMetrics).map { SQLBind($0.rawValue) })))").run()
        var grouped: [Permit: Int] = [:]
        for row in try await db.raw("""
            SELECT unit_path, group_code, grp, valid_from, valid_to, days, COUNT(*) AS n FROM permits WHERE status = 'issued'
            GROUP BY unit_path, group_code, grp, valid_from, valid_to, days
            """).all() {
            let p = Permit(unitPath: try row.decode(column: "unit_path", as: String.self), groupCode: try row.decode(column: "group_code", as: String.self),
                           group: try row.decode(column: "grp", as: String.self), validFrom: try row.decode(column: "valid_from", as: String.self),
                           validTo: try row.decode(column: "valid_to", as: String.self), days: try row.decode(column: "days", as: String.self))
            grouped[p, default: 0] += try row.decode(column: "n", as: Int.self)
        }
        var deltas: [Counters.Change: Int] = [:]
        permits(grouped, sign: 1, into: &deltas)
        for row in try await db.raw("""
            SELECT unit_path, group_code, checked_on, COUNT(*) AS n FROM checkpoint_checks WHERE result = \(bind: papersResult) AND direction = \(bind: CheckDirection.outbound.rawValue)
            GROUP BY unit_path, group_code, checked_on
            """).all() {
            guard let day = CivilDate(iso: try row.decode(column: "checked_on", as: String.self)) else { continue }
            papersPass(unitPath: try row.decode(column: "unit_path", as: String.self), groupCode: try row.decode(column: "group_code", as: String.self), day: day,
                       n: try row.decode(column: "n", as: Int.self), into: &deltas)
        }
        try await Counters.apply(db, deltas)
    }

    /// People allowed out on `day`, per ward, by reason, from the counters.
    package static func daily(_ db: any SQLDatabase, scope: Scope, day: CivilDate) async throws -> [DailyOutCount] {
        var byWard: [String: DailyOutCount] = [:]
        for row in try await db.raw("""
            SELECT unit_path, metric, CAST(SUM(n) AS BIGINT) AS n FROM unit_daily
            WHERE metric IN (\(SQLList(reasonMetrics.map { SQLBind($0.rawValue) }))) AND day = \(bind: day.iso) AND \(scope.condition()) GROUP BY unit_path, metric
            """).all() {
            let n = try row.decode(column: "n", as: Int.self), name = try row.decode(column: "metric", as: String.self)
            // A ward whose permits were all revoked keeps rows at 0: it is not listed, as before.
            guard n > 0, let reason = OutReason.allCases.first(where: { metric($0).rawValue == name }) else { continue }
            let unit = try row.decode(column: "unit_path", as: String.self)
            byWard[unit, default: DailyOutCount(unitPath: unit)].add(reason, n)
        }
        return byWard.values.sorted { $0.unitPath < $1.unitPath }
    }
}
