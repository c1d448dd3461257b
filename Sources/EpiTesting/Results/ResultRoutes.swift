import EpiCore
import EpiLabFormats
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import NIOCore
import SQLKit

/// Lab results: the list, the upload page (CSV) and the HL7/FHIR endpoints, the review queue.
package struct ResultRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var results: ResultService { ResultService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("testing/results", .can(.viewTesting), use: list)
        pages.post("testing/results/import", .can(.enterResults), body: .upload, use: importPage)
        pages.get("testing/review", .anyOf([.reviewResults, .viewTesting]), use: review)
        pages.post("testing/results/:id/resolve", .can(.reviewResults), use: resolvePage)

        api.get("testing/results", .can(.viewTesting), use: apiList)
        api.post("testing/results/import", .can(.enterResults), body: .upload, use: apiImport)
        api.post("testing/results/hl7", .can(.enterResults), body: .upload, use: apiHL7)
        api.post("testing/results/fhir", .can(.enterResults), body: .upload, use: apiFHIR)
        api.get("testing/review", .anyOf([.reviewResults, .viewTesting]), use: apiReview)
        api.post("testing/results/:id/resolve", .can(.reviewResults), use: apiResolve)
    }

    private func viewer(_ context: AuthedContext) async throws -> TestingViewer { try await TestingViewer.of(context.user, services: services) }

    func page(viewer: TestingViewer, user: CurrentUser, view: String?, after: String?, limit: Int) async throws -> (rows: [ResultRecord], next: String?) {
        let limit = max(1, min(limit, 200))
        var sql: SQLQueryString = "SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE \(viewer.labOrUnit())"
        // A result that matched no tube and no person is filed under its lab's unit. The lab and those who
        // review results see it; a ward that merely hosts the lab must not read strangers' names and ids.
        if !viewer.isLab && !user.can(.reviewResults) { sql = "\(sql) AND (sample_id IS NOT NULL OR person_id IS NOT NULL)" }
        switch view {
        case "positive": sql = "\(sql) AND value = 'detected'"
        case "review": sql = "\(sql) AND (match_status = 'review' OR action_status = 'failed')"
        default: break
        }
        if let (at, id) = Cursor.decode(after) { sql = "\(sql) AND (received_at < \(bind: at) OR (received_at = \(bind: at) AND id < \(bind: id)))" }
        sql = "\(sql) ORDER BY received_at DESC, id DESC LIMIT \(literal: limit + 1)"
        let query = sql
        let rows = try await database.read { try await $0.raw(query).all(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase) }
        let shown = Array(rows.prefix(limit))
        return (shown, rows.count > limit ? shown.last.map { Cursor.encode($0.receivedAt, $0.id) } : nil)
    }

    /// What a viewer may read of the person a lab named: a lab sees what it sent; a ward sees the names
    /// of the people it sampled (results in its jurisdiction), others by initials.
    static func reportedName(_ r: ResultRecord, viewer: TestingViewer, canViewPeople: Bool) -> String {
        if viewer.isLab || canViewPeople { return r.reportedName }
        return SampleRoutes.initials(r.reportedName)
    }

    private func rows(_ list: [ResultRecord], viewer: TestingViewer, context: AuthedContext) async throws -> [[String: Any]] {
        let l = context.language
        let labs = Dictionary(try await database.read { try await TestingQueries.labs($0, activeOnly: false) }.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var out: [[String: Any]] = []
        for r in list {
            out.append(["id": r.id, "label": r.label, "test": TestingView.test(r.test, l), "value": TestingView.value(r.value, l), "positive": r.value == "detected",
                        "status": TestingView.resultStatus(r.status, l), "at": TestingView.time(r.resultedAt), "received": TestingView.time(r.receivedAt),
                        "lab": labs[r.labId] ?? "", "match": TestingView.match(r.matchStatus, l), "review": r.reviewReason.map { TestingView.review($0, l) } ?? "",
                        "inReview": r.matchStatus == MatchStatus.review.rawValue, "failed": r.actionStatus == "failed", "note": r.reviewNote,
                        "name": Self.reportedName(r, viewer: viewer, canViewPeople: context.user.can(.viewPeople)), "reportedId": viewer.isLab || context.user.can(.viewPeople) ? r.reportedId : "",
                        "caseId": r.caseId ?? "", "hasCase": r.caseId != nil && context.user.can(.viewCases), "changed": r.reviewReason == ReviewReason.changedResult.rawValue,
                        "ward": await services.directory.cached(r.unitPath)?.name ?? "", "source": TestingView.source(r.source, l)])
        }
        return out
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        try await render(request: request, context: context, report: nil, error: nil)
    }

    private func render(request: Request, context: AuthedContext, report: ResultImportReport?, error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let view = request.q("view")
        let (list, next) = try await page(viewer: viewer, user: context.user, view: view, after: request.q("after"), limit: 50)
        let labs = try await database.read { try await TestingQueries.labs($0) }.filter(viewer.actsFor)
        let filters = [("", context.t("Tất cả", "All")), ("positive", context.t("Dương tính", "Positive")), ("review", context.t("Chờ đối chiếu", "Awaiting review"))]
        return services.views.page("testing/results", title: context.t("Kết quả xét nghiệm", "Test results"), context: context, data: [
            "rows": try await rows(list, viewer: viewer, context: context), "hasRows": !list.isEmpty,
            "next": next.map { "/testing/results?view=\(view ?? "")&after=\($0)" } as Any,
            "filters": filters.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == (view ?? "")] },
            "canImport": context.user.can(.enterResults) && !labs.isEmpty, "labs": labs.map { ["id": $0.id, "code": $0.code, "name": $0.name] }, "oneLab": labs.count == 1,
            "columns": ResultCSVHeader.documented.joined(separator: ", "), "formKey": Idempotency.newKey(),
            "report": report.map { r in
                ["total": NumberFormat.grouped(r.totalRows), "added": NumberFormat.grouped(r.added), "already": NumberFormat.grouped(r.alreadyRecorded),
                 "failed": NumberFormat.grouped(r.failed), "matched": NumberFormat.grouped(r.matched + r.personOnly), "review": NumberFormat.grouped(r.review),
                 "positives": NumberFormat.grouped(r.positives), "cases": NumberFormat.grouped(r.casesOpened), "retests": NumberFormat.grouped(r.retests),
                 "errors": r.errors.prefix(200).map { ["message": $0.message] }, "hasErrors": !r.errors.isEmpty,
                 "previous": r.previousImportAt.map(TestingView.time) as Any] as [String: Any] } as Any,
            "error": error.map { $0.message(l) } as Any,
        ], status: error?.status ?? .ok, active: "lab_results")
    }

    @Sendable func importPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        guard let file = context.form?.files["file"], !file.bytes.isEmpty else {
            return try await render(request: request, context: context, report: nil, error: AppError.invalid("Chọn tệp CSV kết quả.", "Choose a CSV file of results."))
        }
        do {
            let lab = try await results.lab(context.form?.value("lab"), viewer: viewer)
            let report = try await results.importCSV(bytes: file.bytes, filename: file.filename, lab: lab, actor: context.user, language: context.language)
            return try await render(request: request, context: context, report: report, error: nil)
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .notFound {
            return try await render(request: request, context: context, report: nil, error: error)
        }
    }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let (list, next) = try await page(viewer: viewer, user: context.user, view: request.q("view"), after: request.q("after"), limit: request.q("limit").flatMap { Int($0) } ?? 50)
        let names = viewer.isLab || context.user.can(.viewPeople)
        let shown = list.map { r -> ResultRecord in
            var r = r
            if !names { r.reportedName = SampleRoutes.initials(r.reportedName); r.reportedId = ""; r.reportedPhone = ""; r.reportedBirth = "" }
            return r
        }
        struct Body: Encodable { let data: [ResultRecord]; let nextCursor: String? }
        return try JSON.response(Body(data: shown, nextCursor: next))
    }

    @Sendable func apiImport(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let lab = try await results.lab(request.q("lab"), viewer: viewer)
        var request = request
        let body = try await request.collectBody(upTo: context.bodyLimit)
        let report = try await results.importCSV(bytes: Array(body.readableBytesView), filename: request.q("filename") ?? "api.csv", lab: lab, actor: context.user, language: context.language)
        struct Body: Encodable { let data: ResultImportReport }
        return try JSON.response(Body(data: report))
    }

    /// One HL7 v2.5.1 ORU^R01 message (ER7 text) in the body; the ACK in the answer, as over MLLP.
    @Sendable func apiHL7(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let lab = try await results.lab(request.q("lab"), viewer: viewer)
        var request = request
        let body = Array(try await request.collectBody(upTo: min(context.bodyLimit, 1 << 20)).readableBytesView)
        let receipts = await HL7Receiver(database: database).receive([body], lab: lab, actor: context.user)
        guard let receipt = receipts.first else { throw AppError(.internalServerError, code: "no_ack", vi: "Không tạo được ACK.", en: "No ACK was produced.") }
        if !receipt.pending.isEmpty { try await ResultActions.run(database, resultIDs: receipt.pending, actor: context.user) }
        // The ACK says whether the message was taken (AA, AE, AR); HTTP says only that it was read, as HL7 over HTTP does.
        return Response(status: .ok,
                        headers: [.contentType: "x-application/hl7-v2+er7; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: receipt.ack)))
    }

    /// A FHIR R4 transaction or batch Bundle; a transaction-response (or batch-response) Bundle back.
    @Sendable func apiFHIR(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let lab = try await results.lab(request.q("lab"), viewer: viewer)
        var request = request
        let body = Array(try await request.collectBody(upTo: min(context.bodyLimit, 8 << 20)).readableBytesView)
        let answer = try await results.receiveFHIR(bytes: body, lab: lab, actor: context.user)
        return FHIRResponse.json(answer.body, status: answer.status)
    }

    // MARK: review

    @Sendable func review(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let (list, next) = try await page(viewer: viewer, user: context.user, view: "review", after: request.q("after"), limit: 50)
        return services.views.page("testing/review", title: context.t("Kết quả chờ đối chiếu", "Results awaiting review"), context: context, data: [
            "rows": try await rows(list, viewer: viewer, context: context), "hasRows": !list.isEmpty, "next": next.map { "/testing/review?after=\($0)" } as Any,
            "canResolve": context.user.can(.reviewResults), "canPeople": context.user.can(.viewPeople), "canRegister": context.user.can(.editPeople),
            "wards": context.user.can(.editPeople) ? await PersonView.wardOptions(for: context.user, directory: services.directory, selected: "") : [],
        ], active: "lab_results")
    }

    @Sendable func apiReview(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let (list, next) = try await page(viewer: viewer, user: context.user, view: "review", after: request.q("after"), limit: request.q("limit").flatMap { Int($0) } ?? 50)
        struct Body: Encodable { let data: [ResultRecord]; let nextCursor: String? }
        return try JSON.response(Body(data: list, nextCursor: next))
    }

    @Sendable func resolvePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        _ = try await ReviewService(services: services).resolve(resultID: try context.parameters.require("id"),
                                                                 ResolveInput(action: f.value("action"), label: f.value("label"), personId: f.value("person_id"), unit: f.value("unit"), note: f.value("note")),
                                                                 user: context.user, language: context.language)
        return Views.redirect("/testing/review")
    }

    @Sendable func apiResolve(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(ResolveInput.self, request, context: context)
        let r = try await ReviewService(services: services).resolve(resultID: try context.parameters.require("id"), input, user: context.user, language: context.language)
        struct Body: Encodable { let data: ResultRecord }
        return try JSON.response(Body(data: r))
    }
}

/// FHIR answers: `application/fhir+json`, written by the lab-format library's ordered writer.
enum FHIRResponse {
    static func json(_ object: JSONObject, status: Int) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/fhir+json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: Array(JSONWriter.string(object).utf8))))
    }
}
