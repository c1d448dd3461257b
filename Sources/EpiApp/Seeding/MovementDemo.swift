import EpiCore
import EpiMovement
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// The movement part of `serve --demo`: a food business in Minh Khai with its account (`dn.minhkhai`),
/// an approved "3 tại chỗ" plan, its staff list and permits approved by the ward, a household market
/// voucher, checks at the Hòa Bình checkpoint, and Long Biên's day of September 2021 (46,375 people out).
package enum MovementDemo {
    package static let businessUsername = "dn.minhkhai"

    /// Long Biên's one day (domain-rules.md): 29,161 workers + 14,356 market/supermarket + 2,858 other,
    /// spread over the four wards that had the most (Bồ Đề, Đức Giang, Thạch Bàn, Việt Hưng) [the split
    /// between wards is ours; only the district's figures are from the source].
    package static let longBienSplit: [(name: String, work: Int, market: Int, other: Int)] = [
        ("Bồ Đề", 9_000, 4_000, 800), ("Đức Giang", 8_161, 4_356, 858), ("Thạch Bàn", 7_000, 3_000, 700), ("Việt Hưng", 5_000, 3_000, 500),
    ]

    /// Writes the day's permits (workers, market vouchers) and papers-only passes in bulk, by SQL, so the
    /// daily counts of `day` for Long Biên read 46,375. Returns the wards used.
    @discardableResult
    package static func longBienDay(_ services: AppServices, day: CivilDate) async throws -> [String] {
        let children = await services.directory.children(of: "01/004").filter { !$0.isGroup }
        var wards: [(path: String, work: Int, market: Int, other: Int)] = []
        for (i, split) in longBienSplit.enumerated() {
            let ward = children.first { VietnameseText.fold($0.name).hasSuffix(VietnameseText.fold(split.name)) } ?? (i < children.count ? children[i] : nil)
            guard let ward else { throw AppError.invalid("Thiếu phường của Long Biên.", "Long Biên wards missing.") }
            wards.append((ward.path, split.work, split.market, split.other))
        }
        let now = Timestamp.now()
        let (from, to) = (day.adding(days: -3).iso, day.adding(days: 10).iso)
        let chosen = wards
        try await services.database.transaction { db in
            // Written by SQL in bulk, so the day's counters are kept here as the service keeps them.
            var counted: [OutCounters.Permit: Int] = [:]
            var deltas: [Counters.Change: Int] = [:]
            for (wi, w) in chosen.enumerated() {
                for (group, count) in [(PermitGroup.essentialWorker, w.work), (.foodMedicine, w.market)] {
                    let tag = "lb\(wi)\(group == .essentialWorker ? "w" : "m")"
                    // Vouchers name their market day; workers' permits run the whole period.
                    let days = group == .foodMedicine ? day.iso : ""
                    counted[OutCounters.Permit(unitPath: w.path, group: group.rawValue, validFrom: from, validTo: to, days: days), default: 0] += count
                    try await db.raw("""
                        INSERT INTO permits (id, number, grp, status, business_id, person_id, full_name, citizen_id, purpose, route, zones, days, valid_from, valid_to,
                        unit_path, group_code, issuer_unit, issued_by, issued_at, code, revoked_at, revoked_by, reason, requested_by, created_at, request_key)
                        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < \(literal: count))
                        SELECT \(bind: tag + "-") || n, \(bind: "GDD-LB-" + tag.uppercased() + "-") || n, \(bind: group.rawValue), 'issued', NULL, NULL, \(bind: "Người dân Long Biên"),
                        \(bind: "0010") || (90000000 + n), '', '', '', \(bind: days), \(bind: from), \(bind: to), \(bind: w.path), '', '01/004', 'system', \(bind: now), NULL, NULL, NULL, '',
                        'system', \(bind: now), \(bind: "seed:" + tag + ":") || n FROM seq
                        """).run()
                }
                try await db.raw("""
                    INSERT INTO checkpoint_checks (id, checkpoint_id, checkpoint_name, unit_path, group_code, permit_id, permit_number, direction, result, reason, declaration_ok,
                    officer, checked_at, checked_on, received_at)
                    WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < \(literal: w.other))
                    SELECT \(bind: "lb\(wi)o-") || n, NULL, \(bind: "Chốt Long Biên"), \(bind: w.path), '', NULL, '', 'out', 'papers', 'other', NULL, 'system',
                    \(bind: Timestamp.string(VietnamTime.instant(day, hour: 8))), \(bind: day.iso), \(bind: now) FROM seq
                    """).run()
                OutCounters.papersPass(unitPath: w.path, day: day, n: w.other, into: &deltas)
            }
            OutCounters.permits(counted, sign: 1, into: &deltas)
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: nil, actorName: "system", action: "seed", entityType: "permit", entityId: nil, unitPath: try? UnitPath("01/004"),
                                   summary: "Nạp số liệu một ngày của quận Long Biên (46.375 người ra đường)")
        }
        return wards.map(\.path)
    }

    static func seed(_ services: AppServices, log: (String) -> Void) async throws {
        let district = try await CLIImport.user(services, username: "q.haibatrung")
        let ward = try await CLIImport.user(services, username: "p.minhkhai")
        let checkpoint = try await CLIImport.user(services, username: "chot.minhkhai")
        let service = MovementService(services: services)
        let districtView = try await MovementViewer.of(district, services: services)
        let business = try await service.createBusiness(BusinessInput(taxCode: "0109123458", name: "Công ty TNHH Thực phẩm sạch Minh Khai", kind: "enterprise",
                                                                      sector: "Sản xuất, cung ứng thực phẩm", address: "Số 20 phố Minh Khai", unit: "01/007/00295", workforce: 120),
                                                        user: district, key: nil, language: .vi)
        _ = try await service.createBusiness(BusinessInput(taxCode: "0109123465", name: "Siêu thị Bạch Mai", kind: "enterprise", sector: "Bán lẻ thiết yếu",
                                                           address: "Phố Bạch Mai", unit: "01/007/00286", workforce: 45), user: district, key: nil, language: .vi)
        _ = try await service.createAccount(businessID: business.id, username: businessUsername, displayName: "Công ty TNHH Thực phẩm sạch Minh Khai",
                                            password: DemoSeed.password, viewer: districtView)
        let owner = try await MovementViewer.of(try await CLIImport.user(services, username: businessUsername), services: services)
        let plan = try await service.submitPlan(businessID: business.id, PlanInput(model: PlanModel.threeOnSite.rawValue, items: PlanModel.threeOnSite.requiredItems.map(\.rawValue),
                                                                                   team: "Nguyễn Văn Nam, tổ trưởng, 0912345678\nLê Thị Mai, y tế cơ quan, 0987654321",
                                                                                   commitmentBy: "Nguyễn Văn Nam (Giám đốc)"), viewer: owner, language: .vi)
        _ = try await service.reviewPlan(id: plan.id, decision: "approve", reason: nil, viewer: districtView, language: .vi)
        let csv = "ho_ten,cccd,cong_viec\nNguyễn Văn Nam,001085012345,Giám đốc\nLê Thị Mai,001187004321,Y tế\nĐỗ Văn Tài,001089000111,Lái xe\nHoàng Thị Lan,001191000222,Công nhân\nVũ Minh Đức,001095000333,Công nhân\n"
        _ = try await service.importStaff(businessID: business.id, csv: Array(csv.utf8), viewer: owner, language: .vi)
        let today = Clock.today()
        _ = try await service.requestPermits(businessID: business.id, PermitRequestInput(validFrom: today.adding(days: -2).iso, validTo: today.adding(days: 11).iso,
                                                                                          zones: "01/007", route: "Phố Minh Khai – chợ đầu mối Đền Lừ", purpose: "Đi làm, giao thực phẩm"),
                                             viewer: owner, language: .vi)
        let wardView = try await MovementViewer.of(ward, services: services)
        _ = try await service.approvePermits(ids: nil, businessID: business.id, viewer: wardView)
        let voucher = try await service.issueIndividual(IndividualPermitInput(personId: nil, fullName: "Trần Thị Hoa", citizenId: "001190067890", validFrom: today.iso,
                                                                              validTo: today.adding(days: 6).iso, days: "\(today.iso), \(today.adding(days: 3).iso)",
                                                                              purpose: "Đi chợ theo phiếu hộ gia đình", zones: "01/007/00295"), viewer: wardView, language: .vi)
        // A Bạch Mai resident's market voucher, valid only in Bạch Mai: shown at Minh Khai's checkpoint it reads
        // "wrong zone" (the offline check and an officer trying the demo see that verdict).
        let bachMai = try await MovementViewer.of(try await CLIImport.user(services, username: "p.bachmai"), services: services)
        _ = try await service.issueIndividual(IndividualPermitInput(personId: nil, fullName: "Phạm Quốc Hưng", citizenId: "001078055555", validFrom: today.iso,
                                                                    validTo: today.adding(days: 6).iso, days: "\(today.iso), \(today.adding(days: 3).iso)",
                                                                    purpose: "Đi chợ theo phiếu hộ gia đình", zones: "01/007/00286"), viewer: bachMai, language: .vi)
        let checks = CheckService(services: services)
        let cpView = try await MovementViewer.of(checkpoint, services: services)
        let point = try await services.database.read { db in
            try await db.raw("SELECT id FROM checkpoints WHERE unit_path = '01/007/00295' ORDER BY name LIMIT 1").first()?.decode(column: "id", as: String.self)
        }
        let issued = try await services.database.read { try await service.permits($0, viewer: wardView, businessID: business.id, status: .issued, limit: 2) }
        for p in issued + [voucher] {
            _ = try await checks.check(CheckInput(code: p.code, checkpointId: point, direction: "out", declarationOk: true), viewer: cpView, language: .vi)
        }
        let wards = try await longBienDay(services, day: today)
        log("Đã tạo dữ liệu kiểm soát đi lại: doanh nghiệp \(business.name) (tài khoản \(businessUsername)), \(issued.count)+ giấy đi đường, số liệu Long Biên ngày \(today.vietnamese) ở \(wards.count) phường.")
    }
}
