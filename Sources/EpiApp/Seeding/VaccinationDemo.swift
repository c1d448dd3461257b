import EpiCore
import EpiPlatform
import EpiRegistry
import EpiVaccination
import Foundation
import SQLKit

/// The vaccination part of `serve --demo`: two lots received by the city (one Pfizer lot expiring within
/// two weeks, so the dashboard warns), allocation to Hai Bà Trưng and on to a site in Minh Khai (the
/// `vax.minhkhai` account), a session on each of the last seven days with doses to adult residents,
/// doses of earlier months imported from a CSV, and a certificate for Nguyễn Văn Nam. Everything goes
/// through the services the pages use, so stock, coverage and audit agree.
enum VaccinationDemo {
    static let username = "vax.minhkhai"

    static func seed(_ services: AppServices, log: (String) -> Void) async throws {
        let today = Clock.today()
        let city = try await CLIImport.user(services, username: "tp.chihuy")
        let district = try await CLIImport.user(services, username: "q.haibatrung")
        let site = try await CLIImport.user(services, username: username)
        let vaccination = VaccinationService(services: services)
        let pfizer = try await vaccination.createLot(LotInput(productCode: "EU/1/20/1528", lotNumber: "FF2587", expiresOn: today.adding(days: 10).iso, dosesPerVial: 6, doses: 1_200,
                                                              receivedOn: today.adding(days: -20).iso), user: city, key: nil, language: .vi)
        let astra = try await vaccination.createLot(LotInput(productCode: "EU/1/21/1529", lotNumber: "ABV5811", expiresOn: "2021-12-31", dosesPerVial: 10, doses: 5_000,
                                                             receivedOn: today.adding(days: -20).iso), user: city, key: nil, language: .vi)
        for (lot, doses) in [(pfizer, 800), (astra, 3_000)] {
            _ = try await vaccination.allocate(AllocationInput(decisionNo: "1520/QĐ-UBND", decidedOn: today.adding(days: -18).iso, lotId: lot.id, to: "01/007", doses: doses),
                                               user: city, key: nil, language: .vi)
        }
        let mk = try await vaccination.createSite(SiteInput(name: "Trạm Y tế phường Minh Khai", address: "Số 1 ngõ 2 Hòa Bình, Minh Khai", unit: "01/007/00295"),
                                                  user: district, key: nil, language: .vi)
        let bm = try await vaccination.createSite(SiteInput(name: "Trường THCS Bạch Mai", address: "Phố Bạch Mai", unit: "01/007/00286"), user: district, key: nil, language: .vi)
        for (to, lot, doses) in [(mk.id, pfizer, 400), (mk.id, astra, 1_500), (bm.id, astra, 1_000)] {
            _ = try await vaccination.allocate(AllocationInput(decisionNo: "88/QĐ-BCĐ", decidedOn: today.adding(days: -17).iso, lotId: lot.id, to: "site:\(to)", doses: doses),
                                               user: district, key: nil, language: .vi)
        }

        // Earlier doses from the city's previous system, as a CSV the ward's data entry officer imports.
        let earlier = """
            cccd,ngay_tiem,mui_so,vac_xin,so_lo
            001187004321,02/08/2021,1,AstraZeneca,ABV5300
            001190067890,05/08/2021,1,Vero Cell,202107A
            001085012345,15/07/2021,1,AstraZeneca,ABV5300

            """
        let entry = try await CLIImport.user(services, username: "nl.minhkhai")
        _ = try await DoseImportService(services: services).importCSV(bytes: Array(earlier.utf8), filename: "tiem-chung-truoc-thang-9.csv", user: entry, language: .vi)

        // A session on each of the last seven days at each site, giving a dose to adults in order: a pace to project.
        var given = 0
        for (siteRecord, ward, user) in [(mk, "01/007/00295", site), (bm, "01/007/00286", district)] {
            let adults = try await services.database.read { db in
                try await db.raw("""
                    SELECT id FROM persons WHERE unit_path = \(bind: ward) AND merged_into IS NULL AND birth_date IS NOT NULL AND birth_date <= \(bind: today.adding(days: -18 * 366).iso)
                    ORDER BY household_code, birth_date, id LIMIT 160
                    """).all().map { try $0.decode(column: "id", as: String.self) }
            }
            var cursor = 0
            for back in stride(from: 6, through: 0, by: -1) {
                let day = today.adding(days: -back)
                let session = try await vaccination.createSession(SessionInput(siteId: siteRecord.id, sessionOn: day.iso, capacity: 200, productCode: "EU/1/21/1529",
                                                                              priorityGroups: "outbreak_area,chronic_illness", minAge: 18), user: user, key: nil, language: .vi)
                let count = back == 0 ? 6 : 10 + (back * 3) % 9
                for _ in 0..<count where cursor < adults.count {
                    let person = adults[cursor]
                    cursor += 1
                    // September 2021: all of Hanoi was an outbreak area; one in four came as chronically ill.
                    let group = cursor % 4 == 0 ? "chronic_illness" : "outbreak_area"
                    if let r = try? await vaccination.record(sessionID: session.id, DoseInput(personId: person, lotId: astra.id, priorityGroup: group), user: user, language: .vi),
                       r.dose != nil { given += 1 }
                }
            }
        }
        // Nguyễn Văn Nam (first dose imported, 15/07) gets his second today, then his certificate.
        let nam = try await services.database.read { db in
            try await db.raw("SELECT id FROM persons WHERE citizen_id = '001085012345'").first()?.decode(column: "id", as: String.self)
        }
        if let nam {
            let sessions = try await services.database.read { try await $0.raw("SELECT id FROM vaccination_sessions WHERE site_id = \(bind: mk.id) AND session_on = \(bind: today.iso)").first() }
            if let sessionID = try sessions?.decode(column: "id", as: String.self) {
                _ = try? await vaccination.record(sessionID: sessionID, DoseInput(personId: nam, lotId: astra.id, note: "Khỏe, không phản ứng", priorityGroup: "outbreak_area"), user: site, language: .vi)
            }
            _ = try await CertificateService(services: services).issue(personID: nam, user: site, language: .vi)
        }
        // Lê Thị Mai's certificate was issued by mistake and revoked: the verifier shows "revoked".
        let mai = try await services.database.read { db in
            try await db.raw("SELECT id FROM persons WHERE citizen_id = '001187004321'").first()?.decode(column: "id", as: String.self)
        }
        if let mai {
            let cert = try await CertificateService(services: services).issue(personID: mai, user: site, language: .vi)
            _ = try await CertificateService(services: services).revoke(certificateID: cert.id, reason: "Cấp nhầm thông tin lô vắc xin", user: district, language: .vi)
        }
        log("Đã tạo dữ liệu tiêm chủng demo: 2 lô, 2 điểm tiêm, \(given) mũi trong 7 ngày, 2 chứng nhận (1 đã thu hồi) (tài khoản \(username)).")
    }
}
