import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Lockdown zones: define by residential groups and alleys, narrow or lift with history, see the
/// people inside, log supplies, attach checkpoints. Pages and `/api/v1`.
package struct ZoneRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var zones: ZoneService { ZoneService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("zones", .anyOf([.viewCases, .manageZones]), use: list)
        pages.get("zones/new", .can(.manageZones), use: newForm)
        pages.post("zones", .can(.manageZones), use: createPage)
        pages.get("zones/:id", .anyOf([.viewCases, .manageZones]), use: show)
        pages.post("zones/:id/redraw", .can(.manageZones), use: redrawPage)
        pages.post("zones/:id/lift", .can(.manageZones), use: liftPage)
        pages.post("zones/:id/supplies", .can(.logSupplies), use: supplyPage)
        pages.post("zones/:id/checkpoints", .can(.manageZones), use: checkpointPage)

        api.get("zones", .anyOf([.viewCases, .manageZones]), use: apiList)
        api.post("zones", .can(.manageZones), use: apiCreate)
        api.get("zones/:id", .anyOf([.viewCases, .manageZones]), use: apiShow)
        api.post("zones/:id/redraw", .can(.manageZones), use: apiRedraw)
        api.post("zones/:id/lift", .can(.manageZones), use: apiLift)
        api.post("zones/:id/supplies", .can(.logSupplies), use: apiSupply)
        api.post("zones/:id/checkpoints", .can(.manageZones), use: apiCheckpoint)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope {
        guard context.user.can(.viewCases) || context.user.can(.manageZones) else { throw AppError.forbidden }
        return try await Scope.of(context.user, directory: services.directory).wholeWard
    }

    private func zoneOr404(_ context: AuthedContext, scope: Scope) async throws -> ZoneRecord {
        let id = try context.parameters.require("id")
        guard let zone = try await database.read({ try await ZoneService.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        return zone
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let all = try await database.read { try await ZoneService.list($0, scope: scope, activeOnly: false) }
        var rows: [[String: Any]] = []
        for z in all {
            rows.append(["id": z.id, "name": z.name, "unit": await services.directory.label(z.unitPath), "active": z.isActive,
                         "started": CaseView.date(z.startedOn), "ended": CaseView.date(z.endedOn), "groups": z.groupList.joined(separator: ", "),
                         "addresses": z.addressList.joined(separator: "; ")])
        }
        return services.views.page("zones/list", title: context.t("Vùng phong tỏa", "Lockdown zones"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "activeCount": all.filter(\.isActive).count, "canEdit": context.user.can(.manageZones),
        ], active: "zones")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        try context.require(.manageZones)
        return try await form(context: context, values: [:], error: nil)
    }

    private func form(context: AuthedContext, values: [String: String], selectedGroups: Set<String> = [], error: AppError?) async throws -> Response {
        let wards = await PersonView.wardOptions(for: context.user, directory: services.directory, selected: values["unit"] ?? "")
        let ward = values["unit"] ?? (wards.count == 1 ? wards[0]["path"] as? String ?? "" : context.user.unitPath.string)
        let groups = await services.directory.children(of: ward).filter(\.isGroup).map { ["code": $0.code, "name": $0.name, "checked": selectedGroups.contains($0.code)] }
        return services.views.page("zones/new", title: context.t("Khoanh vùng phong tỏa", "New lockdown zone"), context: context, data: [
            "v": values, "wards": wards, "groupChoices": groups, "hasGroups": !groups.isEmpty, "formKey": values["_key"] ?? Idempotency.newKey(),
            "today": Clock.today().vietnamese, "error": error.map { $0.message(context.language) } as Any, "err": CaseView.fieldErrors(error),
            "errorList": CaseView.errorList(error, context.language),
        ], status: error?.status ?? .ok, active: "zones")
    }

    static func input(_ f: FormData) -> ZoneService.Input {
        ZoneService.Input(unit: f.value("unit"), name: f.value("name"), reason: f.value("reason"),
                          groups: f.fields.filter { $0.key.hasPrefix("g_") && $0.value == "1" }.map { String($0.key.dropFirst(2)) } + (f.value("groups")?.split(separator: ",").map(String.init) ?? []),
                          addresses: f["addresses"], startedOn: f.value("started_on"), note: f.value("note"), version: f.value("version").flatMap(Int.init))
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let f = context.form ?? FormData()
        let input = Self.input(f)
        do {
            let zone = try await zones.create(input, user: context.user, scope: scope, key: Idempotency.key(request, context))
            return Views.redirect("/zones/\(zone.id)")
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await form(context: context, values: f.fields, selectedGroups: Set(input.groups ?? []), error: error)
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let zone = try await zoneOr404(context, scope: scope)
        let canPeople = context.user.can(.viewPeople)
        let (residents, versions, supplies, checkpoints) = try await database.read { db in
            (try await ZoneService.residents(db, zone: zone, limit: canPeople ? 500 : 0), try await ZoneService.versions(db, zoneID: zone.id),
             try await ZoneService.supplies(db, zoneID: zone.id), try await ZoneService.checkpoints(db, zoneID: zone.id))
        }
        try await Audit.viewed(database, user: context.user, people: residents.people.map { ($0.id, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách vùng phong tỏa \(zone.name)")
        let groups = await services.directory.children(of: zone.unitPath).filter(\.isGroup).map { ["code": $0.code, "name": $0.name, "checked": zone.groupList.contains($0.code)] }
        return services.views.page("zones/show", title: zone.name, context: context, data: [
            "id": zone.id, "name": zone.name, "reason": zone.reason, "unitLabel": await services.directory.label(zone.unitPath), "active": zone.isActive,
            "started": CaseView.date(zone.startedOn), "ended": CaseView.date(zone.endedOn), "version": zone.version,
            "groupNames": zone.groupList.map { code in groups.first { $0["code"] as? String == code }?["name"] as? String ?? code }, "addresses": zone.addressList,
            "addressText": zone.addresses, "groupChoices": groups, "hasGroups": !groups.isEmpty,
            "residentCount": NumberFormat.localized(residents.count, language: context.language), "canPeople": canPeople,
            "residents": residents.people.map { ["id": $0.id, "name": $0.fullName, "address": $0.address, "group": $0.groupCode ?? "", "birth": CaseView.date($0.birthDate)] },
            "more": residents.count > residents.people.count && canPeople,
            // Each version says what its boundary held, even when it is only addresses or only groups.
            "versions": versions.map { v in
                let codes = v.groups.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
                let names = codes.map { code in groups.first { $0["code"] as? String == code }?["name"] as? String ?? code }
                let addresses = v.addresses.split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
                return ["version": v.version, "change": context.label("zone_change", v.change), "from": CaseView.date(v.effectiveFrom),
                        "versionGroups": names.joined(separator: "; "), "versionAddresses": addresses.joined(separator: "; "),
                        "by": Strings.actor(v.changedBy, context.language), "note": v.note] as [String: Any]
            },
            "supplies": supplies.map { ["day": CaseView.date($0.deliveredOn), "items": $0.items, "households": NumberFormat.localized($0.households, language: context.language),
                                        "by": Strings.actor($0.recordedBy, context.language), "note": $0.note] },
            "checkpoints": checkpoints.map { ["name": $0.name, "location": $0.location] },
            "canEdit": context.user.can(.manageZones) && zone.isActive, "canSupply": context.user.can(.logSupplies) && zone.isActive,
            "formKey": Idempotency.newKey(), "today": Clock.today().vietnamese,
        ], active: "zones")
    }

    @Sendable func redrawPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        _ = try await zones.redraw(zoneID: id, Self.input(context.form ?? FormData()), user: context.user, scope: scope)
        return Views.redirect("/zones/\(id)")
    }

    @Sendable func liftPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        let day = try DateInput.parse(f.value("ended_on"), field: "ended_on")
        _ = try await zones.lift(zoneID: id, on: day, note: f.value("note") ?? "", user: context.user, scope: scope)
        return Views.redirect("/zones/\(id)")
    }

    @Sendable func supplyPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        try await zones.logSupply(zoneID: id, deliveredOn: f.value("delivered_on"), items: f.value("items") ?? "", households: f.value("households").flatMap(Int.init) ?? -1,
                                  note: f.value("note") ?? "", user: context.user, scope: scope, key: Idempotency.key(request, context))
        return Views.redirect("/zones/\(id)#supplies")
    }

    @Sendable func checkpointPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        try await zones.addCheckpoint(zoneID: id, name: f.value("name") ?? "", location: f.value("location") ?? "", user: context.user, scope: scope)
        return Views.redirect("/zones/\(id)#checkpoints")
    }

    // MARK: API

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let rows = try await database.read { try await ZoneService.list($0, scope: scope, activeOnly: request.query("active") == "1") }
        struct Body: Encodable { let data: [ZoneRecord] }
        return try JSON.response(Body(data: rows))
    }

    @Sendable func apiCreate(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let input = try await APIBody.decode(ZoneService.Input.self, request, context: context)
        let zone = try await zones.create(input, user: context.user, scope: scope, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: ZoneRecord }
        return try JSON.response(Body(data: zone), status: .created)
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let zone = try await zoneOr404(context, scope: scope)
        let canPeople = context.user.can(.viewPeople)
        let (residents, versions, supplies, checkpoints) = try await database.read { db in
            (try await ZoneService.residents(db, zone: zone, limit: canPeople ? 500 : 0), try await ZoneService.versions(db, zoneID: zone.id),
             try await ZoneService.supplies(db, zoneID: zone.id), try await ZoneService.checkpoints(db, zoneID: zone.id))
        }
        try await Audit.viewed(database, user: context.user, people: residents.people.map { ($0.id, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách vùng phong tỏa \(zone.name)")
        struct Resident: Encodable { let id: String; let fullName: String; let address: String; let groupCode: String? }
        struct Body: Encodable {
            let data: ZoneRecord; let residentCount: Int; let residents: [Resident]; let versions: [ZoneVersionRecord]; let supplies: [SupplyRecord]; let checkpoints: [CheckpointRecord]
        }
        return try JSON.response(Body(data: zone, residentCount: residents.count, residents: residents.people.map { Resident(id: $0.id, fullName: $0.fullName, address: $0.address, groupCode: $0.groupCode) },
                                      versions: versions, supplies: supplies, checkpoints: checkpoints))
    }

    @Sendable func apiRedraw(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let input = try await APIBody.decode(ZoneService.Input.self, request, context: context)
        let zone = try await zones.redraw(zoneID: try context.parameters.require("id"), input, user: context.user, scope: scope)
        struct Body: Encodable { let data: ZoneRecord }
        return try JSON.response(Body(data: zone))
    }

    @Sendable func apiLift(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let endedOn: String?; let note: String? }
        let body = (try? await APIBody.decode(In.self, request, context: context)) ?? In(endedOn: nil, note: nil)
        let day = try DateInput.parse(body.endedOn, field: "ended_on")
        let zone = try await zones.lift(zoneID: try context.parameters.require("id"), on: day, note: body.note ?? "", user: context.user, scope: scope)
        struct Body: Encodable { let data: ZoneRecord }
        return try JSON.response(Body(data: zone))
    }

    @Sendable func apiSupply(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let deliveredOn: String?; let items: String; let households: Int; let note: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        try await zones.logSupply(zoneID: try context.parameters.require("id"), deliveredOn: body.deliveredOn, items: body.items, households: body.households,
                                  note: body.note ?? "", user: context.user, scope: scope, key: Idempotency.key(request, context))
        return try JSON.response(["status": "recorded"], status: .created)
    }

    @Sendable func apiCheckpoint(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let name: String; let location: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        try await zones.addCheckpoint(zoneID: try context.parameters.require("id"), name: body.name, location: body.location ?? "", user: context.user, scope: scope)
        return try JSON.response(["status": "created"], status: .created)
    }
}
