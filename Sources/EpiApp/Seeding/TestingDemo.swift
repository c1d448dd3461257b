import EpiCore
import EpiPlatform
import EpiRegistry
import EpiTesting
import Foundation
import SQLKit

/// The testing part of `serve --demo`: a laboratory in Minh Khai with its account (`lab.cdc`), a pooled
/// district campaign in Hai Bà Trưng with sampling points in Minh Khai and Bạch Mai, a few dozen tubes of
/// registered residents taken by household, one batch received by the lab with its results imported from
/// a CSV (one pooled tube positive, so its people have re-test tasks; two tubes still waiting), one batch
/// still on its way, and a few tubes not yet sent. Everything goes through the services the pages use.
enum TestingDemo {
    static let labCode = "CDCHN"
    static let labUsername = "lab.cdc"

    static func seed(_ services: AppServices, log: (String) -> Void) async throws {
        let db = services.database
        let today = Clock.today()
        let yesterday = today.adding(days: -1)
        let district = try await CLIImport.user(services, username: "q.haibatrung")
        let minhKhai = try await CLIImport.user(services, username: "p.minhkhai")
        let bachMai = try await CLIImport.user(services, username: "p.bachmai")
        let labUser = try await CLIImport.user(services, username: labUsername)

        let campaigns = CampaignService(services: services)
        let lab = try await campaigns.createLab(LabInputForm(code: labCode, name: "Phòng xét nghiệm CDC Hà Nội", unit: "01/007/00295", hl7Facility: "CDCHN_LIS"),
                                                user: district, key: nil, language: .vi)
        let campaign = try await campaigns.create(CampaignInput(name: "Xét nghiệm diện rộng quận Hai Bà Trưng đợt 3", unit: "01/007", test: "rt_pcr", poolSize: 5,
                                                                startsOn: today.adding(days: -3).iso, deadlineOn: today.adding(days: 4).iso,
                                                                notes: "Gộp mẫu theo hộ gia đình, tối đa 5 người/ống; người có triệu chứng lấy mẫu đơn."),
                                                  user: district, key: nil, language: .vi)
        let mkPoint = try await campaigns.addPoint(campaignID: campaign.id, PointInput(unit: "01/007/00295", name: "Trạm Y tế phường Minh Khai",
                                                                                      address: "Số 1 ngõ 2 Hòa Bình, Minh Khai", dailyCapacity: 1500),
                                                   user: district, key: nil, language: .vi)
        let bmPoint = try await campaigns.addPoint(campaignID: campaign.id, PointInput(unit: "01/007/00286", name: "Trường THCS Bạch Mai",
                                                                                      address: "Phố Bạch Mai", dailyCapacity: 1200),
                                                   user: district, key: nil, language: .vi)

        // Registered residents in household order (codes and names come from the seeded generator, so the
        // order is the same on every machine). A pooled tube takes neighbouring households, 2 to 5 people,
        // as the sampling teams of September 2021 pooled a lane; a single tube one person.
        func residents(_ ward: String, code: String) async throws -> [PersonRecord] {
            try await db.read {
                try await PersonQueries.fetch($0, """
                    \(unsafeRaw: PersonQueries.select) WHERE unit_path = \(bind: ward) AND merged_into IS NULL AND household_code LIKE \(bind: code + "-%")
                    ORDER BY household_code, birth_date, full_name LIMIT 200
                    """)
            }
        }
        func tubes(_ people: [PersonRecord], from cursor: inout Int, sizes: [Int]) -> [[PersonRecord]] {
            var out: [[PersonRecord]] = []
            for n in sizes where cursor + n <= people.count {
                out.append(Array(people[cursor..<cursor + n]))
                cursor += n
            }
            return out
        }
        let samples = SampleService(services: services)
        func record(_ tubes: [[PersonRecord]], at point: PointRecord, prefix: String, first: Int, day: CivilDate, hour: Int, team: String, user: CurrentUser) async throws -> [SampleRecord] {
            var made: [SampleRecord] = []
            for (i, people) in tubes.enumerated() {
                let minutes = hour * 60 + i * 9
                let at = String(format: "%@ %02d:%02d", day.vietnamese, minutes / 60, minutes % 60)
                let input = SampleInput(pointId: point.id, label: String(format: "%@-%03d", prefix, first + i), test: "rt_pcr",
                                        members: people.map { MemberInput(personId: $0.id) }, symptomatic: people.count == 1 && i % 4 == 1, team: team, sampledAt: at)
                made.append(try await samples.record(input, user: user, key: nil, language: .vi))
            }
            return made
        }

        let mkPeople = try await residents("01/007/00295", code: "00295")
        let bmPeople = try await residents("01/007/00286", code: "00286")
        var mkCursor = 0, bmCursor = 0
        let label = "\(yesterday.iso.dropFirst(5).replacingOccurrences(of: "-", with: ""))"  // MMDD
        // Minh Khai, yesterday morning: sent to the lab before noon, received, mostly resulted.
        let morning = try await record(tubes(mkPeople, from: &mkCursor, sizes: [5, 1, 4, 1, 3, 1, 5, 2, 1, 4, 1, 3]), at: mkPoint, prefix: "MK\(label)", first: 1,
                                       day: yesterday, hour: 7, team: "Tổ lấy mẫu số 1 - Trạm Y tế Minh Khai", user: minhKhai)
        // Minh Khai, yesterday afternoon: taken, not yet sent.
        let afternoon = try await record(tubes(mkPeople, from: &mkCursor, sizes: [4, 1, 5, 3, 1, 2]), at: mkPoint, prefix: "MK\(label)", first: morning.count + 1,
                                         day: yesterday, hour: 15, team: "Tổ lấy mẫu số 2 - Trạm Y tế Minh Khai", user: minhKhai)
        // Bạch Mai, yesterday: sent this morning, on its way to the lab.
        let bm = try await record(tubes(bmPeople, from: &bmCursor, sizes: [5, 1, 4, 3, 1, 5, 2, 1, 4, 1]), at: bmPoint, prefix: "BM\(label)", first: 1,
                                  day: yesterday, hour: 8, team: "Tổ lấy mẫu Trạm Y tế Bạch Mai", user: bachMai)

        let received = try await samples.createBatch(BatchInput(pointId: mkPoint.id, lab: lab.code, labels: morning.map(\.label), carrier: "Nguyễn Văn Tùng (xe cứu thương 29A-123.45)",
                                                                note: "Hộp lạnh số 1"), user: minhKhai, key: nil, language: .vi)
        _ = try await samples.receiveBatch(batchID: received.id, count: morning.count, note: "Đủ ống, nhiệt độ hộp 4°C", user: labUser, language: .vi)
        // The received batch's times as they fell: sent yesterday before noon, received early afternoon.
        let sentAt = VietnamTime.instant(yesterday, hour: 10, minute: 45)
        let window = (Timestamp.date(received.expectedBy) ?? sentAt).timeIntervalSince(Timestamp.date(received.sentAt) ?? sentAt)
        try await db.transaction { db in
            try await db.raw("""
                UPDATE sample_batches SET sent_at = \(bind: Timestamp.string(sentAt)), expected_by = \(bind: Timestamp.string(sentAt.addingTimeInterval(window))),
                received_at = \(bind: Timestamp.string(VietnamTime.instant(yesterday, hour: 12, minute: 50))) WHERE id = \(bind: received.id)
                """).run()
        }
        _ = try await samples.createBatch(BatchInput(pointId: bmPoint.id, lab: lab.code, labels: bm.map(\.label), carrier: "Trần Đức Long", note: "Hộp lạnh số 2"),
                                          user: bachMai, key: nil, language: .vi)

        // The lab's results for the received batch, uploaded as the lab's CSV: one pooled tube positive,
        // the last two tubes still running.
        let positive = morning.filter { $0.poolSize > 1 }.dropFirst(2).first?.label
        var csv = "ma_ong_mau,ket_qua,thoi_gian_tra_ket_qua,loai_xet_nghiem,trang_thai,ct\n"
        for (i, tube) in morning.dropLast(2).enumerated() {
            let minutes = 18 * 60 + i * 11
            let time = String(format: "%@ %02d:%02d", yesterday.vietnamese, minutes / 60, minutes % 60)
            csv += tube.label == positive ? "\(tube.label),Dương tính,\(time),RT-PCR,chính thức,27.4\n" : "\(tube.label),Âm tính,\(time),RT-PCR,chính thức,\n"
        }
        let report = try await ResultService(services: services).importCSV(bytes: Array(csv.utf8), filename: "kq-cdchn-\(yesterday.iso).csv", lab: lab, actor: labUser, language: .vi)
        guard report.failed == 0 else { throw AppError.invalid("Demo: \(report.errors.map(\.message))", "Demo results refused") }
        // Lists handed to the ward (the market board's traders, a delivery firm's shippers, the health station's
        // staff), imported as the page does, and a campaign for the traders that takes its target from them.
        let adults = try await db.read { db in
            try await PersonQueries.fetch(db, """
                \(unsafeRaw: PersonQueries.select) WHERE unit_path = '01/007/00295' AND merged_into IS NULL AND citizen_id IS NOT NULL AND birth_date <= \(bind: today.adding(days: -365 * 20).iso)
                  AND birth_date >= \(bind: today.adding(days: -365 * 60).iso) ORDER BY household_code DESC, full_name LIMIT 60
                """)
        }
        var list = "cccd,ho_ten,nhom\n"
        for (i, person) in adults.enumerated() {
            // Half traders, three in ten shippers, the rest health workers (30, 18 and 12 of the demo's 60).
            let group = i < adults.count / 2 ? "Tiểu thương chợ" : i < adults.count * 4 / 5 ? "Người giao hàng (shipper)" : "Nhân viên y tế"
            list += "\(person.citizenId ?? ""),\(person.fullName),\(group)\n"
        }
        let groups = try await RiskGroupService(services: services).importList(bytes: Array(list.utf8), user: minhKhai, language: .vi)
        guard groups.problems.isEmpty else { throw AppError.invalid("Demo: \(groups.problems.map(\.reason))", "Demo risk-group list refused") }
        let traders = try await campaigns.create(CampaignInput(name: "Xét nghiệm tiểu thương chợ Minh Khai", unit: "01/007", targetKind: "group",
                                                               targetGroup: TargetGroup.marketTraders.rawValue, wards: ["00295"], test: "rt_pcr", poolSize: 5,
                                                               startsOn: today.adding(days: -1).iso, deadlineOn: today.adding(days: 2).iso,
                                                               notes: "Danh sách do Ban quản lý chợ gửi phường."),
                                                 user: district, key: nil, language: .vi)
        log("Đã tạo dữ liệu xét nghiệm demo: phòng xét nghiệm \(lab.name) (\(labUsername)), đợt \(campaign.name), \(morning.count + afternoon.count + bm.count) ống mẫu, "
            + "2 lô, \(report.added) kết quả (\(report.positives) dương tính, \(report.retests) người cần xét nghiệm lại); "
            + "\(groups.people) người nhóm nguy cơ ở Minh Khai, đợt \(traders.name).")
    }
}
