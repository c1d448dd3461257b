import EpiCore
import EpiMovement
import EpiPlatform
import EpiRegistry
import EpiReporting
import EpiSigning
import EpiTesting
import EpiTracing
import EpiVaccination
import Foundation
import Hummingbird
import Logging

/// The capabilities of EpiCommand, put together: every migration in order, the UI text, templates and
/// API descriptions, the menu, the dashboard's providers, the person page's sections and the background
/// jobs. A new capability adds its part here and to `buildRouter`, and nowhere else.
extension Composition {
    package static let epiCommand = Composition(
        migrations: [
            PlatformMigrations.createUsersSessionsAudit,   // users, sessions, API tokens, audit log
            PlaceMigrations.createUnits,                   // administrative tree with validity dates
            RegistryMigrations.createPersons,              // person registry, merges, imports
            RegistryMigrations.createPersonCounts,         // pre-aggregated registry figures per unit
            SharedMigrations.createCountersPoliciesIdempotency, // live figures per unit, versioned rule settings, repeat-safe forms
            CaseMigrations.createCases,                    // F0 cases, exposures, derived contact levels, tracing, clusters
            CaseMigrations.createQuarantine,               // quarantine rules and episodes, facilities, transfers, scenarios
            CaseMigrations.createZonesRisk,                // lockdown zones, checkpoints, risk rules, indicators, assessments
            ReportMigrations.createReports,                // report templates, submissions, latest versions, figures, reminders
            ReportMigrations.createStreamsTasksRosters,    // message streams, tasks, duty rosters, hotlines, targets
            ReportMigrations.seedTemplates,                // the daily ward report and the weekly district report
            SecurityMigrations.hardening,                  // token expiry, request fingerprints, import status, append-only audit
            TracingMigrations.levelEndsJobsRules,          // ended levels, background jobs, 2022 facility rule, [unsure] start dates
            TestingMigrations.createTesting,               // labs, campaigns, sampling points, tubes, batches, results, re-tests, FHIR exports
            RegistryMigrations.householdIndex,             // a person page's household without walking the ward
            TestingMigrations.retestClosing,               // newcomers' re-test tasks closed or cancelled by hand
            RegistryMigrations.oldIDIndex,                 // duplicate checks by old ID on an index, not a table scan
            MovementMigrations.createMovement,             // businesses, prevention plans, staff lists, permits, checkpoint checks
            MovementMigrations.createDeclarations,         // public health declarations (72-hour signed codes)
            MovementMigrations.createViolations,           // fines for breaches of the measures, with their legal basis
            MovementMigrations.createInspections,          // inspection teams' visits, findings with deadlines
            VaccinationMigrations.createVaccination,       // vaccine lots, stock ledgers, allocations, sites, sessions, doses, AEFI, certificates, revocations
            VaccinationMigrations.coverageTotals,          // running coverage totals, per-day index, stored registry populations per ward and age group
            TracingMigrations.indicatorReasons,            // a coverage figure entered by hand overrides the computed one and says why
            MovementMigrations.outCounters,                // people allowed out per ward, day and reason as counters, filled from existing permits and checks
            ReportMigrations.peopleOutPrefill,             // the ward daily report's "people allowed out" pre-filled from those counters
            MovementMigrations.permitListIndexes,          // permits waiting for approval counted, and the newest listed, on indexes
            MovementMigrations.checkpointLastSeen,         // when each checkpoint last sent a check, for the silent-checkpoint alert
            VaccinationMigrations.priorityGroups,          // priority groups as an editable list; the group each screening and dose was given under
            TestingMigrations.personRiskGroups,            // the groups at risk (shippers, market traders…) a registered person belongs to
            VaccinationMigrations.priorityRegistryGroups,  // a priority group names the group at risk whose recorded people belong to it
            VaccinationMigrations.mergeCarry,              // a merge of duplicates moves screenings and adverse events by person, and sets aside renumbered certificates
            MovementMigrations.personIndexes,              // a person's permits, fines and staff-list places by person, for merges
        ],
        strings: [Registry.strings, CaseStrings.entries, TracingAuditStrings.entries, ReportStrings.entries, ReportingAuditStrings.entries, Signing.strings,
                  TestingStrings.entries, TestingAuditStrings.entries, MovementStrings.entries, VaccinationStrings.entries],
        resources: [Registry.resources, Tracing.resources, Reporting.resources, Signing.resources, TestingCapability.resources, MovementCapability.resources,
                    VaccinationCapability.resources],
        navigation: Registry.navigation + Tracing.navigation + TestingCapability.navigation + VaccinationCapability.navigation + Registry.adminNavigation
            + Reporting.navigation + MovementCapability.navigation,
        primaryNavigation: [
            .cityCommand: ["dashboard", "reports", "zones"], .districtCommand: ["dashboard", "reports", "quarantine"],
            .wardCommand: ["dashboard", "cases", "reports"], .wardDataEntry: ["cases", "contacts", "people"],
            .communityTeam: ["tracing", "contacts", "people"], .quarantineFacility: ["facilities", "quarantine"],
            .checkpoint: ["movement_check"], .supervisor: ["dashboard", "reports"], .business: ["my_business"],
            .lab: ["batches", "lab_results", "testing"],
            .vaccinationSite: ["vaccination"],
        ],
        labels: Registry.labels + Tracing.labels + Reporting.labels + TestingCapability.labels + MovementCapability.labels + VaccinationCapability.labels,
        dashboard: DashboardSources(alerts: [OverdueTracingAlerts(), FacilityLoadAlerts(), LateReportAlerts(), UrgentMessageAlerts(), OverdueTaskAlerts()] + TestingCapability.alerts
                                        + MovementCapability.alerts + VaccinationCapability.alerts,
                                    levels: RiskLevelProvider(), coverage: VaccinationCoverageSource()),
        personSections: [EpiSection(), TestingSection(), VaccinationSection(), MovementSection()],
        jobs: [ContactLevelJob.kind: { database, job in try await ContactLevelJob.run(database, job) },
               FHIRBulkExport.kind: { database, job in try await FHIRBulkExport.run(database, job) }],
        personMerge: [TracingMerge(), RiskGroupMerge(), TestingMerge(), VaccinationMerge(), MovementMerge()]
    )
}

