/// How an F0 was confirmed.
public enum TestType: String, CaseIterable, Codable, Sendable {
    case rtPCR = "rt_pcr"
    case pooledPCR = "pooled_pcr"
    case rapidAntigen = "rapid_antigen"

    public var labelVI: String {
        switch self {
        case .rtPCR: return "RT-PCR mẫu đơn"
        case .pooledPCR: return "RT-PCR mẫu gộp"
        case .rapidAntigen: return "Test nhanh kháng nguyên"
        }
    }

    public var labelEN: String {
        switch self {
        case .rtPCR: return "RT-PCR (single sample)"
        case .pooledPCR: return "RT-PCR (pooled)"
        case .rapidAntigen: return "Rapid antigen test"
        }
    }
}

/// Where a case was found: community cases drive the weekly risk level, cases found in
/// quarantine or inside a lockdown zone do not.
public enum DetectionSetting: String, CaseIterable, Codable, Sendable {
    case community
    case quarantine
    case lockdown

    public var labelVI: String {
        switch self {
        case .community: return "Trong cộng đồng"
        case .quarantine: return "Trong khu cách ly"
        case .lockdown: return "Trong vùng phong tỏa"
        }
    }

    public var labelEN: String {
        switch self {
        case .community: return "In the community"
        case .quarantine: return "In quarantine"
        case .lockdown: return "In a lockdown zone"
        }
    }
}

/// Where a case or a contact is cared for or quarantined.
public enum CareSetting: String, CaseIterable, Codable, Sendable {
    case home
    case facility
    case hospital

    public var labelVI: String {
        switch self {
        case .home: return "Tại nhà"
        case .facility: return "Cách ly tập trung"
        case .hospital: return "Bệnh viện"
        }
    }

    public var labelEN: String {
        switch self {
        case .home: return "At home"
        case .facility: return "Centralized facility"
        case .hospital: return "Hospital"
        }
    }
}

public enum ClinicalStatus: String, CaseIterable, Codable, Sendable {
    case asymptomatic
    case mild
    case moderate
    case severe
    case critical

    public var labelVI: String {
        switch self {
        case .asymptomatic: return "Không triệu chứng"
        case .mild: return "Nhẹ"
        case .moderate: return "Trung bình"
        case .severe: return "Nặng"
        case .critical: return "Nguy kịch"
        }
    }

    public var labelEN: String {
        switch self {
        case .asymptomatic: return "Asymptomatic"
        case .mild: return "Mild"
        case .moderate: return "Moderate"
        case .severe: return "Severe"
        case .critical: return "Critical"
        }
    }
}

/// Where a case stands; `ruledOut` removes it from every chain.
public enum CaseOutcome: String, CaseIterable, Codable, Sendable {
    case active
    case recovered
    case transferred
    case died
    case ruledOut = "ruled_out"

    /// Still a source of transmission and counted as under care.
    public var isActive: Bool { self == .active || self == .transferred }

    public var labelVI: String {
        switch self {
        case .active: return "Đang điều trị"
        case .recovered: return "Khỏi bệnh"
        case .transferred: return "Chuyển tuyến"
        case .died: return "Tử vong"
        case .ruledOut: return "Loại trừ (không phải F0)"
        }
    }

    public var labelEN: String {
        switch self {
        case .active: return "Under care"
        case .recovered: return "Recovered"
        case .transferred: return "Transferred"
        case .died: return "Died"
        case .ruledOut: return "Ruled out (not a case)"
        }
    }
}

/// Where an exposure happened.
public enum ExposureSetting: String, CaseIterable, Codable, Sendable {
    case household
    case workplace
    case market
    case transport
    case healthcare
    case other

    public var labelVI: String {
        switch self {
        case .household: return "Cùng hộ gia đình"
        case .workplace: return "Nơi làm việc"
        case .market: return "Chợ, siêu thị"
        case .transport: return "Phương tiện đi lại"
        case .healthcare: return "Cơ sở y tế"
        case .other: return "Khác"
        }
    }

    public var labelEN: String {
        switch self {
        case .household: return "Household"
        case .workplace: return "Workplace"
        case .market: return "Market, supermarket"
        case .transport: return "Transport"
        case .healthcare: return "Healthcare"
        case .other: return "Other"
        }
    }
}

/// How close an exposure was (the 2021 F1 definition: within 2 m or the same closed space for
/// about 15 minutes, direct contact, or caring without protection).
public enum Closeness: String, CaseIterable, Codable, Sendable {
    case close
    case direct
    case sameSpace = "same_space"

    public var labelVI: String {
        switch self {
        case .close: return "Trong 2 m, từ 15 phút"
        case .direct: return "Tiếp xúc trực tiếp / chăm sóc"
        case .sameSpace: return "Cùng không gian kín"
        }
    }

    public var labelEN: String {
        switch self {
        case .close: return "Within 2 m for 15+ min"
        case .direct: return "Direct contact / caring"
        case .sameSpace: return "Same closed space"
        }
    }
}

/// A contact level's short name: F0, F1, F2 …
public func contactLevelName(_ level: Int) -> String { "F\(level)" }
