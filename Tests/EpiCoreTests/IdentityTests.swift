import Foundation
import Testing
@testable import EpiCore

@Suite("Citizen ID (CCCD 12 digits / CMND 9 digits)")
struct CitizenIDTests {
    @Test(arguments: [
        ("001085012345", "001085012345", CitizenID.Kind.cccd),
        ("001 085 012345", "001085012345", .cccd),
        (" 001.085.012.345 ", "001085012345", .cccd),
        ("001-085-012345", "001085012345", .cccd),
        ("079300000001", "079300000001", .cccd),
        ("012345678", "012345678", .cmnd),
        ("012 345 678", "012345678", .cmnd),
    ])
    func validNumbersNormalise(raw: String, digits: String, kind: CitizenID.Kind) throws {
        let id = try CitizenID(parsing: raw)
        #expect(id.digits == digits)
        #expect(id.kind == kind)
    }

    @Test(arguments: [
        ("", CitizenIDError.empty),
        ("   ", .empty),
        ("00108501234a", .invalidCharacters),
        ("001085012345/", .invalidCharacters),
        ("０01085012345", .invalidCharacters),
        ("12345", .wrongLength(5)),
        ("0010850123456", .wrongLength(13)),
        ("0123456789", .wrongLength(10)),
        ("003085012345", .unknownProvince("003")),
        ("000085012345", .unknownProvince("000")),
        ("097085012345", .unknownProvince("097")),
        ("999085012345", .unknownProvince("999")),
        ("001485012345", .invalidCenturyDigit("4")),
        ("001985012345", .invalidCenturyDigit("9")),
    ])
    func invalidNumbersAreRejected(raw: String, error: CitizenIDError) {
        #expect(throws: error) { try CitizenID(parsing: raw) }
        #expect(!error.messageVI.isEmpty && !error.messageEN.isEmpty)
    }

    /// Plain ASCII input is read straight from its bytes; the answer must be the one the character-by-
    /// character reading gives, white space around included (tabs and line ends from files, and the
    /// no-break space a spreadsheet pastes, which only the general reading trims).
    @Test(arguments: [
        ("\t001085012345\r\n", "001085012345"),
        ("\n 012.345.678 \t", "012345678"),
        ("\u{00A0}001085012345\u{00A0}", "001085012345"),
        ("\u{2003}001 085 012345", "001085012345"),
    ])
    func whiteSpaceAroundIsTrimmed(raw: String, digits: String) throws {
        #expect(try CitizenID(parsing: raw).digits == digits)
    }

    @Test(arguments: [
        ("001085\t012345", CitizenIDError.invalidCharacters),
        ("001085\u{00A0}012345", .invalidCharacters),
        ("-.-", .empty),
        ("001085012345\u{0301}", .invalidCharacters),
        (String(repeating: "1", count: 70), .wrongLength(70)),
        (String(repeating: "0", count: 70) + "x", .invalidCharacters),
    ])
    func plainAndGeneralReadingsRejectAlike(raw: String, error: CitizenIDError) {
        #expect(throws: error) { try CitizenID(parsing: raw) }
    }

    @Test func allSixtyThreeProvinceCodesAreAccepted() throws {
        #expect(Provinces.names.count == 63)
        for code in Provinces.names.keys {
            let id = try CitizenID(parsing: "\(code)085012345")
            #expect(id.provinceCode == code)
            #expect(id.provinceName == Provinces.names[code])
        }
        #expect(try CitizenID(parsing: "001085012345").provinceName == "Hà Nội")
    }

    @Test(arguments: [
        ("001085012345", Sex.male, 1985),
        ("001185012345", .female, 1985),
        ("001203012345", .male, 2003),
        ("001321012345", .female, 2021),
        ("001000000001", .male, 1900),
        ("001199000001", .female, 1999),
    ])
    func centuryDigitEncodesSexAndBirthYear(raw: String, sex: Sex, year: Int) throws {
        let id = try CitizenID(parsing: raw)
        #expect(id.encodedSex == sex)
        #expect(id.encodedBirthYear == year)
        #expect(id.mismatches(sex: sex, birthYear: year).isEmpty)
    }

