import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiApp
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing
@testable import EpiReporting

/// The capabilities meet only through `Composition`: their templates, API descriptions and menu
/// entries are gathered at start, and a capability cannot silently replace another's.
@Suite("Composition of capabilities")
struct CompositionTests {
    /// A throwaway capability folder with the given files.
    static func capability(_ name: String, _ files: [String: String]) throws -> CapabilityResources {
        let root = Scratch.path("capability")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return CapabilityResources(name: name, root: root)
    }

    @Test func everyCapabilityShipsItsOwnTemplatesAndTheyAllLoad() throws {
        let resources = [CapabilityResources.platform] + Composition.epiCommand.resources
        let views = try Views.load(resources, navigation: [])
        // One template from each target, rendered by name.
        for name in ["layout", "people/show", "cases/person-section", "reports/index"] {
            #expect(views.library.getTemplate(named: name) != nil, "\(name) missing")
        }
    }

    @Test func twoCapabilitiesShippingTheSameTemplateAreRefusedAtStart() throws {
        let a = try Self.capability("A", ["templates/shared/page.mustache": "a"])
        let b = try Self.capability("B", ["templates/shared/page.mustache": "b"])
        #expect(throws: AppError.self) { try Views.load([.platform, a, b], navigation: []) }
        let c = try Self.capability("C", ["templates/other/page.mustache": "c"])
        let views = try Views.load([.platform, a, c], navigation: [])
        #expect(views.render("other/page", [:]) == "c")
    }

