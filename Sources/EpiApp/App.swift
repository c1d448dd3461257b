import EpiCore
import Foundation
import Hummingbird
import Logging

/// What every route receives: the database, settings, templates and the unit tree.
public struct AppServices: Sendable {
    public let database: Database
    public let settings: Settings
    public let views: Views
    public let directory: UnitDirectory
    /// Alerts and unit levels other features contribute to the command dashboard.
    public let dashboard: DashboardSources
    /// Long work with progress (a city-wide recomputation), off the request that asked for it.
    public let jobs: JobRunner
    public var auth: AuthService { AuthService(database: database, settings: settings) }

    /// Opens the database, applies migrations and loads templates and the unit tree.
    public static func start(settings: Settings, logger: Logger) async throws -> AppServices {
        let database = try await Database.open(settings.database, logger: logger)
        do {
            try await MigrationRunner.migrate(database)
            let directory = UnitDirectory(database: database)
            try await directory.reload()
            let jobs = JobRunner(database: database, logger: logger)
            registerJobs(jobs, database: database)
            return AppServices(database: database, settings: settings, views: try await Views.load(), directory: directory, dashboard: dashboardSources(), jobs: jobs)
        } catch {
            await database.shutdown()
            throw error
        }
    }
}

extension AppServices {
    /// For `serve` only: runs again what a stopped server left unfinished, and every six hours (first
    /// at start) recomputes every contact level, so contacts past their follow period lapse on time
    /// and the whole city follows the rules in force on each record's date.
    public func startMaintenance(every interval: Duration = .seconds(6 * 3600)) async throws -> Task<Void, Never> {
        try await jobs.resume()
        let jobs = self.jobs
        return Task {
            while !Task.isCancelled {
                _ = try? await jobs.enqueue(ContactLevelJob.kind, by: nil, reason: "Định kỳ")
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// What each kind of background job does.
func registerJobs(_ jobs: JobRunner, database: Database) {
    jobs.register(ContactLevelJob.kind) { try await ContactLevelJob.run(database, $0) }
}

/// Which features feed the dashboard: each adds its providers here.
func dashboardSources() -> DashboardSources {
    DashboardSources(alerts: [OverdueTracingAlerts(), FacilityLoadAlerts(), LateReportAlerts(), UrgentMessageAlerts(), OverdueTaskAlerts()],
                     levels: RiskLevelProvider())
}

/// The one composition root, called by `epicommand serve` and by the tests. Every route is
/// registered through `Routes`, so `catalog` ends up holding each one with its access rule.
public func buildRouter(_ services: AppServices, catalog: RouteCatalog = RouteCatalog()) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware(views: services.views))
    router.add(middleware: AuthMiddleware(auth: services.auth, catalog: catalog))

    let open = Routes(router.group(), prefix: "", catalog: catalog, user: { $0.user })
    open.get("health", .open) { _, _ in
        try JSON.response(["status": "ok", "database": services.database.kind.rawValue])
    }
    StaticRoutes(views: services.views).register(open)
    LoginRoutes(services: services).register(open)
    TaskRoutes.registerPublic(open, services: services)

    let pages = Routes(router.group(context: AuthedContext.self), prefix: "", catalog: catalog, user: { $0.user })
    let api = Routes(router.group("api/v1", context: AuthedContext.self), prefix: "api/v1", catalog: catalog, user: { $0.user })
    HomeRoutes(services: services).register(pages: pages, api: api)
    UnitRoutes(services: services).register(pages: pages, api: api)
    PersonRoutes(services: services).register(pages: pages, api: api)
    ResidentRoutes(services: services).register(pages: pages, api: api)
    UserRoutes(services: services).register(pages: pages, api: api)
    AuditRoutes(services: services).register(pages: pages, api: api)
    CaseRoutes(services: services).register(pages: pages, api: api)
    PersonContactRoutes(services: services).register(pages: pages, api: api)
    QuarantineRoutes(services: services).register(pages: pages, api: api)
    ZoneRoutes(services: services).register(pages: pages, api: api)
    RiskRoutes(services: services).register(pages: pages, api: api)
    DashboardRoutes(services: services).register(pages: pages, api: api)
    ReportRoutes(services: services).register(pages: pages, api: api)
    TemplateRoutes(services: services).register(pages: pages, api: api)
    MessageRoutes(services: services).register(pages: pages, api: api)
    TaskRoutes(services: services).register(pages: pages, api: api)
    return router
}

/// The HTTP application for `serve`.
public func buildApplication(_ services: AppServices) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(services.settings.host, port: services.settings.port), serverName: "EpiCommand"),
        logger: Logger(label: "epicommand")
    )
}
