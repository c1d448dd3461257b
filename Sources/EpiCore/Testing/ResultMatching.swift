/// Matching a laboratory's result to the tube and the person sampled. The tube label is the key: the
/// people sampled into it are the only candidates. What the lab says about the person (a national ID,
/// a name, a birth year) must agree with one of them, or the result waits for a person to review it:
/// a wrong label must never put someone else's positive on a household.
public enum ResultMatching {
    /// Someone sampled into a tube, as recorded at the sampling point.
    public struct Member: Equatable, Sendable {
        public let id: String
        public let citizenID: String?
        public let oldID: String?
        /// `VietnameseText.fold` of the full name.
        public let nameFolded: String
        public let birthYear: Int?

        public init(id: String, citizenID: String?, oldID: String?, nameFolded: String, birthYear: Int?) {
            self.id = id
            self.citizenID = citizenID
            self.oldID = oldID
            self.nameFolded = nameFolded
            self.birthYear = birthYear
        }

        var ids: [String] { [citizenID, oldID].compactMap { $0 } }
    }

    /// What the laboratory reported about the person.
    public struct Reported: Equatable, Sendable {
        /// National IDs (CCCD 12 digits, CMND 9) the lab sent, digits only.
        public let nationalIDs: [String]
        public let nameFolded: String?
        public let birthYear: Int?

        public init(nationalIDs: [String] = [], nameFolded: String? = nil, birthYear: Int? = nil) {
            self.nationalIDs = nationalIDs
            self.nameFolded = nameFolded.flatMap { $0.isEmpty ? nil : $0 }
            self.birthYear = birthYear
        }

        public var isEmpty: Bool { nationalIDs.isEmpty && nameFolded == nil }
    }

    public enum Decision: Equatable, Sendable {
        /// The result is this member's (an individual tube, or the member a pooled entry names).
        case member(String)
        /// A pooled tube's result, naming nobody in particular: it applies to every member.
        case wholeTube
        /// What the lab says does not fit anyone sampled into the tube.
        case mismatch
    }

    public static func decide(_ reported: Reported, members: [Member], pooled: Bool) -> Decision {
        guard !members.isEmpty else { return .mismatch }
        if reported.isEmpty {
            if pooled { return .wholeTube }
            return members.count == 1 ? .member(members[0].id) : .mismatch
        }
        guard let found = identify(reported, among: members) else { return .mismatch }
        return pooled ? .wholeTube : .member(found)
    }

    /// The member the report names: by national ID first; by name (in any word order, the birth year
    /// agreeing within a year when both are known) when the ID was not recorded at sampling.
    static func identify(_ reported: Reported, among members: [Member]) -> String? {
        if !reported.nationalIDs.isEmpty {
            if let byID = members.first(where: { m in m.ids.contains { reported.nationalIDs.contains($0) } }) { return byID.id }
            // The ID names someone else if the member with that name has a different ID on record.
            guard let name = reported.nameFolded else { return nil }
            let named = members.filter { sameName($0.nameFolded, name) && yearsAgree($0.birthYear, reported.birthYear) }
            guard named.count == 1, named[0].ids.isEmpty else { return nil }
            return named[0].id
        }
        guard let name = reported.nameFolded else { return nil }
        let named = members.filter { sameName($0.nameFolded, name) && yearsAgree($0.birthYear, reported.birthYear) }
        return named.count == 1 ? named[0].id : nil
    }

    /// Folded names with the same words, in any order ("nguyen van nam" = "van nam nguyen").
    public static func sameName(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        return a.split(separator: " ").sorted() == b.split(separator: " ").sorted()
    }

    static func yearsAgree(_ a: Int?, _ b: Int?) -> Bool {
        guard let a, let b else { return true }
        return abs(a - b) <= 1
    }
}
