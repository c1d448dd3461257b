import EpiCore
import EpiPlatform
import EpiRegistry
import EpiReporting
import EpiTracing
import Foundation
import SQLKit

/// Demo accounts and people for `serve --demo`: enough to try every page on a laptop.
package enum DemoSeed {
    package static let password = "Demo@2021"
    /// The day a demo database is set on: Hanoi's fourth wave, the week the seed documents describe,
    /// so the rules of that month apply (F1 quarantine 14 days, not 2022's 7 + 3).
    package static let day = CivilDate(dayNumber: CivilDate.september1st2021 + 9)

    package struct Login: Sendable {
        package let username: String
        package let description: String
    }

    static let users: [(String, String, Role, String)] = [
        ("tp.chihuy", "Sở Chỉ huy Thành phố", .cityCommand, "01"),
        ("q.haibatrung", "BCĐ quận Hai Bà Trưng", .districtCommand, "01/007"),
        ("p.minhkhai", "BCĐ phường Minh Khai", .wardCommand, "01/007/00295"),
        ("nl.minhkhai", "Nguyễn Thu Hà (nhập liệu Minh Khai)", .wardDataEntry, "01/007/00295"),
        ("to.minhkhai", "Tổ COVID cộng đồng TDP 1 Minh Khai", .communityTeam, "01/007/00295/TDP01"),
        ("gs.minhkhai", "MTTQ phường Minh Khai", .supervisor, "01/007/00295"),
        ("p.bachmai", "BCĐ phường Bạch Mai", .wardCommand, "01/007/00286"),
        ("q.longbien", "BCĐ quận Long Biên", .districtCommand, "01/004"),
        ("chot.minhkhai", "Chốt kiểm soát Minh Khai", .checkpoint, "01/007/00295"),
        ("kcl.haibatrung", "Ban quản lý khu cách ly quận Hai Bà Trưng", .quarantineFacility, "01/007"),
        // The account of the demo laboratory (TestingDemo), which is located in Minh Khai.
        ("lab.cdc", "Phòng xét nghiệm CDC Hà Nội", .lab, "01/007/00295"),
        // The account of the demo vaccination site (VaccinationDemo) in Minh Khai.
        ("vax.minhkhai", "Điểm tiêm Trạm Y tế phường Minh Khai", .vaccinationSite, "01/007/00295"),
    ]

    /// Seeds units, users, residential groups and people when the database has no users yet.
    /// Returns the demo logins either way, so they can be printed.
    package static func seedIfEmpty(_ services: AppServices, log: (String) -> Void) async throws -> [Login] {
        let logins = users.map { Login(username: $0.0, description: "\($0.2.labelVI) — \($0.1) (\($0.3))") }
        let added = try await HanoiSeed.seed(services.database)
        if added > 0 { log("Đã nạp \(added) đơn vị hành chính Hà Nội (2021).") }
        try await services.directory.reload()
        let hasUsers = try await services.database.read { try await $0.raw("SELECT id FROM users LIMIT 1").first() != nil }
        guard !hasUsers else { return logins }

        log("Đang tạo dữ liệu demo (ngày mô phỏng \(day.vietnamese))…")
        try await services.database.transaction { try await SimulatedDay.set($0, day) }
        try await services.database.transaction { db in
            // Official 2019 census population of Hanoi; wards' figures are entered by the city later.
            try await db.raw("UPDATE units SET population = 8053663 WHERE path = '01'").run()
        }
        let admin = UserAdmin(services: services)
        // Groups first: the community team account is bound to one.
        let city = CurrentUser(id: "seed", username: "seed", displayName: "seed", role: .cityCommand, unitPath: try UnitPath("01"))
        let routes = UnitRoutes(services: services)
        if let minhKhai = try await services.directory.unit("01/007/00295") {
            for (code, name) in [("TDP01", "Tổ dân phố số 1"), ("TDP02", "Tổ dân phố số 2"), ("TDP03", "Tổ dân phố số 3"), ("HB2", "Ngõ Hòa Bình 2"), ("HB4", "Ngõ Hòa Bình 4")] {
                _ = try await routes.addGroup(to: minhKhai, code: code, name: name, kind: nil, user: city)
            }
        }
        for (username, name, role, unit) in users {
            try await admin.create(username: username, displayName: name, role: role, unit: unit, password: password, creator: nil)
        }
        // Named people the walkthrough and the browser check rely on.
        var named: [PersonRecord] = []
        func person(_ name: String, _ sex: Sex, _ birth: String, _ cccd: String?, _ phone: String?, _ ward: String, group: String? = nil, household: String? = nil,
                    status: ResidenceStatus = .permanent, address: String) -> PersonRecord {
            let now = Timestamp.now()
            return PersonRecord(id: Identifier.make(), fullName: name, nameFolded: VietnameseText.fold(name), givenFolded: VietnameseText.givenNameKey(name),
                                sex: sex.rawValue, birthDate: birth, citizenId: cccd, oldId: nil, phone: phone.flatMap { try? PhoneNumber(parsing: $0).e164 }, address: address,
                                unitPath: ward, groupCode: group, householdCode: household, residenceStatus: status.rawValue,
                                residentUntil: status == .permanent ? nil : "2021-12-31", mergedInto: nil, createdAt: now, updatedAt: now, version: 1)
        }
        named.append(person("Nguyễn Văn Nam", .male, "1985-03-07", "001085012345", "0912345678", "01/007/00295", group: "TDP01", household: "HK001", address: "Số 12, ngõ 2 Hòa Bình, Minh Khai"))
        named.append(person("Lê Thị Mai", .female, "1987-11-20", "001187004321", "0987654321", "01/007/00295", group: "TDP01", household: "HK001", address: "Số 12, ngõ 2 Hòa Bình, Minh Khai"))
        named.append(person("Nguyễn Minh Khôi", .male, "2012-06-01", nil, nil, "01/007/00295", group: "TDP01", household: "HK001", address: "Số 12, ngõ 2 Hòa Bình, Minh Khai"))
        named.append(person("Trần Thị Hoa", .female, "1990-05-15", "001190067890", "0904111222", "01/007/00295", group: "HB4", household: "HK017", status: .temporary, address: "Số 5, ngõ 4 Hòa Bình, Minh Khai"))
        named.append(person("Trần Thị Hoa", .female, "1990-05-15", nil, "0904111222", "01/007/00295", status: .temporary, address: "Ngõ 4 Hòa Bình"))
        named.append(person("Phạm Quốc Hưng", .male, "1978-09-09", "001078055555", "0913000111", "01/007/00286", household: "HK200", address: "Số 3, phố Bạch Mai"))
        named.append(person("Nguyễn Văn Nam", .male, "1992-01-30", "001092077777", "0933222111", "01/007/00286", household: "HK201", status: .shortStay, address: "Số 8, phố Bạch Mai"))
        let namedPeople = named
        try await services.database.transaction { db in
            try await PersonQueries.insert(db, namedPeople)
            try await Audit.record(db, actor: nil, actorName: "system", action: "seed", entityType: "person", entityId: nil, unitPath: nil, summary: "Nạp \(namedPeople.count) hồ sơ demo có tên")
        }
        // A few thousand synthetic residents in Hai Bà Trưng and Long Biên, so lists and searches have substance.
        let made = try await SyntheticPopulation.generate(services, count: 4000, seed: 7, under: ["01/007", "01/004"]) { _ in }
        log("Đã tạo \(made + named.count) nhân khẩu demo và \(users.count) tài khoản.")
        try await CaseDemoSeed.seed(services, log: log)
        try await ReportDemo.seed(services, log: log)
        try await TestingDemo.seed(services, log: log)
        try await MovementDemo.seed(services, log: log)
        try await VaccinationDemo.seed(services, log: log)
        return logins
    }
}

