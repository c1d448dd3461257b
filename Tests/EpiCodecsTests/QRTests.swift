import Foundation
import Testing
@testable import EpiCodecs

@Suite("QR code encoder (ISO/IEC 18004)")
struct QRTests {
    @Test("ISO 18004 Annex I: \"01234567\" 1-M data and ECC codewords")
    func isoAnnexI() {
        let data = QREncoder.dataCodewords(bytes: Array("01234567".utf8), mode: .numeric, version: 1, level: .medium)
        #expect(TestSupport.hex(data) == "10200c566180ec11ec11ec11ec11ec11")
        let ecc = QREncoder.reedSolomonRemainder(data, generator: QREncoder.reedSolomonGenerator(degree: 10))
        #expect(TestSupport.hex(ecc) == "a524d4c1ed36c7872c55")
        let codewords = QREncoder.interleavedCodewords(data: data, version: 1, level: .medium)
        #expect(TestSupport.hex(codewords) == "10200c566180ec11ec11ec11ec11ec11a524d4c1ed36c7872c55")
    }

    @Test("\"HELLO WORLD\" 1-Q and 1-M codewords (thonky.com tutorial)")
    func helloWorld() {
        let q = QREncoder.dataCodewords(bytes: Array("HELLO WORLD".utf8), mode: .alphanumeric, version: 1, level: .quartile)
        #expect(q == [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236])
        let qECC = QREncoder.reedSolomonRemainder(q, generator: QREncoder.reedSolomonGenerator(degree: 13))
        #expect(qECC == [168, 72, 22, 82, 217, 54, 156, 0, 46, 15, 180, 122, 16])
        let m = QREncoder.dataCodewords(bytes: Array("HELLO WORLD".utf8), mode: .alphanumeric, version: 1, level: .medium)
        let mECC = QREncoder.reedSolomonRemainder(m, generator: QREncoder.reedSolomonGenerator(degree: 10))
        #expect(mECC == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test("Reed-Solomon generator polynomials match the standard's Annex A")
    func generators() {
        // g(x) for 7 ECC codewords: α^0 x^7 + α^87 x^6 + α^229 x^5 + α^146 x^4 + α^149 x^3 + α^238 x^2 + α^102 x + α^21.
        #expect(QREncoder.reedSolomonGenerator(degree: 7) == [127, 122, 154, 164, 11, 68, 117])
        #expect(QREncoder.reedSolomonGenerator(degree: 10) == [216, 194, 159, 111, 199, 94, 95, 113, 157, 193])
        #expect(QREncoder.gfMultiply(0x80, 2) == 0x1D)
        #expect(QREncoder.reedSolomonGenerator(degree: 0) == [])
        #expect(QREncoder.reedSolomonGenerator(degree: -5) == [])
        #expect(QREncoder.reedSolomonRemainder([1, 2, 3], generator: []) == [])
        // Misuse of the low-level helpers degrades instead of trapping.
        #expect(QREncoder.interleavedCodewords(data: [], version: 0, level: .low) == [])
        #expect(QREncoder.interleavedCodewords(data: [], version: 41, level: .low) == [])
        #expect(QREncoder.interleavedCodewords(data: [1, 2, 3], version: 5, level: .high).count == 134)
        #expect(QREncoder.interleavedCodewords(data: [UInt8](repeating: 7, count: 999), version: 1, level: .low).count == 26)
        #expect(QREncoder.gfMultiply(0, 7) == 0)
    }

    /// ISO 18004 Table C.1: all 32 format information bit strings (after masking).
    static let formatTable: [(QRErrorCorrection, Int, String)] = [
        (.low, 0, "111011111000100"), (.low, 1, "111001011110011"), (.low, 2, "111110110101010"), (.low, 3, "111100010011101"),
        (.low, 4, "110011000101111"), (.low, 5, "110001100011000"), (.low, 6, "110110001000001"), (.low, 7, "110100101110110"),
        (.medium, 0, "101010000010010"), (.medium, 1, "101000100100101"), (.medium, 2, "101111001111100"), (.medium, 3, "101101101001011"),
        (.medium, 4, "100010111111001"), (.medium, 5, "100000011001110"), (.medium, 6, "100111110010111"), (.medium, 7, "100101010100000"),
        (.quartile, 0, "011010101011111"), (.quartile, 1, "011000001101000"), (.quartile, 2, "011111100110001"), (.quartile, 3, "011101000000110"),
        (.quartile, 4, "010010010110100"), (.quartile, 5, "010000110000011"), (.quartile, 6, "010111011011010"), (.quartile, 7, "010101111101101"),
        (.high, 0, "001011010001001"), (.high, 1, "001001110111110"), (.high, 2, "001110011100111"), (.high, 3, "001100111010000"),
        (.high, 4, "000011101100010"), (.high, 5, "000001001010101"), (.high, 6, "000110100001100"), (.high, 7, "000100000111011"),
    ]

    @Test("format information for all levels and masks")
    func formatInformation() {
        for (level, mask, bits) in Self.formatTable {
            #expect(QREncoder.formatBits(level: level, mask: mask) == Int(bits, radix: 2), "\(level) mask \(mask)")
        }
    }

    @Test("version information for versions 7-40 (ISO 18004 Table D.1)")
    func versionInformation() {
        let table: [Int: String] = [
            7: "000111110010010100", 8: "001000010110111100", 9: "001001101010011001", 10: "001010010011010011",
            11: "001011101111110110", 12: "001100011101100010", 13: "001101100001000111", 14: "001110011000001101",
            15: "001111100100101000", 16: "010000101101111000", 17: "010001010001011101", 18: "010010101000010111",
            19: "010011010100110010", 20: "010100100110100110", 21: "010101011010000011", 22: "010110100011001001",
            23: "010111011111101100", 24: "011000111011000100", 25: "011001000111100001", 26: "011010111110101011",
            27: "011011000010001110", 28: "011100110000011010", 29: "011101001100111111", 30: "011110110101110101",
            31: "011111001001010000", 32: "100000100111010101", 33: "100001011011110000", 34: "100010100010111010",
            35: "100011011110011111", 36: "100100101100001011", 37: "100101010000101110", 38: "100110101001100100",
            39: "100111010101000001", 40: "101000110001101001",
        ]
        for version in 7...40 {
            #expect(QREncoder.versionBits(version: version) == Int(table[version] ?? "", radix: 2), "version \(version)")
        }
    }

    @Test("alignment pattern centres match ISO 18004 Annex E samples")
    func alignmentPositions() {
        #expect(QREncoder.alignmentPatternPositions(version: 1) == [])
        #expect(QREncoder.alignmentPatternPositions(version: 2) == [6, 18])
        #expect(QREncoder.alignmentPatternPositions(version: 7) == [6, 22, 38])
        #expect(QREncoder.alignmentPatternPositions(version: 15) == [6, 26, 48, 70])
        #expect(QREncoder.alignmentPatternPositions(version: 16) == [6, 26, 50, 74])
        #expect(QREncoder.alignmentPatternPositions(version: 32) == [6, 34, 60, 86, 112, 138])
        #expect(QREncoder.alignmentPatternPositions(version: 36) == [6, 24, 50, 76, 102, 128, 154])
        #expect(QREncoder.alignmentPatternPositions(version: 40) == [6, 30, 58, 86, 114, 142, 170])
    }

    @Test("codeword capacities match ISO 18004 Table 7")
    func capacities() {
        let totals = [0, 26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 404, 466, 532, 581, 655, 733, 815, 901, 991, 1085,
                      1156, 1258, 1364, 1474, 1588, 1706, 1828, 1921, 2051, 2185, 2323, 2465, 2611, 2761, 2876, 3034, 3196, 3362, 3532, 3706]
        for version in 1...40 {
            #expect(QREncoder.totalCodewords(version: version) == totals[version], "version \(version)")
        }
        #expect(QREncoder.dataCodewordCount(version: 1, level: .low) == 19)
        #expect(QREncoder.dataCodewordCount(version: 1, level: .high) == 9)
        #expect(QREncoder.dataCodewordCount(version: 40, level: .low) == 2956)
        #expect(QREncoder.dataCodewordCount(version: 40, level: .medium) == 2334)
        #expect(QREncoder.dataCodewordCount(version: 40, level: .quartile) == 1666)
        #expect(QREncoder.dataCodewordCount(version: 40, level: .high) == 1276)
        #expect(QREncoder.totalCodewords(version: 0) == 0)
        #expect(QREncoder.totalCodewords(version: 41) == 0)
    }

    @Test("mode selection and maximum character capacities")
    func modes() throws {
        #expect(QREncoder.preferredMode(for: "0123") == .numeric)
        #expect(QREncoder.preferredMode(for: "HC1:6BF+70790T9") == .alphanumeric)
        #expect(QREncoder.preferredMode(for: "hc1") == .byte)
        #expect(QREncoder.preferredMode(for: "Việt Nam") == .byte)
        #expect(QREncoder.preferredMode(for: "") == .byte)
        // Version 40-L capacities from ISO 18004 Table 7.
        #expect(try QREncoder.encode(String(repeating: "7", count: 7089), errorCorrection: .low).version == 40)
        #expect(throws: QRError.dataTooLong) { try QREncoder.encode(String(repeating: "7", count: 7090), errorCorrection: .low) }
        #expect(try QREncoder.encode(String(repeating: "A", count: 4296), errorCorrection: .low).version == 40)
        #expect(throws: QRError.dataTooLong) { try QREncoder.encode(String(repeating: "A", count: 4297), errorCorrection: .low) }
        #expect(try QREncoder.encode(bytes: [UInt8](repeating: 0x61, count: 2953), errorCorrection: .low).version == 40)
        #expect(throws: QRError.dataTooLong) { try QREncoder.encode(bytes: [UInt8](repeating: 0x61, count: 2954), errorCorrection: .low) }
        #expect(try QREncoder.encode(String(repeating: "A", count: 1852), errorCorrection: .high).version == 40)
        // Version 1 limits per level for alphanumeric: 25 / 20 / 16 / 10.
        for (level, limit) in [(QRErrorCorrection.low, 25), (.medium, 20), (.quartile, 16), (.high, 10)] {
            #expect(try QREncoder.encode(String(repeating: "B", count: limit), errorCorrection: level).version == 1)
            #expect(try QREncoder.encode(String(repeating: "B", count: limit + 1), errorCorrection: level).version == 2)
        }
        #expect(throws: QRError.invalidCharacterForMode) { try QREncoder.encode("abc", mode: .alphanumeric) }
        #expect(throws: QRError.invalidCharacterForMode) { try QREncoder.encode("12a", mode: .numeric) }
        #expect(throws: QRError.invalidMask) { try QREncoder.encode("A", mask: 8) }
        #expect(throws: QRError.invalidVersionRange) { try QREncoder.encode("A", versions: 0...3) }
        #expect(throws: QRError.dataTooLong) { try QREncoder.encode(String(repeating: "A", count: 30), versions: 1...1) }
        #expect(try QREncoder.encode("A", versions: 5...40).version == 5)
        #expect(try QREncoder.encode("").version == 1)
    }

    @Test("matrices equal the segno reference for every mask; auto mask agrees with ZXing")
    func referenceMatrices() throws {
        let reference = try TestSupport.fixtureJSON("qr_reference.json")
        let cases = try #require(reference["cases"] as? [[String: Any]])
        #expect(cases.count >= 7)
        let levels: [String: QRErrorCorrection] = ["L": .low, "M": .medium, "Q": .quartile, "H": .high]
        let modes: [String: QRMode] = ["numeric": .numeric, "alphanumeric": .alphanumeric, "byte": .byte]
        for testCase in cases {
            let text = try #require(testCase["text"] as? String)
            let level = try #require(levels[testCase["level"] as? String ?? ""])
            let mode = try #require(modes[testCase["mode"] as? String ?? ""])
            let masks = try #require(testCase["masks"] as? [[String]])
            let version = try #require(testCase["version"] as? Int)
            for mask in 0..<8 {
                let matrix = try QREncoder.encode(text, errorCorrection: level, mode: mode, mask: mask)
                #expect(matrix.version == version)
                #expect(matrix.textRows == masks[mask], "\(text.prefix(16)) \(level) mask \(mask)")
            }
            let automatic = try QREncoder.encode(text, errorCorrection: level, mode: mode)
            // Our choice must be the minimum of our penalty over the eight masks.
            let scores = (0..<8).map { mask in
                QREncoder.penalty((try? QREncoder.encode(text, errorCorrection: level, mode: mode, mask: mask))?.modules ?? [], size: automatic.size)
            }
            #expect(automatic.mask == scores.firstIndex(of: scores.min() ?? 0))
            // When ZXing encoded the same bits, it must also have picked the same mask.
            let zxingRows = try #require(testCase["zxingRows"] as? [String])
            let zxingMask = try #require(testCase["zxingMask"] as? Int)
            if zxingRows == masks[zxingMask] {
                #expect(automatic.mask == zxingMask, "\(text.prefix(16)) \(level): ours \(automatic.mask), ZXing \(zxingMask)")
            }
        }
    }

    @Test("\"01234567\" 1-M symbol: mask 2 (the same choice ZXing makes), fixed patterns in place")
    func isoSymbol() throws {
        let matrix = try QREncoder.encode("01234567", errorCorrection: .medium)
        #expect(matrix.version == 1)
        #expect(matrix.mask == 2)
        #expect(matrix.size == 21)
        // Finder pattern corners and the always-dark module.
        #expect(matrix[x: 0, y: 0] && matrix[x: 20, y: 0] && matrix[x: 0, y: 20])
        #expect(matrix[x: 8, y: 13])
        #expect(!matrix[x: -1, y: 0] && !matrix[x: 21, y: 21])
    }

    @Test("function patterns: timing, finders and version blocks are in place")
    func functionPatterns() throws {
        let matrix = try QREncoder.encode(String(repeating: "A", count: 200), errorCorrection: .medium)
        #expect(matrix.version >= 7)
        let size = matrix.size
        for i in 8..<(size - 8) {
            #expect(matrix[x: i, y: 6] == (i % 2 == 0))
            #expect(matrix[x: 6, y: i] == (i % 2 == 0))
        }
        // Both version blocks carry the same 18 bits.
        let bits = QREncoder.versionBits(version: matrix.version)
        for i in 0..<18 {
            let dark = (bits >> i) & 1 == 1
            #expect(matrix[x: size - 11 + i % 3, y: i / 3] == dark)
            #expect(matrix[x: i / 3, y: size - 11 + i % 3] == dark)
        }
    }
}
