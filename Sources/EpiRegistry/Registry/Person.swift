import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// A person as stored in the registry.
package struct PersonRecord: Codable, Sendable, Equatable {
    package var id: String
    package var fullName: String
    package var nameFolded: String
    package var givenFolded: String
    package var sex: String?
    package var birthDate: String?
    package var citizenId: String?
    package var oldId: String?
    package var phone: String?
    package var address: String
    /// The lowest administrative unit (ward/commune) the person lives in.
    package var unitPath: String
    /// The residential group (tổ dân phố / thôn) inside that unit, if known.
    package var groupCode: String?
    package var householdCode: String?
    package var residenceStatus: String
    package var residentUntil: String?
    package var mergedInto: String?
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package init(id: String, fullName: String, nameFolded: String, givenFolded: String, sex: String? = nil, birthDate: String? = nil, citizenId: String? = nil, oldId: String? = nil, phone: String? = nil, address: String, unitPath: String, groupCode: String? = nil, householdCode: String? = nil, residenceStatus: String, residentUntil: String? = nil, mergedInto: String? = nil, createdAt: String, updatedAt: String, version: Int) {
        self.id = id
        self.fullName = fullName
        self.nameFolded = nameFolded
        self.givenFolded = givenFolded
        self.sex = sex
        self.birthDate = birthDate
        self.citizenId = citizenId
        self.oldId = oldId
        self.phone = phone
        self.address = address
        self.unitPath = unitPath
        self.groupCode = groupCode
        self.householdCode = householdCode
        self.residenceStatus = residenceStatus
        self.residentUntil = residentUntil
        self.mergedInto = mergedInto
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    static let columns = "id, full_name, name_folded, given_folded, sex, birth_date, citizen_id, old_id, phone, address, unit_path, group_code, household_code, residence_status, resident_until, merged_into, created_at, updated_at, version"

    /// The values that people edit, as text for audit diffs.
    package var auditFields: [(String, String?)] {
        [("full_name", fullName), ("sex", sex), ("birth_date", birthDate), ("citizen_id", citizenId), ("old_id", oldId), ("phone", phone),
         ("address", address), ("unit_path", unitPath), ("group_code", groupCode), ("household_code", householdCode),
         ("residence_status", residenceStatus), ("resident_until", residentUntil)]
    }

    func changes(to other: PersonRecord) -> [FieldChange] {
        zip(auditFields, other.auditFields).compactMap { a, b in a.1 == b.1 ? nil : FieldChange(a.0, old: a.1, new: b.1) }
    }

    /// The path used for jurisdiction checks: the group below the ward when known.
    var effectivePath: String {
        if let groupCode { return "\(unitPath)/\(groupCode)" }
        return unitPath
    }

    var binds: [any Encodable & Sendable] {
        [id, fullName, nameFolded, givenFolded, sex, birthDate, citizenId, oldId, phone, address, unitPath, groupCode, householdCode,
         residenceStatus, residentUntil, mergedInto, createdAt, updatedAt, version]
    }
}

/// What a form or API client sends to create or edit a person; every field is validated into a `PersonRecord`.
package struct PersonInput: Codable, Sendable {
    package var fullName: String?
    package var sex: String?
    package var birthDate: String?
    package var citizenId: String?
    package var oldId: String?
    package var phone: String?
    package var address: String?
    /// Ward path (01/007/00295) or ward code (00295).
    package var unit: String?
    package var groupCode: String?
    package var householdCode: String?
    package var residenceStatus: String?
    package var residentUntil: String?
    package var version: Int?
    /// Set after the user has seen a possible-duplicate warning and wants to proceed.
    package var confirmDuplicate: Bool?

    package init() {}

    /// A field missing from the form stays nil (keep the stored value); a field sent blank is "" (clear it).
    init(form: FormData) {
        func field(_ name: String) -> String? { form.fields[name].map { $0.trimmedWhitespace } }
        fullName = field("full_name")
        sex = field("sex")
        birthDate = field("birth_date")
        citizenId = field("citizen_id")
        oldId = field("old_id")
        phone = field("phone")
        address = field("address")
        unit = field("unit")
        groupCode = field("group_code")
        householdCode = field("household_code")
        residenceStatus = field("residence_status")
        residentUntil = field("resident_until")
        version = form.value("version").flatMap(Int.init)
        confirmDuplicate = form.value("confirm_duplicate") == "1"
    }

    var formValues: [String: String] {
        ["full_name": fullName ?? "", "sex": sex ?? "", "birth_date": birthDate ?? "", "citizen_id": citizenId ?? "", "old_id": oldId ?? "",
         "phone": phone ?? "", "address": address ?? "", "unit": unit ?? "", "group_code": groupCode ?? "", "household_code": householdCode ?? "",
         "residence_status": residenceStatus ?? "", "resident_until": residentUntil ?? "", "version": version.map(String.init) ?? ""]
    }

    /// Fields the client did not send keep the stored values, so a partial update changes only what it names.
    func filled(from record: PersonRecord) -> PersonInput {
        let stored = PersonInput.from(record)
        var merged = self
        merged.fullName = fullName ?? stored.fullName
        merged.sex = sex ?? stored.sex
        merged.birthDate = birthDate ?? stored.birthDate
        merged.citizenId = citizenId ?? stored.citizenId
        merged.oldId = oldId ?? stored.oldId
        merged.phone = phone ?? stored.phone
        merged.address = address ?? stored.address
        merged.unit = (unit?.isEmpty == false ? unit : nil) ?? stored.unit
        merged.groupCode = groupCode ?? stored.groupCode
        merged.householdCode = householdCode ?? stored.householdCode
        merged.residenceStatus = residenceStatus ?? stored.residenceStatus
        merged.residentUntil = residentUntil ?? stored.residentUntil
        return merged
    }

    static func from(_ record: PersonRecord) -> PersonInput {
        var input = PersonInput()
        input.fullName = record.fullName
        input.sex = record.sex
        input.birthDate = record.birthDate
        input.citizenId = record.citizenId
        input.oldId = record.oldId
        input.phone = record.phone.flatMap { try? PhoneNumber(parsing: $0).national }
        input.address = record.address
        input.unit = record.unitPath
        input.groupCode = record.groupCode
        input.householdCode = record.householdCode
        input.residenceStatus = record.residenceStatus
        input.residentUntil = record.residentUntil
        input.version = record.version
        return input
    }
}

/// Turns input into a record, collecting every field problem (shown next to each input) and warnings.
package struct PersonValidator {
    package var errors: [String: String] = [:]
    var warnings: [String] = []
    let language: Language

    package init(errors: [String: String] = [:], warnings: [String] = [], language: Language) {
        self.errors = errors
        self.warnings = warnings
        self.language = language
    }

    private func msg(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }

    package mutating func validate(_ input: PersonInput, unitPath: String?, base: PersonRecord?) -> PersonRecord? {
        let now = Timestamp.now()
        let name = VietnameseText.normalizeName(input.fullName ?? "")
        if name.isEmpty { errors["full_name"] = msg("Họ tên là bắt buộc.", "Full name is required.") }
        else if name.count > TextLimits.name { errors["full_name"] = msg("Họ tên dài quá \(TextLimits.name) ký tự.", "Full name is longer than \(TextLimits.name) characters.") }
        if (input.address ?? "").count > TextLimits.address { errors["address"] = msg("Địa chỉ dài quá \(TextLimits.address) ký tự.", "Address is longer than \(TextLimits.address) characters.") }
        if (input.householdCode ?? "").count > TextLimits.code { errors["household_code"] = msg("Mã hộ dài quá \(TextLimits.code) ký tự.", "Household code is longer than \(TextLimits.code) characters.") }
        var sex: Sex?
        if let raw = input.sex, !raw.isEmpty {
            sex = Sex(rawValue: raw) ?? Sex.parse(raw)
            if sex == nil { errors["sex"] = msg("Giới tính không hợp lệ.", "Invalid sex.") }
        }
        var birth: CivilDate?
        if let raw = input.birthDate, !raw.isEmpty {
            do {
                let date = try CivilDate(parsing: raw)
                if date > Clock.today() { errors["birth_date"] = msg("Ngày sinh ở tương lai.", "Birth date is in the future.") }
                else if date.year < 1900 { errors["birth_date"] = msg("Năm sinh trước 1900.", "Birth year before 1900.") }
                else { birth = date }
            } catch {
                errors["birth_date"] = msg(error.messageVI, error.messageEN)
            }
        }
        var citizen: CitizenID?
        if let raw = input.citizenId, !raw.isEmpty {
            do {
                citizen = try CitizenID(parsing: raw)
                for mismatch in citizen?.mismatches(sex: sex, birthYear: birth?.year) ?? [] {
                    warnings.append(msg(mismatch.messageVI, mismatch.messageEN))
                }
            } catch {
                errors["citizen_id"] = msg(error.messageVI, error.messageEN)
            }
        }
        var old: CitizenID?
        if let raw = input.oldId, !raw.isEmpty {
            do {
                old = try CitizenID(parsing: raw)
                if old?.kind != .cmnd { errors["old_id"] = msg("CMND cũ phải có 9 chữ số.", "The old ID card number has 9 digits.") }
            } catch {
                errors["old_id"] = msg(error.messageVI, error.messageEN)
            }
        }
        var phone: PhoneNumber?
        if let raw = input.phone, !raw.isEmpty {
            do { phone = try PhoneNumber(parsing: raw) } catch { errors["phone"] = msg(error.messageVI, error.messageEN) }
        }
        var status = ResidenceStatus.permanent
        if let raw = input.residenceStatus, !raw.isEmpty {
            if let parsed = ResidenceStatus(rawValue: raw) ?? ResidenceStatus.parse(raw) { status = parsed }
            else { errors["residence_status"] = msg("Tình trạng cư trú không hợp lệ.", "Invalid residence status.") }
        }
        var until: CivilDate?
        if let raw = input.residentUntil, !raw.isEmpty {
            do { until = try CivilDate(parsing: raw) } catch { errors["resident_until"] = msg(error.messageVI, error.messageEN) }
        }
        if unitPath == nil { errors["unit"] = msg("Chọn phường/xã nơi ở trong địa bàn của bạn.", "Choose a ward within your jurisdiction.") }
        guard errors.isEmpty, let unitPath else { return nil }
        // A 9-digit number typed in the citizen ID box is an old CMND.
        if let c = citizen, c.kind == .cmnd, old == nil { old = c; citizen = nil }
        return PersonRecord(
            id: base?.id ?? Identifier.make(),
            fullName: name,
            nameFolded: VietnameseText.fold(name),
            givenFolded: VietnameseText.givenNameKey(name),
            sex: sex?.rawValue,
            birthDate: birth?.iso,
            citizenId: citizen?.digits,
            oldId: old?.digits,
            phone: phone?.e164,
            address: (input.address ?? "").trimmedWhitespace,
            unitPath: unitPath,
            groupCode: input.groupCode.flatMap { $0.isEmpty ? nil : $0 },
            householdCode: input.householdCode.flatMap { $0.isEmpty ? nil : $0.uppercased() },
            residenceStatus: status.rawValue,
            residentUntil: status == .permanent ? nil : until?.iso,
            mergedInto: base?.mergedInto,
            createdAt: base?.createdAt ?? now,
            updatedAt: now,
            version: (base?.version ?? 0) + 1
        )
    }
}
