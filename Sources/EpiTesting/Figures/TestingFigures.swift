import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The testing figures a page or the dashboard shows: turnaround per lab, overdue tubes, positivity
/// per ward, daily series. Everything is read from pre-aggregated rows or partial indexes, never by
/// counting millions of tubes.
package enum TestingFigures {
    package struct LabTurnaround: Codable, Sendable {
        package let labId: String
        package let results: Int
        package let p50Hours: Int?
        package let p90Hours: Int?
    }

    /// p50 and p90 hours from sampling to result per lab, over `days` days up to `today`.
    package static func turnaround(_ db: any SQLDatabase, labIDs: [String]? = nil, days: Int = 7, today: CivilDate = Clock.today()) async throws -> [LabTurnaround] {
        let from = today.adding(days: -(max(days, 1) - 1))
        var filter: SQLQueryString = "1 = 1"
        if let labIDs { filter = labIDs.isEmpty ? "1 = 0" : "lab_id IN (\(SQLList(labIDs.map { SQLBind($0) })))" }
        let rows = try await db.raw("""
            SELECT lab_id, hours, CAST(SUM(n) AS BIGINT) AS n FROM test_turnaround WHERE day >= \(bind: from.iso) AND day <= \(bind: today.iso) AND \(filter)
            GROUP BY lab_id, hours
            """).all()
        var histograms: [String: [Int: Int]] = [:]
        for row in rows {
            histograms[try row.decode(column: "lab_id", as: String.self), default: [:]][try row.decode(column: "hours", as: Int.self)] = try row.decode(column: "n", as: Int.self)
        }
        return histograms.map { lab, h in
            LabTurnaround(labId: lab, results: h.values.reduce(0, +), p50Hours: Turnaround.percentile(h, 0.5), p90Hours: Turnaround.percentile(h, 0.9))
        }.sorted { $0.labId < $1.labId }
    }

    /// Tubes still without a result past the overdue limit, per ward (or per lab for lab staff).
    package static func overdue(_ db: any SQLDatabase, viewer: TestingViewer, now: Date = Clock.now()) async throws -> (count: Int, byUnit: [(unit: String, count: Int, oldest: String)]) {
        let hours = try await Policies.value(db, .resultOverdueHours)
        let cutoff = Timestamp.string(Turnaround.overdueBefore(now: now, limitHours: hours))
        let rows = try await db.raw("""
            SELECT unit_path, COUNT(*) AS n, MIN(sampled_at) AS oldest FROM samples WHERE resulted_at IS NULL AND sampled_at < \(bind: cutoff) AND \(viewer.labOrUnit())
            GROUP BY unit_path ORDER BY n DESC LIMIT 200
            """).all()
        let list = try rows.map { (unit: try $0.decode(column: "unit_path", as: String.self), count: try $0.decode(column: "n", as: Int.self),
                                   oldest: try $0.decode(column: "oldest", as: String.self)) }
        return (list.reduce(0) { $0 + $1.count }, list)
    }

    package struct WardPositivity: Codable, Sendable {
        package let unitPath: String
        package let results: Int
        package let positives: Int
        package var percent: Double? { Turnaround.positivityPercent(positive: positives, total: results) }
    }

    /// Results and positives per ward over the 7 days ending `today`.
    package static func positivity(_ db: any SQLDatabase, scope: Scope, today: CivilDate = Clock.today(), days: Int = 7) async throws -> [WardPositivity] {
        let from = today.adding(days: -(days - 1))
        let results = try await Counters.byUnit(db, scope: scope, .testResults, from: from, to: today)
        let positives = try await Counters.byUnit(db, scope: scope, .testPositives, from: from, to: today)
        return results.map { WardPositivity(unitPath: $0.key, results: $0.value, positives: positives[$0.key] ?? 0) }
            .sorted { ($0.percent ?? 0, $0.results) > ($1.percent ?? 0, $1.results) }
    }

    /// The daily series of the testing metrics over `days` days ending `today`.
    package static func series(_ db: any SQLDatabase, scope: Scope, today: CivilDate = Clock.today(), days: Int = 14) async throws -> (days: [CivilDate], values: [Metric: [Int]]) {
        let from = today.adding(days: -(days - 1))
        let metrics: [Metric] = [.testSamples, .testPeople, .testResults, .testPositives]
        let daily = try await Counters.daily(db, scope: scope, metrics, from: from, to: today)
        let dayList = (0..<days).map { from.adding(days: $0) }
        var values: [Metric: [Int]] = [:]
        for m in metrics { values[m] = dayList.map { daily[m]?[$0] ?? 0 } }
        return (dayList, values)
    }
}

