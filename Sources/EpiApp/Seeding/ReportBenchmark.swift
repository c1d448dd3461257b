import EpiCore
import Foundation
import Hummingbird
import Logging
import SQLKit
#if canImport(FoundationNetworking)
import FoundationNetworking
import EpiPlatform
import EpiRegistry
import EpiTracing
import EpiReporting
#endif

/// `epicommand bench reports`: 579 wards × N days of daily reports on SQLite, then the city's
/// dashboard, one day's consolidation and a month's completeness table, timed through HTTP as a
/// browser asks for them (and through the functions behind them, to show what rendering adds).
/// Figures are printed, never asserted.
package struct ReportBenchmark: Sendable {
    let days: Int
    let directory: String
    let rounds: Int

    package init(days: Int, directory: String, rounds: Int) {
        self.days = days
        self.directory = directory
        self.rounds = rounds
    }

    package func run() async throws {
        let (services, settings) = try await BenchEnvironment.start(directory: directory, file: "reports-bench.sqlite", basePort: 18_600)
        let password = BenchEnvironment.password
        let units = await ReportUnits.load(services.directory)
        let wards = units.expected(.ward, under: "01")
        let today = VietnamTime.day(of: Date())
        // Full days only, ending yesterday, so every period is due.
        let dayList = (0..<days).map { today.adding(days: $0 - days) }
        guard let lastDay = dayList.last else { return }
        print("EpiCommand bench reports — \(wards.count) wards × \(days) days of daily reports, SQLite (WAL), \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // 1. The data: reports (every version row, latest rows, per-field figures) and the live counters behind the pre-fills.
        guard let template = try await services.database.read({ try await ReportStore.template($0, code: "ward_daily") }) else { return }
        let writer = try await CLIImport.user(services, username: "bench.ward")
        try await services.database.prepareForBulkLoad()
        let started = Date()
        var plan = ReportBulk.Plan(wards: wards, days: dayList, seed: 42)
        plan.now = Date()
        let written = try await ReportBulk.dailyWardReports(services.database, template: template, plan: plan, user: writer)
        try await services.database.analyze()
        let counts = try await services.database.read { db -> [String: Int] in
            var out: [String: Int] = [:]
            for table in ["report_submissions", "report_latest", "report_figures", "unit_daily"] {
                out[table] = try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first().map { try $0.decode(column: "n", as: Int.self) } ?? 0
            }
            return out
        }
        print(String(format: "generated %@ submissions in %.1f s (report_latest %@, report_figures %@, unit_daily %@ rows)", NumberFormat.grouped(written), Date().timeIntervalSince(started),
                     NumberFormat.grouped(counts["report_latest"] ?? 0), NumberFormat.grouped(counts["report_figures"] ?? 0), NumberFormat.grouped(counts["unit_daily"] ?? 0)))

        // 2. The functions the pages call, as the city.
        let city = try await CLIImport.user(services, username: "bench.city")
        let cityScope = try await Scope.of(city, directory: services.directory)
        guard let root = try await services.directory.unit("01") else { return }
        let service = ReportService(services: services)
        let period = ReportPeriod(frequency: .daily, start: lastDay)
        let month = period.trailing(30)
        let dashboardFn = try await time { _ = try await DashboardService(services: services).build(root: root, scope: cityScope, user: city) }
        let consolidationFn = try await time { _ = try await service.consolidate(template: template, period: period, root: "01", scope: cityScope) }
        let completenessFn = try await time { _ = try await service.history(template: template, periods: month, root: "01", scope: cityScope) }
        print("functions (no HTTP, no rendering), city scope:")
        print("  DashboardService.build:          \(Benchmark.summary(dashboardFn))")
        print("  ReportService.consolidate (day): \(Benchmark.summary(consolidationFn))")
        print("  ReportService.history (30 days): \(Benchmark.summary(completenessFn))")

        // 3. The pages over HTTP, signed in as the city and as a district.
        let app = buildApplication(services)
        let serverTask = Task { try await app.runService() }
        defer { serverTask.cancel() }
        let base = "http://127.0.0.1:\(settings.port)"
        try await waitForServer(base)
        var cookies: [String: String] = [:]
        for username in ["bench.city", "bench.district"] {
            guard case .success(let token, _) = try await services.auth.login(username: username, password: password) else { continue }
            cookies[username] = "\(SessionCookie.name)=\(token)"
        }
        let pages: [(label: String, path: String, goal: Double)] = [
            ("city dashboard", "/dashboard", 200),
            ("city consolidation, one day (\(lastDay.vietnamese))", "/reports/ward_daily/consolidation?period=\(period.key)", 500),
            ("city completeness table, 30 days (a month)", "/reports/ward_daily/completeness?period=\(period.key)&view=history", 300),
        ]
        print("pages over HTTP (\(rounds) timed requests each after 10 warm-ups):")
        for page in pages {
            for username in ["bench.city", "bench.district"] {
                guard let url = URL(string: base + page.path) else { continue }
                var request = URLRequest(url: url)
                request.setValue(cookies[username], forHTTPHeaderField: "Cookie")
                var times: [Double] = []
                var bytes = 0
                for round in 0..<(rounds + 10) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let (data, response) = try await URLSession.shared.data(for: request)
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                    guard (response as? HTTPURLResponse)?.statusCode == 200, data.count > 1000 else {
                        throw AppError(.internalServerError, code: "bench_page", vi: "Trang \(page.path) lỗi.", en: "Page \(page.path) failed for \(username).")
                    }
                    bytes = data.count
                    if round >= 10 { times.append(ms) }
                }
                let who = username == "bench.city" ? "" : " [district view, for comparison]"
                let p95 = Benchmark.percentile(times, 0.95)
                if username == "bench.city" {
                    print(String(format: "  %@: %@, %@ KB; p95/goal = %.2f (goal p95 < %.0f ms)", page.label, Benchmark.summary(times), NumberFormat.grouped(bytes / 1024), p95 / page.goal, page.goal))
                } else {
                    print(String(format: "  %@%@: %@", page.label.replacingOccurrences(of: "city ", with: ""), who, Benchmark.summary(times)))
                }
            }
        }
        serverTask.cancel()
        _ = await serverTask.result
        await services.database.shutdown()
    }

    private func time(_ body: () async throws -> Void) async throws -> [Double] {
        for _ in 0..<5 { try await body() }
        var times: [Double] = []
        for _ in 0..<max(rounds / 2, 10) {
            let start = DispatchTime.now().uptimeNanoseconds
            try await body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times
    }

    private func waitForServer(_ base: String) async throws {
        for _ in 0..<100 {
            if let url = URL(string: "\(base)/health"), let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AppError(.internalServerError, code: "bench_server", vi: "Máy chủ benchmark không khởi động.", en: "The benchmark server did not start.")
    }
}
