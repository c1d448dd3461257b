extension String {
    /// The text without leading and trailing white space and line breaks: the same characters as
    /// Foundation's `trimmingCharacters(in: .whitespacesAndNewlines)` (Unicode White_Space, and the
    /// zero-width space U+200B that Foundation's set still holds from older Unicode), found by
    /// walking Unicode scalars from both ends. Foundation bridges every call through NSString, which
    /// cost an eighth of a CSV import and a twentieth of each QR verification; here a value with
    /// nothing to trim is returned as it is after two scalar reads.
    public var trimmedWhitespace: String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, Self.isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard Self.isSpace(scalars[before]) else { break }
            end = before
        }
        if start == scalars.startIndex && end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        // ASCII first: its White_Space characters are tab to carriage return and the space; looking up
        // Unicode properties for every letter of a CSV file was a measurable part of an import.
        if scalar.isASCII { return UInt8(scalar.value).isASCIIWhitespace }
        return scalar.properties.isWhitespace || scalar == "\u{200B}"
    }
}

extension UInt8 {
    /// ASCII's White_Space characters: tab to carriage return, and the space.
    var isASCIIWhitespace: Bool { (0x09...0x0D).contains(self) || self == 0x20 }
}

extension String {
    /// The text's UTF-8 without ASCII white space at either end: where the byte-level readings of
    /// common shapes (citizen IDs, dates) start; anything else they leave to the general readings.
    var utf8TrimmingASCIIWhitespace: Substring.UTF8View {
        var bytes = utf8[...]
        while let first = bytes.first, first.isASCIIWhitespace { bytes = bytes.dropFirst() }
        while let last = bytes.last, last.isASCIIWhitespace { bytes = bytes.dropLast() }
        return bytes
    }
}

extension Substring {
    /// `String.trimmedWhitespace` of a slice.
    public var trimmedWhitespace: String { String(self).trimmedWhitespace }
}

/// Lower-case hexadecimal of bytes (digests and key ids shown or stored as text), without a formatter per byte.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