    @Test func mismatchesWarnWithoutBlocking() throws {
        let id = try CitizenID(parsing: "001085012345")
        #expect(id.mismatches(sex: .female, birthYear: 1985) == [.sex(encoded: .male, recorded: .female)])
        #expect(id.mismatches(sex: .male, birthYear: 1986) == [.birthYear(encoded: 1985, recorded: 1986)])
        #expect(id.mismatches(sex: .female, birthYear: 2001).count == 2)
        #expect(id.mismatches(sex: nil, birthYear: nil).isEmpty)
        let cmnd = try CitizenID(parsing: "012345678")
        #expect(cmnd.encodedSex == nil && cmnd.encodedBirthYear == nil && cmnd.provinceCode == nil)
        #expect(cmnd.mismatches(sex: .female, birthYear: 1950).isEmpty)
        #expect(CitizenIDMismatch.sex(encoded: .male, recorded: .female).messageVI.contains("Nữ"))
    }

    @Test(arguments: [("001", Sex.male, 1985, 12345), ("079", .female, 2003, 0), ("096", .female, 1900, 999_999), ("001", .male, 2099, 7)])
    func makeCCCDRoundTrips(province: String, sex: Sex, year: Int, serial: Int) throws {
        let id = CitizenID.makeCCCD(provinceCode: province, sex: sex, birthYear: year, serial: serial)
        let parsed = try CitizenID(parsing: id.digits)
        #expect(parsed == id)
        #expect(parsed.provinceCode == province)
        #expect(parsed.encodedSex == sex)
        #expect(parsed.encodedBirthYear == year)
        #expect(parsed.digits.hasSuffix(String(format: "%06d", serial)))
    }

    @Test func codableAsPlainString() throws {
        let id = try CitizenID(parsing: "001085012345")
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["001085012345"]"#)
        #expect(try JSONDecoder().decode([CitizenID].self, from: data) == [id])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([CitizenID].self, from: Data(#"["12"]"#.utf8)) }
    }
}

@Suite("Phone numbers (stored E.164)")
struct PhoneNumberTests {
    @Test(arguments: [
        "0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "+84912345678", "+84 912 345 678", "84912345678", "0084912345678",
        "+84 (0) 912 345 678", " 0912345678 ",
    ])
    func mobileFormsAgree(raw: String) throws {
        let phone = try PhoneNumber(parsing: raw)
        #expect(phone.e164 == "+84912345678")
        #expect(phone.national == "0912345678")
        #expect(phone.isMobile)
    }

    @Test(arguments: [("0243 826 5555", "+842438265555"), ("+84 24 3826 5555", "+842438265555"), ("02838221234", "+842838221234")])
    func landlines(raw: String, e164: String) throws {
        let phone = try PhoneNumber(parsing: raw)
        #expect(phone.e164 == e164)
        #expect(!phone.isMobile)
    }

    @Test(arguments: ["0312345678", "0512345678", "0712345678", "0812345678", "0912345678"])
    func everyMobilePrefixFamily(raw: String) throws {
        #expect(try PhoneNumber(parsing: raw).isMobile)
    }

    @Test(arguments: [
        ("", PhoneNumberError.empty), ("   ", .empty), ("09123x5678", .invalidCharacters), ("0912345678#", .invalidCharacters),
        ("091234567", .wrongLength), ("09123456789", .wrongLength), ("0112345678", .wrongLength), ("12", .wrongLength),
        ("+1 202 555 0100", .notVietnamese), ("+44 20 7946 0958", .notVietnamese), ("0412345678", .wrongLength),
    ])
    func invalidNumbers(raw: String, error: PhoneNumberError) {
        #expect(throws: error) { try PhoneNumber(parsing: raw) }
        #expect(!error.messageVI.isEmpty)
    }
}

