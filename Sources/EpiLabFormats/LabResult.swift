import Foundation

// Neutral domain values shared by the HL7 v2 and FHIR R4 adapters.
// Every format maps into these types so the rest of EpiCommand never
// has to know which wire format a laboratory used.

/// One laboratory message (an HL7 ORU^R01 or a FHIR Bundle) reduced to its test results.
package struct LabResultMessage: Sendable, Equatable {
    /// Which wire format the message arrived in.
    package enum Source: String, Sendable, Equatable {
        case hl7v2
        case fhirR4
    }

    /// Sender's message id (HL7 MSH-10 or FHIR Bundle.id / identifier) used for idempotency.
    package var messageID: String
    /// Wire format of the message.
    package var source: Source
    /// Sending application (MSH-3).
    package var sendingApplication: String?
    /// Sending facility (MSH-4).
    package var sendingFacility: String?
    /// When the sender created the message.
    package var sentAt: Date?
    /// The results.
    package var entries: [LabResultEntry]

    /// Creates a value from its parts.
    package init(
        messageID: String, source: Source, sendingApplication: String? = nil,
        sendingFacility: String? = nil, sentAt: Date? = nil, entries: [LabResultEntry] = []
    ) {
        self.messageID = messageID
        self.source = source
        self.sendingApplication = sendingApplication
        self.sendingFacility = sendingFacility
        self.sentAt = sentAt
        self.entries = entries
    }
}

/// One test result for one person and one specimen tube.
package struct LabResultEntry: Sendable, Equatable {
    /// Stable id of this result inside its message, used to make re-delivery idempotent.
    package var entryID: String
    /// Who the specimen was taken from.
    package var patient: LabPatient
    /// The tube.
    package var specimen: LabSpecimen
    /// Which test was run.
    package var test: LabTestKind
    /// The qualitative result; nil only when `status` is `.cancelled` (no result could be obtained).
    package var result: LabResultValue?
    /// Cycle threshold of an RT-PCR run, when the laboratory reported one.
    package var ctValue: Double?
    /// Result status.
    package var status: LabResultStatus
    /// When the specimen was collected (sampling time).
    package var collectedAt: Date?
    /// When the laboratory released the result.
    package var resultedAt: Date?
    /// Laboratory that ran the test (OBX-23, else the sending facility).
    package var performingLab: LabOrganization?
    /// Order number given by the requester (ORC-2/OBR-2).
    package var placerOrderNumber: String?
    /// Order number given by the laboratory (ORC-3/OBR-3).
    package var fillerOrderNumber: String?

    /// Creates a value from its parts.
    package init(
        entryID: String, patient: LabPatient, specimen: LabSpecimen, test: LabTestKind,
        result: LabResultValue?, ctValue: Double? = nil, status: LabResultStatus,
        collectedAt: Date? = nil, resultedAt: Date? = nil, performingLab: LabOrganization? = nil,
        placerOrderNumber: String? = nil, fillerOrderNumber: String? = nil
    ) {
        self.entryID = entryID
        self.patient = patient
        self.specimen = specimen
        self.test = test
        self.result = result
        self.ctValue = ctValue
        self.status = status
        self.collectedAt = collectedAt
        self.resultedAt = resultedAt
        self.performingLab = performingLab
        self.placerOrderNumber = placerOrderNumber
        self.fillerOrderNumber = fillerOrderNumber
    }
}

/// The person a specimen was taken from.
package struct LabPatient: Sendable, Equatable {
    /// CCCD/CMND/passport/local identifiers, strongest first as sent.
    package var identifiers: [PatientIdentifier]
    /// Name in family/middle/given parts.
    package var name: PersonName?
    /// Birth date, possibly year-only.
    package var birthDate: LabCivilDate?
    /// Administrative sex.
    package var sex: LabSex?
    /// Contact phone number.
    package var phone: String?
    /// Address as one line of text.
    package var address: String?

    /// Creates a value from its parts.
    package init(
        identifiers: [PatientIdentifier] = [], name: PersonName? = nil, birthDate: LabCivilDate? = nil,
        sex: LabSex? = nil, phone: String? = nil, address: String? = nil
    ) {
        self.identifiers = identifiers
        self.name = name
        self.birthDate = birthDate
        self.sex = sex
        self.phone = phone
        self.address = address
    }

    /// The strongest identifier: CCCD, then CMND, then passport, then the first local id.
    package var primaryIdentifier: PatientIdentifier? {
        for kind in [PatientIdentifier.Kind.cccd, .cmnd, .passport, .local] {
            if let found = identifiers.first(where: { $0.kind == kind }) { return found }
        }
        return nil
    }
}

