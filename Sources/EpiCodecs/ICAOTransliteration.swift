import Foundation

/// ICAO Doc 9303 (Part 3, §6) name transliteration for the DCC `fnt`/`gnt` fields.
///
/// Output matches the DCC schema pattern `^[A-Z<]*$`, at most 80 characters:
/// - letters are uppercased and lose their diacritics, which covers every
///   Vietnamese vowel (ă â ê ô ơ ư and the five tone marks); `đ`/`Đ` has no
///   decomposition and is mapped to `D` explicitly;
/// - the ICAO multi-letter mappings for Ä Ö Ü ß Æ Œ Ø Å Þ are applied
///   (e.g. "Gößinger" → "GOESSINGER", as in the EU test data);
/// - spaces and hyphens become the filler `<` (ICAO treats both as name
///   separators), runs of separators collapse to one, and leading or
///   trailing separators are dropped;
/// - apostrophes and every other character are removed.
package enum ICAOTransliteration {
    /// Maximum length of `fnt`/`gnt` in the DCC schema.
    package static let maxLength = 80

    private static let multiLetter: [Character: String] = [
        "Ä": "AE", "ä": "AE", "Ö": "OE", "ö": "OE", "Ü": "UE", "ü": "UE",
        "ß": "SS", "ẞ": "SS", "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE",
        "Ø": "OE", "ø": "OE", "Å": "AA", "å": "AA", "Þ": "TH", "þ": "TH",
        "Đ": "D", "đ": "D", "Ð": "D", "ð": "D", "Ł": "L", "ł": "L", "ı": "I",
    ]

    /// Transliterates a name into the machine-readable-zone form.
    package static func transliterate(_ name: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(min(name.utf8.count, maxLength))
        var pendingSeparator = false

        var full = false

        func appendLetters(_ letters: some Sequence<UInt8>) {
            for letter in letters {
                if pendingSeparator {
                    // The separator is written only once another letter follows,
                    // which trims leading and trailing fillers for free.
                    pendingSeparator = false
                    if !output.isEmpty {
                        // Truncate at a word boundary rather than end on a filler.
                        guard output.count + 2 <= maxLength else { full = true; return }
                        output.append(UInt8(ascii: "<"))
                    }
                }
                guard output.count < maxLength else { full = true; return }
                output.append(letter)
            }
        }

        for character in name {
            if full { break }
            if character == " " || character == "-" || character == "\u{00A0}" || character == "\u{2010}" {
                pendingSeparator = true
                continue
            }
            if let mapped = multiLetter[character] {
                appendLetters(mapped.utf8)
                continue
            }
            // Canonical decomposition splits a base letter from its combining marks.
            for scalar in String(character).decomposedStringWithCanonicalMapping.unicodeScalars {
                let value = scalar.value
                if value >= 0x61 && value <= 0x7A {
                    appendLetters(CollectionOfOne(UInt8(value - 0x20)))
                } else if value >= 0x41 && value <= 0x5A {
                    appendLetters(CollectionOfOne(UInt8(value)))
                }
                // Combining marks (U+0300...U+036F), digits, apostrophes and other
                // symbols are dropped: the schema allows only A-Z and '<'.
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
