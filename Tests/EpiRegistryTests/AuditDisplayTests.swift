import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry

/// The audit trail reads as words: actions and fields by their labels, dates as people write them,
/// and it can be searched the way an officer speaks ("xem", a person's name).
@Suite("Audit trail in people's words")
struct AuditDisplayTests {
    @Test(arguments: Dialect.enabled)
    func historyShowsLabelledFieldsAndDatesNotKeys(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let hoa = try await app.person("Trần Thị Hoa", birth: "1990-05-15")
            var ward = try await BrowserSession.login(client, "minhkhai")
            let form = try await ward.get(client, "/people/\(hoa.id)/edit")
            #expect(form.status == .ok)
            let saved = try await ward.post(client, "/people/\(hoa.id)", form: [
                "full_name": "Trần Thị Hoa", "birth_date": "16/05/1990", "address": "Số 5 ngõ 4 Hòa Bình", "unit": "01/007/00295",
                "residence_status": "temporary", "resident_until": "31/12/2021", "version": "1", "sex": "female",
            ])
            #expect(saved.status == .seeOther)
            let page = try await ward.get(client, "/people/\(hoa.id)").text
            // Fields by name, values as written: no birth_date, no 1990-05-16, no "temporary".
            #expect(page.contains("Ngày sinh: 15/05/1990 → 16/05/1990"))
            #expect(page.contains("Tình trạng cư trú: Thường trú → Tạm trú"))
            #expect(!page.contains("birth_date") && !page.contains("1990-05-16") && !page.contains("residence_status"))
            #expect(page.contains("Xem hồ sơ"))

            // The same history in English uses English labels.
            _ = try await ward.get(client, "/lang/en")
            let english = try await ward.get(client, "/people/\(hoa.id)").text
            #expect(english.contains("Birth date: 15/05/1990 → 16/05/1990"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func theAuditIsSearchedByActionWordsAndByAPersonsName(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let nam = try await app.person("Nguyễn Văn Nam")
            let lan = try await app.person("Lê Thị Lan", birth: "1980-02-02")
            var ward = try await BrowserSession.login(client, "minhkhai")
            _ = try await ward.get(client, "/people/\(nam.id)")
            _ = try await ward.get(client, "/people/\(lan.id)")

            var city = try await BrowserSession.login(client, "city")
            // "xem" (without diacritics) finds record views, labelled in Vietnamese.
            let views = try await city.get(client, "/audit?q=xem").text
            #expect(views.contains("data-action=\"view\""))
            #expect(!views.contains("data-action=\"login\""))
            // A person's name finds what was done to that person only.
            let byName = try await city.get(client, "/audit?q=van+nam").text
            #expect(byName.contains("href=\"/people/\(nam.id)\""))
            #expect(!byName.contains(lan.id))
            // The action filter is a list of words, not codes to type.
            let page = try await city.get(client, "/audit").text
            #expect(page.contains("<option value=\"merge\">Gộp hồ sơ</option>"))
            #expect(!page.contains("placeholder=\"view, create, update"))
        }
    }
}
