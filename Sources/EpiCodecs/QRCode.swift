/// Errors thrown by the QR code encoder.
package enum QRError: Error, Equatable, Sendable {
    /// The data does not fit in the allowed version range at the requested level.
    case dataTooLong
    /// A version outside 1...40 or an empty range was requested.
    case invalidVersionRange
    /// A mask outside 0...7 was requested.
    case invalidMask
    /// The forced mode cannot represent the input (e.g. lowercase in alphanumeric mode).
    case invalidCharacterForMode

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .dataTooLong: return 7001
        case .invalidVersionRange: return 7002
        case .invalidMask: return 7003
        case .invalidCharacterForMode: return 7004
        }
    }
}

/// QR error correction levels (ISO/IEC 18004 §5.3.8).
package enum QRErrorCorrection: Int, CaseIterable, Sendable {
    /// About 7 % of codewords can be restored.
    case low = 0
    /// About 15 %.
    case medium = 1
    /// About 25 %.
    case quartile = 2
    /// About 30 %.
    case high = 3

    /// The two-bit indicator used in the format information (L=01, M=00, Q=11, H=10).
    package var formatIndicator: Int {
        switch self {
        case .low: return 1
        case .medium: return 0
        case .quartile: return 3
        case .high: return 2
        }
    }
}

/// QR data encoding modes supported by the encoder.
package enum QRMode: Sendable, Equatable {
    /// Digits 0-9, 10 bits per 3 digits.
    case numeric
    /// The 45-character set `0-9 A-Z space $ % * + - . / :`, 11 bits per 2 characters.
    case alphanumeric
    /// Arbitrary bytes (UTF-8 for text), 8 bits each.
    case byte

    /// Mode indicator bits (ISO/IEC 18004 Table 2).
    var indicator: UInt32 {
        switch self {
        case .numeric: return 0b0001
        case .alphanumeric: return 0b0010
        case .byte: return 0b0100
        }
    }

    /// Width of the character count indicator for `version` (Table 3).
    func countBits(version: Int) -> Int {
        let group = version <= 9 ? 0 : (version <= 26 ? 1 : 2)
        switch self {
        case .numeric: return [10, 12, 14][group]
        case .alphanumeric: return [9, 11, 13][group]
        case .byte: return [8, 16, 16][group]
        }
    }
}

