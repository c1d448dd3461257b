import EpiCore
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import SQLKit
#if canImport(FoundationNetworking)
import FoundationNetworking
import EpiPlatform
import EpiRegistry
import EpiTracing
import EpiReporting
#endif

/// `epicommand bench`: the performance goals of the registry, measured on SQLite in one run.
/// Figures are printed, never asserted: speed lives here, not in unit tests.
package struct Benchmark: Sendable {
    let persons: Int
    let directory: String

    package init(persons: Int, directory: String) {
        self.persons = persons
        self.directory = directory
    }

    package func run() async throws {
        let fm = FileManager.default
        let rawPath = "\(directory)/raw.sqlite"
        let csvPath = "\(directory)/persons-\(persons).csv"
        print("EpiCommand bench — \(NumberFormat.grouped(persons)) people, SQLite (WAL), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let (services, settings) = try await BenchEnvironment.start(directory: directory, file: "bench.sqlite", basePort: 18_080)
        try? fm.removeItem(atPath: rawPath)
        let password = BenchEnvironment.password

        // 1. The CSV a city would import: realistic people over all 579 wards.
        let wards = await services.directory.all().filter { !$0.isGroup && $0.depth == 3 }.sorted { $0.path < $1.path }
        var sampleNames: [String] = []
        var sampleIDs: [String] = []
        if !fm.fileExists(atPath: csvPath) {
            var generator = PopulationGenerator(seed: 42, referenceDate: CivilDate(dayNumber: CivilDate.september1st2021))
            fm.createFile(atPath: csvPath, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: csvPath))
            var chunk = CSVWriter.row(ResidentExport.header)
            for i in 0..<persons {
                let ward = wards[i % wards.count]
                let p = generator.next(wardName: ward.name)
                chunk += CSVWriter.row([p.fullName, p.sex.labelVI, p.birthDate.vietnamese, p.citizenID.digits, "", p.phone?.national ?? "", p.address,
                                        ward.code, "", p.householdCode, p.residenceStatus.labelVI, p.residenceStatus == .permanent ? "" : "31/12/2021"])
                if chunk.utf8.count > 1 << 20 { handle.write(Data(chunk.utf8)); chunk = "" }
            }
            handle.write(Data(chunk.utf8))
            try handle.close()
        }
        let csv = Array(try Data(contentsOf: URL(fileURLWithPath: csvPath)))
        print("CSV: \(csvPath), \(NumberFormat.grouped(csv.count / 1_048_576)) MiB")

        // 2. Import through the product's importer (validation, duplicate guard, audit rows), as the city.
        let city = try await CLIImport.user(services, username: "bench.city")
        guard let firstWard = try await services.directory.unit(wards[0].path) else { return }
        try await services.database.prepareForBulkLoad()
        Memory.resetPeak()
        let importStart = Date()
        var importer = ResidentImporter(services: services)
        importer.batchSize = 10_000
        importer.writeBudget = nil
        let report = try await importer.run(bytes: csv, filename: csvPath, ward: firstWard, user: city)
        let importSeconds = Date().timeIntervalSince(importStart)
        let peakRSS = Memory.peakMiB()
        let importRate = Double(report.inserted) / importSeconds
        try await services.database.analyze()
        // What follows is measured with the server's own settings.
        try await services.database.finishBulkLoad()
        print(String(format: "import: %@ rows in %.1f s = %@ rows/s (inserted %@, duplicates %@, errors %@); peak RSS during import %d MiB",
                     NumberFormat.grouped(report.totalRows), importSeconds, NumberFormat.grouped(Int(importRate)),
                     NumberFormat.grouped(report.inserted), NumberFormat.grouped(report.duplicates), NumberFormat.grouped(report.failed), peakRSS))

        // 3. The raw rate: sqlite3's own .import of the same file into a bare table.
        if let rawSeconds = try BenchEnvironment.sqlite3Import(csv: csvPath, into: rawPath, setup: []) {
            let rawRate = Double(report.totalRows) / rawSeconds
            print(String(format: "sqlite3 .import (bare table, no validation or indexes): %.1f s = %@ rows/s; ratio ours/raw = %.2f (goal ≥ 0.50)",
                         rawSeconds, NumberFormat.grouped(Int(rawRate)), importRate / rawRate))
            // The same file into a table carrying indexes like ours: what the indexes alone cost SQLite.
            let indexedSetup = ["CREATE TABLE raw(" + ResidentExport.header.map { "\($0) TEXT" }.joined(separator: ",") + ")",
                                "CREATE UNIQUE INDEX r1 ON raw(so_dinh_danh)", "CREATE INDEX r2 ON raw(ma_phuong, ho_ten)", "CREATE INDEX r3 ON raw(ho_ten, ngay_sinh)",
                                "CREATE INDEX r4 ON raw(ma_ho)", "CREATE INDEX r5 ON raw(so_dien_thoai)", "CREATE INDEX r6 ON raw(cmnd)"]
            if let indexedSeconds = try BenchEnvironment.sqlite3Import(csv: csvPath, into: "\(directory)/raw-indexed.sqlite", setup: indexedSetup, skipHeader: true) {
                let indexedRate = Double(report.totalRows) / indexedSeconds
                print(String(format: "sqlite3 .import into a table with 6 indexes like ours: %.1f s = %@ rows/s; ratio ours/indexed raw = %.2f",
                             indexedSeconds, NumberFormat.grouped(Int(indexedRate)), importRate / indexedRate))
            }
        }

        // 4. Searches as the city, through the same query function the pages use.
        let scope = try await Scope.of(city, directory: services.directory)
        let sample = try await services.database.read { db in
            try await db.raw("SELECT full_name, citizen_id FROM persons WHERE citizen_id IS NOT NULL ORDER BY id LIMIT 400").all()
        }
        for row in sample {
            sampleNames.append(try row.decode(column: "full_name", as: String.self))
            sampleIDs.append(try row.decode(column: "citizen_id", as: String.self))
        }
        // Typed without diacritics, as users do.
        let nameQueries = sampleNames.map { VietnameseText.fold($0) }
        let nameTimes = try await time(nameQueries) { q in _ = try await services.database.read { try await PersonQueries.search($0, query: q, scope: scope) } }
        let idTimes = try await time(sampleIDs) { q in _ = try await services.database.read { try await PersonQueries.search($0, query: q, scope: scope) } }
        let familyOnly = Array(Set(sampleNames.map { VietnameseText.fold(String($0.split(separator: " ").first ?? "")) })).sorted()
        let familyTimes = try await time(Array(repeating: familyOnly, count: max(1, 200 / max(familyOnly.count, 1))).flatMap { $0 }) { q in
            _ = try await services.database.read { try await PersonQueries.search($0, query: q, scope: scope) }
        }
        print("search by full name, no diacritics (\(nameTimes.count) queries): \(Self.summary(nameTimes)) (goal p95 < 20 ms)")
        print("search by family name only, e.g. 'nguyen' (\(familyTimes.count) queries): \(Self.summary(familyTimes))")
        // What people type first: family and middle name ("nguyen van"), matching tens of thousands.
        let twoWords = sampleNames.map { VietnameseText.fold($0).split(separator: " ").prefix(2).joined(separator: " ") }
        let twoWordTimes = try await time(twoWords) { q in _ = try await services.database.read { try await PersonQueries.search($0, query: q, scope: scope) } }
        print("search by family + middle name, e.g. 'nguyen van' (\(twoWordTimes.count) queries): \(Self.summary(twoWordTimes))")
        print("search by citizen ID (\(idTimes.count) queries): \(Self.summary(idTimes)) (goal p95 < 20 ms)")

        // 5. The list page over HTTP, signed in as a ward officer and as the city.
        let app = buildApplication(services)
        let serverTask = Task { try await app.runService() }
        defer { serverTask.cancel() }
        let base = "http://127.0.0.1:\(settings.port)"
        try await Self.waitForServer(base)
        // Requests alternate between the users, so drift in machine load falls on all of them alike.
        var requests: [(String, URLRequest)] = []
        for username in ["bench.ward", "bench.district", "bench.city"] {
            guard case .success(let token, _) = try await services.auth.login(username: username, password: password) else { continue }
            guard let url = URL(string: "\(base)/people") else { continue }
            var request = URLRequest(url: url)
            request.setValue("\(SessionCookie.name)=\(token)", forHTTPHeaderField: "Cookie")
            requests.append((username, request))
        }
        var pageTimes: [String: [Double]] = [:]
        for round in 0..<320 {
            for (username, request) in requests {
                let start = DispatchTime.now().uptimeNanoseconds
                let (data, response) = try await URLSession.shared.data(for: request)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                guard (response as? HTTPURLResponse)?.statusCode == 200, data.count > 1000 else {
                    throw AppError(.internalServerError, code: "bench_page", vi: "Trang danh sách lỗi cho \(username).", en: "List page failed for \(username).")
                }
                if round >= 20 { pageTimes[username, default: []].append(ms) }
            }
        }
        let wardP95 = Self.percentile(pageTimes["bench.ward"] ?? [], 0.95)
        let cityP95 = Self.percentile(pageTimes["bench.city"] ?? [], 0.95)
        print("person list page, ward officer (Minh Khai): \(Self.summary(pageTimes["bench.ward"] ?? []))")
        print("person list page, district (Hai Bà Trưng): \(Self.summary(pageTimes["bench.district"] ?? []))")
        print("person list page, city: \(Self.summary(pageTimes["bench.city"] ?? []))")
        print(String(format: "ward/city p95 ratio = %.2f (goal ≤ 1.00: scoped never slower than city-wide)", wardP95 / max(cityP95, 0.001)))

        // 6. A ward officer opens a person's page (a read and an audit row, so it needs SQLite's one
        //    writer) while another import of the same size runs with the product's own batch size.
        try await measurePersonPageDuringImport(services: services, base: base, wards: wards, city: city)
        serverTask.cancel()
        _ = await serverTask.result
        await services.database.shutdown()
    }

    private func measurePersonPageDuringImport(services: AppServices, base: String, wards: [UnitRecord], city: CurrentUser) async throws {
        let fm = FileManager.default
        let csvPath = "\(directory)/persons-\(persons)-second.csv"
        if !fm.fileExists(atPath: csvPath) {
            // Other serials than the first file, so every row is a new person to write.
            var generator = PopulationGenerator(seed: 43, referenceDate: CivilDate(dayNumber: CivilDate.september1st2021), firstSerial: 500_000)
            fm.createFile(atPath: csvPath, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: csvPath))
            var chunk = CSVWriter.row(ResidentExport.header)
            for i in 0..<persons {
                let ward = wards[i % wards.count]
                let p = generator.next(wardName: ward.name)
                chunk += CSVWriter.row([p.fullName, p.sex.labelVI, p.birthDate.vietnamese, p.citizenID.digits, "", p.phone?.national ?? "", p.address,
                                        ward.code, "", p.householdCode, p.residenceStatus.labelVI, p.residenceStatus == .permanent ? "" : "31/12/2021"])
                if chunk.utf8.count > 1 << 20 { handle.write(Data(chunk.utf8)); chunk = "" }
            }
            handle.write(Data(chunk.utf8))
            try handle.close()
        }
        let csv = Array(try Data(contentsOf: URL(fileURLWithPath: csvPath)))
        guard let firstWard = try await services.directory.unit(wards[0].path),
              let personID = try await services.database.read({ try await $0.raw("SELECT id FROM persons WHERE unit_path = '01/007/00295' LIMIT 1").first() })?
                .decode(column: "id", as: String.self),
              case .success(let token, _) = try await services.auth.login(username: "bench.ward", password: BenchEnvironment.password),
              let url = URL(string: "\(base)/people/\(personID)") else { return }
        var request = URLRequest(url: url)
        request.setValue("\(SessionCookie.name)=\(token)", forHTTPHeaderField: "Cookie")
        let importer = ResidentImporter(services: services)
        let started = Date()
        let done = NIOLockedValueBox(false)
        let importTask = Task {
            defer { done.withLockedValue { $0 = true } }
            return try await importer.run(bytes: csv, filename: csvPath, ward: firstWard, user: city)
        }
        var times: [Double] = []
        var failures = 0
        // Requests back to back, as an officer clicking through would make them, for as long as the import runs.
        while !done.withLockedValue({ $0 }) {
            let start = DispatchTime.now().uptimeNanoseconds
            let (_, response) = try await URLSession.shared.data(for: request)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if (response as? HTTPURLResponse)?.statusCode != 200 { failures += 1 }
        }
        let report = try await importTask.value
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "import of %@ more rows with the product's batch size: %.1f s = %@ rows/s, meanwhile %d person-page views",
                     NumberFormat.grouped(report.inserted), seconds, NumberFormat.grouped(Int(Double(report.inserted) / seconds)), times.count))
        print(String(format: "person page during that import: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors (goal p99 < 100 ms)",
                     Self.percentile(times, 0.5), Self.percentile(times, 0.95), Self.percentile(times, 0.99), times.max() ?? 0, failures))
    }

    static func waitForServer(_ base: String, path: String = "/health") async throws {
        for _ in 0..<100 {
            if let url = URL(string: base + path), let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AppError(.internalServerError, code: "bench_server", vi: "Máy chủ benchmark không khởi động.", en: "The benchmark server did not start.")
    }

    private func time(_ inputs: [String], _ body: (String) async throws -> Void) async throws -> [Double] {
        for q in inputs.prefix(20) { try await body(q) }
        var times: [Double] = []
        for q in inputs {
            let start = DispatchTime.now().uptimeNanoseconds
            try await body(q)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func summary(_ values: [Double]) -> String {
        String(format: "p50 %.2f ms, p95 %.2f ms, max %.2f ms", percentile(values, 0.5), percentile(values, 0.95), values.max() ?? 0)
    }
}

/// What every benchmark starts from: a fresh SQLite file in its working directory, Hanoi's units, and
/// a city, a district (Hai Bà Trưng) and a ward (Minh Khai) account: `bench.city`, `bench.district`,
/// `bench.ward`, password `BenchEnvironment.password`.
enum BenchEnvironment {
    static let password = "bench-password"

    static func start(directory: String, file: String, basePort: Int, adjust: (inout Settings) -> Void = { _ in }) async throws -> (services: AppServices, settings: Settings) {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dbPath = "\(directory)/\(file)"
        for path in [dbPath, dbPath + "-wal", dbPath + "-shm"] { try? fm.removeItem(atPath: path) }
        var settings = Settings(database: .sqliteFile(dbPath), port: basePort + Int.random(in: 0..<300))
        settings.bcryptCost = 10
        adjust(&settings)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let services = try await AppServices.start(settings: settings, logger: logger)
        do {
            try await HanoiSeed.seed(services.database)
            try await services.directory.reload()
            let admin = UserAdmin(services: services)
            for (name, role, unit) in [("bench.city", Role.cityCommand, "01"), ("bench.district", .districtCommand, "01/007"), ("bench.ward", .wardCommand, "01/007/00295")] {
                try await admin.create(username: name, displayName: name, role: role, unit: unit, password: password, creator: nil)
            }
        } catch {
            await services.database.shutdown()
            throw error
        }
        return (services, settings)
    }

    /// Runs this executable again with `arguments` (a bench client, so its work is not scheduled beside the
    /// server's) and decodes the last `RESULT {json}` line it prints.
    static func secondProcess<Report: Decodable>(_ arguments: [String], decoding: Report.Type) async throws -> Report {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }),
              let report = try? JSONDecoder().decode(Report.self, from: Data(line.dropFirst("RESULT ".count).utf8)) else {
            throw AppError(.internalServerError, code: "bench_client", vi: "Tiến trình benchmark thứ hai lỗi (mã \(status)).",
                           en: "The benchmark's second process (\(arguments.prefix(2).joined(separator: " "))) failed (status \(status)): \(text.suffix(500))")
        }
        return report
    }

    /// The paths of the city's lowest administrative units (Hanoi's 579 wards and communes), in order.
    static func wards(_ services: AppServices) async -> [String] {
        var out: [String] = []
        for unit in await services.directory.all().sorted(by: { $0.path < $1.path }) where !unit.isGroup {
            if await services.directory.isLowestAdministrative(unit.path) { out.append(unit.path) }
        }
        return out
    }

    /// The sqlite3 command-line shell, when installed.
    static var sqlite3: String? {
        ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: FileManager.default.isExecutableFile(atPath:))
    }

    /// Seconds sqlite3's own `.import` takes to load a CSV into table `raw` of a fresh database file (WAL),
    /// after the `setup` statements (a CREATE TABLE and indexes; without one, sqlite3 makes a bare table
    /// from the header). Nil, with a line saying why, when the sqlite3 CLI is missing or fails.
    static func sqlite3Import(csv: String, into database: String, setup: [String], skipHeader: Bool = false) throws -> Double? {
        let fm = FileManager.default
        guard let sqlite3 else {
            print("sqlite3 CLI not found (apt-get install sqlite3): raw-import ratio not measured")
            return nil
        }
        for path in [database, database + "-wal", database + "-shm"] { try? fm.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqlite3)
        process.arguments = [database, "-cmd", "PRAGMA journal_mode=WAL"] + setup + [".mode csv", ".import \(skipHeader ? "--skip 1 " : "")\(csv) raw"]
        process.standardOutput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        guard process.terminationStatus == 0 else {
            print("sqlite3 .import of \(csv) exited with status \(process.terminationStatus): raw-import ratio not measured")
            return nil
        }
        return seconds
    }
}

/// Peak resident memory of this process, from /proc (Linux).
enum Memory {
    /// Writing 5 to clear_refs resets VmHWM, so the peak covers only what follows.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func peakMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb / 1024
        }
        return -1
    }
}