/// A person identifier classified by what kind of document it comes from.
package struct PatientIdentifier: Sendable, Hashable {
    /// Kinds of identifiers a Vietnamese laboratory sends.
    package enum Kind: String, Sendable, Hashable {
        /// Căn cước công dân: 12-digit citizen identity number.
        case cccd
        /// Chứng minh nhân dân: the older 9-digit identity card number.
        case cmnd
        case passport
        /// A hospital, laboratory or sampling-site id with its issuer.
        case local
    }

    /// Transaction or batch.
    package var kind: Kind
    /// The identifier value.
    package var value: String
    /// Assigning authority: laboratory/hospital namespace for local ids, issuing country for passports.
    package var issuer: String?

    /// Creates a value from its parts.
    package init(kind: Kind, value: String, issuer: String? = nil) {
        self.kind = kind
        self.value = value
        self.issuer = issuer
    }

    /// Classifies a national id by its digit count, because HL7/FHIR senders often label both CCCD and CMND "NI".
    package static func nationalID(_ raw: String) -> PatientIdentifier? {
        let digits = raw.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        guard digits else { return nil }
        switch raw.utf8.count {
        case 12: return PatientIdentifier(kind: .cccd, value: raw)
        case 9: return PatientIdentifier(kind: .cmnd, value: raw)
        default: return nil
        }
    }
}

/// A Vietnamese personal name split into family, middle and given parts.
package struct PersonName: Sendable, Hashable {
    /// Family name (họ), e.g. "Nguyễn".
    package var family: String?
    /// Middle name(s) (tên đệm), e.g. "Văn".
    package var middle: String?
    /// Given name (tên), e.g. "Nam".
    package var given: String?

    /// Creates a value from its parts.
    package init(family: String?, middle: String?, given: String?) {
        self.family = family
        self.middle = middle
        self.given = given
    }

    /// The name in Vietnamese order, e.g. "Nguyễn Văn Nam".
    package var fullName: String {
        var out = ""
        for part in [family, middle, given] {
            guard let part else { continue }
            let t = LabText.trimmed(part)
            if t.isEmpty { continue }
            if !out.isEmpty { out += " " }
            out += t
        }
        return out
    }

    /// True when no part carries text.
    package var isEmpty: Bool { fullName.isEmpty }
}

/// Administrative sex as used by both HL7 table 0001 and FHIR AdministrativeGender.
package enum LabSex: String, Sendable, Hashable {
    case male, female, other, unknown

    /// HL7 v2 table 0001 code.
    package var hl7Code: String {
        switch self {
        case .male: "M"
        case .female: "F"
        case .other: "O"
        case .unknown: "U"
        }
    }

    /// Maps HL7 table 0001 (M/F/O/U/A/N); nil for codes outside the table.
    package init?(hl7Code: String) {
        switch hl7Code.uppercased() {
        case "M": self = .male
        case "F": self = .female
        case "O", "A": self = .other
        case "U", "N": self = .unknown
        default: return nil
        }
    }
}

/// The specimen tube: the label printed on it is the key the sampling teams use.
package struct LabSpecimen: Sendable, Equatable {
    /// Sample id printed on the tube (one label for a whole pool).
    package var label: String
    /// Specimen type code (SNOMED CT when numeric).
    package var typeCode: String?
    /// Specimen type text.
    package var typeDisplay: String?
    /// Number of people pooled into this tube; nil or 1 means an individual sample.
    package var poolSize: Int?
    /// When the specimen was collected.
    package var collectedAt: Date?

    /// Creates a value from its parts.
    package init(label: String, typeCode: String? = nil, typeDisplay: String? = nil, poolSize: Int? = nil, collectedAt: Date? = nil) {
        self.label = label
        self.typeCode = typeCode
        self.typeDisplay = typeDisplay
        self.poolSize = poolSize
        self.collectedAt = collectedAt
    }

    /// True when several people share this tube.
    package var isPooled: Bool { (poolSize ?? 1) > 1 }
}