/// Positive results of the last two days: the ward acts on them at once (an F0 opened, a pool to re-test).
package struct PositiveResultAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let since = Timestamp.string(now.addingTimeInterval(-48 * 3600))
        let rows = try await db.raw("""
            SELECT r.id, r.label, r.test, r.unit_path, r.received_at, r.case_id, r.action, s.kind, s.pool_size, c.case_number
            FROM test_results r LEFT JOIN samples s ON s.id = r.sample_id LEFT JOIN cases c ON c.id = r.case_id
            WHERE r.value = 'detected' AND r.received_at >= \(bind: since) AND r.match_status IN ('matched', 'person_only') AND \(scope.wholeWard.condition("r"))
            ORDER BY r.received_at DESC LIMIT 50
            """).all()
        return try rows.map { row in
            let label = try row.decode(column: "label", as: String.self)
            let test = LabTest(rawValue: try row.decode(column: "test", as: String.self)) ?? .rtPCR
            let kind = (try? row.decode(column: "kind", as: String?.self)).flatMap { $0 }.flatMap(SampleKind.init(rawValue:)) ?? .individual
            let pool = (try? row.decode(column: "pool_size", as: Int?.self)).flatMap { $0 } ?? 1
            let caseID = (try? row.decode(column: "case_id", as: String?.self)).flatMap { $0 }
            let number = (try? row.decode(column: "case_number", as: String?.self)).flatMap { $0 }
            let at = Timestamp.date(try row.decode(column: "received_at", as: String.self))
            let (vi, en, link): (String, String, String)
            if kind == .pooled {
                (vi, en, link) = ("Mẫu gộp \(label) dương tính (\(test.labelVI)): \(pool) người cần xét nghiệm lại mẫu đơn",
                                  "Pooled tube \(label) positive (\(test.labelEN)): \(pool) people to re-test individually", "/testing/retests")
            } else if let caseID, let number {
                (vi, en, link) = ("Ống \(label) dương tính (\(test.labelVI)): đã mở F0 \(number)", "Tube \(label) positive (\(test.labelEN)): case \(number) opened", "/cases/\(caseID)")
            } else {
                (vi, en, link) = ("Ống \(label) dương tính (\(test.labelVI)): chờ khẳng định", "Tube \(label) positive (\(test.labelEN)): awaiting confirmation", "/testing/retests")
            }
            return DashboardAlert(kind: "test_positive", severity: .critical, unitPath: try row.decode(column: "unit_path", as: String.self), titleVI: vi, titleEN: en, link: link, since: at)
        }
    }
}

/// Tubes without a result past the overdue limit (24 h unless the city changed it), per ward.
package struct OverdueResultAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let hours = try await Policies.value(db, .resultOverdueHours)
        let cutoff = Timestamp.string(Turnaround.overdueBefore(now: now, limitHours: hours))
        let rows = try await db.raw("""
            SELECT unit_path, COUNT(*) AS n, MIN(sampled_at) AS oldest FROM samples WHERE resulted_at IS NULL AND sampled_at < \(bind: cutoff) AND \(scope.wholeWard.condition())
            GROUP BY unit_path ORDER BY n DESC LIMIT 30
            """).all()
        return try rows.map { row in
            let n = try row.decode(column: "n", as: Int.self)
            return DashboardAlert(kind: "test_overdue", severity: .warning, unitPath: try row.decode(column: "unit_path", as: String.self),
                                  titleVI: "\(NumberFormat.localized(n, language: .vi)) ống mẫu quá \(hours) giờ chưa có kết quả",
                                  titleEN: "\(NumberFormat.localized(n, language: .en)) tubes without a result after \(hours) hours",
                                  link: "/testing/samples?view=overdue", since: Timestamp.date(try row.decode(column: "oldest", as: String.self)))
        }
    }
}

