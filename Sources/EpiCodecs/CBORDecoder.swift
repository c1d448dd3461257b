/// Errors thrown by ``CBORDecoder``; each carries the byte offset where decoding stopped.
package enum CBORDecodingError: Error, Equatable, Sendable {
    /// The input ended inside an item.
    case unexpectedEnd(offset: Int)
    /// Additional information 28...30 is reserved and not well-formed.
    case reservedAdditionalInfo(offset: Int)
    /// A length or count exceeds the remaining input or a configured limit.
    case lengthTooLarge(offset: Int)
    /// Nesting of arrays, maps and tags exceeded ``CBORDecodingLimits/maxDepth``.
    case depthExceeded(offset: Int)
    /// A text string is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A two-byte simple value below 32 (not well-formed per RFC 8949 §3.3).
    case invalidSimpleValue(offset: Int)
    /// A "break" stop code outside an indefinite-length item, or indefinite length on a type that has none.
    case unexpectedBreak(offset: Int)
    /// An indefinite-length string chunk is not a definite string of the same major type.
    case invalidIndefiniteChunk(offset: Int)
    /// Indefinite-length items were disabled in the limits.
    case indefiniteLengthNotAllowed(offset: Int)
    /// Bytes remain after the top-level item.
    case trailingBytes(offset: Int)
    /// A map contains the same key twice.
    case duplicateMapKey(offset: Int)

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .unexpectedEnd: return 4801
        case .reservedAdditionalInfo: return 4802
        case .lengthTooLarge: return 4803
        case .depthExceeded: return 4804
        case .invalidUTF8: return 4805
        case .invalidSimpleValue: return 4806
        case .unexpectedBreak: return 4807
        case .invalidIndefiniteChunk: return 4808
        case .indefiniteLengthNotAllowed: return 4809
        case .trailingBytes: return 4810
        case .duplicateMapKey: return 4811
        }
    }
}

/// Resource limits applied while decoding untrusted CBOR.
package struct CBORDecodingLimits: Sendable {
    /// Maximum nesting of arrays, maps and tags; the top-level item is depth 0.
    package var maxDepth: Int
    /// Maximum byte length of a single byte or text string (after joining chunks).
    package var maxStringLength: Int
    /// Maximum number of elements in one array or pairs in one map.
    package var maxContainerCount: Int
    /// Whether indefinite-length strings, arrays and maps are accepted.
    package var allowIndefiniteLength: Bool
    /// Whether maps with repeated keys are rejected (RFC 8949 §5.6 makes them invalid).
    package var rejectDuplicateMapKeys: Bool

    /// Creates limits; the defaults suit certificate-sized payloads.
    package init(
        maxDepth: Int = 32,
        maxStringLength: Int = 1 << 20,
        maxContainerCount: Int = 65_536,
        allowIndefiniteLength: Bool = true,
        rejectDuplicateMapKeys: Bool = true
    ) {
        self.maxDepth = maxDepth
        self.maxStringLength = maxStringLength
        self.maxContainerCount = maxContainerCount
        self.allowIndefiniteLength = allowIndefiniteLength
        self.rejectDuplicateMapKeys = rejectDuplicateMapKeys
    }
}

