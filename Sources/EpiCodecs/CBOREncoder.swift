/// Errors thrown while encoding CBOR.
package enum CBOREncodingError: Error, Equatable, Sendable {
    /// Deterministic encoding found two map keys with identical encodings.
    case duplicateMapKey

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .duplicateMapKey: return 4901
        }
    }
}

/// Low-level CBOR writer that appends heads and scalars to a byte buffer.
///
/// Exposed so hot paths (COSE `Sig_structure`, the HC1 pipeline) can emit
/// known shapes without first building a ``CBOR`` tree.
package struct CBORWriter: Sendable {
    /// The bytes written so far.
    package var bytes: [UInt8]

    /// Creates a writer with room for `capacity` bytes.
    package init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes an initial byte plus argument using the shortest form (preferred serialization).
    package mutating func writeHead(major: UInt8, argument: UInt64) {
        let type = major << 5
        switch argument {
        case 0..<24:
            bytes.append(type | UInt8(argument))
        case 24...0xFF:
            bytes.append(type | 24)
            bytes.append(UInt8(argument))
        case 0x100...0xFFFF:
            bytes.append(type | 25)
            appendBigEndian(UInt16(argument))
        case 0x1_0000...0xFFFF_FFFF:
            bytes.append(type | 26)
            appendBigEndian(UInt32(argument))
        default:
            bytes.append(type | 27)
            appendBigEndian(argument)
        }
    }

    /// Appends a fixed-width big-endian integer.
    package mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }

    /// Writes an integer with the major type matching its sign.
    package mutating func writeInt(_ value: Int64) {
        if value >= 0 {
            writeHead(major: 0, argument: UInt64(value))
        } else {
            writeHead(major: 1, argument: UInt64(-1 - value))
        }
    }

    /// Writes a definite-length byte string.
    package mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeHead(major: 2, argument: UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes a definite-length text string.
    package mutating func writeText(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeHead(major: 3, argument: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes the head of a definite-length array.
    package mutating func writeArrayHead(count: Int) {
        writeHead(major: 4, argument: UInt64(count))
    }

    /// Writes the head of a definite-length map.
    package mutating func writeMapHead(count: Int) {
        writeHead(major: 5, argument: UInt64(count))
    }

    /// Writes a tag head.
    package mutating func writeTag(_ tag: UInt64) {
        writeHead(major: 6, argument: tag)
    }
}

extension CBOR {
    /// Encodes this item with definite lengths and the shortest integer/length heads.
    ///
    /// Deterministic mode additionally follows RFC 8949 §4.2.1 (Core
    /// Deterministic Encoding): map keys sorted bytewise by their encodings,
    /// duplicate keys rejected, and floats shortened to the narrowest width
    /// that keeps the exact value (NaN becomes 0xF97E00).
    ///
    /// - Parameter deterministic: when true, apply RFC 8949 §4.2.1 rules;
    ///   when false, keep map order and float widths as given.
    /// - Throws: ``CBOREncodingError/duplicateMapKey`` in deterministic mode only.
    package func encoded(deterministic: Bool = true) throws(CBOREncodingError) -> [UInt8] {
        var writer = CBORWriter(capacity: 128)
        try encode(into: &writer, deterministic: deterministic)
        return writer.bytes
    }

    /// Appends the encoding of this item to `writer`.
    package func encode(into writer: inout CBORWriter, deterministic: Bool) throws(CBOREncodingError) {
        switch self {
        case .unsigned(let n):
            writer.writeHead(major: 0, argument: n)
        case .negative(let n):
            writer.writeHead(major: 1, argument: n)
        case .bytes(let b):
            writer.writeBytes(b)
        case .text(let t):
            writer.writeText(t)
        case .array(let items):
            writer.writeArrayHead(count: items.count)
            for item in items {
                try item.encode(into: &writer, deterministic: deterministic)
            }
        case .map(let pairs):
            writer.writeMapHead(count: pairs.count)
            if deterministic && pairs.count > 1 {
                try CBOR.encodeSortedPairs(pairs, into: &writer)
            } else {
                for pair in pairs {
                    try pair.key.encode(into: &writer, deterministic: deterministic)
                    try pair.value.encode(into: &writer, deterministic: deterministic)
                }
            }
        case .tagged(let tag, let item):
            writer.writeTag(tag)
            try item.encode(into: &writer, deterministic: deterministic)
        case .simple(let value):
            if value < 24 {
                writer.bytes.append(0xE0 | value)
            } else {
                writer.bytes.append(0xF8)
                writer.bytes.append(value)
            }
        case .bool(let value):
            writer.bytes.append(value ? 0xF5 : 0xF4)
        case .null:
            writer.bytes.append(0xF6)
        case .undefined:
            writer.bytes.append(0xF7)
        case .half(let bits):
            if deterministic && CBOR.doubleFromHalfBits(bits).isNaN {
                writer.bytes.append(0xF9)
                writer.appendBigEndian(UInt16(0x7E00))
            } else {
                writer.bytes.append(0xF9)
                writer.appendBigEndian(bits)
            }
        case .float(let value):
            if deterministic {
                CBOR.writeShortestFloat(Double(value), into: &writer)
            } else {
                writer.bytes.append(0xFA)
                writer.appendBigEndian(value.bitPattern)
            }
        case .double(let value):
            if deterministic {
                CBOR.writeShortestFloat(value, into: &writer)
            } else {
                writer.bytes.append(0xFB)
                writer.appendBigEndian(value.bitPattern)
            }
        }
    }

    /// Writes the narrowest IEEE 754 width that represents `value` exactly.
    private static func writeShortestFloat(_ value: Double, into writer: inout CBORWriter) {
        if let half = exactHalfBits(value) {
            writer.bytes.append(0xF9)
            writer.appendBigEndian(half)
            return
        }
        let single = Float(value)
        if Double(single) == value {
            writer.bytes.append(0xFA)
            writer.appendBigEndian(single.bitPattern)
            return
        }
        writer.bytes.append(0xFB)
        writer.appendBigEndian(value.bitPattern)
    }

    /// Encodes map pairs in bytewise-lexicographic key order.
    ///
    /// Pairs are first written in the given order and only moved when they
    /// turn out unsorted, so already-ordered maps (the common case for maps
    /// this package builds) cost no extra allocation beyond the range list.
    private static func encodeSortedPairs(
        _ pairs: [(key: CBOR, value: CBOR)],
        into writer: inout CBORWriter
    ) throws(CBOREncodingError) {
        let regionStart = writer.bytes.count
        var ranges: [(keyStart: Int, keyEnd: Int, end: Int)] = []
        ranges.reserveCapacity(pairs.count)
        var sorted = true
        for pair in pairs {
            let keyStart = writer.bytes.count
            try pair.key.encode(into: &writer, deterministic: true)
            let keyEnd = writer.bytes.count
            try pair.value.encode(into: &writer, deterministic: true)
            if let previous = ranges.last {
                let order = compare(writer.bytes, previous.keyStart..<previous.keyEnd, keyStart..<keyEnd)
                if order == 0 { throw .duplicateMapKey }
                if order > 0 { sorted = false }
            }
            ranges.append((keyStart, keyEnd, writer.bytes.count))
        }
        if sorted { return }
        let region = Array(writer.bytes[regionStart...])
        let bytes = writer.bytes
        ranges.sort { compare(bytes, $0.keyStart..<$0.keyEnd, $1.keyStart..<$1.keyEnd) < 0 }
        for index in 1..<ranges.count {
            let a = ranges[index - 1]
            let b = ranges[index]
            if compare(bytes, a.keyStart..<a.keyEnd, b.keyStart..<b.keyEnd) == 0 {
                throw .duplicateMapKey
            }
        }
        writer.bytes.removeSubrange(regionStart...)
        for range in ranges {
            writer.bytes.append(contentsOf: region[(range.keyStart - regionStart)..<(range.end - regionStart)])
        }
    }

    /// Three-way bytewise comparison of two ranges of `bytes`.
    private static func compare(_ bytes: [UInt8], _ a: Range<Int>, _ b: Range<Int>) -> Int {
        var i = a.lowerBound
        var j = b.lowerBound
        while i < a.upperBound && j < b.upperBound {
            let x = bytes[i]
            let y = bytes[j]
            if x != y { return x < y ? -1 : 1 }
            i += 1
            j += 1
        }
        let restA = a.upperBound - i
        let restB = b.upperBound - j
        return restA == restB ? 0 : (restA < restB ? -1 : 1)
    }
}
