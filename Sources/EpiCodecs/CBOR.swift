/// A CBOR data item (RFC 8949).
///
/// Maps keep their pairs in the order given or decoded, so that a decoded
/// item can be re-encoded byte for byte when the input was deterministic,
/// and so that callers control the order when they need a specific layout.
/// Floating-point values keep their wire width (half, single, double) so the
/// RFC 8949 Appendix A vectors round-trip exactly; the deterministic encoder
/// shortens them when that preserves the value.
package indirect enum CBOR: Sendable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n`, stored as `n` so all 64-bit negatives fit.
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a UTF-8 text string.
    case text(String)
    /// Major type 4: an array.
    case array([CBOR])
    /// Major type 5: a map with ordered key/value pairs.
    case map([(key: CBOR, value: CBOR)])
    /// Major type 6: a tag number applied to a nested item.
    case tagged(UInt64, CBOR)
    /// Major type 7: an unassigned simple value (0...19 or 32...255).
    case simple(UInt8)
    /// Simple values 20 (false) and 21 (true).
    case bool(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined
    /// IEEE 754 binary16, stored as raw bits because `Float16` is not available on every platform.
    case half(UInt16)
    /// IEEE 754 binary32.
    case float(Float)
    /// IEEE 754 binary64.
    case double(Double)
}

// MARK: - Convenience constructors and accessors

extension CBOR {
    /// Creates an integer item using the major type that fits the sign.
    package static func int(_ value: Int64) -> CBOR {
        if value >= 0 {
            return .unsigned(UInt64(value))
        }
        // -1 - value cannot overflow for any negative Int64 (Int64.min gives Int64.max).
        return .negative(UInt64(-1 - value))
    }

    /// Creates an integer item from an `Int`.
    package static func int(_ value: Int) -> CBOR {
        .int(Int64(value))
    }

    /// The integer value if this is major type 0 or 1 and fits in `Int64`.
    package var int64Value: Int64? {
        switch self {
        case .unsigned(let n):
            return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n):
            return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default:
            return nil
        }
    }

    /// The numeric value of a float item of any width.
    package var doubleValue: Double? {
        switch self {
        case .half(let bits): return CBOR.doubleFromHalfBits(bits)
        case .float(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The string if this is a text item.
    package var textValue: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The bytes if this is a byte-string item.
    package var bytesValue: [UInt8]? {
        if case .bytes(let bytes) = self { return bytes }
        return nil
    }

    /// The elements if this is an array item.
    package var arrayValue: [CBOR]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The pairs if this is a map item.
    package var mapValue: [(key: CBOR, value: CBOR)]? {
        if case .map(let pairs) = self { return pairs }
        return nil
    }

    /// Looks up the first value stored under `key` when this is a map.
    package subscript(key: CBOR) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs where pair.key == key {
            return pair.value
        }
        return nil
    }

    /// Looks up the first value stored under a text key when this is a map.
    package subscript(text key: String) -> CBOR? {
        self[.text(key)]
    }

    /// Looks up the first value stored under an integer key when this is a map.
    package subscript(int key: Int64) -> CBOR? {
        self[.int(key)]
    }
}

// MARK: - Equality and hashing

extension CBOR: Equatable, Hashable {
    /// Compares structurally; floats compare by bit pattern so NaN equals itself and -0 differs from 0.
    package static func == (lhs: CBOR, rhs: CBOR) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)): return a == b
        case (.negative(let a), .negative(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.text(let a), .text(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value {
                return false
            }
            return true
        case (.tagged(let ta, let a), .tagged(let tb, let b)): return ta == tb && a == b
        case (.simple(let a), .simple(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null), (.undefined, .undefined): return true
        case (.half(let a), .half(let b)): return a == b
        case (.float(let a), .float(let b)): return a.bitPattern == b.bitPattern
        case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern
        default: return false
        }
    }

    /// Hashes consistently with `==`.
    package func hash(into hasher: inout Hasher) {
        switch self {
        case .unsigned(let n): hasher.combine(0); hasher.combine(n)
        case .negative(let n): hasher.combine(1); hasher.combine(n)
        case .bytes(let b): hasher.combine(2); hasher.combine(b)
        case .text(let t): hasher.combine(3); hasher.combine(t)
        case .array(let a): hasher.combine(4); hasher.combine(a)
        case .map(let pairs):
            hasher.combine(5)
            hasher.combine(pairs.count)
            for pair in pairs {
                hasher.combine(pair.key)
                hasher.combine(pair.value)
            }
        case .tagged(let tag, let item): hasher.combine(6); hasher.combine(tag); hasher.combine(item)
        case .simple(let s): hasher.combine(7); hasher.combine(s)
        case .bool(let b): hasher.combine(8); hasher.combine(b)
        case .null: hasher.combine(9)
        case .undefined: hasher.combine(10)
        case .half(let bits): hasher.combine(11); hasher.combine(bits)
        case .float(let f): hasher.combine(12); hasher.combine(f.bitPattern)
        case .double(let d): hasher.combine(13); hasher.combine(d.bitPattern)
        }
    }
}

// MARK: - Half-precision helpers

extension CBOR {
    /// Converts IEEE 754 binary16 bits to a `Double` exactly.
    package static func doubleFromHalfBits(_ bits: UInt16) -> Double {
        let negative = bits & 0x8000 != 0
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Int(bits & 0x3FF)
        let magnitude: Double
        if exponent == 0 {
            // Subnormal: mantissa * 2^-24.
            magnitude = Double(sign: .plus, exponent: -24, significand: Double(mantissa))
        } else if exponent == 31 {
            magnitude = mantissa == 0 ? .infinity : .nan
        } else {
            magnitude = Double(sign: .plus, exponent: exponent - 25, significand: Double(mantissa + 1024))
        }
        return negative ? -magnitude : magnitude
    }

    /// Returns binary16 bits that represent `value` exactly, or nil if none do.
    ///
    /// NaN maps to the canonical quiet NaN 0x7E00, as RFC 8949 §4.2.2 suggests
    /// for deterministic encoding.
    package static func exactHalfBits(_ value: Double) -> UInt16? {
        if value.isNaN { return 0x7E00 }
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        if value.isInfinite { return sign | 0x7C00 }
        if value == 0 { return sign }
        let magnitude = value.magnitude
        let exponent = Int(magnitude.exponent)
        if exponent > 15 { return nil }
        if exponent >= -14 {
            // Normal half: magnitude = (1024 + m) * 2^(exponent - 10).
            let scaled = Double(sign: .plus, exponent: 10 - exponent, significand: magnitude)
            guard scaled == scaled.rounded(.towardZero), scaled >= 1024, scaled < 2048 else { return nil }
            let mantissa = UInt16(scaled) - 1024
            return sign | UInt16(exponent + 15) << 10 | mantissa
        }
        if exponent >= -24 {
            // Subnormal half: magnitude = m * 2^-24 with m in 1...1023.
            let scaled = Double(sign: .plus, exponent: 24, significand: magnitude)
            guard scaled == scaled.rounded(.towardZero), scaled >= 1, scaled < 1024 else { return nil }
            return sign | UInt16(scaled)
        }
        return nil
    }
}
