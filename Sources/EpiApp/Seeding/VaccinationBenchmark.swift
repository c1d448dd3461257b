import EpiCodecs
import EpiCore
import EpiPlatform
import EpiRegistry
import EpiSigning
import EpiVaccination
import Foundation
import Logging
import SQLKit

/// `epicommand bench vaccination`: issue 13's scale goals on SQLite.
/// 1. N dose rows from CSV through the product's import (matched by CCCD to an N-person registry), against
///    sqlite3's `.import` of the same file into a table with as many indexes as `vaccine_doses`;
/// 2. coverage for 579 wards × 4 age groups × 3 doses over D doses (bulk SQL, not measured);
/// 3. certificates signed per second on one core (EU DCC: CBOR, COSE_Sign1 ES256, zlib, Base45);
/// 4. the verification API over HTTP against a bare hello-world route in the same run.
package struct VaccinationBenchmark: Sendable {
    let persons: Int
    let rows: Int
    let doses: Int
    let certificates: Int
    let connections: Int
    let seconds: Double
    let directory: String

    package init(persons: Int, rows: Int, doses: Int, certificates: Int, connections: Int, seconds: Double, directory: String) {
        self.persons = persons
        self.rows = rows
        self.doses = doses
        self.certificates = certificates
        self.connections = connections
        self.seconds = seconds
        self.directory = directory
    }

    static let product = "EU/1/20/1528"
    static let firstDay = CivilDate(year: 2021, month: 6, day: 1) ?? CivilDate(dayNumber: CivilDate.september1st2021)

    package func run() async throws {
        print("EpiCommand bench vaccination — \(NumberFormat.grouped(rows)) CSV dose rows over a \(NumberFormat.grouped(persons))-person registry, "
              + "coverage over \(NumberFormat.grouped(doses)) doses, \(NumberFormat.grouped(certificates)) certificates signed; SQLite (WAL), "
              + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
        // The load client is one direct peer: the verifier's per-client limit is raised out of its way (the check still runs per request).
        let (services, _) = try await BenchEnvironment.start(directory: directory, file: "vaccination.sqlite", basePort: 19_300) { $0.verifyRequestsPerMinute = 1_000_000_000 }
        do {
            try await measure(services)
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }

    private func measure(_ services: AppServices) async throws {
        let db = services.database
        print("setup (not measured):")
        var t = Date()
        let people = try await SyntheticPopulation.generate(services, count: persons, seed: 2021) { _ in }
        TestingBenchmark.setup("registry of \(NumberFormat.grouped(people)) people (SyntheticPopulation)", t)
        t = Date()
        let csvPath = "\(directory)/doses-\(rows)-of-\(people).csv"
        let made = try await writeCSV(db, path: csvPath, people: people)
        TestingBenchmark.setup(made ? "dose CSV written" : "dose CSV reused from \(directory)", t)
        let city = try await CLIImport.user(services, username: "bench.city")

        try await measureImport(services, csvPath: csvPath, city: city)
        try await measureCoverage(services, city: city)
        let verification = try measureSigning(services)
        try await measureVerification(services, city: city, verification: verification)
    }

    // MARK: 1. CSV

    /// Row k: person k mod N, dose 1 + k / N (a second pass gives second doses), 28 days apart.
    private func writeCSV(_ db: Database, path: String, people: Int) async throws -> Bool {
        if FileManager.default.fileExists(atPath: path) { return false }
        let ids = try await db.read { db in
            try await db.raw("SELECT citizen_id FROM persons WHERE citizen_id IS NOT NULL ORDER BY rowid").all().map { try $0.decode(column: "citizen_id", as: String.self) }
        }
        guard !ids.isEmpty else { throw AppError.invalid("Sổ benchmark trống.", "The benchmark registry is empty.") }
        var out = "cccd,ngay_tiem,mui_so,vac_xin,so_lo\n"
        out.reserveCapacity(rows * 48)
        for k in 0..<rows {
            let dose = 1 + k / ids.count
            let day = Self.firstDay.adding(days: (k % 60) + 28 * (dose - 1))
            out += "\(ids[k % ids.count]),\(day.iso),\(dose),\(Self.product),FK\(1000 + k % 97)\n"
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        return true
    }

    private func measureImport(_ services: AppServices, csvPath: String, city: CurrentUser) async throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: csvPath)))
        let importer = DoseImportService(services: services)
        var start = DispatchTime.now().uptimeNanoseconds
        let report = try await importer.importCSV(bytes: bytes, filename: "bench-doses.csv", user: city, language: .en)
        let ours = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        start = DispatchTime.now().uptimeNanoseconds
        let again = try await importer.importCSV(bytes: bytes, filename: "bench-doses-again.csv", user: city, language: .en)
        let repeatSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let stored = try await services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccine_doses").first()?.decode(column: "n", as: Int.self) ?? 0 }
        print("1. dose rows from CSV (\(csvPath), \(String(format: "%.1f", Double(bytes.count) / 1_048_576)) MiB) through the product's import (DoseImportService, city account):")
        print(String(format: "   import: %@ rows in %.1f s = %@ rows/s (added %@, already recorded %@, failed rows %@)",
                     NumberFormat.grouped(report.totalRows), ours, NumberFormat.grouped(Int(Double(report.totalRows) / max(ours, 0.001))),
                     NumberFormat.grouped(report.inserted), NumberFormat.grouped(report.duplicates), NumberFormat.grouped(report.failed)))
        print(String(format: "   the same file again: %.1f s, added %@, already recorded %@; doses stored: %@ (duplicates after two imports: %@)",
                     repeatSeconds, NumberFormat.grouped(again.inserted), NumberFormat.grouped(again.duplicates), NumberFormat.grouped(stored),
                     NumberFormat.grouped(stored - report.inserted)))
        // vaccine_doses carries a primary key, a unique (person, dose, date) and a (ward, date) index: three.
        let setup = ["CREATE TABLE raw (cccd TEXT, ngay_tiem TEXT, mui_so TEXT, vac_xin TEXT, so_lo TEXT)",
                     "CREATE UNIQUE INDEX raw_dose ON raw (cccd, mui_so, ngay_tiem)", "CREATE INDEX raw_day ON raw (vac_xin, ngay_tiem)", "CREATE INDEX raw_lot ON raw (so_lo)"]
        if let raw = try BenchEnvironment.sqlite3Import(csv: csvPath, into: "\(directory)/doses-raw-indexed.sqlite", setup: setup, skipHeader: true) {
            let rate = Double(report.totalRows) / max(raw, 0.001)
            print(String(format: "   sqlite3 .import into a table with 3 indexes like vaccine_doses': %.1f s = %@ rows/s; ratio ours/indexed raw = %.2f (goal ≥ 0.50)",
                         raw, NumberFormat.grouped(Int(rate)), ours > 0 ? raw / ours : 0))
        }
    }

    // MARK: 2. coverage

    /// Doses up to `doses` in all, by bulk SQL from the registry (first doses for everyone first, then
    /// second doses, then boosters), and the per-day counts the product keeps, rebuilt from them.
    private func measureCoverage(_ services: AppServices, city: CurrentUser) async throws {
        let db = services.database
        var t = Date()
        try await db.prepareForBulkLoad()
        let existing = try await db.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccine_doses").first()?.decode(column: "n", as: Int.self) ?? 0 }
        let people = try await db.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons").first()?.decode(column: "n", as: Int.self) ?? 0 }
        var missing = max(0, doses - existing)
        var dose = 1
        let now = Timestamp.now()
        while missing > 0, dose <= 9, people > 0 {
            let take = min(missing, people)
            let number = dose
            try await db.transaction { db in
                // Doses this person already has (from the CSV) keep their rows: the unique index skips them.
                try await db.raw("""
                    INSERT INTO vaccine_doses (id, person_id, unit_path, group_code, age_group, dose_number, counts, given_on, product_code, manufacturer_code,
                                               lot_number, lot_id, site_id, session_id, source, created_by, created_at)
                    SELECT printf('bench-%d-%d', \(bind: number), rowid), id, unit_path, '',
                           CASE WHEN CAST(substr(birth_date, 1, 4) AS INTEGER) > 2009 THEN NULL
                                WHEN CAST(substr(birth_date, 1, 4) AS INTEGER) > 2003 THEN \(bind: AgeGroup.age12to17.rawValue)
                                WHEN CAST(substr(birth_date, 1, 4) AS INTEGER) > 1971 THEN \(bind: AgeGroup.age18to49.rawValue)
                                WHEN CAST(substr(birth_date, 1, 4) AS INTEGER) > 1956 THEN \(bind: AgeGroup.age50to64.rawValue) ELSE \(bind: AgeGroup.age65plus.rawValue) END,
                           \(bind: number), \(bind: number == 1 ? "first" : number == 2 ? "complete" : "booster"),
                           date(\(bind: Self.firstDay.iso), '+' || ((rowid % 90) + 30 * \(bind: number - 1)) || ' days'), \(bind: Self.product), 'ORG-100030215',
                           'BENCH', NULL, NULL, NULL, 'import', 'bench', \(bind: now)
                    FROM persons WHERE birth_date IS NOT NULL ORDER BY rowid LIMIT \(bind: take)
                    ON CONFLICT DO NOTHING
                    """).run()
            }
            let count = try await db.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccine_doses").first()?.decode(column: "n", as: Int.self) ?? 0 }
            missing = max(0, doses - count)
            dose += 1
        }
        try await db.transaction { db in
            try await db.raw("DELETE FROM vaccine_coverage_daily").run()
            try await db.raw("""
                INSERT INTO vaccine_coverage_daily (unit_path, day, age_group, kind, n)
                SELECT unit_path, given_on, age_group, CASE dose_number WHEN 1 THEN 'first' WHEN 2 THEN 'complete' ELSE 'booster' END, COUNT(*)
                FROM vaccine_doses WHERE age_group IS NOT NULL GROUP BY 1, 2, 3, 4
                """).run()
            try await db.raw("DELETE FROM vaccine_coverage_totals").run()
            try await db.raw("""
                INSERT INTO vaccine_coverage_totals (unit_path, age_group, kind, n) SELECT unit_path, age_group, kind, SUM(n) FROM vaccine_coverage_daily GROUP BY 1, 2, 3
                """).run()
        }
        try await db.analyze()
        try await db.finishBulkLoad()
        let total = try await db.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccine_doses").first()?.decode(column: "n", as: Int.self) ?? 0 }
        TestingBenchmark.setup("\(NumberFormat.grouped(total)) doses in all and their per-day counts (bulk SQL)", t)

        t = Date()
        let service = CoverageService(services: services)
        let scope = try await Scope.of(city, directory: services.directory)
        let wards = await service.wards(under: "01")
        // Today, as the coverage page asks; then a day inside the campaign, which subtracts the later days' counts.
        let past = Self.firstDay.adding(days: 200)
        var lines: [String] = []
        var cells = 0
        var covered = 0
        for (label, day) in [("today (the page's question)", Clock.today()), ("as of \(past.vietnamese)", past)] {
            var times: [Double] = []
            for round in 0..<110 {
                let s = DispatchTime.now().uptimeNanoseconds
                let table = try await service.coverage(scope: scope, wards: wards, on: day)
                if round >= 10 { times.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6) }
                cells = table.reduce(0) { $0 + $1.cells.count * 3 }
                covered = table.reduce(0) { $0 + $1.cells.reduce(0) { $0 + $1.first + $1.complete + $1.booster } }
            }
            lines.append("   CoverageService.coverage, \(label), \(NumberFormat.grouped(covered)) counted (100 calls after 10 unmeasured, the first of which counts the registry): "
                         + "\(TestingBenchmark.summary(times)) (goal p95 < 200 ms)")
        }
        _ = t
        print("2. coverage, city account, \(wards.count) wards × 4 age groups × 3 doses = \(NumberFormat.grouped(cells)) cells over \(NumberFormat.grouped(total)) doses, "
              + "registry of \(NumberFormat.grouped(people)) people for the populations:")
        for line in lines { print(line) }
        t = Date()
        _ = try await service.registryPopulations(scope: scope, wards: wards, on: Clock.today(), recount: true)
        TestingBenchmark.setup("   (a recount of the registry's populations, as once a day: not in the figures above)", t)
    }

    // MARK: 3. signing

    /// Returns the microseconds one verification took, the floor under part 4's requests.
    private func measureSigning(_ services: AppServices) throws -> Double {
        let signer = try SigningService.open(services.settings).signer(.vaccination)
        let issuer = try HC1Issuer(privateKey: signer.privateKey, kid: signer.certificate.kid)
        let issued = Date()
        let expires = issued.addingTimeInterval(365 * 86_400)
        var bytes = 0
        // One task, so one core: the goal is per core.
        let start = DispatchTime.now().uptimeNanoseconds
        for k in 0..<certificates {
            bytes += try issuer.issue(try Self.certificate(String(format: "EPIBENCH%012d", k)), issuedAt: issued, expiresAt: expires).utf8.count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rate = Double(certificates) / max(seconds, 0.000_001)
        print("3. signing EU DCC certificates (CBOR, COSE_Sign1 ES256, zlib, Base45) in one task:")
        print(String(format: "   %@ certificates in %.2f s = %@ certificates/s on one core (goal ≥ 5,000/s); mean HC1 length %d characters",
                     NumberFormat.grouped(certificates), seconds, NumberFormat.grouped(Int(rate)), certificates > 0 ? bytes / certificates : 0))

        // What every verify request must do before any HTTP work: the floor under part 4's ratio.
        let sample = try issuer.issue(try Self.certificate("EPIBENCHVERIFY"), issuedAt: issued, expiresAt: expires)
        let verifier = HC1Verifier(trustList: try SigningService.open(services.settings).trustList(.vaccination))
        let checks = max(certificates, 1)
        let verifyStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<checks { _ = try verifier.verify(sample, now: issued.addingTimeInterval(60)) }
        let verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - verifyStart) / 1e9
        print(String(format: "   the same certificate verified %@ times in one task (Base45, zlib, COSE ES256 signature, CBOR, no HTTP): %@ verifications/s on one core",
                     NumberFormat.grouped(checks), NumberFormat.grouped(Int(Double(checks) / max(verifySeconds, 0.000_001)))))
        return verifySeconds / Double(checks) * 1e6
    }

    /// The bench's certificate: one holder and second dose, told apart by the UVCI's opaque part.
    private static func certificate(_ opaqueID: String) throws -> DigitalCovidCertificate {
        DigitalCovidCertificate(name: DCCName(familyName: "Nguyễn", givenName: "Văn An"), dateOfBirth: "1980-05-12", vaccination: DCCVaccination(
            vaccineOrProphylaxis: "1119349007", medicinalProduct: product, marketingAuthorizationHolder: "ORG-100030215", doseNumber: 2, totalSeriesOfDoses: 2,
            dateOfVaccination: "2021-09-01", country: "VN", certificateIssuer: "Ministry of Health of Viet Nam",
            certificateIdentifier: try UVCI.make(country: "VN", opaqueID: opaqueID)))
    }

    // MARK: 4. verification over HTTP

    private func measureVerification(_ services: AppServices, city: CurrentUser, verification: Double) async throws {
        // A real certificate, issued by the product for a person of the registry with a dose.
        let personID = try await services.database.read { db in
            try await db.raw("SELECT person_id FROM vaccine_doses ORDER BY person_id LIMIT 1").first()?.decode(column: "person_id", as: String.self)
        }
        guard let personID else { throw AppError.invalid("Không có mũi tiêm nào.", "No dose to certify.") }
        let certificate = try await CertificateService(services: services).issue(personID: personID, user: city, language: .en)
        let app = buildApplication(services)
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        try await Benchmark.waitForServer("http://127.0.0.1:\(services.settings.port)")
        print("4. POST /api/v1/certificates/verify over HTTP (a valid certificate; signature, validity and revocation checked per request), client in a second process:")
        let body = String(decoding: try JSONEncoder().encode(["code": certificate.payload]), as: UTF8.self)
        let comparison = try await HTTPLoad.compare("verify", port: services.settings.port,
                                                    request: HTTPLoad.Request(method: "POST", path: "/api/v1/certificates/verify", headers: [["Content-Type", "application/json"]], body: body),
                                                    connections: connections, seconds: seconds, directory: directory, goal: 0.8)
        comparison.printCeiling(extra: verification, what: "verifies one certificate as part 3 did (and does nothing else: no revocation list, no JSON)")
        server.cancel()
        _ = await server.result
    }
}