/// The laboratory that performed the test.
package struct LabOrganization: Sendable, Hashable {
    /// Identifier.
    package var id: String?
    /// Name in family/middle/given parts.
    package var name: String?

    /// Creates a value from its parts.
    package init(id: String?, name: String?) {
        self.id = id
        self.name = name
    }
}

/// Which SARS-CoV-2 test was run, identified by its LOINC code.
package enum LabTestKind: String, Sendable, Hashable, CaseIterable {
    case rtPCR = "94500-6"
    case rapidAntigen = "94558-4"

    /// LOINC code system URI.
    package var loinc: String { rawValue }

    /// The LOINC long common name.
    package var displayEN: String {
        switch self {
        case .rtPCR: "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"
        case .rapidAntigen: "SARS-CoV-2 (COVID-19) Ag [Presence] in Respiratory specimen by Rapid immunoassay"
        }
    }

    /// Vietnamese display text.
    package var displayVI: String {
        switch self {
        case .rtPCR: "Xét nghiệm RT-PCR SARS-CoV-2"
        case .rapidAntigen: "Xét nghiệm nhanh kháng nguyên SARS-CoV-2"
        }
    }

    /// Looks a test up by LOINC code; nil for anything else.
    package init?(loinc: String) {
        self.init(rawValue: loinc)
    }
}

/// Qualitative SARS-CoV-2 result.
package enum LabResultValue: String, Sendable, Hashable, CaseIterable {
    case detected
    case notDetected
    case inconclusive
    /// The specimen could not be evaluated (e.g. insufficient or haemolysed sample).
    case invalid

    /// SNOMED CT concept id used in HL7 OBX-5 and FHIR valueCodeableConcept.
    package var snomedCode: String {
        switch self {
        case .detected: "260373001"
        case .notDetected: "260415000"
        case .inconclusive: "419984006"
        case .invalid: "125154007"
        }
    }

    /// English display text (SNOMED CT preferred term).
    package var displayEN: String {
        switch self {
        case .detected: "Detected"
        case .notDetected: "Not detected"
        case .inconclusive: "Inconclusive"
        case .invalid: "Specimen unsatisfactory for evaluation"
        }
    }

    /// Vietnamese display text.
    package var displayVI: String {
        switch self {
        case .detected: "Dương tính"
        case .notDetected: "Âm tính"
        case .inconclusive: "Không xác định"
        case .invalid: "Mẫu không đạt"
        }
    }

    /// Maps a SNOMED CT concept (including the Positive/Negative qualifier concepts some labs send).
    package init?(snomedCode: String) {
        switch snomedCode {
        case "260373001", "10828004": self = .detected  // Detected, Positive
        case "260415000", "260385009": self = .notDetected  // Not detected, Negative
        case "419984006", "82334004": self = .inconclusive  // Inconclusive, Indeterminate
        case "125154007", "455371000124106": self = .invalid
        default: return nil
        }
    }

    /// Maps free-text results in English or Vietnamese ("POS", "Âm tính", ...), ignoring case and diacritics.
    package init?(text: String) {
        // Fastest path: the exact spellings Hanoi LIS systems send, without any normalisation.
        switch text {
        case "Dương tính", "DƯƠNG TÍNH", "POS", "Positive", "Detected": self = .detected; return
        case "Âm tính", "ÂM TÍNH", "NEG", "Negative", "Not detected": self = .notDetected; return
        default: break
        }
        let trimmed = LabText.trimmed(text)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        // Fast path: most labs send one of a handful of ASCII codes.
        switch trimmed.uppercased() {
        case "POS", "POSITIVE", "DETECTED", "DET", "P", "+", "DUONG TINH", "DUONGTINH", "DT":
            self = .detected
            return
        case "NEG", "NEGATIVE", "NOT DETECTED", "NOTDETECTED", "ND", "N", "-", "AM TINH", "AMTINH", "AT":
            self = .notDetected
            return
        case "INCONCLUSIVE", "INDETERMINATE", "IND", "EQUIVOCAL":
            self = .inconclusive
            return
        case "INVALID":
            self = .invalid
            return
        default:
            break
        }
        // Vietnamese text may arrive in NFC or NFD and with any casing; fold both away.
        let folded = trimmed.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .replacingOccurrences(of: "đ", with: "d")
        switch folded {
        case "duong tinh", "duong tinh (+)", "positive", "detected", "phat hien":
            self = .detected
        case "am tinh", "am tinh (-)", "negative", "not detected", "khong phat hien":
            self = .notDetected
        case "khong xac dinh", "nghi ngo", "inconclusive":
            self = .inconclusive
        case "mau khong dat", "khong hop le", "invalid":
            self = .invalid
        default:
            return nil
        }
    }

    /// Interprets HL7 OBX-8 abnormal flags (table 0078) when OBX-5 itself carries no usable value.
    package init?(abnormalFlag: String) {
        switch abnormalFlag.uppercased() {
        case "A", "AA", "POS", "DET": self = .detected
        case "N", "NEG", "ND": self = .notDetected
        case "IND", "IE": self = .inconclusive
        default: return nil
        }
    }
}

