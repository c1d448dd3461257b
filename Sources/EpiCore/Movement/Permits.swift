import Foundation

/// Who may go out during the September 2021 zoning, and on whose word (domain-rules.md, "Hanoi zones
/// and permits" [sure]). Medical, airport and embassy trips need papers, not a permit: no group here.
public enum PermitGroup: String, CaseIterable, Codable, Sendable {
    /// Staff of a state agency: the head of the unit issues.
    case agencyStaff = "agency_staff"
    /// Workers of an essential business: the business sends its list, the authority approves.
    case essentialWorker = "essential_worker"
    /// A household's trip for food or medicine (market vouchers on given days): the ward issues.
    case foodMedicine = "food_medicine"

    /// The reason a permit counts under in the daily figures.
    public var outReason: OutReason {
        switch self {
        case .agencyStaff, .essentialWorker: return .work
        case .foodMedicine: return .market
        }
    }
}

public enum PermitStatus: String, CaseIterable, Codable, Sendable {
    /// Sent by a business, waiting for the issuing authority.
    case requested
    case issued
    case refused
    case revoked
}

/// What a checkpoint officer sees after scanning or typing a permit.
public enum PermitVerdict: String, CaseIterable, Codable, Sendable {
    case valid
    case notYetValid = "not_yet_valid"
    case expired
    case revoked
    case wrongZone = "wrong_zone"
    /// A food/medicine voucher on a day it does not name.
    case wrongDay = "wrong_day"
    /// The code is unknown, unreadable or its signature fails.
    case invalid

    public var passes: Bool { self == .valid }
}

/// The facts of a permit a check needs; the same rule runs on the server and, as JavaScript, offline.
public struct PermitTerms: Sendable, Equatable {
    public var validFrom: CivilDate
    public var validTo: CivilDate
    /// Ward paths or zone ids the holder may be in; empty means anywhere in the city.
    public var zones: [String]
    /// For market vouchers: the only days it may be used (within from–to); empty means every day.
    public var days: [CivilDate]
    public var revoked: Bool

    public init(validFrom: CivilDate, validTo: CivilDate, zones: [String] = [], days: [CivilDate] = [], revoked: Bool = false) {
        self.validFrom = validFrom
        self.validTo = validTo
        self.zones = zones
        self.days = days
        self.revoked = revoked
    }

    /// The verdict at a checkpoint on `day`. `checkpointZones` are the ward path and the zone id of the
    /// checkpoint: a permit naming zones must name one of them (a ward path also covers its zones' checkpoints
    /// by prefix). Revocation outranks dates, dates outrank place: the officer's first question is
    /// whether the paper counts at all today.
    public func verdict(on day: CivilDate, checkpointZones: [String]) -> PermitVerdict {
        if revoked { return .revoked }
        if day < validFrom { return .notYetValid }
        if day > validTo { return .expired }
        if !days.isEmpty && !days.contains(day) { return .wrongDay }
        if !zones.isEmpty {
            let inside = zones.contains { zone in
                checkpointZones.contains { cp in cp == zone || cp.hasPrefix(zone + "/") }
            }
            if !inside { return .wrongZone }
        }
        return .valid
    }

    /// Whether the permit lets its holder out on `day` (the daily count), wherever.
    public func usable(on day: CivilDate) -> Bool {
        !revoked && day >= validFrom && day <= validTo && (days.isEmpty || days.contains(day))
    }

    /// Longest validity an authority may set in one permit: the zoning period lasted 6–21 September 2021,
    /// permits were renewed with it [unsure: no single maximum was published]; we refuse beyond 31 days.
    public static let maxDays = 31

    public static func checkRange(from: CivilDate, to: CivilDate) -> PermitRangeProblem? {
        if to < from { return .endsBeforeStart }
        if to.days(since: from) + 1 > maxDays { return .tooLong }
        return nil
    }
}

public enum PermitRangeProblem: Error, Equatable, Sendable {
    case endsBeforeStart, tooLong

    public var messageVI: String {
        switch self {
        case .endsBeforeStart: return "Ngày hết hạn phải sau ngày bắt đầu."
        case .tooLong: return "Giấy đi đường có giá trị tối đa \(PermitTerms.maxDays) ngày."
        }
    }

    public var messageEN: String {
        switch self {
        case .endsBeforeStart: return "The end date must not be before the start date."
        case .tooLong: return "A permit is valid for at most \(PermitTerms.maxDays) days."
        }
    }
}

/// A crossing at a checkpoint.
public enum CheckDirection: String, CaseIterable, Codable, Sendable {
    case outbound = "out"
    case inbound = "in"
}

/// The health declaration (khai báo y tế) a checkpoint also reads: valid 72 hours [sure: domain-rules.md].
public enum HealthDeclarationRule {
    public static let validHours = 72

    /// Whether a declaration made at `declaredAt` still counts at `now`.
    public static func isCurrent(declaredAt: Date, now: Date) -> Bool {
        let age = now.timeIntervalSince(declaredAt)
        return age >= -300 && age <= Double(validHours) * 3600
    }
}
