import Foundation

/// How often a report is due.
public enum ReportFrequency: String, Codable, Sendable, CaseIterable {
    case daily
    case weekly
}

/// Which tier of the administrative tree submits a report: the lowest administrative units
/// (wards, communes, townlets) or the tier just below the city (districts).
public enum SubmitterLevel: String, Codable, Sendable, CaseIterable {
    case ward
    case district
}

/// One reporting period: a Vietnam calendar day, or an ISO week (Monday to Sunday).
public struct ReportPeriod: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let frequency: ReportFrequency
    /// The day itself, or the Monday of the week.
    public let start: CivilDate

    public init(frequency: ReportFrequency, start: CivilDate) {
        self.frequency = frequency
        self.start = frequency == .weekly ? start.weekStart : start
    }

    /// The period holding `day`.
    public static func containing(_ day: CivilDate, _ frequency: ReportFrequency) -> ReportPeriod {
        ReportPeriod(frequency: frequency, start: day)
    }

    /// Reads "2021-09-15" (daily) or "2021-W37" (weekly); nil when the key does not fit the frequency.
    public init?(key: String, frequency: ReportFrequency) {
        switch frequency {
        case .daily:
            guard let day = CivilDate(iso: key) else { return nil }
            self.init(frequency: .daily, start: day)
        case .weekly:
            guard let monday = CivilDate(isoWeekKey: key) else { return nil }
            self.init(frequency: .weekly, start: monday)
        }
    }

    /// The last day the period covers.
    public var end: CivilDate { frequency == .daily ? start : start.adding(days: 6) }

    /// The stable key stored with submissions: ISO day or ISO week.
    public var key: String { frequency == .daily ? start.iso : start.isoWeekKey }

    public var description: String { key }

    public func adding(_ periods: Int) -> ReportPeriod {
        // Beyond ±1,000,000 days the calendar saturates anyway; the clamp keeps the product from overflowing.
        let days = max(min(periods, 1_000_000), -1_000_000) * (frequency == .daily ? 1 : 7)
        return ReportPeriod(frequency: frequency, start: start.adding(days: days))
    }

    /// The `count` periods ending with this one, oldest first.
    public func trailing(_ count: Int) -> [ReportPeriod] {
        (0..<max(count, 0)).reversed().map { adding(-$0) }
    }

    public func contains(_ day: CivilDate) -> Bool { day >= start && day <= end }

    /// The period as people name it, with a week's days: "09/09/2021", "Tuần 37/2021 (13/09–19/09/2021)".
    public func label(vietnamese: Bool) -> String {
        switch frequency {
        case .daily:
            return start.vietnamese
        case .weekly:
            return "\(shortLabel(vietnamese: vietnamese)) (\(start.vietnamese.prefix(5))–\(end.vietnamese))"
        }
    }

    /// The period in a few characters, for headings, pickers and table cells: "09/09/2021", "Tuần 37/2021" / "Week 37/2021"
    /// (the week written the same way everywhere; the ISO key "2021-W37" stays in URLs and files' names).
    public func shortLabel(vietnamese: Bool) -> String {
        switch frequency {
        case .daily:
            return start.vietnamese
        case .weekly:
            let (year, week) = start.isoWeek
            return vietnamese ? "Tuần \(week)/\(year)" : "Week \(week)/\(year)"
        }
    }

    public static func < (a: ReportPeriod, b: ReportPeriod) -> Bool { a.start < b.start }
}

/// When a report of a period is due, in Asia/Ho_Chi_Minh wall-clock time whatever zone the server runs in.
///
/// A daily report is due on its own day at HH:MM, or on the next day when `nextDay` is set (the
/// "before 08:00 the morning after" pattern); a weekly report is due on a weekday of the week
/// after the one it covers (Monday 10:00 for last week).
public struct ReportDeadline: Sendable, Equatable, Codable {
    public let frequency: ReportFrequency
    /// ISO weekday 1 (Monday) … 7 (Sunday) of the following week, for weekly reports.
    public let weekday: Int?
    public let hour: Int
    public let minute: Int
    /// For daily reports: due the day after the period rather than on it.
    public let nextDay: Bool

    public static func daily(hour: Int, minute: Int = 0, nextDay: Bool = false) -> ReportDeadline {
        ReportDeadline(frequency: .daily, weekday: nil, hour: hour, minute: minute, nextDay: nextDay)
    }