/// Realistic synthetic residents for demos and benchmarks, spread evenly over real wards.
package enum SyntheticPopulation {
    package static func generate(_ services: AppServices, count: Int, seed: UInt64, under roots: [String] = ["01"], firstSerial: Int = 0,
                                progress: @Sendable (Int) -> Void) async throws -> Int {
        let rootPaths = try roots.map { try UnitPath($0) }
        var wards: [UnitRecord] = []
        for unit in await services.directory.all().sorted(by: { $0.path < $1.path }) where !unit.isGroup {
            guard let path = try? UnitPath(unit.path), rootPaths.contains(where: { $0.contains(path) }), await services.directory.isLowestAdministrative(unit.path) else { continue }
            wards.append(unit)
        }
        guard !wards.isEmpty else { return 0 }
        try await services.database.prepareForBulkLoad()
        var generator = PopulationGenerator(seed: seed, referenceDate: CivilDate(dayNumber: CivilDate.september1st2021), firstSerial: firstSerial)
        let now = Timestamp.now()
        var done = 0
        let perTransaction = 20_000
        while done < count {
            let n = min(perTransaction, count - done)
            var batch: [PersonRecord] = []
            batch.reserveCapacity(n)
            for i in 0..<n {
                let ward = wards[(done + i) % wards.count]
                let g = generator.next(wardName: ward.name)
                batch.append(PersonRecord(
                    id: Identifier.make(), fullName: g.fullName, nameFolded: VietnameseText.fold(g.fullName), givenFolded: VietnameseText.givenNameKey(g.fullName),
                    sex: g.sex.rawValue, birthDate: g.birthDate.iso, citizenId: g.citizenID.digits, oldId: nil, phone: g.phone?.e164, address: g.address,
                    unitPath: ward.path, groupCode: nil, householdCode: "\(ward.code)-\(g.householdCode)", residenceStatus: g.residenceStatus.rawValue,
                    residentUntil: g.residenceStatus == .permanent ? nil : "2021-12-31", mergedInto: nil, createdAt: now, updatedAt: now, version: 1))
            }
            let rows = batch
            try await services.database.transaction { db in
                for start in stride(from: 0, to: rows.count, by: 1000) {
                    try await PersonQueries.insert(db, Array(rows[start..<min(start + 1000, rows.count)]))
                }
            }
            done += n
            progress(done)
        }
        try await services.database.transaction { db in
            try await Audit.record(db, actor: nil, actorName: "system", action: "seed", entityType: "person", entityId: nil, unitPath: nil,
                                   summary: "Tạo \(count) nhân khẩu mô phỏng (seed \(seed)) dưới \(roots.joined(separator: ", "))")
        }
        try await services.database.analyze()
        try await services.database.finishBulkLoad()
        return done
    }
}
