/// The stored codes of the testing chain (campaigns, samples, batches, results, re-tests), each with
/// its Vietnamese and English label. Codes are what the database and the API carry; people read labels.

/// A SARS-CoV-2 test as laboratories report it.
public enum LabTest: String, CaseIterable, Codable, Sendable {
    case rtPCR = "rt_pcr"
    case rapidAntigen = "rapid_antigen"

    /// LOINC 94500-6 (RNA, NAA with probe) and 94558-4 (antigen, rapid immunoassay) [sure: domain-rules.md].
    public var loinc: String {
        switch self {
        case .rtPCR: return "94500-6"
        case .rapidAntigen: return "94558-4"
        }
    }

    public init?(loinc: String) {
        switch loinc {
        case "94500-6": self = .rtPCR
        case "94558-4": self = .rapidAntigen
        default: return nil
        }
    }

    public var labelVI: String {
        switch self {
        case .rtPCR: return "RT-PCR"
        case .rapidAntigen: return "Test nhanh kháng nguyên"
        }
    }

    public var labelEN: String {
        switch self {
        case .rtPCR: return "RT-PCR"
        case .rapidAntigen: return "Rapid antigen test"
        }
    }
}

/// The qualitative result of one tube.
public enum TestResultValue: String, CaseIterable, Codable, Sendable {
    case detected
    case notDetected = "not_detected"
    case inconclusive
    case invalid

    /// SNOMED CT 260373001 Detected, 260415000 Not detected [sure]; 419984006 Inconclusive, 125154007 unsatisfactory specimen.
    public var snomed: String {
        switch self {
        case .detected: return "260373001"
        case .notDetected: return "260415000"
        case .inconclusive: return "419984006"
        case .invalid: return "125154007"
        }
    }

    public var labelVI: String {
        switch self {
        case .detected: return "Dương tính"
        case .notDetected: return "Âm tính"
        case .inconclusive: return "Không xác định"
        case .invalid: return "Mẫu không đạt"
        }
    }

    public var labelEN: String {
        switch self {
        case .detected: return "Detected (positive)"
        case .notDetected: return "Not detected (negative)"
        case .inconclusive: return "Inconclusive"
        case .invalid: return "Specimen unsatisfactory"
        }
    }
}

/// Where a result stands in its laboratory's workflow: only a final (or corrected) result acts.
public enum TestResultStatus: String, CaseIterable, Codable, Sendable {
    case final
    case preliminary
    case corrected
    case cancelled

    /// Whether a result with this status may open a case or re-test tasks.
    public var acts: Bool { self == .final || self == .corrected }

    public var labelVI: String {
        switch self {
        case .final: return "Chính thức"
        case .preliminary: return "Sơ bộ"
        case .corrected: return "Đính chính"
        case .cancelled: return "Đã hủy"
        }
    }

    public var labelEN: String {
        switch self {
        case .final: return "Final"
        case .preliminary: return "Preliminary"
        case .corrected: return "Corrected"
        case .cancelled: return "Cancelled"
        }
    }
}

/// One person per tube, or several people pooled into one tube (gộp mẫu).
public enum SampleKind: String, CaseIterable, Codable, Sendable {
    case individual
    case pooled

    public var labelVI: String { self == .individual ? "Mẫu đơn" : "Mẫu gộp" }
    public var labelEN: String { self == .individual ? "Individual" : "Pooled" }
}

/// Where a tube is between the sampling point and its result.
public enum SampleStatus: String, CaseIterable, Codable, Sendable {
    case collected
    case inTransit = "in_transit"
    case received
    case resulted

    public var labelVI: String {
        switch self {
        case .collected: return "Đã lấy mẫu"
        case .inTransit: return "Đang chuyển"
        case .received: return "Phòng xét nghiệm đã nhận"
        case .resulted: return "Đã có kết quả"
        }
    }

    public var labelEN: String {
        switch self {
        case .collected: return "Collected"
        case .inTransit: return "In transit"
        case .received: return "Received by the lab"
        case .resulted: return "Resulted"
        }
    }
}

/// A batch of tubes travelling from a sampling point to a laboratory with its manifest.
public enum BatchStatus: String, CaseIterable, Codable, Sendable {
    case inTransit = "in_transit"
    case received
    /// Received, but the count the lab confirmed differs from the manifest.
    case discrepancy

    public var labelVI: String {
        switch self {
        case .inTransit: return "Đang vận chuyển"
        case .received: return "Đã nhận đủ"
        case .discrepancy: return "Nhận lệch số lượng"
        }
    }

    public var labelEN: String {
        switch self {
        case .inTransit: return "In transit"
        case .received: return "Received in full"
        case .discrepancy: return "Count differs"
        }
    }
}

