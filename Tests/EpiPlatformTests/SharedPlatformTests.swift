import EpiCore
import Foundation
import Testing
@testable import EpiApp
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing
@testable import EpiReporting

@Suite("Live figures, versioned rule settings, repeat-safe submissions")
struct SharedPlatformTests {
    @Test(arguments: Dialect.enabled)
    func countersSumPerScopeAndDay(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let db = app.services.database
            let d1 = CivilDate(year: 2021, month: 9, day: 14)!, d2 = d1.adding(days: 1)
            try await db.transaction { db in
                try await Counters.apply(db, [
                    .init("01/007/00295", group: "TDP01", .casesNew, day: d1): 3,
                    .init("01/007/00295", .casesNew, day: d2): 2,
                    .init("01/007/00286", .casesNew, day: d2): 5,
                    .init("01/004/00139", .casesNew, day: d2): 7,
                    .init("01/007/00295", group: "TDP01", .f1Active): 4,
                ])
                // A second write to the same keys adds up rather than overwriting.
                try await Counters.bump(db, "01/007/00295", .casesNew, day: d2, by: 1)
                try await Counters.bump(db, "01/007/00295", group: "TDP01", .f1Active, by: -1)
            }
            let city = try await app.scope(for: "city"), hbt = try await app.scope(for: "hbt"), mk = try await app.scope(for: "minhkhai"), team = try await app.scope(for: "team.mk")
            let (cityDaily, hbtDaily, mkDaily, teamDaily, mkGauges, teamGauges, byWard) = try await db.read { db in
                (try await Counters.daily(db, scope: city, [.casesNew], from: d1, to: d2),
                 try await Counters.daily(db, scope: hbt, [.casesNew], from: d1, to: d2),
                 try await Counters.daily(db, scope: mk, [.casesNew], from: d2, to: d2),
                 try await Counters.daily(db, scope: team, [.casesNew], from: d1, to: d2),
                 try await Counters.gauges(db, scope: mk),
                 try await Counters.gauges(db, scope: team),
                 try await Counters.byUnit(db, scope: hbt, .casesNew, from: d1, to: d2))
            }
            #expect(cityDaily[.casesNew] == [d1: 3, d2: 15])
            #expect(hbtDaily[.casesNew] == [d1: 3, d2: 8])
            #expect(mkDaily[.casesNew] == [d2: 3])
            #expect(teamDaily[.casesNew] == [d1: 3])
            #expect(mkGauges[.f1Active] == 3)
            #expect(teamGauges[.f1Active] == 3)
            #expect(byWard == ["01/007/00295": 6, "01/007/00286": 5])
        }
    }

    @Test(arguments: Dialect.enabled)
    func policiesAreJudgedByTheVersionInForceOnTheDate(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let db = app.services.database
            let city = try await app.user("city")
            let july = CivilDate(year: 2021, month: 7, day: 14)!
            #expect(try await db.read { try await Policies.value($0, .tracingDeadlineHours, on: july) } == 24)
            try await db.transaction { try await Policies.set($0, .tracingDeadlineHours, value: 12, from: CivilDate(year: 2021, month: 8, day: 1)!, note: "Công văn mẫu", user: city) }
            #expect(try await db.read { try await Policies.value($0, .tracingDeadlineHours, on: july) } == 24)
            #expect(try await db.read { try await Policies.value($0, .tracingDeadlineHours, on: CivilDate(year: 2021, month: 8, day: 1)!) } == 12)
            await #expect(throws: AppError.self) {
                try await db.transaction { try await Policies.set($0, .maxContactLevel, value: 0, from: july, note: "", user: city) }
            }
            let audit = try await db.read { try await Audit.history($0, entityType: "policy", entityId: "tracing_deadline_hours") }
            #expect(audit.count == 1)
            #expect(audit.first?.decodedChanges.first?.new == "12")
        }
    }

    @Test(arguments: Dialect.enabled)
    func aRepeatedKeyReturnsTheFirstOutcomeWithoutRedoingTheWork(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let db = app.services.database
            let user = try await app.user("minhkhai"), other = try await app.user("bachmai")
            let counter = Counter()
            for _ in 0..<3 {
                let result = try await db.transaction { db in
                    try await Idempotency.once(db, key: "k1", user: user) { counter.increment(); return "/cases/\(counter.value)" }
                }
                #expect(result.outcome == "/cases/1")
            }
            #expect(counter.value == 1)
            // Keys belong to their user: another user's identical key is a different submission.
            let second = try await db.transaction { db in try await Idempotency.once(db, key: "k1", user: other) { counter.increment(); return "x" } }
            #expect(!second.repeated && counter.value == 2)
        }
    }

    /// Stored times are written and read without Foundation's format style for 1900–2199; the text and
    /// the instant must be exactly Foundation's, or stored times would sort, compare or round-trip
    /// differently from the ones written before.
    @Test func storedTimesAreExactlyFoundationsISO8601() throws {
        let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        var generator = SystemRandomNumberGenerator()
        // 1890 to 2210: both edges of the fast path and beyond them.
        let range = -2_524_521_600.0...7_605_187_200.0
        for i in 0..<60_000 {
            let seconds: Double = switch i % 3 {
            case 0: Double(Int.random(in: Int(range.lowerBound * 1000)...Int(range.upperBound * 1000), using: &generator)) / 1000
            case 1: Double.random(in: range, using: &generator)
            default: Double(Int.random(in: Int(range.lowerBound)...Int(range.upperBound), using: &generator))
            }
            let date = Date(timeIntervalSince1970: seconds)
            let text = date.formatted(style)
            #expect(Timestamp.string(date) == text, "\(seconds)")
            let theirs = try Date(text, strategy: style)
            #expect(Timestamp.date(text) == theirs, "\(text)")
        }
        // Shapes only Foundation's reading takes, read as it reads them; and what neither takes.
        for text in ["2021-09-15T10:00:00Z", "2021-09-15T10:00:00.1Z", "2021-09-15T10:00:00.000+0700", "2021-02-30T10:00:00.000Z", "2021-09-15T24:00:00.000Z",
                     "1899-12-31T23:59:59.999Z", "2200-01-01T00:00:00.000Z", "2021-09-15 10:00:00.000Z", "2021-13-15T10:00:00.000Z", "", "2021-09-15T1a:00:00.000Z"] {
            #expect(Timestamp.date(text) == (try? Date(text, strategy: style)), "\(text)")
        }
    }

    /// Ids are UUIDs (version 7) that sort by creation time, so new rows append to the primary-key index.
    @Test func identifiersAreTimeOrderedVersion7UUIDs() throws {
        let earlier = Identifier.make(at: Date(timeIntervalSince1970: 1_631_664_000))  // 15/9/2021
        let later = Identifier.make(at: Date(timeIntervalSince1970: 1_631_664_000.002))
        #expect(earlier < later)
        #expect(earlier.hasPrefix("017be6c0-cc00"))  // 1,631,664,000,000 ms = 0x017BE6C0CC00
        var seen = Set<String>(), randomParts = Set<String>()
        // 10,000 ids draw on the system's random bytes some 40 times (a page at a time): the random part
        // after the 48-bit time must never repeat, or two rows made in one millisecond could share an id.
        for _ in 0..<10_000 {
            let id = Identifier.make()
            randomParts.insert(String(id.dropFirst(14)))
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
            #expect(parts[2].first == "7")
            #expect("89ab".contains(parts[3].first!))
            #expect(UUID(uuidString: id) != nil)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        #expect(randomParts.count == 10_000)
    }

    /// Imports make ids on several tasks at once; each takes its own random bits.
    @Test func identifiersMadeConcurrentlyAreAllDifferent() async {
        let made = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2_000).map { _ in Identifier.make() } } }
            var all: [String] = []
            for await ids in group { all += ids }
            return all
        }
        #expect(made.count == 16_000)
        #expect(Set(made.map { $0.dropFirst(14) }).count == 16_000)
    }

    @Test func everyStringKeyIsDefinedOnceAndInBothLanguages() {
        var seen: [String: Int] = [:]
        for table in Strings.tables { for key in table.keys { seen[key, default: 0] += 1 } }
        #expect(seen.filter { $0.value > 1 }.isEmpty, "keys defined twice: \(seen.filter { $0.value > 1 }.keys.sorted())")
        for (key, value) in Strings.entries { #expect(!value.vi.isEmpty && !value.en.isEmpty, "\(key)") }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.withLock { n } }
    func increment() { lock.withLock { n += 1 } }
}
