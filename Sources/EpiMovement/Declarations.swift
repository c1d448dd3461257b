import Crypto
import EpiCodecs
import EpiCore
import EpiPlatform
import EpiSigning
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import SQLKit

/// The public health declaration (khai báo y tế): no account, a phone in the street. It returns a signed
/// code valid 72 hours that checkpoints read; a declared symptom opens a task for the ward's health station.
///
/// Bots are kept out with no third-party service: the form carries a token signed by this server (HMAC
/// with a key made at start-up) that must be at least a few seconds old and at most two hours, a hidden
/// field people never fill (a honeypot), and a per-client rate limit. The token's nonce is also the
/// declaration's unique key, so a form sent twice (a double tap, a retry) stores one declaration.
package enum DeclarationForm {
    // Immutable after start-up; SymmetricKey is not marked Sendable.
    nonisolated(unsafe) static let key = SymmetricKey(size: .bits256)
    package static let minimumFill: TimeInterval = 3
    static let maximumAge: TimeInterval = 2 * 3600

    package static func token(now: Date = Date()) -> String {
        let body = "\(Int(now.timeIntervalSince1970)).\(Identifier.make())"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)
        return body + "." + Data(mac).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
    }

    /// The nonce of a good token, or why it is refused.
    static func check(_ token: String?, now: Date = Date()) -> Result<String, AppError> {
        let parts = (token ?? "").split(separator: ".").map(String.init)
        guard parts.count == 3, let issued = TimeInterval(parts[0]) else { return .failure(refused) }
        let body = parts[0] + "." + parts[1]
        let expected = Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)).base64EncodedString()
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        guard constantTimeEquals(expected, parts[2]) else { return .failure(refused) }
        let age = now.timeIntervalSince1970 - issued
        if age < minimumFill { return .failure(AppError.invalid("Gửi quá nhanh: vui lòng kiểm tra lại thông tin rồi gửi.", "Sent too fast: please check the form and send again.")) }
        if age > maximumAge { return .failure(AppError.invalid("Biểu mẫu đã quá 2 giờ: vui lòng tải lại trang.", "The form is over 2 hours old: please reload the page.")) }
        return .success(parts[1])
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static let refused = AppError.invalid("Biểu mẫu không hợp lệ: vui lòng tải lại trang.", "Invalid form: please reload the page.")
}

package struct DeclarationInput: Codable, Sendable {
    package var formToken: String?
    package var website: String?
    package var fullName: String?
    package var phone: String?
    package var citizenId: String?
    package var unit: String?
    package var symptoms: [String]?
    package var travel: String?
    package var contact: Bool?
}

package enum Symptom: String, CaseIterable, Sendable {
    case fever, cough, breath = "short_breath", taste = "loss_of_taste", sore = "sore_throat", tired = "fatigue"

    var label: (String, String) {
        switch self {
        case .fever: return ("Sốt", "Fever")
        case .cough: return ("Ho", "Cough")
        case .breath: return ("Khó thở", "Shortness of breath")
        case .taste: return ("Mất vị giác, khứu giác", "Loss of taste or smell")
        case .sore: return ("Đau họng", "Sore throat")
        case .tired: return ("Mệt mỏi", "Fatigue")
        }
    }
}

