import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import NIOCore

/// Import and export of resident lists (CSV), pages and API.
package struct ResidentRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("residents/import", .can(.importResidents), use: importForm)
        pages.post("residents/import", .can(.importResidents), body: .upload, use: importPage)
        pages.get("residents/export.csv", .can(.exportResidents), use: export)
        api.post("residents/import", .can(.importResidents), body: .upload, use: apiImport)
        api.get("residents/export.csv", .can(.exportResidents), use: export)
    }

    private func people(_ context: AuthedContext) -> PersonService {
        PersonService(database: services.database, directory: services.directory)
    }

    @Sendable func importForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.importResidents)
        return try await render(context: context, report: nil, error: nil)
    }

    private func render(context: AuthedContext, report: ImportReport?, error: AppError?) async throws -> Response {
        let wards = await PersonView.wardOptions(for: context.user, directory: services.directory, selected: "")
        var data: [String: Any] = ["wards": wards, "error": error.map { $0.message(context.language) } as Any, "hasReport": report != nil]
        if let report {
            data["report"] = [
                "total": report.totalRows, "inserted": report.inserted, "duplicates": report.duplicates, "failed": report.failed,
                "errors": report.errors.prefix(500).map { ["line": $0.line, "column": $0.column ?? "", "message": $0.message] },
                "moreErrors": report.errors.count > 500, "hasErrors": !report.errors.isEmpty, "previous": report.previousImportAt.map(DisplayTime.format) as Any, "interrupted": report.previousInterrupted,
            ]
        }
        return services.views.page("residents/import", title: context.t("Nhập danh sách cư trú", "Import residents"), context: context, data: data,
                                   status: error?.status ?? .ok, active: "import")
    }

    @Sendable func importPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.importResidents)
        let form = context.form ?? FormData()
        do {
            guard let file = form.files["file"], !file.bytes.isEmpty else {
                throw AppError.invalid("Chọn tệp CSV danh sách cư trú.", "Choose a CSV resident list.")
            }
            guard let ward = try await people(context).resolveUnit(form["unit"], user: context.user) else {
                throw AppError.invalid("Chọn phường/xã trong địa bàn của bạn.", "Choose a ward within your jurisdiction.")
            }
            let report = try await ResidentImporter(services: services).run(bytes: file.bytes, filename: file.filename, ward: ward, user: context.user, language: context.language)
            return try await render(context: context, report: report, error: nil)
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await render(context: context, report: nil, error: error)
        }
    }

    /// `POST /api/v1/residents/import?unit=01.007.00295` with the CSV as the body.
    @Sendable func apiImport(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.importResidents)
        guard let ward = try await people(context).resolveUnit(request.uri.queryParameters.get("unit"), user: context.user) else {
            throw AppError.invalid("Tham số unit phải là phường/xã trong địa bàn của bạn.", "The unit parameter must be a ward within your jurisdiction.")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let report = try await ResidentImporter(services: services).run(bytes: Array(body.readableBytesView), filename: request.uri.queryParameters.get("filename") ?? "api.csv",
                                                                      ward: ward, user: context.user, language: context.language)
        return try JSON.response(["data": report])
    }

    /// Temporary and short-stay residents by default; `status=permanent,temporary,short_stay` chooses.
    @Sendable func export(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.exportResidents)
        var scope = try await Scope.of(context.user, directory: services.directory)
        if let slug = request.uri.queryParameters.get("unit") {
            guard let path = try? UnitPath(slug: slug), context.user.covers(path) else { throw AppError.notFound }
            scope = try await Scope.of(CurrentUser(id: context.user.id, username: context.user.username, displayName: context.user.displayName, role: context.user.role, unitPath: path),
                                       directory: services.directory)
        }
        let statuses = request.uri.queryParameters.get("status")?.split(separator: ",").compactMap { ResidenceStatus(rawValue: String($0)) } ?? [.temporary, .shortStay]
        guard !statuses.isEmpty else { throw AppError.invalid("Tình trạng cư trú không hợp lệ.", "Invalid residence status.") }
        var csv = ""
        let count = try await ResidentExport.csv(services.database, scope: scope, statuses: statuses) { csv += $0 }
        let user = context.user
        let root = scope.root
        try await services.database.transaction { db in
            try await Audit.record(db, actor: user, action: "export", entityType: "residents", entityId: nil, unitPath: root,
                                   summary: "Xuất \(count) người (\(statuses.map(\.rawValue).joined(separator: ",")))")
        }
        let filename = "cu-tru-\(root.slug)-\(Clock.today().iso).csv"
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: csv)))
    }
}