    @Test func theAPIDocumentIsEveryCapabilitysPartsAndRefusesARedefinition() throws {
        let merged = try APIDocument.merge([.platform] + Composition.epiCommand.resources)
        let doc = try #require(try JSONSerialization.jsonObject(with: merged) as? [String: Any])
        let paths = try #require(doc["paths"] as? [String: Any])
        #expect(paths["/api/v1/people"] != nil && paths["/api/v1/cases"] != nil && paths["/api/v1/reports"] != nil)
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        #expect(schemas["Error"] != nil && schemas["Person"] != nil && schemas["Case"] != nil && schemas["Dashboard"] != nil)

        let thief = try Self.capability("Thief", ["openapi.json": #"{"paths": {"/api/v1/people": {}}, "components": {"schemas": {}}}"#])
        #expect(throws: AppError.self) { try APIDocument.merge([.platform, Registry.resources, thief]) }
    }

    @Test func theMenuShowsEachRoleOnlyWhatItsPermissionsAllow() throws {
        let all = Composition.epiCommand.navigation
        Strings.install(Composition.epiCommand.strings)
        func keys(_ role: Role) throws -> [String] {
            let user = CurrentUser(id: "u", username: "u", displayName: "u", role: role, unitPath: try UnitPath("01"))
            return Navigation.items(all, for: user, language: .vi, active: "").compactMap { $0["key"] as? String }
        }
        #expect(try keys(.cityCommand).starts(with: ["home", "units", "people"]))
        #expect(try keys(.cityCommand).contains("dashboard"))
        // A checkpoint officer has no business in cases, users or the audit log.
        let checkpoint = try keys(.checkpoint)
        #expect(!checkpoint.contains("cases") && !checkpoint.contains("users") && !checkpoint.contains("audit"))
        #expect(checkpoint.first == "home")
        // Labels are words in the user's language, never keys.
        let user = CurrentUser(id: "u", username: "u", displayName: "u", role: .cityCommand, unitPath: try UnitPath("01"))
        for item in Navigation.items(all, for: user, language: .vi, active: "") {
            #expect(!((item["label"] as? String) ?? "nav_").hasPrefix("nav_"))
        }
    }
}

/// A demo database lives on its own day (10/09/2021 for `serve --demo`), shown in every page's header;
/// everything people enter is dated on it, while sign-in keeps real time.
@Suite("Simulated day of a demo database")
struct SimulatedDayTests {
    @Test(arguments: Dialect.enabled)
    func pagesShowTheSimulatedDayAndNewRecordsAreDatedOnIt(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var ward = try await BrowserSession.login(client, "minhkhai")
            let home = try await ward.get(client, "/")
            #expect(String(buffer: home.body).contains("Dữ liệu mô phỏng ngày 20/09/2021"))
            #expect(Clock.today() == TestApp.today)

            // A person registered now is dated on the simulated day…
            let created = try await client.json(.post, "/api/v1/people", try await app.token("minhkhai"),
                                                #"{"full_name": "Hoàng Văn Tư", "birth_date": "01/02/1980", "address": "Số 9 Minh Khai"}"#)
            #expect(created.status == .created)
            let person = try #require(try created.json()["data"] as? [String: Any])
            let createdAt = try #require((person["created_at"] as? String).flatMap(Timestamp.date))
            #expect(VietnamTime.day(of: createdAt) == TestApp.today)

            // …while the session the officer signed in with expires in real time, not in 2021.
            let expiry = try await app.services.database.read { db in
                try await db.raw("SELECT MAX(expires_at) AS e FROM sessions").first()?.decode(column: "e", as: String.self)
            }
            let expires = try #require(expiry.flatMap(Timestamp.date))
            #expect(expires > Date())
        }
    }

    /// A demo left serving overnight: at the real midnight its day moves on, as a day does; its clock
    /// never turns back, or changes made after midnight would be dated before those made at 23:59
    /// and a code signed then would not be valid yet.
    @Test
    func aDemoLeftServingPastMidnightMovesToTheNextDay() throws {
        let day = TestApp.today
        // 4 December 2026, 23:59:58 in Hanoi (16:59:58 UTC).
        let evening = VietnamTime.instant(try #require(CivilDate(year: 2026, month: 12, day: 4)), hour: 23, minute: 59).addingTimeInterval(58)
        let clock = SimulatedClock(day: day, real: evening)
        #expect(clock.today(real: evening) == day && VietnamTime.display(clock.now(real: evening)) == "20/09/2021 23:59")
        let after = evening.addingTimeInterval(4)
        #expect(clock.now(real: after) > clock.now(real: evening))
        #expect(clock.today(real: after) == day.adding(days: 1) && VietnamTime.display(clock.now(real: after)) == "21/09/2021 00:00")
        // Started at a chosen hour (the tests start at 10:00), the day still lasts until its midnight.
        let morning = SimulatedClock(day: day, real: evening, secondsOfDay: 10 * 3600)
        #expect(VietnamTime.display(morning.now(real: evening)) == "20/09/2021 10:00")
        #expect(morning.today(real: evening.addingTimeInterval(13 * 3600 + 59 * 60)) == day)
        #expect(morning.today(real: evening.addingTimeInterval(14 * 3600 + 1)) == day.adding(days: 1))
    }
}

@Suite("Numbers and weeks in the reader's language")
struct NumberFormatTests {
    @Test func decimalsUseTheReadersSeparators() {
        #expect(NumberFormat.decimal(0.9, language: .vi) == "0,9")
        #expect(NumberFormat.decimal(0.9, language: .en) == "0.9")
        #expect(NumberFormat.decimal(1234.56, language: .vi) == "1.234,6")
        #expect(NumberFormat.decimal(1234.56, language: .en) == "1,234.6")
        #expect(NumberFormat.decimal(-0.04, language: .vi) == "0,0")
        #expect(NumberFormat.decimal(-2.25, digits: 2, language: .vi) == "-2,25")
        #expect(NumberFormat.decimal(.nan, language: .vi) == "–")
        #expect(NumberFormat.decimal(3, digits: 0, language: .en) == "3")
    }

    @Test func oneWeekLabelEverywhere() {
        #expect(NumberFormat.week(CivilDate(year: 2026, month: 11, day: 26)!, language: .vi) == "Tuần 48/2026")
        #expect(NumberFormat.week(key: "2021-W37", language: .vi) == "Tuần 37/2021")
        #expect(NumberFormat.week(key: "2021-W37", language: .en) == "Week 37/2021")
        // ISO weeks: 1 January 2021 belongs to week 53 of 2020.
        #expect(NumberFormat.week(CivilDate(year: 2021, month: 1, day: 1)!, language: .vi) == "Tuần 53/2020")
    }
}

@Suite("Every code a person reads has a label")
struct LabelTests {
    /// Each stored code a capability shows (statuses, actions, fields) is a word in both languages.
    @Test func everyLabelledCodeHasAVietnameseAndAnEnglishLabel() {
        Strings.install(Composition.epiCommand.strings)
        var missing: [String] = []
        for set in Composition.epiCommand.labels {
            for code in set.codes where !Strings.hasLabel(set.prefix, code) { missing.append("\(set.prefix).\(code)") }
        }
        #expect(missing.isEmpty, "no label for \(missing)")
    }
}
