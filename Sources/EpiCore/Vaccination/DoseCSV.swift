/// The columns of a dose CSV from another system, by header name (case and diacritics ignored):
///
///     cccd (so_cccd, citizen_id)      the person's 12-digit citizen ID, or the 9-digit old one   required
///     ngay_tiem (given_on, date)      the date given, dd/mm/yyyy or yyyy-mm-dd                    required
///     mui_so (mui, dose_number)       the dose number, 1–9                                        required
///     vac_xin (vaccine, product_code) the product: an EU DCC code or a common name                 required
///     so_lo (lot_number, lot)         the lot number                                              optional
///     nhom_uu_tien (priority_group)   the code of the priority group the dose was given under     optional
public struct DoseCSVHeader: Sendable, Equatable {
    public let cccd: Int
    public let date: Int
    public let dose: Int
    public let product: Int
    public let lot: Int?
    public let priorityGroup: Int?

    static let aliases: [String: [String]] = [
        "cccd": ["cccd", "so_cccd", "citizen_id", "cmnd"], "date": ["ngay_tiem", "given_on", "date"], "dose": ["mui_so", "mui", "dose_number"],
        "product": ["vac_xin", "vaccine", "product_code", "loai_vac_xin"], "lot": ["so_lo", "lot_number", "lot"],
        "priority": ["nhom_uu_tien", "priority_group", "ma_nhom_uu_tien"],
    ]

    public init(fields: [String]) throws(DoseCSVProblem) {
        let names = fields.map { VietnameseText.fold($0).replacingOccurrences(of: " ", with: "_").trimmingCharacters(in: .whitespaces) }
        func find(_ key: String) -> Int? { names.firstIndex { (Self.aliases[key] ?? []).contains($0) } }
        var missing: [String] = []
        let cccd = find("cccd"), date = find("date"), dose = find("dose"), product = find("product")
        if cccd == nil { missing.append("cccd") }
        if date == nil { missing.append("ngay_tiem") }
        if dose == nil { missing.append("mui_so") }
        if product == nil { missing.append("vac_xin") }
        guard let cccd, let date, let dose, let product else { throw DoseCSVProblem(vi: "Thiếu cột: \(missing.joined(separator: ", ")).", en: "Missing columns: \(missing.joined(separator: ", ")).") }
        self.cccd = cccd
        self.date = date
        self.dose = dose
        self.product = product
        self.lot = find("lot")
        self.priorityGroup = find("priority")
    }
}

public struct DoseCSVProblem: Error, Sendable, Equatable {
    public let vi: String
    public let en: String
}

/// One good row.
public struct DoseCSVRow: Sendable, Equatable {
    public let line: Int
    public let citizenID: String
    public let date: CivilDate
    public let doseNumber: Int
    public let product: VaccineProduct
    public let lot: String
    /// A priority group's code as written (checked against the city's list by the import); empty when none.
    public let priorityGroup: String
}

public enum DoseCSV {
    /// The first day doses were given in Vietnam (8/3/2021); earlier dates are typing errors.
    public static let firstDay = CivilDate(year: 2021, month: 3, day: 8)

    public static func row(_ record: CSVRecord, header: DoseCSVHeader, today: CivilDate) -> Result<DoseCSVRow, DoseCSVProblem> {
        func field(_ i: Int) -> String { i < record.fields.count ? record.fields[i].trimmedWhitespace : "" }
        guard let id = try? CitizenID(parsing: field(header.cccd)) else {
            return .failure(DoseCSVProblem(vi: "CCCD/CMND '\(field(header.cccd).prefix(20))' không hợp lệ.", en: "Invalid citizen ID '\(field(header.cccd).prefix(20))'."))
        }
        guard let date = try? CivilDate(parsing: field(header.date)) else {
            return .failure(DoseCSVProblem(vi: "Ngày tiêm '\(field(header.date).prefix(20))' không hợp lệ.", en: "Invalid date '\(field(header.date).prefix(20))'."))
        }
        if let first = firstDay, date < first || date > today {
            return .failure(DoseCSVProblem(vi: "Ngày tiêm \(date.vietnamese) ngoài khoảng 08/03/2021 – hôm nay.", en: "Date \(date.vietnamese) outside 08/03/2021 – today."))
        }
        guard let dose = Int(field(header.dose)), (1...9).contains(dose) else {
            return .failure(DoseCSVProblem(vi: "Mũi số '\(field(header.dose).prefix(10))' phải từ 1 đến 9.", en: "Dose number '\(field(header.dose).prefix(10))' must be 1 to 9."))
        }
        guard let product = VaccineCatalog.match(field(header.product)) else {
            return .failure(DoseCSVProblem(vi: "Không nhận ra vắc xin '\(field(header.product).prefix(40))'.", en: "Unknown vaccine '\(field(header.product).prefix(40))'."))
        }
        let lot = header.lot.map(field) ?? ""
        if lot.count > 50 { return .failure(DoseCSVProblem(vi: "Số lô quá dài.", en: "Lot number too long.")) }
        let group = header.priorityGroup.map(field)?.lowercased() ?? ""
        if !group.isEmpty, !PriorityGroups.isValidCode(group) {
            return .failure(DoseCSVProblem(vi: "Mã nhóm ưu tiên '\(group.prefix(40))' không hợp lệ.", en: "Invalid priority group code '\(group.prefix(40))'."))
        }
        return .success(DoseCSVRow(line: record.line, citizenID: id.digits, date: date, doseNumber: dose, product: product, lot: lot, priorityGroup: group))
    }
}

extension VaccineCatalog {
    /// Names other systems write for each product (folded, without diacritics) [unsure: from 2021 practice].
    static let names: [(String, String)] = [
        ("pfizer", "EU/1/20/1528"), ("comirnaty", "EU/1/20/1528"), ("moderna", "EU/1/20/1507"), ("spikevax", "EU/1/20/1507"),
        ("astrazeneca", "EU/1/21/1529"), ("vaxzevria", "EU/1/21/1529"), ("janssen", "EU/1/20/1525"), ("johnson", "EU/1/20/1525"),
        ("covishield", "Covishield"), ("vero cell", "BBIBP-CorV"), ("verocell", "BBIBP-CorV"), ("sinopharm", "BBIBP-CorV"),
        ("coronavac", "CoronaVac"), ("sinovac", "CoronaVac"), ("sputnik", "Sputnik-V"), ("gamaleya", "Sputnik-V"),
    ]

    /// Products by their code in lower case: a dose import matches a product on every row.
    static let byLowercasedCode: [String: VaccineProduct] = Dictionary(products.map { ($0.code.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })

    /// A product named by its EU DCC code or a common name.
    public static func match(_ raw: String) -> VaccineProduct? {
        let text = raw.trimmedWhitespace
        guard !text.isEmpty, text.count <= 100 else { return nil }
        if let exact = byLowercasedCode[text.lowercased()] { return exact }
        let folded = VietnameseText.fold(text)
        return names.first { folded.contains($0.0) }.flatMap { product($0.1) }
    }
}
