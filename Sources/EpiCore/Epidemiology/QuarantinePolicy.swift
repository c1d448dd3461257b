/// Who a quarantine or isolation rule applies to.
public enum QuarantineSubject: String, CaseIterable, Codable, Sendable {
    case f1
    case f1Vaccinated = "f1_vaccinated"
    case f0
    case arrival

    public var labelVI: String {
        switch self {
        case .f1: return "F1"
        case .f1Vaccinated: return "F1 đã tiêm đủ/đã khỏi bệnh"
        case .f0: return "F0"
        case .arrival: return "Người về từ vùng dịch (đã tiêm/đã khỏi)"
        }
    }

    public var labelEN: String {
        switch self {
        case .f1: return "F1"
        case .f1Vaccinated: return "F1, vaccinated or recovered"
        case .f0: return "F0"
        case .arrival: return "Arrival from an outbreak area (vaccinated/recovered)"
        }
    }

    /// The subject whose rule applies when this one has none in force.
    var fallback: QuarantineSubject? {
        switch self {
        case .f1Vaccinated, .arrival: return .f1
        case .f1, .f0: return nil
        }
    }
}

/// One version of a quarantine rule: in force from `effectiveFrom` until a later version for the
/// same subject and setting.
public struct QuarantineRule: Codable, Sendable, Equatable {
    public let id: String
    public let effectiveFrom: CivilDate
    public let subject: QuarantineSubject
    public let setting: CareSetting
    /// Days of quarantine or isolation; day 1 is the start date.
    public let days: Int
    /// Days of self-monitoring at home after release.
    public let monitoringDays: Int
    /// Scheduled test days, counted like `days` (day 1 = start).
    public let testDays: [Int]
    public let source: String

    public init(id: String, effectiveFrom: CivilDate, subject: QuarantineSubject, setting: CareSetting, days: Int, monitoringDays: Int, testDays: [Int], source: String) {
        self.id = id
        self.effectiveFrom = effectiveFrom
        self.subject = subject
        self.setting = setting
        self.days = days
        self.monitoringDays = monitoringDays
        self.testDays = testDays
        self.source = source
    }

    /// Checks a version before it is saved.
    public func problems() -> [String: String] {
        var p: [String: String] = [:]
        if !(1...60).contains(days) { p["days"] = "out_of_range" }
        if !(0...60).contains(monitoringDays) { p["monitoring_days"] = "out_of_range" }
        if testDays.contains(where: { $0 < 1 || $0 > days }) { p["test_days"] = "outside_period" }
        if Set(testDays).count != testDays.count { p["test_days"] = "repeated" }
        return p
    }

    /// Reads "1, 7, 14" as test days.
    public static func parseTestDays(_ raw: String) -> [Int]? {
        let parts = raw.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map(String.init)
        var days: [Int] = []
        for p in parts {
            guard let n = Int(p) else { return nil }
            days.append(n)
        }
        return days.sorted()
    }
}

/// A quarantine or isolation plan worked out from the rule in force on its start date.
public struct QuarantinePlan: Sendable, Equatable {
    public let rule: QuarantineRule
    public let start: CivilDate
    /// The day the person may go home: the day after the last day of quarantine.
    public let end: CivilDate
    /// The last day of self-monitoring after release (equal to `end` when there is none).
    public let monitoringEnd: CivilDate
    public let tests: [(day: Int, date: CivilDate)]

    public static func == (a: QuarantinePlan, b: QuarantinePlan) -> Bool {
        a.rule == b.rule && a.start == b.start && a.end == b.end && a.monitoringEnd == b.monitoringEnd && a.tests.map(\.day) == b.tests.map(\.day)
    }
}

public enum QuarantinePolicy {
    /// The rule in force on `date` for a subject and setting: the latest version effective on or
    /// before that date. A setting without a rule of its own (home quarantine before it was allowed)
    /// takes the facility rule; a subject without one (vaccinated F1 before December 2021) takes F1's.
    public static func rule(for subject: QuarantineSubject, setting: CareSetting, on date: CivilDate, rules: [QuarantineRule]) -> QuarantineRule? {
        func latest(_ s: QuarantineSubject, _ c: CareSetting) -> QuarantineRule? {
            rules.filter { $0.subject == s && $0.setting == c && $0.effectiveFrom <= date }.max { $0.effectiveFrom < $1.effectiveFrom }
        }
        var subject: QuarantineSubject? = subject
        while let s = subject {
            if let r = latest(s, setting) { return r }
            if setting != .facility, let r = latest(s, .facility) { return r }
            subject = s.fallback
        }
        return nil
    }

    public static func plan(start: CivilDate, rule: QuarantineRule, extraDays: Int = 0) -> QuarantinePlan {
        let end = start.adding(days: rule.days + extraDays)
        return QuarantinePlan(rule: rule, start: start, end: end, monitoringEnd: end.adding(days: rule.monitoringDays),
                              tests: rule.testDays.map { (day: $0, date: start.adding(days: $0 - 1)) })
    }

