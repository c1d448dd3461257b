import EpiCore
import EpiLabFormats
import EpiPlatform
import Foundation

/// Turns what the lab-format library read (HL7 ORU^R01, FHIR R4) into the neutral `IncomingResult`.
enum LabInput {
    static func test(_ kind: LabTestKind) -> LabTest { kind == .rapidAntigen ? .rapidAntigen : .rtPCR }

    static func value(_ v: LabResultValue?) -> TestResultValue {
        switch v {
        case .detected: return .detected
        case .notDetected: return .notDetected
        case .inconclusive: return .inconclusive
        case .invalid, .none: return .invalid
        }
    }

    static func status(_ s: LabResultStatus) -> TestResultStatus {
        switch s {
        case .final: return .final
        case .preliminary: return .preliminary
        case .corrected: return .corrected
        case .cancelled: return .cancelled
        }
    }

    /// The result, or why its order cannot be stored (a tube label no barcode carries).
    static func incoming(_ e: LabResultEntry, fallbackTime: Date) -> Result<IncomingResult, SampleLabel.Problem> {
        switch SampleLabel.normalize(e.specimen.label) {
        case .failure(let problem): return .failure(problem)
        case .success(let label):
            let ids = e.patient.identifiers.filter { $0.kind == .cccd || $0.kind == .cmnd }.map(\.value)
            let name = e.patient.name.map(\.fullName).flatMap { $0.isEmpty ? nil : $0 }
            return .success(IncomingResult(
                ref: e.entryID, label: label, test: test(e.test), value: value(e.result), status: status(e.status), ct: e.ctValue,
                sampledAt: e.collectedAt ?? e.specimen.collectedAt, resultedAt: e.resultedAt ?? fallbackTime, nationalIDs: ids, name: name,
                birth: e.patient.birthDate?.fhirString, phone: e.patient.phone))
        }
    }
}

/// The CSV a laboratory uploads (docs/testing.md): one tube result per row.
///
/// Required: `ma_ong_mau` (tube label), `ket_qua` (Dương tính/Âm tính/Không xác định, POS/NEG, or a SNOMED
/// code), `thoi_gian_tra_ket_qua` (dd/mm/yyyy hh:mm, Hanoi time). Optional: `loai_xet_nghiem` (RT-PCR,
/// test nhanh, or a LOINC code; RT-PCR when absent), `thoi_gian_lay_mau`, `trang_thai` (chính thức, sơ bộ,
/// đính chính, hủy), `ct`, `so_dinh_danh` (CCCD/CMND), `ho_ten`, `ngay_sinh` (or the year), `so_dien_thoai`.
package struct ResultCSVHeader: Sendable {
    let label: Int
    let result: Int
    let resulted: Int
    let test: Int?
    let sampled: Int?
    let status: Int?
    let ct: Int?
    let nationalID: Int?
    let name: Int?
    let birth: Int?
    let phone: Int?

    package static let documented = ["ma_ong_mau", "ket_qua", "thoi_gian_tra_ket_qua", "loai_xet_nghiem", "thoi_gian_lay_mau", "trang_thai", "ct",
                             "so_dinh_danh", "ho_ten", "ngay_sinh", "so_dien_thoai"]

    init(fields: [String]) throws {
        let keys = fields.map { VietnameseText.fold($0.replacingOccurrences(of: "_", with: " ")) }
        func column(_ names: [String]) -> Int? { keys.firstIndex { names.contains($0) } }
        guard let label = column(["ma ong mau", "ma ong", "ma mau", "label", "specimen", "tube"]) else {
            throw ResultCSVProblem.missingColumn("ma_ong_mau")
        }
        guard let result = column(["ket qua", "result"]) else { throw ResultCSVProblem.missingColumn("ket_qua") }
        guard let resulted = column(["thoi gian tra ket qua", "tra ket qua", "ngay tra ket qua", "resulted at", "result time"]) else {
            throw ResultCSVProblem.missingColumn("thoi_gian_tra_ket_qua")
        }
        self.label = label
        self.result = result
        self.resulted = resulted
        test = column(["loai xet nghiem", "xet nghiem", "test", "loinc"])
        sampled = column(["thoi gian lay mau", "lay mau", "ngay lay mau", "sampled at", "collected at"])
        status = column(["trang thai", "status"])
        ct = column(["ct", "gia tri ct", "ct value"])
        nationalID = column(["so dinh danh", "cccd", "cmnd", "so cccd", "citizen id"])
        name = column(["ho ten", "ho va ten", "full name", "name"])
        birth = column(["ngay sinh", "nam sinh", "birth date", "birth year"])
        phone = column(["so dien thoai", "dien thoai", "sdt", "phone"])
    }
}

enum ResultCSVProblem: Error, InputProblem {
    case missingColumn(String)

    var messageVI: String {
        switch self {
        case .missingColumn(let c): return "Dòng tiêu đề thiếu cột \(c). Cột bắt buộc: ma_ong_mau, ket_qua, thoi_gian_tra_ket_qua."
        }
    }

    var messageEN: String {
        switch self {
        case .missingColumn(let c): return "The header lacks the \(c) column. Required columns: ma_ong_mau, ket_qua, thoi_gian_tra_ket_qua."
        }
    }
}

/// Why a CSV row is not a result, in both languages.
struct RowProblem: Error, Sendable {
    let vi: String
    let en: String
    init(_ p: (String, String)) {
        vi = p.0
        en = p.1
    }
}

