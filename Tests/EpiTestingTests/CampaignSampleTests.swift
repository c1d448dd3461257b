import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

@Suite("Campaigns, sampling points, pooled samples, transport")
struct CampaignSampleTests {
    @Test(arguments: Dialect.enabled)
    func aWardTeamRecordsAHouseholdsPooledSampleFromThePhoneForm(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let nam = try await app.person("Nguyễn Văn Nam", citizenID: "001085012345", group: "TDP01")
            try await app.services.database.transaction { db in
                try await db.raw("UPDATE persons SET household_code = 'HK001' WHERE id = \(bind: nam.id)").run()
            }
            let mai = try await app.person("Lê Thị Mai", birth: "1987-11-20", group: "TDP01")
            let khoi = try await app.person("Nguyễn Minh Khôi", birth: "2012-06-01", group: "TDP01")
            try await app.services.database.transaction { db in
                try await db.raw("UPDATE persons SET household_code = 'HK001' WHERE id IN (\(bind: mai.id), \(bind: khoi.id))").run()
            }
            var team = try await BrowserSession.login(client, "entry.mk")
            // The point is preselected (it is the ward's only one); the household is found by its code.
            let form = try await team.get(client, "/testing/samples/new?q=HK001")
            #expect(form.status == .ok)
            #expect(form.text.contains("Nguyễn Minh Khôi") && form.text.contains("Lê Thị Mai") && form.text.contains(fx.pointMK.id))
            let saved = try await team.post(client, "/testing/samples", form: ["point_id": fx.pointMK.id, "p_0": nam.id, "p_1": mai.id, "p_2": khoi.id,
                                                                               "label": "hbt 0001", "team": "Tổ 1", "_key": BrowserSession.formKey(form.text)])
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location]?.contains("saved=HBT0001") == true)
            let tube = try await app.services.database.read { try await TestingQueries.sample($0, label: "HBT0001") }.unwrapped("tube")
            #expect(tube.kind == "pooled" && tube.poolSize == 3 && tube.unitPath == "01/007/00295")
            // The same form again (a double tap) makes no second tube.
            _ = try await team.post(client, "/testing/samples", form: ["point_id": fx.pointMK.id, "p_0": nam.id, "p_1": mai.id, "p_2": khoi.id,
                                                                       "label": "hbt 0001", "team": "Tổ 1", "_key": BrowserSession.formKey(form.text)])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples") == 1)
            // Live figures and the campaign's progress moved in the same write.
            let scope = try await app.scope(for: "minhkhai")
            let daily = try await app.services.database.read { try await Counters.daily($0, scope: scope, [.testSamples, .testPeople], from: TestingFixture.yesterday, to: TestingFixture.today) }
            #expect(daily[.testSamples]?[TestingFixture.today] == 1 && daily[.testPeople]?[TestingFixture.today] == 3)
            let progress = try await CampaignService(services: app.services).progress(fx.campaign, scope: try await app.scope(for: "hbt"))
            #expect(progress.first { $0.unitPath == "01/007/00295" }?.people == 3)
            // A label already on a tube is refused with a clear message; so is a pool beyond the setting.
            let again = try await team.post(client, "/testing/samples", form: ["point_id": fx.pointMK.id, "p_0": nam.id, "label": "HBT0001", "_key": UUID().uuidString])
            #expect(again.status == .conflict && again.text.contains("HBT0001"))
            var big: [String: String] = ["point_id": fx.pointMK.id, "label": "HBT0002", "_key": UUID().uuidString]
            for i in 0..<3 { big["n\(i)_name"] = "Người Số \(i)" }
            for (i, p) in [nam, mai, khoi].enumerated() { big["p_\(i)"] = p.id }
            try await app.services.database.transaction { try await Policies.set($0, .samplePoolMax, value: 5, from: CivilDate(dayNumber: 0), note: "", user: try await app.user("city")) }
            let tooMany = try await team.post(client, "/testing/samples", form: big)
            #expect(tooMany.status == .unprocessableContent && tooMany.text.contains("5"))
            // Someone sampled twice in the campaign counts once towards its target.
            try await fx.sample(app, label: "HBT0003", people: [nam])
            let after = try await CampaignService(services: app.services).progress(fx.campaign, scope: try await app.scope(for: "hbt"))
            #expect(after.first { $0.unitPath == "01/007/00295" }?.people == 3)
            #expect(after.first { $0.unitPath == "01/007/00295" }?.tubes == 2)
            // A campaign that starts tomorrow has no pace to judge: no ward is told it will miss; once it runs
            // and Minh Khai samples nobody, Minh Khai is.
            let service = CampaignService(services: app.services)
            let next = try await service.create(CampaignInput(name: "Vòng 2 Minh Khai", unit: "01/007", wards: ["00295"], test: "rt_pcr", poolSize: 5,
                                                              startsOn: TestingFixture.today.adding(days: 1).iso, deadlineOn: TestingFixture.today.adding(days: 4).iso),
                                                user: try await app.user("hbt"), key: nil, language: .vi)
            let hbtScope = try await app.scope(for: "hbt")
            let notYet = try await service.progress(next, scope: hbtScope, today: TestingFixture.today)
            #expect(!notYet.isEmpty && !notYet.contains { $0.willMiss }, "\(notYet)")
            let running = try await service.progress(next, scope: hbtScope, today: TestingFixture.today.adding(days: 2))
            #expect(running.first { $0.unitPath == "01/007/00295" }?.willMiss == true, "\(running)")
            // The registry was read (audited as a search) and the tube written (audited), the people's records show it.
            #expect(try await app.auditRows(entityId: nam.id, action: "sampled").count == 2)
            #expect(try await app.audit("sample").count == 2)
            // A newcomer typed by name is kept on the tube, not registered from the street.
            let persons = try await app.count("SELECT COUNT(*) AS n FROM persons")
            try await fx.sample(app, label: "HBT0004", people: [], newcomers: [MemberInput(fullName: "Đỗ Văn Mới", phone: "0988000111")])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM persons") == persons)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aNewcomersBadFieldIsMarkedBesideItsOwnRow(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let ticked = try await app.person("Người Đã Có", citizenID: "001085030099")
            var team = try await BrowserSession.login(client, "entry.mk")
            let form = try await team.get(client, "/testing/samples/new")
            // Row 1 is fine, row 2 blank, row 3 has a phone nobody could call.
            let refused = try await team.post(client, "/testing/samples", form: [
                "point_id": fx.pointMK.id, "label": "MOI-1", "_key": BrowserSession.formKey(form.text), "p_0": ticked.id,
                "n0_name": "Đỗ Văn Mới", "n0_phone": "0988000111", "n2_name": "Lê Thị Sai", "n2_phone": "12345",
            ])
            #expect(refused.status == .unprocessableContent)
            // The message sits in the third row, after its phone field, and the rows are open with what was typed.
            let rows = refused.text.components(separatedBy: "<div class=\"contact-row\">")
            #expect(rows.count == 4)
            if rows.count == 4 {
                #expect(!rows[1].contains("field-error") && !rows[2].contains("field-error"))
                #expect(rows[3].contains(#"name="n2_phone" value="12345" type="tel" aria-invalid="true"><span class="field-error">Số điện thoại không hợp lệ.</span>"#))
                #expect(rows[1].contains(#"value="Đỗ Văn Mới""#))
            }
            #expect(refused.text.contains(#"<details id="newcomers" open>"#))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples") == 0)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aPooledTubeHoldsAtMostItsCampaignsPoolSize(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)   // pools 5 people per tube; the setting allows 10
            var people: [PersonRecord] = []
            for i in 0..<6 { people.append(try await app.person("Người Gộp \(i)", citizenID: "00108503000\(i)")) }
            var team = try await BrowserSession.login(client, "entry.mk")
            let form = try await team.get(client, "/testing/samples/new")
            #expect(form.text.contains("gộp tối đa 5 người/ống"))
            var six: [String: String] = ["point_id": fx.pointMK.id, "label": "GOP-6", "_key": BrowserSession.formKey(form.text)]
            for (i, p) in people.enumerated() { six["p_\(i)"] = p.id }
            let refused = try await team.post(client, "/testing/samples", form: six)
            #expect(refused.status == .unprocessableContent && refused.text.contains("Đợt xét nghiệm này gộp tối đa 5 người/ống; ống này có 6 người."), "\(refused.status)")
            #expect(refused.text.contains("field-error"))
            // The API says the same, in English when asked; five people make the tube.
            var english = try await app.token("entry.mk")
            english[.cookie] = "lang=en"
            let members = people.map { #"{"person_id": "\#($0.id)"}"# }
            let api = try await client.json(.post, "/api/v1/testing/samples", english, #"{"point_id": "\#(fx.pointMK.id)", "label": "GOP-6", "members": [\#(members.joined(separator: ","))]}"#)
            #expect(api.status == .unprocessableContent && api.text.contains("This campaign pools at most 5 people per tube; this tube has 6."), "\(api.text.prefix(300))")
            let five = try await client.json(.post, "/api/v1/testing/samples", english, #"{"point_id": "\#(fx.pointMK.id)", "label": "GOP-5", "members": [\#(members.prefix(5).joined(separator: ","))]}"#)
            #expect(five.status == .created)
            // A campaign of individual samples takes one person per tube.
            let service = CampaignService(services: app.services), hbt = try await app.user("hbt")
            let single = try await service.create(CampaignInput(name: "Mẫu đơn Minh Khai", unit: "01/007", wards: ["00295"], poolSize: 1,
                                                                deadlineOn: TestingFixture.today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            let point = try await service.addPoint(campaignID: single.id, PointInput(unit: "00295", name: "Điểm mẫu đơn", dailyCapacity: 100), user: hbt, key: nil, language: .vi)
            let pair = try await client.json(.post, "/api/v1/testing/samples", try await app.token("entry.mk"),
                                             #"{"point_id": "\#(point.id)", "label": "DON-2", "members": [\#(members.prefix(2).joined(separator: ","))]}"#)
            #expect(pair.status == .unprocessableContent && pair.text.contains("lấy mẫu đơn (1 người/ống)"))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples") == 1)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aWardClosesOrCancelsANewcomersRetestByHand(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "RT-1", people: [an], newcomers: [MemberInput(fullName: "Đỗ Văn Mới", phone: "0988000111"), MemberInput(fullName: "Lý Thị Khách")])
            let y = TestingFixture.yesterday.vietnamese
            let lab = try await app.token("lab.mk")
            _ = try await client.raw(.post, "/api/v1/testing/results/import?lab=BVBM", lab, contentType: "text/csv", ResultImportTests.csv(["RT-1,Dương tính,\(y) 20:00,,,,"]))
            let ward = try await app.token("minhkhai")
            let listed = try #require(try await client.json(.get, "/api/v1/testing/retests", ward).json()["data"] as? [[String: Any]])
            #expect(listed.count == 3)
            #expect(try await app.testingGauge("minhkhai", .testRetestsOpen) == 3)
            func task(_ name: String) throws -> String { try #require(listed.first { $0["full_name"] as? String == name }?["id"] as? String) }
            let moi = try task("Đỗ Văn Mới"), khach = try task("Lý Thị Khách"), anTask = try task("Phan Văn An")
            // A registered person's task follows their tubes; it is not closed by hand.
            #expect(try await client.json(.post, "/api/v1/testing/retests/\(anTask)/close", ward, #"{"result": "not_detected"}"#).status == .conflict)
            // Outside the jurisdiction: 404; a lab or a supervisor may not.
            #expect(try await client.json(.post, "/api/v1/testing/retests/\(moi)/close", try await app.token("longbien"), #"{"result": "not_detected"}"#).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/testing/retests/\(moi)/close", lab, #"{"result": "not_detected"}"#).status == .forbidden)
            // The ward's page offers both; a cancel without a reason is refused in words, nothing changes.
            var session = try await BrowserSession.login(client, "entry.mk")
            let page = try await session.get(client, "/testing/retests")
            #expect(page.text.contains("/testing/retests/\(moi)/close") && page.text.contains("/testing/retests/\(khach)/cancel") && !page.text.contains("/testing/retests/\(anTask)/close"))
            let noReason = try await session.post(client, "/testing/retests/\(khach)/cancel", form: ["reason": " "])
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("Ghi lý do hủy nhiệm vụ xét nghiệm lại."))
            // Closed with the result, from the page; cancelled with a reason, over the API.
            let closed = try await session.post(client, "/testing/retests/\(moi)/close", form: ["result": "not_detected"])
            #expect(closed.status == .seeOther)
            let cancelled = try await client.json(.post, "/api/v1/testing/retests/\(khach)/cancel", ward, #"{"reason": "Đã về quê, không liên lạc được"}"#)
            let cancelledStatus = (try cancelled.json()["data"] as? [String: Any])?["status"] as? String
            #expect(cancelled.status == .ok && cancelledStatus == "cancelled")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM retests WHERE status = 'done' AND outcome = 'not_detected' AND closed_by = 'entry.mk'") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM retests WHERE status = 'cancelled' AND close_note = 'Đã về quê, không liên lạc được'") == 1)
            #expect(try await app.testingGauge("minhkhai", .testRetestsOpen) == 1)
            #expect(try await client.json(.post, "/api/v1/testing/retests/\(moi)/cancel", ward, #"{"reason": "lần nữa"}"#).status == .conflict)
            // Both are audited, in words.
            let audit = try await app.audit("retest")
            #expect(audit.map(\.action).sorted() == ["cancel", "close"])
            #expect(audit.contains { $0.summary == "Đóng nhiệm vụ xét nghiệm lại của Đỗ Văn Mới: Âm tính" })
        }
    }

    @Test(arguments: Dialect.enabled)
    func aDistrictEditsItsLaboratorysNameAndHL7IdButNotItsCode(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)   // BVBM in Minh Khai (Hai Bà Trưng), CDCLB in Long Biên
            var district = try await BrowserSession.login(client, "hbt")
            let page = try await district.get(client, "/testing/labs")
            #expect(page.text.contains("lab-edit-\(fx.lab.id)") && !page.text.contains("lab-edit-\(fx.otherLab.id)"))
            let saved = try await district.post(client, "/testing/labs/\(fx.lab.id)", form: ["name": "Khoa Vi sinh BV Bạch Mai", "hl7_facility": "BVBM_LIS2"])
            #expect(saved.status == .seeOther)
            let lab = try #require(try await app.services.database.read { try await TestingQueries.lab($0, id: fx.lab.id) })
            #expect(lab.name == "Khoa Vi sinh BV Bạch Mai" && lab.hl7Facility == "BVBM_LIS2" && lab.code == "BVBM" && lab.active)
            let audit = try #require(try await app.audit("lab").first { $0.action == "update" })
            #expect(Set(audit.decodedChanges.map(\.field)) == ["name", "hl7_facility"])
            // A blank name, or another lab's HL7 id, is refused on the row, in words, and nothing changes.
            let blank = try await district.post(client, "/testing/labs/\(fx.lab.id)", form: ["name": " ", "hl7_facility": "BVBM_LIS2"])
            #expect(blank.status == .unprocessableContent && blank.text.contains("Nhập tên phòng xét nghiệm.") && blank.text.contains("lab-edit-\(fx.lab.id)\" open"))
            let taken = try await district.post(client, "/testing/labs/\(fx.lab.id)", form: ["name": "Khoa Vi sinh BV Bạch Mai", "hl7_facility": "CDC_LB"])
            #expect(taken.status == .conflict && taken.text.contains("Mã cơ sở HL7 đã được phòng khác dùng.") && !taken.text.contains(">duplicate<"))
            // The API: the same edit; the code stays fixed.
            let token = try await app.token("hbt")
            let renamed = try await client.json(.put, "/api/v1/testing/labs/\(fx.lab.id)", token, #"{"name": "Khoa Xét nghiệm Bạch Mai"}"#)
            let renamedHL7 = (try renamed.json()["data"] as? [String: Any])?["hl7_facility"] as? String
            #expect(renamed.status == .ok && renamedHL7 == "BVBM_LIS2")
            #expect(try await client.json(.put, "/api/v1/testing/labs/\(fx.lab.id)", token, #"{"code": "BM2"}"#).status == .unprocessableContent)
            // Outside the district: 404; a ward or the lab itself: 403.
            #expect(try await client.json(.put, "/api/v1/testing/labs/\(fx.otherLab.id)", token, #"{"name": "X"}"#).status == .notFound)
            #expect(try await client.json(.put, "/api/v1/testing/labs/\(fx.lab.id)", try await app.token("minhkhai"), #"{"name": "X"}"#).status == .forbidden)
            #expect(try await client.json(.put, "/api/v1/testing/labs/\(fx.lab.id)", try await app.token("lab.mk"), #"{"name": "X"}"#).status == .forbidden)
            #expect(try await app.services.database.read { try await TestingQueries.lab($0, id: fx.lab.id) }?.name == "Khoa Xét nghiệm Bạch Mai")
        }
    }

    @Test(arguments: Dialect.enabled)
    func aWardWhosePointsCannotTakeEnoughPeopleADayWillMissWhateverItsPace(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let service = CampaignService(services: app.services), hbt = try await app.user("hbt")
            let today = TestingFixture.today
            // Shippers, 100 in each ward, three days left (today included); both wards sampled 25 a day for two days.
            let campaign = try await service.create(CampaignInput(name: "Shipper Hai Bà Trưng", unit: "01/007", targetKind: "group", targetGroup: "shippers",
                                                                  wards: ["00295", "00286"], groupSize: 100, startsOn: today.adding(days: -1).iso,
                                                                  deadlineOn: today.adding(days: 2).iso), user: hbt, key: nil, language: .vi)
            _ = try await service.addPoint(campaignID: campaign.id, PointInput(unit: "00295", name: "Điểm nhỏ", dailyCapacity: 10), user: hbt, key: nil, language: .vi)
            _ = try await service.addPoint(campaignID: campaign.id, PointInput(unit: "00286", name: "Điểm lớn", dailyCapacity: 500), user: hbt, key: nil, language: .vi)
            try await app.services.database.transaction { db in
                for ward in ["01/007/00295", "01/007/00286"] {
                    for day in [today.adding(days: -1), today] {
                        try await db.raw("INSERT INTO campaign_progress (campaign_id, unit_path, day, tubes, people) VALUES (\(bind: campaign.id), \(bind: ward), \(bind: day.iso), 5, 25)").run()
                    }
                }
            }
            let progress = try await service.progress(campaign, scope: try await app.scope(for: "hbt"), today: today)
            let mk = try #require(progress.first { $0.unitPath == "01/007/00295" }), bm = try #require(progress.first { $0.unitPath == "01/007/00286" })
            // At 25 a day both would finish the 50 left in three days; Minh Khai's point takes 10 a day, 30 in three days.
            #expect(mk.capacityPerDay == 10 && mk.neededPerDay == 17 && mk.beyondCapacity && mk.willMiss, "\(mk)")
            #expect(bm.capacityPerDay == 500 && !bm.beyondCapacity && !bm.willMiss, "\(bm)")
            var district = try await BrowserSession.login(client, "hbt")
            let page = try await district.get(client, "/testing/campaigns/\(campaign.id)")
            #expect(page.text.contains("Công suất điểm lấy mẫu (người/ngày)") && page.text.contains("cần 17 người/ngày, công suất các điểm chỉ 10 người/ngày"))
            let api = try await client.json(.get, "/api/v1/testing/campaigns/\(campaign.id)", try await app.token("hbt"))
            let wards = try #require(try api.json()["wards"] as? [[String: Any]])
            let mkJSON = try #require(wards.first { $0["unit_path"] as? String == "01/007/00295" })
            #expect(mkJSON["capacity_per_day"] as? Int == 10 && mkJSON["beyond_capacity"] as? Bool == true && mkJSON["needed_per_day"] as? Int == 17)
            #expect((try api.json()["will_miss"] as? [String]) == ["01/007/00295"])
            // The district's dashboard counts it too.
            let alerts = try await app.services.database.read { try await CampaignPaceAlerts().alerts($0, scope: try await app.scope(for: "hbt"), now: Clock.now()) }
            #expect(alerts.contains { $0.titleVI.contains("Shipper Hai Bà Trưng: 1 phường/xã") }, "\(alerts.map(\.titleVI))")
            // A ward with no sampling point cannot sample anyone: said in words.
            let bare = try await service.create(CampaignInput(name: "Chưa có điểm", unit: "01/007", targetKind: "group", targetGroup: "shippers", wards: ["00295"], groupSize: 10,
                                                              startsOn: today.iso, deadlineOn: today.adding(days: 2).iso), user: hbt, key: nil, language: .vi)
            let barePage = try await district.get(client, "/testing/campaigns/\(bare.id)")
            #expect(barePage.text.contains("chưa có điểm lấy mẫu"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func aDistrictSeesProgressPerWardAndTheWardsThatWillMissTheDeadline(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            // Minh Khai has 4 registered people, Bạch Mai 2: the targets come from the registry.
            var mk: [PersonRecord] = []
            for i in 0..<4 { mk.append(try await app.person("Người Minh Khai \(i)", citizenID: "00108501000\(i)")) }
            for i in 0..<2 { _ = try await app.person("Người Bạch Mai \(i)", ward: "01/007/00286", citizenID: "00108502000\(i)") }
            let campaign = try await CampaignService(services: app.services).create(
                CampaignInput(name: "Đợt 2", unit: "01/007", wards: ["00295", "00286"], startsOn: TestingFixture.today.adding(days: -1).iso, deadlineOn: TestingFixture.today.adding(days: 1).iso),
                user: try await app.user("hbt"), key: nil, language: .vi)
            let point = try await CampaignService(services: app.services).addPoint(campaignID: campaign.id, PointInput(unit: "00295", name: "Điểm 2", dailyCapacity: 100),
                                                                                    user: try await app.user("hbt"), key: nil, language: .vi)
            try await SampleService(services: app.services).record(SampleInput(pointId: point.id, label: "D2-1", members: mk.prefix(3).map { MemberInput(personId: $0.id) }),
                                                                    user: try await app.user("entry.mk"), key: nil, language: .vi)
            let progress = try await CampaignService(services: app.services).progress(campaign, scope: try await app.scope(for: "hbt"))
            let byWard = Dictionary(uniqueKeysWithValues: progress.map { ($0.unitPath, $0) })
            #expect(byWard["01/007/00295"]?.target == 4 && byWard["01/007/00295"]?.people == 3)
            #expect(byWard["01/007/00286"]?.target == 2 && byWard["01/007/00286"]?.people == 0)
            // Bạch Mai has sampled nobody: at that pace it misses the deadline; Minh Khai does not.
            #expect(byWard["01/007/00286"]?.willMiss == true && byWard["01/007/00295"]?.willMiss == false)
            var district = try await BrowserSession.login(client, "hbt")
            let page = try await district.get(client, "/testing/campaigns/\(campaign.id)")
            #expect(page.status == .ok && page.text.contains("id=\"will-miss-count\"") && page.text.contains("Phường Bạch Mai"))
            let api = try await client.json(.get, "/api/v1/testing/campaigns/\(campaign.id)", try await app.token("hbt"))
            #expect(api.status == .ok)
            #expect((try api.json()["will_miss"] as? [String]) == ["01/007/00286"])
            // A ward sees the campaign that covers it, not another district's; a lab sees none.
            #expect(try await client.json(.get, "/api/v1/testing/campaigns/\(campaign.id)", try await app.token("minhkhai")).status == .ok)
            #expect(try await client.json(.get, "/api/v1/testing/campaigns/\(campaign.id)", try await app.token("longbien")).status == .notFound)
            #expect(try await client.json(.get, "/api/v1/testing/campaigns/\(campaign.id)", try await app.token("lab.mk")).status == .notFound)
            // The dashboard of the district names the campaign that will miss.
            let alerts = try await app.services.database.read { try await CampaignPaceAlerts().alerts($0, scope: try await app.scope(for: "hbt"), now: Clock.now()) }
            #expect(alerts.contains { $0.titleVI.contains("Đợt 2") })
            _ = fx
        }
    }

    @Test(arguments: Dialect.enabled)
    func batchesTravelToTheLabWhichConfirmsTheCountAndDifferencesAreFlagged(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let a = try await app.person("Phan Văn An"), b = try await app.person("Phan Thị Bình")
            try await fx.sample(app, label: "LO-A", people: [a])
            try await fx.sample(app, label: "LO-B", people: [b])
            let entry = try await app.token("entry.mk")
            let sent = try await client.json(.post, "/api/v1/testing/batches", entry, #"{"point_id": "\#(fx.pointMK.id)", "lab": "BVBM", "carrier": "Xe 29A-11111"}"#)
            #expect(sent.status == .created)
            let batchID = try (try sent.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples WHERE status = 'in_transit'") == 2)
            // Another lab cannot see it, nor confirm it; a ward cannot confirm for the lab.
            #expect(try await client.json(.get, "/api/v1/testing/batches/\(batchID)", try await app.token("lab.lb")).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/testing/batches/\(batchID)/receive", entry, #"{"received_count": 2}"#).status == .forbidden)
            // The lab counts one tube: the batch is flagged, the ward sees it on its dashboard.
            var lab = try await BrowserSession.login(client, "lab.mk")
            let page = try await lab.get(client, "/testing/batches/\(batchID)")
            #expect(page.status == .ok && page.text.contains("LO-A") && page.text.contains("receive-form"))
            let received = try await lab.post(client, "/testing/batches/\(batchID)/receive", form: ["received_count": "1"])
            #expect(received.status == .seeOther)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM sample_batches WHERE status = 'discrepancy' AND received_count = 1") == 1)
            let alerts = try await app.services.database.read { try await BatchAlerts().alerts($0, scope: try await app.scope(for: "minhkhai"), now: Clock.now()) }
            #expect(alerts.map(\.kind) == ["batch_discrepancy"])
            // A batch not confirmed in time is flagged too.
            try await fx.sample(app, label: "LO-C", people: [a])
            let second = try await client.json(.post, "/api/v1/testing/batches", entry, #"{"point_id": "\#(fx.pointMK.id)", "lab": "BVBM"}"#)
            #expect(second.status == .created)
            let late = try await app.services.database.read { try await BatchAlerts().alerts($0, scope: try await app.scope(for: "minhkhai"), now: Clock.now().addingTimeInterval(7 * 3600)) }
            #expect(late.contains { $0.kind == "batch_late" })
            #expect(try await app.audit("batch").map(\.action).sorted() == ["create", "create", "receive"])
        }
    }
}
