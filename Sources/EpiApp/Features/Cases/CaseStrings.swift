/// UI text of cases, tracing, quarantine, facilities, zones and risk levels.
enum CaseStrings {
    static let entries: [String: (vi: String, en: String)] = [:]
}
