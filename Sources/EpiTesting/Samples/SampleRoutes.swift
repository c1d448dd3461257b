import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Tubes (the phone form a ward team records a household with), batches to labs, re-test tasks.
package struct SampleRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var samples: SampleService { SampleService(services: services) }
    static let newcomerRows = 3

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("testing/samples", .can(.viewTesting), use: list)
        pages.get("testing/samples/new", .can(.collectSamples), use: newForm)
        pages.post("testing/samples", .can(.collectSamples), use: createPage)
        pages.get("testing/samples/:id", .can(.viewTesting), use: show)
        pages.get("testing/batches", .can(.viewTesting), use: batches)
        pages.post("testing/batches", .can(.transportSamples), use: createBatchPage)
        pages.get("testing/batches/:id", .can(.viewTesting), use: batch)
        pages.post("testing/batches/:id/receive", .can(.transportSamples), use: receivePage)
        pages.get("testing/retests", .can(.viewTesting), use: retests)
        pages.post("testing/retests/:id/close", .can(.collectSamples), use: closeRetestPage)
        pages.post("testing/retests/:id/cancel", .can(.collectSamples), use: cancelRetestPage)

        api.get("testing/samples", .can(.viewTesting), use: apiList)
        api.post("testing/samples", .can(.collectSamples), use: apiCreate)
        api.get("testing/samples/:id", .can(.viewTesting), use: apiShow)
        api.get("testing/batches", .can(.viewTesting), use: apiBatches)
        api.post("testing/batches", .can(.transportSamples), use: apiCreateBatch)
        api.get("testing/batches/:id", .can(.viewTesting), use: apiBatch)
        api.post("testing/batches/:id/receive", .can(.transportSamples), use: apiReceive)
        api.get("testing/retests", .can(.viewTesting), use: apiRetests)
        api.post("testing/retests/:id/close", .can(.collectSamples), use: apiCloseRetest)
        api.post("testing/retests/:id/cancel", .can(.collectSamples), use: apiCancelRetest)
    }

    private func viewer(_ context: AuthedContext) async throws -> TestingViewer { try await TestingViewer.of(context.user, services: services) }

    // MARK: tubes

    struct SampleRow: Codable, Sendable {
        let id: String
        let label: String
        let kind: String
        let test: String
        let poolSize: Int
        let unitPath: String
        let pointId: String?
        let sampledAt: String
        let status: String
        let batchId: String?
        let resultValue: String?
        let resultedAt: String?
    }

    /// A page of tubes, newest first (keyset on sampled_at, id); `overdue` keeps those past the limit without a result.
    func page(viewer: TestingViewer, view: String?, after: String?, limit: Int) async throws -> (rows: [SampleRow], next: String?) {
        let limit = max(1, min(limit, 200))
        var sql: SQLQueryString = "SELECT id, label, kind, test, pool_size, unit_path, point_id, sampled_at, status, batch_id, result_value, resulted_at FROM samples WHERE \(viewer.labOrUnit())"
        if view == "overdue" {
            let hours = try await database.read { try await Policies.value($0, .resultOverdueHours) }
            sql = "\(sql) AND resulted_at IS NULL AND sampled_at < \(bind: Timestamp.string(Turnaround.overdueBefore(now: Clock.now(), limitHours: hours)))"
        } else if view == "pending" {
            sql = "\(sql) AND resulted_at IS NULL"
        } else if view == "positive" {
            sql = "\(sql) AND result_value = 'detected'"
        }
        if let (at, id) = Cursor.decode(after) { sql = "\(sql) AND (sampled_at < \(bind: at) OR (sampled_at = \(bind: at) AND id < \(bind: id)))" }
        sql = "\(sql) ORDER BY sampled_at DESC, id DESC LIMIT \(literal: limit + 1)"
        let query = sql
        let rows = try await database.read { try await $0.raw(query).all(decoding: SampleRow.self, keyDecodingStrategy: .memoizedSnakeCase) }
        let shown = Array(rows.prefix(limit))
        return (shown, rows.count > limit ? shown.last.map { Cursor.encode($0.sampledAt, $0.id) } : nil)
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let view = request.q("view")
        let (rows, next) = try await page(viewer: viewer, view: view, after: request.q("after"), limit: 50)
        var out: [[String: Any]] = []
        for r in rows {
            out.append(["id": r.id, "label": r.label, "kind": TestingView.kind(r.kind, l), "pool": r.poolSize, "test": TestingView.test(r.test, l),
                        "ward": await services.directory.cached(r.unitPath)?.name ?? r.unitPath, "at": TestingView.time(r.sampledAt),
                        "status": TestingView.sampleStatus(r.status, l), "result": r.resultValue.map { TestingView.value($0, l) } ?? "", "positive": r.resultValue == "detected"])
        }
        let filters = [("", context.t("Tất cả", "All")), ("pending", context.t("Chờ kết quả", "Awaiting results")), ("overdue", context.t("Quá hạn trả kết quả", "Overdue")),
                       ("positive", context.t("Dương tính", "Positive"))]
        return services.views.page("testing/samples", title: context.t("Ống mẫu", "Sample tubes"), context: context, data: [
            "rows": out, "hasRows": !out.isEmpty, "next": next.map { "/testing/samples?view=\(view ?? "")&after=\($0)" } as Any,
            "filters": filters.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == (view ?? "")] }, "canSample": context.user.can(.collectSamples),
        ], active: "testing")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderForm(request: request, context: context, values: [:], error: nil)
    }

    /// The phone form: the point, the household found by a name, phone, ID or household code (its members
    /// ticked), newcomers typed, the tube label scanned or typed, and Save.
    private func renderForm(request: Request, context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let l = context.language
        let scope = try await Scope.of(context.user, directory: services.directory)
        let points = try await database.read { try await TestingQueries.activePoints($0, scope: scope) }
        let chosen = values["point_id"] ?? request.q("point") ?? (points.count == 1 ? points.first?.id : nil)
        // Each point says how many people its campaign pools into a tube, so the team ticks no more than that.
        let poolMax = try await database.read { try await Policies.value($0, .samplePoolMax) }
        var campaignPool: [String: Int] = [:]
        for id in Set(points.map(\.campaignId)) {
            campaignPool[id] = try await database.read { try await TestingQueries.campaign($0, id: id) }?.poolSize
        }
        var pointOptions: [[String: Any]] = []
        for p in points {
            let pool = min(campaignPool[p.campaignId] ?? poolMax, poolMax)
            pointOptions.append(["id": p.id, "name": p.name, "ward": await services.directory.cached(p.unitPath)?.name ?? "", "selected": p.id == chosen,
                                 "pool": pool <= 1 ? context.t("mẫu đơn", "individual samples") : context.t("gộp tối đa \(pool) người/ống", "up to \(pool) people per tube")])
        }
        let query = values["q"] ?? request.q("q")
        var households: [[String: Any]] = []
        var shown: [PersonRecord] = []
        let preselected = request.q("person")
        if let query, !query.isEmpty, context.user.can(.viewPeople) {
            let found = try await database.read { try await PersonQueries.search($0, query: query, scope: scope, limit: 20) }.people
            var byCode = try await database.read { db -> [PersonRecord] in
                let code = query.uppercased()
                guard code.count <= TextLimits.code, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), code.contains(where: \.isNumber) else { return [] }
                return try await PersonQueries.fetch(db, "\(unsafeRaw: PersonQueries.select) WHERE household_code = \(bind: code) AND merged_into IS NULL AND \(scope.condition()) LIMIT 30")
            }
            byCode += found
            var seenHouseholds = Set<String>()
            for p in byCode {
                let key = p.householdCode.map { "\(p.unitPath)|\($0)" } ?? "p|\(p.id)"
                guard seenHouseholds.insert(key).inserted, households.count < 8 else { continue }
                let members: [PersonRecord]
                if let code = p.householdCode {
                    members = try await database.read { db in
                        try await PersonQueries.fetch(db, "\(unsafeRaw: PersonQueries.select) WHERE unit_path = \(bind: p.unitPath) AND household_code = \(bind: code) AND merged_into IS NULL AND \(scope.condition()) ORDER BY birth_date LIMIT 20")
                    }
                } else {
                    members = [p]
                }
                shown += members
                households.append(["code": p.householdCode ?? "", "address": p.address, "members": members.map { m in
                    ["id": m.id, "name": m.fullName, "birth": m.birthDate.flatMap { $0.count >= 4 ? String($0.prefix(4)) : nil } ?? "", "checked": true] }])
            }
        } else if let preselected, let p = try await database.read({ try await PersonQueries.find($0, id: preselected, scope: scope) }) {
            shown = [p]
            households.append(["code": p.householdCode ?? "", "address": p.address, "members": [["id": p.id, "name": p.fullName, "birth": p.birthDate.map { String($0.prefix(4)) } ?? "", "checked": true]]])
        }
        if !shown.isEmpty {
            try await Audit.viewed(database, user: context.user, people: shown.map { ($0.id, $0.unitPath) }, action: "search_view", summary: "Tìm người để lấy mẫu xét nghiệm")
        }
        // Member checkboxes are numbered: p_0, p_1, … carry the person ids.
        var index = 0
        let numbered = households.map { h -> [String: Any] in
            var h = h
            h["members"] = (h["members"] as? [[String: Any]] ?? []).map { m -> [String: Any] in
                var m = m
                m["field"] = "p_\(index)"
                index += 1
                return m
            }
            return h
        }
        // The service numbers the people of a tube as `input(from:)` lists them: ticked members first, then the
        // typed rows that are not blank. Its field errors are mapped back to the row the team typed.
        let fieldErrors = TestingView.fieldErrors(error)
        var position = values.filter { $0.key.hasPrefix("p_") && !$0.value.trimmed.isEmpty }.count
        var newcomerErrors = false
        let newcomers = (0..<Self.newcomerRows).map { i -> [String: Any] in
            var row: [String: Any] = ["i": i, "n": i + 1, "name": values["n\(i)_name"] ?? "", "phone": values["n\(i)_phone"] ?? "", "cid": values["n\(i)_cid"] ?? ""]
            let typed = MemberInput(fullName: values["n\(i)_name"], phone: values["n\(i)_phone"], citizenId: values["n\(i)_cid"])
            guard !typed.isBlank else { return row }
            for (field, key) in [("full_name", "nameError"), ("phone", "phoneError"), ("citizen_id", "cidError")] {
                if let message = fieldErrors["members_\(position)_\(field)"] {
                    row[key] = message
                    newcomerErrors = true
                }
            }
            position += 1
            return row
        }
        return services.views.page("testing/sample-new", title: context.t("Lấy mẫu xét nghiệm", "Take samples"), context: context, data: [
            "points": pointOptions, "hasPoints": !pointOptions.isEmpty, "pointId": chosen ?? "", "q": query ?? "", "households": numbered, "hasHouseholds": !numbered.isEmpty,
            "searched": query != nil, "newcomers": newcomers, "poolMax": poolMax, "label": values["label"] ?? "", "team": values["team"] ?? request.q("team") ?? "",
            "saved": request.q("saved") as Any, "savedCount": request.q("n") as Any, "formKey": Idempotency.newKey(), "canSearch": context.user.can(.viewPeople),
            "tests": TestingView.options(LabTest.self, selected: values["test"] ?? "", l) { ($0.labelVI, $0.labelEN) },
            "error": error.map { $0.message(l) } as Any, "err": fieldErrors, "newcomerErrors": newcomerErrors, "symptomatic": values["symptomatic"] == "1",
        ], status: error?.status ?? .ok, active: "sampling")
    }

    static func input(from f: FormData) -> SampleInput {
        var members: [MemberInput] = []
        for (name, value) in f.fields.sorted(by: { $0.key < $1.key }) where name.hasPrefix("p_") && !value.trimmed.isEmpty {
            members.append(MemberInput(personId: value.trimmed))
        }
        for i in 0..<newcomerRows {
            let m = MemberInput(fullName: f.value("n\(i)_name"), phone: f.value("n\(i)_phone"), citizenId: f.value("n\(i)_cid"))
            if !m.isBlank { members.append(m) }
        }
        return SampleInput(pointId: f.value("point_id"), label: f.value("label"), test: f.value("test"), members: members, symptomatic: f.value("symptomatic") == "1",
                           team: f.value("team"))
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let s = try await samples.record(Self.input(from: f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            var next = "/testing/samples/new?point=\(s.pointId ?? "")&saved=\(s.label)&n=\(s.poolSize)"
            if let team = f.value("team"), let encoded = team.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { next += "&team=\(encoded)" }
            return Views.redirect(next)
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return try await renderForm(request: request, context: context, values: f.fields, error: error)
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let id = try context.parameters.require("id")
        guard let sample = try await database.read({ try await TestingQueries.sample($0, id: id, viewer: viewer) }) else { throw AppError.notFound }
        let (members, results, point, batch, lab) = try await database.read { db in
            (try await TestingQueries.members(db, sampleIDs: [sample.id]),
             try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE sample_id = \(bind: sample.id) ORDER BY resulted_at DESC LIMIT 20")
                .all(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase),
             try await sample.pointId.asyncMap { try await TestingQueries.point(db, id: $0) } ?? nil,
             try await sample.batchId.asyncMap { id in try await db.raw("SELECT \(unsafeRaw: BatchRecord.columns) FROM sample_batches WHERE id = \(bind: id)").first(decoding: BatchRecord.self, keyDecodingStrategy: .memoizedSnakeCase) } ?? nil,
             try await sample.labId.asyncMap { try await TestingQueries.lab(db, id: $0) } ?? nil)
        }
        // A laboratory sees the tube, not the people in it; a ward sees whom it sampled.
        let showNames = !viewer.isLab && context.user.can(.viewPeople)
        if showNames {
            try await Audit.viewed(database, user: context.user, people: members.compactMap { m in m.personId.map { ($0, m.unitPath) } }, summary: "Xem ống mẫu \(sample.label)")
        }
        return services.views.page("testing/sample", title: context.t("Ống \(sample.label)", "Tube \(sample.label)"), context: context, data: [
            "label": sample.label, "kind": TestingView.kind(sample.kind, l), "test": TestingView.test(sample.test, l), "pool": sample.poolSize,
            "point": point?.name ?? "", "ward": await services.directory.label(sample.unitPath), "team": sample.team, "at": TestingView.time(sample.sampledAt),
            "status": TestingView.sampleStatus(sample.status, l), "symptomatic": sample.symptomatic,
            "batch": batch.map { ["id": $0.id, "code": $0.code] } as Any, "lab": lab?.name ?? "",
            "members": members.map { m in ["name": showNames ? m.fullName : Self.initials(m.fullName), "link": showNames && m.personId != nil, "personId": m.personId ?? "",
                                           "registered": m.personId != nil] },
            "results": results.map { r in ["value": TestingView.value(r.value, l), "positive": r.value == "detected", "status": TestingView.resultStatus(r.status, l),
                                           "at": TestingView.time(r.resultedAt), "match": TestingView.match(r.matchStatus, l), "source": TestingView.source(r.source, l),
                                           "ct": r.ct.map { NumberFormat.decimal($0, digits: 1, language: l) } ?? ""] },
            "hasResults": !results.isEmpty,
        ], active: "testing")
    }

    static func initials(_ name: String) -> String { name.split(separator: " ").compactMap { $0.first.map { "\($0)." } }.joined(separator: " ") }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let (rows, next) = try await page(viewer: viewer, view: request.q("view"), after: request.q("after"), limit: request.q("limit").flatMap { Int($0) } ?? 50)
        struct Body: Encodable { let data: [SampleRow]; let nextCursor: String? }
        return try JSON.response(Body(data: rows, nextCursor: next))
    }

    @Sendable func apiCreate(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(SampleInput.self, request, context: context)
        let s = try await samples.record(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        let members = try await database.read { try await TestingQueries.members($0, sampleIDs: [s.id]) }
        struct Body: Encodable { let data: SampleRecord; let members: [MemberRecord] }
        return try JSON.response(Body(data: s, members: members), status: .created)
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        guard let sample = try await database.read({ try await TestingQueries.sample($0, id: try context.parameters.require("id"), viewer: viewer) }) else { throw AppError.notFound }
        let (members, results) = try await database.read { db in
            (try await TestingQueries.members(db, sampleIDs: [sample.id]),
             try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE sample_id = \(bind: sample.id) ORDER BY resulted_at DESC LIMIT 20")
                .all(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase))
        }
        struct Member: Encodable { let id: String; let personId: String?; let name: String }
        let showNames = !viewer.isLab && context.user.can(.viewPeople)
        if showNames { try await Audit.viewed(database, user: context.user, people: members.compactMap { m in m.personId.map { ($0, m.unitPath) } }, summary: "Xem ống mẫu \(sample.label) (API)") }
        struct Body: Encodable { let data: SampleRecord; let members: [Member]; let results: [ResultRecord] }
        return try JSON.response(Body(data: sample, members: members.map { Member(id: $0.id, personId: showNames ? $0.personId : nil, name: showNames ? $0.fullName : Self.initials($0.fullName)) },
                                      results: results))
    }

    // MARK: batches

    @Sendable func batches(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderBatches(context: context, values: [:], error: nil)
    }

    private func renderBatches(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let now = Clock.now()
        let (list, labs, points, unsent) = try await database.read { db in
            (try await db.raw("SELECT \(unsafeRaw: BatchRecord.columns) FROM sample_batches WHERE \(viewer.labOrUnit()) ORDER BY CASE WHEN status = 'in_transit' THEN 0 ELSE 1 END, sent_at DESC LIMIT 200")
                .all(decoding: BatchRecord.self, keyDecodingStrategy: .memoizedSnakeCase),
             try await TestingQueries.labs(db),
             viewer.isLab ? [] : try await TestingQueries.activePoints(db, scope: viewer.scope),
             viewer.isLab ? [:] : try await Self.unsent(db, scope: viewer.scope))
        }
        let labName = Dictionary(labs.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var rows: [[String: Any]] = []
        for b in list {
            rows.append(["id": b.id, "code": b.code, "from": await services.directory.cached(b.unitPath)?.name ?? b.unitPath, "lab": labName[b.labId] ?? "",
                         "sent": TestingView.time(b.sentAt), "due": TestingView.time(b.expectedBy), "declared": NumberFormat.grouped(b.declaredCount),
                         "received": b.receivedCount.map(NumberFormat.grouped) ?? "", "status": TestingView.batchStatus(b.status, l), "late": b.isLate(now: now),
                         "discrepancy": b.statusValue == .discrepancy])
        }
        var pointRows: [[String: Any]] = []
        for p in points {
            pointRows.append(["id": p.id, "name": p.name, "ward": await services.directory.cached(p.unitPath)?.name ?? "", "unsent": NumberFormat.grouped(unsent[p.id] ?? 0),
                              "selected": values["point_id"] == p.id])
        }
        return services.views.page("testing/batches", title: context.t("Vận chuyển mẫu", "Sample transport"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "isLab": viewer.isLab, "canSend": context.user.can(.transportSamples) && !viewer.isLab && !pointRows.isEmpty,
            "points": pointRows, "labs": labs.map { ["id": $0.id, "name": $0.name, "selected": values["lab"] == $0.id] }, "v": values, "formKey": Idempotency.newKey(),
            "error": error.map { $0.message(l) } as Any, "err": TestingView.fieldErrors(error),
        ], status: error?.status ?? .ok, active: "batches")
    }

    /// Tubes collected at each point and not yet in a batch.
    static func unsent(_ db: any SQLDatabase, scope: Scope) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await db.raw("SELECT point_id, COUNT(*) AS n FROM samples WHERE status = 'collected' AND batch_id IS NULL AND point_id IS NOT NULL AND \(scope.wholeWard.condition()) GROUP BY point_id").all() {
            out[try row.decode(column: "point_id", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }

    static func batchInput(_ f: FormData) -> BatchInput {
        let labels = (f.value("labels") ?? "").split(whereSeparator: { $0.isNewline || $0 == "," || $0 == " " || $0 == ";" }).map(String.init)
        return BatchInput(pointId: f.value("point_id"), lab: f.value("lab"), labels: labels.isEmpty ? nil : labels, carrier: f.value("carrier"), note: f.value("note"))
    }

    @Sendable func createBatchPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let b = try await samples.createBatch(Self.batchInput(f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/testing/batches/\(b.id)")
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderBatches(context: context, values: f.fields, error: error)
        }
    }

    @Sendable func batch(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        guard let b = try await database.read({ try await TestingQueries.batch($0, id: try context.parameters.require("id"), viewer: viewer) }) else { throw AppError.notFound }
        let (tubes, lab, point) = try await database.read { db in
            (try await db.raw("SELECT label, kind, pool_size, status, result_value FROM samples WHERE batch_id = \(bind: b.id) ORDER BY label LIMIT 5000").all(),
             try await TestingQueries.lab(db, id: b.labId), try await b.pointId.asyncMap { try await TestingQueries.point(db, id: $0) } ?? nil)
        }
        let rows = try tubes.map { row -> [String: Any] in
            ["label": try row.decode(column: "label", as: String.self), "kind": TestingView.kind(try row.decode(column: "kind", as: String.self), l),
             "pool": try row.decode(column: "pool_size", as: Int.self), "status": TestingView.sampleStatus(try row.decode(column: "status", as: String.self), l),
             "result": (try? row.decode(column: "result_value", as: String?.self)).flatMap { $0 }.map { TestingView.value($0, l) } ?? ""]
        }
        let canReceive = context.user.can(.transportSamples) && b.statusValue == .inTransit && (lab.map(viewer.actsFor) ?? false)
        return services.views.page("testing/batch", title: context.t("Lô \(b.code)", "Batch \(b.code)"), context: context, data: [
            "id": b.id, "code": b.code, "from": point?.name ?? "", "ward": await services.directory.label(b.unitPath), "lab": lab?.name ?? "",
            "sent": TestingView.time(b.sentAt), "due": TestingView.time(b.expectedBy), "declared": NumberFormat.grouped(b.declaredCount),
            "received": b.receivedCount.map(NumberFormat.grouped) ?? "", "receivedAt": TestingView.time(b.receivedAt), "receivedBy": b.receivedBy ?? "",
            "status": TestingView.batchStatus(b.status, l), "late": b.isLate(now: Clock.now()), "discrepancy": b.statusValue == .discrepancy, "carrier": b.carrier, "note": b.note,
            "tubes": rows, "canReceive": canReceive, "declaredRaw": b.declaredCount,
        ], active: "batches")
    }

    @Sendable func receivePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        _ = try await samples.receiveBatch(batchID: id, count: f.value("received_count").flatMap { Int($0.replacingOccurrences(of: ".", with: "")) }, note: f.value("note"),
                                           user: context.user, language: context.language)
        return Views.redirect("/testing/batches/\(id)")
    }

    @Sendable func apiBatches(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let list = try await database.read { db in
            try await db.raw("SELECT \(unsafeRaw: BatchRecord.columns) FROM sample_batches WHERE \(viewer.labOrUnit()) ORDER BY sent_at DESC LIMIT 500")
                .all(decoding: BatchRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        struct Body: Encodable { let data: [BatchRecord] }
        return try JSON.response(Body(data: list))
    }

    @Sendable func apiCreateBatch(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(BatchInput.self, request, context: context)
        let b = try await samples.createBatch(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: BatchRecord }
        return try JSON.response(Body(data: b), status: .created)
    }

    @Sendable func apiBatch(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        guard let b = try await database.read({ try await TestingQueries.batch($0, id: try context.parameters.require("id"), viewer: viewer) }) else { throw AppError.notFound }
        let labels = try await database.read { try await $0.raw("SELECT label FROM samples WHERE batch_id = \(bind: b.id) ORDER BY label LIMIT 5000").all().map { try $0.decode(column: "label", as: String.self) } }
        struct Body: Encodable { let data: BatchRecord; let labels: [String] }
        return try JSON.response(Body(data: b, labels: labels))
    }

    @Sendable func apiReceive(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let receivedCount: Int?; let note: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        let b = try await samples.receiveBatch(batchID: try context.parameters.require("id"), count: body.receivedCount, note: body.note, user: context.user, language: context.language)
        struct Body: Encodable { let data: BatchRecord }
        return try JSON.response(Body(data: b))
    }

    // MARK: re-tests

    func openRetests(scope: Scope) async throws -> [RetestRecord] {
        try await database.read { db in
            try await db.raw("SELECT \(unsafeRaw: RetestRecord.readColumns) FROM retests WHERE status IN ('open', 'sampled') AND \(scope.condition()) ORDER BY status, created_at LIMIT 500")
                .all(decoding: RetestRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
    }

    @Sendable func retests(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderRetests(context: context, error: nil)
    }

    private func renderRetests(context: AuthedContext, error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let list = try await openRetests(scope: viewer.scope)
        let names = !viewer.isLab && context.user.can(.viewPeople)
        if names { try await Audit.viewed(database, user: context.user, people: list.compactMap { r in r.personId.map { ($0, r.unitPath) } }, action: "list_view", summary: "Danh sách cần xét nghiệm lại") }
        var rows: [[String: Any]] = []
        for r in list {
            rows.append(["name": names ? r.fullName : Self.initials(r.fullName), "personId": r.personId ?? "", "reason": TestingView.retest(r.reason, l),
                         "since": TestingView.time(r.createdAt), "ward": await services.directory.cached(r.unitPath)?.name ?? "", "open": r.status == "open",
                         "status": RetestStatus(rawValue: r.status).map { l == .vi ? $0.labelVI : $0.labelEN } ?? "",
                         "canSample": context.user.can(.collectSamples) && r.status == "open" && r.personId != nil,
                         // A newcomer's task follows no tube: the ward closes it by hand.
                         "manual": context.user.can(.collectSamples) && r.personId == nil, "id": r.id])
        }
        return services.views.page("testing/retests", title: context.t("Cần xét nghiệm lại", "To re-test"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty,
            "results": TestingView.options(TestResultValue.self, selected: TestResultValue.notDetected.rawValue, l) { ($0.labelVI, $0.labelEN) },
            "error": error.map { $0.message(l) } as Any, "errorDetails": error.map { $0.details.values.sorted().joined(separator: " ") } as Any,
        ], status: error?.status ?? .ok, active: "testing")
    }

    private func closeRetest(_ context: AuthedContext, as outcome: RetestService.Outcome) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await RetestService(services: services).close(id: try context.parameters.require("id"), RetestCloseInput(result: f.value("result"), reason: f.value("reason"), note: f.value("note")),
                                                                  as: outcome, user: context.user, language: context.language)
            return Views.redirect("/testing/retests")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return try await renderRetests(context: context, error: error)
        }
    }

    @Sendable func closeRetestPage(_ request: Request, context: AuthedContext) async throws -> Response { try await closeRetest(context, as: .done) }
    @Sendable func cancelRetestPage(_ request: Request, context: AuthedContext) async throws -> Response { try await closeRetest(context, as: .cancelled) }

    private func apiCloseRetest(_ request: Request, context: AuthedContext, as outcome: RetestService.Outcome) async throws -> Response {
        let input = try await APIBody.decode(RetestCloseInput.self, request, context: context)
        let task = try await RetestService(services: services).close(id: try context.parameters.require("id"), input, as: outcome, user: context.user, language: context.language)
        struct Body: Encodable { let data: RetestRecord }
        return try JSON.response(Body(data: task))
    }

    @Sendable func apiCloseRetest(_ request: Request, context: AuthedContext) async throws -> Response { try await apiCloseRetest(request, context: context, as: .done) }
    @Sendable func apiCancelRetest(_ request: Request, context: AuthedContext) async throws -> Response { try await apiCloseRetest(request, context: context, as: .cancelled) }

    @Sendable func apiRetests(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let list = try await openRetests(scope: viewer.scope)
        if !viewer.isLab, context.user.can(.viewPeople) {
            try await Audit.viewed(database, user: context.user, people: list.compactMap { r in r.personId.map { ($0, r.unitPath) } }, action: "list_view", summary: "Danh sách cần xét nghiệm lại (API)")
        }
        struct Body: Encodable { let data: [RetestRecord] }
        return try JSON.response(Body(data: list))
    }
}
