import EpiCore
import SQLKit

/// A user's jurisdiction turned into the cheapest exact SQL condition for rows that carry
/// `unit_path` (+ `group_code`), so a ward officer's query walks an index by equality and is
/// never slower than the city's.
package struct Scope: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// The user's unit is the only root: nothing to filter.
        case everything
        /// The lowest administrative unit: equality on `unit_path`.
        case unit(String)
        /// A residential group inside a unit.
        case group(unit: String, code: String)
        /// Any higher unit: a byte-order range on `unit_path`.
        case subtree(UnitPath)
    }

    package let kind: Kind
    package let root: UnitPath
    /// On SQLite a subtree filter is written so the planner walks the name index and filters,
    /// rather than collecting a whole district and sorting it.
    var filterWithoutIndex = false

    /// Private: a scope comes only from a user (`of`), a unit that user covers (`focus`), or `nothing`,
    /// so no query can be handed an ad-hoc "everything".
    private init(kind: Kind, root: UnitPath, filterWithoutIndex: Bool = false) {
        self.kind = kind
        self.root = root
        self.filterWithoutIndex = filterWithoutIndex
    }

    /// True when the scope is the deployment's only root: nothing needs filtering.
    package var coversEverything: Bool { kind == .everything }

    package static func of(_ user: CurrentUser, directory: UnitDirectory) async throws -> Scope {
        try await narrowest(user.unitPath, directory: directory)
    }

    /// The scope of one unit inside the user's jurisdiction (a drill-down, a report's unit): 404 when
    /// the user does not cover it.
    package static func focus(_ path: UnitPath, for user: CurrentUser, directory: UnitDirectory) async throws -> Scope {
        guard user.covers(path) else { throw AppError.notFound }
        return try await narrowest(path, directory: directory)
    }

    private static func narrowest(_ path: UnitPath, directory: UnitDirectory) async throws -> Scope {
        guard let unit = try await directory.unit(path.string) else {
            return Scope(kind: .subtree(path), root: path)
        }
        if unit.isGroup, let parent = unit.parentPath {
            return Scope(kind: .group(unit: parent, code: unit.code), root: path)
        }
        if await directory.isLowestAdministrative(path.string) {
            return Scope(kind: .unit(path.string), root: path)
        }
        if unit.parentPath == nil, await directory.roots().count == 1 {
            return Scope(kind: .everything, root: path)
        }
        return Scope(kind: .subtree(path), root: path, filterWithoutIndex: directory.databaseKind == .sqlite)
    }

    /// A scope that matches no row, for users who reach records only another way (facility staff).
    package static func nothing(root: UnitPath) -> Scope { Scope(kind: .unit(""), root: root) }

    /// For a residential-group user, their whole ward (records of the ward as a whole, such as its
    /// lockdown zones, carry no group); any other scope is unchanged.
    package var wholeWard: Scope {
        if case .group(let unit, _) = kind, let path = try? UnitPath(unit) { return Scope(kind: .unit(unit), root: path) }
        return self
    }

    /// The condition on a table with `unit_path` and `group_code` columns.
    package func condition(_ alias: String = "") -> SQLQueryString {
        let prefix = alias.isEmpty ? "" : alias + "."
        switch kind {
        case .everything:
            return "1 = 1"
        case .unit(let path):
            return "\(unsafeRaw: prefix)unit_path = \(bind: path)"
        case .group(let unit, let code):
            return "\(unsafeRaw: prefix)unit_path = \(bind: unit) AND \(unsafeRaw: prefix)group_code = \(bind: code)"
        case .subtree(let root):
            // SQLite's unary + keeps a column out of index selection; PostgreSQL's planner weighs this from statistics.
            let column = (filterWithoutIndex ? "+" : "") + prefix + "unit_path"
            return "(\(unsafeRaw: column) = \(bind: root.string) OR (\(unsafeRaw: column) >= \(bind: root.descendantLowerBound) AND \(unsafeRaw: column) < \(bind: root.descendantUpperBound)))"
        }
    }

    /// The same rule in Swift, for a record already loaded.
    package func contains(unitPath: String, groupCode: String?) -> Bool {
        switch kind {
        case .everything: return true
        case .unit(let path): return unitPath == path
        case .group(let unit, let code): return unitPath == unit && groupCode == code
        case .subtree(let root): return (try? UnitPath(unitPath)).map(root.contains) ?? false
        }
    }

    /// Whether a unit (for example the ward chosen on a form) lies inside this scope.
    package func contains(unit path: UnitPath) -> Bool {
        root.contains(path) || (kind == .everything)
    }
}
