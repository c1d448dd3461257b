import Foundation

/// The kind of value a report field holds.
public enum ReportFieldType: String, Codable, Sendable, CaseIterable {
    case number
    case text
    case choice
    case date
}

/// Over which days a pre-filled daily metric is summed: the report's day, or the ISO week holding it.
public enum MetricWindow: String, Codable, Sendable {
    case day
    case week
}

/// One field of a report template, defined as data by the city.
public struct ReportField: Codable, Sendable, Equatable {
    public var key: String
    public var type: ReportFieldType
    public var labelVI: String
    public var labelEN: String
    public var required: Bool
    public var min: Int?
    public var max: Int?
    public var choices: [String]
    /// A `Metric` raw value: the figure is pre-filled from live data and may be changed only with a reason.
    public var metric: String?
    /// For daily metrics: sum over the report's day (default) or its week.
    public var window: MetricWindow?

    public init(key: String, type: ReportFieldType, labelVI: String, labelEN: String, required: Bool = false, min: Int? = nil, max: Int? = nil,
                choices: [String] = [], metric: String? = nil, window: MetricWindow? = nil) {
        self.key = key
        self.type = type
        self.labelVI = labelVI
        self.labelEN = labelEN
        self.required = required
        self.min = min
        self.max = max
        self.choices = choices
        self.metric = metric
        self.window = window
    }

    public func label(vietnamese: Bool) -> String { vietnamese ? labelVI : labelEN }
}

/// A problem with one line of a template's field definitions.
public struct ReportFieldSpecError: Error, Equatable, Sendable {
    public let line: Int
    public let messageVI: String
    public let messageEN: String
}

/// The line format a city administrator edits templates in, one field per line:
///
///     key; type; Nhãn tiếng Việt; English label; option option …
///
/// with options `required`, `min=0`, `max=100000`, `choices=a|b|c`, `metric=cases_new`, `window=week`.
/// Blank lines and lines starting with `#` are ignored.
public enum ReportFieldSpec {
    public static func parse(_ text: String, knownMetrics: Set<String>) throws(ReportFieldSpecError) -> [ReportField] {
        var fields: [ReportField] = []
        var keys = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmedWhitespace
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ vi: String, _ en: String) -> ReportFieldSpecError {
                ReportFieldSpecError(line: number, messageVI: "Dòng \(number): \(vi)", messageEN: "Line \(number): \(en)")
            }
            let parts = line.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count >= 4 else { throw fail("cần ít nhất 4 phần: mã; loại; nhãn tiếng Việt; nhãn tiếng Anh.", "needs at least 4 parts: key; type; Vietnamese label; English label.") }
            let key = parts[0]
            guard !key.isEmpty, key.count <= 40, key.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }), key.utf8.first.map({ $0 >= 97 }) == true else {
                throw fail("mã '\(key)' chỉ gồm a-z, 0-9, _ và bắt đầu bằng chữ.", "key '\(key)' must be a-z, 0-9, _ and start with a letter.")
            }
            guard keys.insert(key).inserted else { throw fail("mã '\(key)' bị trùng.", "key '\(key)' is used twice.") }
            guard let type = ReportFieldType(rawValue: parts[1].lowercased()) else {
                throw fail("loại '\(parts[1])' không hợp lệ (number, text, choice, date).", "type '\(parts[1])' is not one of number, text, choice, date.")
            }
            guard !parts[2].isEmpty, !parts[3].isEmpty else { throw fail("thiếu nhãn.", "a label is missing.") }
            var field = ReportField(key: key, type: type, labelVI: parts[2], labelEN: parts[3])
            let options = parts.count > 4 ? parts[4...].joined(separator: " ").split(separator: " ").map(String.init) : []
            for option in options {
                let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
                switch (kv[0], kv.count == 2 ? kv[1] : nil) {
                case ("required", nil): field.required = true
                case ("min", let v?):
                    guard let n = Int(v) else { throw fail("min phải là số nguyên.", "min must be an integer.") }
                    field.min = n
                case ("max", let v?):
                    guard let n = Int(v) else { throw fail("max phải là số nguyên.", "max must be an integer.") }
                    field.max = n
                case ("choices", let v?):
                    field.choices = v.split(separator: "|").map { $0.replacingOccurrences(of: "_", with: " ") }
                case ("metric", let v?):
                    guard knownMetrics.contains(v) else { throw fail("không có số liệu '\(v)'.", "no live figure '\(v)'.") }
                    field.metric = v
                case ("window", let v?):
                    guard let w = MetricWindow(rawValue: v) else { throw fail("window là day hoặc week.", "window is day or week.") }
                    field.window = w
                default:
                    throw fail("tùy chọn '\(option)' không hợp lệ.", "unknown option '\(option)'.")
                }
            }
            if type == .choice, field.choices.isEmpty { throw fail("trường lựa chọn cần choices=a|b.", "a choice field needs choices=a|b.") }
            if field.metric != nil, type != .number { throw fail("chỉ trường số mới lấy từ số liệu.", "only number fields can be pre-filled.") }
            if let lo = field.min, let hi = field.max, lo > hi { throw fail("min lớn hơn max.", "min is greater than max.") }
            fields.append(field)
        }
        guard !fields.isEmpty else { throw ReportFieldSpecError(line: 0, messageVI: "Mẫu cần ít nhất một trường.", messageEN: "A template needs at least one field.") }
        return fields
    }

    /// The same fields written back in the line format (the editor's starting text).
    public static func format(_ fields: [ReportField]) -> String {
        fields.map { f in
            var options: [String] = []
            if f.required { options.append("required") }
            if let v = f.min { options.append("min=\(v)") }
            if let v = f.max { options.append("max=\(v)") }
            if !f.choices.isEmpty { options.append("choices=" + f.choices.map { $0.replacingOccurrences(of: " ", with: "_") }.joined(separator: "|")) }
            if let m = f.metric { options.append("metric=\(m)") }
            if let w = f.window { options.append("window=\(w.rawValue)") }
            return "\(f.key); \(f.type.rawValue); \(f.labelVI); \(f.labelEN)" + (options.isEmpty ? "" : "; " + options.joined(separator: " "))
        }.joined(separator: "\n")
    }
}

