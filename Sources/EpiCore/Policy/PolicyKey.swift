/// A setting of the epidemic rules that a city administrator edits, versioned by the date it takes
/// effect: a record is judged by the value in force on its own date (the rules changed every few
/// weeks in 2021). Values not confirmed in a published source live here, never as constants.
public enum PolicyKey: String, CaseIterable, Codable, Sendable {
    case tracingDeadlineHours = "tracing_deadline_hours"
    case maxContactLevel = "max_contact_level"
    case infectiousDaysBefore = "infectious_days_before"
    case facilityAlertPercent = "facility_alert_percent"
    /// Days a contact never placed in quarantine is followed after the last exposure; 0 takes the
    /// quarantine and monitoring days of the F1 rule in force on that exposure's date.
    case contactFollowDays = "contact_follow_days"

    /// The seeded value (in force from 2020-01-01 until an administrator adds a version).
    public var defaultValue: Int {
        switch self {
        case .tracingDeadlineHours: return 24
        case .maxContactLevel: return 3
        case .infectiousDaysBefore: return 2
        case .facilityAlertPercent: return 90
        case .contactFollowDays: return 0
        }
    }

    /// Settings whose change can move contact levels: changing one recomputes the whole city.
    public var movesContactLevels: Bool {
        self == .maxContactLevel || self == .infectiousDaysBefore || self == .contactFollowDays
    }

    public var range: ClosedRange<Int> {
        switch self {
        case .tracingDeadlineHours: return 1...240
        case .maxContactLevel: return 1...6
        case .infectiousDaysBefore: return 0...14
        case .facilityAlertPercent: return 1...100
        case .contactFollowDays: return 0...90
        }
    }

    public var labelVI: String {
        switch self {
        case .tracingDeadlineHours: return "Thời hạn hoàn thành truy vết sau khi có F0 (giờ)"
        case .maxContactLevel: return "Cấp tiếp xúc xa nhất được theo dõi (F1…Fn)"
        case .infectiousDaysBefore: return "Số ngày F0 có khả năng lây trước ngày khởi phát/lấy mẫu"
        case .facilityAlertPercent: return "Ngưỡng cảnh báo công suất cơ sở cách ly (%)"
        case .contactFollowDays: return "Số ngày theo dõi người tiếp xúc chưa được cách ly, tính từ lần tiếp xúc cuối (0 = theo quy định cách ly F1: số ngày cách ly + theo dõi)"
        }
    }

    public var labelEN: String {
        switch self {
        case .tracingDeadlineHours: return "Tracing deadline after a new F0 (hours)"
        case .maxContactLevel: return "Furthest contact level followed (F1…Fn)"
        case .infectiousDaysBefore: return "Days an F0 is infectious before onset/sampling"
        case .facilityAlertPercent: return "Quarantine facility load alert threshold (%)"
        case .contactFollowDays: return "Days a contact never placed in quarantine is followed after the last exposure (0 = the F1 rule's quarantine plus monitoring days)"
        }
    }

    /// Where the seeded value comes from, shown beside it.
    public var source: String {
        switch self {
        case .tracingDeadlineHours: return "Hanoi practice 2021 [unsure]"
        case .maxContactLevel: return "F3+ informal chain [unsure]"
        case .infectiousDaysBefore: return "MoH guidance 2021 [unsure]"
        case .facilityAlertPercent: return "EpiCommand default"
        case .contactFollowDays: return "domain-rules.md: stops after quarantine + monitoring from the last exposure [unsure]"
        }
    }
}
