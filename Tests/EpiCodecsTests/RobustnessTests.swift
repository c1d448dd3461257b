import Crypto
import Foundation
import Testing
@testable import EpiCodecs

/// Random and mutated inputs must produce typed errors, never traps.
@Suite("Robustness against hostile input")
struct RobustnessTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            // SplitMix64: deterministic so failures are reproducible.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random bytes through the CBOR decoder")
    func randomCBOR() {
        var generator = SeededGenerator(state: 1)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<48, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? CBORDecoder.decode(bytes)
        }
    }

    @Test("mutated HC1 strings and COSE bytes never trap")
    func mutatedHC1() throws {
        let key = P256.Signing.PrivateKey()
        let kid: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let issuer = try HC1Issuer(privateKey: key, kid: kid)
        let issuedAt = Date(timeIntervalSince1970: 1_767_225_600)
        let hc1 = try issuer.issue(DCCTests.sample(), issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(86_400))
        var trust = TrustList()
        trust.add(kid: kid, publicKey: key.publicKey)
        let verifier = HC1Verifier(trustList: trust)
        let cose = try HC1.unwrap(hc1)
        var generator = SeededGenerator(state: 2)
        let alphabet = Array(Base45.alphabet)
        var accepted = 0
        for _ in 0..<1_500 {
            var text = Array(hc1.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 4..<text.count, using: &generator)
                text[index] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            if (try? verifier.verify(String(decoding: text, as: UTF8.self), now: issuedAt)) != nil { accepted += 1 }

            var bytes = cose
            let operation = Int.random(in: 0..<3, using: &generator)
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            switch operation {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
            case 1: bytes.removeSubrange(index...)
            default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            }
            if bytes != cose, (try? verifier.verifyCOSE(bytes, now: issuedAt)) != nil { accepted += 1 }
        }
        // A mutation can only be accepted if it did not change the signed bytes
        // (e.g. it hit redundant zlib bits); forged content never verifies.
        #expect(accepted < 15)
    }

    @Test("random text through Base45, UVCI and HC1 entry points")
    func randomText() {
        var generator = SeededGenerator(state: 3)
        let pool = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:#HCabcé\u{0}".unicodeScalars)
        let verifier = HC1Verifier(trustList: TrustList())
        for _ in 0..<5_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(pool[Int.random(in: 0..<pool.count, using: &generator)]) }
            _ = try? Base45.decode(text)
            _ = try? UVCI.validate(text)
            _ = try? verifier.verify("HC1:" + text, now: Date())
            _ = ICAOTransliteration.transliterate(text)
            _ = try? QREncoder.encode(text)
        }
    }
}
