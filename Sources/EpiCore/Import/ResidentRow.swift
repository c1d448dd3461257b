/// The columns a resident list may carry.
public enum ResidentColumn: String, CaseIterable, Sendable {
    case fullName, sex, birthDate, citizenID, oldID, phone, address, wardCode, groupCode, householdCode, residenceStatus, residentUntil

    /// Header names accepted, compared after folding (any case, with or without diacritics, '_' as space).
    var aliases: [String] {
        switch self {
        case .fullName: return ["ho ten", "ho va ten", "full name", "name", "ten"]
        case .sex: return ["gioi tinh", "sex", "gender"]
        case .birthDate: return ["ngay sinh", "date of birth", "dob", "birth date"]
        case .citizenID: return ["so dinh danh", "cccd", "so cccd", "citizen id", "can cuoc"]
        case .oldID: return ["cmnd", "so cmnd", "old id"]
        case .phone: return ["so dien thoai", "dien thoai", "sdt", "phone"]
        case .address: return ["dia chi", "address", "noi o hien tai"]
        case .wardCode: return ["ma phuong", "ma xa", "ward code"]
        case .groupCode: return ["to dan pho", "to", "ma to", "group"]
        case .householdCode: return ["ma ho", "so ho khau", "household"]
        case .residenceStatus: return ["tinh trang cu tru", "cu tru", "residence status", "loai cu tru"]
        case .residentUntil: return ["cu tru den", "tam tru den", "until", "resident until"]
        }
    }

    /// The Vietnamese column name used in error messages.
    public var labelVI: String {
        switch self {
        case .fullName: return "Họ tên"
        case .sex: return "Giới tính"
        case .birthDate: return "Ngày sinh"
        case .citizenID: return "Số định danh"
        case .oldID: return "CMND"
        case .phone: return "Số điện thoại"
        case .address: return "Địa chỉ"
        case .wardCode: return "Mã phường"
        case .groupCode: return "Tổ dân phố"
        case .householdCode: return "Mã hộ"
        case .residenceStatus: return "Tình trạng cư trú"
        case .residentUntil: return "Cư trú đến"
        }
    }
}

/// Which column holds what, from a header row.
public struct ResidentHeader: Sendable {
    public let columns: [ResidentColumn: Int]
    /// Read once per file: birth dates after it are refused.
    public let today: CivilDate

    public init(fields: [String]) throws(ResidentRowProblem) {
        var columns: [ResidentColumn: Int] = [:]
        for (index, raw) in fields.enumerated() {
            let key = VietnameseText.fold(raw)
            guard let column = ResidentColumn.allCases.first(where: { $0.aliases.contains(key) }) else { continue }
            if columns[column] != nil {
                throw ResidentRowProblem(line: 1, column: column.labelVI, messageVI: "Dòng tiêu đề: cột \(column.labelVI) xuất hiện hai lần.",
                                         messageEN: "Header: column \(column.rawValue) appears twice.")
            }
            columns[column] = index
        }
        guard columns[.fullName] != nil else {
            throw ResidentRowProblem(line: 1, column: nil, messageVI: "Dòng tiêu đề thiếu cột họ tên (ho_ten).", messageEN: "The header has no full name column (ho_ten).")
        }
        self.columns = columns
        self.today = CivilDate.today()
    }
}

/// One resident, validated; what the importer stores.
public struct ResidentRow: Sendable, Equatable {
    public var fullName: String
    public var sex: Sex?
    public var birthDate: CivilDate?
    public var citizenID: CitizenID?
    public var oldID: CitizenID?
    public var phone: PhoneNumber?
    public var address: String
    public var wardCode: String?
    public var groupCode: String?
    public var householdCode: String?
    public var residenceStatus: ResidenceStatus
    public var residentUntil: CivilDate?
    public var warnings: [String]

