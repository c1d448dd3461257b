import EpiCore
import EpiMovement
import EpiPlatform
import EpiRegistry
import EpiSigning
import Foundation
import SQLKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `epicommand bench movement`: issue 14's scale goals on SQLite.
/// 1. a checkpoint's permit check over HTTP (signature, permit row, verdict, the check logged) against a
///    bare hello-world route in the same run;
/// 2. N checkpoint log rows uploaded in batches as offline phones send them, then the same batches again;
/// 3. public health declarations over HTTP, each with its own form token, from many clients (a proxy's
///    X-Forwarded-For), sustained;
/// 4. daily counts allowed out for 579 wards over P permits.
package struct MovementBenchmark: Sendable {
    let permits: Int
    let checks: Int
    let declarations: Int
    let connections: Int
    let seconds: Double
    let directory: String

    package init(permits: Int, checks: Int, declarations: Int, connections: Int, seconds: Double, directory: String) {
        self.permits = permits
        self.checks = checks
        self.declarations = declarations
        self.connections = connections
        self.seconds = seconds
        self.directory = directory
    }

    static let day = CivilDate(year: 2021, month: 9, day: 10) ?? CivilDate(dayNumber: CivilDate.september1st2021)

    package func run() async throws {
        print("EpiCommand bench movement — \(NumberFormat.grouped(permits)) permits over 579 wards, \(NumberFormat.grouped(checks)) checkpoint log rows, "
              + "\(NumberFormat.grouped(declarations)) health declarations; SQLite (WAL), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        // Citizens reach the declaration form through the city's proxy (loopback here), which names each one.
        let (services, _) = try await BenchEnvironment.start(directory: directory, file: "movement.sqlite", basePort: 19_600) { $0.trustedProxies = ["127.0.0.1", "::1"] }
        do {
            try await measure(services)
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }

    private func measure(_ services: AppServices) async throws {
        print("setup (not measured):")
        var t = Date()
        let wards = try await insertPermits(services)
        TestingBenchmark.setup("\(NumberFormat.grouped(permits)) issued permits over \(wards) wards (bulk SQL)", t)
        t = Date()
        try await UserAdmin(services: services).create(username: "bench.checkpoint", displayName: "bench.checkpoint", role: .checkpoint, unit: "01/007/00295",
                                                       password: BenchEnvironment.password, creator: nil)
        let token = try await services.auth.issueToken(username: "bench.checkpoint", name: "bench")
        let officer = try await CLIImport.user(services, username: "bench.checkpoint")
        // One permit of Minh Khai, signed as the product signs it, for the checks.
        let permit = try await services.database.read { db in
            try await db.raw("SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE unit_path = '01/007/00295' ORDER BY number LIMIT 1")
                .first(decoding: PermitRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        guard let permit else { throw AppError.invalid("Không có giấy đi đường ở Minh Khai.", "No permit in Minh Khai.") }
        // The data is as of 10/9/2021 (permits valid 6–21 September): the server judges checks on that day,
        // so a check reads the permit's row and answers "valid", as at a checkpoint that September.
        try await services.database.transactionless { try await SimulatedDay.set($0, Self.day) }
        let code = try MovementService(services: services).sign(permit, issuedAt: Clock.now())
        TestingBenchmark.setup("a checkpoint account with an API token, one permit's signed code", t)

        let app = buildApplication(services)
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        try await Benchmark.waitForServer("http://127.0.0.1:\(services.settings.port)")

        // 1. the check over HTTP
        print("1. POST /api/v1/movement/checks over HTTP (a checkpoint officer's token; the permit's signature, row and verdict; each check logged):")
        let body = String(decoding: try JSONEncoder().encode(["code": code, "direction": "out"]), as: UTF8.self)
        let before = try await count(services, "checkpoint_checks")
        let comparison = try await HTTPLoad.compare("permit check", port: services.settings.port,
                                                    request: HTTPLoad.Request(method: "POST", path: "/api/v1/movement/checks",
                                                                              headers: [["Content-Type", "application/json"], ["Authorization", "Bearer \(token)"]], body: body),
                                                    connections: connections, seconds: seconds, directory: directory, goal: 0.8)
        let route = comparison.route
        let logged = try await count(services, "checkpoint_checks") - before
        print("   checks logged: \(NumberFormat.grouped(logged)) (one per 2xx answer, warm-up included: \(NumberFormat.grouped(route.succeeded)) measured)")
        // The signature check every request needs before any HTTP or database work: the floor under the ratio.
        let signing = try SigningService.open(services.settings)
        let verifyStart = DispatchTime.now().uptimeNanoseconds
        let at = Clock.now()
        for _ in 0..<20_000 { _ = try SignedCode.verify(code, now: at, using: signing) }
        let verdicts = try await services.database.read { db in
            try await db.raw("SELECT result, COUNT(*) AS n FROM checkpoint_checks WHERE officer = 'bench.checkpoint' GROUP BY result ORDER BY result").all()
                .map { "\(try $0.decode(column: "result", as: String.self)) × \(NumberFormat.grouped(try $0.decode(column: "n", as: Int.self)))" }
        }
        print("   verdicts logged: \(verdicts.joined(separator: ", "))")
        let verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - verifyStart) / 1e9
        print("   the permit's code verified 20.000 times in one task (Base45, zlib, COSE ES256 signature, CBOR; no HTTP, no database): "
              + "\(NumberFormat.grouped(Int(20_000 / max(verifySeconds, 0.000_001)))) verifications/s on one core")
        comparison.printCeiling(extra: verifySeconds / 20_000 * 1e6, what: "verifies one such code (and does nothing else: no token, no database, no log)")

        // Pages a city commander opens (not a goal of the issue; they must stay fast with the city's permits).
        try await measurePages(services)

        // 2. offline uploads
        try await measureUploads(services, officer: officer)

        // 3. declarations
        try await measureDeclarations(services)
        server.cancel()
        _ = await server.result

        // 4. daily counts
        try await measureCounts(services)
    }

    /// The movement overview and the permit list as the city sees them, over HTTP with a session.
    private func measurePages(_ services: AppServices) async throws {
        // bench.city: the city commander every bench environment creates.
        guard case .success(let session, _) = try await services.auth.login(username: "bench.city", password: BenchEnvironment.password) else {
            throw AppError.invalid("Không đăng nhập được tài khoản thành phố.", "The city account could not sign in.")
        }
        print("   pages of the city account over HTTP (30 loads each after 3 unmeasured; not a goal of the issue):")
        for (path, name) in [("/movement?day=\(Self.day.iso)", "movement overview"), ("/movement/permits", "permit list (newest 500)")] {
            guard let url = URL(string: "http://127.0.0.1:\(services.settings.port)\(path)") else { continue }
            var request = URLRequest(url: url)
            request.setValue("\(SessionCookie.name)=\(session)", forHTTPHeaderField: "Cookie")
            var times: [Double] = []
            for round in 0..<33 {
                let start = DispatchTime.now().uptimeNanoseconds
                let (data, response) = try await URLSession.shared.data(for: request)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                guard (response as? HTTPURLResponse)?.statusCode == 200, data.count > 1000 else {
                    throw AppError(.internalServerError, code: "bench_page", vi: "Trang \(path) lỗi.", en: "Page \(path) failed.")
                }
                if round >= 3 { times.append(ms) }
            }
            print("     \(name), GET \(path): \(Benchmark.summary(times))")
        }
    }

    private func count(_ services: AppServices, _ table: String) async throws -> Int {
        try await services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? 0 }
    }

    /// Permit k: ward k mod 579, valid 6–21 September 2021; every 5th a market voucher for two days, the
    /// rest for work; numbered GDD-BENCH-k.
    private func insertPermits(_ services: AppServices) async throws -> Int {
        let db = services.database
        let wards = await BenchEnvironment.wards(services)
        guard !wards.isEmpty else { throw AppError.invalid("Không có phường nào.", "No wards.") }
        try await db.prepareForBulkLoad()
        let now = Timestamp.now()
        var done = 0
        while done < permits {
            let n = min(20_000, permits - done)
            let first = done
            try await db.transaction { db in
                // Bulk SQL, so the people-out counters are kept here as the service keeps them.
                var counted: [OutCounters.Permit: Int] = [:]
                for start in stride(from: first, to: first + n, by: 500) {
                    var insert = db.insert(into: "permits").columns("id", "number", "grp", "status", "business_id", "person_id", "full_name", "citizen_id", "purpose", "route", "zones",
                                                                    "days", "valid_from", "valid_to", "unit_path", "group_code", "issuer_unit", "issued_by", "issued_at", "code",
                                                                    "revoked_at", "revoked_by", "reason", "requested_by", "created_at", "request_key")
                    for k in start..<min(start + 500, first + n) {
                        let ward = wards[k % wards.count]
                        let market = k % 5 == 0
                        let days = market ? "\(Self.day.adding(days: k % 3).iso),\(Self.day.adding(days: 3 + k % 3).iso)" : ""
                        counted[OutCounters.Permit(unitPath: ward, group: market ? PermitGroup.foodMedicine.rawValue : PermitGroup.essentialWorker.rawValue,
                                                   validFrom: "2021-09-06", validTo: "2021-09-21", days: days), default: 0] += 1
                        insert = insert.values([Identifier.make(), String(format: "GDD-BENCH-%09d", k), market ? PermitGroup.foodMedicine.rawValue : PermitGroup.essentialWorker.rawValue, "issued", nil as String?, nil as String?,
                                                "Người Thứ \(k)", String(format: "001%09d", k), "", "", "", days, "2021-09-06", "2021-09-21", ward, "", ward, "bench",
                                                now, nil as String?, nil as String?, nil as String?, "", "bench", now, "bench-\(k)"] as [any Encodable & Sendable])
                    }
                    try await insert.run()
                }
                var deltas: [Counters.Change: Int] = [:]
                OutCounters.permits(counted, sign: 1, into: &deltas)
                try await Counters.apply(db, deltas)
            }
            done += n
        }
        try await db.analyze()
        try await db.finishBulkLoad()
        return wards.count
    }

    private func measureUploads(_ services: AppServices, officer: CurrentUser) async throws {
        let viewer = try await MovementViewer.of(officer, services: services)
        let checker = CheckService(services: services)
        let batchSize = 1_000
        let base = Date(timeIntervalSince1970: 1_631_260_800)  // 10/9/2021 07:00 ICT
        func batch(_ b: Int) -> [CheckInput] {
            (0..<batchSize).map { i in
                let k = b * batchSize + i
                let id = String(format: "%08x-0000-4000-8000-%012x", b, k)
                return CheckInput(id: id, number: String(format: "GDD-BENCH-%09d", k % max(permits, 1)), direction: k % 2 == 0 ? "out" : "in",
                                  result: k % 50 == 0 ? "papers" : "valid", checkedAt: Timestamp.string(base.addingTimeInterval(Double(k % 36_000))))
            }
        }
        let batches = (checks + batchSize - 1) / batchSize
        let before = try await count(services, "checkpoint_checks")
        var stored = 0, repeated = 0
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for b in 0..<batches {
            let s = DispatchTime.now().uptimeNanoseconds
            let r = try await checker.upload(batch(b), viewer: viewer)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
            stored += r.stored
            repeated += r.duplicates
        }
        let first = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // The same batches again: a phone that never saw the answers.
        var again = 0, againDuplicates = 0
        let start2 = DispatchTime.now().uptimeNanoseconds
        for b in 0..<batches {
            let r = try await checker.upload(batch(b), viewer: viewer)
            again += r.stored
            againDuplicates += r.duplicates
        }
        let second = Double(DispatchTime.now().uptimeNanoseconds - start2) / 1e9
        let added = try await count(services, "checkpoint_checks") - before
        print("2. checkpoint log rows uploaded as offline phones send them (CheckService.upload, \(NumberFormat.grouped(batchSize)) checks per batch, each with its phone-made UUID):")
        print(String(format: "   %@ rows in %.1f s = %@ rows/s (%@ already there); per batch %@", NumberFormat.grouped(stored), first,
                     NumberFormat.grouped(Int(Double(stored) / max(first, 0.001))), NumberFormat.grouped(repeated), TestingBenchmark.summary(times)))
        print(String(format: "   the same %d batches again: %.1f s, stored %@, recognised as already there %@; rows added by both passes minus checks sent: %@ (duplicates, goal 0)",
                     batches, second, NumberFormat.grouped(again), NumberFormat.grouped(againDuplicates), NumberFormat.grouped(added - batches * batchSize)))
    }

    private func measureDeclarations(_ services: AppServices) async throws {
        // Tokens minted as the form would have handed them out a minute ago (past the minimum fill time).
        let minted = Date().addingTimeInterval(-60)
        let wards = await BenchEnvironment.wards(services)
        var requests: [HTTPLoad.Request] = []
        requests.reserveCapacity(declarations)
        for k in 0..<declarations {
            let input: [String: Any] = ["form_token": DeclarationForm.token(now: minted), "full_name": "Người Khai \(k)", "phone": String(format: "09%08d", k % 100_000_000),
                                        "unit": wards[k % max(wards.count, 1)], "symptoms": k % 100 == 0 ? ["fever"] : [], "travel": "", "contact": false]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
            // Citizens reach the server through the city's proxy, each from their own address.
            requests.append(HTTPLoad.Request(method: "POST", path: "/api/v1/public/declarations",
                                             headers: [["Content-Type", "application/json"], ["X-Forwarded-For", "10.\(k >> 16 & 255).\(k >> 8 & 255).\(k & 255)"]], body: body))
        }
        let before = try await count(services, "health_declarations")
        let report = try await HTTPLoad.fromSecondProcess(port: services.settings.port, requests: requests, connections: connections, seconds: 600, directory: directory)
        let stored = try await count(services, "health_declarations") - before
        let statuses = report.statuses.sorted { $0.key < $1.key }.map { "\($0.key) × \(NumberFormat.grouped($0.value))" }.joined(separator: ", ")
        print("3. public health declarations, POST /api/v1/public/declarations, each with its own form token and client address, \(connections) connections, client in a second process:")
        print(String(format: "   %@ submissions in %.1f s = %@ submissions/s (goal ≥ 1,000/s); p50 %.2f ms, p99 %.2f ms (goal < 100 ms), max %.2f ms; responses: %@; stored %@",
                     NumberFormat.grouped(report.requests), report.seconds, NumberFormat.grouped(Int(report.perSecond)), report.p50, report.p99, report.max, statuses,
                     NumberFormat.grouped(stored)))
        if let failure = report.firstFailure { print("   ! a response was not 2xx: \(failure)") }
    }

    private func measureCounts(_ services: AppServices) async throws {
        let city = try await CLIImport.user(services, username: "bench.city")
        let scope = try await Scope.of(city, directory: services.directory)
        let checker = CheckService(services: services)
        var times: [Double] = []
        var total = 0, wards = 0
        for round in 0..<110 {
            let s = DispatchTime.now().uptimeNanoseconds
            let counts = try await services.database.read { try await checker.dailyCounts($0, scope: scope, day: Self.day) }
            if round >= 10 { times.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6) }
            total = counts.reduce(0) { $0 + $1.total }
            wards = counts.count
        }
        print("4. daily counts allowed out on \(Self.day.iso) by reason, city account, over \(NumberFormat.grouped(permits)) permits:")
        print("   CheckService.dailyCounts (100 calls after 10 unmeasured): \(TestingBenchmark.summary(times)) (goal p95 < 200 ms); \(wards) wards, \(NumberFormat.grouped(total)) people out")
    }
}
