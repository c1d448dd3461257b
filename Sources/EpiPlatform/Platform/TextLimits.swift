/// How long a text a user sends may be, and which characters it may not hold (docs/configuration.md).
///
/// Every form field and every JSON string is checked on arrival; fields stored in indexed columns have
/// tighter limits in their validators, since PostgreSQL refuses an index row over a third of a page.
package enum TextLimits {
    /// Any single field: a note, a description, a message.
    package static let field = 20_000
    /// A person's or a place's name (indexed).
    package static let name = 150
    package static let address = 500
    /// Codes and short labels (household codes, vehicle plates, case numbers).
    package static let code = 50
    /// Titles and one-line descriptions.
    package static let title = 300

    /// Refuses NUL (PostgreSQL cannot store it in text, and no person types it) and texts over `field`.
    package static func check(_ value: String, field name: String) throws {
        if value.utf8.count > field * 4 || value.count > field {
            throw AppError.invalid("Trường \(name.prefix(40)) dài quá \(field) ký tự.", "Field \(name.prefix(40)) is longer than \(field) characters.",
                                   details: [String(name.prefix(40)): "too_long"])
        }
        if value.utf8.contains(0) {
            throw AppError.invalid("Trường \(name.prefix(40)) chứa ký tự không hợp lệ (NUL).", "Field \(name.prefix(40)) contains an invalid character (NUL).",
                                   details: [String(name.prefix(40)): "invalid_character"])
        }
    }

    /// The same rules for every string anywhere in a JSON document, named by its path ("contacts.2.phone").
    static func check(json: Any, path: String = "") throws {
        switch json {
        case let s as String: try check(s, field: path.isEmpty ? "body" : path)
        case let d as [String: Any]:
            for (k, v) in d {
                try check(k, field: path.isEmpty ? "key" : path)
                try check(json: v, path: path.isEmpty ? k : "\(path).\(k)")
            }
        case let a as [Any]:
            for (i, v) in a.enumerated() { try check(json: v, path: "\(path).\(i + 1)") }
        default: return
        }
    }
}