/// A finished QR symbol: a square of dark (true) and light (false) modules without quiet zone.
package struct QRMatrix: Sendable, Equatable {
    /// Modules per side: 17 + 4 × version.
    package let size: Int
    /// Symbol version 1...40.
    package let version: Int
    /// Error correction level.
    package let errorCorrection: QRErrorCorrection
    /// Data mask pattern 0...7.
    package let mask: Int
    /// Row-major modules, `true` = dark.
    package let modules: [Bool]

    /// The module at column `x`, row `y`; coordinates outside the symbol read as light.
    package subscript(x x: Int, y y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Renders rows as text, `#` for dark and `.` for light (handy in tests and logs).
    package var textRows: [String] {
        (0..<size).map { y in
            String((0..<size).map { self[x: $0, y: y] ? "#" : "." })
        }
    }
}

/// QR code encoder following ISO/IEC 18004:2015 (model 2, versions 1-40).
package enum QREncoder {
    /// The alphanumeric mode character set; the index of a character is its value.
    package static let alphanumericCharset: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    private static let alphanumericValue: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphanumericCharset.enumerated() {
            table[Int(byte)] = Int8(index)
        }
        return table
    }()

    // ISO/IEC 18004 Table 9, indexed [level][version]; index 0 is unused.
    private static let eccCodewordsPerBlock: [[Int]] = [
        [0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]
    private static let errorCorrectionBlocks: [[Int]] = [
        [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Total codewords (data + ECC) per version, derived from the module layout and cached.
    private static let rawCodewordTable: [Int] = (0...40).map { $0 == 0 ? 0 : FunctionPatterns(version: $0).dataModuleCount / 8 }

    // MARK: - Public entry points

    /// Picks the densest single mode for `text`: numeric, else alphanumeric, else byte.
    package static func preferredMode(for text: String) -> QRMode {
        let utf8 = text.utf8
        if !utf8.isEmpty && utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return .numeric }
        if !utf8.isEmpty && utf8.allSatisfy({ alphanumericValue[Int($0)] >= 0 }) { return .alphanumeric }
        return .byte
    }

    /// Encodes text with an automatically chosen mode, version and mask.
    ///
    /// - Parameters:
    ///   - text: the payload; byte mode stores it as UTF-8.
    ///   - errorCorrection: the minimum level.
    ///   - mode: force a mode; nil picks ``preferredMode(for:)``.
    ///   - versions: the allowed versions; the smallest that fits is used.
    ///   - mask: force a mask 0...7; nil evaluates all eight with the penalty rules.
    package static func encode(
        _ text: String,
        errorCorrection: QRErrorCorrection = .medium,
        mode: QRMode? = nil,
        versions: ClosedRange<Int> = 1...40,
        mask: Int? = nil
    ) throws(QRError) -> QRMatrix {
        let chosenMode = mode ?? preferredMode(for: text)
        let bytes = Array(text.utf8)
        switch chosenMode {
        case .numeric:
            guard bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .invalidCharacterForMode }
        case .alphanumeric:
            guard bytes.allSatisfy({ alphanumericValue[Int($0)] >= 0 }) else { throw .invalidCharacterForMode }
        case .byte:
            break
        }
        return try encode(bytes: bytes, mode: chosenMode, errorCorrection: errorCorrection, versions: versions, mask: mask)
    }

    /// Encodes raw bytes in byte mode.
    package static func encode(
        bytes: [UInt8],
        errorCorrection: QRErrorCorrection = .medium,
        versions: ClosedRange<Int> = 1...40,
        mask: Int? = nil
    ) throws(QRError) -> QRMatrix {
        try encode(bytes: bytes, mode: .byte, errorCorrection: errorCorrection, versions: versions, mask: mask)
    }

    private static func encode(
        bytes: [UInt8],
        mode: QRMode,
        errorCorrection: QRErrorCorrection,
        versions: ClosedRange<Int>,
        mask: Int?
    ) throws(QRError) -> QRMatrix {
        guard versions.lowerBound >= 1, versions.upperBound <= 40 else { throw .invalidVersionRange }
        if let mask, !(0...7).contains(mask) { throw .invalidMask }
        guard let version = smallestVersion(count: bytes.count, mode: mode, level: errorCorrection, versions: versions)
        else { throw .dataTooLong }
        let data = dataCodewords(bytes: bytes, mode: mode, version: version, level: errorCorrection)
        let codewords = interleavedCodewords(data: data, version: version, level: errorCorrection)
        return buildMatrix(codewords: codewords, version: version, level: errorCorrection, forcedMask: mask)
    }

    // MARK: - Capacity

    /// Total codewords (data + error correction) in a symbol of `version`.
    package static func totalCodewords(version: Int) -> Int {
        guard (1...40).contains(version) else { return 0 }
        return rawCodewordTable[version]
    }

    /// Data codewords available at `version` and `level`.
    package static func dataCodewordCount(version: Int, level: QRErrorCorrection) -> Int {
        guard (1...40).contains(version) else { return 0 }
        return totalCodewords(version: version)
            - eccCodewordsPerBlock[level.rawValue][version] * errorCorrectionBlocks[level.rawValue][version]
    }

    /// Bits needed for the segment payload (mode, count, data), without terminator.
    package static func segmentBitLength(count: Int, mode: QRMode, version: Int) -> Int {
        let dataBits: Int
        switch mode {
        case .numeric: dataBits = (count / 3) * 10 + [0, 4, 7][count % 3]
        case .alphanumeric: dataBits = (count / 2) * 11 + (count % 2) * 6
        case .byte: dataBits = count * 8
        }
        return 4 + mode.countBits(version: version) + dataBits
    }

    /// The smallest version in `versions` whose capacity holds `count` characters.
    package static func smallestVersion(
        count: Int,
        mode: QRMode,
        level: QRErrorCorrection,
        versions: ClosedRange<Int>
    ) -> Int? {
        // Larger inputs cannot fit any version; this also keeps bit math far from overflow.
        guard count <= 7_089 else { return nil }
        for version in versions {
            guard count < 1 << mode.countBits(version: version) else { continue }
            if segmentBitLength(count: count, mode: mode, version: version)
                <= dataCodewordCount(version: version, level: level) * 8
            {
                return version
            }
        }
        return nil
    }

    // MARK: - Data encoding

    /// Builds the padded data codewords: mode, count, data, terminator, bit padding and 0xEC/0x11 fill.
    ///
    /// Input that exceeds the capacity is not truncated here; ``encode(_:errorCorrection:mode:versions:mask:)``
    /// only calls this after choosing a version that fits.
    package static func dataCodewords(bytes: [UInt8], mode: QRMode, version: Int, level: QRErrorCorrection) -> [UInt8] {
        let capacity = dataCodewordCount(version: version, level: level)
        var bits = BitWriter(capacityBytes: capacity)
        bits.append(mode.indicator, count: 4)
        bits.append(UInt32(bytes.count), count: mode.countBits(version: version))
        switch mode {
        case .numeric:
            var index = 0
            while index < bytes.count {
                let n = min(3, bytes.count - index)
                var value: UInt32 = 0
                for offset in 0..<n {
                    value = value * 10 + UInt32(bytes[index + offset] &- 0x30)
                }
                bits.append(value, count: [0, 4, 7, 10][n])
                index += n
            }
        case .alphanumeric:
            var index = 0
            while index + 1 < bytes.count {
                let first = UInt32(max(alphanumericValue[Int(bytes[index])], 0))
                let second = UInt32(max(alphanumericValue[Int(bytes[index + 1])], 0))
                bits.append(first * 45 + second, count: 11)
                index += 2
            }
            if index < bytes.count {
                bits.append(UInt32(max(alphanumericValue[Int(bytes[index])], 0)), count: 6)
            }
        case .byte:
            for byte in bytes {
                bits.append(UInt32(byte), count: 8)
            }
        }
        let capacityBits = capacity * 8
        // Terminator of up to four zero bits, then zero bits to a byte boundary.
        bits.append(0, count: min(4, capacityBits - bits.bitCount))
        bits.append(0, count: (8 - bits.bitCount % 8) % 8)
        var pad: UInt32 = 0xEC
        while bits.bitCount < capacityBits {
            bits.append(pad, count: 8)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return bits.bytes
    }

    /// Splits data into blocks, appends Reed-Solomon ECC and interleaves (§7.6).
    ///
    /// `data` should hold exactly ``dataCodewordCount(version:level:)`` bytes;
    /// other lengths are truncated or zero-filled rather than trapping, and an
    /// invalid version yields an empty result.
    package static func interleavedCodewords(data: [UInt8], version: Int, level: QRErrorCorrection) -> [UInt8] {
        guard (1...40).contains(version) else { return [] }
        let expected = dataCodewordCount(version: version, level: level)
        var data = Array(data.prefix(expected))
        if data.count < expected {
            data.append(contentsOf: [UInt8](repeating: 0, count: expected - data.count))
        }
        let blockCount = errorCorrectionBlocks[level.rawValue][version]
        let eccLength = eccCodewordsPerBlock[level.rawValue][version]
        let total = totalCodewords(version: version)
        let shortBlockTotal = total / blockCount
        let shortBlockCount = blockCount - total % blockCount
        let generator = reedSolomonGenerator(degree: eccLength)

        var dataBlocks: [ArraySlice<UInt8>] = []
        var eccBlocks: [[UInt8]] = []
        dataBlocks.reserveCapacity(blockCount)
        eccBlocks.reserveCapacity(blockCount)
        var offset = 0
        for block in 0..<blockCount {
            let dataLength = shortBlockTotal - eccLength + (block < shortBlockCount ? 0 : 1)
            let slice = data[offset..<(offset + dataLength)]
            offset += dataLength
            dataBlocks.append(slice)
            eccBlocks.append(reedSolomonRemainder(slice, generator: generator))
        }

        var result: [UInt8] = []
        result.reserveCapacity(total)
        let longestData = shortBlockTotal - eccLength + (shortBlockCount < blockCount ? 1 : 0)
        for column in 0..<longestData {
            for block in dataBlocks where column < block.count {
                result.append(block[block.startIndex + column])
            }
        }
        for column in 0..<eccLength {
            for block in eccBlocks {
                result.append(block[column])
            }
        }
        return result
    }

    // MARK: - Reed-Solomon over GF(256), primitive polynomial x^8+x^4+x^3+x^2+1 (0x11D)

    private static let gfExp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        var value = 1
        for index in 0..<255 {
            table[index] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        // Duplicate so exp[log a + log b] never needs a modulo.
        for index in 255..<512 {
            table[index] = table[index - 255]
        }
        return table
    }()

    private static let gfLog: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for index in 0..<255 {
            table[Int(gfExp[index])] = index
        }
        return table
    }()

    /// Multiplies two field elements.
    package static func gfMultiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        if a == 0 || b == 0 { return 0 }
        return gfExp[gfLog[Int(a)] + gfLog[Int(b)]]
    }

    /// Coefficients (highest degree first, leading 1 omitted) of ∏(x − α^i), i = 0..<degree.
    package static func reedSolomonGenerator(degree: Int) -> [UInt8] {
        guard degree > 0 else { return [] }
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            // Multiply the polynomial by (x − root); subtraction is XOR in GF(2^8).
            for index in 0..<degree {
                coefficients[index] = gfMultiply(coefficients[index], root)
                if index + 1 < degree {
                    coefficients[index] ^= coefficients[index + 1]
                }
            }
            root = gfMultiply(root, 2)
        }
        return coefficients
    }

    /// The ECC codewords: remainder of data·x^degree divided by the generator.
    package static func reedSolomonRemainder(_ data: some Collection<UInt8>, generator: [UInt8]) -> [UInt8] {
        var remainder = [UInt8](repeating: 0, count: generator.count)
        guard !generator.isEmpty else { return remainder }
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            if factor != 0 {
                for index in 0..<generator.count {
                    remainder[index] ^= gfMultiply(generator[index], factor)
                }
            }
        }
        return remainder
    }

    // MARK: - BCH codes for format and version information

    /// The 15-bit format information (level + mask, BCH(15,5), XOR 0x5412) for §7.9.
    package static func formatBits(level: QRErrorCorrection, mask: Int) -> Int {
        let data = level.formatIndicator << 3 | (mask & 7)
        var remainder = data
        for _ in 0..<10 {
            remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
        }
        return ((data << 10) | (remainder & 0x3FF)) ^ 0x5412
    }

    /// The 18-bit version information (version + BCH(18,6)) for versions 7 and up (§7.10).
    package static func versionBits(version: Int) -> Int {
        var remainder = version
        for _ in 0..<12 {
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
        }
        return version << 12 | (remainder & 0xFFF)
    }

    /// Row/column centres of alignment patterns for `version` (Annex E).
    package static func alignmentPatternPositions(version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let count = version / 7 + 2
        let size = 17 + 4 * version
        // Spacing is even and as uniform as possible; version 32 is the one
        // exception in the standard's table, whose step the formula gets wrong.
        let step = version == 32 ? 26 : ((version * 4 + 4 + count * 2 - 3) / (count * 2 - 2)) * 2
        var positions = [6]
        var position = size - 7 - (count - 2) * step
        for _ in 0..<(count - 1) {
            positions.append(position)
            position += step
        }
        return positions
    }

    // MARK: - Matrix construction

    private static func buildMatrix(
        codewords: [UInt8],
        version: Int,
        level: QRErrorCorrection,
        forcedMask: Int?
    ) -> QRMatrix {
        let pattern = FunctionPatterns(version: version)
        let size = pattern.size
        var base = pattern.modules
        placeData(codewords, into: &base, isFunction: pattern.isFunction, size: size)
        if version >= 7 {
            drawVersion(version, into: &base, size: size)
        }

        let candidates = forcedMask.map { [$0] } ?? Array(0...7)
        var best: (mask: Int, score: Int, modules: [Bool])?
        for mask in candidates {
            var modules = base
            applyMask(mask, to: &modules, isFunction: pattern.isFunction, size: size)
            drawFormat(formatBits(level: level, mask: mask), into: &modules, size: size)
            let score = candidates.count == 1 ? 0 : penalty(modules, size: size)
            if best == nil || score < best?.score ?? Int.max {
                best = (mask, score, modules)
            }
        }
        let chosen = best ?? (0, 0, base)
        return QRMatrix(size: size, version: version, errorCorrection: level, mask: chosen.mask, modules: chosen.modules)
    }

    /// Places codeword bits in the two-column zigzag of §7.7.3, skipping function modules.
    private static func placeData(_ codewords: [UInt8], into modules: inout [Bool], isFunction: [Bool], size: Int) {
        let totalBits = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        var upward = true
        while right >= 1 {
            // Column 6 holds the vertical timing pattern, so the pair shifts left past it.
            if right == 6 { right = 5 }
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for column in 0..<2 {
                    let x = right - column
                    let index = y * size + x
                    if isFunction[index] { continue }
                    if bitIndex < totalBits {
                        let byte = codewords[bitIndex >> 3]
                        modules[index] = (byte >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                        bitIndex += 1
                    }
                    // Remainder bits stay light (0) before masking.
                }
            }
            upward.toggle()
            right -= 2
        }
    }

    /// Whether mask `mask` inverts the module at row `y`, column `x` (Table 10).
    package static func maskCondition(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: return (y + x) % 2 == 0
        case 1: return y % 2 == 0
        case 2: return x % 3 == 0
        case 3: return (y + x) % 3 == 0
        case 4: return (y / 2 + x / 3) % 2 == 0
        case 5: return (y * x) % 2 + (y * x) % 3 == 0
        case 6: return ((y * x) % 2 + (y * x) % 3) % 2 == 0
        default: return ((y + x) % 2 + (y * x) % 3) % 2 == 0
        }
    }

    private static func applyMask(_ mask: Int, to modules: inout [Bool], isFunction: [Bool], size: Int) {
        for y in 0..<size {
            for x in 0..<size {
                let index = y * size + x
                if !isFunction[index] && maskCondition(mask, x: x, y: y) {
                    modules[index].toggle()
                }
            }
        }
    }

    /// Draws both copies of the format information; bit 14 is the most significant.
    private static func drawFormat(_ bits: Int, into modules: inout [Bool], size: Int) {
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        // Copy around the top-left finder: bits 0-7 run down column 8, bits 8-14 run left along row 8.
        let firstCopy: [(x: Int, y: Int)] = [
            (8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8),
            (7, 8), (5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8),
        ]
        for (i, point) in firstCopy.enumerated() {
            modules[point.y * size + point.x] = bit(i)
        }
        // Second copy: bits 0-7 along row 8 from the right edge, bits 8-14 up column 8 from the bottom.
        for i in 0..<8 {
            modules[8 * size + (size - 1 - i)] = bit(i)
        }
        for i in 8..<15 {
            modules[(size - 15 + i) * size + 8] = bit(i)
        }
        // The dark module next to the bottom-left finder is always set (§7.9.1).
        modules[(size - 8) * size + 8] = true
    }

    /// Draws both 6×3 copies of the version information.
    private static func drawVersion(_ version: Int, into modules: inout [Bool], size: Int) {
        let bits = versionBits(version: version)
        for i in 0..<18 {
            let dark = (bits >> i) & 1 == 1
            let a = size - 11 + i % 3
            let b = i / 3
            modules[b * size + a] = dark  // top-right block
            modules[a * size + b] = dark  // bottom-left block
        }
    }

    // MARK: - Mask evaluation (§7.8.3)

    /// Penalty weights N1...N4 from ISO/IEC 18004 Table 11.
    private static let n1 = 3, n2 = 3, n3 = 40, n4 = 10

    /// Total penalty score of a finished symbol; lower is better.
    ///
    /// Rule 3 counts each 1:1:3:1:1 finder-like run once when four light
    /// modules precede or follow it, treating the area outside the symbol as
    /// light (it is the quiet zone when printed). This reading of §7.8.3 is
    /// the one ZXing's encoder uses, so mask choices agree with it.
    package static func penalty(_ modules: [Bool], size: Int) -> Int {
        guard size > 0, modules.count == size * size else { return Int.max }
        return modules.withUnsafeBufferPointer { grid in
            var score = 0
            var darkCount = 0
            for line in 0..<size {
                score += linePenalty(grid, start: line * size, step: 1, size: size)
                score += linePenalty(grid, start: line, step: size, size: size)
            }
            for y in 0..<size {
                let row = y * size
                for x in 0..<size {
                    let dark = grid[row + x]
                    if dark { darkCount += 1 }
                    if x + 1 < size && y + 1 < size {
                        if dark == grid[row + x + 1] && dark == grid[row + size + x] && dark == grid[row + size + x + 1] {
                            score += n2
                        }
                    }
                }
            }
            let total = size * size
            // k = floor(|dark% − 50%| / 5%), computed in integers.
            let deviation = abs(darkCount * 20 - total * 10)
            return score + (deviation / total) * n4
        }
    }

    /// Rules 1 and 3 for one row (`step` 1) or column (`step` = size).
    private static func linePenalty(_ grid: UnsafeBufferPointer<Bool>, start: Int, step: Int, size: Int) -> Int {
        @inline(__always) func module(_ index: Int) -> Bool { grid[start + index * step] }
        @inline(__always) func light(_ index: Int) -> Bool { index < 0 || index >= size || !module(index) }

        var score = 0
        var runColor = module(0)
        var runLength = 1
        for index in 1..<size {
            let color = module(index)
            if color == runColor {
                runLength += 1
            } else {
                if runLength >= 5 { score += n1 + runLength - 5 }
                runColor = color
                runLength = 1
            }
        }
        if runLength >= 5 { score += n1 + runLength - 5 }

        // Rule 3: dark-light-dark×3-light-dark with 4 light modules before or after.
        var begin = 0
        while begin + 7 <= size {
            if module(begin) && !module(begin + 1) && module(begin + 2) && module(begin + 3)
                && module(begin + 4) && !module(begin + 5) && module(begin + 6)
            {
                let before = light(begin - 1) && light(begin - 2) && light(begin - 3) && light(begin - 4)
                let after = light(begin + 7) && light(begin + 8) && light(begin + 9) && light(begin + 10)
                if before || after { score += n3 }
            }
            begin += 1
        }
        return score
    }
}

