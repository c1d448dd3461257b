import Hummingbird

/// The two UI languages: Vietnamese first, English second.
package enum Language: String, Sendable, CaseIterable {
    case vi
    case en

    /// Reads the `lang` cookie; Vietnamese unless the user chose English.
    static func from(_ request: Request) -> Language {
        request.cookies["lang"].flatMap { Language(rawValue: $0.value) } ?? .vi
    }
}