extension AppServices {
    /// Opens the database with every capability of EpiCommand: what `serve`, the commands and the tests use.
    package static func start(settings: Settings, logger: Logger) async throws -> AppServices {
        try await start(settings: settings, logger: logger, composition: .epiCommand)
    }

    /// For `serve` only: runs again what a stopped server left unfinished, and every six hours (first
    /// at start) recomputes every contact level, so contacts past their follow period lapse on time
    /// and the whole city follows the rules in force on each record's date.
    package func startMaintenance(every interval: Duration = .seconds(6 * 3600)) async throws -> Task<Void, Never> {
        try await jobs.resume()
        // Positive results stored just before a stop still open their F0s and re-tests.
        let database = self.database
        Task {
            guard let city = try? UnitPath("01") else { return }
            _ = try? await ResultActions.run(database, actor: ResultActions.systemActor(city))
        }
        let jobs = self.jobs
        return Task {
            while !Task.isCancelled {
                _ = try? await jobs.enqueue(ContactLevelJob.kind, by: nil, reason: "Định kỳ")
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The laboratories' HL7 v2 listener over MLLP (`serve --mllp-port`), started beside the web server.
/// Returns the running listener (its port, its write groups, `stop()`); it carries no credentials, so it binds where only labs reach.
package func startLabListener(_ services: AppServices, host: String, port: Int, logger: Logger) async throws -> MLLPServer {
    try await MLLPServer.start(database: services.database, host: host, port: port, logger: logger)
}

/// The one composition root, called by `epicommand serve` and by the tests. Every route is
/// registered through `Routes`, so `catalog` ends up holding each one with its access rule.
package func buildRouter(_ services: AppServices, catalog: RouteCatalog = RouteCatalog()) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware(views: services.views))
    router.add(middleware: AuthMiddleware(auth: services.auth, catalog: catalog))

    let open = Routes(router.group(), prefix: "", catalog: catalog, user: { $0.user })
    open.get("health", .open) { _, _ in
        try JSON.response(["status": "ok", "database": services.database.kind.rawValue])
    }
    StaticRoutes(apiDocument: services.apiDocument, files: services.staticFiles).register(open)
    LoginRoutes(services: services).register(open)
    TaskRoutes.registerPublic(open, services: services)
    SigningRoutes(services: services).register(open)
    DeclarationRoutes(services: services).register(open)
    VaccinationRoutes(services: services).registerPublic(open)

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
    TestingRoutes(services: services).register(pages: pages, api: api)
    SampleRoutes(services: services).register(pages: pages, api: api)
    ResultRoutes(services: services).register(pages: pages, api: api)
    MovementRoutes(services: services).register(pages: pages, api: api)
    VaccinationRoutes(services: services).register(pages: pages, api: api)
    let fhir = Routes(router.group("fhir", context: AuthedContext.self), prefix: "fhir", catalog: catalog, user: { $0.user })
    FHIRRoutes(services: services).register(fhir)
    return router
}

/// The HTTP application for `serve`.
package func buildApplication(_ services: AppServices) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(services.settings.host, port: services.settings.port), serverName: "EpiCommand"),
        logger: Logger(label: "epicommand")
    )
}
