/// Errors thrown by ``Base45/decode(_:)``.
///
/// Each case carries a stable numeric ``code`` so that callers can log or
/// transport the failure without depending on the Swift case name.
package enum Base45Error: Error, Equatable, Sendable {
    /// A character outside the 45-character alphabet was found at the given UTF-8 offset.
    case invalidCharacter(offset: Int)
    /// The input length is `3n + 1`, which no byte sequence encodes to.
    case invalidLength
    /// A chunk decodes to a value larger than its byte width allows (e.g. "GGW" > 65535).
    case valueOutOfRange(offset: Int)

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .invalidCharacter: return 4501
        case .invalidLength: return 4502
        case .valueOutOfRange: return 4503
        }
    }
}

/// Base45 encoding as specified by RFC 9285.
///
/// Base45 packs two bytes into three characters of the QR alphanumeric
/// alphabet, which is why HC1 payloads use it: it keeps the QR code in the
/// denser alphanumeric mode.
package enum Base45 {
    /// The RFC 9285 alphabet; its order defines the digit values 0...44.
    package static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    /// Reverse lookup table indexed by ASCII byte; 0xFF marks bytes outside the alphabet.
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Encodes bytes into a Base45 string.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let encoded = encodeToASCII(bytes)
        return String(decoding: encoded, as: UTF8.self)
    }

    /// Encodes bytes into the ASCII bytes of a Base45 string.
    ///
    /// Returning bytes avoids a String round trip when the result is written
    /// straight into another buffer (for example after an `HC1:` prefix).
    package static func encodeToASCII(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        if bytes.withContiguousStorageIfAvailable({ encode(buffer: $0, into: &output) }) != nil {
            return
        }
        let copy = Array(bytes)
        copy.withUnsafeBufferPointer { encode(buffer: $0, into: &output) }
    }

    private static func encode(buffer: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        let pairs = buffer.count / 2
        let produced = pairs * 3 + (buffer.count % 2) * 2
        let start = output.count
        // Grow once, then fill through a pointer: this runs for every issued certificate.
        output.append(contentsOf: repeatElement(0, count: produced))
        alphabet.withUnsafeBufferPointer { digits in
            output.withUnsafeMutableBufferPointer { out in
                var o = start
                var i = 0
                while i + 1 < buffer.count {
                    // Two bytes form a 16-bit value n = c + 45 d + 45^2 e, written c d e.
                    let value = Int(buffer[i]) << 8 | Int(buffer[i + 1])
                    let (de, c) = value.quotientAndRemainder(dividingBy: 45)
                    let (e, d) = de.quotientAndRemainder(dividingBy: 45)
                    out[o] = digits[c]
                    out[o + 1] = digits[d]
                    out[o + 2] = digits[e]
                    o += 3
                    i += 2
                }
                if i < buffer.count {
                    // A trailing single byte becomes two characters.
                    let (d, c) = Int(buffer[i]).quotientAndRemainder(dividingBy: 45)
                    out[o] = digits[c]
                    out[o + 1] = digits[d]
                }
            }
        }
    }

    /// Encodes bytes into a fresh array of ASCII Base45 characters.
    package static func encodeToASCII(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        encodeToASCII(bytes, into: &output)
        return output
    }

    /// Decodes a Base45 string.
    ///
    /// - Throws: ``Base45Error`` for characters outside the alphabet, a
    ///   length of `3n + 1`, or chunks whose value overflows their byte width.
    package static func decode(_ string: String) throws(Base45Error) -> [UInt8] {
        if let result = string.utf8.withContiguousStorageIfAvailable({ decodeASCII($0) }) {
            return try result.get()
        }
        // Bridged strings without contiguous UTF-8 storage fall back to a copy.
        return try decodeASCII(Array(string.utf8)).get()
    }

    /// Decodes Base45 from raw ASCII bytes.
    package static func decode(ascii: some Collection<UInt8>) throws(Base45Error) -> [UInt8] {
        if let result = ascii.withContiguousStorageIfAvailable({ decodeASCII($0) }) {
            return try result.get()
        }
        return try decodeASCII(Array(ascii)).get()
    }

    private static func decodeASCII(_ input: some RandomAccessCollection<UInt8>) -> Result<[UInt8], Base45Error> {
        let count = input.count
        if count % 3 == 1 {
            return .failure(.invalidLength)
        }
        var output: [UInt8] = []
        output.reserveCapacity((count / 3) * 2 + 1)
        var offset = 0
        var index = input.startIndex
        while offset < count {
            let remaining = count - offset
            let chunk = remaining >= 3 ? 3 : 2
            var digits = (0, 0, 0)
            for position in 0..<chunk {
                let byte = input[index]
                let digit = reverse[Int(byte)]
                if digit == 0xFF {
                    return .failure(.invalidCharacter(offset: offset + position))
                }
                switch position {
                case 0: digits.0 = Int(digit)
                case 1: digits.1 = Int(digit)
                default: digits.2 = Int(digit)
                }
                index = input.index(after: index)
            }
            // Maximum value is 44 + 44*45 + 44*2025 = 91124, far from Int overflow.
            let value = digits.0 + digits.1 * 45 + digits.2 * 2025
            if chunk == 3 {
                guard value <= 0xFFFF else { return .failure(.valueOutOfRange(offset: offset)) }
                output.append(UInt8(truncatingIfNeeded: value >> 8))
                output.append(UInt8(truncatingIfNeeded: value))
            } else {
                guard value <= 0xFF else { return .failure(.valueOutOfRange(offset: offset)) }
                output.append(UInt8(truncatingIfNeeded: value))
            }
            offset += chunk
        }
        return .success(output)
    }
}