package struct DeclarationRoutes: Sendable {
    let services: AppServices
    /// Per client (the proxy's X-Forwarded-For / X-Real-IP); direct clients share one wider bucket.
    static let perClient = RateLimiter(limit: 10, window: 600)
    static let direct = RateLimiter(limit: 3000, window: 60)

    /// Declarations of many citizens written in one transaction per group; each answered once its group
    /// has committed.
    let writer: GroupCommitter<DeclarationRow, DeclarationRow.Stored>

    package init(services: AppServices) {
        self.services = services
        let database = services.database
        self.writer = GroupCommitter(maxGroup: 256) { rows in try await database.transaction { try await DeclarationRow.store($0, rows) } }
    }

    package func register(_ open: Routes<AppRequestContext>) {
        open.get("khai-bao-y-te", .open, use: page)
        open.post("khai-bao-y-te", .open, use: submitPage)
        open.get("api/v1/public/declarations/form-token", .open, use: apiToken)
        open.post("api/v1/public/declarations", .open, use: apiSubmit)
    }

    /// Who is asking: the client a trusted proxy names (the last address it appended to
    /// `X-Forwarded-For`, or `X-Real-IP`), or else the socket's peer. A header from anyone else is ignored,
    /// since a bot could write a new address into it for every submission.
    static func client(_ request: Request, peer: String?, trusted: Set<String>) -> (key: String, forwarded: Bool) {
        RateLimiter.client(request, peer: peer, trusted: trusted)
    }

    /// A citizen behind the proxy gets a few submissions per ten minutes; a direct peer (one office's
    /// shared address, or a server not configured with its proxy) a wider bucket of its own.
    func throttle(_ request: Request, context: AppRequestContext) throws {
        let client = Self.client(request, peer: context.peerAddress, trusted: services.settings.trustedProxies)
        let ok = client.forwarded ? Self.perClient.allow(client.key) : Self.direct.allow(client.key)
        guard ok else {
            throw AppError(.tooManyRequests, code: "rate_limited", vi: "Gửi quá nhiều lần: vui lòng thử lại sau ít phút.", en: "Too many submissions: please try again in a few minutes.")
        }
    }

    private func wards() async -> [(path: String, name: String)] {
        var out: [(String, String)] = []
        for u in await services.directory.all() where !u.isGroup {
            if await services.directory.isLowestAdministrative(u.path) { out.append((u.path, await services.directory.label(u.path))) }
        }
        return out.sorted { $0.1 < $1.1 }
    }

    private func render(_ context: AppRequestContext, values: [String: String], error: AppError?, done: [String: Any]?) async -> Response {
        let l = context.language
        var options: [[String: Any]] = []
        for w in await wards() { options.append(["path": w.path, "name": w.name, "selected": values["unit"] == w.path]) }
        return services.views.publicPage("movement/declare", title: l == .vi ? "Khai báo y tế" : "Health declaration", language: l, data: [
            "formToken": DeclarationForm.token(), "wards": options, "v": values,
            "symptoms": Symptom.allCases.map { s in ["code": s.rawValue, "label": l == .vi ? s.label.0 : s.label.1, "checked": values["sym_\(s.rawValue)"] != nil] },
            "error": error.map { e in ([e.message(l)] + e.details.keys.sorted().compactMap { e.details[$0] }).joined(separator: " ") } as Any,
            "done": done as Any,
        ], status: error?.status ?? .ok)
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        await render(context, values: [:], error: nil, done: nil)
    }

    @Sendable func submitPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let f = context.form ?? FormData()
        let input = DeclarationInput(formToken: f.value("form_token"), website: f.fields["website"], fullName: f.value("full_name"), phone: f.value("phone"),
                                     citizenId: f.value("citizen_id"), unit: f.value("unit"), symptoms: Symptom.allCases.map(\.rawValue).filter { f.value("sym_\($0)") != nil },
                                     travel: f.value("travel"), contact: f.value("contact") != nil)
        do {
            try throttle(request, context: context)
            let (code, expires, flagged) = try await declare(input, language: context.language)
            let svg = try QRImage.svg(code, pixelSize: 3)
            return await render(context, values: [:], error: nil, done: ["qr": svg, "code": code, "until": VietnamTime.display(expires), "flagged": flagged])
        } catch let error as AppError where [.unprocessableContent, .tooManyRequests].contains(error.status) {
            return await render(context, values: f.fields, error: error, done: nil)
        }
    }

    @Sendable func apiToken(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSON.response(["form_token": DeclarationForm.token(), "minimum_fill_seconds": String(Int(DeclarationForm.minimumFill))])
    }

    @Sendable func apiSubmit(_ request: Request, context: AppRequestContext) async throws -> Response {
        try throttle(request, context: context)
        var request = request
        let body = try await request.collectBody(upTo: BodyLimits.anonymous)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let input = try? decoder.decode(DeclarationInput.self, from: Data(body.readableBytesView)) else { throw AppError.invalid("Nội dung JSON không hợp lệ.", "Invalid JSON body.") }
        let (code, expires, flagged) = try await declare(input, language: context.language)
        struct Body: Encodable { let code: String; let expiresAt: String; let symptomFlag: Bool }
        return try JSON.response(["data": Body(code: code, expiresAt: Timestamp.string(expires), symptomFlag: flagged)], status: .created)
    }

    /// Stores a declaration once per form token, signs its code and, for a symptom, gives the ward a task.
    package func declare(_ input: DeclarationInput, language l: Language) async throws -> (code: String, expires: Date, flagged: Bool) {
        if let trap = input.website, !trap.isEmpty { throw DeclarationForm.refused }
        let nonce: String
        switch DeclarationForm.check(input.formToken) {
        case .success(let n): nonce = n
        case .failure(let e): throw e
        }
        var errors: [String: String] = [:]
        let name = (input.fullName ?? "").trimmed
        if name.isEmpty || name.count > TextLimits.name { errors["full_name"] = msg(l, "Nhập họ tên.", "Enter your name.") }
        var phone: String?
        do { phone = try PhoneNumber(parsing: input.phone ?? "").e164 } catch { errors["phone"] = msg(l, "Số điện thoại không hợp lệ.", "Invalid phone number.") }
        var cccd: String?
        if let raw = input.citizenId.nonBlank {
            do { cccd = try CitizenID(parsing: raw).digits } catch { errors["citizen_id"] = l == .vi ? error.messageVI : error.messageEN }
        }
        let ward = input.unit.nonBlank.map { $0.replacingOccurrences(of: ".", with: "/") } ?? ""
        let knownWard = ward.isEmpty ? false : await services.directory.isLowestAdministrative(ward)
        if !knownWard { errors["unit"] = msg(l, "Chọn phường/xã nơi đang ở.", "Choose the ward where you stay.") }
        let symptoms = (input.symptoms ?? []).compactMap(Symptom.init(rawValue:))
        let travel = String((input.travel ?? "").trimmed.prefix(TextLimits.title))
        let citizen = cccd
        guard errors.isEmpty, let phone else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let flagged = !symptoms.isEmpty || input.contact == true
        let now = Clock.now(), stamp = Timestamp.string(now)
        let expires = now.addingTimeInterval(TimeInterval(HealthDeclarationRule.validHours) * 3600)
        let id = Identifier.make()
        let code = try SignedCode.sign([("id", .text(id)), ("name", .text(name)), ("at", .text(stamp)), ("sym", .bool(flagged))], purpose: .declaration,
                                       issuedAt: now, expiresAt: expires, using: try SigningService.open(services.settings))
        let symptomText = symptoms.map(\.rawValue).joined(separator: ",")
        let labels = symptoms.map { $0.label.0 }.joined(separator: ", ")
        let row = DeclarationRow(id: id, nonce: nonce, name: name, phone: phone, citizenId: citizen, ward: ward, symptoms: symptomText, travel: travel, contact: input.contact == true,
                                 flagged: flagged, code: code, declaredAt: stamp, expiresAt: Timestamp.string(expires),
                                 taskDetail: "Người khai báo: \(name), \(phone). Triệu chứng: \(labels.isEmpty ? "không" : labels). Tiếp xúc F0: \(input.contact == true ? "có" : "không"). Đi lại: \(travel.isEmpty ? "không" : travel).",
                                 taskDue: Timestamp.string(now.addingTimeInterval(12 * 3600)))
        let result = try await writer.submit(row)
        return (result.code, Timestamp.date(result.expiresAt) ?? expires, result.flagged)
    }
}

