import EpiCore
import EpiPlatform
import Foundation

/// What the registry capability brings to the composition root besides its routes.
package enum Registry {
    package static let resources = CapabilityResources(name: "EpiRegistry", bundle: .module)

    /// The everyday menu: places, people, resident lists.
    /// The stored codes this capability shows, each with a label in its string table.
    package static let labels: [LabelSet] = []

    package static let navigation: [NavigationItem] = [
        NavigationItem("home", "/", label: "nav_home"),
        NavigationItem("units", "/units", label: "nav_units"),
        NavigationItem("people", "/people", label: "nav_people", anyOf: [.viewPeople]),
        NavigationItem("import", "/residents/import", label: "nav_import", anyOf: [.importResidents]),
    ]

    /// Administration, shown after the capabilities' own entries.
    package static let adminNavigation: [NavigationItem] = [
        NavigationItem("users", "/users", label: "nav_users", anyOf: [.manageUsers]),
        NavigationItem("audit", "/audit", label: "nav_audit", anyOf: [.viewAudit]),
    ]
}
