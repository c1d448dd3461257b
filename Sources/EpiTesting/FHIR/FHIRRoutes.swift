import EpiCore
import EpiLabFormats
import EpiPlatform
import EpiRegistry
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SQLKit

/// The FHIR R4 read API (`/fhir`): a registered person as a Patient, their Observations, F0s as
/// Conditions, and the Bulk Data export of a unit. Scoped like every other read (outside the caller's
/// jurisdiction is 404), audited as views of the people shown. Errors become OperationOutcome in
/// `ErrorMiddleware`, so the ones raised before a handler runs (sign-in, permission, no such path) do too.
package struct FHIRRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func register(_ fhir: Routes<AuthedContext>) {
        fhir.get("Patient/:id", .can(.exportFHIR), use: patient)
        fhir.get("Observation", .can(.exportFHIR), use: observations)
        fhir.get("Observation/:id", .can(.exportFHIR), use: observation)
        fhir.get("Condition", .can(.exportFHIR), use: conditions)
        fhir.get("Group/:slug/$export", .can(.exportFHIR), use: kickOff)
        fhir.get("bulk/:id", .can(.exportFHIR), use: status)
        fhir.get("bulk/:id/:file", .can(.exportFHIR), use: file)
    }

    /// Where this server is reached, as the caller reached it: Bulk Data clients fetch the manifest's
    /// URLs as given, so they must be absolute (there is no configured public address to prefer).
    /// The Host (HTTP/1) or :authority is taken only when it is a plain host[:port], so a forged one cannot
    /// slip a path, query or markup into the URLs; otherwise the configured host and port. The scheme is
    /// https behind a proxy that says so (X-Forwarded-Proto) or when cookies are marked Secure.
    func baseURL(_ request: Request) -> String {
        let forwarded = HTTPField.Name("X-Forwarded-Proto").flatMap { request.headers[$0] }?.lowercased()
        let scheme = forwarded == "https" || forwarded == "http" ? forwarded ?? "http" : services.settings.secureCookies ? "https" : "http"
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        let host = request.head.authority.flatMap { $0.isEmpty || $0.count > 255 || !$0.allSatisfy(allowed.contains) ? nil : $0 }
        return "\(scheme)://\(host ?? "\(services.settings.host):\(services.settings.port)")"
    }

    private func scope(_ context: AuthedContext) async throws -> Scope { try await Scope.of(context.user, directory: services.directory) }

    /// "Patient/123" or "123".
    static func personID(_ raw: String?) -> String? {
        guard let raw = raw?.trimmed, !raw.isEmpty, raw.count <= 100 else { return nil }
        return raw.hasPrefix("Patient/") ? String(raw.dropFirst("Patient/".count)) : raw
    }

    @Sendable func patient(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        guard let person = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Xem hồ sơ qua FHIR (Patient)")
        var resource = try FHIREncoder.patient(FHIRMapping.patient(person), id: person.id)
        // A merge of duplicates, as FHIR says it (Patient.link): a system that kept the duplicate's id is told
        // which record replaced it, and the record kept names the ids it replaces.
        func link(_ other: String, _ type: String) -> JSONObject {
            var reference = JSONObject()
            reference.set("reference", "Patient/\(other)")
            var l = JSONObject()
            l.set("other", reference)
            l.set("type", type)
            return l
        }
        if let survivor = person.mergedInto {
            resource.set("active", .bool(false))
            resource.set("link", [link(survivor, "replaced-by")])
        } else {
            let replaced = try await database.read { db in
                try await db.raw("SELECT merged_id FROM person_merges WHERE survivor_id = \(bind: person.id) ORDER BY merged_at LIMIT 20").all()
                    .map { try $0.decode(column: "merged_id", as: String.self) }
            }
            if !replaced.isEmpty {
                resource.set("active", .bool(true))
                resource.set("link", replaced.map { link($0, "replaces") })
            }
        }
        return FHIRResponse.json(resource, status: 200)
    }

    @Sendable func observations(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        guard let id = Self.personID(request.q("patient") ?? request.q("subject")) else {
            throw AppError.invalid("Cần tham số patient (Patient/{id}).", "The patient parameter (Patient/{id}) is required.", details: ["patient": "required"])
        }
        guard let person = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        let resources = try await database.read { try await FHIRMapping.observations($0, person: person) }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Xem kết quả xét nghiệm qua FHIR (Observation)")
        let entries = resources.compactMap { r -> FHIREncoder.SearchEntry? in
            guard let rid = r["id"]?.stringValue else { return nil }
            return FHIREncoder.SearchEntry(fullUrl: "urn:epicommand:Observation/\(rid)", resource: r)
        }
        return FHIRResponse.json(FHIREncoder.searchset(entries, total: entries.count, selfURL: "/fhir/Observation?patient=Patient/\(person.id)", timestamp: Clock.now()), status: 200)
    }

    /// One Observation: what a search entry's id or a result POST's `Location` points to.
    @Sendable func observation(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        guard let found = try await database.read({ try await FHIRMapping.observation($0, id: id, scope: scope) }) else { throw AppError.notFound }
        if let person = found.person {
            try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Xem kết quả xét nghiệm qua FHIR (Observation)")
        }
        return FHIRResponse.json(found.resource, status: 200)
    }

    /// F0 cases as Conditions: one person's (`patient=`), or every F0 in the caller's jurisdiction, newest first, in pages.
    @Sendable func conditions(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let count = max(1, min(request.q("_count").flatMap { Int($0) } ?? 50, 200))
        var people: [(String, String)] = []
        var nextURL: String?
        if let raw = request.q("patient") ?? request.q("subject") {
            guard let id = Self.personID(raw), let person = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
            people = [(person.id, person.unitPath)]
        } else {
            var sql: SQLQueryString = "SELECT id, person_id, unit_path, confirmed_on FROM cases WHERE outcome <> 'ruled_out' AND \(scope.condition())"
            if let (on, id) = Cursor.decode(request.q("_cursor")) { sql = "\(sql) AND (confirmed_on < \(bind: on) OR (confirmed_on = \(bind: on) AND id < \(bind: id)))" }
            sql = "\(sql) ORDER BY confirmed_on DESC, id DESC LIMIT \(literal: count + 1)"
            let query = sql
            let rows = try await database.read { try await $0.raw(query).all() }
            for row in rows.prefix(count) { people.append((try row.decode(column: "person_id", as: String.self), try row.decode(column: "unit_path", as: String.self))) }
            if rows.count > count, let last = rows.prefix(count).last {
                nextURL = "/fhir/Condition?_count=\(count)&_cursor=\(Cursor.encode(try last.decode(column: "confirmed_on", as: String.self), try last.decode(column: "id", as: String.self)))"
            }
        }
        var seen = Set<String>()
        let ids = people.map(\.0).filter { seen.insert($0).inserted }
        let resources = try await database.read { try await FHIRMapping.conditions($0, personIDs: ids) }
        try await Audit.viewed(database, user: context.user, people: people, summary: "Xem ca F0 qua FHIR (Condition)")
        let entries = resources.compactMap { r -> FHIREncoder.SearchEntry? in
            guard let rid = r["id"]?.stringValue else { return nil }
            return FHIREncoder.SearchEntry(fullUrl: "urn:epicommand:Condition/\(rid)", resource: r)
        }
        return FHIRResponse.json(FHIREncoder.searchset(entries, total: entries.count, selfURL: "/fhir/Condition", nextURL: nextURL, timestamp: Clock.now()), status: 200)
    }

    /// Bulk Data kick-off for a unit (`Group/{unit}/$export`): 202 with where to poll.
    @Sendable func kickOff(_ request: Request, context: AuthedContext) async throws -> Response {
        let slug = try context.parameters.require("slug")
        guard let path = try? UnitPath(slug: slug.replacingOccurrences(of: "/", with: ".")), context.user.covers(path), try await services.directory.unit(path.string) != nil else {
            throw AppError.notFound
        }
        let id = Identifier.make()
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO fhir_exports (id, unit_path, user_id, username, request_url, status, created_at) VALUES (\(bind: id), \(bind: path.string), \(bind: context.user.id),
                \(bind: context.user.username), \(bind: "/fhir/Group/\(path.slug)/$export"), 'queued', \(bind: Timestamp.now()))
                """).run()
            try await Audit.record(db, actor: context.user, action: "export", entityType: "fhir_export", entityId: id, unitPath: path, summary: "Yêu cầu xuất FHIR Bulk Data: \(path.string)")
        }
        try await services.jobs.enqueue(FHIRBulkExport.kind, by: context.user, reason: "Xuất FHIR \(path.string)")
        return Response(status: .accepted, headers: [HTTPField.Name("Content-Location") ?? .location: "\(baseURL(request))/fhir/bulk/\(id)", .cacheControl: "no-store"])
    }

    private func export(_ context: AuthedContext) async throws -> (id: String, status: String, createdAt: String, requestURL: String) {
        let id = try context.parameters.require("id")
        // Only whoever asked for an export may collect it.
        guard let row = try await database.read({ try await $0.raw("SELECT id, status, created_at, request_url FROM fhir_exports WHERE id = \(bind: id) AND user_id = \(bind: context.user.id)").first() }) else {
            throw AppError.notFound
        }
        return (id, try row.decode(column: "status", as: String.self), try row.decode(column: "created_at", as: String.self), try row.decode(column: "request_url", as: String.self))
    }

    @Sendable func status(_ request: Request, context: AuthedContext) async throws -> Response {
        let e = try await export(context)
        switch e.status {
        case "done":
            let files = try await database.read { try await $0.raw("SELECT resource_type, part, count FROM fhir_export_files WHERE export_id = \(bind: e.id) ORDER BY resource_type, part").all() }
            var manifest = JSONObject()
            manifest.set("transactionTime", e.createdAt)
            let base = baseURL(request)
            // Stored as a path, so the manifest follows the address the client used to poll.
            manifest.set("request", e.requestURL.hasPrefix("/") ? base + e.requestURL : e.requestURL)
            manifest.set("requiresAccessToken", JSONValue.bool(true))
            manifest.set("output", try files.map { row -> JSONObject in
                let type = try row.decode(column: "resource_type", as: String.self), part = try row.decode(column: "part", as: Int.self)
                var o = JSONObject()
                o.set("type", type)
                o.set("url", "\(base)/fhir/bulk/\(e.id)/\(type)-\(part).ndjson")
                o.set("count", JSONValue.int(try row.decode(column: "count", as: Int.self)))
                return o
            })
            manifest.set("error", JSONValue.array([]))
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: Array(JSONWriter.string(manifest).utf8))))
        case "failed":
            throw AppError(.internalServerError, code: "export_failed", vi: "Xuất dữ liệu không thành công; hãy yêu cầu lại.", en: "The export failed; request it again.")
        default:
            return Response(status: .accepted, headers: [HTTPField.Name("X-Progress") ?? .cacheControl: e.status == "queued" ? "queued" : "in progress", .cacheControl: "no-store",
                                                         HTTPField.Name("Retry-After") ?? .cacheControl: "2"])
        }
    }

    @Sendable func file(_ request: Request, context: AuthedContext) async throws -> Response {
        let e = try await export(context)
        let name = try context.parameters.require("file")
        guard name.hasSuffix(".ndjson"), let dash = name.lastIndex(of: "-") else { throw AppError.notFound }
        let type = String(name[..<dash]), part = Int(name[name.index(after: dash)...].dropLast(".ndjson".count)) ?? -1
        guard let row = try await database.read({ try await $0.raw("SELECT body FROM fhir_export_files WHERE export_id = \(bind: e.id) AND resource_type = \(bind: type) AND part = \(bind: part)").first() }) else {
            throw AppError.notFound
        }
        return Response(status: .ok, headers: [.contentType: "application/fhir+ndjson", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: try row.decode(column: "body", as: String.self))))
    }
}
