import EpiCore
import EpiLabFormats
import EpiPlatform
import Foundation
import SQLKit

extension ResultService {
    package struct FHIRAnswer: Sendable {
        package let status: Int
        package let body: JSONObject
        package let stored: Int
        package let actions: ResultActions.Summary
    }

    /// A FHIR R4 `Bundle` (transaction or batch) of Observations with their Patients and Specimens.
    /// A transaction is all or nothing: any refused entry answers 400/404/422 with an OperationOutcome
    /// naming it, and nothing is stored. A batch stores what it can and answers a batch-response with an
    /// OperationOutcome for each refused entry. Stored results that wait for review carry a warning.
    package func receiveFHIR(bytes: [UInt8], lab: LabRecord, actor: CurrentUser) async throws -> FHIRAnswer {
        guard actor.can(.enterResults) else { throw AppError.forbidden }
        let decoded: FHIRBundleDecodeResult
        do {
            decoded = try FHIRBundleDecoder.decode(bytes)
        } catch {
            return FHIRAnswer(status: 400, body: FHIREncoder.operationOutcome([LabIssue(error)]), stored: 0, actions: ResultActions.Summary())
        }
        if decoded.transactionFailed {
            let status = decoded.entries.first { !$0.isSuccess }?.failureStatus ?? 400
            return FHIRAnswer(status: status, body: FHIREncoder.transactionFailure(decoded), stored: 0, actions: ResultActions.Summary())
        }
        let now = Clock.now()
        // Each usable Observation as a result; one whose tube label no barcode carries is refused as its entry.
        var items: [IncomingResult] = []
        var itemOfEntry: [Int: Int] = [:]
        var refused: [Int: LabIssue] = [:]
        for entry in decoded.entries where entry.isSuccess {
            guard let r = entry.resultIndex, r < decoded.message.entries.count else { continue }
            switch LabInput.incoming(decoded.message.entries[r], fallbackTime: decoded.message.sentAt ?? now) {
            case .success(let item):
                itemOfEntry[entry.index] = items.count
                items.append(item)
            case .failure:
                refused[entry.index] = LabIssue(.fhirInvalidElement(path: "Bundle.entry[\(entry.index)].resource.specimen", value: decoded.message.entries[r].specimen.label))
            }
        }
        if decoded.kind == .transaction, let (index, issue) = refused.min(by: { $0.key < $1.key }) {
            return FHIRAnswer(status: 400, body: FHIREncoder.operationOutcome([LabIssue(.fhirTransactionFailed(failedEntry: index)), issue]), stored: 0, actions: ResultActions.Summary())
        }
        let written = try await writeBatch(items, lab: lab, source: .fhir, messageID: decoded.bundleID ?? decoded.message.messageID, actor: actor)
        var response = JSONObject()
        response.set("resourceType", "Bundle")
        response.set("id", Identifier.make())
        response.set("type", decoded.kind.responseType)
        response.set("timestamp", LabTimestamp.fhirString(now))
        var entries: [JSONObject] = []
        var stored = 0
        for entry in decoded.entries.sorted(by: { $0.index < $1.index }) {
            var r = JSONObject()
            if !entry.isSuccess || refused[entry.index] != nil {
                let issues = refused[entry.index].map { [$0] } ?? entry.issues
                r.set("status", FHIREncoder.httpStatusText(refused[entry.index] != nil ? 400 : entry.failureStatus))
                r.set("outcome", FHIREncoder.operationOutcome(issues))
            } else if let i = itemOfEntry[entry.index], i < written.outcomes.count {
                switch written.outcomes[i] {
                case .added(let id, _, let review, _):
                    stored += 1
                    r.set("status", "201 Created")
                    r.set("location", "Observation/\(id)/_history/1")
                    if let review { r.set("outcome", FHIREncoder.operationOutcome([Self.reviewIssue(review, item: items[i], entry: entry.index)])) }
                case .repeated(let id):
                    r.set("status", "200 OK")
                    if let id { r.set("location", "Observation/\(id)/_history/1") }
                }
            } else {
                // A Patient or Specimen entry: read to match the results, not stored as a resource of its own.
                r.set("status", "200 OK")
            }
            var e = JSONObject()
            e.set("response", r)
            entries.append(e)
        }
        response.set("entry", entries)
        return FHIRAnswer(status: 200, body: response, stored: stored, actions: written.actions)
    }

    static func reviewIssue(_ review: ReviewReason, item: IncomingResult, entry: Int) -> LabIssue {
        switch review {
        case .unknownSample: return LabIssue(.unknownSpecimenLabel(nil, label: item.label), severity: .warning)
        case .identityMismatch: return LabIssue(.fhirInvalidElement(path: "Bundle.entry[\(entry)].resource.subject", value: item.nationalIDs.first ?? item.name ?? ""), severity: .warning)
        case .changedResult: return LabIssue(.fhirInvalidElement(path: "Bundle.entry[\(entry)].resource.value[x]", value: item.value.rawValue), severity: .warning)
        }
    }
}