@Suite("Vietnamese text folding and names")
struct VietnameseTextTests {
    @Test(arguments: [
        ("Nguyễn Văn Nam", "nguyen van nam"), ("NGUYỄN VĂN NAM", "nguyen van nam"), ("nguyen van nam", "nguyen van nam"),
        ("Đặng Thị Hà", "dang thi ha"), ("đĐ", "dd"), ("  Trần   Thị\tHoa  ", "tran thi hoa"), ("Lê-Văn.Tám,", "le van tam"),
        ("Phường Bồ Đề", "phuong bo de"), ("Ngõ 4 Hòa Bình", "ngo 4 hoa binh"), ("", ""), ("!!!", ""), ("Hồ Chí Minh", "ho chi minh"),
        ("Quỳnh Thư", "quynh thu"), ("Ưng Hoàng Phúc", "ung hoang phuc"), ("Ơn", "on"),
    ])
    func folds(input: String, expected: String) {
        #expect(VietnameseText.fold(input) == expected)
    }

    @Test func everyVowelWithEveryToneFoldsToItsBase() {
        let table: [(String, String)] = [
            ("aàáảãạăằắẳẵặâầấẩẫậ", "a"), ("eèéẻẽẹêềếểễệ", "e"), ("iìíỉĩị", "i"), ("oòóỏõọôồốổỗộơờớởỡợ", "o"),
            ("uùúủũụưừứửữự", "u"), ("yỳýỷỹỵ", "y"), ("dđ", "d"),
        ]
        for (letters, base) in table {
            for ch in letters {
                #expect(VietnameseText.fold(String(ch)) == base, "\(ch)")
                #expect(VietnameseText.fold(String(ch).uppercased()) == base, "\(ch) upper")
            }
        }
    }

    @Test func decomposedAndPrecomposedInputFoldAlike() {
        let nfc = "Nguyễn Thị Ngọc Ánh"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(nfc.unicodeScalars.count != nfd.unicodeScalars.count)
        #expect(VietnameseText.fold(nfd) == VietnameseText.fold(nfc))
        #expect(VietnameseText.fold(nfd) == "nguyen thi ngoc anh")
    }

    @Test(arguments: [
        ("  nguyễn  VĂN nam ", "Nguyễn Văn Nam"), ("đặng thị hà", "Đặng Thị Hà"), ("ĐỖ MINH KHÔI", "Đỗ Minh Khôi"), ("lê", "Lê"), ("", ""),
    ])
    func normalisesNames(input: String, expected: String) {
        #expect(VietnameseText.normalizeName(input) == expected)
    }

    /// Place names are written in sentence case, unlike people's names.
    @Test(arguments: [
        ("tổ dân phố số 1", "Tổ dân phố số 1"), ("  Tổ  dân phố số 2 ", "Tổ dân phố số 2"), ("ngõ Hòa Bình 4", "Ngõ Hòa Bình 4"), ("", ""),
    ])
    func placeNamesAreInSentenceCase(input: String, expected: String) {
        #expect(VietnameseText.normalizePlaceName(input) == expected)
    }

    @Test func normalisedNamesAreNFC() {
        let nfd = "nguyễn văn nam".decomposedStringWithCanonicalMapping
        let normalized = VietnameseText.normalizeName(nfd)
        #expect(normalized.unicodeScalars.count == "Nguyễn Văn Nam".unicodeScalars.count)
        #expect(normalized == "Nguyễn Văn Nam")
    }

    @Test(arguments: [("Nguyễn Văn Nam", "nam"), ("Lê Thị Ánh", "anh"), ("Hoa", "hoa"), ("", "")])
    func givenNameIsTheLastWord(name: String, key: String) {
        #expect(VietnameseText.givenNameKey(name) == key)
    }

    @Test(arguments: [("Nam", Sex.male), ("nữ", .female), ("NU", .female), ("male", .male), ("F", .female), ("m", .male)])
    func sexWords(raw: String, sex: Sex) {
        #expect(Sex.parse(raw) == sex)
    }

    @Test func unknownSexWord() {
        #expect(Sex.parse("x") == nil)
        #expect(Sex.parse("") == nil)
    }
}
