/// A live figure kept per lowest unit (ward) by the writes that change it, so dashboards and
/// report pre-fills sum a few hundred rows instead of counting millions.
///
/// A *daily* metric counts events on a Vietnam calendar day (new cases on 15/9); a *gauge*
/// metric is a current state (F1 under quarantine now). Features add their metrics here.
public enum Metric: String, CaseIterable, Codable, Sendable {
    // Daily flows.
    case casesNew = "cases_new"
    case casesNewCommunity = "cases_new_community"
    case casesRecovered = "cases_recovered"
    case casesDied = "cases_died"
    case exposuresRecorded = "exposures_recorded"
    case quarantineAdmitted = "quarantine_admitted"
    case quarantineReleased = "quarantine_released"
    case quarantineTests = "quarantine_tests"
    case quarantineTestsPositive = "quarantine_tests_positive"
    case suppliesDelivered = "supplies_delivered"
    /// Tubes sampled (a pooled tube counts once), on the sampling day, in the sampling point's ward.
    case testSamples = "test_samples"
    /// People sampled (each member of a pool), on the sampling day, in the sampling point's ward.
    case testPeople = "test_people"
    /// Tube results received, on the result day, in the ward the tube was sampled in.
    case testResults = "test_results"
    /// Of those, positive.
    case testPositives = "test_positives"
    /// People allowed out in the ward on the day (permits and vouchers usable that day, passes with
    /// papers at checkpoints): all reasons, and each reason of `OutReason`.
    case peopleOut = "people_out"
    case peopleOutWork = "people_out_work"
    case peopleOutMarket = "people_out_market"
    case peopleOutOther = "people_out_other"
    // Gauges.
    case casesActive = "cases_active"
    case f1Active = "f1_active"
    case f2Active = "f2_active"
    case f3PlusActive = "f3plus_active"
    case quarantineFacility = "quarantine_facility"
    case quarantineHome = "quarantine_home"
    case isolationHome = "isolation_home"
    case isolationFacility = "isolation_facility"
    case hospital = "hospital"
    case tracingOpen = "tracing_open"
    case zonesActive = "zones_active"
    /// People waiting to be sampled again (pooled positive, antigen to confirm, unreadable tube).
    case testRetestsOpen = "test_retests_open"

    public enum Kind: Sendable { case daily, gauge }

    public var kind: Kind {
        switch self {
        case .casesNew, .casesNewCommunity, .casesRecovered, .casesDied, .exposuresRecorded, .quarantineAdmitted,
             .quarantineReleased, .quarantineTests, .quarantineTestsPositive, .suppliesDelivered,
             .testSamples, .testPeople, .testResults, .testPositives,
             .peopleOut, .peopleOutWork, .peopleOutMarket, .peopleOutOther:
            return .daily
        default:
            return .gauge
        }
    }

    public var labelVI: String {
        switch self {
        case .casesNew: return "Ca mắc mới (F0)"
        case .casesNewCommunity: return "Ca mắc mới trong cộng đồng"
        case .casesRecovered: return "Ca khỏi bệnh"
        case .casesDied: return "Ca tử vong"
        case .exposuresRecorded: return "Tiếp xúc được ghi nhận"
        case .quarantineAdmitted: return "Người bắt đầu cách ly"
        case .quarantineReleased: return "Người hoàn thành cách ly"
        case .quarantineTests: return "Mẫu xét nghiệm người cách ly"
        case .quarantineTestsPositive: return "Mẫu dương tính của người cách ly"
        case .suppliesDelivered: return "Lượt cấp nhu yếu phẩm vùng phong tỏa"
        case .casesActive: return "F0 đang điều trị"
        case .f1Active: return "F1 đang theo dõi"
        case .f2Active: return "F2 đang theo dõi"
        case .f3PlusActive: return "F3 trở lên đang theo dõi"
        case .quarantineFacility: return "Đang cách ly tập trung"
        case .quarantineHome: return "Đang cách ly tại nhà"
        case .isolationHome: return "F0 điều trị tại nhà"
        case .isolationFacility: return "F0 cách ly tại cơ sở"
        case .hospital: return "F0 điều trị tại bệnh viện"
        case .tracingOpen: return "Nhiệm vụ truy vết đang mở"
        case .zonesActive: return "Vùng phong tỏa đang hiệu lực"
        case .testSamples: return "Ống mẫu xét nghiệm đã lấy"
        case .testPeople: return "Người được lấy mẫu xét nghiệm"
        case .testResults: return "Kết quả xét nghiệm nhận được"
        case .testPositives: return "Kết quả xét nghiệm dương tính"
        case .peopleOut: return "Người được ra đường"
        case .peopleOutWork: return "Người được ra đường: đi làm"
        case .peopleOutMarket: return "Người được ra đường: đi chợ, siêu thị"
        case .peopleOutOther: return "Người được ra đường: lý do khác"
        case .testRetestsOpen: return "Người chờ xét nghiệm lại"
        }
    }

    public var labelEN: String {
        switch self {
        case .casesNew: return "New cases (F0)"
        case .casesNewCommunity: return "New community cases"
        case .casesRecovered: return "Recovered"
        case .casesDied: return "Deaths"
        case .exposuresRecorded: return "Exposures recorded"
        case .quarantineAdmitted: return "Quarantine started"
        case .quarantineReleased: return "Quarantine completed"
        case .quarantineTests: return "Quarantine tests"
        case .quarantineTestsPositive: return "Positive quarantine tests"
        case .suppliesDelivered: return "Supply deliveries in lockdown zones"
        case .casesActive: return "F0 under care"
        case .f1Active: return "F1 being followed"
        case .f2Active: return "F2 being followed"
        case .f3PlusActive: return "F3+ being followed"
        case .quarantineFacility: return "In centralized quarantine"
        case .quarantineHome: return "In home quarantine"
        case .isolationHome: return "F0 cared for at home"
        case .isolationFacility: return "F0 isolated in a facility"
        case .hospital: return "F0 in hospital"
        case .tracingOpen: return "Open tracing tasks"
        case .zonesActive: return "Active lockdown zones"
        case .testSamples: return "Sample tubes taken"
        case .testPeople: return "People sampled"
        case .testResults: return "Test results received"
        case .testPositives: return "Positive test results"
        case .peopleOut: return "People allowed out"
        case .peopleOutWork: return "People allowed out: work"
        case .peopleOutMarket: return "People allowed out: market, supermarket"
        case .peopleOutOther: return "People allowed out: other reasons"
        case .testRetestsOpen: return "People awaiting a re-test"
        }
    }
}