/// One public declaration as the form made it, waiting for its group's transaction.
struct DeclarationRow: Sendable {
    let id: String
    let nonce: String
    let name: String
    let phone: String
    let citizenId: String?
    let ward: String
    let symptoms: String
    let travel: String
    let contact: Bool
    let flagged: Bool
    let code: String
    let declaredAt: String
    let expiresAt: String
    let taskDetail: String
    let taskDue: String

    /// What the citizen is shown: the declaration stored for the form, this one or one sent before.
    struct Stored: Sendable { let code: String; let expiresAt: String; let flagged: Bool }

    /// Stores a group of declarations: a form token already used (sent twice, in this group or
    /// before) answers with the declaration stored for it; each new one gets its audit row, and a
    /// flagged one a task for the ward's health station.
    static func store(_ db: any SQLDatabase, _ rows: [DeclarationRow]) async throws -> [Stored] {
        var stored: [String: Stored] = [:]
        var fresh: [DeclarationRow] = []
        var seen = Set<String>()
        for row in rows where seen.insert(row.nonce).inserted { fresh.append(row) }
        for start in stride(from: 0, to: fresh.count, by: 200) {
            let chunk = Array(fresh[start..<min(start + 200, fresh.count)])
            let values: [SQLQueryString] = chunk.map { r in
                """
                (\(bind: r.id), \(bind: r.nonce), \(bind: r.name), \(bind: r.phone), \(bind: r.citizenId), \(bind: r.ward), '', \(bind: r.symptoms), \(bind: r.travel), \(bind: r.contact), \
                \(bind: r.flagged), \(bind: r.code), \(bind: r.declaredAt), \(bind: r.expiresAt))
                """
            }
            let inserted = Set(try await db.raw("""
                INSERT INTO health_declarations (id, form_nonce, full_name, phone, citizen_id, unit_path, group_code, symptoms, travel, contact, flagged, code, declared_at, expires_at)
                VALUES \(SQLList(values)) ON CONFLICT (form_nonce) DO NOTHING RETURNING form_nonce
                """).all().map { try $0.decode(column: "form_nonce", as: String.self) })
            let new = chunk.filter { inserted.contains($0.nonce) }
            for r in new { stored[r.nonce] = Stored(code: r.code, expiresAt: r.expiresAt, flagged: r.flagged) }
            // The ward's health station follows up: a task in the ward's list, due within the day.
            try await TaskWriter.insert(db, new.filter(\.flagged).map { r in
                NewTask(unitPath: r.ward, creatorUnitPath: r.ward, title: "Trạm Y tế liên hệ người khai báo có triệu chứng: \(r.name)", details: r.taskDetail,
                        assigneeName: "Trạm Y tế phường", dueAt: r.taskDue, createdBy: "system", createdByName: "Khai báo y tế", createdAt: r.declaredAt)
            })
            for r in new {
                try await Audit.record(db, actor: nil, actorName: "public", action: "declare", entityType: "health_declaration", entityId: r.id, unitPath: try? UnitPath(r.ward),
                                       summary: r.flagged ? "Khai báo y tế có triệu chứng/tiếp xúc" : "Khai báo y tế")
            }
        }
        let earlier = Set(rows.map(\.nonce)).subtracting(stored.keys)
        for start in stride(from: 0, to: earlier.count, by: 400) {
            let nonces = Array(earlier)[start..<min(start + 400, earlier.count)]
            for row in try await db.raw("SELECT form_nonce, code, expires_at, flagged FROM health_declarations WHERE form_nonce IN (\(SQLList(nonces.map { SQLBind($0) })))").all() {
                stored[try row.decode(column: "form_nonce", as: String.self)] = Stored(code: try row.decode(column: "code", as: String.self),
                                                                                       expiresAt: try row.decode(column: "expires_at", as: String.self),
                                                                                       flagged: try row.decode(column: "flagged", as: Bool.self))
            }
        }
        return try rows.map { r in
            guard let s = stored[r.nonce] else { throw AppError(.internalServerError, code: "declaration_lost", vi: "Không lưu được tờ khai.", en: "The declaration was not stored.") }
            return s
        }
    }
}
