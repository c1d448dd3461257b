import EpiCore

/// Number formatting in the reader's language: 46.375 in Vietnamese, 46,375 in English.
package enum NumberFormat {
    package static func grouped(_ n: Int) -> String { localized(n, language: .vi) }

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
}
