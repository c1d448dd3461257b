/// A small, fast, seedable generator: the same seed gives the same city every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One synthetic resident.
public struct GeneratedPerson: Sendable {
    public let fullName: String
    public let sex: Sex
    public let birthDate: CivilDate
    public let citizenID: CitizenID
    public let phone: PhoneNumber?
    public let address: String
    public let residenceStatus: ResidenceStatus
    public let householdCode: String
}

/// Realistic synthetic residents for demos and benchmarks: Vietnamese names in family–middle–given
/// order with real frequencies, an age pyramid like Vietnam's, valid and unique CCCDs.
public struct PopulationGenerator: Sendable {
    private var rng: SplitMix64
    private let reference: CivilDate
    private var serials: [Int: Int] = [:]
    /// Where serial numbers start, so two generators (two seeding runs) never issue the same CCCD.
    private let firstSerial: Int
    private var household = 0
    private var householdLeft = 0

    public init(seed: UInt64, referenceDate: CivilDate, firstSerial: Int = 0) {
        rng = SplitMix64(seed: seed)
        reference = referenceDate
        self.firstSerial = firstSerial
    }

    /// Family names with their approximate share of the population (per cent × 10).
    static let families: [(String, Int)] = [
        ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 50), ("Phan", 45), ("Vũ", 39), ("Đặng", 21), ("Bùi", 20),
        ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Đào", 5), ("Đinh", 5), ("Trịnh", 5), ("Mai", 4), ("Trương", 4),
        ("Tạ", 3), ("Lương", 3), ("Cao", 3), ("Chu", 3), ("Hà", 3), ("Kiều", 2), ("Lưu", 2), ("Quách", 2), ("Tô", 2), ("Vương", 2), ("Nghiêm", 1),
    ]
    static let familyTotal = families.reduce(0) { $0 + $1.1 }
    static let maleMiddle = ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Tuấn", "Thành", "Công", "Xuân", "Mạnh", "Trung", "Ngọc", "Hoàng", "Duy", "Anh", "Bá", "Đình", "Quốc"]
    static let femaleMiddle = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Thùy", "Kim", "Lan", "Mai", "Hải", "Bích", "Khánh", "Diệu", "Hoài", "Tuyết", "Quỳnh"]
    static let maleGiven = ["Nam", "Hùng", "Dũng", "Tuấn", "Long", "Minh", "Hải", "Sơn", "Thắng", "Trung", "Đức", "Phong", "Quân", "Huy", "Hoàng", "Khánh",
                            "Cường", "Thành", "Tùng", "Việt", "Bình", "An", "Kiên", "Hiếu", "Lâm", "Tâm", "Toàn", "Vinh", "Hưng", "Đạt", "Khôi", "Phúc",
                            "Quang", "Thịnh", "Tiến", "Trường", "Vũ", "Bảo", "Duy", "Nghĩa"]
    static let femaleGiven = ["Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Hà", "Thảo", "Ngọc", "Huyền", "Hằng", "Yến", "Nga", "Phương", "Thủy", "Dung",
                              "Anh", "Loan", "Oanh", "Vân", "Nhung", "Hạnh", "Thu", "Quỳnh", "Chi", "Giang", "My", "Nhi", "Vy", "Hiền", "Liên", "Tâm",
                              "Uyên", "Trâm", "Diệp", "Hồng", "Thanh", "Châu", "Ly", "Ánh"]
    static let streets = ["Minh Khai", "Bạch Mai", "Lạc Trung", "Kim Ngưu", "Trương Định", "Giải Phóng", "Lò Đúc", "Huế", "Bà Triệu", "Đại La",
                          "Nguyễn Văn Cừ", "Ngọc Lâm", "Nguyễn Sơn", "Ngô Gia Tự", "Đức Giang", "Thạch Bàn", "Việt Hưng", "Kim Mã", "Đội Cấn", "Liễu Giai",
                          "Hoàng Hoa Thám", "Phan Đình Phùng", "Nguyễn Trãi", "Láng", "Cầu Giấy", "Xuân Thủy", "Trần Duy Hưng", "Lê Văn Lương", "Tam Trinh", "Lĩnh Nam"]
    /// Provinces of birth registration besides Hanoi, for the ~20% born elsewhere.
    static let otherProvinces = ["036", "034", "038", "040", "030", "033", "035", "037", "026", "027", "024", "025", "019", "022", "031", "042", "079", "048"]

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    private mutating func chance(_ per1000: Int) -> Bool { Int(rng.next() % 1000) < per1000 }

    private mutating func age() -> Int {
        // 0–14: 24%, 15–64: 69%, 65–95: 7%.
        let r = Int(rng.next() % 1000)
        if r < 240 { return Int(rng.next() % 15) }
        if r < 930 { return 15 + Int(rng.next() % 50) }
        return 65 + Int(rng.next() % 31)
    }

    public mutating func next(wardName: String) -> GeneratedPerson {
        let sex: Sex = chance(493) ? .male : .female
        var roll = Int(rng.next() % UInt64(Self.familyTotal))
        var family = Self.families[0].0
        for (name, weight) in Self.families {
            if roll < weight { family = name; break }
            roll -= weight
        }
        let middle = sex == .male ? pick(Self.maleMiddle) : pick(Self.femaleMiddle)
        let given = sex == .male ? pick(Self.maleGiven) : pick(Self.femaleGiven)
        let years = age()
        let year = reference.year - years
        let month = 1 + Int(rng.next() % 12)
        let day = 1 + Int(rng.next() % UInt64(CivilDate.daysIn(month: month, year: year)))
        let birth = CivilDate(checkedYear: year, month: month, day: day)
        let province = chance(800) ? "001" : pick(Self.otherProvinces)
        let g = ((year - 1900) / 100) * 2 + (sex == .female ? 1 : 0)
        let key = (Int(province) ?? 0) * 1000 + g * 100 + year % 100
        let serial = serials[key, default: firstSerial]
        serials[key] = serial + 1
        let id = CitizenID.makeCCCD(provinceCode: province, sex: sex, birthYear: year, serial: serial)
        var phone: PhoneNumber?
        if chance(850) && years >= 12 {
            let prefix = pick(["91", "94", "98", "97", "96", "90", "93", "88", "86", "83", "84", "85", "32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "56", "58"])
            let rest = rng.next() % 10_000_000
            var digits = String(rest)
            while digits.count < 7 { digits = "0" + digits }
            phone = try? PhoneNumber(parsing: "0" + prefix + digits)
        }
        if householdLeft == 0 {
            household += 1
            householdLeft = 1 + Int(rng.next() % 6)
        }
        householdLeft -= 1
        let status: ResidenceStatus = { let r = Int(rng.next() % 100); return r < 85 ? .permanent : (r < 97 ? .temporary : .shortStay) }()
        let address = "Số \(1 + rng.next() % 200), ngõ \(1 + rng.next() % 150), phố \(pick(Self.streets))"
        return GeneratedPerson(fullName: "\(family) \(middle) \(given)", sex: sex, birthDate: birth, citizenID: id, phone: phone, address: address,
                               residenceStatus: status, householdCode: "HK\(household)")
    }
}
