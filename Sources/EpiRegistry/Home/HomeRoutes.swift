import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

/// The start page: who you are, your jurisdiction, and its registry figures.
package struct HomeRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("", .signedIn, use: home)
        api.get("me", .signedIn, use: me)
    }

    struct Figures: Encodable, Sendable {
        let people: Int
        let temporary: Int
        let shortStay: Int
    }

    private func figures(_ context: AuthedContext) async throws -> Figures? {
        guard context.user.can(.viewPeople) else { return nil }
        let scope = try await Scope.of(context.user, directory: services.directory)
        return try await services.database.read { db in
            let counts = try await PersonQueries.counts(db, scope: scope)
            return Figures(people: counts.values.reduce(0, +), temporary: counts["temporary"] ?? 0, shortStay: counts["short_stay"] ?? 0)
        }
    }

    @Sendable func home(_ request: Request, context: AuthedContext) async throws -> Response {
        let figures = try await figures(context)
        let unit = try await services.directory.unit(context.user.unitPath.string)
        let number = NumberFormat.grouped
        return services.views.page("home", title: context.t("Trang chủ", "Home"), context: context, data: [
            "unitName": unit?.name ?? context.user.unitPath.string,
            "unitLabel": await services.directory.label(context.user.unitPath.string),
            "unitSlug": context.user.unitPath.slug,
            "hasFigures": figures != nil,
            "people": number(figures?.people ?? 0), "temporary": number(figures?.temporary ?? 0), "shortStay": number(figures?.shortStay ?? 0),
            "population": unit?.population.map(number) as Any,
            "canDashboard": context.user.can(.viewDashboard), "canReports": context.user.can(.viewReports),
            "actions": services.views.mainActions(context),
        ], active: "home")
    }

    @Sendable func me(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Me: Encodable {
            let id: String, username: String, displayName: String, role: String, unitPath: String, permissions: [String]
        }
        let u = context.user
        return try JSON.response(Me(id: u.id, username: u.username, displayName: u.displayName, role: u.role.rawValue, unitPath: u.unitPath.string,
                                    permissions: u.role.permissions.map(\.rawValue).sorted()))
    }
}
