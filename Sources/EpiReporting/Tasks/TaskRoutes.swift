import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Tasks assigned to a named official or a unit, tracked to done; duty rosters; the public hotline directory.
package struct TaskRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("tasks", .can(.viewDashboard), use: list)
        pages.post("tasks", .can(.manageTasks), use: createPage)
        pages.get("tasks/:id", .can(.viewDashboard), use: show)
        pages.post("tasks/:id/status", .can(.viewDashboard), use: statusPage)
        pages.get("rosters", .can(.viewDashboard), use: roster)
        pages.post("rosters/shifts", .can(.manageRosters), use: addShiftPage)
        pages.post("rosters/shifts/:id/delete", .can(.manageRosters), use: deleteShiftPage)
        pages.post("rosters/hotline", .can(.manageRosters), use: hotlinePage)

        api.get("tasks", .can(.viewDashboard), use: apiList)
        api.post("tasks", .can(.manageTasks), use: apiCreate)
        api.get("tasks/:id", .can(.viewDashboard), use: apiShow)
        api.post("tasks/:id/status", .can(.viewDashboard), use: apiStatus)
        api.get("rosters", .can(.viewDashboard), use: apiRoster)
        api.post("rosters/shifts", .can(.manageRosters), use: apiAddShift)
        api.put("rosters/hotline", .can(.manageRosters), use: apiHotline)
    }

    /// The public directory, outside the signed-in group: anyone may find who to call.
    package static func registerPublic(_ router: Routes<AppRequestContext>, services: AppServices) {
        let routes = TaskRoutes(services: services)
        router.get("hotlines", .open, use: routes.hotlines)
        router.get("api/v1/public/hotlines", .open, use: routes.apiHotlines)
    }

    // MARK: tasks

    package struct TaskInput: Sendable {
        var title: String
        var details: String
        var due: String
        var assigneeUser: String?
        var assigneeUnit: String?

        package init(title: String, details: String, due: String, assigneeUser: String? = nil, assigneeUnit: String? = nil) {
            self.title = title
            self.details = details
            self.due = due
            self.assigneeUser = assigneeUser
            self.assigneeUnit = assigneeUnit
        }
    }

    /// Parses "dd/mm/yyyy hh:mm", "yyyy-mm-ddThh:mm" (the datetime-local input) or a date alone (end of that day), in Vietnam time.
    static func vietnamInstant(_ raw: String) -> Date? {
        let s = raw.trimmingCharacters(in: .whitespaces)
        if let d = Timestamp.date(s) { return d }
        let parts = s.replacingOccurrences(of: "T", with: " ").split(separator: " ").map(String.init)
        guard let first = parts.first, let day = try? CivilDate(parsing: first) else { return nil }
        guard parts.count > 1 else { return VietnamTime.instant(day, hour: 23, minute: 59) }
        let hm = parts[1].split(separator: ":").compactMap { Int($0) }
        guard hm.count >= 2, (0...23).contains(hm[0]), (0...59).contains(hm[1]) else { return nil }
        return VietnamTime.instant(day, hour: hm[0], minute: hm[1])
    }

    package func create(_ input: TaskInput, user: CurrentUser, key: IdempotencyKey?) async throws -> TaskItem {
        guard user.can(.manageTasks) else { throw AppError.forbidden }
        var problems: [String: String] = [:]
        let title = input.title.trimmedWhitespace
        if title.isEmpty { problems["title"] = "required" } else if title.count > 300 { problems["title"] = "too_long" }
        let due = Self.vietnamInstant(input.due)
        if due == nil { problems["due"] = "invalid" }
        var unitPath: String?
        var assigneeID: String?
        var assigneeName = ""
        if let uid = input.assigneeUser, !uid.isEmpty {
            let row = try await database.read { db in
                try await db.raw("SELECT id, username, display_name, role, unit_path, active FROM users WHERE id = \(bind: uid)").first(decoding: UserRow.self, keyDecodingStrategy: .memoizedSnakeCase)
            }
            guard let row, let assignee = try? row.currentUser(), user.covers(assignee.unitPath) else { throw AppError.notFound }
            assigneeID = assignee.id
            assigneeName = assignee.displayName
            unitPath = assignee.unitPath.string
        } else if let raw = input.assigneeUnit, !raw.isEmpty {
            guard let path = try? UnitPath(raw.replacingOccurrences(of: ".", with: "/")), user.covers(path), let unit = try await services.directory.unit(path.string) else { throw AppError.notFound }
            unitPath = unit.path
            assigneeName = unit.name
        } else {
            problems["assignee"] = "required"
        }
        guard problems.isEmpty, let unitPath, let due else {
            throw AppError.invalid("Nhiệm vụ cần tiêu đề, người hoặc đơn vị nhận, và hạn hoàn thành (dd/mm/yyyy hh:mm).",
                                   "A task needs a title, an assignee (person or unit) and a deadline (dd/mm/yyyy hh:mm).", details: problems)
        }
        let now = Timestamp.now()
        let assignee = assigneeName
        let task = TaskItem(id: Identifier.make(), unitPath: unitPath, creatorUnitPath: user.unitPath.string, title: title,
                            details: String(input.details.trimmedWhitespace.prefix(4000)), assigneeUserId: assigneeID, assigneeName: assigneeName,
                            dueAt: Timestamp.string(due), status: TaskStatus.open.rawValue, createdByName: user.displayName, createdAt: now, updatedAt: now, doneAt: nil, version: 1)
        let id = try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                try await TaskStore.insert(db, task, createdBy: user.id)
                try await Audit.record(db, actor: user, action: "create", entityType: "task", entityId: task.id, unitPath: try UnitPath(unitPath),
                                       summary: "Giao nhiệm vụ “\(title)” cho \(assignee), hạn \(VietnamTime.display(due))",
                                       changes: [FieldChange("assignee", old: nil, new: assignee), FieldChange("due_at", old: nil, new: task.dueAt)])
                return task.id
            }.outcome
        }
        let scope = try await Scope.of(user, directory: services.directory)
        guard let saved = try await database.read({ try await TaskStore.find($0, id: id, scope: scope, userID: user.id) }) else { throw AppError.notFound }
        return saved
    }

    package func setStatus(id: String, status raw: String, note: String, version: Int?, user: CurrentUser) async throws -> TaskItem {
        guard let status = TaskStatus(rawValue: raw) else {
            throw AppError.invalid("Trạng thái không hợp lệ.", "Unknown status.", details: ["status": "invalid"])
        }
        let scope = try await Scope.of(user, directory: services.directory)
        try await database.transaction { db in
            guard let task = try await TaskStore.find(db, id: id, scope: scope, userID: user.id) else { throw AppError.notFound }
            // The named assignee reports progress; managers in the chain may also close or cancel.
            guard task.assigneeUserId == user.id || user.can(.manageTasks) else { throw AppError.forbidden }
            guard task.taskStatus != status else { return }
            let now = Timestamp.now()
            guard try await TaskStore.setStatus(db, id: id, status: status, expectedVersion: version, at: now) else { throw AppError.conflict }
            try await TaskStore.addEvent(db, taskID: id, status: status.rawValue, note: String(note.prefix(1000)), byName: user.displayName, at: now)
            try await Audit.record(db, actor: user, action: "update", entityType: "task", entityId: id, unitPath: try? UnitPath(task.unitPath),
                                   summary: "Nhiệm vụ “\(task.title)”: \(status.labelVI)", changes: [FieldChange("status", old: task.status, new: status.rawValue)])
        }
        guard let saved = try await database.read({ try await TaskStore.find($0, id: id, scope: scope, userID: user.id) }) else { throw AppError.notFound }
        return saved
    }

    private func row(_ t: TaskItem, _ language: Language, now: Date) -> [String: Any] {
        let status = t.taskStatus
        return ["id": t.id, "title": t.title, "assignee": t.assigneeName, "due": Timestamp.date(t.dueAt).map(VietnamTime.display) ?? t.dueAt,
                "status": status.rawValue, "statusLabel": Strings.label("task_status", status.rawValue, language), "overdue": t.isOverdue(at: now),
                "createdBy": t.createdByName, "closed": status.isClosed]
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let all = request.formQuery["all"] == "1"
        let now = Clock.now()
        let tasks = try await database.read { try await TaskStore.list($0, scope: scope, userID: context.user.id, includeClosed: all) }
        var users: [[String: Any]] = []
        var units: [[String: Any]] = []
        if context.user.can(.manageTasks) {
            users = try await UserAdmin(services: services).list(scope: context.user.unitPath).filter(\.active).map { ["id": $0.id, "name": "\($0.displayName) (\($0.username))"] }
            var candidates = [try await services.directory.unit(context.user.unitPath.string)].compactMap { $0 }
            candidates += await services.directory.children(of: context.user.unitPath.string).filter { !$0.isGroup }
            units = candidates.map { ["slug": ReportView.slug($0.path), "name": $0.name] }
        }
        return services.views.page("tasks/list", title: context.t("Nhiệm vụ", "Tasks"), context: context, data: [
            "rows": tasks.map { row($0, context.language, now: now) }, "hasRows": !tasks.isEmpty, "all": all, "canRosters": context.mayOpen("/rosters"),
            "canCreate": context.user.can(.manageTasks), "users": users, "units": units, "key": Idempotency.newKey(),
            "error": request.formQuery.value("error") ?? "",
        ], active: "tasks")
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let assignee = form.value("assignee") ?? ""
        let input = TaskInput(title: form["title"] ?? "", details: form["details"] ?? "", due: form["due"] ?? "",
                              assigneeUser: assignee.hasPrefix("user:") ? String(assignee.dropFirst(5)) : nil,
                              assigneeUnit: assignee.hasPrefix("unit:") ? String(assignee.dropFirst(5)) : nil)
        do {
            let task = try await create(input, user: context.user, key: Idempotency.key(request, context))
            return Views.redirect("/tasks/\(task.id)")
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/tasks?error=" + (error.message(context.language).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let id = try context.parameters.require("id")
        let (task, events) = try await database.read { db -> (TaskItem, [TaskEvent]) in
            guard let t = try await TaskStore.find(db, id: id, scope: scope, userID: context.user.id) else { throw AppError.notFound }
            return (t, try await TaskStore.events(db, taskID: id))
        }
        var data = row(task, context.language, now: Clock.now())
        data["details"] = task.details
        data["unitLabel"] = await services.directory.label(task.unitPath)
        data["version"] = task.version
        data["events"] = events.map { e in
            ["status": context.label("task_status", e.status), "note": e.note, "at": ReportFormat.time(e.at), "by": e.byName]
        }
        data["canUpdate"] = task.assigneeUserId == context.user.id || context.user.can(.manageTasks)
        data["statuses"] = TaskStatus.allCases.filter { $0 != task.taskStatus }.map { ["value": $0.rawValue, "label": context.label("task_status", $0.rawValue)] }
        return services.views.page("tasks/show", title: task.title, context: context, data: ["task": data], active: "tasks")
    }

    @Sendable func statusPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let task = try await setStatus(id: try context.parameters.require("id"), status: form["status"] ?? "", note: form["note"] ?? "",
                                       version: form.value("version").flatMap(Int.init), user: context.user)
        return Views.redirect("/tasks/\(task.id)")
    }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let tasks = try await database.read { try await TaskStore.list($0, scope: scope, userID: context.user.id, includeClosed: request.formQuery["all"] == "1") }
        struct Row: Encodable { let task: TaskItem; let overdue: Bool }
        struct Body: Encodable { let data: [TaskItem]; let overdue: [String] }
        let now = Clock.now()
        return try JSON.response(Body(data: tasks, overdue: tasks.filter { $0.isOverdue(at: now) }.map(\.id)))
    }

    @Sendable func apiCreate(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let title: String; let details: String?; let dueAt: String; let assigneeUserId: String?; let assigneeUnit: String? }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let task = try await create(TaskInput(title: b.title, details: b.details ?? "", due: b.dueAt, assigneeUser: b.assigneeUserId, assigneeUnit: b.assigneeUnit),
                                    user: context.user, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: TaskItem }
        return try JSON.response(Body(data: task), status: .created)
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let id = try context.parameters.require("id")
        let (task, events) = try await database.read { db -> (TaskItem, [TaskEvent]) in
            guard let t = try await TaskStore.find(db, id: id, scope: scope, userID: context.user.id) else { throw AppError.notFound }
            return (t, try await TaskStore.events(db, taskID: id))
        }
        struct Body: Encodable { let data: TaskItem; let events: [TaskEvent]; let overdue: Bool }
        return try JSON.response(Body(data: task, events: events, overdue: task.isOverdue(at: Clock.now())))
    }

    @Sendable func apiStatus(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let status: String; let note: String?; let version: Int? }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let task = try await setStatus(id: try context.parameters.require("id"), status: b.status, note: b.note ?? "", version: b.version, user: context.user)
        struct Body: Encodable { let data: TaskItem }
        return try JSON.response(Body(data: task))
    }

    // MARK: duty rosters

    package struct ShiftInput: Sendable {
        var unit: String?
        var person: String
        var position: String
        var phone: String
        var start: String
        var end: String

        package init(unit: String? = nil, person: String, position: String, phone: String, start: String, end: String) {
            self.unit = unit
            self.person = person
            self.position = position
            self.phone = phone
            self.start = start
            self.end = end
        }
    }

    package func addShift(_ input: ShiftInput, user: CurrentUser, key: IdempotencyKey?) async throws -> DutyShift {
        guard user.can(.manageRosters) else { throw AppError.forbidden }
        let path = try input.unit.flatMap { $0.isEmpty ? nil : try UnitPath($0.replacingOccurrences(of: ".", with: "/")) } ?? user.unitPath
        guard user.covers(path), let unit = try await services.directory.unit(path.string), !unit.isGroup else { throw AppError.notFound }
        var problems: [String: String] = [:]
        let person = input.person.trimmingCharacters(in: .whitespaces)
        if person.isEmpty { problems["person"] = "required" }
        let phone = try? PhoneNumber(parsing: input.phone)
        if phone == nil, input.phone.filter(\.isNumber).count < 3 { problems["phone"] = "invalid" }
        let start = Self.vietnamInstant(input.start), end = Self.vietnamInstant(input.end)
        if start == nil { problems["start"] = "invalid" }
        if end == nil { problems["end"] = "invalid" }
        if let start, let end, end <= start { problems["end"] = "before_start" }
        guard problems.isEmpty, let start, let end else {
            throw AppError.invalid("Ca trực cần người trực, số điện thoại, giờ bắt đầu và kết thúc (kết thúc sau bắt đầu).",
                                   "A shift needs a person, a phone, a start and an end (end after start).", details: problems)
        }
        let shift = DutyShift(id: Identifier.make(), unitPath: unit.path, personName: person, position: input.position.trimmingCharacters(in: .whitespaces),
                              phone: phone?.national ?? input.phone.trimmingCharacters(in: .whitespaces), startsAt: Timestamp.string(start), endsAt: Timestamp.string(end),
                              createdByName: user.displayName)
        _ = try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                try await RosterStore.addShift(db, shift)
                try await Audit.record(db, actor: user, action: "create", entityType: "duty_shift", entityId: shift.id, unitPath: path,
                                       summary: "Lịch trực \(unit.name): \(person) \(VietnamTime.display(start))–\(VietnamTime.display(end))")
                return shift.id
            }
        }
        return shift
    }

    package func setHotline(unit raw: String?, phone rawPhone: String, note: String, user: CurrentUser) async throws -> UnitHotline {
        guard user.can(.manageRosters) else { throw AppError.forbidden }
        let path = try raw.flatMap { $0.isEmpty ? nil : try UnitPath($0.replacingOccurrences(of: ".", with: "/")) } ?? user.unitPath
        guard user.covers(path), let unit = try await services.directory.unit(path.string), !unit.isGroup else { throw AppError.notFound }
        let phone = rawPhone.trimmingCharacters(in: .whitespaces)
        guard phone.filter(\.isNumber).count >= 3, phone.count <= 40 else {
            throw AppError.invalid("Số đường dây nóng không hợp lệ.", "Invalid hotline number.", details: ["phone": "invalid"])
        }
        try await database.transaction { db in
            let old = try await RosterStore.setHotline(db, unit: unit.path, phone: phone, note: String(note.prefix(200)), by: user.username)
            try await Audit.record(db, actor: user, action: "update", entityType: "hotline", entityId: unit.path, unitPath: path,
                                   summary: "Đường dây nóng \(unit.name): \(phone)", changes: [FieldChange("phone", old: old, new: phone)])
        }
        guard let saved = try await database.read({ try await RosterStore.hotlines($0, units: [unit.path])[unit.path] }) else { throw AppError.notFound }
        return saved
    }

    @Sendable func roster(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        var resolved = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        // A residential group's team works to its ward's roster: who is on duty there, which hotline to call.
        if resolved.unit.isGroup, let parent = resolved.path.parent, let ward = try await services.directory.unit(parent.string) {
            resolved = UnitFocus(unit: ward, scope: resolved.scope, path: parent)
        }
        let focus = resolved
        let now = Clock.now()
        let (shifts, hotline) = try await database.read { db in
            (try await RosterStore.shifts(db, unit: focus.unit.path, endingAfter: now.addingTimeInterval(-86400)),
             try await RosterStore.hotlines(db, units: [focus.unit.path])[focus.unit.path])
        }
        let today = VietnamTime.day(of: now)
        var children: [[String: Any]] = []
        for child in await services.directory.children(of: focus.unit.path) where !child.isGroup {
            children.append(["name": child.name, "href": "/rosters?unit=\(ReportView.slug(child.path))"])
        }
        return services.views.page("rosters/show", title: context.t("Lịch trực", "Duty roster"), context: context, data: [
            "unitName": focus.unit.name, "slug": focus.path.slug, "hotline": hotline?.phone ?? "", "hotlineNote": hotline?.note ?? "",
            "rows": shifts.map { s in
                let onDuty = (Timestamp.date(s.startsAt).map { $0 <= now } ?? false) && (Timestamp.date(s.endsAt).map { $0 > now } ?? false)
                return ["id": s.id, "person": s.personName, "position": s.position, "phone": s.phone, "start": ReportFormat.time(s.startsAt), "end": ReportFormat.time(s.endsAt), "onDuty": onDuty] as [String: Any]
            },
            "hasRows": !shifts.isEmpty, "canManage": context.user.can(.manageRosters), "key": Idempotency.newKey(),
            "defaultStart": "\(today.iso)T07:00", "defaultEnd": "\(today.iso)T19:00", "children": children, "hasChildren": !children.isEmpty,
            "crumbs": await focus.crumbs(user: context.user, directory: services.directory, base: "/rosters"), "error": request.formQuery.value("error") ?? "",
        ], active: "tasks")
    }

    @Sendable func addShiftPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let unit = form.value("unit") ?? context.user.unitPath.slug
        do {
            _ = try await addShift(ShiftInput(unit: unit, person: form["person"] ?? "", position: form["position"] ?? "", phone: form["phone"] ?? "",
                                              start: form["start"] ?? "", end: form["end"] ?? ""), user: context.user, key: Idempotency.key(request, context))
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/rosters?unit=\(unit)&error=" + (error.message(context.language).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return Views.redirect("/rosters?unit=\(unit)")
    }

    @Sendable func deleteShiftPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageRosters)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let id = try context.parameters.require("id")
        let shift = try await database.transaction { db -> DutyShift in
            guard let s = try await RosterStore.shift(db, id: id, scope: scope) else { throw AppError.notFound }
            try await RosterStore.deleteShift(db, id: id)
            try await Audit.record(db, actor: context.user, action: "delete", entityType: "duty_shift", entityId: id, unitPath: try? UnitPath(s.unitPath),
                                   summary: "Xóa ca trực \(s.personName) \(ReportFormat.time(s.startsAt))", changes: [FieldChange("person", old: s.personName, new: nil)])
            return s
        }
        return Views.redirect("/rosters?unit=\(ReportView.slug(shift.unitPath))")
    }

    @Sendable func hotlinePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let unit = form.value("unit") ?? context.user.unitPath.slug
        do {
            _ = try await setHotline(unit: unit, phone: form["phone"] ?? "", note: form["note"] ?? "", user: context.user)
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/rosters?unit=\(unit)&error=" + (error.message(context.language).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return Views.redirect("/rosters?unit=\(unit)")
    }

    @Sendable func apiRoster(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let now = Clock.now()
        let (shifts, hotline) = try await database.read { db in
            (try await RosterStore.shifts(db, unit: focus.unit.path, endingAfter: now.addingTimeInterval(-86400)), try await RosterStore.hotlines(db, units: [focus.unit.path])[focus.unit.path])
        }
        struct Body: Encodable { let unitPath: String; let hotline: UnitHotline?; let data: [DutyShift] }
        return try JSON.response(Body(unitPath: focus.unit.path, hotline: hotline, data: shifts))
    }

    @Sendable func apiAddShift(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let unit: String?; let personName: String; let position: String?; let phone: String; let startsAt: String; let endsAt: String }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let shift = try await addShift(ShiftInput(unit: b.unit, person: b.personName, position: b.position ?? "", phone: b.phone, start: b.startsAt, end: b.endsAt),
                                       user: context.user, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: DutyShift }
        return try JSON.response(Body(data: shift), status: .created)
    }

    @Sendable func apiHotline(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let unit: String?; let phone: String; let note: String? }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let h = try await setHotline(unit: b.unit, phone: b.phone, note: b.note ?? "", user: context.user)
        struct Body: Encodable { let data: UnitHotline }
        return try JSON.response(Body(data: h))
    }

    // MARK: public hotline directory

    struct Directory: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let unitPath: String
            let name: String
            let hotline: String?
            let note: String?
            let onDuty: [OnDuty]
            let hasChildren: Bool
        }
        struct OnDuty: Encodable, Sendable { let personName: String; let position: String; let phone: String; let until: String }
        let unitPath: String
        let name: String
        let data: [Entry]
    }

    /// The unit and the units directly below it, with hotlines and who is on duty now. Public data only: names, positions and duty phones.
    func directory(slug: String?, now: Date = Clock.now()) async throws -> Directory {
        let root: UnitRecord
        if let slug, !slug.isEmpty {
            guard let path = try? UnitPath(slug: slug), let unit = try await services.directory.unit(path.string), !unit.isGroup else { throw AppError.notFound }
            root = unit
        } else {
            guard let first = await services.directory.roots().first else { throw AppError.notFound }
            root = first
        }
        let units = [root] + (await services.directory.children(of: root.path)).filter { !$0.isGroup }
        let paths = units.map(\.path)
        let (hotlines, duty) = try await database.read { db in
            (try await RosterStore.hotlines(db, units: paths), try await RosterStore.onDuty(db, units: paths, at: now))
        }
        var entries: [Directory.Entry] = []
        for unit in units {
            let below = await services.directory.children(of: unit.path).contains { !$0.isGroup }
            entries.append(.init(unitPath: unit.path, name: unit.name, hotline: hotlines[unit.path]?.phone, note: hotlines[unit.path]?.note,
                                 onDuty: (duty[unit.path] ?? []).map { .init(personName: $0.personName, position: $0.position, phone: $0.phone, until: ReportFormat.time($0.endsAt)) },
                                 hasChildren: below && unit.path != root.path))
        }
        return Directory(unitPath: root.path, name: root.name, data: entries)
    }

    @Sendable func hotlines(_ request: Request, context: AppRequestContext) async throws -> Response {
        let language = context.language
        let d = try await directory(slug: request.formQuery.value("unit"))
        let rows: [[String: Any]] = d.data.map { e in
            ["name": e.name, "hotline": e.hotline ?? "", "note": e.note ?? "", "slug": ReportView.slug(e.unitPath), "hasChildren": e.hasChildren, "isRoot": e.unitPath == d.unitPath,
             "onDuty": e.onDuty.map { ["person": $0.personName, "position": $0.position, "phone": $0.phone, "until": $0.until] }, "hasDuty": !e.onDuty.isEmpty]
        }
        let parent = await services.directory.cached(d.unitPath)?.parentPath
        return services.views.publicPage("hotlines", title: language == .vi ? "Đường dây nóng phòng, chống dịch" : "Epidemic hotlines", language: language, data: [
            "name": d.name, "rows": rows, "up": parent.map { "/hotlines?unit=\(ReportView.slug($0))" } as Any, "signedIn": context.user != nil,
        ])
    }

    @Sendable func apiHotlines(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSON.response(try await directory(slug: request.formQuery.value("unit")))
    }
}
