import Foundation
import Testing
@testable import EpiCore

@Suite("Calendar arithmetic and Vietnam time")
struct TimeTests {
    @Test(arguments: [
        ("1970-01-01", 0), ("1969-12-31", -1), ("2000-02-29", 11_016), ("2021-09-15", 18_885), ("2024-12-31", 20_088), ("1600-03-01", -135_080),
    ])
    func dayNumbersRoundTrip(iso: String, number: Int) throws {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        let date = try #require(CivilDate(year: parts[0], month: parts[1], day: parts[2]))
        #expect(date.dayNumber == number)
        #expect(CivilDate(dayNumber: number) == date)
    }

    @Test func everyDayOfFourCenturiesRoundTrips() {
        var previous = CivilDate(year: 1899, month: 12, day: 31)!
        for n in (previous.dayNumber + 1)...(CivilDate(year: 2300, month: 1, day: 1)!.dayNumber) {
            let date = CivilDate(dayNumber: n)
            #expect(date > previous)
            #expect(date.dayNumber == n)
            previous = date
        }
    }

    @Test func addingDaysCrossesMonthsYearsAndLeapDays() {
        let start = CivilDate(year: 2021, month: 7, day: 14)!
        #expect(start.adding(days: 14).iso == "2021-07-28")
        #expect(start.adding(days: 21).iso == "2021-08-04")
        #expect(CivilDate(year: 2020, month: 2, day: 28)!.adding(days: 1).iso == "2020-02-29")
        #expect(CivilDate(year: 2021, month: 2, day: 28)!.adding(days: 1).iso == "2021-03-01")
        #expect(CivilDate(year: 2021, month: 12, day: 31)!.adding(days: 1).iso == "2022-01-01")
        #expect(CivilDate(year: 2022, month: 1, day: 1)!.days(since: CivilDate(year: 2021, month: 9, day: 15)!) == 108)
    }

    @Test(arguments: [
        ("2021-09-13", 1, "2021-W37"), ("2021-09-15", 3, "2021-W37"), ("2021-09-19", 7, "2021-W37"), ("2021-01-03", 7, "2020-W53"),
        ("2021-01-04", 1, "2021-W01"), ("2024-12-30", 1, "2025-W01"), ("2026-11-25", 3, "2026-W48"),
    ])
    func isoWeeks(iso: String, weekday: Int, key: String) throws {
        let date = try #require(CivilDate(iso: iso))
        #expect(date.weekday == weekday)
        #expect(date.isoWeekKey == key)
        let monday = try #require(CivilDate(isoWeekKey: key))
        #expect(monday == date.weekStart)
        #expect(monday.weekday == 1)
    }

    @Test func invalidWeekKeysAreRejected() {
        #expect(CivilDate(isoWeekKey: "2021-W54") == nil)
        #expect(CivilDate(isoWeekKey: "2021-W53") == nil)  // 2021 has 52 ISO weeks
        #expect(CivilDate(isoWeekKey: "2020-W53") != nil)
        #expect(CivilDate(isoWeekKey: "2021-37") == nil)
    }

    /// 17:00 in Hanoi is 10:00 UTC, and 23:30 UTC is already the next day in Hanoi.
    @Test func vietnamDaysAndDeadlines() throws {
        let day = CivilDate(year: 2021, month: 9, day: 15)!
        let deadline = VietnamTime.instant(day, hour: 17)
        #expect(Int(deadline.timeIntervalSince1970) % 86_400 == 10 * 3600)
        let lateEvening = Date(timeIntervalSince1970: TimeInterval(day.dayNumber * 86_400 + 23 * 3600 + 1800))
        #expect(VietnamTime.day(of: lateEvening) == day.adding(days: 1))
        #expect(VietnamTime.display(deadline) == "15/09/2021 17:00")
    }

    /// Dates a user types, a file holds or a URL names are accepted only in 1900–2100, with a reason.
    @Test(arguments: ["01/01/0001", "31/12/9999", "31/12/1899", "01/01/2101", "0001-01-01", "9999-12-31"])
    func datesOutsideTheAcceptedYearsAreRefused(raw: String) {
        #expect(throws: CivilDateError.outOfRange(raw)) { try CivilDate(parsing: raw) }
        #expect(CivilDate(iso: raw) == nil)
    }

