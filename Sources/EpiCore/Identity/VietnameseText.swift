import Foundation

/// Vietnamese text folding for search keys, and name normalisation for display.
public enum VietnameseText {
    /// Every accented Latin letter Vietnamese uses (and Latin-1's), mapped to its ASCII base, lower case.
    private static let table: [UInt32: UInt8] = {
        let groups: [(Character, String)] = [
            ("a", "àáảãạăằắẳẵặâầấẩẫậäåāą"), ("e", "èéẻẽẹêềếểễệëēę"), ("i", "ìíỉĩịîïī"), ("o", "òóỏõọôồốổỗộơờớởỡợöøō"),
            ("u", "ùúủũụưừứửữựûüū"), ("y", "ỳýỷỹỵÿ"), ("d", "đð"), ("c", "çč"), ("n", "ñň"), ("s", "šś"), ("z", "žź"),
        ]
        var table: [UInt32: UInt8] = [:]
        for (base, variants) in groups {
            guard let ascii = base.asciiValue else { continue }
            for ch in variants {
                for scalar in String(ch).unicodeScalars { table[scalar.value] = ascii }
                for scalar in String(ch).uppercased().unicodeScalars where scalar.value >= 128 { table[scalar.value] = ascii }
            }
        }
        table[0x0110] = UInt8(ascii: "d")  // Đ
        return table
    }()

    /// The search key: lower case, no diacritics, đ → d, punctuation → space, single spaces, trimmed.
    public static func fold(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var pendingSpace = false
        func emit(_ c: UInt8) {
            if pendingSpace, !out.isEmpty { out.append(32) }
            pendingSpace = false
            out.append(c)
        }
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v < 128 {
                var c = UInt8(v)
                if c >= 65 && c <= 90 { c += 32 }
                if (c >= 97 && c <= 122) || (c >= 48 && c <= 57) { emit(c) } else { pendingSpace = true }
            } else if v >= 0x300 && v <= 0x36F {
                continue  // combining marks of decomposed (NFD) input
            } else if let c = table[v] {
                emit(c)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                for byte in String(scalar).lowercased().utf8 { emit(byte) }
            } else {
                pendingSpace = true
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The display form: NFC, single spaces, each word capitalised ("  nguyễn  VĂN nam " → "Nguyễn Văn Nam").
    public static func normalizeName(_ s: String) -> String {
        s.precomposedStringWithCanonicalMapping
            .split(whereSeparator: { $0.isWhitespace })
            .map { word in word.prefix(1).uppercased() + word.dropFirst().lowercased() }
            .joined(separator: " ")
    }

    /// A place's name as Vietnamese writes it: sentence case ("Tổ dân phố số 1", "Ngõ Hòa Bình 2"), so
    /// only the first letter is raised and the rest is kept as typed (proper names inside keep theirs).
    public static func normalizePlaceName(_ s: String) -> String {
        let words = s.precomposedStringWithCanonicalMapping.split(whereSeparator: { $0.isWhitespace })
        guard let first = words.first else { return "" }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst().map(String.init)).joined(separator: " ")
    }

    /// The search key of the given name (the last word in Vietnamese order).
    public static func givenNameKey(_ s: String) -> String {
        let folded = fold(s)
        return folded.split(separator: " ").last.map(String.init) ?? ""
    }
}
