// codec-fixtures: writes cross-check fixtures for scripts/check_codecs.py,
// or with --bench measures HC1 issuance and verification throughput.
//
// Usage:
//   codec-fixtures [--out DIR]            write fixtures (default ./fixtures-out)
//   codec-fixtures --bench [COUNT]        single-threaded throughput benchmark
//   codec-fixtures --qr-rows TEXT L|M|Q|H [MASK]   print a QR matrix (debugging)

import Crypto
import EpiCodecs
import Foundation

/// Fixed clock so fixtures are reproducible apart from keys and signatures.
let issuedAt = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
let expiresAt = issuedAt.addingTimeInterval(365 * 24 * 3600)

func sampleCertificate(serial: Int) throws -> DigitalCovidCertificate {
    let uvci = try UVCI.make(country: "VN", opaqueID: String(format: "EPI%017d", serial), includeChecksum: true)
    return DigitalCovidCertificate(
        name: DCCName(familyName: "Nguyễn", givenName: "Văn Đức"),
        dateOfBirth: "1985-07-21",
        vaccination: DCCVaccination(
            vaccineOrProphylaxis: "1119349007",
            medicinalProduct: "EU/1/20/1528",
            marketingAuthorizationHolder: "ORG-100030215",
            doseNumber: 2,
            totalSeriesOfDoses: 2,
            dateOfVaccination: "2025-12-15",
            country: "VN",
            certificateIssuer: "Ministry of Health of Viet Nam",
            certificateIdentifier: uvci
        )
    )
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

func write(_ bytes: [UInt8], to url: URL) throws {
    try Data(bytes).write(to: url)
}

func makeSigner() throws -> (P256.Signing.PrivateKey, SigningCertificate) {
    let key = P256.Signing.PrivateKey()
    let certificate = try SigningCertificate.makeSelfSigned(
        privateKey: key,
        commonName: "EpiCommand DSC",
        organization: "EpiCommand",
        country: "VN",
        notValidBefore: issuedAt.addingTimeInterval(-86_400),
        notValidAfter: expiresAt.addingTimeInterval(86_400)
    )
    return (key, certificate)
}

// MARK: - Fixtures

struct QRCase {
    let name: String
    let text: String
    let level: QRErrorCorrection
    let bitDepth: PNGWriter.BitDepth
}

func writeFixtures(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let (key, signer) = try makeSigner()
    let issuer = try HC1Issuer(privateKey: key, kid: signer.kid, issuerCountry: "VN")
    let certificate = try sampleCertificate(serial: 1)
    let hc1 = try issuer.issue(certificate, issuedAt: issuedAt, expiresAt: expiresAt)
    try write(Array(hc1.utf8), to: directory.appendingPathComponent("hc1.txt"))

    let qr = try QREncoder.encode(hc1, errorCorrection: .quartile)
    try write(try qr.png(scale: 4, quietZone: 4), to: directory.appendingPathComponent("hc1.png"))
    try write(Array(qr.svg().utf8), to: directory.appendingPathComponent("hc1.svg"))

    let trustList: [String: [String: String]] = [
        Data(signer.kid).base64EncodedString(): [
            "certificate": Data(signer.der).base64EncodedString(),
            "certificatePem": signer.pem,
            "publicKey": signer.publicKey.derRepresentation.base64EncodedString(),
        ]
    ]
    let v = certificate.vaccination
    let expected: [String: Any] = [
        "iss": "VN",
        "iat": Int(issuedAt.timeIntervalSince1970),
        "exp": Int(expiresAt.timeIntervalSince1970),
        "kid": Data(signer.kid).base64EncodedString(),
        "qr": ["version": qr.version, "mask": qr.mask, "level": "Q", "size": qr.size],
        "hcert": [
            "ver": certificate.version,
            "nam": [
                "fn": certificate.name.familyName ?? "",
                "fnt": certificate.name.familyNameTransliterated,
                "gn": certificate.name.givenName ?? "",
                "gnt": certificate.name.givenNameTransliterated ?? "",
            ],
            "dob": certificate.dateOfBirth,
            "v": [[
                "tg": v.targetDisease, "vp": v.vaccineOrProphylaxis, "mp": v.medicinalProduct,
                "ma": v.marketingAuthorizationHolder, "dn": v.doseNumber, "sd": v.totalSeriesOfDoses,
                "dt": v.dateOfVaccination, "co": v.country, "is": v.certificateIssuer, "ci": v.certificateIdentifier,
            ]],
        ],
    ]
    try JSONSerialization.data(withJSONObject: trustList, options: [.prettyPrinted, .sortedKeys])
        .write(to: directory.appendingPathComponent("trustlist.json"))
    try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys])
        .write(to: directory.appendingPathComponent("expected.json"))

    // QR round-trip cases across modes, levels and versions 1-40.
    let qrDirectory = directory.appendingPathComponent("qr")
    try FileManager.default.createDirectory(at: qrDirectory, withIntermediateDirectories: true)
    let alnumUnit = "EPICOMMAND HC1 $%*+-./: 0123456789 "
    let vietnamese = "Chứng nhận tiêm chủng COVID-19 — Nguyễn Văn Đức, Hà Nội, Việt Nam. "
    var cases: [QRCase] = [
        QRCase(name: "hc1-q", text: hc1, level: .quartile, bitDepth: .one),
        QRCase(name: "hc1-l-8bit", text: hc1, level: .low, bitDepth: .eight),
        QRCase(name: "hc1-h", text: hc1, level: .high, bitDepth: .one),
        QRCase(name: "numeric-iso", text: "01234567", level: .medium, bitDepth: .one),
        QRCase(name: "alnum-hello", text: "HELLO WORLD", level: .quartile, bitDepth: .one),
        QRCase(name: "vi-short", text: "Xin chào Việt Nam", level: .medium, bitDepth: .one),
    ]
    let levelNames = ["L", "M", "Q", "H"]
    // Lengths chosen to land on a spread of versions; each level is exercised.
    // Each (length, level) pair fits the level's version-40 capacity
    // (alphanumeric L/M/Q/H: 4296/3391/2420/1852; byte: 2953/2331/1663/1273).
    let alnumCases: [(Int, QRErrorCorrection)] = [
        (20, .low), (60, .medium), (150, .quartile), (300, .high), (600, .low),
        (900, .medium), (1400, .quartile), (1800, .high), (2800, .medium), (4000, .low),
    ]
    for (length, level) in alnumCases {
        let text = String(repeating: alnumUnit, count: length / alnumUnit.count + 1).prefix(length)
        cases.append(QRCase(name: "alnum-\(length)-\(levelNames[level.rawValue])", text: String(text), level: level, bitDepth: .one))
    }
    let byteCases: [(Int, QRErrorCorrection)] = [
        (10, .medium), (40, .quartile), (120, .high), (250, .low), (500, .medium),
        (800, .quartile), (1200, .high), (1700, .medium), (2300, .low),
    ]
    for (length, level) in byteCases {
        var text = ""
        while text.utf8.count < length { text += vietnamese }
        // Trim by characters so the UTF-8 stays valid.
        while text.utf8.count > length { text.removeLast() }
        cases.append(QRCase(name: "vi-\(length)-\(levelNames[level.rawValue])", text: text, level: level, bitDepth: .one))
    }
    let numericDigits = String((0..<3000).map { Character(String($0 % 10)) })
    cases.append(QRCase(name: "numeric-3000-M", text: numericDigits, level: .medium, bitDepth: .one))
    cases.append(QRCase(name: "alnum-max-v40-L", text: String(repeating: "A", count: 4296), level: .low, bitDepth: .one))

    var manifest: [[String: Any]] = []
    for qrCase in cases {
        let matrix = try QREncoder.encode(qrCase.text, errorCorrection: qrCase.level)
        let file = "\(qrCase.name).png"
        try write(try matrix.png(scale: 3, quietZone: 4, bitDepth: qrCase.bitDepth), to: qrDirectory.appendingPathComponent(file))
        manifest.append([
            "file": file,
            "text": qrCase.text,
            "version": matrix.version,
            "level": levelNames[qrCase.level.rawValue],
            "mask": matrix.mask,
            "mode": "\(QREncoder.preferredMode(for: qrCase.text))",
            "bitDepth": qrCase.bitDepth.rawValue,
        ])
    }
    try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        .write(to: qrDirectory.appendingPathComponent("manifest.json"))
    print("wrote fixtures to \(directory.path) (\(cases.count) QR cases, HC1 \(hc1.utf8.count) chars, QR v\(qr.version)-Q)")
}

