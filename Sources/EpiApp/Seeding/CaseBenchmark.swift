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

/// `epicommand bench cases`: the epidemiological core at city scale, on SQLite, in one run.
/// Figures are printed with their goals, never asserted.
package struct CaseBenchmark: Sendable {
    let persons: Int
    let exposures: Int
    let districtCases: Int
    let directory: String

    package init(persons: Int, exposures: Int, districtCases: Int, directory: String) {
        self.persons = persons
        self.exposures = exposures
        self.districtCases = districtCases
        self.directory = directory
    }

    package func run() async throws {
        print("EpiCommand bench cases — \(NumberFormat.grouped(persons)) people, \(NumberFormat.grouped(exposures)) exposures, \(NumberFormat.grouped(districtCases)) cases in one district; SQLite (WAL), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let (services, settings) = try await BenchEnvironment.start(directory: directory, file: "cases.sqlite", basePort: 18_600)
        do {
            try await measure(services, settings: settings)
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }

    private func measure(_ services: AppServices, settings: Settings) async throws {
        let db = services.database
        let password = BenchEnvironment.password
        let city = try await CLIImport.user(services, username: "bench.city")
        let districtUser = try await CLIImport.user(services, username: "bench.district")
        // The data is dated June to September 2021: levels are judged as of 30 September 2021.
        let benchToday = CivilDate(dayNumber: CivilDate.september1st2021 + 29)
        try await db.transaction { try await SimulatedDay.set($0, benchToday) }

        // 1. People: most spread over the city, a denser Hai Bà Trưng to hold its 100,000 cases.
        var t = Date()
        let inDistrict = min(persons / 6, max(districtCases + districtCases / 2, 0))
        _ = try await SyntheticPopulation.generate(services, count: persons - inDistrict, seed: 11) { _ in }
        _ = try await SyntheticPopulation.generate(services, count: inDistrict, seed: 12, under: ["01/007"], firstSerial: 500_000) { _ in }
        print(String(format: "people: %@ in %.0f s", NumberFormat.grouped(persons), Date().timeIntervalSince(t)))
        try await db.transaction { db in
            for ward in await services.directory.all() where !ward.isGroup && ward.depth == 3 {
                let n = 6_000 + (Int(ward.code) ?? 0) * 7919 % 16_000
                try await db.raw("UPDATE units SET population = \(bind: n) WHERE path = \(bind: ward.path)").run()
            }
        }
        try await services.directory.reload()

        // 2. Exposures: contacts live near each other, so edges join people of the same ward.
        t = Date()
        let people = try await db.read { db in try await db.raw("SELECT id, unit_path FROM persons ORDER BY unit_path, id").all() }
        let ids = try people.map { try $0.decode(column: "id", as: String.self) }
        let wardOf = try people.map { try $0.decode(column: "unit_path", as: String.self) }
        var ranges: [String: Range<Int>] = [:]
        var start = 0
        for i in 1...ids.count where i == ids.count || wardOf[i] != wardOf[start] {
            ranges[wardOf[start]] = start..<i
            start = i
        }
        var rng = SplitMixDemo(seed: 99)
        let firstDay = CivilDate(dayNumber: CivilDate.september1st2021 - 92)
        let now = Timestamp.now()
        var made = 0
        var seen = Set<String>()
        while made < exposures {
            var rows: [[any Encodable & Sendable]] = []
            while rows.count < 20_000 && made + rows.count < exposures {
                let a = Int(rng.next() % UInt64(ids.count))
                guard let range = ranges[wardOf[a]] else { continue }
                let b = range.lowerBound + Int(rng.next() % UInt64(range.count))
                guard a != b else { continue }
                let day = firstDay.adding(days: Int(rng.next() % 120)).iso
                let key = ExposureRecord.pairKey(ids[a], ids[b], day: day)
                guard seen.insert(key).inserted else { continue }
                rows.append([Identifier.make(), ids[a], ids[b], day, "household", "close", "", key, nil as String?, wardOf[a], "bench", now])
            }
            let batch = rows
            try await db.transaction { db in
                for s in stride(from: 0, to: batch.count, by: 1000) {
                    var builder = db.insert(into: "exposures").columns("id", "source_id", "contact_id", "day", "setting", "closeness", "note", "pair_key", "case_id", "unit_path", "created_by", "created_at")
                    for r in batch[s..<min(s + 1000, batch.count)] { builder = builder.values(r) }
                    try await builder.run()
                }
            }
            made += batch.count
        }
        seen = []
        print(String(format: "exposures: %@ in %.0f s", NumberFormat.grouped(made), Date().timeIntervalSince(t)))

        // 3. Cases: 100,000 in Hai Bà Trưng over 120 days (most recovered), a tenth of that elsewhere.
        t = Date()
        let district = try UnitPath("01/007")
        let districtIdx = ids.indices.filter { district.contains((try? UnitPath(wardOf[$0])) ?? district) && wardOf[$0].hasPrefix("01/007/") }
        let otherIdx = ids.indices.filter { !wardOf[$0].hasPrefix("01/007/") }
        var caseRows: [CaseRecord] = []
        func addCase(_ i: Int, _ n: Int) {
            let confirmed = firstDay.adding(days: Int(rng.next() % 120))
            let recovered = rng.next() % 20 != 0
            caseRows.append(CaseRecord(id: Identifier.make(), caseNumber: Sequences.caseNumber(n), personId: ids[i], unitPath: wardOf[i], groupCode: "",
                                       confirmedOn: confirmed.iso, sampledOn: nil, testType: "rt_pcr", testPlace: "", detectedIn: rng.next() % 3 == 0 ? "quarantine" : "community",
                                       symptomOnset: nil, symptoms: "", clinicalStatus: "mild", careSetting: "home", facilityId: nil,
                                       outcome: recovered ? "recovered" : "active", outcomeOn: recovered ? confirmed.adding(days: 10).iso : nil, clusterId: nil, notes: "",
                                       createdBy: "bench", createdAt: now, updatedAt: now, version: 1))
        }
        var shuffled = districtIdx
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for (n, i) in shuffled.prefix(districtCases).enumerated() { addCase(i, n + 1) }
        for n in 0..<(districtCases / 10) where !otherIdx.isEmpty { addCase(otherIdx[Int(rng.next() % UInt64(otherIdx.count))], districtCases + n + 1) }
        let counts = caseRows.reduce(into: [Counters.Change: Int]()) { all, c in all.merge(c.counterContributions) { $0 + $1 } }
        let allCases = caseRows
        try await db.transaction { db in
            for s in stride(from: 0, to: allCases.count, by: 500) {
                for c in allCases[s..<min(s + 500, allCases.count)] { try await CaseService.insertCase(db, c) }
            }
            try await Counters.apply(db, counts)
            try await db.raw("INSERT INTO sequences (name, value) VALUES ('case', \(bind: allCases.count))").run()
        }
        try await db.analyze()
        print(String(format: "cases: %@ in %.0f s", NumberFormat.grouped(allCases.count), Date().timeIntervalSince(t)))

        // 3b. Quarantine episodes: a tenth of the people had one (most released), some of them a second,
        //     later one, so levels are judged against every episode, not only the latest.
        t = Date()
        var episodeRows: [[any Encodable & Sendable]] = []
        for i in stride(from: 0, to: ids.count, by: 10) {
            let start = firstDay.adding(days: Int(rng.next() % 100))
            let released = rng.next() % 4 != 0
            episodeRows.append([Identifier.make(), ids[i], "quarantine", "f1", "home", nil as String?, wardOf[i], "", start.iso, start.adding(days: 13).iso,
                                start.adding(days: 13).iso, 0, "seed-2021-07-14-f1-home", released ? "released" : "active", released ? start.adding(days: 13).iso : nil as String?,
                                "", "bench", now, now, 1])
            if released && rng.next() % 3 == 0 {
                let later = start.adding(days: 20 + Int(rng.next() % 20))
                episodeRows.append([Identifier.make(), ids[i], "quarantine", "f1", "home", nil as String?, wardOf[i], "", later.iso, later.adding(days: 13).iso,
                                    later.adding(days: 13).iso, 0, "seed-2021-07-14-f1-home", "active", nil as String?, "", "bench", now, now, 1])
            }
        }
        let allEpisodes = episodeRows
        try await db.transaction { db in
            for s in stride(from: 0, to: allEpisodes.count, by: 1000) {
                var builder = db.insert(into: "episodes").columns(EpisodeRecord.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                for r in allEpisodes[s..<min(s + 1000, allEpisodes.count)] { builder = builder.values(r) }
                try await builder.run()
            }
        }
        print(String(format: "quarantine episodes: %@ in %.0f s", NumberFormat.grouped(allEpisodes.count), Date().timeIntervalSince(t)))

        // 4. Every level once, from scratch.
        t = Date()
        let full = try await db.transaction { try await ContactLevelService.recomputeAll($0) }
        let levelCounts = try await db.read { try await $0.raw("SELECT level, COUNT(*) AS n FROM contact_levels GROUP BY level ORDER BY level").all() }
        let summary = try levelCounts.map { "F\(try $0.decode(column: "level", as: Int.self)): \(NumberFormat.grouped(try $0.decode(column: "n", as: Int.self)))" }.joined(separator: ", ")
        print(String(format: "full F-level derivation: %.1f s over %@ people reached (%@)", Date().timeIntervalSince(t), NumberFormat.grouped(full.regionSize), summary))
        try await db.analyze()

        // 5. A new F0, then the same F0 ruled out: the local recomputation, and the whole write through CaseService.
        let service = CaseService(services: services)
        let cityScope = try await Scope.of(city, directory: services.directory)
        var recomputeNew: [Double] = [], recordNew: [Double] = [], ruleOut: [Double] = [], regions: [Int] = []
        let caseIDs = Set(allCases.map(\.personId))
        var samples: [Int] = []
        while samples.count < 220 {
            let i = Int(rng.next() % UInt64(ids.count))
            if !caseIDs.contains(ids[i]) { samples.append(i) }
        }
        for (n, i) in samples.enumerated() {
            // The recomputation alone, as a transaction that is rolled back afterwards.
            let startRecompute = DispatchTime.now().uptimeNanoseconds
            var region = 0
            do {
                try await db.transaction { db in
                try await CaseService.insertCase(db, CaseRecord(id: Identifier.make(), caseNumber: "B-\(n)", personId: ids[i], unitPath: wardOf[i], groupCode: "",
                                                                confirmedOn: "2021-09-25", sampledOn: nil, testType: "rt_pcr", testPlace: "", detectedIn: "community",
                                                                symptomOnset: nil, symptoms: "", clinicalStatus: "mild", careSetting: "home", facilityId: nil, outcome: "active",
                                                                outcomeOn: nil, clusterId: nil, notes: "", createdBy: "bench", createdAt: now, updatedAt: now, version: 1))
                let outcome = try await ContactLevelService.recompute(db, around: [ids[i]])
                throw RolledBack(region: outcome.regionSize)
                }
            } catch let rolled as RolledBack { region = rolled.region }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - startRecompute) / 1e6
            if n >= 20 { recomputeNew.append(elapsed) }
            regions.append(region)
            // The real write: validation, case number, counters, tracing task, audit and levels, committed.
            let s1 = DispatchTime.now().uptimeNanoseconds
            let recorded = try await service.record(CaseInput(personId: ids[i], confirmedOn: "2021-09-25", detectedIn: "community"), user: city, scope: cityScope, key: nil, language: .vi)
            let s2 = DispatchTime.now().uptimeNanoseconds
            _ = try await service.update(caseID: recorded.caseRecord.id, CaseUpdate(outcome: "ruled_out", outcomeOn: "2021-09-26"), user: city, scope: cityScope, language: .vi)
            let s3 = DispatchTime.now().uptimeNanoseconds
            if n >= 20 {
                recordNew.append(Double(s2 - s1) / 1e6)
                ruleOut.append(Double(s3 - s2) / 1e6)
            }
        }
        let regionSorted = regions.sorted()
        print("levels after a new F0, local recomputation only (\(recomputeNew.count) cases; region p50 \(regionSorted[regionSorted.count / 2]) people): \(Benchmark.summary(recomputeNew)) (goal p95 < 50 ms)")
        print("recording a new F0 end to end (case, tracing task, counters, audit, levels): \(Benchmark.summary(recordNew))")
        print("ruling that F0 out end to end (levels below it recomputed): \(Benchmark.summary(ruleOut)) (goal p95 < 50 ms)")
        // 5b. Tracing as a ward does it: F1s' own contacts recorded through the service (new F2s), then
        //     some of those F1s turn positive (promoted: their F2s become F1s).
        let contactService = PersonContactService(services: services)
        let f1Rows = try await db.read { try await $0.raw("SELECT l.person_id, l.since FROM contact_levels l WHERE l.level = 1 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = l.person_id) ORDER BY l.person_id LIMIT 120").all() }
        var f2Times: [Double] = [], promoteTimes: [Double] = []
        var f2Added = 0
        for (n, row) in f1Rows.enumerated() {
            let personID = try row.decode(column: "person_id", as: String.self)
            let since = try CivilDate.stored(try row.decode(column: "since", as: String.self))
            // Days stay on or before the bench's simulated today: the service refuses dates in the future.
            let contactDay = min(since.adding(days: 1), benchToday)
            let contacts = (0..<3).map { k in
                ContactInput(fullName: "Người tiếp xúc \(n)-\(k)", phone: String(format: "09%08d", 10_000_000 + n * 3 + k), setting: "workplace", day: contactDay.iso)
            }
            let s1 = DispatchTime.now().uptimeNanoseconds
            f2Added += try await contactService.add(personID: personID, contacts, user: city, scope: cityScope, key: nil, language: .vi)
            f2Times.append(Double(DispatchTime.now().uptimeNanoseconds - s1) / 1e6)
            if n % 2 == 0 {
                let s2 = DispatchTime.now().uptimeNanoseconds
                _ = try await service.record(CaseInput(personId: personID, confirmedOn: min(since.adding(days: 6), benchToday).iso,
                                                                       sampledOn: min(since.adding(days: 5), benchToday).iso, detectedIn: "quarantine"),
                                             user: city, scope: cityScope, key: nil, language: .vi)
                promoteTimes.append(Double(DispatchTime.now().uptimeNanoseconds - s2) / 1e6)
            }
        }
        print("F1s' contacts recorded through the service (\(f1Rows.count) F1s × 3, \(f2Added) exposures): \(Benchmark.summary(f2Times)) (goal p95 < 50 ms)")
        print("F1s recorded as positive, their F2s promoted (\(promoteTimes.count)): \(Benchmark.summary(promoteTimes))")
        let check = try await db.transaction { try await ContactLevelService.recomputeAll($0) }
        print("full recomputation after \(samples.count * 2 + f2Times.count + promoteTimes.count) incremental updates (with several episodes per person, F2s recorded through the service and promoted F1s) changed \(check.changed.count) levels (0 = the incremental path kept them exact)")

        // 6. The case list page for the district (100,000 cases) and a ward, over HTTP, walking pages with the cursor.
        let app = buildApplication(services)
        let serverTask = Task { try await app.runService() }
        defer { serverTask.cancel() }
        let base = "http://127.0.0.1:\(settings.port)"
        try await Benchmark.waitForServer(base)
        var cookies: [String: String] = [:]
        for username in ["bench.ward", "bench.district", "bench.city"] {
            guard case .success(let token, _) = try await services.auth.login(username: username, password: password) else { continue }
            cookies[username] = "\(SessionCookie.name)=\(token)"
        }
        var pageTimes: [String: [Double]] = [:]
        for username in ["bench.ward", "bench.district", "bench.city"] {
            var next: String? = "/cases?outcome=all"
            var pages = 0
            while pages < 220 {
                guard let url = URL(string: base + (next ?? "/cases?outcome=all")) else { break }
                var request = URLRequest(url: url)
                request.setValue(cookies[username], forHTTPHeaderField: "Cookie")
                let s = DispatchTime.now().uptimeNanoseconds
                let (data, response) = try await URLSession.shared.data(for: request)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6
                guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                    throw AppError(.internalServerError, code: "bench_page", vi: "Trang ca bệnh lỗi.", en: "Case list failed for \(username).")
                }
                if pages >= 20 { pageTimes[username, default: []].append(ms) }
                let html = String(decoding: data, as: UTF8.self)
                next = html.components(separatedBy: "id=\"next-page\" href=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&") }
                pages += 1
            }
        }
        print("case list page, district with \(NumberFormat.grouped(districtCases)) cases, pages 21–220 by cursor: \(Benchmark.summary(pageTimes["bench.district"] ?? [])) (goal p95 < 100 ms)")
        print("case list page, ward: \(Benchmark.summary(pageTimes["bench.ward"] ?? []))")
        print("case list page, city: \(Benchmark.summary(pageTimes["bench.city"] ?? []))")
        serverTask.cancel()
        _ = await serverTask.result

        // 7. Weekly risk levels for all 579 wards, 30 districts and the city.
        let risk = RiskService(services: services)
        var riskTimes: [Double] = []
        var assessed = 0
        for (n, week) in ["2021-W30", "2021-W32", "2021-W34", "2021-W36", "2021-W38", "2021-W30", "2021-W32", "2021-W34", "2021-W36", "2021-W38", "2021-W37", "2021-W35"].enumerated() {
            let s = DispatchTime.now().uptimeNanoseconds
            let computed = try await risk.compute(week: week, root: try UnitPath("01"), user: city)
            if n >= 2 { riskTimes.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6) }
            assessed = computed.rows.count
        }
        print("risk levels for one week, \(assessed) units (579 wards, 30 districts, city), computed and stored: \(Benchmark.summary(riskTimes)) (goal < 1000 ms)")
        _ = districtUser
    }
}

/// Ends a measuring transaction without keeping its writes.
private struct RolledBack: Error {
    let region: Int
}
