import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

/// The audit search: who did what to which record, within the viewer's jurisdiction.
package struct AuditRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("audit", .can(.viewAudit), use: page)
        api.get("audit", .can(.viewAudit), use: apiSearch)
    }

    struct Filter: Sendable {
        var username: String?
        var action: String?
        var entityId: String?
        var day: String?
        var before: String?
        /// Free words: an action as people call it ("xem", "gộp hồ sơ"), a person's name, or an account.
        var text: String?

        init(_ request: Request) {
            let q = request.formQuery
            func v(_ k: String) -> String? { q[k].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) } }
            username = v("username")?.lowercased(); action = v("action"); entityId = v("entity_id"); day = v("day"); before = v("before")
            text = v("q").map { String($0.prefix(200)) }
        }
    }

    /// Every action code that has a label, with its label in the reader's language, sorted by label.
    static func actions(_ language: Language) -> [(code: String, label: String)] {
        let prefix = "audit_action."
        return Strings.table(language).compactMap { key, label in key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), label) : nil }
            .sorted { $0.label.localizedCompare($1.label) == .orderedAscending }
    }

    /// The action codes whose label (in either language) contains the words, diacritics ignored.
    static func actionCodes(matching text: String) -> [String] {
        let folded = VietnameseText.fold(text)
        guard !folded.isEmpty else { return [] }
        var codes = Set<String>()
        for language in [Language.vi, .en] {
            for (code, label) in actions(language) where VietnameseText.fold(label).contains(folded) || code == folded.replacingOccurrences(of: " ", with: "_") {
                codes.insert(code)
            }
        }
        return codes.sorted()
    }

    func search(_ filter: Filter, user: CurrentUser) async throws -> [AuditEntry] {
        guard user.can(.viewAudit) else { throw AppError.forbidden }
        let root = user.unitPath
        let scope = try await Scope.of(user, directory: services.directory)
        // The whole city sees system events too (no unit) and walks the time index; others see their subtree.
        var sql: SQLQueryString = scope.coversEverything
            ? "SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes FROM audit_log WHERE 1 = 1"
            : """
            SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes FROM audit_log
            WHERE (unit_path = \(bind: root.string) OR (unit_path >= \(bind: root.descendantLowerBound) AND unit_path < \(bind: root.descendantUpperBound)))
            """
        if let text = filter.text {
            // Words find an action by its label, a person by name (within the viewer's own jurisdiction), or an account.
            let codes = Self.actionCodes(matching: text)
            let people = user.can(.viewPeople)
                ? try await services.database.read { try await PersonQueries.search($0, query: text, scope: scope, limit: 50) }.people.map(\.id)
                : []
            var any: SQLQueryString = "username = \(bind: text.lowercased())"
            if !codes.isEmpty { any = "\(any) OR action IN (\(binds: codes))" }
            if !people.isEmpty { any = "\(any) OR (entity_type = 'person' AND entity_id IN (\(binds: people)))" }
            sql = "\(sql) AND (\(any))"
        }
        if let u = filter.username { sql = "\(sql) AND username = \(bind: u)" }
        if let a = filter.action { sql = "\(sql) AND action = \(bind: a)" }
        if let e = filter.entityId { sql = "\(sql) AND entity_id = \(bind: e)" }
        if let d = filter.day, let date = try? CivilDate(parsing: d) {
            // A "day" is the Hanoi day: 00:00 at UTC+7 is 17:00 UTC the day before.
            let start = Self.hanoiMidnightUTC(date)
            let end = Self.hanoiMidnightUTC(date, plusDays: 1)
            sql = "\(sql) AND occurred_at >= \(bind: start) AND occurred_at < \(bind: end)"
        }
        if let b = filter.before { sql = "\(sql) AND occurred_at < \(bind: b)" }
        let query: SQLQueryString = "\(sql) ORDER BY occurred_at DESC, id DESC LIMIT 200"
        return try await services.database.read { try await $0.raw(query).all(decoding: AuditEntry.self, keyDecodingStrategy: .memoizedSnakeCase) }
    }

    static func hanoiMidnightUTC(_ date: CivilDate, plusDays: Int = 0) -> String {
        Timestamp.string(VietnamTime.instant(date.adding(days: plusDays)))
    }

    @Sendable func page(_ request: Request, context: AuthedContext) async throws -> Response {
        let filter = Filter(request)
        let entries = try await search(filter, user: context.user)
        let places = await AuditDisplay.placeNames(entries, directory: services.directory)
        let rows = entries.map { e -> [String: Any] in
            var row = AuditDisplay.row(e, context.language, places: places)
            row["entityType"] = e.entityType
            row["entityId"] = e.entityId ?? ""
            row["isPerson"] = e.entityType == "person" && e.entityId != nil
            return row
        }
        return services.views.page("audit/list", title: context.t("Nhật ký thao tác", "Audit log"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty,
            "f": ["username": filter.username ?? "", "action": filter.action ?? "", "entity_id": filter.entityId ?? "", "day": filter.day ?? "", "q": filter.text ?? ""],
            "actions": Self.actions(context.language).map { ["code": $0.code, "label": $0.label, "selected": $0.code == filter.action] },
            "next": entries.count == 200 ? entries.last.map { "/audit?before=\($0.occurredAt.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } as Any : NSNull(),
        ], active: "audit")
    }

    @Sendable func apiSearch(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Body: Encodable { let data: [AuditEntry] }
        return try JSON.response(Body(data: try await search(Filter(request), user: context.user)))
    }
}