enum ResultCSV {
    /// One row as a result, or the reason (in both languages) it cannot be one.
    static func row(_ record: CSVRecord, header h: ResultCSVHeader, now: Date) -> Result<IncomingResult, RowProblem> {
        func field(_ i: Int?) -> String? {
            guard let i, i < record.fields.count else { return nil }
            let v = record.fields[i].trimmedWhitespace
            return v.isEmpty ? nil : v
        }
        if record.fields.contains(where: { $0.utf8.contains(0) }) { return .failure(RowProblem(("có ký tự không hợp lệ (NUL)", "contains an invalid character (NUL)"))) }
        guard let rawLabel = field(h.label) else { return .failure(RowProblem(("thiếu mã ống mẫu", "no tube label"))) }
        let label: String
        switch SampleLabel.normalize(rawLabel) {
        case .success(let l): label = l
        case .failure(let p): return .failure(RowProblem((p.messageVI, p.messageEN)))
        }
        guard let rawValue = field(h.result) else { return .failure(RowProblem(("thiếu kết quả", "no result"))) }
        guard let value = Self.value(rawValue) else {
            return .failure(RowProblem(("kết quả không rõ '\(rawValue.prefix(30))' (Dương tính/Âm tính/Không xác định)", "unknown result '\(rawValue.prefix(30))' (positive/negative/inconclusive)")))
        }
        guard let rawResulted = field(h.resulted) else { return .failure(RowProblem(("thiếu thời gian trả kết quả", "no result time"))) }
        let resulted: Date
        switch LabTimeText.parse(rawResulted) {
        case .success(let d): resulted = d
        case .failure(let p): return .failure(RowProblem((p.messageVI, p.messageEN)))
        }
        // A clock set wrong at the lab is caught here rather than skewing every turnaround figure.
        if resulted.timeIntervalSince(now) > 3600 { return .failure(RowProblem(("thời gian trả kết quả ở tương lai", "result time in the future"))) }
        var sampled: Date?
        if let raw = field(h.sampled) {
            switch LabTimeText.parse(raw) {
            case .success(let d): sampled = d
            case .failure(let p): return .failure(RowProblem((p.messageVI, p.messageEN)))
            }
            if let s = sampled, s > resulted { return .failure(RowProblem(("lấy mẫu sau khi trả kết quả", "sampled after the result time"))) }
        }
        var test = LabTest.rtPCR
        if let raw = field(h.test) {
            guard let t = Self.test(raw) else { return .failure(RowProblem(("loại xét nghiệm không rõ '\(raw.prefix(30))' (RT-PCR hoặc test nhanh)", "unknown test '\(raw.prefix(30))' (RT-PCR or rapid antigen)"))) }
            test = t
        }
        var status = TestResultStatus.final
        if let raw = field(h.status) {
            guard let s = Self.status(raw) else { return .failure(RowProblem(("trạng thái không rõ '\(raw.prefix(30))'", "unknown status '\(raw.prefix(30))'"))) }
            status = s
        }
        var ct: Double?
        if let raw = field(h.ct) {
            guard let v = Double(raw.replacingOccurrences(of: ",", with: ".")), v.isFinite, (0...60).contains(v) else {
                return .failure(RowProblem(("giá trị Ct không hợp lệ '\(raw.prefix(20))' (0–60)", "invalid Ct '\(raw.prefix(20))' (0–60)")))
            }
            ct = v
        }
        var ids: [String] = []
        if let raw = field(h.nationalID) {
            guard let id = try? CitizenID(parsing: raw) else { return .failure(RowProblem(("số CCCD/CMND không hợp lệ", "invalid citizen ID"))) }
            ids = [id.digits]
        }
        var phone: String?
        if let raw = field(h.phone) {
            guard let p = try? PhoneNumber(parsing: raw) else { return .failure(RowProblem(("số điện thoại không hợp lệ", "invalid phone number"))) }
            phone = p.e164
        }
        var birth: String?
        if let raw = field(h.birth) {
            if raw.count == 4, let year = Int(raw), CivilDate.acceptedYears.contains(year) { birth = raw } else if let d = try? CivilDate(parsing: raw) { birth = d.iso } else {
                return .failure(RowProblem(("ngày sinh không hợp lệ", "invalid birth date")))
            }
        }
        let name = field(h.name).map { String($0.prefix(TextLimits.name)) }
        return .success(IncomingResult(ref: "line \(record.line)", label: label, test: test, value: value, status: status, ct: ct, sampledAt: sampled,
                                       resultedAt: resulted, nationalIDs: ids, name: name, birth: birth, phone: phone))
    }

    static func value(_ raw: String) -> TestResultValue? {
        if let v = LabResultValue(snomedCode: raw) ?? LabResultValue(text: raw) { return LabInput.value(v) }
        return TestResultValue(rawValue: raw)
    }

    static func test(_ raw: String) -> LabTest? {
        if let t = LabTest(rawValue: raw) ?? LabTest(loinc: raw) { return t }
        let folded = VietnameseText.fold(raw).replacingOccurrences(of: "-", with: " ")
        if ["rt pcr", "pcr", "rtpcr", "xet nghiem rt pcr"].contains(folded) { return .rtPCR }
        if folded.contains("test nhanh") || folded.contains("khang nguyen") || folded.contains("antigen") || folded == "rapid" { return .rapidAntigen }
        return nil
    }

    static func status(_ raw: String) -> TestResultStatus? {
        if let s = TestResultStatus(rawValue: raw) { return s }
        switch VietnameseText.fold(raw) {
        case "chinh thuc", "f": return .final
        case "so bo", "p": return .preliminary
        case "dinh chinh", "c": return .corrected
        case "huy", "da huy", "x": return .cancelled
        default: return nil
        }
    }
}

