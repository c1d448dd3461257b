import EpiCore
import Foundation

/// A date a user typed on a form or sent to the API (dd/mm/yyyy or yyyy-mm-dd).
package enum DateInput {
    /// Blank gives `fallback`; anything malformed is a 422 naming the field, never a silent default.
    package static func parse(_ raw: String?, field: String, default fallback: CivilDate? = nil) throws -> CivilDate? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        do {
            return try CivilDate(parsing: raw)
        } catch {
            throw AppError.invalid("Ngày không hợp lệ: \(error.messageVI)", "Invalid date: \(error.messageEN)", details: [field: "invalid"])
        }
    }

    /// Like `parse`, with today (Vietnam time) for a blank field.
    package static func orToday(_ raw: String?, field: String) throws -> CivilDate {
        try parse(raw, field: field) ?? Clock.today()
    }
}
