import EpiCodecs
import EpiCore
import EpiPlatform
import EpiSigning
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// How a certificate reads when checked: the verdict and the holder to compare with the ID card.
package struct CertificateCheck: Codable, Sendable {
    /// valid | invalid | expired | revoked | not_yet_valid
    package let status: String
    package let reason: String?
    package let uvci: String?
    package let name: String?
    package let dateOfBirth: String?
    package let doseNumber: Int?
    package let seriesDoses: Int?
    package let vaccinatedOn: String?
    package let product: String?
    package let expiresAt: String?
}

/// Issues EU DCC certificates (HC1) from a person's latest dose with the signing service's vaccination
/// key, keeps them, revokes them by UVCI and checks codes against the trust list and the revocations.
package struct CertificateService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }
    var database: Database { services.database }

    /// Certificates are valid 12 months (Decision 5772/QĐ-BYT).
    static let validity: TimeInterval = 365 * 86_400

    static func certificate(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> CertificateRecord? {
        try await db.raw("SELECT \(unsafeRaw: CertificateRecord.columns) FROM vaccine_certificates WHERE id = \(bind: id) AND \(scope.wholeWard.condition())")
            .first(decoding: CertificateRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func isRevoked(_ db: any SQLDatabase, uvci: String) async throws -> Bool {
        try await db.raw("SELECT uvci FROM certificate_revocations WHERE uvci = \(bind: uvci)").first() != nil
    }

    /// Splits a Vietnamese full name into the DCC's family name (first word) and given names (the rest).
    static func dccName(_ fullName: String) -> DCCName {
        let words = fullName.split(whereSeparator: \.isWhitespace).map(String.init)
        let family = words.first ?? fullName
        let given = words.dropFirst().joined(separator: " ")
        return DCCName(familyName: family, givenName: given.isEmpty ? nil : given)
    }

    /// Issues (or returns the unrevoked one already issued for) the certificate of a person's latest dose. One
    /// set aside by a merge that renumbered its dose is not returned: a new one carries the right number.
    package func issue(personID: String, user: CurrentUser, language l: Language) async throws -> CertificateRecord {
        guard user.can(.issueCertificates) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        let signer = try SigningService.open(services.settings).signer(.vaccination)
        return try await database.transaction { db in
            guard let person = try await VaccinationService.person(db, id: personID), scope.contains(unitPath: person.unitPath, groupCode: person.groupCode) || scope.wholeWard.contains(unitPath: person.unitPath, groupCode: person.groupCode) else {
                throw AppError.notFound
            }
            let doses = try await VaccinationService.doses(db, personID: person.id)
            guard let dose = doses.last else {
                throw AppError.invalid("Người này chưa có mũi tiêm nào được ghi nhận.", "No dose is recorded for this person.", details: ["person_id": "no_dose"])
            }
            guard let birth = person.birthDate, let product = VaccineCatalog.product(dose.productCode) else {
                throw AppError.invalid("Hồ sơ thiếu ngày sinh hoặc vắc xin không có trong danh mục.", "The record lacks a date of birth or the vaccine is not in the catalogue.")
            }
            if let existing = try await db.raw("""
                SELECT \(unsafeRaw: CertificateRecord.columns) FROM vaccine_certificates c WHERE c.dose_id = \(bind: dose.id) AND c.superseded_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.uvci = c.uvci) ORDER BY c.issued_at DESC LIMIT 1
                """).first(decoding: CertificateRecord.self, keyDecodingStrategy: .memoizedSnakeCase) {
                return existing
            }
            let series = doses.first.flatMap { VaccineCatalog.product($0.productCode) }?.seriesDoses ?? product.seriesDoses
            let uvci = try UVCI.make(country: "VN", opaqueID: "EPI" + UVCI.randomOpaqueID(length: 17))
            let dcc = DigitalCovidCertificate(name: Self.dccName(person.fullName), dateOfBirth: birth, vaccination: DCCVaccination(
                vaccineOrProphylaxis: product.vaccineType, medicinalProduct: product.code, marketingAuthorizationHolder: product.manufacturerCode,
                doseNumber: dose.doseNumber, totalSeriesOfDoses: max(series, min(dose.doseNumber, 9)), dateOfVaccination: dose.givenOn, country: "VN",
                certificateIssuer: "Ministry of Health of Viet Nam", certificateIdentifier: uvci))
            // Real time, not the data's (simulated) clock: a signature's date must follow its key's
            // certificate, and verifiers everywhere judge expiry by their own clocks.
            let issuedAt = Date()
            let expiresAt = issuedAt.addingTimeInterval(Self.validity)
            let payload: String
            do {
                payload = try HC1Issuer(privateKey: signer.privateKey, kid: signer.certificate.kid).issue(dcc, issuedAt: issuedAt, expiresAt: expiresAt)
            } catch {
                throw AppError(.unprocessableContent, code: "certificate_invalid", vi: "Không lập được chứng nhận từ hồ sơ này (\(error)).", en: "Could not issue a certificate from this record (\(error)).")
            }
            let record = CertificateRecord(id: Identifier.make(), uvci: uvci, personId: person.id, unitPath: person.unitPath, groupCode: person.groupCode ?? "", doseId: dose.id,
                                           payload: payload, kid: Hex.encode(signer.certificate.kid), issuedAt: Timestamp.string(issuedAt), expiresAt: Timestamp.string(expiresAt),
                                           createdBy: user.username)
            try await db.raw("""
                INSERT INTO vaccine_certificates (\(unsafeRaw: CertificateRecord.columns)) VALUES (\(bind: record.id), \(bind: uvci), \(bind: person.id), \(bind: record.unitPath),
                \(bind: record.groupCode), \(bind: dose.id), \(bind: payload), \(bind: record.kid), \(bind: record.issuedAt), \(bind: record.expiresAt), \(bind: user.username))
                """).run()
            try await Audit.record(db, actor: user, action: "issue_certificate", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath),
                                   summary: "Cấp chứng nhận tiêm chủng \(uvci)", changes: [FieldChange("uvci", old: nil, new: uvci)])
            return record
        }
    }

    /// Revokes a certificate by its UVCI; repeating it changes nothing.
    package func revoke(certificateID: String, reason raw: String?, user: CurrentUser, language l: Language) async throws -> CertificateRecord {
        guard user.can(.revokeCertificates) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        guard let reason = raw.nonBlank.map({ String($0.prefix(TextLimits.title)) }) else {
            throw AppError.invalid("Nhập lý do thu hồi.", "Give the reason for revoking.", details: ["reason": msg(l, "Nhập lý do thu hồi.", "Give the reason.")])
        }
        let revoked = try await database.transaction { db in
            guard let cert = try await Self.certificate(db, id: certificateID, scope: scope) else { throw AppError.notFound }
            if try await Self.isRevoked(db, uvci: cert.uvci) { return cert }
            try await db.raw("""
                INSERT INTO certificate_revocations (uvci, unit_path, reason, revoked_by, revoked_at) VALUES (\(bind: cert.uvci), \(bind: cert.unitPath), \(bind: reason), \(bind: user.username), \(bind: Timestamp.now()))
                """).run()
            try await Audit.record(db, actor: user, action: "revoke_certificate", entityType: "person", entityId: cert.personId, unitPath: try? UnitPath(cert.unitPath),
                                   summary: "Thu hồi chứng nhận \(cert.uvci): \(reason)", changes: [FieldChange("uvci", old: cert.uvci, new: nil)])
            return cert
        }
        // Committed: from now on every check answers "revoked", with no read of the table.
        RevocationCache.shared.add(revoked.uvci, database: database)
        return revoked
    }

    /// Checks a code: signature by a trusted vaccination key, validity window, and the revocation list.
    package func check(_ code: String, now: Date = Date()) async throws -> CertificateCheck {
        let text = code.trimmedWhitespace
        let trust = try SigningService.open(services.settings).trustList(.vaccination)
        func invalid(_ reason: String) -> CertificateCheck {
            CertificateCheck(status: "invalid", reason: reason, uvci: nil, name: nil, dateOfBirth: nil, doseNumber: nil, seriesDoses: nil, vaccinatedOn: nil, product: nil, expiresAt: nil)
        }
        guard text.hasPrefix(HC1.prefix) else { return invalid("unknown_prefix") }
        let verified: VerifiedHC1
        var status = "valid"
        do {
            verified = try HC1Verifier(trustList: trust).verify(text, now: now)
        } catch {
            switch error {
            case .expired:
                // Read the holder anyway (the signature is checked again at a time inside the window).
                guard let old = try? HC1Verifier(trustList: trust).verify(text, now: now.addingTimeInterval(-Self.validity)) else {
                    return CertificateCheck(status: "expired", reason: "expired", uvci: nil, name: nil, dateOfBirth: nil, doseNumber: nil, seriesDoses: nil, vaccinatedOn: nil, product: nil, expiresAt: nil)
                }
                verified = old
                status = "expired"
            case .notYetValid: return invalid("not_yet_valid")
            case .badSignature: return invalid("bad_signature")
            case .unknownKid: return invalid("unknown_key")
            default: return invalid("malformed")
            }
        }
        let c = verified.claims.certificate
        let uvci = c.vaccination.certificateIdentifier
        if status == "valid", try await RevocationCache.shared.contains(uvci, database: database, now: now) { status = "revoked" }
        let name = [c.name.familyName, c.name.givenName].compactMap { $0 }.joined(separator: " ")
        return CertificateCheck(status: status, reason: nil, uvci: uvci, name: name.isEmpty ? c.name.familyNameTransliterated : name, dateOfBirth: c.dateOfBirth,
                                doseNumber: c.vaccination.doseNumber, seriesDoses: c.vaccination.totalSeriesOfDoses, vaccinatedOn: c.vaccination.dateOfVaccination,
                                product: VaccineCatalog.product(c.vaccination.medicinalProduct)?.name ?? c.vaccination.medicinalProduct,
                                expiresAt: verified.claims.expiresAt.map { Timestamp.string(Date(timeIntervalSince1970: TimeInterval($0))) })
    }
}

/// Revoked UVCIs in memory, so a verification reads no table: loaded once per database, added to at once by
/// every revocation made here (revocations are never undone, so the set only grows), and read again from the
/// table at most once a minute for revocations another server made.
final class RevocationCache: Sendable {
    static let shared = RevocationCache()
    static let reload: TimeInterval = 60

    private struct Entry: Sendable {
        weak var database: Database?
        var uvcis: Set<String>
        var loadedAt: Date
    }
    // Per database: tests and benches run several apps in one process, each with its own revocations.
    private let entries = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    func contains(_ uvci: String, database: Database, now: Date = Date()) async throws -> Bool {
        let key = ObjectIdentifier(database)
        let cached: Bool? = entries.withLockedValue { table in
            guard let e = table[key], e.database === database, now.timeIntervalSince(e.loadedAt) < Self.reload else { return nil }
            return e.uvcis.contains(uvci)
        }
        if let cached { return cached }
        let stored = try await database.read { db in
            try await db.raw("SELECT uvci FROM certificate_revocations").all().map { try $0.decode(column: "uvci", as: String.self) }
        }
        return entries.withLockedValue { table in
            table = table.filter { $0.value.database != nil }
            var all = Set(stored)
            // A revocation committed while the table was read is kept (the union never loses one).
            if let e = table[key], e.database === database { all.formUnion(e.uvcis) }
            table[key] = Entry(database: database, uvcis: all, loadedAt: now)
            return all.contains(uvci)
        }
    }

    func add(_ uvci: String, database: Database) {
        entries.withLockedValue { table in
            guard let e = table[ObjectIdentifier(database)], e.database === database else { return }
            table[ObjectIdentifier(database)]?.uvcis.insert(uvci)
        }
    }
}
