import EpiCore
import Foundation
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiReporting

extension TestApp {
    /// Submits a report through the same service the pages use, at a chosen instant.
    @discardableResult
    func submitReport(_ username: String, code: String = "ward_daily", period: String, unit: String, values: [String: String], reasons: [String: String] = [:],
                      correction: String? = nil, key: String? = nil, at now: Date = Clock.now()) async throws -> String {
        try await ReportService(services: services).submit(code: code, periodKey: period, unitPath: unit,
                                                           input: .init(values: values, reasons: reasons, correctionReason: correction),
                                                           user: try await user(username), key: key.map { IdempotencyKey($0) }, now: now)
    }
}