/// Status of one result, shared by HL7 OBX-11 and FHIR Observation.status.
package enum LabResultStatus: String, Sendable, Hashable, CaseIterable {
    case final
    case preliminary
    case corrected
    case cancelled

    /// HL7 table 0085 code used when emitting.
    package var hl7Code: String {
        switch self {
        case .final: "F"
        case .preliminary: "P"
        case .corrected: "C"
        case .cancelled: "X"
        }
    }

    /// FHIR ObservationStatus code.
    package var fhirCode: String { rawValue }

    /// Maps HL7 table 0085; pending/unknown states (I, O, N, U) have no result and return nil.
    package init?(hl7Code: String) {
        switch hl7Code.uppercased() {
        case "F": self = .final
        case "C": self = .corrected
        case "P", "R", "S": self = .preliminary
        case "X", "D", "W": self = .cancelled
        default: return nil
        }
    }

    /// Maps FHIR ObservationStatus; `registered` and `unknown` carry no result and return nil.
    package init?(fhirCode: String) {
        switch fhirCode {
        case "final": self = .final
        case "preliminary": self = .preliminary
        case "amended", "corrected": self = .corrected
        case "cancelled", "entered-in-error": self = .cancelled
        default: return nil
        }
    }
}

/// LOINC codes of SARS-CoV-2 cycle-threshold observations we attach as `ctValue`.
package enum LabCtCodes {
    /// The codes; "CT" is accepted as a local code because many Vietnamese LIS send it.
    package static let loinc: Set<String> = [
        "94745-7", "94746-5", "94510-5", "94509-7", "94511-3", "94642-6", "94313-4", "CT",
    ]
    /// Membership test without hashing (called for every OBX on the hot path).
    package static func isCt(_ code: String) -> Bool {
        switch code {
        case "94745-7", "94746-5", "94510-5", "94509-7", "94511-3", "94642-6", "94313-4", "CT", "ct", "Ct": true
        default: false
        }
    }

    /// Code used when we emit a Ct value (RNA Ct in respiratory specimen).
    package static let preferred = "94745-7"
    /// LOINC long common name of `preferred`.
    package static let preferredDisplay =
        "SARS-CoV-2 (COVID-19) RNA [Cycle Threshold #] in Respiratory specimen by NAA with probe detection"
}

/// Small text helpers kept free of Foundation because its String bridging dominated parse time.
package enum LabText {
    /// Trims ASCII spaces, tabs, CR and LF from both ends without bridging through NSString.
    package static func trimmed(_ s: String) -> String {
        let u = s.utf8
        guard let f = u.first, let l = u.last else { return s }
        func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        if !ws(f) && !ws(l) { return s }
        var start = u.startIndex
        var end = u.endIndex
        while start < end, ws(u[start]) { start = u.index(after: start) }
        while end > start, ws(u[u.index(before: end)]) { end = u.index(before: end) }
        return String(s[start..<end])
    }

    /// Cuts user-provided text that is echoed in error messages so errors stay small.
    package static func clip(_ s: String, max: Int = 64) -> String {
        if s.utf8.count <= max { return s }
        var out = ""
        for ch in s {
            if out.utf8.count + ch.utf8.count > max { break }
            out.append(ch)
        }
        return out + "…"
    }
}