/// Decodes CBOR from untrusted bytes without trapping.
///
/// Every declared length is checked against the bytes that remain before
/// anything is allocated, so a tiny input cannot request a huge buffer.
package struct CBORDecoder {
    private let input: [UInt8]
    private var position: Int
    private let limits: CBORDecodingLimits

    private init(input: [UInt8], limits: CBORDecodingLimits) {
        self.input = input
        self.position = 0
        self.limits = limits
    }

    /// Decodes exactly one item that must span the whole input.
    package static func decode(
        _ bytes: [UInt8],
        limits: CBORDecodingLimits = CBORDecodingLimits()
    ) throws(CBORDecodingError) -> CBOR {
        var decoder = CBORDecoder(input: bytes, limits: limits)
        let item = try decoder.decodeItem(depth: 0)
        guard decoder.position == bytes.count else {
            throw .trailingBytes(offset: decoder.position)
        }
        return item
    }

    /// Decodes the first item and reports how many bytes it used.
    package static func decodePrefix(
        _ bytes: [UInt8],
        limits: CBORDecodingLimits = CBORDecodingLimits()
    ) throws(CBORDecodingError) -> (item: CBOR, length: Int) {
        var decoder = CBORDecoder(input: bytes, limits: limits)
        let item = try decoder.decodeItem(depth: 0)
        return (item, decoder.position)
    }

    // MARK: - Primitive reads

    private var remaining: Int { input.count - position }

    private mutating func readByte() throws(CBORDecodingError) -> UInt8 {
        guard position < input.count else { throw .unexpectedEnd(offset: position) }
        let byte = input[position]
        position += 1
        return byte
    }

    private mutating func readBigEndian(count: Int) throws(CBORDecodingError) -> UInt64 {
        guard count <= remaining else { throw .unexpectedEnd(offset: position) }
        var value: UInt64 = 0
        for index in position..<(position + count) {
            value = value << 8 | UInt64(input[index])
        }
        position += count
        return value
    }

    /// Reads the argument for additional information `info`; nil means indefinite length.
    private mutating func readArgument(info: UInt8, headOffset: Int) throws(CBORDecodingError) -> UInt64? {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return try readBigEndian(count: 1)
        case 25: return try readBigEndian(count: 2)
        case 26: return try readBigEndian(count: 4)
        case 27: return try readBigEndian(count: 8)
        case 31: return nil
        default: throw .reservedAdditionalInfo(offset: headOffset)
        }
    }

    private mutating func readSlice(length: UInt64, headOffset: Int) throws(CBORDecodingError) -> ArraySlice<UInt8> {
        // Compare in UInt64 before converting so a huge length cannot overflow Int.
        guard length <= UInt64(remaining) else { throw .unexpectedEnd(offset: headOffset) }
        guard length <= UInt64(limits.maxStringLength) else { throw .lengthTooLarge(offset: headOffset) }
        let count = Int(length)
        let slice = input[position..<(position + count)]
        position += count
        return slice
    }

    // MARK: - Items

    private mutating func decodeItem(depth: Int) throws(CBORDecodingError) -> CBOR {
        let headOffset = position
        let initial = try readByte()
        let major = initial >> 5
        let info = initial & 0x1F

        switch major {
        case 0:
            guard let n = try readArgument(info: info, headOffset: headOffset) else {
                throw .unexpectedBreak(offset: headOffset)
            }
            return .unsigned(n)
        case 1:
            guard let n = try readArgument(info: info, headOffset: headOffset) else {
                throw .unexpectedBreak(offset: headOffset)
            }
            return .negative(n)
        case 2:
            if let length = try readArgument(info: info, headOffset: headOffset) {
                return .bytes(Array(try readSlice(length: length, headOffset: headOffset)))
            }
            return .bytes(try readIndefiniteString(major: 2, headOffset: headOffset))
        case 3:
            if let length = try readArgument(info: info, headOffset: headOffset) {
                let slice = try readSlice(length: length, headOffset: headOffset)
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw .invalidUTF8(offset: headOffset)
                }
                return .text(text)
            }
            let utf8 = try readIndefiniteString(major: 3, headOffset: headOffset)
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw .invalidUTF8(offset: headOffset)
            }
            return .text(text)
        case 4:
            guard depth < limits.maxDepth else { throw .depthExceeded(offset: headOffset) }
            if let count = try readArgument(info: info, headOffset: headOffset) {
                // Every element takes at least one byte.
                guard count <= UInt64(remaining) else { throw .unexpectedEnd(offset: headOffset) }
                guard count <= UInt64(limits.maxContainerCount) else { throw .lengthTooLarge(offset: headOffset) }
                var items: [CBOR] = []
                items.reserveCapacity(Int(count))
                for _ in 0..<count {
                    items.append(try decodeItem(depth: depth + 1))
                }
                return .array(items)
            }
            try requireIndefiniteAllowed(headOffset)
            var items: [CBOR] = []
            while try !consumeBreak() {
                guard items.count < limits.maxContainerCount else { throw .lengthTooLarge(offset: headOffset) }
                items.append(try decodeItem(depth: depth + 1))
            }
            return .array(items)
        case 5:
            guard depth < limits.maxDepth else { throw .depthExceeded(offset: headOffset) }
            var pairs: [(key: CBOR, value: CBOR)] = []
            if let count = try readArgument(info: info, headOffset: headOffset) {
                // Every pair takes at least two bytes.
                guard count <= UInt64(remaining / 2) else { throw .unexpectedEnd(offset: headOffset) }
                guard count <= UInt64(limits.maxContainerCount) else { throw .lengthTooLarge(offset: headOffset) }
                pairs.reserveCapacity(Int(count))
                for _ in 0..<count {
                    let key = try decodeItem(depth: depth + 1)
                    let value = try decodeItem(depth: depth + 1)
                    pairs.append((key, value))
                }
            } else {
                try requireIndefiniteAllowed(headOffset)
                while try !consumeBreak() {
                    guard pairs.count < limits.maxContainerCount else { throw .lengthTooLarge(offset: headOffset) }
                    let key = try decodeItem(depth: depth + 1)
                    // A break between key and value is caught as unexpectedBreak by decodeItem.
                    let value = try decodeItem(depth: depth + 1)
                    pairs.append((key, value))
                }
            }
            if limits.rejectDuplicateMapKeys && CBORDecoder.hasDuplicateKeys(pairs) {
                throw .duplicateMapKey(offset: headOffset)
            }
            return .map(pairs)
        case 6:
            guard depth < limits.maxDepth else { throw .depthExceeded(offset: headOffset) }
            guard let tag = try readArgument(info: info, headOffset: headOffset) else {
                throw .unexpectedBreak(offset: headOffset)
            }
            return .tagged(tag, try decodeItem(depth: depth + 1))
        default:
            return try decodeSimple(info: info, headOffset: headOffset)
        }
    }

    private func requireIndefiniteAllowed(_ headOffset: Int) throws(CBORDecodingError) {
        guard limits.allowIndefiniteLength else { throw .indefiniteLengthNotAllowed(offset: headOffset) }
    }

    /// Consumes a break byte (0xFF) if it is next; fails if the input ended.
    private mutating func consumeBreak() throws(CBORDecodingError) -> Bool {
        guard position < input.count else { throw .unexpectedEnd(offset: position) }
        if input[position] == 0xFF {
            position += 1
            return true
        }
        return false
    }

    private mutating func readIndefiniteString(major: UInt8, headOffset: Int) throws(CBORDecodingError) -> [UInt8] {
        try requireIndefiniteAllowed(headOffset)
        var joined: [UInt8] = []
        while try !consumeBreak() {
            let chunkOffset = position
            let initial = try readByte()
            // Chunks must be definite-length strings of the same major type (RFC 8949 §3.2.3).
            guard initial >> 5 == major, initial & 0x1F != 31 else {
                throw .invalidIndefiniteChunk(offset: chunkOffset)
            }
            guard let length = try readArgument(info: initial & 0x1F, headOffset: chunkOffset) else {
                throw .invalidIndefiniteChunk(offset: chunkOffset)
            }
            let chunk = try readSlice(length: length, headOffset: chunkOffset)
            if major == 3 && String(validating: chunk, as: UTF8.self) == nil {
                // Each text chunk must itself be valid UTF-8, not just the concatenation.
                throw .invalidUTF8(offset: chunkOffset)
            }
            guard joined.count + chunk.count <= limits.maxStringLength else {
                throw .lengthTooLarge(offset: chunkOffset)
            }
            joined.append(contentsOf: chunk)
        }
        return joined
    }

    private mutating func decodeSimple(info: UInt8, headOffset: Int) throws(CBORDecodingError) -> CBOR {
        switch info {
        case 0..<20: return .simple(info)
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22: return .null
        case 23: return .undefined
        case 24:
            let value = try readByte()
            guard value >= 32 else { throw .invalidSimpleValue(offset: headOffset) }
            return .simple(value)
        case 25:
            return .half(UInt16(truncatingIfNeeded: try readBigEndian(count: 2)))
        case 26:
            return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try readBigEndian(count: 4))))
        case 27:
            return .double(Double(bitPattern: try readBigEndian(count: 8)))
        case 31:
            throw .unexpectedBreak(offset: headOffset)
        default:
            throw .reservedAdditionalInfo(offset: headOffset)
        }
    }

    private static func hasDuplicateKeys(_ pairs: [(key: CBOR, value: CBOR)]) -> Bool {
        if pairs.count < 2 { return false }
        if pairs.count <= 16 {
            // Quadratic scan beats hashing for the small maps certificates use.
            for i in 0..<(pairs.count - 1) {
                for j in (i + 1)..<pairs.count where pairs[i].key == pairs[j].key {
                    return true
                }
            }
            return false
        }
        var seen = Set<CBOR>()
        seen.reserveCapacity(pairs.count)
        for pair in pairs where !seen.insert(pair.key).inserted {
            return true
        }
        return false
    }
}