/// Batches a lab has not confirmed in time, and batches received with a different count.
package struct BatchAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let rows = try await db.raw("""
            SELECT b.id, b.code, b.unit_path, b.status, b.expected_by, b.declared_count, b.received_count, l.name AS lab_name FROM sample_batches b
            LEFT JOIN labs l ON l.id = b.lab_id
            WHERE ((b.status = 'in_transit' AND b.expected_by < \(bind: Timestamp.string(now))) OR (b.status = 'discrepancy' AND b.received_at >= \(bind: Timestamp.string(now.addingTimeInterval(-72 * 3600)))))
            AND \(scope.wholeWard.condition("b")) ORDER BY b.expected_by LIMIT 50
            """).all()
        return try rows.map { row in
            let code = try row.decode(column: "code", as: String.self), lab = (try? row.decode(column: "lab_name", as: String?.self)).flatMap { $0 } ?? ""
            let declared = try row.decode(column: "declared_count", as: Int.self)
            let id = try row.decode(column: "id", as: String.self)
            if try row.decode(column: "status", as: String.self) == "discrepancy" {
                let got = (try? row.decode(column: "received_count", as: Int?.self)).flatMap { $0 } ?? 0
                return DashboardAlert(kind: "batch_discrepancy", severity: .critical, unitPath: try row.decode(column: "unit_path", as: String.self),
                                      titleVI: "Lô \(code): \(lab) nhận \(got)/\(declared) ống", titleEN: "Batch \(code): \(lab) received \(got) of \(declared) tubes",
                                      link: "/testing/batches/\(id)", since: nil)
            }
            return DashboardAlert(kind: "batch_late", severity: .warning, unitPath: try row.decode(column: "unit_path", as: String.self),
                                  titleVI: "Lô \(code) (\(declared) ống) chưa được \(lab) xác nhận nhận đúng hạn", titleEN: "Batch \(code) (\(declared) tubes) not confirmed by \(lab) in time",
                                  link: "/testing/batches/\(id)", since: Timestamp.date(try row.decode(column: "expected_by", as: String.self)))
        }
    }
}

/// Active campaigns with wards that will miss their deadline at the current pace.
package struct CampaignPaceAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let today = VietnamTime.day(of: now)
        let campaigns = try await db.raw("""
            SELECT \(unsafeRaw: CampaignRecord.columns) FROM campaigns c WHERE c.status = 'active' AND c.starts_on <= \(bind: today.iso) AND c.deadline_on >= \(bind: today.iso)
            AND (\(scope.wholeWard.condition("c")) OR EXISTS (SELECT 1 FROM campaign_units cu WHERE cu.campaign_id = c.id AND \(scope.wholeWard.condition("cu"))))
            ORDER BY c.deadline_on LIMIT 20
            """).all(decoding: CampaignRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        var out: [DashboardAlert] = []
        for c in campaigns {
            let recentFrom = max(today.adding(days: -2), c.startDay)
            let rows = try await db.raw("""
                SELECT cu.unit_path, cu.target, CAST(COALESCE(SUM(cp.people), 0) AS BIGINT) AS people,
                CAST(COALESCE(SUM(CASE WHEN cp.day >= \(bind: recentFrom.iso) THEN cp.people ELSE 0 END), 0) AS BIGINT) AS recent,
                (SELECT CAST(COALESCE(SUM(sp.daily_capacity), 0) AS BIGINT) FROM sampling_points sp WHERE sp.campaign_id = \(bind: c.id) AND sp.unit_path = cu.unit_path AND sp.active) AS capacity
                FROM campaign_units cu LEFT JOIN campaign_progress cp ON cp.campaign_id = cu.campaign_id AND cp.unit_path = cu.unit_path
                WHERE cu.campaign_id = \(bind: c.id) AND \(scope.wholeWard.condition("cu")) GROUP BY cu.unit_path, cu.target
                """).all()
            let span = today.days(since: recentFrom) + 1
            var missing = 0
            for row in rows {
                let recent = try row.decode(column: "recent", as: Int.self)
                let p = CampaignPace.project(target: try row.decode(column: "target", as: Int.self), done: try row.decode(column: "people", as: Int.self),
                                             recent: Array(repeating: recent / max(span, 1), count: max(span, 1)), today: today, deadline: c.deadlineDay)
                let cap = CampaignPace.beyondCapacity(target: try row.decode(column: "target", as: Int.self), done: try row.decode(column: "people", as: Int.self),
                                                    capacityPerDay: try row.decode(column: "capacity", as: Int.self), today: today, deadline: c.deadlineDay)
                if p.willMiss || cap.beyond { missing += 1 }
            }
            guard missing > 0 else { continue }
            out.append(DashboardAlert(kind: "campaign_pace", severity: .warning, unitPath: c.unitPath,
                                      titleVI: "\(c.name): \(missing) phường/xã sẽ không kịp hạn \(c.deadlineDay.vietnamese) với tốc độ lấy mẫu hoặc công suất điểm lấy mẫu hiện tại",
                                      titleEN: "\(c.name): \(missing) wards will miss the \(c.deadlineDay.vietnamese) deadline at the current pace or sampling capacity",
                                      link: "/testing/campaigns/\(c.id)", since: nil))
        }
        return out
    }
}
