/// A group that goes first for vaccination. Resolution 21/NQ-CP (26/2/2021) lists them; its exact list is
/// not confirmed here (`domain-rules.md`), so the list is seed data a city administrator edits, never a
/// constant the code relies on. A session names the groups it serves; the officer records, at check-in,
/// which group the person came under.
public struct PriorityGroup: Sendable, Equatable, Codable {
    public let code: String
    public var position: Int
    public var labelVI: String
    public var labelEN: String
    /// Belonging follows from age alone (people over 65): the registry can then pick the group's people
    /// for an invitation list. Nil for a group the registry cannot see (an occupation, an illness).
    public var minAge: Int?
    /// The group at risk (`TargetGroup`'s code) whose people the registry records as belonging here
    /// (health workers): the invitation list can then pick them. Nil when the registry has no such record.
    public var registryGroup: String?
    public var active: Bool

    public init(code: String, position: Int, labelVI: String, labelEN: String, minAge: Int? = nil, registryGroup: String? = nil, active: Bool = true) {
        self.code = code
        self.position = position
        self.labelVI = labelVI
        self.labelEN = labelEN
        self.minAge = minAge
        self.registryGroup = registryGroup
        self.active = active
    }

    /// Whether the registry can tell who belongs: by age, by a recorded group at risk, or both.
    public var registryCanSelect: Bool { minAge != nil || registryGroup != nil }
}

public enum PriorityGroups {
    /// Where the seeded list comes from, shown beside it.
    public static let sourceVI = "Nghị quyết 21/NQ-CP ngày 26/02/2021 (danh sách chính xác chưa được xác nhận: quản trị cấp thành phố sửa được)"
    public static let sourceEN = "Resolution 21/NQ-CP of 26/02/2021 (exact list unconfirmed: the city administrator edits it)"

    /// The groups of Resolution 21/NQ-CP as we read them [unsure: exact wording and order]. Its group 8
    /// ("chronic illness, over 65") is two entries: age alone selects the second from the registry.
    public static let seed: [PriorityGroup] = [
        PriorityGroup(code: "health_workers", position: 1, labelVI: "1. Người làm việc trong cơ sở y tế, ngành y tế (công lập và tư nhân)",
                      labelEN: "1. Health workers (public and private)", registryGroup: TargetGroup.healthWorkers.rawValue),
        PriorityGroup(code: "frontline", position: 2, labelVI: "2. Người tham gia phòng, chống dịch (ban chỉ đạo, khu cách ly, truy vết, tổ COVID cộng đồng, tình nguyện viên, phóng viên)",
                      labelEN: "2. Frontline epidemic workers (steering committees, quarantine, tracing, community teams, volunteers, reporters)"),
        PriorityGroup(code: "military", position: 3, labelVI: "3. Lực lượng Quân đội", labelEN: "3. Armed forces"),
        PriorityGroup(code: "police", position: 4, labelVI: "4. Lực lượng Công an", labelEN: "4. Police"),
        PriorityGroup(code: "diplomacy_border", position: 5, labelVI: "5. Cán bộ ngoại giao được cử đi nước ngoài; hải quan, xuất nhập cảnh",
                      labelEN: "5. Diplomats posted abroad; customs and immigration officers"),
        PriorityGroup(code: "essential_services", position: 6, labelVI: "6. Người cung cấp dịch vụ thiết yếu (hàng không, vận tải, du lịch, điện, nước…)",
                      labelEN: "6. Essential services (aviation, transport, tourism, power, water…)"),
        PriorityGroup(code: "education_public", position: 7, labelVI: "7. Giáo viên, người làm việc, học sinh, sinh viên tại cơ sở giáo dục; cơ quan hành chính tiếp xúc nhiều người",
                      labelEN: "7. Teachers, staff and students; public offices meeting many people"),
        PriorityGroup(code: "chronic_illness", position: 8, labelVI: "8. Người mắc bệnh mạn tính", labelEN: "8. People with chronic illnesses"),
        PriorityGroup(code: "over_65", position: 9, labelVI: "8. Người trên 65 tuổi", labelEN: "8. People over 65", minAge: 65),
        PriorityGroup(code: "outbreak_area", position: 10, labelVI: "9. Người sinh sống tại vùng có dịch", labelEN: "9. Residents of outbreak areas"),
        PriorityGroup(code: "poor_social_policy", position: 11, labelVI: "10. Người nghèo, đối tượng chính sách xã hội", labelEN: "10. The poor and social-policy beneficiaries"),
        PriorityGroup(code: "going_abroad", position: 12, labelVI: "11. Người được cử đi công tác, học tập, lao động ở nước ngoài; chuyên gia nước ngoài làm việc tại Việt Nam",
                      labelEN: "11. People sent to work or study abroad; foreign experts working in Viet Nam"),
    ]

    /// A code an administrator may give a new group: 2–40 of a–z, 0–9 and `_`, starting with a letter.
    public static func isValidCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard (2...40).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// The codes of a session's stored list ("a,b"), in order, without blanks or repeats.
    public static func codes(_ stored: String) -> [String] {
        var seen = Set<String>()
        return stored.split(separator: ",").map { String($0).trimmedWhitespace }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Who a session's invitation list reads from the registry. A session for groups the registry can
    /// all select invites only their people: those of a group's age (over 65), and those of at least the
    /// session's age recorded in a group's group at risk (health workers). A session that names no group,
    /// or one the registry cannot see (chronic illness), invites everyone of the session's age, since
    /// anyone may belong to it. Ages are never below the session's minimum.
    public static func invitationReach(sessionMinAge: Int, groups: [PriorityGroup]) -> InvitationReach {
        guard !groups.isEmpty, groups.allSatisfy(\.registryCanSelect) else {
            return InvitationReach(everyoneFrom: sessionMinAge, registryGroups: [], registryGroupsFrom: sessionMinAge)
        }
        let youngest = groups.compactMap(\.minAge).min()
        var registry: [String] = []
        for code in groups.compactMap(\.registryGroup) where !registry.contains(code) { registry.append(code) }
        return InvitationReach(everyoneFrom: youngest.map { max(sessionMinAge, $0) }, registryGroups: registry, registryGroupsFrom: sessionMinAge)
    }
}

/// The people an invitation list may hold: everyone from an age, and/or people recorded in groups at risk.
public struct InvitationReach: Sendable, Equatable {
    /// Everyone of at least this age; nil when age alone invites nobody.
    public let everyoneFrom: Int?
    /// Codes of `TargetGroup` whose recorded people are invited from `registryGroupsFrom` years of age.
    public let registryGroups: [String]
    public let registryGroupsFrom: Int

    public init(everyoneFrom: Int?, registryGroups: [String], registryGroupsFrom: Int) {
        self.everyoneFrom = everyoneFrom
        self.registryGroups = registryGroups
        self.registryGroupsFrom = registryGroupsFrom
    }

    /// The youngest age anyone invited has.
    public var youngest: Int { registryGroups.isEmpty ? (everyoneFrom ?? registryGroupsFrom) : min(everyoneFrom ?? registryGroupsFrom, registryGroupsFrom) }
}