    public static func weekly(weekday: Int, hour: Int, minute: Int = 0) -> ReportDeadline {
        ReportDeadline(frequency: .weekly, weekday: weekday, hour: hour, minute: minute, nextDay: false)
    }

    public init(frequency: ReportFrequency, weekday: Int?, hour: Int, minute: Int, nextDay: Bool) {
        self.frequency = frequency
        self.weekday = frequency == .weekly ? min(max(weekday ?? 1, 1), 7) : nil
        self.hour = hour
        self.minute = minute
        self.nextDay = frequency == .daily && nextDay
    }

    /// Whether the fields hold a real wall-clock time.
    public var isValid: Bool { (0...23).contains(hour) && (0...59).contains(minute) }

    /// The Vietnam day on which the period's report is due.
    public func dueDay(_ period: ReportPeriod) -> CivilDate {
        switch frequency {
        case .daily: return period.start.adding(days: nextDay ? 1 : 0)
        case .weekly: return period.start.adding(days: 7 + (weekday ?? 1) - 1)
        }
    }

    /// The instant the period's report is due.
    public func instant(_ period: ReportPeriod) -> Date {
        VietnamTime.instant(dueDay(period), hour: hour, minute: minute)
    }

    /// The most recent period whose deadline has passed at `now` (the one that is late if missing).
    public func lastDuePeriod(at now: Date) -> ReportPeriod {
        // Start from the period holding today and walk back; at most three steps for either frequency.
        var period = ReportPeriod.containing(VietnamTime.day(of: now), frequency)
        while instant(period) > now { period = period.adding(-1) }
        return period
    }

    /// The period a unit is working on at `now`: the oldest one whose deadline is still ahead.
    public func openPeriod(at now: Date) -> ReportPeriod {
        lastDuePeriod(at: now).adding(1)
    }

    /// A clock time such as "17:00".
    public var clock: String {
        func p(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(p(hour)):\(p(minute))"
    }

    public func label(vietnamese: Bool) -> String {
        switch frequency {
        case .daily:
            if nextDay { return vietnamese ? "trước \(clock) ngày hôm sau" : "by \(clock) the next day" }
            return vietnamese ? "trước \(clock) hằng ngày" : "by \(clock) every day"
        case .weekly:
            let names = vietnamese ? ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
                                   : ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            let day = names[(weekday ?? 1) - 1]
            return vietnamese ? "trước \(clock) \(day) tuần sau" : "by \(day) \(clock) of the following week"
        }
    }
}

/// Whether a unit's report for a period came in on time.
public enum Timeliness: String, Codable, Sendable, CaseIterable {
    case onTime = "on_time"
    case late
    /// Not submitted and the deadline has passed.
    case missing
    /// Not submitted and the deadline is still ahead.
    case pending

    /// On time means submitted at or before the deadline instant; the first submission counts,
    /// so a later correction never turns an on-time report late.
    public static func of(firstSubmittedAt: Date?, deadline: Date, now: Date) -> Timeliness {
        guard let submitted = firstSubmittedAt else { return now > deadline ? .missing : .pending }
        return submitted <= deadline ? .onTime : .late
    }

    public var labelVI: String {
        switch self {
        case .onTime: return "Đúng hạn"
        case .late: return "Muộn"
        case .missing: return "Chưa gửi"
        case .pending: return "Chưa đến hạn"
        }
    }

    public var labelEN: String {
        switch self {
        case .onTime: return "On time"
        case .late: return "Late"
        case .missing: return "Missing"
        case .pending: return "Not yet due"
        }
    }
}

/// A unit's record over many periods: how often it was on time, late or missing.
public struct LatenessRecord: Sendable, Equatable {
    public let statuses: [Timeliness]
    public var onTime: Int { statuses.filter { $0 == .onTime }.count }
    public var late: Int { statuses.filter { $0 == .late }.count }
    public var missing: Int { statuses.filter { $0 == .missing }.count }
    /// Periods already due (pending ones are not held against the unit).
    public var due: Int { statuses.filter { $0 != .pending }.count }

    public init(_ statuses: [Timeliness]) { self.statuses = statuses }

    /// Repeatedly late or missing: at least `threshold` of the due periods were not on time.
    public func isRepeatedlyLate(threshold: Int = 3) -> Bool { late + missing >= threshold }
}
