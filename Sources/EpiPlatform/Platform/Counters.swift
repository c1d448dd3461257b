import EpiCore
import Foundation
import SQLKit

/// Pre-aggregated live figures per lowest unit: daily flows in `unit_daily`, current states in
/// `unit_gauges`. Every write that changes a figure adjusts it in the same transaction, so a
/// dashboard or a report pre-fill never counts over joins at request time.
package enum Counters {
    package struct Change: Sendable, Hashable {
        package let unitPath: String
        /// The residential group, so a community team's scope filters these rows like people.
        package let groupCode: String
        package let metric: Metric
        /// The Vietnam day of a daily metric; ignored for gauges.
        package let day: CivilDate?

        package init(_ unitPath: String, group: String? = nil, _ metric: Metric, day: CivilDate? = nil) {
            self.unitPath = unitPath
            self.groupCode = group ?? ""
            self.metric = metric
            self.day = day
        }
    }

    /// Applies deltas (several changes to the same key are summed first); call inside the write's transaction.
    package static func apply(_ db: any SQLDatabase, _ deltas: [Change: Int]) async throws {
        let nonZero = deltas.filter { $0.value != 0 }
        let daily: [(key: Change, day: CivilDate, n: Int)] = nonZero.compactMap { entry in
            guard entry.key.metric.kind == .daily, let day = entry.key.day else { return nil }
            return (entry.key, day, entry.value)
        }.sorted { ($0.key.unitPath, $0.key.groupCode, $0.key.metric.rawValue, $0.day.iso) < ($1.key.unitPath, $1.key.groupCode, $1.key.metric.rawValue, $1.day.iso) }
        let gauges = nonZero.filter { $0.key.metric.kind == .gauge }
            .sorted { ($0.key.unitPath, $0.key.groupCode, $0.key.metric.rawValue) < ($1.key.unitPath, $1.key.groupCode, $1.key.metric.rawValue) }
        // Statement text written out rather than built: every write of the product ends here, and SQLKit's
        // builder quotes each name again on every call.
        for start in stride(from: 0, to: daily.count, by: 400) {
            let rows = daily[start..<min(start + 400, daily.count)].map { key, day, n -> SQLQueryString in
                "(\(bind: key.metric.rawValue), \(bind: day.iso), \(bind: key.unitPath), \(bind: key.groupCode), \(bind: n))"
            }
            try await db.raw("""
                INSERT INTO unit_daily (metric, day, unit_path, group_code, n) VALUES \(SQLList(rows))
                ON CONFLICT (metric, day, unit_path, group_code) DO UPDATE SET n = unit_daily.n + excluded.n
                """).run()
        }
        for start in stride(from: 0, to: gauges.count, by: 400) {
            let rows = gauges[start..<min(start + 400, gauges.count)].map { key, n -> SQLQueryString in
                "(\(bind: key.unitPath), \(bind: key.groupCode), \(bind: key.metric.rawValue), \(bind: n))"
            }
            try await db.raw("""
                INSERT INTO unit_gauges (unit_path, group_code, metric, n) VALUES \(SQLList(rows))
                ON CONFLICT (unit_path, group_code, metric) DO UPDATE SET n = unit_gauges.n + excluded.n
                """).run()
        }
    }

    /// Shorthand for one change.
    package static func bump(_ db: any SQLDatabase, _ unitPath: String, group: String? = nil, _ metric: Metric, day: CivilDate? = nil, by delta: Int = 1) async throws {
        try await apply(db, [Change(unitPath, group: group, metric, day: metric.kind == .daily ? day : nil): delta])
    }

    /// Current gauges summed over a scope.
    package static func gauges(_ db: any SQLDatabase, scope: Scope, _ metrics: [Metric] = Metric.allCases.filter { $0.kind == .gauge }) async throws -> [Metric: Int] {
        guard !metrics.isEmpty else { return [:] }
        let rows = try await db.raw("""
            SELECT metric, CAST(SUM(n) AS BIGINT) AS n FROM unit_gauges
            WHERE metric IN (\(SQLList(metrics.map { SQLBind($0.rawValue) }))) AND \(scope.condition()) GROUP BY metric
            """).all()
        var out: [Metric: Int] = [:]
        for row in rows {
            if let m = Metric(rawValue: try row.decode(column: "metric", as: String.self)) { out[m] = try row.decode(column: "n", as: Int.self) }
        }
        return out
    }

    /// Daily figures summed over a scope, per metric and day, for `from...to` (inclusive).
    package static func daily(_ db: any SQLDatabase, scope: Scope, _ metrics: [Metric], from: CivilDate, to: CivilDate) async throws -> [Metric: [CivilDate: Int]] {
        guard !metrics.isEmpty else { return [:] }
        let rows = try await db.raw("""
            SELECT metric, day, CAST(SUM(n) AS BIGINT) AS n FROM unit_daily
            WHERE metric IN (\(SQLList(metrics.map { SQLBind($0.rawValue) }))) AND day >= \(bind: from.iso) AND day <= \(bind: to.iso) AND \(scope.condition())
            GROUP BY metric, day
            """).all()
        var out: [Metric: [CivilDate: Int]] = [:]
        for row in rows {
            guard let m = Metric(rawValue: try row.decode(column: "metric", as: String.self)),
                  let d = CivilDate(iso: try row.decode(column: "day", as: String.self)) else { continue }
            out[m, default: [:]][d] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// One metric per lowest unit inside a scope: daily totals over `from...to`, or the gauge when the metric is one.
    package static func byUnit(_ db: any SQLDatabase, scope: Scope, _ metric: Metric, from: CivilDate? = nil, to: CivilDate? = nil) async throws -> [String: Int] {
        let rows: [any SQLRow]
        if metric.kind == .gauge {
            rows = try await db.raw("SELECT unit_path, CAST(SUM(n) AS BIGINT) AS n FROM unit_gauges WHERE metric = \(bind: metric.rawValue) AND \(scope.condition()) GROUP BY unit_path").all()
        } else {
            let start = from?.iso ?? "0000-00-00", end = to?.iso ?? "9999-99-99"
            rows = try await db.raw("""
                SELECT unit_path, CAST(SUM(n) AS BIGINT) AS n FROM unit_daily
                WHERE metric = \(bind: metric.rawValue) AND day >= \(bind: start) AND day <= \(bind: end) AND \(scope.condition()) GROUP BY unit_path
                """).all()
        }
        var out: [String: Int] = [:]
        for row in rows { out[try row.decode(column: "unit_path", as: String.self), default: 0] += try row.decode(column: "n", as: Int.self) }
        return out
    }
}