/// Whom a sampling campaign sets out to test.
public enum CampaignTarget: String, CaseIterable, Codable, Sendable {
    /// Everyone registered in the chosen wards.
    case units
    /// Everyone registered inside a lockdown zone.
    case zone
    /// A group at risk (market traders, shippers, drivers …) in the chosen wards.
    case group

    public var labelVI: String {
        switch self {
        case .units: return "Toàn dân các phường/xã"
        case .zone: return "Người dân trong vùng phong tỏa"
        case .group: return "Nhóm nguy cơ"
        }
    }

    public var labelEN: String {
        switch self {
        case .units: return "Everyone in the wards"
        case .zone: return "Residents of a lockdown zone"
        case .group: return "A group at risk"
        }
    }
}

/// The groups at risk Hanoi tested as such in 2021 (seed documents: market traders, shippers, drivers), and
/// the people a ward records so that a vaccination priority group can invite them (chronic illness, frontline
/// workers, teachers, police, armed forces: Resolution 21/NQ-CP's groups).
public enum TargetGroup: String, CaseIterable, Codable, Sendable {
    case marketTraders = "market_traders"
    case shippers
    case drivers
    case healthWorkers = "health_workers"
    case factoryWorkers = "factory_workers"
    case chronicIllness = "chronic_illness"
    case frontline
    case teachers
    case police
    case military
    case other

    public var labelVI: String {
        switch self {
        case .marketTraders: return "Tiểu thương chợ"
        case .shippers: return "Người giao hàng (shipper)"
        case .drivers: return "Lái xe, phụ xe"
        case .healthWorkers: return "Nhân viên y tế"
        case .factoryWorkers: return "Công nhân khu công nghiệp"
        case .chronicIllness: return "Người có bệnh nền (bệnh mạn tính)"
        case .frontline: return "Lực lượng tuyến đầu chống dịch"
        case .teachers: return "Giáo viên, nhân viên trường học"
        case .police: return "Công an"
        case .military: return "Quân đội"
        case .other: return "Nhóm khác"
        }
    }

    public var labelEN: String {
        switch self {
        case .marketTraders: return "Market traders"
        case .shippers: return "Delivery workers"
        case .drivers: return "Drivers"
        case .healthWorkers: return "Health workers"
        case .factoryWorkers: return "Factory workers"
        case .chronicIllness: return "People with chronic illnesses"
        case .frontline: return "Frontline epidemic workers"
        case .teachers: return "Teachers and school staff"
        case .police: return "Police"
        case .military: return "Armed forces"
        case .other: return "Other group"
        }
    }

    /// Reads a group as a list from a market board or a delivery company names it: the code, either
    /// label, or a common short name ("tiểu thương", "shipper", "lái xe"…), with or without diacritics.
    public static func parse(_ text: String) -> TargetGroup? {
        let key = VietnameseText.fold(text)
        guard !key.isEmpty else { return nil }
        for group in allCases where key == VietnameseText.fold(group.rawValue) || key == VietnameseText.fold(group.labelVI) || key == VietnameseText.fold(group.labelEN) {
            return group
        }
        return shortNames[key]
    }

    private static let shortNames: [String: TargetGroup] = [
        "tieu thuong": .marketTraders, "tieu thuong cho": .marketTraders, "nguoi ban hang cho": .marketTraders,
        "shipper": .shippers, "giao hang": .shippers, "nguoi giao hang": .shippers,
        "lai xe": .drivers, "phu xe": .drivers, "tai xe": .drivers,
        "y te": .healthWorkers, "nhan vien y te": .healthWorkers, "can bo y te": .healthWorkers,
        "cong nhan": .factoryWorkers, "cong nhan kcn": .factoryWorkers,
        "benh nen": .chronicIllness, "co benh nen": .chronicIllness, "nguoi co benh nen": .chronicIllness, "benh man tinh": .chronicIllness,
        "nguoi mac benh man tinh": .chronicIllness,
        "tuyen dau": .frontline, "luc luong tuyen dau": .frontline, "tinh nguyen vien": .frontline, "to covid cong dong": .frontline,
        "giao vien": .teachers, "nhan vien truong hoc": .teachers,
        "cong an": .police, "canh sat": .police,
        "quan doi": .military, "bo doi": .military, "quan nhan": .military,
        "khac": .other,
    ]

