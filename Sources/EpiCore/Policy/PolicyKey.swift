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
    /// Testing: the most people one pooled tube may hold (Hanoi pooled 5 or 10).
    case samplePoolMax = "sample_pool_max"
    /// Testing: hours after sampling after which a tube without a result is overdue.
    case resultOverdueHours = "result_overdue_hours"
    /// Testing: hours a batch may travel before its lab must have confirmed receipt.
    case batchReceiptHours = "batch_receipt_hours"
    /// Testing: what a rapid antigen positive means (`AntigenConfirmationRule`: 0 RT-PCR must confirm,
    /// 1 it confirms with symptoms or an epidemiological link, 2 it confirms).
    case antigenConfirmation = "antigen_confirmation"

    /// The seeded value (in force from 2020-01-01 until an administrator adds a version).
    public var defaultValue: Int {
        switch self {
        case .tracingDeadlineHours: return 24
        case .maxContactLevel: return 3
        case .infectiousDaysBefore: return 2
        case .facilityAlertPercent: return 90
        case .contactFollowDays: return 0
        case .samplePoolMax: return 10
        case .resultOverdueHours: return 24
        case .batchReceiptHours: return 6
        case .antigenConfirmation: return AntigenConfirmationRule.pcrRequired.rawValue
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
        case .samplePoolMax: return 2...20
        case .resultOverdueHours: return 1...240
        case .batchReceiptHours: return 1...72
        case .antigenConfirmation: return 0...2
        }
    }

    public var labelVI: String {
        switch self {
        case .tracingDeadlineHours: return "Thời hạn hoàn thành truy vết sau khi có F0 (giờ)"
        case .maxContactLevel: return "Cấp tiếp xúc xa nhất được theo dõi (F1…Fn)"
        case .infectiousDaysBefore: return "Số ngày F0 có khả năng lây trước ngày khởi phát/lấy mẫu"
        case .facilityAlertPercent: return "Ngưỡng cảnh báo công suất cơ sở cách ly (%)"
        case .contactFollowDays: return "Số ngày theo dõi người tiếp xúc chưa được cách ly, tính từ lần tiếp xúc cuối (0 = theo quy định cách ly F1: số ngày cách ly + theo dõi)"
        case .samplePoolMax: return "Số người tối đa trong một ống mẫu gộp"
        case .resultOverdueHours: return "Số giờ từ khi lấy mẫu đến khi phải có kết quả xét nghiệm"
        case .batchReceiptHours: return "Số giờ tối đa để phòng xét nghiệm xác nhận đã nhận lô mẫu"
        case .antigenConfirmation: return "Test nhanh kháng nguyên dương tính (0 = chỉ là ca nghi ngờ, cần RT-PCR; 1 = khẳng định F0 khi có triệu chứng hoặc yếu tố dịch tễ; 2 = khẳng định F0)"
        }
    }

    public var labelEN: String {
        switch self {
        case .tracingDeadlineHours: return "Tracing deadline after a new F0 (hours)"
        case .maxContactLevel: return "Furthest contact level followed (F1…Fn)"
        case .infectiousDaysBefore: return "Days an F0 is infectious before onset/sampling"
        case .facilityAlertPercent: return "Quarantine facility load alert threshold (%)"
        case .contactFollowDays: return "Days a contact never placed in quarantine is followed after the last exposure (0 = the F1 rule's quarantine plus monitoring days)"
        case .samplePoolMax: return "Most people in one pooled tube"
        case .resultOverdueHours: return "Hours from sampling by which a result is due"
        case .batchReceiptHours: return "Hours a lab has to confirm receipt of a sample batch"
        case .antigenConfirmation: return "A rapid antigen positive (0 = suspected only, RT-PCR must confirm; 1 = confirms with symptoms or an epidemiological link; 2 = confirms)"
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
        case .samplePoolMax: return "domain-rules.md: pools of 5 or 10 per tube, a setting [sure: practice]"
        case .resultOverdueHours: return "EpiCommand default: 24 hours [unsure]"
        case .batchReceiptHours: return "EpiCommand default [unsure]"
        case .antigenConfirmation: return "domain-rules.md: mid-2021 RT-PCR confirms [sure]; later versions [unsure]"
        }
    }
}
