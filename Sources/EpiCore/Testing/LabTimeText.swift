import Foundation

/// A date and time as laboratories write it in a CSV: "10/09/2021 14:30", "10/09/2021 14:30:05",
/// "2021-09-10 14:30", ISO 8601 with a zone ("2021-09-10T14:30:00+07:00", "…Z"), or a day alone.
/// Without a zone the time is Hanoi's (UTC+7).
public enum LabTimeText {
    public enum Problem: Error, Equatable, Sendable, InputProblem {
        case invalid(String)

        public var messageVI: String {
            switch self { case .invalid(let raw): return "Thời gian không hợp lệ '\(raw.prefix(40))' (dd/mm/yyyy hh:mm)." }
        }

        public var messageEN: String {
            switch self { case .invalid(let raw): return "Invalid time '\(raw.prefix(40))' (dd/mm/yyyy hh:mm)." }
        }
    }

    public static func parse(_ raw: String) -> Result<Date, Problem> {
        let text = trimmedSpaces(raw[...])
        guard !text.isEmpty, text.count <= 40 else { return .failure(.invalid(raw)) }
        // Split the day from the time at the first space or "T".
        var dayPart = text
        var timePart = ""
        if let sep = text.firstIndex(where: { $0 == " " || $0 == "T" }) {
            dayPart = String(text[..<sep])
            timePart = trimmedSpaces(text[text.index(after: sep)...])
        }
        guard let day = try? CivilDate(parsing: dayPart) else { return .failure(.invalid(raw)) }
        var offset = VietnamTime.offsetSeconds
        if timePart.hasSuffix("Z") {
            offset = 0
            timePart.removeLast()
        } else if let signIndex = timePart.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = String(timePart[timePart.index(after: signIndex)...])
            let parts = zone.split(separator: ":").map(String.init)
            let digits = parts.count == 2 ? parts[0] + parts[1] : zone
            guard digits.count == 4, let hh = Int(digits.prefix(2)), let mm = Int(digits.suffix(2)), hh <= 14, mm < 60 else { return .failure(.invalid(raw)) }
            offset = (hh * 3600 + mm * 60) * (timePart[signIndex] == "-" ? -1 : 1)
            timePart = String(timePart[..<signIndex])
        }
        var hour = 0, minute = 0, second = 0.0
        if !timePart.isEmpty {
            let fields = timePart.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (2...3).contains(fields.count), let h = Int(fields[0]), let m = Int(fields[1]), (0...23).contains(h), (0...59).contains(m) else {
                return .failure(.invalid(raw))
            }
            hour = h
            minute = m
            if fields.count == 3 {
                guard let s = Double(fields[2]), s >= 0, s < 60 else { return .failure(.invalid(raw)) }
                second = s
            }
        }
        let seconds = Double(day.dayNumber) * 86_400 + Double(hour * 3600 + minute * 60) + second - Double(offset)
        return .success(Date(timeIntervalSince1970: seconds))
    }

    /// What `trimmingCharacters(in: .whitespaces)` gives (tabs, Unicode space separators and the
    /// zero-width space off both ends), without Foundation's bridging to NSString, a tenth of a result CSV's parsing.
    static func trimmedSpaces(_ text: Substring) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            // Foundation's set also holds the zero-width space (checked over every scalar).
            scalar.isASCII ? scalar == " " || scalar == "\t" : scalar.properties.generalCategory == .spaceSeparator || scalar == "\u{200B}"
        }
        let scalars = text.unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