    /// The groups of one cell, separated by ";" or "|" (a label may hold a comma: "Lái xe, phụ xe").
    /// Returns the groups in the catalogue's order and the parts it could not read.
    public static func parseList(_ text: String) -> (groups: [TargetGroup], unknown: [String]) {
        var found = Set<TargetGroup>(), unknown: [String] = []
        for part in text.split(whereSeparator: { $0 == ";" || $0 == "|" }).map({ String($0).trimmedWhitespace }) where !part.isEmpty {
            if let g = parse(part) { found.insert(g) } else { unknown.append(part) }
        }
        return (allCases.filter(found.contains), unknown)
    }
}

/// Why a result waits for a person in the review queue instead of acting by itself.
public enum ReviewReason: String, CaseIterable, Codable, Sendable {
    /// No tube with this label, and no registered person with the reported ID.
    case unknownSample = "unknown_sample"
    /// The tube exists but the person the lab names is not among those sampled into it.
    case identityMismatch = "identity_mismatch"
    /// A later result for the same tube says something else than an earlier final one.
    case changedResult = "changed_result"

    public var labelVI: String {
        switch self {
        case .unknownSample: return "Không tìm thấy mẫu hoặc người"
        case .identityMismatch: return "Người trong kết quả không khớp với người được lấy mẫu"
        case .changedResult: return "Kết quả khác kết quả chính thức trước đó"
        }
    }

    public var labelEN: String {
        switch self {
        case .unknownSample: return "No such tube or person"
        case .identityMismatch: return "The person named differs from those sampled"
        case .changedResult: return "Differs from an earlier final result"
        }
    }
}

/// Whether a result found its tube and person.
public enum MatchStatus: String, CaseIterable, Codable, Sendable {
    /// Matched to its tube (and, for an individual tube, its person).
    case matched
    /// No tube, but the ID the lab sent belongs to a registered person.
    case personOnly = "person_only"
    /// Waiting in the review queue.
    case review
    /// Set aside by a reviewer (a test tube, a duplicate from another system) with a reason.
    case dismissed

    public var labelVI: String {
        switch self {
        case .matched: return "Khớp mẫu"
        case .personOnly: return "Khớp người (không có mẫu)"
        case .review: return "Chờ đối chiếu"
        case .dismissed: return "Đã loại"
        }
    }

    public var labelEN: String {
        switch self {
        case .matched: return "Matched to its tube"
        case .personOnly: return "Matched to a person (no tube)"
        case .review: return "Awaiting review"
        case .dismissed: return "Set aside"
        }
    }
}

/// Why someone must be sampled again, individually.
public enum RetestReason: String, CaseIterable, Codable, Sendable {
    /// Their pooled tube was positive: each member is re-tested alone [sure: practice].
    case poolPositive = "pool_positive"
    /// A rapid antigen positive that the rule in force does not count as a case: RT-PCR must confirm.
    case confirmPCR = "confirm_pcr"
    /// The tube could not be read (inconclusive or unsatisfactory).
    case resample

    public var labelVI: String {
        switch self {
        case .poolPositive: return "Mẫu gộp dương tính: xét nghiệm lại mẫu đơn"
        case .confirmPCR: return "Test nhanh dương tính: cần RT-PCR khẳng định"
        case .resample: return "Mẫu không xác định/không đạt: lấy lại mẫu"
        }
    }

    public var labelEN: String {
        switch self {
        case .poolPositive: return "Pooled tube positive: individual re-test"
        case .confirmPCR: return "Rapid test positive: RT-PCR to confirm"
        case .resample: return "Inconclusive or unsatisfactory: sample again"
        }
    }
}

public enum RetestStatus: String, CaseIterable, Codable, Sendable {
    case open
    /// A new individual sample has been taken; its result closes the task.
    case sampled
    case done
    case cancelled

    public var labelVI: String {
        switch self {
        case .open: return "Chờ lấy mẫu lại"
        case .sampled: return "Đã lấy mẫu lại"
        case .done: return "Đã có kết quả"
        case .cancelled: return "Đã hủy"
        }
    }

    public var labelEN: String {
        switch self {
        case .open: return "To be sampled again"
        case .sampled: return "Sampled again"
        case .done: return "Resulted"
        case .cancelled: return "Cancelled"
        }
    }
}

/// How a result reached EpiCommand.
public enum ResultSource: String, CaseIterable, Codable, Sendable {
    case csv
    case hl7
    case fhir
    case manual

    public var labelVI: String {
        switch self {
        case .csv: return "Tệp CSV"
        case .hl7: return "HL7 v2 (ORU^R01)"
        case .fhir: return "FHIR R4"
        case .manual: return "Nhập tay"
        }
    }

    public var labelEN: String {
        switch self {
        case .csv: return "CSV file"
        case .hl7: return "HL7 v2 (ORU^R01)"
        case .fhir: return "FHIR R4"
        case .manual: return "Typed in"
        }
    }
}
