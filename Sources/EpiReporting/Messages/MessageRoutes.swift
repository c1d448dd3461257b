import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// The message stream of each unit, replacing the chat group: post an issue, mention units, attach
/// it to a report, flag it urgent, mark it handled. Pages under /messages, API under /api/v1/messages.
package struct MessageRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("messages", .can(.postMessages), use: stream)
        pages.post("messages", .can(.postMessages), use: postPage)
        pages.get("messages/:id", .can(.postMessages), use: show)
        pages.post("messages/:id/handled", .can(.postMessages), use: handledPage)
        api.get("messages", .can(.postMessages), use: apiStream)
        api.post("messages", .can(.postMessages), use: apiPost)
        api.post("messages/:id/handled", .can(.postMessages), use: apiHandled)
    }

    package struct PostInput: Sendable {
        var body: String
        var urgent: Bool
        var mentions: [String]
        var submissionID: String?

        package init(body: String, urgent: Bool, mentions: [String], submissionID: String? = nil) {
            self.body = body
            self.urgent = urgent
            self.mentions = mentions
            self.submissionID = submissionID
        }
    }

    /// Posts into the user's own unit stream (or group, for a community team), once per idempotency key.
    package func post(_ input: PostInput, user: CurrentUser, key: IdempotencyKey?) async throws -> StreamMessage {
        guard user.can(.postMessages) else { throw AppError.forbidden }
        let text = input.body.trimmedWhitespace
        guard !text.isEmpty else { throw AppError.invalid("Nội dung không được để trống.", "The message is empty.", details: ["body": "required"]) }
        guard text.count <= 4000 else { throw AppError.invalid("Nội dung quá dài (tối đa 4.000 ký tự).", "The message is too long (4,000 characters at most).", details: ["body": "too_long"]) }
        // A community team posts into its group; everyone else into their unit.
        let own = try await services.directory.unit(user.unitPath.string)
        let (unit, group) = own?.isGroup == true ? (own?.parentPath ?? user.unitPath.string, own?.code ?? "") : (user.unitPath.string, "")
        var mentions: [(String, String)] = []
        for raw in input.mentions {
            guard let path = try? UnitPath(raw.replacingOccurrences(of: ".", with: "/")), let u = try await services.directory.unit(path.string), !u.isGroup else {
                throw AppError.invalid("Đơn vị được nhắc tới không tồn tại: \(raw).", "Mentioned unit does not exist: \(raw).", details: ["mentions": "unknown"])
            }
            mentions.append((u.path, ""))
        }
        if let sid = input.submissionID, !sid.isEmpty {
            let scope = try await Scope.of(user, directory: services.directory)
            guard try await database.read({ try await ReportStore.submission($0, id: sid, scope: scope) }) != nil else { throw AppError.notFound }
        }
        let chosen = mentions
        let result = try await database.transaction { db -> (String, Bool) in
            let outcome = try await Idempotency.once(db, key: key, user: user) {
                let m = try await MessageStore.post(db, unit: unit, group: group, author: user, body: text, urgent: input.urgent,
                                                    submissionID: input.submissionID.flatMap { $0.isEmpty ? nil : $0 }, mentions: chosen)
                try await Audit.record(db, actor: user, action: "post", entityType: "message", entityId: m.id, unitPath: try UnitPath(unit),
                                       summary: (input.urgent ? "Tin khẩn: " : "Tin: ") + String(text.prefix(120)),
                                       changes: chosen.isEmpty ? [] : [FieldChange("mentions", old: nil, new: chosen.map(\.0).joined(separator: ", "))])
                return m.id
            }
            return (outcome.outcome, outcome.repeated)
        }
        let scope = try await Scope.of(user, directory: services.directory)
        guard let message = try await database.read({ try await MessageStore.find($0, id: result.0, scope: scope) }) else { throw AppError.notFound }
        return message
    }

    package func markHandled(id: String, user: CurrentUser) async throws -> StreamMessage {
        guard user.can(.postMessages) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        try await database.transaction { db in
            guard let m = try await MessageStore.find(db, id: id, scope: scope) else { throw AppError.notFound }
            if try await MessageStore.markHandled(db, id: id, user: user) {
                try await Audit.record(db, actor: user, action: "handle", entityType: "message", entityId: id, unitPath: try? UnitPath(m.unitPath),
                                       summary: "Đánh dấu đã xử lý: " + String(m.body.prefix(80)), changes: [FieldChange("handled", old: "false", new: "true")])
            }
        }
        guard let m = try await database.read({ try await MessageStore.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        return m
    }

    // MARK: pages

    @Sendable func stream(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.postMessages)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let before = request.formQuery.value("before").flatMap { c -> (String, String)? in
            let parts = c.split(separator: "_", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        let urgentOnly = request.formQuery["urgent"] == "1"
        let messages = try await database.read { try await MessageStore.stream($0, scope: focus.scope, before: before, urgentOnly: urgentOnly, limit: 51) }
        let page = Array(messages.prefix(50))
        var rows: [[String: Any]] = []
        for m in page {
            var row = MessageView.row(m, context.language)
            row["unitName"] = await services.directory.cached(m.unitPath)?.name ?? m.unitPath
            var names: [String] = []
            for p in m.mentions { names.append(await services.directory.cached(p)?.name ?? p) }
            row["mentionNames"] = names.joined(separator: ", ")
            rows.append(row)
        }
        let slug = focus.path.slug
        let next = messages.count > 50 ? page.last.map { "/messages?unit=\(slug)&before=\($0.createdAt)_\($0.id)\(urgentOnly ? "&urgent=1" : "")" } : nil
        // Units one may mention: the one above, the ones beside, the ones below.
        var mentionable: [[String: Any]] = []
        let own = try await services.directory.unit(context.user.unitPath.string)
        let anchor = own?.isGroup == true ? own?.parentPath : context.user.unitPath.string
        if let anchor, let unit = try await services.directory.unit(anchor) {
            var candidates: [UnitRecord] = []
            if let parent = unit.parentPath, let p = try await services.directory.unit(parent) { candidates.append(p) }
            if let parent = unit.parentPath { candidates += await services.directory.children(of: parent).filter { !$0.isGroup && $0.path != unit.path } }
            candidates += await services.directory.children(of: unit.path).filter { !$0.isGroup }
            mentionable = candidates.map { ["slug": ReportView.slug($0.path), "name": $0.name] }
        }
        var children: [[String: Any]] = []
        for child in await services.directory.children(of: focus.unit.path) where !child.isGroup {
            children.append(["name": child.name, "href": "/messages?unit=\(ReportView.slug(child.path))"])
        }
        return services.views.page("messages/stream", title: context.t("Trao đổi", "Messages"), context: context, data: [
            "unitName": focus.unit.name, "rows": rows, "hasRows": !rows.isEmpty, "next": next as Any, "mentionable": mentionable, "hasMentionable": !mentionable.isEmpty,
            "key": Idempotency.newKey(), "slug": slug, "urgentOnly": urgentOnly, "children": children, "hasChildren": !children.isEmpty,
            "crumbs": await focus.crumbs(user: context.user, directory: services.directory, base: "/messages"),
            "error": request.formQuery.value("error") ?? "",
        ], active: "messages")
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.postMessages)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let id = try context.parameters.require("id")
        guard let m = try await database.read({ try await MessageStore.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        var row = MessageView.row(m, context.language)
        row["unitName"] = await services.directory.label(m.unitPath)
        var names: [String] = []
        for p in m.mentions { names.append(await services.directory.cached(p)?.name ?? p) }
        row["mentionNames"] = names.joined(separator: ", ")
        if let sid = m.submissionId, let s = try await database.read({ try await ReportStore.submission($0, id: sid, scope: scope) }) {
            row["reportHref"] = "/reports/\(s.templateCode)/\(s.periodKey)/\(ReportView.slug(s.unitPath))"
        }
        return services.views.page("messages/show", title: context.t("Trao đổi", "Message"), context: context, data: ["m": row], active: "messages")
    }

    static func input(_ form: FormData) -> PostInput {
        PostInput(body: form["body"] ?? "", urgent: form["urgent"] == "1",
                  mentions: form.fields.filter { $0.key.hasPrefix("mention.") && $0.value == "1" }.map { String($0.key.dropFirst(8)) }.sorted(),
                  submissionID: form.value("submission_id"))
    }

    @Sendable func postPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let back = LocalPath.checked(form.value("back")) ?? "/messages"
        do {
            _ = try await post(Self.input(form), user: context.user, key: Idempotency.key(request, context))
        } catch let error as AppError where error.status == .unprocessableContent {
            let sep = back.contains("?") ? "&" : "?"
            return Views.redirect(back + sep + "error=" + (error.message(context.language).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return Views.redirect(back)
    }

    @Sendable func handledPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let m = try await markHandled(id: try context.parameters.require("id"), user: context.user)
        return Views.redirect("/messages/\(m.id)")
    }

    // MARK: API

    @Sendable func apiStream(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.postMessages)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let before = request.formQuery.value("before").flatMap { c -> (String, String)? in
            let parts = c.split(separator: "_", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        let limit = min(max(Int(request.formQuery.value("limit") ?? "") ?? 50, 1), 200)
        let rows = try await database.read { try await MessageStore.stream($0, scope: focus.scope, before: before, urgentOnly: request.formQuery["urgent"] == "1", limit: limit + 1) }
        let page = Array(rows.prefix(limit))
        struct Body: Encodable { let data: [StreamMessage]; let nextCursor: String? }
        return try JSON.response(Body(data: page, nextCursor: rows.count > limit ? page.last.map { "\($0.createdAt)_\($0.id)" } : nil))
    }

    @Sendable func apiPost(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let body: String; let urgent: Bool?; let mentions: [String]?; let submissionId: String? }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let m = try await post(PostInput(body: b.body, urgent: b.urgent ?? false, mentions: b.mentions ?? [], submissionID: b.submissionId), user: context.user, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: StreamMessage }
        return try JSON.response(Body(data: m), status: .created)
    }

    @Sendable func apiHandled(_ request: Request, context: AuthedContext) async throws -> Response {
        let m = try await markHandled(id: try context.parameters.require("id"), user: context.user)
        struct Body: Encodable { let data: StreamMessage }
        return try JSON.response(Body(data: m))
    }
}

enum MessageView {
    static func row(_ m: StreamMessage, _ language: Language) -> [String: Any] {
        ["id": m.id, "author": m.authorName, "body": m.body, "urgent": m.urgent, "handled": m.handledAt != nil,
         "handledBy": m.handledByName ?? "", "handledAt": ReportFormat.time(m.handledAt), "at": ReportFormat.time(m.createdAt),
         "hasReport": m.submissionId != nil, "open": m.handledAt == nil]
    }
}
