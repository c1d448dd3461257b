/// What a rapid antigen positive means, versioned by date (`PolicyKey.antigenConfirmation`): in mid-2021
/// it only made a suspected case that RT-PCR had to confirm [sure]; later rules let it confirm with
/// symptoms or an epidemiological link [unsure: version it], and later still on its own [unsure].
public enum AntigenConfirmationRule: Int, CaseIterable, Codable, Sendable {
    case pcrRequired = 0
    case withSymptomsOrLink = 1
    case always = 2

    public var labelVI: String {
        switch self {
        case .pcrRequired: return "Test nhanh dương tính là ca nghi ngờ; phải có RT-PCR khẳng định"
        case .withSymptomsOrLink: return "Test nhanh dương tính khẳng định F0 khi có triệu chứng hoặc yếu tố dịch tễ; nếu không, cần RT-PCR"
        case .always: return "Test nhanh dương tính khẳng định F0"
        }
    }

    public var labelEN: String {
        switch self {
        case .pcrRequired: return "A rapid antigen positive is a suspected case; RT-PCR must confirm it"
        case .withSymptomsOrLink: return "A rapid antigen positive confirms a case with symptoms or an epidemiological link; otherwise RT-PCR"
        case .always: return "A rapid antigen positive confirms a case"
        }
    }
}

/// What a tube's result makes EpiCommand do at once.
public enum ResultAction: Equatable, Sendable {
    /// Nothing to do (a negative, a preliminary or cancelled result).
    case none
    /// Open the F0 record of the person sampled.
    case openCase
    /// Every person in the tube must be sampled again, individually, for this reason.
    case retest(RetestReason)
}

/// The rules that turn a result into action: pooled positives mean individual re-tests, an individual
/// RT-PCR positive confirms a case, a rapid antigen positive follows the rule in force on its sample day.
public enum ResultRules {
    /// What the epidemiological context says about the person sampled, for the antigen rule.
    public struct Evidence: Equatable, Sendable {
        public var symptomatic: Bool
        /// An F0's contact, someone in quarantine, or sampled in a lockdown zone's campaign.
        public var epidemiologicalLink: Bool

        public init(symptomatic: Bool = false, epidemiologicalLink: Bool = false) {
            self.symptomatic = symptomatic
            self.epidemiologicalLink = epidemiologicalLink
        }
    }

    /// Whether `action` for this result depends on the antigen rule in force: only an individual
    /// rapid antigen positive that counts does. An importer reads the rule only then.
    public static func dependsOnAntigenRule(kind: SampleKind, test: LabTest, value: TestResultValue, status: TestResultStatus) -> Bool {
        status.acts && value == .detected && kind != .pooled && test == .rapidAntigen
    }

    public static func action(kind: SampleKind, test: LabTest, value: TestResultValue, status: TestResultStatus,
                              antigenRule: AntigenConfirmationRule, evidence: Evidence = Evidence()) -> ResultAction {
        // A test the lab cancelled gave no result: the tube must be taken again. A preliminary one waits for its final.
        if status == .cancelled { return .retest(.resample) }
        guard status.acts else { return .none }
        switch value {
        case .notDetected:
            return .none
        case .inconclusive, .invalid:
            return .retest(.resample)
        case .detected:
            // A pooled tube names nobody: whatever the test, its members are re-tested one by one.
            if kind == .pooled { return .retest(.poolPositive) }
            switch test {
            case .rtPCR:
                return .openCase
            case .rapidAntigen:
                switch antigenRule {
                case .always: return .openCase
                case .withSymptomsOrLink: return evidence.symptomatic || evidence.epidemiologicalLink ? .openCase : .retest(.confirmPCR)
                case .pcrRequired: return .retest(.confirmPCR)
                }
            }
        }
    }
}

/// Pool sizes: one person per tube, or 2 up to the setting's maximum (5 or 10 in Hanoi's practice).
public enum Pooling {
    public enum Problem: Error, Equatable, Sendable, InputProblem {
        case empty
        case tooLarge(size: Int, max: Int)
        /// More people than the campaign's pool size (gộp 5 or 10 người/ống), though within the setting.
        case overCampaign(size: Int, max: Int)

        public var messageVI: String {
            switch self {
            case .empty: return "Mẫu cần ít nhất một người."
            case .tooLarge(let size, let max): return "Mẫu gộp \(size) người vượt quá số tối đa \(max) người/ống theo quy định."
            case .overCampaign(let size, 1): return "Đợt xét nghiệm này lấy mẫu đơn (1 người/ống); ống này có \(size) người."
            case .overCampaign(let size, let max): return "Đợt xét nghiệm này gộp tối đa \(max) người/ống; ống này có \(size) người."
            }
        }

        public var messageEN: String {
            switch self {
            case .empty: return "A sample needs at least one person."
            case .tooLarge(let size, let max): return "A pool of \(size) exceeds the maximum of \(max) people per tube."
            case .overCampaign(let size, 1): return "This campaign takes individual samples (one person per tube); this tube has \(size) people."
            case .overCampaign(let size, let max): return "This campaign pools at most \(max) people per tube; this tube has \(size)."
            }
        }
    }

    /// The kind of tube for this many people, or why it is not allowed.
    /// A campaign's pool size is a plan set when it was created; the setting is the rule in force on
    /// the sampling day, so the tighter of the two holds, and the message names the one that bites.
    public static func kind(members: Int, maxPoolSize: Int, campaignPoolSize: Int? = nil) -> Result<SampleKind, Problem> {
        if members <= 0 { return .failure(.empty) }
        if members == 1 { return .success(.individual) }
        let setting = max(maxPoolSize, 1)
        if let campaign = campaignPoolSize.map({ max($0, 1) }), campaign <= setting, members > campaign {
            return .failure(.overCampaign(size: members, max: campaign))
        }
        if members > setting { return .failure(.tooLarge(size: members, max: setting)) }
        return .success(.pooled)
    }
}

/// The label printed on a tube, as typed or scanned: spaces and case do not matter ("hbt 0001" is
/// "HBT0001"), and only characters a barcode carries are accepted.
public enum SampleLabel {
    public enum Problem: Error, Equatable, Sendable, InputProblem {
        case empty
        case tooLong
        case invalidCharacter(Character)

        public var messageVI: String {
            switch self {
            case .empty: return "Chưa nhập mã ống mẫu."
            case .tooLong: return "Mã ống mẫu dài quá 40 ký tự."
            case .invalidCharacter(let c): return "Mã ống mẫu có ký tự không hợp lệ '\(c)' (chỉ chữ, số và - _ . /)."
            }
        }

        public var messageEN: String {
            switch self {
            case .empty: return "No tube label given."
            case .tooLong: return "The tube label is longer than 40 characters."
            case .invalidCharacter(let c): return "The tube label has an invalid character '\(c)' (letters, digits and - _ . / only)."
            }
        }
    }

    public static func normalize(_ raw: String) -> Result<String, Problem> {
        var out = ""
        for ch in raw.uppercased() {
            if ch == " " || ch == "\t" || ch == "\r" || ch == "\n" { continue }
            guard ch.isASCII, ch.isLetter || ch.isNumber || ch == "-" || ch == "_" || ch == "." || ch == "/" else { return .failure(.invalidCharacter(ch)) }
            out.append(ch)
        }
        if out.isEmpty { return .failure(.empty) }
        if out.count > 40 { return .failure(.tooLong) }
        return .success(out)
    }
}