/// What is wrong with one submitted value; the code is stable for the API, the messages are for pages.
public enum ReportProblem: String, Sendable, Equatable {
    case required
    case notANumber = "not_a_number"
    case belowMin = "below_min"
    case aboveMax = "above_max"
    case notAChoice = "not_a_choice"
    case invalidDate = "invalid_date"
    case tooLong = "too_long"
    /// A figure pre-filled from live data was changed without saying why.
    case reasonRequired = "reason_required"

    public func message(_ field: ReportField, vietnamese: Bool) -> String {
        switch self {
        case .required: return vietnamese ? "Bắt buộc nhập." : "Required."
        case .notANumber: return vietnamese ? "Phải là số nguyên (ví dụ 1.832)." : "Must be a whole number (e.g. 1,832)."
        case .belowMin: return vietnamese ? "Không được nhỏ hơn \(field.min ?? 0)." : "Must be at least \(field.min ?? 0)."
        case .aboveMax: return vietnamese ? "Không được lớn hơn \(field.max ?? 0)." : "Must be at most \(field.max ?? 0)."
        case .notAChoice: return vietnamese ? "Chọn một giá trị trong danh sách." : "Pick one of the listed values."
        case .invalidDate: return vietnamese ? "Ngày không hợp lệ (dd/mm/yyyy)." : "Invalid date (dd/mm/yyyy)."
        case .tooLong: return vietnamese ? "Quá dài (tối đa 4.000 ký tự)." : "Too long (at most 4,000 characters)."
        case .reasonRequired: return vietnamese ? "Số liệu đã sửa khác số tự động: cần ghi lý do." : "This figure differs from the live figure: give a reason."
        }
    }
}

/// Checks a filled report against its template.
public enum ReportValidation {
    public struct Outcome: Sendable, Equatable {
        /// Normalised values (numbers without separators, dates ISO), only for fields given.
        public var values: [String: String] = [:]
        /// Per field key (or "reason.<key>") what is wrong.
        public var problems: [String: ReportProblem] = [:]
        /// Reasons for pre-filled figures that were changed, kept with the submission.
        public var reasons: [String: String] = [:]
        public var isValid: Bool { problems.isEmpty }
    }

    /// Reads "1832", "1.832", "1,832" or "1 832" (grouping by thousands only) as 1832.
    public static func integer(_ raw: String) -> Int? {
        let s = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\u{00A0}", with: "")
        if let n = Int(s) { return n }
        let negative = s.hasPrefix("-")
        let body = negative ? String(s.dropFirst()) : s
        for separator in [".", ","] {
            let groups = body.split(separator: Character(separator), omittingEmptySubsequences: false)
            guard groups.count > 1, (1...3).contains(groups[0].count), groups.dropFirst().allSatisfy({ $0.count == 3 }),
                  groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { continue }
            guard let n = Int(groups.joined()) else { return nil }
            return negative ? -n : n
        }
        return nil
    }

    /// Validates `input` (field key → text as typed). `prefill` holds the live figures shown in the form;
    /// a number that differs from its pre-filled figure needs a non-blank `reasons[key]`.
    public static func validate(_ fields: [ReportField], input: [String: String], prefill: [String: Int] = [:], reasons: [String: String] = [:]) -> Outcome {
        var out = Outcome()
        for field in fields {
            let raw = (input[field.key] ?? "").trimmedWhitespace
            if raw.isEmpty {
                if field.required { out.problems[field.key] = .required }
                continue
            }
            switch field.type {
            case .number:
                guard let n = integer(raw) else { out.problems[field.key] = .notANumber; continue }
                if let lo = field.min, n < lo { out.problems[field.key] = .belowMin; continue }
                if let hi = field.max, n > hi { out.problems[field.key] = .aboveMax; continue }
                out.values[field.key] = String(n)
                if let live = prefill[field.key], live != n {
                    let reason = (reasons[field.key] ?? "").trimmedWhitespace
                    if reason.isEmpty { out.problems["reason.\(field.key)"] = .reasonRequired } else { out.reasons[field.key] = String(reason.prefix(500)) }
                }
            case .text:
                guard raw.count <= 4000 else { out.problems[field.key] = .tooLong; continue }
                out.values[field.key] = raw
            case .choice:
                guard field.choices.contains(raw) else { out.problems[field.key] = .notAChoice; continue }
                out.values[field.key] = raw
            case .date:
                guard let day = try? CivilDate(parsing: raw) else { out.problems[field.key] = .invalidDate; continue }
                out.values[field.key] = day.iso
            }
        }
        return out
    }
}