/// Function patterns of a version: finders, separators, timing, alignment, and reserved format/version areas.
struct FunctionPatterns {
    let size: Int
    /// Module colours of the function patterns (data areas light).
    var modules: [Bool]
    /// Whether each module belongs to a function pattern or reserved area.
    var isFunction: [Bool]

    init(version: Int) {
        size = 17 + 4 * version
        modules = [Bool](repeating: false, count: size * size)
        isFunction = [Bool](repeating: false, count: size * size)

        // Timing patterns on row 6 and column 6.
        for i in 0..<size {
            set(x: 6, y: i, dark: i % 2 == 0)
            set(x: i, y: 6, dark: i % 2 == 0)
        }
        // Finder patterns with their light separators.
        drawFinder(centerX: 3, centerY: 3)
        drawFinder(centerX: size - 4, centerY: 3)
        drawFinder(centerX: 3, centerY: size - 4)

        let positions = QREncoder.alignmentPatternPositions(version: version)
        let last = positions.count - 1
        for (i, cy) in positions.enumerated() {
            for (j, cx) in positions.enumerated() {
                // Skip the three corners occupied by finder patterns.
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                for dy in -2...2 {
                    for dx in -2...2 {
                        set(x: cx + dx, y: cy + dy, dark: max(abs(dx), abs(dy)) != 1)
                    }
                }
            }
        }

        // Reserve format information areas (drawn per mask later) and the dark module.
        for i in 0..<9 {
            reserve(x: 8, y: i)
            reserve(x: i, y: 8)
        }
        for i in 0..<8 {
            reserve(x: size - 1 - i, y: 8)
            reserve(x: 8, y: size - 1 - i)
        }
        // Reserve version information blocks.
        if version >= 7 {
            for i in 0..<18 {
                reserve(x: size - 11 + i % 3, y: i / 3)
                reserve(x: i / 3, y: size - 11 + i % 3)
            }
        }
    }

