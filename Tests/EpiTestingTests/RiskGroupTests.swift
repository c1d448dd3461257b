import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

/// A ward records who belongs to a group at risk (shippers, market traders…) on the person's page, and a
/// campaign for that group counts its people from the registry instead of a number typed in.
@Suite("Testing: groups at risk from the registry")
struct RiskGroupTests {
    @Test(arguments: Dialect.enabled)
    func aGroupCampaignCountsTheGroupsRegisteredPeople(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai")
            let a = try await app.person("Ngô Văn Giao", birth: "1990-01-01"), b = try await app.person("Ngô Thị Hàng", birth: "1992-02-02")
            let c = try await app.person("Ngô Văn Chợ", birth: "1970-03-03")
            // Through the API: two shippers, one of them also a market trader; a code not in the list is refused.
            #expect(try await client.json(.post, "/api/v1/testing/people/\(a.id)/risk-groups", ward, #"{"groups": ["shippers"]}"#).status == .ok)
            let both = try await client.json(.post, "/api/v1/testing/people/\(b.id)/risk-groups", ward, #"{"groups": ["market_traders", "shippers", "shippers"]}"#)
            #expect(((try both.json()["data"] as? [String: Any])?["groups"] as? [String]) == ["market_traders", "shippers"])
            let wrong = try await client.json(.post, "/api/v1/testing/people/\(c.id)/risk-groups", ward, #"{"groups": ["astronauts"]}"#)
            #expect(wrong.status == .unprocessableContent)
            // Through the person's page: the section offers the groups and shows the ones ticked.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/people/\(c.id)").text
            #expect(page.contains("name=\"group.drivers\"") && page.contains("Lái xe, phụ xe"))
            let saved = try await browser.post(client, "/testing/people/\(c.id)/risk-groups", form: ["group.drivers": "1", "group.shippers": "0"])
            #expect(saved.headers[.location] == "/people/\(c.id)#person-testing")
            #expect(try await browser.get(client, "/people/\(c.id)").text.contains("Nhóm nguy cơ: Lái xe, phụ xe"))
            let read = try await client.json(.get, "/api/v1/testing/people/\(c.id)/risk-groups", ward)
            #expect(((try read.json()["data"] as? [String: Any])?["groups"] as? [String]) == ["drivers"])
            // Another district's ward may neither read nor set them; every change is audited with before and after.
            let other = try await app.token("longbien")
            #expect(try await client.json(.get, "/api/v1/testing/people/\(a.id)/risk-groups", other).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/testing/people/\(a.id)/risk-groups", other, #"{"groups": []}"#).status == .notFound)
            let changes = try await app.services.database.read { db in
                try await db.raw("SELECT changes FROM audit_log WHERE action = 'set_risk_groups' AND entity_id = \(bind: b.id)").all()
                    .map { try $0.decode(column: "changes", as: String.self) }
            }
            #expect(changes.count == 1 && changes.first?.contains("Tiểu thương chợ; Người giao hàng (shipper)") == true)
            // A shippers' campaign for Minh Khai with no size typed in targets the two registered shippers.
            let service = CampaignService(services: app.services), hbt = try await app.user("hbt")
            let today = TestApp.today
            let campaign = try await service.create(CampaignInput(name: "Shipper Minh Khai", unit: "01/007", targetKind: "group", targetGroup: "shippers", wards: ["00295"],
                                                                  startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            let progress = try await service.progress(campaign, scope: try await app.scope(for: "hbt"), today: today)
            #expect(progress.first { $0.unitPath == "01/007/00295" }?.target == 2)
            // A size typed in still wins; a ward where the registry records nobody of the group needs one.
            let typed = try await service.create(CampaignInput(name: "Shipper Minh Khai 2", unit: "01/007", targetKind: "group", targetGroup: "shippers", wards: ["00295"],
                                                               groupSize: 40, startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            #expect(try await service.progress(typed, scope: try await app.scope(for: "hbt"), today: today).first?.target == 40)
            await #expect(throws: AppError.self) {
                _ = try await service.create(CampaignInput(name: "Tiểu thương Bách Khoa", unit: "01/007", targetKind: "group", targetGroup: "market_traders", wards: ["00286"],
                                                           startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            }
        }
    }

    /// A market board's list of its traders: people found by citizen ID inside the ward, groups added
    /// (never removed), each bad row reported with its line and reason, and the same list again adds nothing.
    @Test(arguments: Dialect.enabled)
    func aListAddsGroupsByCitizenIDReportsBadRowsByLineAndAddsNothingTwice(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai")
            let lan = try await app.person("Trần Thị Lan", citizenID: "001185000101"), hung = try await app.person("Phạm Văn Hùng", citizenID: "001085000202")
            let mai = try await app.person("Đỗ Thị Mai", citizenID: "001185000404")
            _ = try await app.person("Vũ Văn Bạch", ward: "01/007/00286", citizenID: "001085000303")
            // Mai is already recorded as a shipper on her page; the list adds the market, keeps the shipper.
            #expect(try await client.json(.post, "/api/v1/testing/people/\(mai.id)/risk-groups", ward, #"{"groups": ["shippers"]}"#).status == .ok)
            let file = """
                cccd,ho_ten,nhom
                001185000101,Tran Thi Lan,Tiểu thương chợ
                001085000202,Phạm Văn Hùng,tiểu thương; lái xe
                12345,Sai Số,tiểu thương
                001085000303,Vũ Văn Bạch,tiểu thương
                001185000404,Đỗ Thị Mai,tiểu thương
                001185000101,Trần Thị Lan,phi hành gia
                001185000999,Người Lạ,tiểu thương
                001085000202,Phạm Văn Hoà,tiểu thương
                001085000202,,
                001185000101,,shipper

                """
            let first = try await client.raw(.post, "/api/v1/testing/risk-groups/import", ward, contentType: "text/csv", file)
            #expect(first.status == .ok)
            let report = try #require(try first.json()["data"] as? [String: Any])
            #expect(report["rows"] as? Int == 10)
            // Lan: market + shipper (two rows merged); Hùng: market + drivers; Mai: market (shipper already there).
            #expect(report["added"] as? Int == 5 && report["people"] as? Int == 3 && report["unchanged"] as? Int == 0)
            let problems = (report["problems"] as? [[String: Any]]) ?? []
            #expect(problems.map { $0["line"] as? Int } == [4, 5, 7, 8, 9, 10])
            let reasons = problems.map { ($0["reason"] as? String) ?? "" }
            #expect(reasons[0].contains("CCCD") && reasons[2].contains("phi hành gia") && reasons[5] == "Thiếu nhóm nguy cơ.")
            // Another ward's resident and an unknown number read the same: nothing about who lives elsewhere.
            #expect(reasons[1] == reasons[3] && reasons[1].contains("địa bàn của bạn"))
            #expect(reasons[4].contains("Họ tên không khớp"))
            func groups(_ id: String) async throws -> [String] {
                (try await client.json(.get, "/api/v1/testing/people/\(id)/risk-groups", ward).json()["data"] as? [String: Any])?["groups"] as? [String] ?? []
            }
            #expect(try await groups(lan.id) == ["market_traders", "shippers"])
            #expect(try await groups(hung.id) == ["market_traders", "drivers"])
            #expect(try await groups(mai.id) == ["market_traders", "shippers"])
            // The same list again adds nothing and audits nothing more.
            let auditsBefore = try await app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'set_risk_groups'")
            let second = try #require(try await client.raw(.post, "/api/v1/testing/risk-groups/import", ward, contentType: "text/csv", file).json()["data"] as? [String: Any])
            #expect(second["added"] as? Int == 0 && second["people"] as? Int == 0 && second["unchanged"] as? Int == 5)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM person_risk_groups") == 6)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'set_risk_groups'") == auditsBefore)
            let history = try await app.auditRows(entityId: mai.id, action: "set_risk_groups")
            #expect(history.count == 2 && history.contains { $0.summary.contains("từ danh sách") })
            // A file without the columns is refused whole; a role without editPeople may not send one.
            let noColumns = try await client.raw(.post, "/api/v1/testing/risk-groups/import", ward, contentType: "text/csv", "so,ten\n1,A\n")
            #expect(noColumns.status == .unprocessableContent && noColumns.text.contains("cccd"))
            #expect(try await client.raw(.post, "/api/v1/testing/risk-groups/import", try await app.token("checkpoint.mk"), contentType: "text/csv", file).status == .forbidden)
            // The counts: Minh Khai's ward sees its three traders; the district sees the same; Bạch Mai none.
            let counts = try await client.json(.get, "/api/v1/testing/risk-groups", ward).json()["data"] as? [[String: Any]] ?? []
            #expect(counts.first { $0["group"] as? String == "market_traders" }?["registered"] as? Int == 3)
            let other = try await client.json(.get, "/api/v1/testing/risk-groups", try await app.token("bachmai")).json()["data"] as? [[String: Any]] ?? []
            #expect(other.first { $0["group"] as? String == "market_traders" }?["registered"] as? Int == 0)
            // The page: the counts, the upload form and a report with the lines.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/testing/risk-groups").text
            #expect(page.contains("Tiểu thương chợ") && page.contains("id=\"risk-groups-upload\""))
            let (contentType, body) = Self.multipart("cccd,nhom\n001185000404,lái xe\n99,lái xe\n", csrf: browser.csrf)
            let uploaded = try await client.execute(uri: "/testing/risk-groups/import", method: .post, headers: [.contentType: contentType, .cookie: browser.cookieHeader], body: body)
            #expect(uploaded.status == .ok)
            #expect(uploaded.text.contains("id=\"report-added\">1<") && uploaded.text.contains("Dòng 3:"))
            #expect(try await groups(mai.id) == ["market_traders", "shippers", "drivers"])
            // A campaign of market traders for Minh Khai with no size typed targets the three.
            let hbt = try await app.user("hbt"), today = TestApp.today
            let campaign = try await CampaignService(services: app.services).create(
                CampaignInput(name: "Tiểu thương Minh Khai", unit: "01/007", targetKind: "group", targetGroup: "market_traders", wards: ["00295"],
                              startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            #expect(try await CampaignService(services: app.services).progress(campaign, scope: try await app.scope(for: "hbt"), today: today).first?.target == 3)
        }
    }

    /// Merging a duplicate keeps the groups recorded on either record: a list imported against the
    /// duplicate's CCCD is not lost when the ward merges it into the record it keeps.
    @Test(arguments: Dialect.enabled)
    func aMergeCarriesTheDuplicatesGroupsToTheRecordKept(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai")
            let kept = try await app.person("Hoàng Văn Giữ", birth: "1980-04-04"), duplicate = try await app.person("Hoàng Văn Giữ", citizenID: "001080000505", birth: "1980-04-04")
            #expect(try await client.json(.post, "/api/v1/testing/people/\(kept.id)/risk-groups", ward, #"{"groups": ["drivers"]}"#).status == .ok)
            #expect(try await client.raw(.post, "/api/v1/testing/risk-groups/import", ward, contentType: "text/csv", "cccd,nhom\n001080000505,shipper; lái xe\n").status == .ok)
            let merged = try await client.json(.post, "/api/v1/people/\(kept.id)/merge", ward, #"{"duplicate_id": "\#(duplicate.id)"}"#)
            #expect(merged.status == .ok)
            let groups = (try await client.json(.get, "/api/v1/testing/people/\(kept.id)/risk-groups", ward).json()["data"] as? [String: Any])?["groups"] as? [String]
            #expect(groups == ["shippers", "drivers"])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM person_risk_groups WHERE person_id = '\(duplicate.id)'") == 0)
            // The merge's audit row says what the kept record gained.
            let changes = try await app.services.database.read { db in
                try await db.raw("SELECT changes FROM audit_log WHERE action = 'merge' AND entity_id = \(bind: kept.id)").first()?.decode(column: "changes", as: String.self)
            } ?? ""
            #expect(changes.contains("risk_groups") && changes.contains("Người giao hàng (shipper); Lái xe, phụ xe"))
            let counts = try await client.json(.get, "/api/v1/testing/risk-groups", ward).json()["data"] as? [[String: Any]] ?? []
            #expect(counts.first { $0["group"] as? String == "drivers" }?["registered"] as? Int == 1)
        }
    }

    /// Tubes and results recorded against the duplicate follow the person: the kept record's page and its
    /// FHIR Observations show them; a pooled tube that already lists the kept record keeps the duplicate's place.
    @Test(arguments: Dialect.enabled)
    func aMergeCarriesTheDuplicatesTubesAndResults(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let kept = try await app.person("Đỗ Thị Gộp", birth: "1990-01-01"), duplicate = try await app.person("Đỗ Thị Gộp", citizenID: "001190000777", birth: "1990-01-01")
            try await fx.sample(app, label: "MG-1", people: [duplicate])
            try await fx.sample(app, label: "MG-2", people: [kept, duplicate])
            let y = TestingFixture.yesterday.vietnamese
            let lab = try await app.token("lab.mk")
            #expect(try await client.raw(.post, "/api/v1/testing/results/import", lab, contentType: "text/csv", ResultImportTests.csv(["MG-1,Âm tính,\(y) 20:00,,,,"])).status == .ok)
            let district = try await app.token("hbt")
            func observations(_ id: String) async throws -> Int {
                (try await client.json(.get, "/fhir/Observation?patient=Patient/\(id)", district).json()["entry"] as? [Any])?.count ?? 0
            }
            #expect(try await observations(kept.id) == 0)
            #expect(try await client.json(.post, "/api/v1/people/\(kept.id)/merge", district, #"{"duplicate_id": "\#(duplicate.id)"}"#).status == .ok)
            #expect(try await observations(kept.id) == 1)
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/people/\(kept.id)")
            #expect(page.text.contains("MG-1") && page.text.contains("MG-2"))
            // MG-1 moved; in MG-2 the kept record is listed once, the duplicate's place stays as sampled.
            #expect(try await app.count("SELECT COUNT(*) AS n FROM sample_members WHERE person_id = '\(kept.id)'") == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM sample_members WHERE person_id = '\(duplicate.id)'") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results WHERE person_id = '\(duplicate.id)'") == 0)
            let changes = try await app.auditRows(entityId: kept.id, action: "merge").first?.decodedChanges ?? []
            #expect(changes.first { $0.field == "testing_records" }?.new == "1 lần lấy mẫu, 1 kết quả, 0 yêu cầu xét nghiệm lại")
            // FHIR says it too: the duplicate's Patient is inactive and replaced by the kept one, which names it.
            let gone = try await client.json(.get, "/fhir/Patient/\(duplicate.id)", district).json()
            let goneLink = (gone["link"] as? [[String: Any]])?.first
            #expect(gone["active"] as? Bool == false && goneLink?["type"] as? String == "replaced-by"
                    && (goneLink?["other"] as? [String: Any])?["reference"] as? String == "Patient/\(kept.id)")
            let keptLink = (try await client.json(.get, "/fhir/Patient/\(kept.id)", district).json()["link"] as? [[String: Any]])?.first
            #expect(keptLink?["type"] as? String == "replaces" && (keptLink?["other"] as? [String: Any])?["reference"] as? String == "Patient/\(duplicate.id)")
        }
    }

    static func multipart(_ csv: String, csrf: String) -> (String, ByteBuffer) {
        let boundary = "----epitest\(UUID().uuidString)"
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tieu-thuong.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n"
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(string: body))
    }
}

