import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

/// Browsing the administrative tree, adding residential groups, and setting populations.
package struct UnitRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var directory: UnitDirectory { services.directory }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("units", .signedIn, use: root)
        pages.get("units/:slug", .signedIn, use: show)
        pages.post("units/:slug/groups", .can(.manageUnits), use: addGroupPage)
        pages.post("units/:slug/population", .can(.setPopulation), use: setPopulationPage)
        pages.post("units/populations", .can(.setPopulation), body: .upload, use: importPopulationsPage)
        api.get("units", .signedIn, use: apiList)
        api.get("units/:slug", .signedIn, use: apiShow)
        api.post("units/:slug/groups", .can(.manageUnits), use: apiAddGroup)
        api.put("units/:slug/population", .can(.setPopulation), use: apiSetPopulation)
        api.post("units/populations", .can(.setPopulation), body: .upload, use: apiImportPopulations)
    }

    private func unit(_ context: AuthedContext) async throws -> UnitRecord {
        let slug = try context.parameters.require("slug")
        guard let path = try? UnitPath(slug: slug), let unit = try await directory.unit(path.string) else { throw AppError.notFound }
        return unit
    }

    @Sendable func root(_ request: Request, context: AuthedContext) async throws -> Response {
        guard let root = await directory.roots().first else { throw AppError.notFound }
        return Views.redirect("/units/\((try UnitPath(root.path)).slug)")
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        let path = try UnitPath(unit.path)
        let lang = context.language
        let children = await directory.children(of: unit.path)
        let isLowest = await directory.isLowestAdministrative(unit.path)
        let canManage = context.user.can(.manageUnits) && context.user.covers(path) && isLowest
        let canPopulate = context.user.can(.setPopulation) && context.user.covers(path)
        return services.views.page("units/show", title: unit.name, context: context, data: [
            "name": unit.name, "code": unit.code, "path": unit.path, "slug": path.slug,
            "kind": unit.unitKind.map { lang == .vi ? $0.labelVI : $0.labelEN } ?? unit.kind,
            "population": unit.population.map(NumberFormat.grouped) ?? "", "populationRaw": unit.population.map(String.init) ?? "",
            "validFrom": unit.validFrom, "validTo": unit.validTo ?? "",
            "breadcrumbs": await directory.lineage(unit.path).dropLast().map { ["name": $0.name, "slug": ((try? UnitPath($0.path))?.slug ?? "")] },
            "children": children.map { child in [
                "name": child.name, "code": child.code, "slug": (try? UnitPath(child.path))?.slug ?? "",
                "kind": child.unitKind.map { lang == .vi ? $0.labelVI : $0.labelEN } ?? child.kind,
                "population": child.population.map(NumberFormat.grouped) ?? "—",
            ] },
            "hasChildren": !children.isEmpty, "childCount": children.count,
            "canManage": canManage, "canPopulate": canPopulate,
            "canListPeople": context.user.can(.viewPeople) && context.user.covers(path),
        ], active: "units")
    }

    /// Adds a residential group (tổ dân phố or thôn) to a ward the user administers.
    package func addGroup(to unit: UnitRecord, code rawCode: String?, name rawName: String?, kind rawKind: String?, user: CurrentUser) async throws -> UnitRecord {
        guard user.can(.manageUnits) else { throw AppError.forbidden }
        let path = try UnitPath(unit.path)
        guard user.covers(path) else { throw AppError.notFound }
        guard await directory.isLowestAdministrative(unit.path) else {
            throw AppError.invalid("Chỉ thêm tổ dân phố vào phường/xã/thị trấn.", "Residential groups belong to a ward or commune.")
        }
        let code = (rawCode ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let name = VietnameseText.normalizePlaceName(rawName ?? "")
        var errors: [String: String] = [:]
        if (try? path.appending(code)) == nil || code.isEmpty { errors["code"] = "invalid" }
        if name.isEmpty { errors["name"] = "required" } else if name.count > TextLimits.name { errors["name"] = "too_long" }
        guard errors.isEmpty else {
            throw AppError.invalid("Mã tổ (chữ, số, tối đa 20 ký tự) và tên tổ là bắt buộc.", "A group code (letters and digits, up to 20) and a name are required.", details: errors)
        }
        let kind: UnitKind = rawKind.flatMap(UnitKind.init(rawValue:)) == .village ? .village : .residentialGroup
        let groupPath = try path.appending(code)
        let now = Timestamp.now()
        let record = UnitRecord(id: Identifier.make(), path: groupPath.string, parentPath: unit.path, code: code, depth: groupPath.depth, kind: kind.rawValue,
                                name: name, nameFolded: VietnameseText.fold(name), population: nil, validFrom: Clock.today().iso, validTo: nil, version: 1)
        try await services.database.transaction { db in
            if try await db.raw("SELECT path FROM units WHERE path = \(bind: groupPath.string)").first() != nil {
                throw AppError(.conflict, code: "duplicate_unit", vi: "Mã tổ \(code) đã có trong \(unit.name).", en: "Group code \(code) already exists in \(unit.name).", details: ["code": "duplicate"])
            }
            try await db.raw("""
                INSERT INTO units (id, path, parent_path, code, depth, kind, name, name_folded, population, valid_from, valid_to, created_at, updated_at, version)
                VALUES (\(bind: record.id), \(bind: record.path), \(bind: record.parentPath), \(bind: code), \(bind: record.depth), \(bind: record.kind), \(bind: name),
                        \(bind: record.nameFolded), NULL, \(bind: record.validFrom), NULL, \(bind: now), \(bind: now), 1)
                """).run()
            try await Audit.record(db, actor: user, action: "create", entityType: "unit", entityId: record.id, unitPath: groupPath, summary: "Thêm \(name) vào \(unit.name)",
                                   changes: [FieldChange("path", old: nil, new: record.path), FieldChange("name", old: nil, new: name)])
        }
        try await directory.reload()
        return record
    }

    func setPopulation(of unit: UnitRecord, raw: String?, user: CurrentUser) async throws {
        guard user.can(.setPopulation) else { throw AppError.forbidden }
        guard user.covers(try UnitPath(unit.path)) else { throw AppError.notFound }
        guard let text = raw?.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces),
              let population = Int(text), population >= 0, population < 100_000_000 else {
            throw AppError.invalid("Dân số phải là số nguyên không âm.", "Population must be a whole number, zero or more.", details: ["population": "invalid"])
        }
        try await services.database.transaction { db in
            try await db.raw("UPDATE units SET population = \(bind: population), updated_at = \(bind: Timestamp.now()), version = version + 1 WHERE id = \(bind: unit.id)").run()
            try await Audit.record(db, actor: user, action: "update", entityType: "unit", entityId: unit.id, unitPath: try? UnitPath(unit.path), summary: "Cập nhật dân số \(unit.name)",
                                   changes: [FieldChange("population", old: unit.population.map(String.init), new: String(population))])
        }
        try await directory.reload()
    }

    struct PopulationReport: Encodable, Sendable {
        var updated = 0
        /// Units whose population already had the value in the file: nothing written, nothing audited.
        var unchanged = 0
        /// Lines naming a unit a later line names again (the last line wins).
        var repeated = 0
        var errors: [ImportReport.RowError] = []
    }

    /// Sets populations from a CSV with a unit code column (`ma`, `ma_don_vi`, `code`) and a population
    /// column (`dan_so`, `population`). Bad rows are reported with their line; good rows are applied.
    func importPopulations(_ bytes: [UInt8], user: CurrentUser, language: Language) async throws -> PopulationReport {
        guard user.can(.setPopulation) else { throw AppError.forbidden }
        var reader = CSVReader(bytes: bytes)
        guard let header = try reader.next() else { throw AppError.invalid("Tệp rỗng.", "The file is empty.") }
        let keys = header.fields.map { VietnameseText.fold($0) }
        guard let codeIndex = keys.firstIndex(where: { ["ma", "ma don vi", "code", "unit code"].contains($0) }),
              let popIndex = keys.firstIndex(where: { ["dan so", "population"].contains($0) }) else {
            throw AppError.invalid("Dòng tiêu đề cần cột mã đơn vị (ma) và dân số (dan_so).", "The header needs a unit code column (ma) and a population column (dan_so).")
        }
        var byCode: [String: UnitRecord] = [:]
        for unit in await directory.all() where !unit.isGroup { byCode[unit.code] = unit }
        var report = PopulationReport()
        var latest: [String: (unit: UnitRecord, population: Int)] = [:]
        while let record = try reader.next() {
            func fail(_ vi: String, _ en: String) {
                if report.errors.count < 5000 { report.errors.append(.init(line: record.line, column: nil, message: language == .vi ? vi : en)) }
            }
            let code = codeIndex < record.fields.count ? record.fields[codeIndex].trimmingCharacters(in: .whitespaces) : ""
            let raw = popIndex < record.fields.count ? record.fields[popIndex].replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces) : ""
            guard let unit = byCode[code], let path = try? UnitPath(unit.path), user.covers(path) else {
                fail("Dòng \(record.line): không có đơn vị mã '\(code)' trong địa bàn.", "Line \(record.line): no unit with code '\(code)' in your jurisdiction."); continue
            }
            guard let population = Int(raw), population >= 0, population < 100_000_000 else {
                fail("Dòng \(record.line): dân số '\(raw)' không hợp lệ.", "Line \(record.line): invalid population '\(raw)'."); continue
            }
            if latest.updateValue((unit, population), forKey: unit.code) != nil { report.repeated += 1 }
        }
        // Only real changes are written and audited, a few dozen per transaction, so a huge file of
        // repeated lines neither floods the audit nor holds the writer from everyone else.
        let changes = latest.values.filter { $0.unit.population != $0.population }.sorted { $0.unit.path < $1.unit.path }
        report.unchanged = latest.count - changes.count
        for start in stride(from: 0, to: changes.count, by: 50) {
            let chunk = Array(changes[start..<min(start + 50, changes.count)])
            try await services.database.transaction { db in
                for (unit, population) in chunk {
                    try await db.raw("UPDATE units SET population = \(bind: population), updated_at = \(bind: Timestamp.now()), version = version + 1 WHERE id = \(bind: unit.id)").run()
                    try await Audit.record(db, actor: user, action: "update", entityType: "unit", entityId: unit.id, unitPath: try? UnitPath(unit.path), summary: "Nhập dân số \(unit.name)",
                                           changes: [FieldChange("population", old: unit.population.map(String.init), new: String(population))])
                }
            }
            report.updated += chunk.count
        }
        if !changes.isEmpty { try await directory.reload() }
        return report
    }

    @Sendable func importPopulationsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        guard let file = context.form?.files["file"] else { throw AppError.invalid("Chọn tệp CSV dân số.", "Choose a population CSV.") }
        let report = try await importPopulations(file.bytes, user: context.user, language: context.language)
        return services.views.page("units/population-report", title: context.t("Nhập dân số", "Population import"), context: context, data: [
            "updated": report.updated, "unchanged": report.unchanged, "repeated": report.repeated, "errors": report.errors.map { ["line": $0.line, "message": $0.message] }, "hasErrors": !report.errors.isEmpty,
        ], active: "units")
    }

    @Sendable func apiImportPopulations(_ request: Request, context: AuthedContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.bodyLimit)
        return try JSON.response(["data": try await importPopulations(Array(body.readableBytesView), user: context.user, language: context.language)])
    }

    @Sendable func addGroupPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        let form = context.form ?? FormData()
        _ = try await addGroup(to: unit, code: form["code"], name: form["name"], kind: form["kind"], user: context.user)
        return Views.redirect("/units/\(try UnitPath(unit.path).slug)")
    }

    @Sendable func setPopulationPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        try await setPopulation(of: unit, raw: context.form?["population"], user: context.user)
        return Views.redirect("/units/\(try UnitPath(unit.path).slug)")
    }

    struct UnitJSON: Encodable {
        let path: String, code: String, name: String, kind: String, parentPath: String?, population: Int?, validFrom: String, validTo: String?
        init(_ u: UnitRecord) {
            path = u.path; code = u.code; name = u.name; kind = u.kind; parentPath = u.parentPath; population = u.population; validFrom = u.validFrom; validTo = u.validTo
        }
    }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let parent = request.uri.queryParameters.get("parent").flatMap { try? UnitPath(slug: $0) }
        let units = if let parent { await directory.children(of: parent.string) } else { await directory.roots() }
        return try JSON.response(["data": units.map(UnitJSON.init)])
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        struct Body: Encodable { let data: UnitJSON; let children: [UnitJSON] }
        return try JSON.response(Body(data: UnitJSON(unit), children: await directory.children(of: unit.path).map(UnitJSON.init)))
    }

    @Sendable func apiAddGroup(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        struct Input: Decodable { let code: String?; let name: String?; let kind: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let group = try await addGroup(to: unit, code: input.code, name: input.name, kind: input.kind, user: context.user)
        return try JSON.response(["data": UnitJSON(group)], status: .created)
    }

    @Sendable func apiSetPopulation(_ request: Request, context: AuthedContext) async throws -> Response {
        let unit = try await unit(context)
        struct Input: Decodable { let population: Int }
        let input = try await APIBody.decode(Input.self, request, context: context)
        try await setPopulation(of: unit, raw: String(input.population), user: context.user)
        return try JSON.response(["data": UnitJSON(try await directory.unit(unit.path) ?? unit)])
    }
}