    /// Every day from 1899 to 2101, written the ways files write it, reads back as itself, or is refused
    /// as out of range with the text as given: the byte-level reading of the common shapes must agree
    /// with the general one, and `iso` must write what it reads.
    @Test func everyDayReadsBackInEveryCommonShape() throws {
        guard let first = CivilDate(year: 1899, month: 12, day: 25), let last = CivilDate(year: 2101, month: 1, day: 7) else { throw CivilDateError.empty }
        var day = first
        var checked = 0
        while day <= last {
            let y = String(day.year), m = String(day.month), d = String(day.day)
            let shapes = [day.iso, day.vietnamese, "\(d)/\(m)/\(y)", "\(d)-\(m)-\(y)", "\(d).\(m).\(y)", "\(y)/\(day.iso.dropFirst(5).prefix(2))/\(day.iso.suffix(2))",
                          "\(y)-\(m)-\(d)", " \t\(day.iso)\r\n", "\u{00A0}\(day.vietnamese)"]
            for raw in shapes {
                if day.isInAcceptedRange {
                    #expect(try CivilDate(parsing: raw) == day, "\(raw)")
                } else {
                    #expect(throws: CivilDateError.outOfRange(raw.trimmingCharacters(in: .whitespacesAndNewlines))) { try CivilDate(parsing: raw) }
                }
                checked += 1
            }
            #expect(CivilDate(iso: day.iso) == (day.isInAcceptedRange ? day : nil))
            day = day.adding(days: 1)
        }
        #expect(checked > 600_000)
    }

    @Test(arguments: [
        ("2021-02-29", CivilDateError.invalidDate("2021-02-29")),
        (" 31/04/2021\t", .invalidDate("31/04/2021")),
        ("00/01/2021", .invalidDate("00/01/2021")),
        ("2021-13-01", .invalidDate("2021-13-01")),
        ("2021/06", .invalidFormat("2021/06")),
        ("21/06/21", .invalidFormat("21/06/21")),
        ("2021-06-0a", .invalidFormat("2021-06-0a")),
        ("１/6/2021", .invalidFormat("１/6/2021")),
        ("   ", .empty),
    ])
    func malformedDatesGiveTheirReason(raw: String, error: CivilDateError) {
        #expect(throws: error) { try CivilDate(parsing: raw) }
    }

    @Test func theEdgesOfTheAcceptedYearsAreAccepted() throws {
        #expect(try CivilDate(parsing: "01/01/1900").iso == "1900-01-01")
        #expect(try CivilDate(parsing: "2100-12-31").vietnamese == "31/12/2100")
        #expect(CivilDate(isoWeekKey: "1900-W01") != nil)
        #expect(CivilDate(isoWeekKey: "2100-W52") != nil)
    }

    @Test(arguments: ["9999-W53", "0001-W01", "1899-W52", "2101-W01", "99999-W01", "2021-W", "2021-W001", "-W1"])
    func weekKeysOutsideTheAcceptedYearsAreRefused(key: String) {
        #expect(CivilDate(isoWeekKey: key) == nil)
    }

    /// No arithmetic on a date traps, however far it is pushed: it saturates at the calendar's ends.
    @Test func arithmeticSaturatesInsteadOfTrapping() throws {
        let day = try #require(CivilDate(year: 2021, month: 9, day: 15))
        #expect(day.adding(days: Int.max).iso == "9999-12-31")
        #expect(day.adding(days: Int.min).iso == "0001-01-01")
        #expect(CivilDate(dayNumber: Int.max).iso == "9999-12-31")
        #expect(CivilDate(dayNumber: Int.min).adding(days: -1).iso == "0001-01-01")
        let last = try #require(CivilDate(year: 9999, month: 12, day: 31))
        #expect(last.isoWeekKey.hasPrefix("9999-W"))
        #expect(last.weekStart.weekday == 1)
        #expect(VietnamTime.day(of: Date(timeIntervalSince1970: 1e300)).iso == "9999-12-31")
        #expect(VietnamTime.day(of: Date(timeIntervalSince1970: -.infinity)).iso == "1970-01-01")
    }
}
