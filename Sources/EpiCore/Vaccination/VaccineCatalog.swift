/// One COVID-19 vaccine product as the EU DCC value sets name it, with the schedule this system
/// applies to it. Codes are those a DCC carries (`mp`, `ma`, `vp`), so a certificate is written
/// from this table without a second mapping.
public struct VaccineProduct: Sendable, Equatable, Codable {
    /// EU DCC `vaccines-covid-19-names` code (`mp`), e.g. "EU/1/20/1528".
    public let code: String
    public let name: String
    /// EU DCC `vaccines-covid-19-auth-holders` code (`ma`).
    public let manufacturerCode: String
    public let manufacturerName: String
    /// EU DCC `sct-vaccines-covid-19` code (`vp`).
    public let vaccineType: String
    /// Doses that complete the primary series (`sd` on the certificate).
    public let seriesDoses: Int
    /// The shortest gap between two doses of the primary series.
    public let minIntervalDays: Int
    /// The shortest gap between completing the series and a booster.
    public let boosterIntervalDays: Int

    public init(code: String, name: String, manufacturerCode: String, manufacturerName: String, vaccineType: String,
                seriesDoses: Int, minIntervalDays: Int, boosterIntervalDays: Int) {
        self.code = code
        self.name = name
        self.manufacturerCode = manufacturerCode
        self.manufacturerName = manufacturerName
        self.vaccineType = vaccineType
        self.seriesDoses = seriesDoses
        self.minIntervalDays = minIntervalDays
        self.boosterIntervalDays = boosterIntervalDays
    }
}

/// The products the system knows, versioned: a change of schedule is a new version, so a dose's
/// eligibility can be explained by the table in force when it was given.
///
/// Sources: the EU DCC value sets (product and manufacturer codes) [sure, per domain-rules.md];
/// intervals from the products' summaries as used in Vietnam in 2021:
/// Comirnaty 21 days, Spikevax 28 days [sure: SmPC]; Vaxzevria and Covishield 28 days minimum
/// (Vietnam aimed at 8–12 weeks) [unsure: minimum vs. recommended]; BBIBP-CorV 21 days,
/// CoronaVac 14 days, Sputnik V 21 days [unsure]; Janssen one dose [sure]; a booster 90 days
/// after the series [unsure: Vietnam's late-2021 guidance read as 3 months]. The `vp` codes of
/// vector vaccines are J07BX03 (the value set has no vector code) [unsure].
public enum VaccineCatalog {
    public static let version = "2021-09-01"

    public static let mRNA = "1119349007"
    public static let antigen = "1119305005"
    public static let otherCovid = "J07BX03"

    public static let products: [VaccineProduct] = [
        VaccineProduct(code: "EU/1/20/1528", name: "Comirnaty (Pfizer-BioNTech)", manufacturerCode: "ORG-100030215", manufacturerName: "BioNTech Manufacturing GmbH",
                       vaccineType: mRNA, seriesDoses: 2, minIntervalDays: 21, boosterIntervalDays: 90),
        VaccineProduct(code: "EU/1/20/1507", name: "Spikevax (Moderna)", manufacturerCode: "ORG-100031184", manufacturerName: "Moderna Biotech Spain S.L.",
                       vaccineType: mRNA, seriesDoses: 2, minIntervalDays: 28, boosterIntervalDays: 90),
        VaccineProduct(code: "EU/1/21/1529", name: "Vaxzevria (AstraZeneca)", manufacturerCode: "ORG-100001699", manufacturerName: "AstraZeneca AB",
                       vaccineType: otherCovid, seriesDoses: 2, minIntervalDays: 28, boosterIntervalDays: 90),
        VaccineProduct(code: "EU/1/20/1525", name: "COVID-19 Vaccine Janssen", manufacturerCode: "ORG-100001417", manufacturerName: "Janssen-Cilag International",
                       vaccineType: otherCovid, seriesDoses: 1, minIntervalDays: 0, boosterIntervalDays: 60),
        VaccineProduct(code: "Covishield", name: "Covishield (Serum Institute of India)", manufacturerCode: "ORG-100001981", manufacturerName: "Serum Institute Of India Private Limited",
                       vaccineType: otherCovid, seriesDoses: 2, minIntervalDays: 28, boosterIntervalDays: 90),
        VaccineProduct(code: "BBIBP-CorV", name: "Vero Cell (Sinopharm)", manufacturerCode: "ORG-100020693", manufacturerName: "China Sinopharm International Corp. - Beijing location",
                       vaccineType: otherCovid, seriesDoses: 2, minIntervalDays: 21, boosterIntervalDays: 90),
        VaccineProduct(code: "CoronaVac", name: "CoronaVac (Sinovac)", manufacturerCode: "Sinovac-Biotech", manufacturerName: "Sinovac Biotech",
                       vaccineType: otherCovid, seriesDoses: 2, minIntervalDays: 14, boosterIntervalDays: 90),
        VaccineProduct(code: "Sputnik-V", name: "Sputnik V (Gamaleya)", manufacturerCode: "Gamaleya-Research-Institute", manufacturerName: "Gamaleya Research Institute",
                       vaccineType: otherCovid, seriesDoses: 2, minIntervalDays: 21, boosterIntervalDays: 90),
    ]

    public static func product(_ code: String) -> VaccineProduct? { products.first { $0.code == code } }

    /// The youngest age vaccinated in 2021 (12–17 from October 2021) [sure: Decision 4822/QĐ-BYT].
    public static let minimumAge = 12
}

/// The age bands coverage is reported in.
public enum AgeGroup: String, CaseIterable, Sendable, Codable {
    case age12to17 = "12-17"
    case age18to49 = "18-49"
    case age50to64 = "50-64"
    case age65plus = "65+"

    /// The band of an age in completed years; nil under 12 (not vaccinated in 2021).
    public static func of(age: Int) -> AgeGroup? {
        switch age {
        case ..<12: return nil
        case 12...17: return .age12to17
        case 18...49: return .age18to49
        case 50...64: return .age50to64
        default: return .age65plus
        }
    }

    public var labelVI: String {
        switch self {
        case .age12to17: return "12–17 tuổi"
        case .age18to49: return "18–49 tuổi"
        case .age50to64: return "50–64 tuổi"
        case .age65plus: return "Từ 65 tuổi"
        }
    }

    public var labelEN: String {
        switch self {
        case .age12to17: return "Age 12–17"
        case .age18to49: return "Age 18–49"
        case .age50to64: return "Age 50–64"
        case .age65plus: return "Age 65+"
        }
    }
}

/// Which count a dose moves: the first, the one completing the primary series, or a booster.
public enum DoseKind: String, CaseIterable, Sendable, Codable {
    case first, complete, booster
}