    public static func parse(_ record: CSVRecord, header: ResidentHeader) -> Result<ResidentRow, ResidentRowProblem> {
        func value(_ c: ResidentColumn) -> String? {
            guard let i = header.columns[c], i < record.fields.count else { return nil }
            let v = record.fields[i].trimmingCharacters()
            return v.isEmpty ? nil : String(v)
        }
        func problem(_ c: ResidentColumn, _ vi: String, _ en: String) -> Result<ResidentRow, ResidentRowProblem> {
            .failure(ResidentRowProblem(line: record.line, column: c.labelVI, messageVI: "Dòng \(record.line), cột \(c.labelVI): \(vi)",
                                        messageEN: "Line \(record.line), column \(c.rawValue): \(en)"))
        }
        if record.fields.contains(where: { $0.utf8.contains(0) }) {
            return .failure(ResidentRowProblem(line: record.line, column: nil, messageVI: "Dòng \(record.line): có ký tự không hợp lệ (NUL).",
                                               messageEN: "Line \(record.line): contains an invalid character (NUL)."))
        }
        guard let rawName = value(.fullName) else { return problem(.fullName, "thiếu họ tên.", "full name is missing.") }
        guard rawName.count <= 150 else { return problem(.fullName, "họ tên dài quá 150 ký tự.", "full name is longer than 150 characters.") }
        if let address = value(.address), address.count > 500 { return problem(.address, "địa chỉ dài quá 500 ký tự.", "address is longer than 500 characters.") }
        for c in [ResidentColumn.householdCode, .groupCode, .wardCode] {
            if let v = value(c), v.count > 50 { return problem(c, "giá trị dài quá 50 ký tự.", "value is longer than 50 characters.") }
        }
        var sex: Sex?
        if let raw = value(.sex) {
            guard let s = Sex.parse(raw) else { return problem(.sex, "giới tính không hợp lệ '\(raw)'.", "invalid sex '\(raw)'.") }
            sex = s
        }
        var birth: CivilDate?
        if let raw = value(.birthDate) {
            guard let d = try? CivilDate(parsing: raw) else { return problem(.birthDate, "ngày không hợp lệ '\(raw)'.", "invalid date '\(raw)'.") }
            if d > header.today { return problem(.birthDate, "ngày sinh ở tương lai '\(raw)'.", "birth date in the future '\(raw)'.") }
            if d.year < 1900 { return problem(.birthDate, "năm sinh trước 1900 '\(raw)'.", "birth year before 1900 '\(raw)'.") }
            birth = d
        }
        var warnings: [String] = []
        var citizen: CitizenID?
        if let raw = value(.citizenID) {
            do { citizen = try CitizenID(parsing: raw) } catch { return problem(.citizenID, error.messageVI, error.messageEN) }
            for m in citizen?.mismatches(sex: sex, birthYear: birth?.year) ?? [] { warnings.append("Dòng \(record.line): \(m.messageVI)") }
        }
        var old: CitizenID?
        if let raw = value(.oldID) {
            do { old = try CitizenID(parsing: raw) } catch { return problem(.oldID, error.messageVI, error.messageEN) }
            if old?.kind != .cmnd { return problem(.oldID, "CMND phải có 9 chữ số.", "an old ID card number has 9 digits.") }
        }
        var phone: PhoneNumber?
        if let raw = value(.phone) {
            do { phone = try PhoneNumber(parsing: raw) } catch { return problem(.phone, error.messageVI, error.messageEN) }
        }
        var status = ResidenceStatus.permanent
        if let raw = value(.residenceStatus) {
            guard let s = ResidenceStatus.parse(raw) else {
                return problem(.residenceStatus, "tình trạng cư trú không hợp lệ '\(raw)' (thường trú/tạm trú/lưu trú).", "invalid residence status '\(raw)'.")
            }
            status = s
        }
        var until: CivilDate?
        if let raw = value(.residentUntil) {
            guard let d = try? CivilDate(parsing: raw) else { return problem(.residentUntil, "ngày không hợp lệ '\(raw)'.", "invalid date '\(raw)'.") }
            until = d
        }
        return .success(ResidentRow(
            fullName: VietnameseText.normalizeName(rawName), sex: sex, birthDate: birth, citizenID: citizen, oldID: old, phone: phone,
            address: value(.address) ?? "", wardCode: value(.wardCode), groupCode: value(.groupCode), householdCode: value(.householdCode),
            residenceStatus: status, residentUntil: until, warnings: warnings))
    }
}

/// A row the importer could not accept, with where and why, in both languages.
public struct ResidentRowProblem: Error, Sendable, Equatable {
    public let line: Int
    public let column: String?
    public let messageVI: String
    public let messageEN: String
}