// MARK: - Benchmark

func benchmark(count: Int) throws {
    let (key, signer) = try makeSigner()
    let issuer = try HC1Issuer(privateKey: key, kid: signer.kid, issuerCountry: "VN")
    let certificates = try (0..<64).map { try sampleCertificate(serial: $0) }
    var trust = TrustList()
    trust.add(signer)
    let verifier = HC1Verifier(trustList: trust)
    let now = issuedAt.addingTimeInterval(3600)

    func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func measure(_ label: String, _ iterations: Int, _ body: (Int) throws -> Void) rethrows {
        // Warm up caches, lazy tables and allocator pools first.
        for index in 0..<min(200, iterations) { try body(index) }
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUSeconds()
        for index in 0..<iterations { try body(index) }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // CPU time of this thread excludes time stolen by other processes on a shared machine.
        let cpu = threadCPUSeconds() - cpuStart
        let label = label.padding(toLength: 36, withPad: " ", startingAt: 0)
        print(label + String(
            format: "%9.0f /s wall  %9.0f /s cpu  (%.1f µs cpu each, %d iterations)",
            Double(iterations) / elapsed, Double(iterations) / cpu, cpu / Double(iterations) * 1e6, iterations
        ))
    }

    var issued: [String] = []
    issued.reserveCapacity(count)
    var sink = 0
    try measure("HC1 issue (CBOR+COSE+zlib+b45)", count) { index in
        let hc1 = try issuer.issue(certificates[index % certificates.count], issuedAt: issuedAt, expiresAt: expiresAt)
        if issued.count < count { issued.append(hc1) }
        sink &+= hc1.utf8.count
    }
    try measure("HC1 verify (b45+inflate+COSE+CBOR)", count) { index in
        let result = try verifier.verify(issued[index % issued.count], now: now)
        sink &+= result.claims.certificate.vaccination.doseNumber
    }
    let claims = DCCClaims(issuer: "VN", issuedAt: 0, expiresAt: 1, certificate: certificates[0])
    measure("  part: DCC CBOR encode", count) { _ in
        sink &+= claims.encoded().count
    }
    let payload = claims.encoded()
    try measure("  part: COSE ES256 sign", count) { _ in
        sink &+= try COSESign1.sign(payload: payload, kid: signer.kid, privateKey: key).count
    }
    let cose = try COSESign1.sign(payload: payload, kid: signer.kid, privateKey: key)
    let deflater = try ZlibDeflater(level: 9)
    try measure("  part: zlib deflate (level 9)", count) { _ in
        sink &+= try deflater.compress(cose).count
    }
    let compressed = try deflater.compress(cose)
    measure("  part: base45 encode", count) { _ in
        sink &+= Base45.encodeToASCII(compressed).count
    }
    try measure("  part: COSE ES256 verify", count) { _ in
        let message = try COSESign1Message.parse(cose)
        try message.verify(with: signer.publicKey)
        sink &+= message.payload.count
    }
    let qrIterations = max(1, count / 10)
    try measure("QR encode HC1 (alnum, Q, 8 masks)", qrIterations) { index in
        sink &+= try QREncoder.encode(issued[index % issued.count], errorCorrection: .quartile).size
    }
    print("HC1 length: \(issued.first?.utf8.count ?? 0) characters; checksum \(sink & 0xFF)")
}

// MARK: - Main

var arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == "--qr-rows", arguments.count >= 3 {
        // Debug helper: print the module matrix for TEXT at LEVEL (L/M/Q/H), optional MASK.
        let levels: [String: QRErrorCorrection] = ["L": .low, "M": .medium, "Q": .quartile, "H": .high]
        let mask = arguments.count >= 4 ? Int(arguments[3]) : nil
        let matrix = try QREncoder.encode(arguments[1], errorCorrection: levels[arguments[2]] ?? .medium, mask: mask)
        print("version \(matrix.version) mask \(matrix.mask)")
        matrix.textRows.forEach { print($0) }
    } else if let benchIndex = arguments.firstIndex(of: "--bench") {
        let next = benchIndex + 1 < arguments.count ? Int(arguments[benchIndex + 1]) : nil
        try benchmark(count: next ?? 20_000)
    } else {
        var output = URL(fileURLWithPath: "fixtures-out")
        if let outIndex = arguments.firstIndex(of: "--out") {
            guard outIndex + 1 < arguments.count else { fail("--out needs a directory") }
            output = URL(fileURLWithPath: arguments[outIndex + 1])
        }
        try writeFixtures(to: output)
    }
} catch {
    fail("codec-fixtures failed: \(error)")
}
