import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiMovement
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiReporting
@testable import EpiTestSupport

extension TestApp {
    func count(_ sql: String) async throws -> Int {
        try await services.database.read { try await $0.raw(SQLQueryString(sql)).first()?.decode(column: "n", as: Int.self) } ?? -1
    }

    /// A business registered by the district with its `business` account.
    func business(taxCode: String, name: String, ward: String, username: String) async throws -> String {
        let district = try await user("hbt")
        let service = MovementService(services: services)
        let b = try await service.createBusiness(BusinessInput(taxCode: taxCode, name: name, unit: ward, workforce: 50), user: district, key: nil, language: .vi)
        _ = try await service.createAccount(businessID: b.id, username: username, displayName: name, password: TestApp.password,
                                            viewer: try await MovementViewer.of(district, services: services))
        return b.id
    }
}

func data(_ r: TestResponse) throws -> [String: Any] { (try r.json()["data"] as? [String: Any]) ?? [:] }
func list(_ r: TestResponse) throws -> [[String: Any]] { (try r.json()["data"] as? [[String: Any]]) ?? [] }

@Suite("Movement control: businesses, plans, permits, checkpoints, daily counts")
struct MovementTests {
    static let allItems = PlanModel.threeOnSite.requiredItems.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")

    @Test(arguments: Dialect.enabled)
    func aBusinessPlanIsReviewedItsStaffGetPermitsAndCheckpointsSeeRevocation(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let city = try await app.token("city"), hbt = try await app.token("hbt")
            // A tax code with a wrong check digit is refused with the reason; a valid one is registered once.
            let bad = try await client.json(.post, "/api/v1/movement/businesses", hbt, #"{"tax_code": "0100233480", "name": "Sai mã", "unit": "01/007/00295"}"#)
            #expect(bad.status == .unprocessableContent && bad.text.contains("chữ số kiểm tra"))
            let again = try await client.json(.post, "/api/v1/movement/businesses", city, #"{"tax_code": "0109123458", "name": "Trùng", "unit": "01/007/00295"}"#)
            #expect(again.status == .created)
            let dup = try await client.json(.post, "/api/v1/movement/businesses", hbt, #"{"tax_code": "0109123458", "name": "Trùng lần 2", "unit": "01/007/00295"}"#)
            #expect(dup.status == .conflict)
            let a = try await app.business(taxCode: "0109123472", name: "Công ty Thực phẩm A", ward: "01/007/00295", username: "dn.a")
            let b = try await app.business(taxCode: "0109123497", name: "Siêu thị B", ward: "01/007/00286", username: "dn.b")
            let dnA = try await app.token("dn.a"), dnB = try await app.token("dn.b")

            // A business sees only itself.
            let mine = try list(try await client.json(.get, "/api/v1/movement/businesses", dnA))
            #expect(mine.map { $0["id"] as? String } == [a])
            #expect(try await client.json(.get, "/api/v1/movement/businesses/\(b)", dnA).status == .notFound)

            // An incomplete plan is refused with what it lacks; a complete one goes to review.
            let partial = try await client.json(.post, "/api/v1/movement/businesses/\(a)/plan", dnA, #"{"model": "three_on_site", "items": ["covid_team"], "team": "An", "commitment_by": ""}"#)
            #expect(partial.status == .unprocessableContent && partial.text.contains("Bữa ăn tại chỗ"))
            let plan = try data(try await client.json(.post, "/api/v1/movement/businesses/\(a)/plan", dnA,
                                                      #"{"model": "three_on_site", "items": [\#(Self.allItems)], "team": "Nguyễn Văn An, tổ trưởng", "commitment_by": "Giám đốc Trần Bình"}"#))
            let planID = try (plan["id"] as? String).unwrapped("plan")
            #expect(plan["status"] as? String == "submitted")
            #expect(try await client.json(.post, "/api/v1/movement/businesses/\(a)/plan", dnB, #"{"model": "three_on_site", "items": [\#(Self.allItems)], "team": "X", "commitment_by": "Y"}"#).status == .notFound)
            // The business cannot approve itself; the district returns with reasons, then approves.
            #expect(try await client.json(.post, "/api/v1/movement/plans/\(planID)/review", dnA, #"{"decision": "approve"}"#).status == .forbidden)
            #expect(try await client.json(.post, "/api/v1/movement/plans/\(planID)/review", hbt, #"{"decision": "return"}"#).status == .unprocessableContent)
            let returned = try data(try await client.json(.post, "/api/v1/movement/plans/\(planID)/review", hbt, #"{"decision": "return", "reason": "Thiếu sơ đồ khu cách ly"}"#))
            #expect(returned["status"] as? String == "returned" && returned["reason"] as? String == "Thiếu sơ đồ khu cách ly")
            // Permits need an approved plan.
            var csv = dnA
            csv[.contentType] = "text/csv"
            let nam = try await app.person("Nguyễn Văn Nam", citizenID: "001085012345")
            let file = "ho_ten,cccd,cong_viec\nNguyễn Văn Nam,001085012345,Lái xe\nSai Số,12345,Bốc xếp\nLê Thị Mai,001187004321,Kế toán\n"
            let first = try data(try await client.json(.post, "/api/v1/movement/businesses/\(a)/staff", csv, file))
            #expect(first["added"] as? Int == 2 && first["matched"] as? Int == 1)
            #expect((first["problems"] as? [[String: Any]])?.map { $0["line"] as? Int } == [3])
            let second = try data(try await client.json(.post, "/api/v1/movement/businesses/\(a)/staff", csv, file))
            #expect(second["added"] as? Int == 0 && second["unchanged"] as? Int == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM business_staff") == 2)
            let early = try await client.json(.post, "/api/v1/movement/businesses/\(a)/permits", dnA, #"{"valid_from": "2021-09-18", "valid_to": "2021-09-30", "zones": "01.007"}"#)
            #expect(early.status == .unprocessableContent)
            _ = try await client.json(.post, "/api/v1/movement/businesses/\(a)/plan", dnA, #"{"model": "three_on_site", "items": [\#(Self.allItems)], "team": "Nguyễn Văn An", "commitment_by": "Trần Bình"}"#)
            let approved = try data(try await client.json(.post, "/api/v1/movement/plans/\(planID)/review", hbt, #"{"decision": "approve"}"#))
            #expect(approved["status"] as? String == "approved")

            let requested = try data(try await client.json(.post, "/api/v1/movement/businesses/\(a)/permits", dnA, #"{"valid_from": "2021-09-18", "valid_to": "2021-09-30", "zones": "01.007"}"#))
            #expect(requested["created"] as? Int == 2)
            let repeated = try data(try await client.json(.post, "/api/v1/movement/businesses/\(a)/permits", dnA, #"{"valid_from": "2021-09-18", "valid_to": "2021-09-30", "zones": "01.007"}"#))
            #expect(repeated["created"] as? Int == 0 && repeated["existing"] as? Int == 2)
            #expect(try list(try await client.json(.get, "/api/v1/movement/permits", dnB)).isEmpty)
            #expect(try list(try await client.json(.get, "/api/v1/movement/permits", dnA)).count == 2)

            // Bulk approval by the ward the business is in; another ward finds nothing to approve.
            let bachmai = try await app.token("bachmai"), minhkhai = try await app.token("minhkhai")
            #expect(try await client.json(.post, "/api/v1/movement/permits/approve", bachmai, #"{"business_id": "\#(a)"}"#).status == .notFound)
            let issued = try data(try await client.json(.post, "/api/v1/movement/permits/approve", minhkhai, #"{"business_id": "\#(a)"}"#))
            #expect(issued["issued"] as? Int == 2)
            let permits = try list(try await client.json(.get, "/api/v1/movement/permits?status=issued", dnA))
            let namsPermit = try permits.first { $0["citizen_id"] as? String == "001085012345" }.unwrapped("Nam's permit")
            #expect(namsPermit["person_id"] as? String == nam.id)
            let code = try (namsPermit["code"] as? String).unwrapped("code")
            #expect(code.hasPrefix("VNP1:"))

            // The checkpoint reads it as valid; once revoked, as revoked, and the revocation list names it.
            let checkpoint = try await app.token("checkpoint.mk")
            let ok = try data(try await client.json(.post, "/api/v1/movement/checks", checkpoint, #"{"code": "\#(code)", "direction": "out", "declaration_ok": true}"#))
            #expect(ok["verdict"] as? String == "valid" && ok["full_name"] as? String == "Nguyễn Văn Nam")
            let permitID = try (namsPermit["id"] as? String).unwrapped("id")
            #expect(try await client.json(.post, "/api/v1/movement/permits/\(permitID)/revoke", dnA, #"{"reason": "Nghỉ việc"}"#).status == .forbidden)
            #expect(try await client.json(.post, "/api/v1/movement/permits/\(permitID)/revoke", minhkhai, #"{"reason": ""}"#).status == .unprocessableContent)
            let revoked = try data(try await client.json(.post, "/api/v1/movement/permits/\(permitID)/revoke", minhkhai, #"{"reason": "Nghỉ việc"}"#))
            #expect(revoked["status"] as? String == "revoked")
            let seen = try data(try await client.json(.post, "/api/v1/movement/checks", checkpoint, #"{"code": "\#(code)", "direction": "out"}"#))
            #expect(seen["verdict"] as? String == "revoked")
            let number = try (namsPermit["number"] as? String).unwrapped("number")
            let typed = try data(try await client.json(.post, "/api/v1/movement/checks", checkpoint, #"{"number": "\#(number.lowercased())"}"#))
            #expect(typed["verdict"] as? String == "revoked")
            let revocations = try await client.json(.get, "/api/v1/movement/revocations", checkpoint).json()
            #expect((revocations["revoked"] as? [String]) == [permitID])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM checkpoint_checks WHERE officer = 'checkpoint.mk'") == 3)

            // Every step left its audit row.
            let permitAudit = try await app.audit("permit").map(\.action)
            #expect(permitAudit.filter { $0 == "issue_permit" }.count == 2 && permitAudit.contains("revoke_permit"))
            #expect(try await app.audit("business_plan").map(\.action) == ["submit_plan", "return_plan", "submit_plan", "approve_plan"])
            #expect(Set(try await app.audit("business").map(\.action)).isSuperset(of: ["create", "link_account", "import_staff", "request_permits"]))
        }
    }

    @Test(arguments: Dialect.enabled)
    func aBusinessAccountSeesOnlyItsOwnPagesAndAWardIssuesAMarketVoucher(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let a = try await app.business(taxCode: "0109123472", name: "Công ty Thực phẩm A", ward: "01/007/00295", username: "dn.a")
            let b = try await app.business(taxCode: "0109123497", name: "Siêu thị B", ward: "01/007/00286", username: "dn.b")
            var session = try await BrowserSession.login(client, "dn.a")
            let home = try await session.get(client, "/movement/businesses")
            #expect(home.status == .seeOther && home.headers[.location] == "/movement/businesses/\(a)")
            let page = try await session.get(client, "/movement/businesses/\(a)")
            #expect(page.status == .ok && page.text.contains("Công ty Thực phẩm A") && !page.text.contains("Siêu thị B"))
            #expect(try await session.get(client, "/movement/businesses/\(b)").status == .notFound)
            #expect(try await session.get(client, "/movement").status == .forbidden)

            // The ward issues a household voucher for two market days; sending the form twice makes one.
            var ward = try await BrowserSession.login(client, "minhkhai")
            let form = ["full_name": "Trần Thị Hoa", "citizen_id": "001190067890", "valid_from": "20/09/2021", "valid_to": "26/09/2021", "days": "20/09/2021, 23/09/2021"]
            let made = try await ward.post(client, "/movement/permits", form: form)
            #expect(made.status == .seeOther)
            _ = try await ward.post(client, "/movement/permits", form: form)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM permits WHERE grp = 'food_medicine'") == 1)
            let printed = try await ward.get(client, made.headers[.location] ?? "")
            #expect(printed.status == .ok && printed.text.contains("<svg") && printed.text.contains("Trần Thị Hoa") && printed.text.contains("23/09/2021"))
            let outside = try await ward.post(client, "/movement/permits", form: form.merging(["days": "30/09/2021"]) { _, n in n })
            #expect(outside.status == .unprocessableContent)

            // The checkpoint officer's page answers in words; the voucher is valid today (20/09) only on its days.
            var officer = try await BrowserSession.login(client, "checkpoint.mk")
            let number = try await app.services.database.read { try await $0.raw("SELECT number FROM permits WHERE grp = 'food_medicine'").first()?.decode(column: "number", as: String.self) }.unwrapped("number")
            let checked = try await officer.post(client, "/movement/check", form: ["code": number, "direction": "out"])
            #expect(checked.status == .ok && checked.text.contains("data-verdict=\"valid\"") && checked.text.contains("Hợp lệ"))
        }
    }

    /// A person fined and given a voucher under a record entered twice: merged, the voucher and the fine are
    /// the kept record's, the merge form said so beforehand, and the daily counts did not move.
    @Test(arguments: Dialect.enabled)
    func aMergeCarriesTheDuplicatesPermitsAndFines(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai")
            let kept = try await app.person("Phan Văn Khải", citizenID: "001080055501", birth: "1980-05-05", group: "TDP01")
            let duplicate = try await app.person("Phan Văn Khải", birth: "1980-05-05")
            let voucher = try await client.json(.post, "/api/v1/movement/permits", ward,
                                                #"{"person_id": "\#(duplicate.id)", "citizen_id": "001080055501", "valid_from": "2021-09-20", "valid_to": "2021-09-26", "days": "2021-09-20"}"#)
            #expect(voucher.status == .created, "\(voucher.text.prefix(300))")
            let fine = try await client.json(.post, "/api/v1/movement/violations", ward, #"{"kind": "no_mask", "person_id": "\#(duplicate.id)", "amount": 2000000}"#)
            #expect(fine.status == .created, "\(fine.text.prefix(300))")
            let countsBefore = try await client.json(.get, "/api/v1/movement/counts?unit=01/007/00295&day=2021-09-20", ward).text

            var officer = try await BrowserSession.login(client, "minhkhai")
            let form = try await officer.get(client, "/people/\(kept.id)/merge")
            #expect(form.status == .ok && form.text.contains("1 giấy đi đường, 1 biên bản vi phạm"), "\(form.text.suffix(1500))")
            #expect(try await client.json(.post, "/api/v1/people/\(kept.id)/merge", ward, #"{"duplicate_id": "\#(duplicate.id)"}"#).status == .ok)

            #expect(try await app.count("SELECT COUNT(*) AS n FROM permits WHERE person_id = '\(kept.id)'") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM violations WHERE person_id = '\(kept.id)'") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM permits WHERE person_id = '\(duplicate.id)'") == 0)
            #expect(try await client.json(.get, "/api/v1/movement/counts?unit=01/007/00295&day=2021-09-20", ward).text == countsBefore)
            let changes = try await app.auditRows(entityId: kept.id, action: "merge").first?.decodedChanges ?? []
            #expect(changes.first { $0.field == "movement_records" }?.new == "1 giấy đi đường, 1 biên bản vi phạm")
            let after = try await officer.get(client, "/people/\(kept.id)/merge")
            // The kept record's page lists the voucher and the fine; a community team, which has no movement
            // work, sees the person without them.
            let page = try await officer.get(client, "/people/\(kept.id)")
            let section = page.text.components(separatedBy: "id=\"person-movement\"").dropFirst().first?.components(separatedBy: "</section>").first ?? ""
            let voucherNumber = (try data(voucher))["number"] as? String ?? "?"
            #expect(section.contains(voucherNumber) && section.contains("id=\"person-fines\"") && section.contains("2.000.000"), "\(section)")
            var team = try await BrowserSession.login(client, "team.mk")
            let teamPage = try await team.get(client, "/people/\(kept.id)")
            #expect(teamPage.status == .ok && !teamPage.text.contains("person-movement"))
            // Now the record kept holds them, and the duplicate is no longer offered.
            let keptLine = after.text.components(separatedBy: "merge-kept-holdings").dropFirst().first?.prefix(200) ?? ""
            #expect(after.status == .ok && keptLine.contains("1 giấy đi đường, 1 biên bản vi phạm") && !after.text.contains(duplicate.id))
        }
    }

    @Test(arguments: Dialect.enabled)
    func offlineChecksUploadedTwiceAreStoredOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let checkpoint = try await app.token("checkpoint.mk")
            let (one, two) = (UUID().uuidString, UUID().uuidString)
            let batch = #"{"checks": [{"id": "\#(one)", "number": "GDD-X-1", "result": "valid", "direction": "out", "checked_at": "2021-09-20T01:00:00Z"}, {"id": "\#(two)", "result": "papers", "direction": "out", "checked_at": "2021-09-20T01:05:00Z"}, {"id": "not-a-uuid", "result": "valid", "checked_at": "2021-09-20T01:06:00Z"}]}"#
            let first = try data(try await client.json(.post, "/api/v1/movement/checks/batch", checkpoint, batch))
            #expect(first["stored"] as? Int == 2 && first["duplicates"] as? Int == 0 && (first["problems"] as? [String: String])?["3"] == "id")
            let second = try data(try await client.json(.post, "/api/v1/movement/checks/batch", checkpoint, batch))
            #expect(second["stored"] as? Int == 0 && second["duplicates"] as? Int == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM checkpoint_checks") == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'upload_checks'") == 1)
            // The papers-only pass counts under "other" for its ward and day.
            let counts = try await client.json(.get, "/api/v1/movement/counts?day=2021-09-20", try await app.token("minhkhai")).json()
            #expect((counts["total"] as? [String: Any])?["other"] as? Int == 1)
            #expect(try await client.json(.post, "/api/v1/movement/checks/batch", try await app.token("minhkhai"), batch).status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func theLongBienDayAddsUpAndRollsUp(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let wards = try await MovementDemo.longBienDay(app.services, day: TestApp.today)
            #expect(wards.count == 4)
            let longbien = try await client.json(.get, "/api/v1/movement/counts?day=\(TestApp.today.iso)", try await app.token("longbien")).json()
            let total = try (longbien["total"] as? [String: Any]).unwrapped("total")
            #expect(total["work"] as? Int == 29_161 && total["market"] as? Int == 14_356 && total["other"] as? Int == 2_858 && total["total"] as? Int == 46_375)
            #expect((longbien["wards"] as? [Any])?.count == 4)
            // The city sees the same figures for Long Biên; Hai Bà Trưng has none of them.
            let city = try await client.json(.get, "/api/v1/movement/counts?day=\(TestApp.today.iso)&unit=01.004", try await app.token("city")).json()
            #expect((city["total"] as? [String: Any])?["total"] as? Int == 46_375)
            let hbt = try await client.json(.get, "/api/v1/movement/counts?day=\(TestApp.today.iso)", try await app.token("hbt")).json()
            #expect((hbt["total"] as? [String: Any])?["total"] as? Int == 0)
            #expect(try await client.json(.get, "/api/v1/movement/counts?unit=01.004", try await app.token("hbt")).status == .notFound)
            // The next day the workers still go out; the vouchers were for one day.
            let next = try await client.json(.get, "/api/v1/movement/counts?day=\(TestApp.today.adding(days: 1).iso)", try await app.token("longbien")).json()
            #expect((next["total"] as? [String: Any])?["work"] as? Int == 29_161 && (next["total"] as? [String: Any])?["market"] as? Int == 0)
            // The overview page shows the district's total.
            var session = try await BrowserSession.login(client, "longbien")
            let page = try await session.get(client, "/movement?day=\(TestApp.today.vietnamese)")
            #expect(page.status == .ok && page.text.contains("id=\"total-all\">46.375"))
            // Permits and vouchers usable that day: the workers' and the market trips' (29.161 + 14.356), not the passes with papers.
            #expect(page.text.contains("<span class=\"value\">43.517</span><span class=\"label\">Giấy đi đường, phiếu đi chợ dùng được trong ngày"))
        }
    }

    /// The daily counts are counters kept by every write; after each kind of write they equal a count of
    /// the permits and logs themselves, and the migration's rebuild from the data gives them again.
    @Test(arguments: Dialect.enabled)
    func theDailyCountersEqualARecountAfterEveryKindOfWrite(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let services = app.services
            let service = MovementService(services: services), checks = CheckService(services: services)
            let scope = try await app.scope(for: "city")
            let days = (15...27).compactMap { CivilDate(year: 2021, month: 9, day: $0) }
            func expectRecount(_ step: String) async throws {
                for day in days {
                    let (kept, counted) = try await services.database.read { db in
                        (try await checks.dailyCounts(db, scope: scope, day: day), try await checks.recount(db, scope: scope, day: day))
                    }
                    #expect(kept == counted, "\(step), \(day.iso)")
                }
            }
            func out(_ day: String) async throws -> [String: Any] {
                try (try await client.json(.get, "/api/v1/movement/counts?day=\(day)", try await app.token("minhkhai")).json()["total"] as? [String: Any]).unwrapped("total")
            }
            let district = try await MovementViewer.of(try await app.user("hbt"), services: services)
            let ward = try await MovementViewer.of(try await app.user("minhkhai"), services: services)
            let a = try await app.business(taxCode: "0109123472", name: "Công ty Thực phẩm A", ward: "01/007/00295", username: "dn.a")
            let owner = try await MovementViewer.of(try await app.user("dn.a"), services: services)
            let plan = try await service.submitPlan(businessID: a, PlanInput(model: PlanModel.threeOnSite.rawValue, items: PlanModel.threeOnSite.requiredItems.map(\.rawValue),
                                                                             team: "Nguyễn Văn An", commitmentBy: "Trần Bình"), viewer: owner, language: .vi)
            _ = try await service.reviewPlan(id: plan.id, decision: "approve", reason: nil, viewer: district, language: .vi)
            let csv = "ho_ten,cccd,cong_viec\nNguyễn Văn Nam,001085012345,Lái xe\nLê Thị Mai,001187004321,Kế toán\nĐỗ Văn Tài,001089000111,Bốc xếp\n"
            _ = try await service.importStaff(businessID: a, csv: Array(csv.utf8), viewer: owner, language: .vi)
            _ = try await service.requestPermits(businessID: a, PermitRequestInput(validFrom: "2021-09-18", validTo: "2021-09-24", zones: "01.007"), viewer: owner, language: .vi)
            // Requested permits let nobody out yet.
            #expect(try await out("2021-09-20")["total"] as? Int == 0)
            try await expectRecount("requested")

            // Bulk approval: three workers out every day from 18 to 24 September, none on the 25th.
            #expect(try await service.approvePermits(ids: nil, businessID: a, viewer: ward) == 3)
            let (opening, after) = (try await out("2021-09-18"), try await out("2021-09-25"))
            #expect(opening["work"] as? Int == 3 && after["work"] as? Int == 0)
            try await expectRecount("bulk approval")

            // A household voucher counts on its two market days only.
            _ = try await service.issueIndividual(IndividualPermitInput(fullName: "Trần Thị Hoa", citizenId: "001190067890", validFrom: "20/09/2021", validTo: "26/09/2021",
                                                                        days: "20/09/2021, 23/09/2021"), viewer: ward, language: .vi)
            let (day20, day21, day23) = (try await out("2021-09-20"), try await out("2021-09-21"), try await out("2021-09-23"))
            #expect(day20["market"] as? Int == 1 && day21["market"] as? Int == 0 && day23["market"] as? Int == 1)
            try await expectRecount("voucher")

            // A revoked permit leaves every day it counted on; revoking it again is refused and changes nothing.
            let issued = try await services.database.read { try await service.permits($0, viewer: ward, businessID: a, status: .issued) }
            let first = try issued.first.unwrapped("issued permit")
            _ = try await service.revoke(id: first.id, reason: "Nghỉ việc", viewer: ward, language: .vi)
            await #expect(throws: AppError.self) { try await service.revoke(id: first.id, reason: "Lần hai", viewer: ward, language: .vi) }
            #expect(try await out("2021-09-19")["work"] as? Int == 2)
            try await expectRecount("revocation")

            // Passes with papers uploaded from an offline phone count once, however often the batch is sent;
            // an id repeated inside the batch is one check.
            let officer = try await MovementViewer.of(try await app.user("checkpoint.mk"), services: services)
            let (p1, p2) = (UUID().uuidString, UUID().uuidString)
            let batch = [CheckInput(id: p1, direction: "out", result: "papers", checkedAt: "2021-09-20T01:05:00Z"),
                         CheckInput(id: p1, direction: "out", result: "papers", checkedAt: "2021-09-20T01:05:00Z"),
                         CheckInput(id: p2, direction: "in", result: "papers", checkedAt: "2021-09-20T01:06:00Z"),
                         CheckInput(id: UUID().uuidString, number: first.number, direction: "out", result: "revoked", checkedAt: "2021-09-20T01:07:00Z")]
            let sent = try await checks.upload(batch, viewer: officer)
            #expect(sent.stored == 3 && sent.duplicates == 1)
            let again = try await checks.upload(batch, viewer: officer)
            #expect(again.stored == 0 && again.duplicates == 4)
            #expect(try await out("2021-09-20")["other"] as? Int == 1)
            try await expectRecount("upload sent twice")

            // Online checks go through the server's group committer: the same check id sent twice is one row.
            let checkpoint = try await app.token("checkpoint.mk")
            let id = UUID().uuidString
            for _ in 0..<2 {
                let answer = try data(try await client.json(.post, "/api/v1/movement/checks", checkpoint, #"{"id": "\#(id)", "number": "\#(first.number)", "direction": "out"}"#))
                #expect(answer["verdict"] as? String == "revoked")
            }
            #expect(try await app.count("SELECT COUNT(*) AS n FROM checkpoint_checks WHERE id = '\(id.lowercased())'") == 1)
            try await expectRecount("online checks")

            // The migration's rebuild from the permits and logs gives the same counters.
            let before = try await services.database.read { db in try await checks.dailyCounts(db, scope: scope, day: days[5]) }
            try await services.database.transaction { try await OutCounters.rebuild($0) }
            #expect(try await services.database.read { db in try await checks.dailyCounts(db, scope: scope, day: days[5]) } == before)
            try await expectRecount("rebuild")
        }
    }

    /// The ward's daily report opens with the day's people allowed out filled in; the ward may change it
    /// with a reason.
    @Test(arguments: Dialect.enabled)
    func theWardDailyReportIsPrefilledWithThePeopleAllowedOut(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let wards = try await MovementDemo.longBienDay(app.services, day: TestApp.today)
            let ward = try wards.first.unwrapped("ward")
            let expected = MovementDemo.longBienSplit[0].work + MovementDemo.longBienSplit[0].market + MovementDemo.longBienSplit[0].other
            let path = "/api/v1/reports/ward_daily/\(TestApp.today.iso)/\(ward.replacingOccurrences(of: "/", with: "."))"
            let longbien = try await app.token("longbien")
            let shown = try await client.json(.get, path, longbien).json()
            #expect((shown["prefill"] as? [String: Any])?["people_out"] as? Int == expected)
            // The next day only the workers' permits still run.
            let next = try await client.json(.get, "/api/v1/reports/ward_daily/\(TestApp.today.adding(days: 1).iso)/\(ward.replacingOccurrences(of: "/", with: "."))", longbien).json()
            #expect((next["prefill"] as? [String: Any])?["people_out"] as? Int == MovementDemo.longBienSplit[0].work)
            // Sent as pre-filled it needs no reason; changed, it needs one.
            var values = TestApp.wardDailyValues()
            values["people_out"] = String(expected + 5)
            let body = { (v: [String: String], reasons: [String: String]) in
                String(decoding: try JSONSerialization.data(withJSONObject: ["values": v, "reasons": reasons]), as: UTF8.self)
            }
            let unexplained = try await client.json(.post, path, longbien, try body(values, [:]))
            #expect(unexplained.status == .unprocessableContent && unexplained.text.contains("reason.people_out"))
            let explained = try await client.json(.post, path, longbien, try body(values, ["people_out": "Thêm 5 người đi cấp cứu chưa ghi ở chốt"]))
            #expect(explained.status.code < 300)

            // A deployment whose template still had the hand-typed field gets a new version that pre-fills it.
            try await app.services.database.transaction { db in
                let current = try #require(try await ReportStore.template(db, code: "ward_daily"))
                let plain = current.fields.map { f -> ReportField in
                    var f = f
                    if f.key == "people_out" { f.metric = nil }
                    return f
                }
                try await ReportStore.insertTemplate(db, ReportTemplate(id: Identifier.make(), code: current.code, version: current.version + 1, titleVI: current.titleVI,
                                                                        titleEN: current.titleEN, deadline: current.deadline, level: current.level, fields: plain,
                                                                        active: current.active, createdAt: Timestamp.now(), createdBy: "test"))
                try await ReportMigrations.peopleOutPrefill.apply(db, app.services.database.kind)
                let upgraded = try #require(try await ReportStore.template(db, code: "ward_daily"))
                #expect(upgraded.version == current.version + 2 && upgraded.field("people_out")?.metric == "people_out")
            }
        }
    }

    @Test(arguments: Dialect.enabled)
    func aCitizenDeclaresOnThePublicPageAndASymptomReachesTheWardHealthStation(_ dialect: Dialect) async throws {
        // Over a socket, behind a proxy the server trusts (loopback here), which names each citizen's address.
        try await TestApp.run(dialect, mode: .live, settings: { $0.trustedProxies = ["127.0.0.1", "::1"] }) { app, client in
            let page = try await client.execute(uri: "/khai-bao-y-te", method: .get)
            #expect(page.status == .ok && page.text.contains("Khai báo y tế") && page.text.contains("name=\"website\""))
            let token = try #require(page.text.range(of: "name=\"form_token\" value=\"").map { String(page.text[$0.upperBound...].prefix { $0 != "\"" }) })
            // The limiter is per process and both dialects run at once: each run is its own client.
            let net = dialect.rawValue == "sqlite" ? "203.0.113" : "198.51.100"
            func post(_ fields: [String: String], ip: String? = nil) async throws -> TestResponse {
                let ip = ip ?? "\(net).7"
                let body = fields.map { "\(BrowserSession.encode($0.key))=\(BrowserSession.encode($0.value))" }.joined(separator: "&")
                return try await client.execute(uri: "/khai-bao-y-te", method: .post,
                                                headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name("X-Forwarded-For")!: ip], body: ByteBuffer(string: body))
            }
            let form = ["form_token": token, "full_name": "Phạm Thị Lan", "phone": "0912 345 679", "unit": "01/007/00295", "sym_fever": "1", "sym_cough": "1", "travel": "Chợ Mơ"]
            // Sent at once, the form is refused (people take seconds to fill it); a filled honeypot is refused.
            // The "at once" token is minted here with an issue time a minute ahead, so a loaded machine that
            // takes seconds between the page and the post cannot make it old enough (the page's own token
            // is the one sent below, after the minimum fill time).
            let fast = try await post(form.merging(["form_token": DeclarationForm.token(now: Date().addingTimeInterval(60))]) { _, n in n })
            #expect(fast.status == .unprocessableContent && fast.text.contains("quá nhanh"))
            try await Task.sleep(for: .seconds(DeclarationForm.minimumFill + 0.2))
            #expect(try await post(form.merging(["website": "http://spam"]) { _, n in n }).status == .unprocessableContent)
            let done = try await post(form)
            #expect(done.status == .ok && done.text.contains("id=\"declaration-qr\"") && done.text.contains("<svg") && done.text.contains("Trạm Y tế phường sẽ liên hệ"))
            // Sent twice (a double tap): one declaration, one task for Minh Khai's health station.
            _ = try await post(form)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM health_declarations") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM tasks WHERE unit_path = '01/007/00295' AND status = 'open' AND title LIKE '%Phạm Thị Lan%'") == 1)
            let mk = try await app.token("minhkhai")
            let tasks = try await client.json(.get, "/api/v1/tasks", mk)
            #expect(tasks.text.contains("Phạm Thị Lan"))
            // Its history starts like any assigned task's: the health station sees who assigned it and when.
            #expect(try await app.count("SELECT COUNT(*) AS n FROM task_events e JOIN tasks t ON t.id = e.task_id WHERE t.title LIKE '%Phạm Thị Lan%' AND e.status = 'open' AND e.by_name = 'Khai báo y tế'") == 1)
            #expect(try await app.audit("health_declaration").map(\.action) == ["declare"])
            // The code is a signed declaration the checkpoint reads with the permit.
            let code = try #require(try await app.services.database.read { try await $0.raw("SELECT code FROM health_declarations").first()?.decode(column: "code", as: String.self) })
            #expect(code.hasPrefix("VNH1:"))
            let checked = try data(try await client.json(.post, "/api/v1/movement/checks", try await app.token("checkpoint.mk"), #"{"number": "GDD-KHONG", "declaration": "\#(code)"}"#))
            #expect(checked["declaration_ok"] as? Bool == true)
            // One client cannot flood the form: the eleventh submission in ten minutes is refused.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 { statuses.append(try await post(["form_token": "x", "full_name": "Bot"], ip: "\(net).9").status) }
            #expect(statuses.prefix(10).allSatisfy { $0 == .unprocessableContent } && statuses.last == .tooManyRequests)
        }
    }

    /// Declarations are written in groups: in one group, a form sent twice (a double tap) and a form
    /// stored before each come back with the declaration already stored for their token.
    @Test(arguments: Dialect.enabled)
    func aGroupOfDeclarationsStoresEachFormOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            func row(_ nonce: String, _ name: String, flagged: Bool) -> DeclarationRow {
                DeclarationRow(id: Identifier.make(), nonce: nonce, name: name, phone: "+84912345679", citizenId: nil, ward: "01/007/00295", symptoms: flagged ? "fever" : "", travel: "",
                               contact: false, flagged: flagged, code: "VNH1:\(name)", declaredAt: Timestamp.now(), expiresAt: Timestamp.now(), taskDetail: "", taskDue: Timestamp.now())
            }
            let lone = [row("n1", "Lan", flagged: true)]
            let first = try await app.services.database.transaction { try await DeclarationRow.store($0, lone) }
            #expect(first.map(\.code) == ["VNH1:Lan"])
            let group = [row("n2", "Minh", flagged: false), row("n1", "Lan lần hai", flagged: false), row("n3", "Hoa", flagged: true), row("n2", "Minh bấm lại", flagged: true)]
            let answers = try await app.services.database.transaction { try await DeclarationRow.store($0, group) }
            #expect(answers.map(\.code) == ["VNH1:Minh", "VNH1:Lan", "VNH1:Hoa", "VNH1:Minh"] && answers.map(\.flagged) == [false, true, true, false])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM health_declarations") == 3)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM tasks WHERE created_by_name = 'Khai báo y tế'") == 2)
            #expect(try await app.audit("health_declaration").count == 3)
        }
    }

    /// Only a proxy the operator named may say who the client is: from anyone else `X-Forwarded-For` is
    /// ignored, or a bot would write a fresh address into it for every submission.
    @Test
    func aForwardedAddressCountsOnlyFromATrustedProxy() {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/khai-bao-y-te")
        if let name = HTTPField.Name("X-Forwarded-For") { head.headerFields[name] = "203.0.113.5, 10.0.0.2" }
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        let fromProxy = DeclarationRoutes.client(request, peer: "10.0.0.1", trusted: ["10.0.0.1"])
        #expect(fromProxy.key == "10.0.0.2" && fromProxy.forwarded)
        let fromAnyone = DeclarationRoutes.client(request, peer: "198.51.100.4", trusted: ["10.0.0.1"])
        #expect(fromAnyone.key == "198.51.100.4" && !fromAnyone.forwarded)
        let noProxies = DeclarationRoutes.client(request, peer: "10.0.0.1", trusted: [])
        #expect(noProxies.key == "10.0.0.1" && !noProxies.forwarded)
    }

    @Test(arguments: Dialect.enabled)
    func finesLieInTheRangeInForceAndCloseAsPaidOrAppealed(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let checkpoint = try await app.token("checkpoint.mk")
            let tooHigh = try await client.json(.post, "/api/v1/movement/violations", checkpoint, #"{"kind": "no_mask", "full_name": "Vũ Văn Phạt", "amount": 5000000}"#)
            #expect(tooHigh.status == .unprocessableContent && tooHigh.text.contains("1.000.000–3.000.000"))
            let v = try data(try await client.json(.post, "/api/v1/movement/violations", checkpoint, #"{"kind": "no_mask", "full_name": "Vũ Văn Phạt", "amount": 2000000, "place": "Chốt Minh Khai"}"#))
            #expect(v["status"] as? String == "issued" && (v["legal_basis"] as? String)?.contains("117/2020/NĐ-CP") == true && v["unit_path"] as? String == "01/007/00295")
            // A business pays twice an individual's range.
            let biz = try await app.business(taxCode: "0109123472", name: "Công ty A", ward: "01/007/00295", username: "dn.a")
            let hbt = try await app.token("hbt")
            #expect(try await client.json(.post, "/api/v1/movement/violations", hbt, #"{"kind": "no_mask", "business_id": "\#(biz)", "amount": 6000000}"#).status == .created)
            let id = try (v["id"] as? String).unwrapped("id")
            #expect(try await client.json(.post, "/api/v1/movement/violations/\(id)/status", try await app.token("bachmai"), #"{"status": "paid"}"#).status == .notFound)
            let appealed = try data(try await client.json(.post, "/api/v1/movement/violations/\(id)/status", checkpoint, #"{"status": "appealed"}"#))
            #expect(appealed["status"] as? String == "appealed")
            #expect(try data(try await client.json(.post, "/api/v1/movement/violations/\(id)/status", checkpoint, #"{"status": "paid"}"#))["status"] as? String == "paid")
            #expect(try await client.json(.post, "/api/v1/movement/violations/\(id)/status", checkpoint, #"{"status": "appealed"}"#).status == .conflict)
            #expect(try await app.audit("violation").map(\.action) == ["create", "create", "update", "update"])
            // A checkpoint that sent checks and went quiet for over an hour raises a dashboard alert.
            let zone = try data(try await client.json(.post, "/api/v1/zones", try await app.token("minhkhai"), #"{"unit": "01/007/00295", "name": "Vùng A", "addresses": "ngõ 1", "started_on": "2021-09-10"}"#))
            let zoneID = try (zone["id"] as? String).unwrapped("zone")
            var ward = try await BrowserSession.login(client, "minhkhai")
            _ = try await ward.post(client, "/zones/\(zoneID)/checkpoints", form: ["name": "Chốt ngõ 1", "location": "Đầu ngõ"])
            let point = try #require(try await app.services.database.read { try await $0.raw("SELECT id FROM checkpoints").first()?.decode(column: "id", as: String.self) })
            _ = try data(try await client.json(.post, "/api/v1/movement/checks", checkpoint, #"{"number": "GDD-X", "checkpoint_id": "\#(point)"}"#))
            // The checkpoint page lists it with the places it guards (its ward and zone), which the offline
            // plug-in keeps with the keys to judge "wrong zone" by the checkpoint chosen, and offers the camera.
            var officer = try await BrowserSession.login(client, "checkpoint.mk")
            let checkPage = try await officer.get(client, "/movement/check")
            #expect(checkPage.text.contains("data-zones=\"01/007/00295,\(zoneID)\"") && checkPage.text.contains("id=\"check-scan\"") && checkPage.text.contains("/static/qr-scan.js"))
            // Once read (and kept in the server's checkpoint cache), the checkpoint is still refused to an officer of another ward.
            _ = try await UserAdmin(services: app.services).create(username: "checkpoint.bm", displayName: "Chốt Bạch Mai", role: .checkpoint, unit: "01/007/00286",
                                                              password: TestApp.password, creator: nil)
            let elsewhere = try await client.json(.post, "/api/v1/movement/checks", try await app.token("checkpoint.bm"), #"{"number": "GDD-X", "checkpoint_id": "\#(point)"}"#)
            #expect(elsewhere.status == .unprocessableContent && elsewhere.text.contains("checkpoint_id"))
            let scope = try await app.scope(for: "minhkhai")
            let now = Clock.now()
            let quiet = try await app.services.database.read { try await CheckpointOfflineAlerts().alerts($0, scope: scope, now: now.addingTimeInterval(2 * 3600)) }
            #expect(quiet.map(\.kind) == ["checkpoint_offline"] && quiet.first?.titleVI.contains("Chốt ngõ 1") == true)
            let fresh = try await app.services.database.read { try await CheckpointOfflineAlerts().alerts($0, scope: scope, now: now) }
            #expect(fresh.isEmpty)
        }
    }

    @Test(arguments: Dialect.enabled)
    func inspectionsTurnUnmetItemsIntoFindingsWithDeadlines(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let biz = try await app.business(taxCode: "0109123472", name: "Công ty A", ward: "01/007/00295", username: "dn.a")
            let minhkhai = try await app.token("minhkhai")
            let noDeadline = try await client.json(.post, "/api/v1/movement/inspections", minhkhai, #"{"target_kind": "business", "business_id": "\#(biz)", "team": "Đoàn phường", "items": ["masks"]}"#)
            #expect(noDeadline.status == .unprocessableContent)
            let made = try await client.json(.post, "/api/v1/movement/inspections", minhkhai,
                                             #"{"target_kind": "business", "business_id": "\#(biz)", "team": "Đoàn phường", "items": ["masks", "distancing", "health_declarations", "disinfection"], "deadline": "2021-09-18", "visited_on": "2021-09-15"}"#)
            #expect(made.status == .created)
            let findings = try (try made.json()["findings"] as? [[String: Any]]).unwrapped("findings")
            #expect(Set(findings.compactMap { $0["item"] as? String }) == ["permits_checked", "plan_followed"])
            // Another ward neither sees nor closes them; the page marks them overdue (today is 20/09).
            #expect(try await client.json(.get, "/api/v1/movement/inspections", try await app.token("bachmai")).text.contains("Công ty A") == false)
            let findingID = try (findings.first?["id"] as? String).unwrapped("finding")
            #expect(try await client.json(.post, "/api/v1/movement/inspections/findings/\(findingID)/fix", try await app.token("bachmai"), "{}").status == .notFound)
            var ward = try await BrowserSession.login(client, "minhkhai")
            let page = try await ward.get(client, "/movement/inspections")
            #expect(page.status == .ok && page.text.contains("Quá hạn") && page.text.contains("Công ty A"))
            let fixed = try data(try await client.json(.post, "/api/v1/movement/inspections/findings/\(findingID)/fix", minhkhai, "{}"))
            #expect(fixed["status"] as? String == "fixed")
            // A visit with every item met is recognised, with no findings.
            let good = try await client.json(.post, "/api/v1/movement/inspections", minhkhai,
                                             #"{"target_kind": "ward", "team": "Đoàn quận", "items": ["masks", "distancing", "health_declarations", "disinfection", "permits_checked", "plan_followed"]}"#)
            let goodData = try data(good), goodFindings = try good.json()["findings"] as? [Any]
            #expect(goodData["recognized"] as? Bool == true && goodFindings?.isEmpty == true)
            let inspectionAudit = try await app.audit("inspection"), findingAudit = try await app.audit("inspection_finding")
            #expect(inspectionAudit.count == 2 && findingAudit.map(\.action) == ["update"])
        }
    }
}
