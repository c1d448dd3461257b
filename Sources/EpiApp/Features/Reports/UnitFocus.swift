import EpiCore
import Foundation
import Hummingbird

/// The unit a page looks at: the user's own, or one below it chosen with `?unit=01.007` (drill-down).
/// A unit outside the user's jurisdiction answers 404, like a record outside it.
struct UnitFocus: Sendable {
    let unit: UnitRecord
    let scope: Scope
    let path: UnitPath

    static func resolve(_ slug: String?, context: AuthedContext, directory: UnitDirectory) async throws -> UnitFocus {
        if let slug, !slug.isEmpty {
            guard let path = try? UnitPath(slug: slug.replacingOccurrences(of: "/", with: ".")), context.user.covers(path),
                  let unit = try await directory.unit(path.string) else { throw AppError.notFound }
            if path != context.user.unitPath {
                return UnitFocus(unit: unit, scope: try await Scope.focus(path, for: context.user, directory: directory), path: path)
            }
        }
        guard let unit = try await directory.unit(context.user.unitPath.string) else { throw AppError.notFound }
        return UnitFocus(unit: unit, scope: try await Scope.of(context.user, directory: directory), path: context.user.unitPath)
    }

    /// Links from the user's own unit down to this one, for climbing back up.
    func crumbs(user: CurrentUser, directory: UnitDirectory, base: String, query: String = "") async -> [[String: Any]] {
        await Self.crumbs(to: unit, user: user, directory: directory, base: base, query: query)
    }

    static func crumbs(to unit: UnitRecord, user: CurrentUser, directory: UnitDirectory, base: String, query: String = "") async -> [[String: Any]] {
        let lineage = await directory.lineage(unit.path).filter { (try? UnitPath($0.path)).map(user.unitPath.contains) ?? false }
        return lineage.map { u in
            let slug = (try? UnitPath(u.path))?.slug ?? u.path
            return ["name": u.name, "href": "\(base)?unit=\(slug)\(query.isEmpty ? "" : "&" + query)", "current": u.path == unit.path]
        }
    }
}

/// Reads request bodies for the API the same way everywhere.
enum APIBody {
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, context: AuthedContext) async throws -> T {
        try await PersonRoutes.decode(type, request, context: context)
    }
}

/// Small formatting helpers shared by the reporting pages.
enum ReportView {
    static func time(_ iso: String?) -> String { iso.map(DisplayTime.format) ?? "" }

    static func status(_ t: Timeliness, _ language: Language) -> [String: Any] {
        ["code": t.rawValue, "label": language == .vi ? t.labelVI : t.labelEN]
    }

    static func slug(_ path: String) -> String { (try? UnitPath(path))?.slug ?? path }

    static func number(_ n: Int?) -> String { n.map(NumberFormat.grouped) ?? "—" }
}
