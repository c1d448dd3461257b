import EpiCodecs
import EpiSigning
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
@testable import EpiVaccination

/// Lots, allocation and the stock ledger; sessions and doses; certificates; scope and audit: through the
/// API and the services, on both dialects.
// Serialized: each test starts a whole app (migrations, the Hanoi tree, users); run side by side they crowd the
// full suite's timing-sensitive tests (SecurityTests' 8,000-row upload under a 20 s client timeout).
@Suite("Vaccination", .serialized)
struct VaccinationTests {
    static let pfizer = "EU/1/20/1528"

    struct Setup {
        let lot: String
        let site: String
        let session: String
        let person: String
    }

    /// A lot of 100 doses at the city, 60 to Hai Bà Trưng, 50 of those to a site in Minh Khai, a session on the tests' day, a person born 1980.
    static func setup(_ app: TestApp, _ client: any TestClientProtocol) async throws -> Setup {
        let city = try await app.token("city"), hbt = try await app.token("hbt")
        func data(_ r: TestResponse) throws -> [String: Any] {
            guard (200..<300).contains(Int(r.status.code)) else { throw MissingValue(description: "\(r.status) \(r.text.prefix(300))") }
            return (try r.json()["data"] as? [String: Any]) ?? [:]
        }
        let lot = try data(try await client.json(.post, "/api/v1/vaccination/lots", city,
                                                 #"{"product_code": "\#(pfizer)", "lot_number": "FF1234", "expires_on": "31/12/2021", "doses_per_vial": 6, "doses": 100}"#))["id"] as? String ?? ""
        let site = try data(try await client.json(.post, "/api/v1/vaccination/sites", hbt, #"{"name": "Trạm Y tế Minh Khai", "unit": "01/007/00295"}"#))["id"] as? String ?? ""
        _ = try data(try await client.json(.post, "/api/v1/vaccination/allocations", city, #"{"decision_no": "QĐ 1/2021", "lot_id": "\#(lot)", "to": "01/007", "doses": 60}"#))
        _ = try data(try await client.json(.post, "/api/v1/vaccination/allocations", hbt, #"{"decision_no": "QĐ 2/2021", "lot_id": "\#(lot)", "to": "site:\#(site)", "doses": 50}"#))
        let session = try data(try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                                     #"{"site_id": "\#(site)", "session_on": "\#(TestApp.today.vietnamese)", "capacity": 100, "product_code": "\#(pfizer)"}"#))["id"] as? String ?? ""
        let person = try data(try await client.json(.post, "/api/v1/people", city,
                                                    #"{"full_name": "Nguyễn Thị Tiêm", "birth_date": "01/02/1980", "citizen_id": "001180012345", "unit": "01/007/00295"}"#))["id"] as? String ?? ""
        return Setup(lot: lot, site: site, session: session, person: person)
    }

    static func balance(_ app: TestApp, holder: String, lot: String) async throws -> Int? {
        try await app.services.database.read { db in
            try await db.raw("SELECT balance FROM vaccine_stock WHERE holder_id = \(bind: holder) AND lot_id = \(bind: lot)").first()?.decode(column: "balance", as: Int.self)
        }
    }

    @Test(arguments: Dialect.enabled)
    func allocationMovesStockDownAndNeverOverspends(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            #expect(try await Self.balance(app, holder: "01", lot: s.lot) == 40)
            #expect(try await Self.balance(app, holder: "01/007", lot: s.lot) == 10)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 50)
            // The district has 10 left: 20 more is refused with the figures, and nothing moves.
            let over = try await client.json(.post, "/api/v1/vaccination/allocations", try await app.token("hbt"),
                                             #"{"decision_no": "QĐ 3/2021", "lot_id": "\#(s.lot)", "to": "site:\#(s.site)", "doses": 20}"#)
            #expect(over.status == .conflict)
            #expect(over.text.contains("insufficient_stock") && over.text.contains("10"))
            #expect(try await Self.balance(app, holder: "01/007", lot: s.lot) == 10)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 50)

            // Eight allocations of 3 at once from the district's 10: three succeed, the rest are refused, none goes below zero.
            let service = VaccinationService(services: app.services)
            let hbt = try await app.user("hbt")
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        (try? await service.allocate(AllocationInput(decisionNo: "QĐ song song \(i)", lotId: s.lot, to: "site:\(s.site)", doses: 3), user: hbt, key: nil, language: .vi)) != nil
                    }
                }
                var ok = 0
                for await o in group where o { ok += 1 }
                return ok
            }
            #expect(outcomes == 3)
            #expect(try await Self.balance(app, holder: "01/007", lot: s.lot) == 1)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 59)
            let total = try await app.services.database.read { db in
                try await db.raw("SELECT CAST(SUM(balance) AS BIGINT) AS n FROM vaccine_stock WHERE lot_id = \(bind: s.lot)").first()?.decode(column: "n", as: Int.self)
            }
            #expect(total == 100)

            // A site wasting more than it holds is refused; wasting what it has is recorded.
            let vax = try await app.token("minhkhai")
            let waste = try await client.json(.post, "/api/v1/vaccination/sites/\(s.site)/stock", vax, #"{"lot_id": "\#(s.lot)", "movement": "wasted", "doses": 60}"#)
            #expect(waste.status == .conflict)
            let ok = try await client.json(.post, "/api/v1/vaccination/sites/\(s.site)/stock", vax, #"{"lot_id": "\#(s.lot)", "movement": "wasted", "doses": 2, "note": "vỡ lọ"}"#)
            #expect(ok.status == .ok)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 57)

            // A ward cannot allocate; every allocation left an audit row.
            let ward = try await client.json(.post, "/api/v1/vaccination/allocations", vax, #"{"decision_no": "x", "lot_id": "\#(s.lot)", "to": "site:\#(s.site)", "doses": 1}"#)
            #expect(ward.status == .forbidden)
            let audits = try await app.services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'allocate'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(audits == 5)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aDoseAtASessionDrawsOneDoseAndIsRecordedOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            try await UserAdmin(services: app.services).create(username: "vax.mk", displayName: "Điểm tiêm Minh Khai", role: .vaccinationSite, unit: "01/007/00295",
                                                               password: TestApp.password, creator: nil)
            let vax = try await app.token("vax.mk")
            // The invitation list holds the person, due for dose 1.
            let session = try await client.json(.get, "/api/v1/vaccination/sessions/\(s.session)", vax)
            let invited = (try session.json()["invitations"] as? [[String: Any]]) ?? []
            #expect(invited.contains { ($0["person"] as? [String: Any])?["id"] as? String == s.person && $0["dose_number"] as? Int == 1 })

            let body = #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#
            let first = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", vax, body)
            #expect(first.status == .created)
            let dose = (try first.json()["data"] as? [String: Any])?["dose"] as? [String: Any]
            #expect(dose?["dose_number"] as? Int == 1)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 49)
            // Sent again: the same record, no second dose drawn.
            let again = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", vax, body)
            #expect(again.status == .ok)
            #expect(((try again.json()["data"] as? [String: Any])?["dose"] as? [String: Any])?["id"] as? String == dose?["id"] as? String)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 49)

            // Five days later the second Pfizer dose is not due: refused with the date it is.
            let later = try await client.json(.post, "/api/v1/vaccination/sessions", vax,
                                              #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.adding(days: 5).vietnamese)", "capacity": 10, "product_code": "\#(Self.pfizer)"}"#)
            let laterID = (try later.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let soon = try await client.json(.post, "/api/v1/vaccination/sessions/\(laterID)/record", vax, body)
            #expect(soon.status == .unprocessableContent)
            #expect(soon.text.contains(TestApp.today.adding(days: 21).vietnamese))
            // Postponed at screening: no dose, no stock drawn.
            let postponed = try await client.json(.post, "/api/v1/vaccination/sessions/\(laterID)/record", vax, #"{"person_id": "\#(s.person)", "outcome": "postpone", "note": "sốt"}"#)
            #expect(postponed.status == .ok)
            #expect(try await Self.balance(app, holder: s.site, lot: s.lot) == 49)

            // The person page shows the dose to someone who may see people; the audit trail has the dose.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/people/\(s.person)")
            #expect(page.text.contains("person-vaccination") && page.text.contains("FF1234"))
            let audits = try await app.services.database.read { db in
                try await db.raw("SELECT action FROM audit_log WHERE entity_id = \(bind: s.person) AND action IN ('vaccinate', 'screen')").all().map { try $0.decode(column: "action", as: String.self) }
            }
            #expect(audits.sorted() == ["screen", "vaccinate"])
        }
    }

    @Test(arguments: Dialect.enabled)
    func aSiteAccountSeesOnlyItsWard(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let lbWard = try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path
            try await UserAdmin(services: app.services).create(username: "vax.lb", displayName: "Điểm tiêm Long Biên", role: .vaccinationSite, unit: lbWard,
                                                               password: TestApp.password, creator: nil)
            let other = try await app.token("vax.lb")
            #expect(try await client.json(.get, "/api/v1/vaccination/sessions/\(s.session)", other).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", other, #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#).status == .notFound)
            let sites = try await client.json(.get, "/api/v1/vaccination/sites", other)
            #expect((try sites.json()["data"] as? [Any])?.isEmpty == true)
            let longbien = try await app.token("longbien")
            #expect(try await client.json(.post, "/api/v1/vaccination/sites/\(s.site)/stock", longbien, #"{"lot_id": "\#(s.lot)", "movement": "wasted", "doses": 1}"#).status == .notFound)
            let hbtSites = try await client.json(.get, "/api/v1/vaccination/sites", try await app.token("hbt"))
            #expect((try hbtSites.json()["data"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Dialect.enabled)
    func certificatesVerifyAndRevoke(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let ward = try await app.token("minhkhai")
            // No dose yet: no certificate.
            #expect(try await client.json(.post, "/api/v1/vaccination/people/\(s.person)/certificate", ward, "{}").status == .unprocessableContent)
            _ = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward, #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#)
            let issued = try await client.json(.post, "/api/v1/vaccination/people/\(s.person)/certificate", ward, "{}")
            #expect(issued.status == .created)
            let cert = (try issued.json()["data"] as? [String: Any]) ?? [:]
            let payload = cert["payload"] as? String ?? "", uvci = cert["uvci"] as? String ?? "", id = cert["id"] as? String ?? ""
            #expect(payload.hasPrefix("HC1:") && uvci.hasPrefix("URN:UVCI:01:VN:"))
            // Any EU verifier with our trust list reads it: the codecs' verifier here, name and dose as recorded.
            let trust = try SigningService.open(app.services.settings).trustList(.vaccination)
            let verified = try HC1Verifier(trustList: trust).verify(payload, now: Date())
            #expect(verified.claims.certificate.dateOfBirth == "1980-02-01" && verified.claims.certificate.vaccination.medicinalProduct == Self.pfizer)
            #expect(verified.claims.certificate.vaccination.doseNumber == 1 && verified.claims.certificate.vaccination.totalSeriesOfDoses == 2)

            func verify(_ code: String) async throws -> [String: Any] {
                let r = try await client.json(.post, "/api/v1/certificates/verify", [:], #"{"code": "\#(code)"}"#)
                return (try r.json()["data"] as? [String: Any]) ?? [:]
            }
            let ok = try await verify(payload)
            #expect(ok["status"] as? String == "valid" && ok["name"] as? String == "Nguyễn Thị Tiêm" && ok["date_of_birth"] as? String == "1980-02-01")
            var bytes = Array(payload.utf8)
            bytes[40] = bytes[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(try await verify(String(decoding: bytes, as: UTF8.self))["status"] as? String == "invalid")
            let expired = try await CertificateService(services: app.services).check(payload, now: Date().addingTimeInterval(400 * 86_400))
            #expect(expired.status == "expired" && expired.name == "Nguyễn Thị Tiêm")

            // The printable page: QR as SVG, name; the PNG is a PNG.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/vaccination/certificates/\(id)")
            #expect(page.status == .ok && page.text.contains("<svg") && page.text.contains("Nguyễn Thị Tiêm") && page.text.contains(uvci))
            let png = try await browser.get(client, "/vaccination/certificates/\(id)/qr.png")
            #expect(Array(png.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])

            // Only a role that may revoke does; then the API and the revocation list say so.
            #expect(try await client.json(.post, "/api/v1/vaccination/certificates/\(id)/revoke", ward, #"{"reason": "cấp nhầm"}"#).status == .forbidden)
            let revoke = try await client.json(.post, "/api/v1/vaccination/certificates/\(id)/revoke", try await app.token("hbt"), #"{"reason": "cấp nhầm"}"#)
            #expect(revoke.status == .ok)
            #expect(try await verify(payload)["status"] as? String == "revoked")
            let list = try await client.execute(uri: "/api/v1/certificates/revocations", method: .get)
            #expect((try list.json()["revoked"] as? [String])?.contains(uvci) == true)
            // The offline verifier loads the vaccination plugin that keeps this list.
            let verifier = try await client.execute(uri: "/verify", method: .get)
            #expect(verifier.text.contains("/static/verify-vaccination.js"))
            #expect(try await client.execute(uri: "/static/verify-vaccination.js", method: .get).text.contains("/api/v1/certificates/revocations"))
            let audit = try await app.services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('issue_certificate', 'revoke_certificate') AND entity_id = \(bind: s.person)").first()?.decode(column: "n", as: Int.self)
            }
            #expect(audit == 2)
            // A new certificate after revocation is a new UVCI.
            let again = try await client.json(.post, "/api/v1/vaccination/people/\(s.person)/certificate", ward, "{}")
            #expect((try again.json()["data"] as? [String: Any])?["uvci"] as? String != uvci)
        }
    }

    @Test(arguments: Dialect.enabled)
    func theVerifierLimitsEachClientAndSeesARevocationAtOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect, mode: .live, settings: { $0.trustedProxies = ["127.0.0.1", "::1"]; $0.verifyRequestsPerMinute = 3 }) { app, client in
            let s = try await Self.setup(app, client)
            let ward = try await app.token("minhkhai")
            _ = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward, #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#)
            func issue() async throws -> [String: Any] {
                (try await client.json(.post, "/api/v1/vaccination/people/\(s.person)/certificate", ward, "{}").json()["data"] as? [String: Any]) ?? [:]
            }
            let cert = try await issue()
            let payload = cert["payload"] as? String ?? "", id = cert["id"] as? String ?? ""
            func verify(_ code: String, from ip: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/certificates/verify", method: .post,
                                         headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-For")!: ip], body: ByteBuffer(string: #"{"code": "\#(code)"}"#))
            }
            func status(_ r: TestResponse) throws -> String? { (try r.json()["data"] as? [String: Any])?["status"] as? String }
            // Checked, revoked, checked again at once: revoked.
            #expect(try status(try await verify(payload, from: "203.0.113.20")) == "valid")
            #expect(try await client.json(.post, "/api/v1/vaccination/certificates/\(id)/revoke", try await app.token("hbt"), #"{"reason": "cấp nhầm"}"#).status == .ok)
            #expect(try status(try await verify(payload, from: "203.0.113.20")) == "revoked")
            // The third check of this client in the minute passes, the fourth is refused in both languages; another client is not held up.
            #expect(try await verify(payload, from: "203.0.113.20").status == .ok)
            let refused = try await verify(payload, from: "203.0.113.20")
            #expect(refused.status == .tooManyRequests && refused.text.contains("rate_limited"))
            #expect(try await verify(payload, from: "203.0.113.21").status == .ok)

            // Checks read revocations from memory, not the table: one written by another server is seen at the next reload (a minute).
            let second = try await issue()
            let other = second["payload"] as? String ?? "", uvci = second["uvci"] as? String ?? ""
            try await app.services.database.transaction { db in
                try await db.raw("INSERT INTO certificate_revocations (uvci, unit_path, reason, revoked_by, revoked_at) VALUES (\(bind: uvci), '01/007/00295', 'máy chủ khác', 'other', \(bind: Timestamp.now()))").run()
            }
            let service = CertificateService(services: app.services)
            #expect(try await service.check(other).status == "valid")
            #expect(try await service.check(other, now: Date().addingTimeInterval(RevocationCache.reload + 1)).status == "revoked")
        }
    }

    @Test(arguments: Dialect.enabled)
    func doseImportKeepsGoodRowsReportsBadOnesAndRepeatsAddNothing(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let lbWard = try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path
            let city = try await app.token("city")
            _ = try await client.json(.post, "/api/v1/people", city, #"{"full_name": "Trần Văn Ngoài", "birth_date": "01/01/1970", "citizen_id": "001070054321", "unit": "\#(lbWard)"}"#)
            var csv = try await app.token("entry.mk")
            csv[.contentType] = "text/csv"
            let file = """
                cccd,ngay_tiem,mui_so,vac_xin,so_lo
                001180012345,01/08/2021,1,AstraZeneca,ABV5300
                001180012345,29/08/2021,2,Pfizer,FF1234
                001180012345,29/08/2021,2,Pfizer,FF1234
                001070054321,02/08/2021,1,Vero Cell,2021070
                0011800,01/08/2021,1,Pfizer,
                001180012345,01/08/2030,3,Pfizer,
                001180012345,05/09/2021,3,Abdala,

                """
            let first = try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file)
            #expect(first.status == .ok)
            let report = (try first.json()["data"] as? [String: Any]) ?? [:]
            #expect(report["inserted"] as? Int == 2 && report["duplicates"] as? Int == 1 && report["failed"] as? Int == 4)
            // The Long Biên resident is outside Minh Khai's jurisdiction: reported like an unknown CCCD, never written.
            let lines = ((report["errors"] as? [[String: Any]]) ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [5, 6, 7, 8])
            let again = try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file)
            let second = (try again.json()["data"] as? [String: Any]) ?? [:]
            #expect(second["inserted"] as? Int == 0 && second["duplicates"] as? Int == 3)
            let doses = try await app.services.database.read { db in
                try await db.raw("SELECT dose_number, product_code, counts FROM vaccine_doses WHERE person_id = \(bind: s.person) ORDER BY dose_number").all()
                    .map { "\(try $0.decode(column: "dose_number", as: Int.self)) \(try $0.decode(column: "product_code", as: String.self)) \(try $0.decode(column: "counts", as: String.self))" }
            }
            #expect(doses == ["1 EU/1/21/1529 first", "2 EU/1/20/1528 complete"])
            // A row that contradicts the person's history is reported, not added: a second dose 1 on another day (a
            // corrected date sent as a new row), a second dose on one day, and the same within one file.
            let contradicting = """
                cccd,ngay_tiem,mui_so,vac_xin,so_lo
                001180012345,02/08/2021,1,AstraZeneca,ABV5300
                001180012345,29/08/2021,3,Pfizer,FF1234
                001060099999,01/08/2021,1,Pfizer,FF1
                001060099999,03/08/2021,1,Pfizer,FF1

                """
            _ = try await client.json(.post, "/api/v1/people", city, #"{"full_name": "Lê Văn Hai Lần", "birth_date": "03/03/1960", "citizen_id": "001060099999", "unit": "01/007/00295"}"#)
            let third = (try await client.json(.post, "/api/v1/vaccination/doses/import", csv, contradicting).json()["data"] as? [String: Any]) ?? [:]
            #expect(third["inserted"] as? Int == 1 && third["failed"] as? Int == 3)
            let messages = ((third["errors"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
            #expect(messages.count == 3 && messages[0].hasPrefix("Dòng 2: Người này đã có mũi 1 ngày 01/08/2021")
                    && messages[1].hasPrefix("Dòng 3: Người này đã có mũi 2 ngày 29/08/2021") && messages[2].hasPrefix("Dòng 5: Người này đã có mũi 1 ngày 01/08/2021"), "\(messages)")
            let counted = try await app.services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM vaccine_doses WHERE person_id = \(bind: s.person)").first()?.decode(column: "n", as: Int.self)
            }
            #expect(counted == 2)
            // Missing columns: refused as a whole with the names.
            let bad = try await client.json(.post, "/api/v1/vaccination/doses/import", csv, "ho_ten,ngay\nA,01/01/2021\n")
            #expect(bad.status == .unprocessableContent && bad.text.contains("cccd"))
            // A site account may not import.
            try await UserAdmin(services: app.services).create(username: "vax.mk", displayName: "Điểm tiêm", role: .vaccinationSite, unit: "01/007/00295", password: TestApp.password, creator: nil)
            var vax = try await app.token("vax.mk")
            vax[.contentType] = "text/csv"
            #expect(try await client.json(.post, "/api/v1/vaccination/doses/import", vax, file).status == .forbidden)
        }
    }

    /// A person vaccinated under two records: a site that did not find the record gave "dose 1" to someone
    /// on their second, and another system sent that same dose again under the duplicate. Merged, the person
    /// has one history, is counted once where they live, is not invited as if unvaccinated, and gets a
    /// certificate with the right dose number.
    @Test(arguments: Dialect.enabled)
    func aMergeCarriesTheDuplicatesDosesAndCountsThePersonOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let otherWard = try await app.services.directory.children(of: "01/007").first { !$0.isGroup && $0.path != "01/007/00295" }.unwrapped("another ward").path
            let kept = try await app.person("Trần Văn Gộp", birth: "1975-05-05")
            let duplicate = try await app.person("Trần Văn Gộp", ward: otherWard, citizenID: "001075012121", birth: "1975-05-05")
            let ward = try await app.token("minhkhai"), hbt = try await app.token("hbt")
            // Under the kept record: dose 1 at today's session, and its certificate.
            let given = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward, #"{"person_id": "\#(kept.id)", "lot_id": "\#(s.lot)"}"#)
            #expect(given.status == .created)
            let oldCert = (try await client.json(.post, "/api/v1/vaccination/people/\(kept.id)/certificate", ward, "{}").json()["data"] as? [String: Any]) ?? [:]
            #expect(oldCert["uvci"] is String)
            // Under the duplicate, from the other ward's file: a dose 40 days earlier, and today's dose again.
            try await UserAdmin(services: app.services).create(username: "entry.other", displayName: "Nhập liệu", role: .wardDataEntry, unit: otherWard,
                                                               password: TestApp.password, creator: nil)
            var csv = try await app.token("entry.other")
            csv[.contentType] = "text/csv"
            let earlier = TestApp.today.adding(days: -40)
            let file = "cccd,ngay_tiem,mui_so,vac_xin,so_lo\n001075012121,\(earlier.vietnamese),1,Pfizer,EA1111\n001075012121,\(TestApp.today.vietnamese),2,Pfizer,FF1234\n"
            let imported = (try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file).json()["data"] as? [String: Any]) ?? [:]
            #expect(imported["inserted"] as? Int == 2)
            // The duplicate was also screened once and postponed.
            #expect(try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", hbt, #"{"person_id": "\#(duplicate.id)", "outcome": "postpone"}"#).status == .ok)

            // A session a month on invites the kept record for dose 2, as if the duplicate's doses were someone else's.
            let later = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                              #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.adding(days: 30).vietnamese)", "capacity": 10, "product_code": "\#(Self.pfizer)"}"#)
            let laterID = (try later.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            func invited() async throws -> [String: Int] {
                let rows = (try await client.json(.get, "/api/v1/vaccination/sessions/\(laterID)", hbt).json()["invitations"] as? [[String: Any]]) ?? []
                var out: [String: Int] = [:]
                for r in rows { if let id = (r["person"] as? [String: Any])?["id"] as? String { out[id] = r["dose_number"] as? Int } }
                return out
            }
            #expect(try await invited()[kept.id] == 2)
            let service = CoverageService(services: app.services)
            let scope = try await Scope.of(try await app.user("hbt"), directory: app.services.directory)
            let wards = await service.wards(under: "01/007")
            func counts(_ w: String) async throws -> [Int] {
                Array((Self.table(try await service.coverage(scope: scope, wards: wards, on: TestApp.today))[w]?["18-49"] ?? []).dropFirst())
            }
            let keptBefore = try await counts("01/007/00295"), otherBefore = try await counts(otherWard)

            // The merge form says what each record holds before the officer chooses.
            var district = try await BrowserSession.login(client, "hbt")
            let form = try await district.get(client, "/people/\(kept.id)/merge").text
            #expect(form.contains("<span id=\"merge-kept-holdings\">1 mũi tiêm</span>") && form.contains("2 mũi tiêm"))
            let merged = try await client.json(.post, "/api/v1/people/\(kept.id)/merge", hbt, #"{"duplicate_id": "\#(duplicate.id)"}"#)
            #expect(merged.status == .ok)
            let doses = try await app.services.database.read { db in
                try await db.raw("SELECT person_id, unit_path, dose_number, given_on, counts FROM vaccine_doses WHERE person_id IN (\(bind: kept.id), \(bind: duplicate.id)) ORDER BY given_on, counts DESC").all()
                    .map { r in [try r.decode(column: "person_id", as: String.self) == kept.id ? "kept" : "duplicate", try r.decode(column: "unit_path", as: String.self),
                                 String(try r.decode(column: "dose_number", as: Int.self)), try r.decode(column: "given_on", as: String.self), try r.decode(column: "counts", as: String.self)] }
            }
            // One history, numbered by date, in the kept record's ward; the dose entered twice stays on the merged record, counted nowhere.
            #expect(doses == [["kept", "01/007/00295", "1", earlier.iso, "first"],
                              ["kept", "01/007/00295", "2", TestApp.today.iso, "complete"],
                              ["duplicate", otherWard, "2", TestApp.today.iso, ""]])
            // Coverage: the person is one complete series in Minh Khai and no longer a dose in the other ward; the stored counts agree with a recount.
            #expect(try await counts("01/007/00295") == [keptBefore[0], keptBefore[1] + 1, 0])
            #expect(try await counts(otherWard) == [otherBefore[0] - 1, otherBefore[1] - 1, 0])
            let expected = try await Self.recount(app, wards: wards, on: TestApp.today)
            let stored = Self.table(try await service.coverage(scope: scope, wards: wards, on: TestApp.today))
            #expect(stored.mapValues { $0.mapValues { Array($0.dropFirst()) } } == expected.mapValues { $0.mapValues { Array($0.dropFirst()) } })
            // Not invited a month on: the series is complete and a booster is not due.
            #expect(try await invited()[kept.id] == nil)
            // The screening moved with the person.
            let screened = try await app.services.database.read { db in
                try await db.raw("SELECT person_id FROM vaccination_screenings WHERE person_id IN (\(bind: kept.id), \(bind: duplicate.id))").all().map { try $0.decode(column: "person_id", as: String.self) }
            }
            #expect(screened == [kept.id, kept.id])

            // The certificate signed as dose 1 is set aside: the next one says dose 2 of 2.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/people/\(kept.id)")
            #expect(page.text.contains(earlier.vietnamese) && page.text.contains("EA1111") && page.text.contains("Số mũi đã đổi khi gộp hồ sơ trùng"))
            let issued = try await client.json(.post, "/api/v1/vaccination/people/\(kept.id)/certificate", ward, "{}")
            #expect(issued.status == .created)
            let cert = (try issued.json()["data"] as? [String: Any]) ?? [:]
            #expect(cert["uvci"] as? String != oldCert["uvci"] as? String)
            let trust = try SigningService.open(app.services.settings).trustList(.vaccination)
            let verified = try HC1Verifier(trustList: trust).verify(cert["payload"] as? String ?? "", now: Date())
            #expect(verified.claims.certificate.vaccination.doseNumber == 2 && verified.claims.certificate.vaccination.totalSeriesOfDoses == 2)
            // The merge's audit row names the history before and after, and the dose entered twice.
            let changes = try await app.auditRows(entityId: kept.id, action: "merge").first?.decodedChanges ?? []
            #expect(changes.first { $0.field == "vaccine_doses" }?.old == "Mũi 1 ngày \(TestApp.today.vietnamese) (Comirnaty (Pfizer-BioNTech))")
            #expect(changes.first { $0.field == "vaccine_doses" }?.new == "Mũi 1 ngày \(earlier.vietnamese) (Comirnaty (Pfizer-BioNTech)); Mũi 2 ngày \(TestApp.today.vietnamese) (Comirnaty (Pfizer-BioNTech))")
            #expect(changes.first { $0.field == "repeated_doses" }?.new == "Mũi 2 ngày \(TestApp.today.vietnamese) (Comirnaty (Pfizer-BioNTech))")
        }
    }

    @Test(arguments: Dialect.enabled)
    func coverageCountsDosesAgainstThePopulationAndFlagsWardsThatWillMiss(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let ward = try await app.token("minhkhai")
            _ = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward, #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#)
            func cell(_ token: HTTPFields, unit: String, path: String, group: String) async throws -> [String: Any]? {
                let r = try await client.json(.get, "/api/v1/vaccination/coverage?unit=\(unit)", token)
                let rows = (try r.json()["data"] as? [[String: Any]]) ?? []
                let cells = rows.first { $0["unit_path"] as? String == path }?["cells"] as? [[String: Any]]
                return cells?.first { $0["age_group"] as? String == group }
            }
            let mk = try await cell(ward, unit: "01.007.00295", path: "01/007/00295", group: "18-49")
            #expect(mk?["first"] as? Int == 1 && mk?["complete"] as? Int == 0)
            let registryPopulation = mk?["population"] as? Int ?? 0
            #expect(registryPopulation >= 1)
            // The district sees Minh Khai's dose in its own row.
            let hbt = try await app.token("hbt")
            let district = try await cell(hbt, unit: "01.007", path: "01/007/00295", group: "18-49")
            #expect(district?["first"] as? Int == 1)
            // An entered population replaces the registry's.
            let set = try await client.json(.post, "/api/v1/vaccination/populations", hbt, #"{"unit": "01/007/00295", "age_group": "18-49", "population": 12000}"#)
            #expect(set.status == .ok)
            let entered = try await cell(ward, unit: "01.007.00295", path: "01/007/00295", group: "18-49")
            #expect(entered?["population"] as? Int == 12000 && entered?["population_entered"] as? Bool == true)
            // A target due in ten days at 50%: one dose in the last 7 days cannot reach 6,000 of 12,000 adults under 50.
            let target = try await client.json(.post, "/api/v1/vaccination/targets", hbt,
                                               #"{"title": "18–49 mũi 1 đạt 50%", "min_age": 18, "kind": "first", "percent": 50, "due_on": "\#(TestApp.today.adding(days: 10).vietnamese)", "unit": "01/007"}"#)
            #expect(target.status == .created)
            let r = try await client.json(.get, "/api/v1/vaccination/coverage?unit=01.007", hbt)
            let targets = (try r.json()["targets"] as? [[String: Any]]) ?? []
            let mine = targets.first { $0["title"] as? String == "18–49 mũi 1 đạt 50%" }
            let minhKhai = (mine?["units"] as? [[String: Any]])?.first { $0["unit_path"] as? String == "01/007/00295" }
            #expect(minhKhai?["will_miss"] as? Bool == true && minhKhai?["covered"] as? Int == 1)
            // The city's target (every adult a first dose by 15/9/2021) applies to the district too.
            #expect(targets.contains { $0["id"] as? String == "target-hanoi-18-first" })
            // A ward cannot see another district's coverage.
            #expect(try await client.json(.get, "/api/v1/vaccination/coverage?unit=01.004", ward).status == .notFound)
            var browser = try await BrowserSession.login(client, "hbt")
            let page = try await browser.get(client, "/vaccination/coverage")
            #expect(page.status == .ok && page.text.contains("chart-first") && page.text.contains("<svg"))
            // Percentages are written the Vietnamese way, with a decimal comma.
            #expect(page.text.contains(/\d,\d%/) && !page.text.contains(/\d\.\d%/))
        }
    }

    /// Coverage from scratch, independent of the stored counts: people per ward and age group (ages in Swift)
    /// and doses per ward, age group and count given up to `day`.
    static func recount(_ app: TestApp, wards: [String], on day: CivilDate) async throws -> [String: [String: [Int]]] {
        try await app.services.database.read { db in
            var out: [String: [String: [Int]]] = [:]
            for w in wards { for g in AgeGroup.allCases { out[w, default: [:]][g.rawValue] = [0, 0, 0, 0] } }
            for row in try await db.raw("SELECT unit_path, birth_date FROM persons WHERE merged_into IS NULL AND birth_date IS NOT NULL").all() {
                let w = try row.decode(column: "unit_path", as: String.self)
                guard out[w] != nil, let birth = CivilDate(iso: try row.decode(column: "birth_date", as: String.self)),
                      let g = AgeGroup.of(age: birth.age(on: day)) else { continue }
                out[w]?[g.rawValue]?[0] += 1
            }
            for row in try await db.raw("SELECT unit_path, age_group, counts FROM vaccine_doses WHERE given_on <= \(bind: day.iso) AND age_group IS NOT NULL").all() {
                let w = try row.decode(column: "unit_path", as: String.self), g = try row.decode(column: "age_group", as: String.self)
                for k in try row.decode(column: "counts", as: String.self).split(separator: ",") {
                    let i = k == "first" ? 1 : k == "complete" ? 2 : 3
                    out[w]?[g]?[i] += 1
                }
            }
            return out
        }
    }

    static func table(_ coverage: [UnitCoverage]) -> [String: [String: [Int]]] {
        var out: [String: [String: [Int]]] = [:]
        for u in coverage { for c in u.cells { out[u.unitPath, default: [:]][c.ageGroup] = [c.population, c.first, c.complete, c.booster] } }
        return out
    }

    @Test(arguments: Dialect.enabled)
    func storedPopulationsAndRunningTotalsAgreeWithARecount(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let service = CoverageService(services: app.services)
            let hbt = try await app.user("hbt")
            let scope = try await Scope.of(hbt, directory: app.services.directory)
            let wards = await service.wards(under: "01/007")
            let today = TestApp.today
            #expect(wards.contains("01/007/00295"))
            // The first call counts the registry for today and stores it.
            #expect(Self.table(try await service.coverage(scope: scope, wards: wards, on: today)) == (try await Self.recount(app, wards: wards, on: today)))

            // Doses at a site and from a file (one of them sent twice) move the running totals as they move the per-day rows.
            let ward = try await app.token("minhkhai")
            #expect(try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward, #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#).status == .created)
            _ = try await client.json(.post, "/api/v1/people", try await app.token("city"), #"{"full_name": "Lê Văn Năm", "birth_date": "03/03/1960", "citizen_id": "001060011111", "unit": "01/007/00295"}"#)
            var csv = try await app.token("entry.mk")
            csv[.contentType] = "text/csv"
            let file = "cccd,ngay_tiem,mui_so,vac_xin,so_lo\n001060011111,01/08/2021,1,AstraZeneca,A1\n001060011111,29/08/2021,2,AstraZeneca,A2\n001060011111,29/08/2021,2,AstraZeneca,A2\n"
            #expect(try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file).status == .ok)
            #expect(try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file).status == .ok)
            let after = Self.table(try await service.coverage(scope: scope, wards: wards, on: today))
            let expected = try await Self.recount(app, wards: wards, on: today)
            // Counts agree; the population of 50–64 still holds the count made before Lê Văn Năm was registered (stored for a day).
            #expect(after.mapValues { $0.mapValues { Array($0.dropFirst()) } } == expected.mapValues { $0.mapValues { Array($0.dropFirst()) } })
            #expect(after["01/007/00295"]?["50-64"] == [(expected["01/007/00295"]?["50-64"]?[0] ?? 0) - 1, 1, 1, 0])
            // An earlier day subtracts the later days: on 15/08/2021 only the first dose of 01/08.
            let mid = CivilDate(year: 2021, month: 8, day: 15) ?? today
            _ = try await service.registryPopulations(scope: scope, wards: wards, on: mid, recount: true)
            #expect(Self.table(try await service.coverage(scope: scope, wards: wards, on: mid)) == (try await Self.recount(app, wards: wards, on: mid)))

            // Counted on demand, the registry change is in; a count older than a day is made again by itself.
            _ = try await service.registryPopulations(scope: scope, wards: wards, on: today, recount: true)
            #expect(Self.table(try await service.coverage(scope: scope, wards: wards, on: today)) == expected)
            _ = try await client.json(.post, "/api/v1/people", try await app.token("city"), #"{"full_name": "Lê Thị Sáu", "birth_date": "03/03/1962", "unit": "01/007/00295"}"#)
            let old = Timestamp.string(Date().addingTimeInterval(-CoverageService.populationLifetime - 60))
            try await app.services.database.transaction { db in try await db.raw("UPDATE vaccine_registry_populations SET counted_at = \(bind: old)").run() }
            let recounted = try await service.coverage(scope: scope, wards: wards, on: today)
            #expect(Self.table(recounted) == (try await Self.recount(app, wards: wards, on: today)))
            #expect(recounted.allSatisfy { ($0.registryCountedAt ?? "") > old })

            // The API and the page say when the populations were counted.
            let api = try await client.json(.get, "/api/v1/vaccination/coverage?unit=01.007", try await app.token("hbt"))
            #expect((try api.json()["populations_counted_at"] as? String).map { $0 > old } == true)
            var browser = try await BrowserSession.login(client, "hbt")
            let page = try await browser.get(client, "/vaccination/coverage")
            #expect(page.text.contains("vax-populations-as-of") && page.text.contains("đếm lúc"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func riskLevelsReadCoverageFromTheDosesAndAHandEntryNeedsAReason(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            try await app.services.database.transaction { db in try await db.raw("UPDATE units SET population = 10000 WHERE parent_path = '01/007'").run() }
            try await app.services.directory.reload()
            let hbt = try await app.token("hbt")
            // Minh Khai's adults: 1 aged 18–49, 1 aged 50–64, none 65+ (entered, so the test's registry does not matter).
            for (group, n) in [("18-49", 1), ("50-64", 1), ("65+", 0)] {
                #expect(try await client.json(.post, "/api/v1/vaccination/populations", hbt, #"{"unit": "01/007/00295", "age_group": "\#(group)", "population": \#(n)}"#).status == .ok)
            }
            // Both adults get a first dose, the one over 50 a complete series: 100% and 100%.
            #expect(try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", try await app.token("minhkhai"), #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)"}"#).status == .created)
            _ = try await client.json(.post, "/api/v1/people", try await app.token("city"), #"{"full_name": "Lê Văn Năm", "birth_date": "03/03/1960", "citizen_id": "001060011111", "unit": "01/007/00295"}"#)
            var csv = try await app.token("entry.mk")
            csv[.contentType] = "text/csv"
            #expect(try await client.json(.post, "/api/v1/vaccination/doses/import", csv, "cccd,ngay_tiem,mui_so,vac_xin,so_lo\n001060011111,01/08/2021,1,AstraZeneca,A1\n001060011111,29/08/2021,2,AstraZeneca,A2\n").status == .ok)

            func minhKhai() async throws -> [String: Any]? {
                let r = try await client.json(.post, "/api/v1/risk/compute", hbt, #"{"week": "2021-W46", "unit": "01/007"}"#)
                #expect(r.status == .ok)
                return ((try r.json()["data"] as? [[String: Any]]) ?? []).first { $0["unit_path"] as? String == "01/007/00295" }
            }
            // Nothing typed in: the criterion comes from the doses.
            let computed = try await minhKhai()
            #expect(computed?["coverage_met"] as? Bool == true)
            #expect((computed?["decided_vi"] as? String)?.contains("đạt độ bao phủ vắc xin") == true && (computed?["decided_vi"] as? String)?.contains("nhập tay") == false)

            // A hand entry without a reason is refused and changes nothing.
            let bare = try await client.json(.post, "/api/v1/risk/indicators", hbt, #"{"unit": "01/007/00295", "indicator": "coverage_over50_full_pct", "value": 40, "as_of": "20/09/2021"}"#)
            #expect(bare.status == .unprocessableContent && bare.text.contains("reason"))
            #expect(try await minhKhai()?["coverage_met"] as? Bool == true)

            // With a reason it overrides the computed figure, is audited, and the page says it was typed in and why.
            let why = "Bệnh viện báo 2 người trên 50 tuổi chưa được nhập"
            let entered = try await client.json(.post, "/api/v1/risk/indicators", hbt, #"{"unit": "01/007/00295", "indicator": "coverage_over50_full_pct", "value": 40, "as_of": "20/09/2021", "reason": "\#(why)"}"#)
            #expect(entered.status == .ok)
            let overridden = try await minhKhai()
            #expect(overridden?["coverage_met"] as? Bool == false)
            #expect((overridden?["decided_vi"] as? String)?.contains("nhập tay: \(why)") == true)
            let audit = try await app.services.database.read { db in
                try await db.raw("SELECT summary FROM audit_log WHERE entity_type = 'indicator' AND entity_id = '01/007/00295#coverage_over50_full_pct'").all().map { try $0.decode(column: "summary", as: String.self) }
            }
            #expect(audit.count == 1 && audit.first?.contains(why) == true)
            var browser = try await BrowserSession.login(client, "hbt")
            let page = try await browser.get(client, "/risk?week=2021-W46&unit=01.007")
            #expect(page.status == .ok && page.text.contains("nhập tay: \(why)"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func anAdverseEventIsFollowedUpInTheSitesJurisdiction(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await Self.setup(app, client)
            let ward = try await app.token("minhkhai")
            let r = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", ward,
                                          #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)", "aefi": "Sốt 38,5 độ, đau tại chỗ tiêm", "aefi_severity": "mild"}"#)
            #expect(r.status == .created)
            let id = try await app.services.database.read { try await $0.raw("SELECT id FROM vaccine_aefi WHERE person_id = \(bind: s.person)").first()?.decode(column: "id", as: String.self) } ?? ""
            #expect(!id.isEmpty)
            var browser = try await BrowserSession.login(client, "minhkhai")
            #expect(try await browser.get(client, "/vaccination/sessions/\(s.session)").text.contains("Sốt 38,5 độ"))
            let lbWard = try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path
            try await UserAdmin(services: app.services).create(username: "vax.lb", displayName: "Điểm tiêm Long Biên", role: .vaccinationSite, unit: lbWard, password: TestApp.password, creator: nil)
            #expect(try await client.json(.post, "/api/v1/vaccination/aefi/\(id)/follow-up", try await app.token("vax.lb"), #"{"follow_up": "x", "close": true}"#).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/vaccination/aefi/\(id)/follow-up", ward, #"{"follow_up": ""}"#).status == .unprocessableContent)
            #expect(try await client.json(.post, "/api/v1/vaccination/aefi/\(id)/follow-up", ward, #"{"follow_up": "Ngày 2: hết sốt", "close": true}"#).status == .ok)
            let row = try await app.services.database.read { try await $0.raw("SELECT status, follow_up FROM vaccine_aefi WHERE id = \(bind: id)").first() }
            #expect(try row?.decode(column: "status", as: String.self) == "closed")
            #expect(try row?.decode(column: "follow_up", as: String.self) == "Ngày 2: hết sốt")
            #expect(!(try await browser.get(client, "/vaccination/sessions/\(s.session)").text.contains("Sốt 38,5 độ")))
        }
    }
}
