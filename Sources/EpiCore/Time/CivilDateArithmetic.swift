import Foundation

extension CivilDate {
    /// Days since 1970-01-01 (negative before), by the proleptic Gregorian calendar: exact day
    /// arithmetic without time zones or daylight saving (Vietnam has none, but servers may).
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 1 September 2021, the reference day of the demo data and the synthetic populations.
    public static let september1st2021 = 18_871

    /// Day numbers of 0001-01-01 and 9999-12-31, the dates a `CivilDate` can hold.
    static let dayNumberRange = -719_162...2_932_896

    /// The date `dayNumber` days after 1970-01-01, clamped to 0001-01-01…9999-12-31 so that no
    /// arithmetic on a date, however far a user pushes it, can produce an invalid one.
    public init(dayNumber raw: Int) {
        let z = min(max(raw, Self.dayNumberRange.lowerBound), Self.dayNumberRange.upperBound) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self = CivilDate(checkedYear: y, month: m, day: d)
    }

    /// The date `days` later (earlier when negative); saturates at the ends of the calendar instead of trapping.
    public func adding(days: Int) -> CivilDate {
        let (sum, overflow) = dayNumber.addingReportingOverflow(days)
        return CivilDate(dayNumber: overflow ? (days < 0 ? Int.min : Int.max) : sum)
    }

    /// Whole days from `other` to this date (positive when this date is later).
    public func days(since other: CivilDate) -> Int { dayNumber - other.dayNumber }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (4).
        let r = (dayNumber + 3) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    /// The Monday that starts this date's ISO week.
    public var weekStart: CivilDate { adding(days: 1 - weekday) }

    /// ISO 8601 week-numbering year and week (weeks start on Monday; week 1 holds the year's first Thursday).
    public var isoWeek: (year: Int, week: Int) {
        let thursday = adding(days: 4 - weekday)
        let jan1 = CivilDate(checkedYear: thursday.year, month: 1, day: 1)
        return (thursday.year, thursday.days(since: jan1) / 7 + 1)
    }

    /// "2021-W37": the key of this date's ISO week.
    public var isoWeekKey: String {
        let (y, w) = isoWeek
        return "\(y)-W\(w < 10 ? "0" : "")\(w)"
    }

    /// The Monday of an ISO week key such as "2021-W37" (years in `acceptedYears` only).
    public init?(isoWeekKey key: String) {
        let parts = key.split(separator: "-W")
        guard parts.count == 2, parts[0].count == 4, (1...2).contains(parts[1].count), let y = Int(parts[0]), let w = Int(parts[1]), (1...53).contains(w),
              CivilDate.acceptedYears.contains(y), let jan4 = CivilDate(year: y, month: 1, day: 4) else { return nil }
        let monday = jan4.weekStart.adding(days: (w - 1) * 7)
        guard monday.isoWeek.year == y else { return nil }
        self = monday
    }

    /// A date this program stored itself: a malformed one is a fault of the data, reported as an error
    /// instead of stopping the server.
    public static func stored(_ iso: String) throws(StoredDateError) -> CivilDate {
        guard let date = CivilDate(iso: iso) else { throw StoredDateError(value: String(iso.prefix(40))) }
        return date
    }

    /// Strict ISO "yyyy-mm-dd" in `acceptedYears`, for values this program wrote itself and keys in URLs.
    public init?(iso: String) {
        // Exactly "dddd-dd-dd" in ASCII, read from the bytes: stored dates are read back for every row an
        // import matches (a birth date per dose), where splitting into strings cost a twentieth of the time.
        guard iso.utf8.count == 10 else { return nil }
        var y = 0, m = 0, d = 0
        for (offset, byte) in iso.utf8.enumerated() {
            switch offset {
            case 4, 7:
                guard byte == UInt8(ascii: "-") else { return nil }
            default:
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                let digit = Int(byte - UInt8(ascii: "0"))
                if offset < 4 { y = y * 10 + digit } else if offset < 7 { m = m * 10 + digit } else { d = d * 10 + digit }
            }
        }
        guard CivilDate.acceptedYears.contains(y) else { return nil }
        self.init(year: y, month: m, day: d)
    }
}

/// Wall-clock time in Vietnam (UTC+7, no daylight saving): a report "day" and every deadline
/// is an Asia/Ho_Chi_Minh day or time, whatever zone the server runs in.
public enum VietnamTime {
    /// UTC+7 all year: Vietnam has had no daylight saving since 1975, so a fixed offset is exact for
    /// every date the product holds and needs no time-zone database.
    public static let offsetSeconds = 7 * 3600
    public static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: offsetSeconds) ?? .gmt

    /// The Vietnamese calendar day of an instant.
    public static func day(of instant: Date) -> CivilDate {
        CivilDate(dayNumber: Self.floorDiv(Self.localSeconds(instant), 86_400))
    }

    /// The instant of a wall-clock time on a Vietnamese day.
    public static func instant(_ day: CivilDate, hour: Int = 0, minute: Int = 0) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day.dayNumber * 86_400 + hour * 3600 + minute * 60 - offsetSeconds))
    }

    /// "dd/mm/yyyy hh:mm" in Vietnam time, for display.
    public static func display(_ instant: Date) -> String {
        let local = localSeconds(instant)
        let day = CivilDate(dayNumber: floorDiv(local, 86_400))
        let minutes = (local - floorDiv(local, 86_400) * 86_400) / 60
        func p(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(day.vietnamese) \(p(minutes / 60)):\(p(minutes % 60))"
    }

    /// Seconds since 1970-01-01 00:00 in Vietnamese wall-clock time, saturating for instants no calendar holds.
    public static func localSeconds(_ instant: Date) -> Int {
        let seconds = instant.timeIntervalSince1970.rounded(.down) + TimeInterval(offsetSeconds)
        guard seconds.isFinite else { return 0 }
        return Int(max(min(seconds, 9e15), -9e15))
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// A stored date that does not read back: a database fault, not something a user typed.
public struct StoredDateError: Error, Equatable, Sendable {
    public let value: String
}
