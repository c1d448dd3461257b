import EpiCore

/// Number formatting in the reader's language: 46.375 in Vietnamese, 46,375 in English.
package enum NumberFormat {
    /// The language of the request being answered (set by `AuthMiddleware`), so every figure a page or
    /// chart prints follows the reader without each call naming it. Vietnamese outside a request.
    @TaskLocal package static var language: Language = .vi

    /// A whole number grouped in the reader's language.
    package static func grouped(_ n: Int) -> String { localized(n, language: language) }

    package static func localized(_ n: Int, language: Language) -> String {
        let separator: Character = language == .vi ? "." : ","
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(separator) }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// A decimal in the reader's language, grouped: "1.234,5" in Vietnamese, "1,234.5" in English.
    package static func decimal(_ x: Double, digits: Int = 1, language: Language) -> String {
        guard x.isFinite else { return "–" }
        let clamped = min(max(digits, 0), 6)
        var scale = 1.0
        for _ in 0..<clamped { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return "–" }
        let units = Int(scaled)
        let whole = localized(units / Int(scale), language: language)
        let sign = x < 0 && units != 0 ? "-" : ""
        guard clamped > 0 else { return sign + whole }
        var fraction = String(units % Int(scale))
        while fraction.count < clamped { fraction = "0" + fraction }
        return sign + whole + (language == .vi ? "," : ".") + fraction
    }

    /// A week the same way everywhere: "Tuần 37/2021", "Week 37/2021".
    package static func week(_ day: CivilDate, language: Language) -> String {
        let (year, week) = day.isoWeek
        return language == .vi ? "Tuần \(week)/\(year)" : "Week \(week)/\(year)"
    }

    /// The same for a stored week key ("2021-W37"); the key itself when it is not one.
    package static func week(key: String, language: Language) -> String {
        guard let monday = CivilDate(isoWeekKey: key) else { return key }
        return week(monday, language: language)
    }
}