    /// Number of modules left for data and ECC bits.
    var dataModuleCount: Int {
        isFunction.reduce(0) { $0 + ($1 ? 0 : 1) }
    }

    private mutating func set(x: Int, y: Int, dark: Bool) {
        guard x >= 0, y >= 0, x < size, y < size else { return }
        modules[y * size + x] = dark
        isFunction[y * size + x] = true
    }

    private mutating func reserve(x: Int, y: Int) {
        guard x >= 0, y >= 0, x < size, y < size else { return }
        isFunction[y * size + x] = true
    }

    private mutating func drawFinder(centerX: Int, centerY: Int) {
        // A 9×9 area: the 7×7 finder plus a one-module light separator (clipped at edges).
        for dy in -4...4 {
            for dx in -4...4 {
                let distance = max(abs(dx), abs(dy))
                set(x: centerX + dx, y: centerY + dy, dark: distance != 2 && distance != 4)
            }
        }
    }
}

/// Accumulates bits most-significant first into bytes.
private struct BitWriter {
    var bytes: [UInt8] = []
    var bitCount = 0

    init(capacityBytes: Int) {
        bytes.reserveCapacity(capacityBytes)
    }

    mutating func append(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        for shift in stride(from: count - 1, through: 0, by: -1) {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> UInt32(shift)) & 1 == 1 {
                bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount % 8)
            }
            bitCount += 1
        }
    }
}
