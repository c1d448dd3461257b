import EpiCore
import Foundation
import Hummingbird
import Logging
import SQLKit

/// A capability's part of a person's page: tracing, for one, adds where the person stands
/// epidemiologically. The registry shows the page without knowing who contributes to it.
package protocol PersonSectionProvider: Sendable {
    /// The capability's template that renders the section (it receives the section's data, `personId` and `t`).
    var template: String { get }
    /// The section for one person the user may see, or nil to show nothing.
    func section(personID: String, merged: Bool, user: CurrentUser, language: Language, db: any SQLDatabase) async throws -> PersonSection?
}

/// A capability's records of a person that a merge of duplicates carries to the surviving record (cases,
/// exposures, tubes, doses, groups at risk). Runs inside the merge's transaction, so a step that throws
/// (two active cases) refuses the whole merge; returns the changes, by name, for the merge's audit row.
package protocol PersonMergeStep: Sendable {
    func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange]
    /// What the capability holds for a person, in a few words for the merge form ("F0 HN-000123", "2 mũi
    /// tiêm"), so the officer sees which record carries what before choosing; nil when it holds nothing.
    func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String?
}

extension PersonMergeStep {
    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? { nil }
}

/// Template data for one section of the person page. Built fresh per request from strings, numbers,
/// booleans and arrays/dictionaries of them, never shared or mutated afterwards, so it may cross
/// the database closure although `Any` is not `Sendable`.
package struct PersonSection: @unchecked Sendable {
    package let data: [String: Any]
    package init(_ data: [String: Any]) { self.data = data }
}

/// What the capabilities bring to the application, gathered by the composition root (`EpiApp`):
/// the platform knows none of them by name.
package struct Composition: Sendable {
    /// Every migration, oldest first (`MigrationRunner`).
    package var migrations: [Migration]
    /// UI text tables of each capability, merged into `Strings`.
    package var strings: [[String: (vi: String, en: String)]]
    /// Each capability's `Resources` folder: its templates and its part of the OpenAPI document.
    package var resources: [CapabilityResources]
    /// The menu, in order; each entry shows only to the roles it names.
    package var navigation: [NavigationItem]
    /// Each role's few main actions (menu keys), shown as buttons on a phone; the rest sit behind "Menu".
    package var primaryNavigation: [Role: [String]]
    /// Stored codes shown to people, each needing a label in `strings` (checked by a test).
    package var labels: [LabelSet]
    package var dashboard: DashboardSources
    package var personSections: [any PersonSectionProvider]
    package var personMerge: [any PersonMergeStep]
    /// What each kind of background job does.
    package var jobs: [String: @Sendable (Database, JobContext) async throws -> String]

    package init(migrations: [Migration], strings: [[String: (vi: String, en: String)]], resources: [CapabilityResources], navigation: [NavigationItem],
                 primaryNavigation: [Role: [String]], labels: [LabelSet], dashboard: DashboardSources, personSections: [any PersonSectionProvider],
                 jobs: [String: @Sendable (Database, JobContext) async throws -> String], personMerge: [any PersonMergeStep] = []) {
        self.migrations = migrations
        self.personMerge = personMerge
        self.strings = strings
        self.resources = resources
        self.navigation = navigation
        self.primaryNavigation = primaryNavigation
        self.labels = labels
        self.dashboard = dashboard
        self.personSections = personSections
        self.jobs = jobs
    }
}

/// A capability target's bundled `Resources` folder (`templates/…`, `openapi.json`). Each target
/// names its own (`Bundle.module` is per target), so templates live beside the code that renders them.
package struct CapabilityResources: Sendable {
    package let name: String
    package let root: URL

    package init(name: String, bundle: Bundle) {
        self.init(name: name, root: bundle.bundleURL.appendingPathComponent("Resources"))
    }

    package init(name: String, root: URL) {
        self.name = name
        self.root = root
    }

    /// The platform's own: the layout, login and error pages, shared partials, the API document's frame.
    package static let platform = CapabilityResources(name: "EpiPlatform", bundle: .module)
}

/// One entry of the menu: shown to users with any of `permissions` (everyone when empty).
package struct NavigationItem: Sendable {
    package let key: String
    package let href: String
    /// A `Strings` key.
    package let label: String
    package let permissions: [Permission]

    package init(_ key: String, _ href: String, label: String, anyOf permissions: [Permission] = []) {
        self.key = key
        self.href = href
        self.label = label
        self.permissions = permissions
    }
}

/// What every route receives: the database, settings, templates and the unit tree.
package struct AppServices: Sendable {
    package let database: Database
    package let settings: Settings
    package let views: Views
    /// `/api/openapi.json`: the platform's frame with every capability's paths and schemas.
    package let apiDocument: Data
    /// Every capability's `Resources/static/` files.
    package let staticFiles: StaticFiles
    package let directory: UnitDirectory
    /// Alerts and unit levels other features contribute to the command dashboard.
    package let dashboard: DashboardSources
    /// Long work with progress (a city-wide recomputation), off the request that asked for it.
    package let jobs: JobRunner
    package let personSections: [any PersonSectionProvider]
    package let personMerge: [any PersonMergeStep]
    package var auth: AuthService { AuthService(database: database, settings: settings) }

    package init(database: Database, settings: Settings, views: Views, apiDocument: Data, staticFiles: StaticFiles, directory: UnitDirectory,
                 dashboard: DashboardSources, jobs: JobRunner, personSections: [any PersonSectionProvider], personMerge: [any PersonMergeStep] = []) {
        self.database = database
        self.settings = settings
        self.views = views
        self.apiDocument = apiDocument
        self.staticFiles = staticFiles
        self.directory = directory
        self.dashboard = dashboard
        self.jobs = jobs
        self.personSections = personSections
        self.personMerge = personMerge
    }

    /// Opens the database, applies the composition's migrations and loads templates and the unit tree.
    package static func start(settings: Settings, logger: Logger, composition: Composition) async throws -> AppServices {
        Strings.install(composition.strings)
        let database = try await Database.open(settings.database, logger: logger)
        do {
            try await MigrationRunner.migrate(database, migrations: composition.migrations)
            // A demo database lives on its own day; a database without one leaves the clock alone.
            if let day = try await database.read({ try await SimulatedDay.get($0) }) { Clock.simulate(day) }
            let directory = UnitDirectory(database: database)
            try await directory.reload()
            let jobs = JobRunner(database: database, logger: logger)
            for (kind, handler) in composition.jobs { jobs.register(kind) { try await handler(database, $0) } }
            let resources = [CapabilityResources.platform] + composition.resources
            let views = try Views.load(resources, navigation: composition.navigation, primary: composition.primaryNavigation)
            return AppServices(database: database, settings: settings, views: views, apiDocument: try APIDocument.merge(resources),
                               staticFiles: try StaticFiles.load(resources), directory: directory,
                               dashboard: composition.dashboard, jobs: jobs, personSections: composition.personSections,
                               personMerge: composition.personMerge)
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// The same services with another dashboard (tests of the dashboard's providers).
    package func with(dashboard: DashboardSources) -> AppServices {
        AppServices(database: database, settings: settings, views: views, apiDocument: apiDocument, staticFiles: staticFiles, directory: directory,
                    dashboard: dashboard, jobs: jobs, personSections: personSections, personMerge: personMerge)
    }
}
