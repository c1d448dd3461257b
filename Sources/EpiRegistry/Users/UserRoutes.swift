import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

/// Creating accounts: used by the users page, the API and `epicommand user add`.
package struct UserAdmin: Sendable {
    let database: Database
    let settings: Settings
    let directory: UnitDirectory

    package init(services: AppServices) {
        self.database = services.database
        self.settings = services.settings
        self.directory = services.directory
    }

    /// Creates a user bound to one unit. `creator` nil means the command line (an operator on the server).
    @discardableResult
    package func create(username rawUsername: String, displayName: String, role: Role, unit rawUnit: String, password: String, creator: CurrentUser?) async throws -> String {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        var errors: [String: String] = [:]
        if username.range(of: "^[a-z0-9._-]{3,40}$", options: .regularExpression) == nil { errors["username"] = "invalid" }
        if displayName.trimmingCharacters(in: .whitespaces).isEmpty { errors["display_name"] = "required" } else if displayName.count > TextLimits.name { errors["display_name"] = "too_long" }
        let unitPath = try? UnitPath(rawUnit.replacingOccurrences(of: ".", with: "/"))
        if unitPath == nil { errors["unit"] = "invalid" }
        guard errors.isEmpty, let unitPath else {
            throw AppError.invalid("Tên đăng nhập (3–40 ký tự a-z, 0-9, . _ -), họ tên và đơn vị là bắt buộc.", "Username (3–40 of a-z, 0-9, . _ -), name and unit are required.", details: errors)
        }
        guard try await directory.unit(unitPath.string) != nil else {
            throw AppError.invalid("Không có đơn vị \(unitPath.string).", "No unit \(unitPath.string).", details: ["unit": "unknown"])
        }
        if let creator {
            guard creator.can(.manageUsers), creator.role.canAssign.contains(role) else { throw AppError.forbidden }
            guard creator.covers(unitPath) else { throw AppError.forbidden }
        }
        try Passwords.validate(password, username: username)
        let hash = try await Passwords.hash(password, cost: settings.bcryptCost)
        let id = Identifier.make()
        let now = Timestamp.now()
        try await database.transaction { db in
            if try await db.raw("SELECT id FROM users WHERE username = \(bind: username)").first() != nil {
                throw AppError(.conflict, code: "duplicate_username", vi: "Tên đăng nhập \(username) đã tồn tại.", en: "Username \(username) already exists.", details: ["username": "duplicate"])
            }
            try await db.raw("""
                INSERT INTO users (id, username, display_name, password_hash, role, unit_path, active, failed_logins, locked_until, created_at, updated_at, version)
                VALUES (\(bind: id), \(bind: username), \(bind: displayName), \(bind: hash), \(bind: role.rawValue), \(bind: unitPath.string), \(bind: true), 0, NULL, \(bind: now), \(bind: now), 1)
                """).run()
            try await Audit.record(db, actor: creator, actorName: "cli", action: "create", entityType: "user", entityId: id, unitPath: unitPath,
                                   summary: "Tạo tài khoản \(username) (\(role.labelVI))", changes: [FieldChange("role", old: nil, new: role.rawValue), FieldChange("unit_path", old: nil, new: unitPath.string)])
        }
        return id
    }

    /// Deactivates or reactivates an account. A deactivated user's sessions end at once and their API
    /// tokens stop working; their records and audit history stay. `actor` nil means the command line.
    package func setActive(userID: String, active: Bool, actor: CurrentUser?) async throws {
        try await database.transaction { db in
            guard let target = try await db.raw("SELECT id, username, display_name, role, unit_path, active FROM users WHERE id = \(bind: userID)")
                .first(decoding: UserRow.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            if let actor {
                guard actor.can(.manageUsers), let path = try? UnitPath(target.unitPath), actor.covers(path) else { throw AppError.notFound }
                guard let role = Role(rawValue: target.role), actor.role.canAssign.contains(role) else { throw AppError.forbidden }
                guard actor.id != target.id else {
                    throw AppError.invalid("Không thể tự khóa tài khoản của mình.", "You cannot deactivate your own account.")
                }
            }
            guard target.active != active else { return }
            try await db.raw("UPDATE users SET active = \(bind: active), updated_at = \(bind: Timestamp.now()), version = version + 1 WHERE id = \(bind: target.id)").run()
            if !active { try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: target.id)").run() }
            try await Audit.record(db, actor: actor, actorName: "cli", action: active ? "activate" : "deactivate", entityType: "user", entityId: target.id,
                                   unitPath: try? UnitPath(target.unitPath), summary: (active ? "Mở lại tài khoản " : "Khóa tài khoản ") + target.username,
                                   changes: [FieldChange("active", old: String(target.active), new: String(active))])
        }
        // API tokens resolved in the last seconds must not outlive the change (sessions were deleted above).
        if !active { database.tokens.forget(userID: userID) }
    }

    /// The id of a user by username, for the command line.
    package func id(of username: String) async throws -> String {
        guard let row = try await database.read({ try await $0.raw("SELECT id FROM users WHERE username = \(bind: username.lowercased())").first() }) else {
            throw AppError.invalid("Không có người dùng \(username).", "No user \(username).")
        }
        return try row.decode(column: "id", as: String.self)
    }

    package struct Listed: Codable, Sendable {
        package let id: String, username: String, displayName: String, role: String, unitPath: String, active: Bool, lockedUntil: String?
    }

    package func list(scope root: UnitPath) async throws -> [Listed] {
        try await database.read { db in
            try await db.raw("""
                SELECT id, username, display_name, role, unit_path, active, locked_until FROM users
                WHERE unit_path = \(bind: root.string) OR (unit_path >= \(bind: root.descendantLowerBound) AND unit_path < \(bind: root.descendantUpperBound))
                ORDER BY unit_path, username LIMIT 1000
                """).all(decoding: Listed.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
    }
}

/// The users page: the accounts in the manager's jurisdiction and a form to add one.
package struct UserRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var admin: UserAdmin { UserAdmin(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("users", .can(.manageUsers), use: list)
        pages.post("users", .can(.manageUsers), use: create)
        pages.post("users/:id/active", .can(.manageUsers), use: setActivePage)
        api.get("users", .can(.manageUsers), use: apiList)
        api.post("users/:id/active", .can(.manageUsers), use: apiSetActive)
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageUsers)
        return try await render(context: context, error: nil, values: [:])
    }

    private func render(context: AuthedContext, error: AppError?, values: [String: String]) async throws -> Response {
        let lang = context.language
        let users = try await admin.list(scope: context.user.unitPath)
        var rows: [[String: Any]] = []
        for u in users {
            let assignable = Role(rawValue: u.role).map { context.user.role.canAssign.contains($0) } ?? false
            rows.append(["id": u.id, "username": u.username, "displayName": u.displayName, "active": u.active,
                         "canToggle": assignable && u.id != context.user.id,
                         "role": Role(rawValue: u.role).map { lang == .vi ? $0.labelVI : $0.labelEN } ?? u.role,
                         "unit": await services.directory.cached(u.unitPath)?.name ?? u.unitPath, "locked": u.lockedUntil.flatMap(Timestamp.date).map { $0 > Date() } ?? false])
        }
        let roles = context.user.role.canAssign.sorted { $0.rawValue < $1.rawValue }.map { ["value": $0.rawValue, "label": lang == .vi ? $0.labelVI : $0.labelEN, "selected": $0.rawValue == values["role"]] }
        let units = await services.directory.all().filter { u in (try? UnitPath(u.path)).map(context.user.unitPath.contains) ?? false }
            .sorted { $0.path < $1.path }.prefix(2000).map { ["path": $0.path, "name": $0.name, "selected": $0.path == values["unit"]] }
        return services.views.page("users/list", title: context.t("Người dùng", "Users"), context: context, data: [
            "rows": rows, "roles": roles, "units": units, "v": values, "error": error.map { $0.message(lang) } as Any, "errors": error?.details ?? [:],
        ], status: error?.status ?? .ok, active: "users")
    }

    @Sendable func create(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageUsers)
        let form = context.form ?? FormData()
        let values = form.fields.filter { $0.key != "password" && $0.key != "_csrf" }
        do {
            guard let role = form.value("role").flatMap(Role.init(rawValue:)) else { throw AppError.invalid("Chọn vai trò.", "Choose a role.", details: ["role": "required"]) }
            try await admin.create(username: form["username"] ?? "", displayName: form.value("display_name") ?? "", role: role, unit: form["unit"] ?? "", password: form["password"] ?? "", creator: context.user)
            return Views.redirect("/users")
        } catch let error as AppError where error.status != .internalServerError {
            return try await render(context: context, error: error, values: values)
        }
    }

    @Sendable func setActivePage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await admin.setActive(userID: try context.parameters.require("id"), active: context.form?.value("active") == "1", actor: context.user)
        return Views.redirect("/users")
    }

    @Sendable func apiSetActive(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let active: Bool }
        let body = try await APIBody.decode(In.self, request, context: context)
        try await admin.setActive(userID: try context.parameters.require("id"), active: body.active, actor: context.user)
        return try JSON.response(["data": ["id": try context.parameters.require("id"), "active": String(body.active)]])
    }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageUsers)
        return try JSON.response(["data": try await admin.list(scope: context.user.unitPath)])
    }
}
