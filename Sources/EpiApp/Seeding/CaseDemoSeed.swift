import EpiCore
import EpiPlatform
import EpiRegistry
import EpiReporting
import EpiTracing
import Foundation
import SQLKit

/// Demo epidemic for `serve --demo`: ward populations and coverage, facilities, a few weeks of
/// F0 cases with contacts, quarantines, a lockdown around ngõ Hòa Bình 2 and 4, a cluster and
/// weekly risk levels. Everything goes through the same services the pages use.
enum CaseDemoSeed {
    static func seed(_ services: AppServices, log: (String) -> Void) async throws {
        let db = services.database
        let directory = services.directory
        let today = Clock.today()
        let city = try await CLIImport.user(services, username: "tp.chihuy")
        let district = try await CLIImport.user(services, username: "q.haibatrung")
        let minhKhai = try await CLIImport.user(services, username: "p.minhkhai")
        let bachMai = try await CLIImport.user(services, username: "p.bachmai")

        // Populations: demo figures around Hanoi's 2019 census average (~14,000 per ward), not official data.
        let wards = await directory.all().filter { !$0.isGroup && $0.depth == 3 }.sorted { $0.path < $1.path }
        try await db.transaction { db in
            for ward in wards {
                let n = 6_000 + (Int(ward.code) ?? 0) * 7919 % 16_000
                try await db.raw("UPDATE units SET population = \(bind: n) WHERE path = \(bind: ward.path)").run()
            }
            try await db.raw("""
                UPDATE units SET population = (SELECT SUM(w.population) FROM units w WHERE w.parent_path = units.path) WHERE depth = 2
                """).run()
            try await RiskService.setIndicator(db, unit: "01", .adultsFirstDose, asOf: today.adding(days: -60), value: 96, reason: "Số liệu của hệ thống tiêm chủng quốc gia", user: city)
            try await RiskService.setIndicator(db, unit: "01", .over50Full, asOf: today.adding(days: -60), value: 87, reason: "Số liệu của hệ thống tiêm chủng quốc gia", user: city)
            try await RiskService.setIndicator(db, unit: "01/007/00286", .over50Full, asOf: today.adding(days: -30), value: 72, reason: "Phường báo cáo theo danh sách tiêm", user: city)
        }
        try await directory.reload()

        // Facilities.
        let routes = QuarantineRoutes(services: services)
        var facilities: [FacilityRecord] = []
        for (name, unit, capacity) in [("Khu cách ly KTX Đại học Bách khoa", "01/007", 500), ("Khu cách ly Trường Cao đẳng Y tế Hà Đông", "01/007", 60),
                                       ("Bệnh viện dã chiến Long Biên", "01/004", 300)] {
            let f = FacilityRecord(id: Identifier.make(), name: name, kind: name.hasPrefix("Bệnh viện") ? "field_hospital" : "quarantine", unitPath: unit, groupCode: "",
                                   address: "", capacity: capacity, occupancy: 0, active: true, createdAt: Timestamp.now(), updatedAt: Timestamp.now(), version: 1)
            try await db.transaction { db in
                try await db.raw("""
                    INSERT INTO facilities (\(unsafeRaw: FacilityRecord.columns)) VALUES (\(bind: f.id), \(bind: f.name), \(bind: f.kind), \(bind: f.unitPath), '', '',
                    \(bind: f.capacity), 0, \(bind: true), \(bind: f.createdAt), \(bind: f.updatedAt), 1)
                    """).run()
            }
            facilities.append(f)
        }
        _ = routes

        // Cases over the last three weeks, with household and workplace contacts from the registry.
        let cases = CaseService(services: services)
        let quarantine = QuarantineService(services: services)
        var rng = SplitMixDemo(seed: 2021)
        func residents(_ ward: String, _ n: Int) async throws -> [PersonRecord] {
            try await db.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE unit_path = \(bind: ward) AND merged_into IS NULL ORDER BY id LIMIT \(literal: n)") }
        }
        let mkPeople = try await residents("01/007/00295", 400)
        let bmPeople = try await residents("01/007/00286", 400)
        let nam = try await db.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE citizen_id = '001085012345'").first }
        var recorded: [CaseRecord] = []
        var used = Set<String>()
        func pick(_ pool: [PersonRecord]) -> PersonRecord? {
            for _ in 0..<50 {
                let p = pool[Int(rng.next() % UInt64(pool.count))]
                if used.insert(p.id).inserted { return p }
            }
            return nil
        }
        let plan: [(PersonRecord?, CurrentUser, [PersonRecord], Int)] = [(nam, minhKhai, mkPeople, 20)]
            + [18, 16, 14, 12, 10, 8, 6, 5, 3, 2, 1, 0].map { (nil, minhKhai, mkPeople, $0) } + [15, 12, 9, 6, 2, 1].map { (nil, bachMai, bmPeople, $0) }
        for (fixed, user, pool, daysAgo) in plan where !pool.isEmpty {
            guard let person = fixed ?? pick(pool) else { continue }
            used.insert(person.id)
            let confirmed = today.adding(days: -daysAgo)
            var contacts: [ContactInput] = []
            for _ in 0..<(2 + Int(rng.next() % 4)) {
                guard let c = pick(pool) else { break }
                contacts.append(ContactInput(personId: c.id, setting: ["household", "workplace", "market"][Int(rng.next() % 3)], day: confirmed.adding(days: -1).iso))
            }
            let input = CaseInput(personId: person.id, confirmedOn: confirmed.iso, sampledOn: confirmed.adding(days: -1).iso, testType: "rt_pcr",
                                  detectedIn: rng.next() % 4 == 0 ? "quarantine" : "community", clinicalStatus: ["asymptomatic", "mild", "mild", "moderate"][Int(rng.next() % 4)],
                                  careSetting: rng.next() % 3 == 0 ? "facility" : "home", facilityId: nil, contacts: contacts)
            var adjusted = input
            if adjusted.careSetting == "facility" { adjusted.facilityId = facilities[2].id }
            let scope = try await Scope.of(user, directory: directory)
            let made = try await cases.record(adjusted, user: user, scope: scope, key: nil, language: .vi)
            recorded.append(made.caseRecord)
            // One contact of each case met a neighbour the next day, before any quarantine: an F2, recorded
            // the way a ward records an F1's contacts.
            if let first = contacts.first?.personId, try await db.read({ try await CaseQueries.level($0, personID: first) }) != nil, let neighbour = pick(pool) {
                _ = try await PersonContactService(services: services).add(personID: first, [ContactInput(personId: neighbour.id, setting: "market", day: confirmed.iso)],
                                                                           user: user, scope: scope, key: nil, language: .vi)
            }
            // Contacts of the older cases went into quarantine; some have finished it.
            if daysAgo >= 6 {
                let exposures = try await db.read { try await CaseQueries.exposures($0, caseID: made.caseRecord.id) }
                for (i, x) in exposures.enumerated() {
                    let inFacility = i == 0 && daysAgo % 2 == 0
                    let episode = try await quarantine.start(.init(personId: x.contactId, subject: "f1", setting: inFacility ? "facility" : "home",
                                                                   facilityId: inFacility ? facilities[0].id : nil, startDate: confirmed.iso, note: ""),
                                                             user: user, scope: scope, key: nil, language: .vi)
                    if daysAgo >= 15 {
                        _ = try await quarantine.release(episodeID: episode.id, on: CivilDate(iso: episode.plannedEnd).map { min($0, today) }, outcome: "released", note: "",
                                                         returnHome: inFacility, user: user, scope: scope, language: .vi)
                    }
                }
            }
            if daysAgo >= 3 { try await db.transaction { try await TracingService.close($0, caseID: made.caseRecord.id, note: "Đã liên hệ đủ", user: user) } }
        }
        // Tracing deadlines as they fell: a day after each confirmation, so the latest ones show as open or overdue.
        let allRecorded = recorded
        try await db.transaction { db in
            for record in allRecorded {
                let opened = VietnamTime.instant((try CivilDate.stored(record.confirmedOn)), hour: 9)
                try await db.raw("""
                    UPDATE tracing_tasks SET opened_at = \(bind: Timestamp.string(opened)), due_at = \(bind: Timestamp.string(opened.addingTimeInterval(86_400)))
                    WHERE case_id = \(bind: record.id)
                    """).run()
            }
        }
        // Some have recovered; one was a false positive.
        for record in recorded.prefix(4) {
            let scope = try await Scope.of(minhKhai, directory: directory)
            _ = try await cases.update(caseID: record.id, CaseUpdate(outcome: "recovered", outcomeOn: (try CivilDate.stored(record.confirmedOn)).adding(days: 10).iso),
                                       user: minhKhai, scope: scope, language: .vi)
        }
        if let last = recorded.last(where: { $0.unitPath == "01/007/00286" }) {
            _ = try await cases.update(caseID: last.id, CaseUpdate(outcome: "ruled_out", outcomeOn: last.confirmedOn), user: bachMai,
                                       scope: try await Scope.of(bachMai, directory: directory), language: .vi)
        }

        // The very-high-risk spot of the seed documents: ngõ Hòa Bình 2 and 4, Minh Khai.
        let mkScope = try await Scope.of(minhKhai, directory: directory)
        let zone = try await ZoneService(services: services).create(.init(unit: "01/007/00295", name: "Khu vực ngõ Hòa Bình 2, ngõ Hòa Bình 4", reason: "Ổ dịch, nguy cơ rất cao",
                                                                          groups: ["HB2", "HB4"], addresses: "ngõ 2 Hòa Bình\nngõ 4 Hòa Bình", startedOn: today.adding(days: -12).iso),
                                                                    user: minhKhai, scope: mkScope, key: nil)
        try await ZoneService(services: services).addCheckpoint(zoneID: zone.id, name: "Chốt đầu ngõ Hòa Bình 2", location: "Phố Minh Khai", user: minhKhai, scope: mkScope)
        try await ZoneService(services: services).logSupply(zoneID: zone.id, deliveredOn: today.adding(days: -5).iso, items: "Gạo, rau xanh, thực phẩm thiết yếu",
                                                            households: 86, note: "MTTQ phường phối hợp", user: minhKhai, scope: mkScope, key: nil)
        let clusterID = Identifier.make()
        let clusterCases = recorded.filter { $0.unitPath == "01/007/00295" }.prefix(6).map(\.id)
        try await db.transaction { db in
            try await db.raw("""
                INSERT INTO clusters (\(unsafeRaw: ClusterRecord.columns)) VALUES (\(bind: clusterID), 'Ổ dịch ngõ Hòa Bình', 'Ngõ 2 và ngõ 4 Hòa Bình', '01/007/00295', '',
                \(bind: today.adding(days: -20).iso), 'active', '', 'p.minhkhai', \(bind: Timestamp.now()), \(bind: Timestamp.now()), 1)
                """).run()
            for id in clusterCases {
                try await db.raw("UPDATE cases SET cluster_id = \(bind: clusterID) WHERE id = \(bind: id)").run()
            }
        }
        // Risk levels for the last three weeks, assessed by the district and the city.
        for weeksAgo in [2, 1, 0] {
            let week = today.adding(days: -7 * weeksAgo).isoWeekKey
            _ = try await RiskService(services: services).compute(week: week, root: try UnitPath("01"), user: city)
        }
        _ = district
        log("Đã tạo dữ liệu dịch tễ demo: \(recorded.count) F0, cơ sở cách ly, vùng phong tỏa ngõ Hòa Bình, cấp độ dịch 3 tuần.")
    }
}

/// A small deterministic generator so the demo looks the same on every machine.
struct SplitMixDemo {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