    /// The rules from `domain-rules.md`, seeded into the editable table. Test days marked
    /// [unsure] there are a reading, not a quotation.
    public static let seed: [QuarantineRule] = {
        func d(_ y: Int, _ m: Int, _ day: Int) -> CivilDate { CivilDate(checkedYear: y, month: m, day: day) }
        return [
            QuarantineRule(id: "seed-2021-05-05-f1-facility", effectiveFrom: d(2021, 5, 5), subject: .f1, setting: .facility, days: 21, monitoringDays: 7, testDays: [1, 14, 21],
                           source: "Bộ Y tế 5/5/2021: 21 ngày tập trung + 7 ngày theo dõi [test days unsure]"),
            QuarantineRule(id: "seed-2021-05-05-f0-facility", effectiveFrom: d(2021, 5, 5), subject: .f0, setting: .facility, days: 14, monitoringDays: 14, testDays: [14],
                           source: "[unsure] isolation until negative, about 14 days [start date unsure: assumed with the 5/5/2021 F1 rule]"),
            QuarantineRule(id: "seed-2021-05-05-f0-hospital", effectiveFrom: d(2021, 5, 5), subject: .f0, setting: .hospital, days: 14, monitoringDays: 14, testDays: [14],
                           source: "[unsure] treatment until negative, about 14 days [start date unsure: assumed with the 5/5/2021 F1 rule]"),
            QuarantineRule(id: "seed-2021-07-14-f1-facility", effectiveFrom: d(2021, 7, 14), subject: .f1, setting: .facility, days: 14, monitoringDays: 14, testDays: [1, 7, 14],
                           source: "Bộ Y tế 14/7/2021: 14 ngày tập trung + 14 ngày theo dõi, xét nghiệm ngày 1, 7, 14"),
            QuarantineRule(id: "seed-2021-07-14-f1-home", effectiveFrom: d(2021, 7, 14), subject: .f1, setting: .home, days: 14, monitoringDays: 0, testDays: [1, 7, 14],
                           source: "Bộ Y tế 14/7/2021: thí điểm cách ly tại nhà 14 ngày"),
            QuarantineRule(id: "seed-2021-08-01-arrival-home", effectiveFrom: d(2021, 8, 1), subject: .arrival, setting: .home, days: 7, monitoringDays: 0, testDays: [1, 7],
                           source: "Bộ Y tế 8/2021: đã tiêm/đã khỏi từ vùng dịch 7 ngày tại nhà, xét nghiệm ngày 1, 7 [start date unsure: 1/8/2021 assumed]"),
            QuarantineRule(id: "seed-2021-08-21-f0-home", effectiveFrom: d(2021, 8, 21), subject: .f0, setting: .home, days: 10, monitoringDays: 7, testDays: [10],
                           source: "QĐ 4038/QĐ-BYT 21/8/2021; Hà Nội: khỏi sau 10 ngày + test nhanh âm tính có giám sát"),
            QuarantineRule(id: "seed-2021-12-01-f1v-home", effectiveFrom: d(2021, 12, 1), subject: .f1Vaccinated, setting: .home, days: 7, monitoringDays: 7, testDays: [1, 7],
                           source: "Bộ Y tế 12/2021: F1 đã tiêm đủ 7 ngày tại nhà + 7 ngày tự theo dõi [test days unsure] [start date unsure: 1/12/2021 assumed]"),
            QuarantineRule(id: "seed-2022-02-21-f1v-home", effectiveFrom: d(2022, 2, 21), subject: .f1Vaccinated, setting: .home, days: 5, monitoringDays: 5, testDays: [5],
                           source: "Bộ Y tế 21/2/2022: F1 đã tiêm đủ 5 + 5 ngày"),
            QuarantineRule(id: "seed-2022-02-21-f1-home", effectiveFrom: d(2022, 2, 21), subject: .f1, setting: .home, days: 7, monitoringDays: 3, testDays: [7],
                           source: "Bộ Y tế 21/2/2022: F1 chưa tiêm đủ 7 + 3 ngày"),
            QuarantineRule(id: "seed-2022-02-21-f1-facility", effectiveFrom: d(2022, 2, 21), subject: .f1, setting: .facility, days: 7, monitoringDays: 3, testDays: [7],
                           source: "Bộ Y tế 21/2/2022: F1 chưa tiêm đủ 7 + 3 ngày, cả khi cách ly tập trung"),
            QuarantineRule(id: "seed-2022-02-21-f0-home", effectiveFrom: d(2022, 2, 21), subject: .f0, setting: .home, days: 7, monitoringDays: 0, testDays: [7],
                           source: "Bộ Y tế 21/2/2022: F0 tại nhà ra viện ngày 7 nếu test nhanh âm tính"),
        ]
    }()
}
