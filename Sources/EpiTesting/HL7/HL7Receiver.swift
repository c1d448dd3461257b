import EpiCore
import EpiLabFormats
import EpiPlatform
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// Receives HL7 v2.5.1 ORU^R01 messages, over HTTP or MLLP, and answers each with the ACK a laboratory
/// system expects: AA when every result was stored (results that wait for review are stored, and listed
/// as warnings: an unknown tube label as 204, a person who does not fit the tube as 102); AE with the
/// refused orders, or when the database failed (207: send again); AR for a message type, version or
/// processing id we do not take.
///
/// Several messages (from several connections) are written in one transaction: group commit is what
/// lets one SQLite writer acknowledge thousands of messages a second.
package struct HL7Receiver: Sendable {
    let database: Database
    let builder = HL7ACKBuilder()

    package init(database: Database) {
        self.database = database
    }

    /// Production messages only: a result opens cases and re-test tasks for real people, so a lab
    /// trying its link with MSH-11 T (training) or D (debugging) gets AR, never an F0.
    static let options: HL7ORUOptions = {
        var o = HL7ORUOptions()
        o.acceptedProcessingIDs = ["P"]
        return o
    }()

    /// One message's answer and the results it stored whose actions are still to run.
    package struct Receipt: Sendable {
        package let ack: [UInt8]
        package let code: HL7AckCode
        package let stored: Int
        package let pending: [String]
        package let actor: CurrentUser?
    }

    /// A parsed message waiting for the group's transaction.
    private struct Parsed {
        let index: Int
        let header: HL7MessageHeader
        var issues: [LabIssue]
        let lab: LabRecord
        let actor: CurrentUser
        var items: [IncomingResult]
        /// For each item, where its OBX was, for the ERR segment of a warning.
        var locations: [HL7Location?]
    }

    /// Answers each message (in order). `lab` is the laboratory an HTTP caller acts for; without it (MLLP)
    /// a message names its lab by MSH-4, which must be a lab's registered HL7 facility id.
    package func receive(_ messages: [[UInt8]], lab fixed: LabRecord?, actor fixedActor: CurrentUser?) async -> [Receipt] {
        var receipts: [Receipt?] = Array(repeating: nil, count: messages.count)
        var parsed: [Parsed] = []
        var labsByFacility: [String: LabRecord?] = [:]
        let now = Clock.now()
        for (i, bytes) in messages.enumerated() {
            let result: HL7ORUResult
            do {
                result = try HL7ORUParser.parse(bytes, options: Self.options)
            } catch {
                receipts[i] = Receipt(ack: builder.buildBytes(acknowledging: HL7MessageHeader.peek(bytes), code: error.hl7ErrorCode.isRejection ? .applicationReject : .applicationError,
                                                              issues: [LabIssue(error)], controlID: Self.controlID(), at: now),
                                      code: error.hl7ErrorCode.isRejection ? .applicationReject : .applicationError, stored: 0, pending: [], actor: nil)
                continue
            }
            var lab = fixed
            if lab == nil {
                let facility = result.header.sendingFacility.map { $0.namespaceID ?? $0.universalID ?? "" } ?? ""
                if labsByFacility[facility] == nil {
                    labsByFacility[facility] = facility.isEmpty ? .some(nil) : .some(try? await database.read { try await TestingQueries.lab($0, hl7Facility: facility) })
                }
                lab = labsByFacility[facility] ?? nil
                if lab == nil {
                    let issue = LabIssue(.unknownCode(HL7Location(segment: "MSH", field: 4), value: facility))
                    receipts[i] = Receipt(ack: builder.buildBytes(acknowledging: result.header, code: .applicationError, issues: [issue], controlID: Self.controlID(), at: now),
                                          code: .applicationError, stored: 0, pending: [], actor: nil)
                    continue
                }
            }
            guard let lab, let labPath = try? UnitPath(lab.unitPath) else {
                receipts[i] = Receipt(ack: builder.buildBytes(acknowledging: result.header, code: .applicationError, issues: [LabIssue(.applicationFailure("lab"))],
                                                              controlID: Self.controlID(), at: now), code: .applicationError, stored: 0, pending: [], actor: nil)
                continue
            }
            // An MLLP link has no signed-in user: the audit names the link, and the lab by its unit.
            let actor = fixedActor ?? CurrentUser(id: "mllp", username: "mllp", displayName: lab.name, role: .lab, unitPath: labPath)
            var p = Parsed(index: i, header: result.header, issues: result.issues, lab: lab, actor: actor, items: [], locations: [])
            for (n, entry) in result.message.entries.enumerated() {
                switch LabInput.incoming(entry, fallbackTime: result.message.sentAt ?? now) {
                case .success(let item):
                    p.items.append(item)
                    p.locations.append(HL7Location(segment: "SPM", sequence: n + 1, field: 2))
                case .failure(let problem):
                    p.issues.append(LabIssue(.invalidIdentifier(HL7Location(segment: "SPM", sequence: n + 1, field: 2), value: entry.specimen.label)))
                    _ = problem
                }
            }
            parsed.append(p)
        }
        guard !parsed.isEmpty else { return receipts.compactMap { $0 } }
        // One transaction for the group; if it fails, each message alone, so one bad message fails only itself.
        var outcomes: [Int: [IngestOutcome]] = [:]
        let group = parsed
        do {
            outcomes = try await database.transaction { db in
                // The messages of one lab and sender are written as one list, as a CSV upload's rows are:
                // each write costs a dozen statements whatever its size, which made a message cost ~1.4 ms.
                var out: [Int: [IngestOutcome]] = [:]
                var order: [String] = []
                var bySender: [String: [Parsed]] = [:]
                for p in group {
                    let key = "\(p.lab.id)|\(p.actor.id)"
                    if bySender[key] == nil { order.append(key) }
                    bySender[key, default: []].append(p)
                }
                for key in order {
                    guard let messages = bySender[key], let first = messages.first else { continue }
                    let items = messages.flatMap(\.items)
                    let ids = messages.flatMap { p in Array(repeating: p.header.controlID ?? "", count: p.items.count) }
                    let written = try await ResultIngest.write(db, items, lab: first.lab, source: .hl7, messageID: "", messageIDs: ids, actor: first.actor)
                    var at = 0
                    for p in messages {
                        out[p.index] = Array(written[at..<min(at + p.items.count, written.count)])
                        at += p.items.count
                    }
                }
                return out
            }
        } catch {
            for p in group {
                outcomes[p.index] = try? await database.transaction { db in
                    try await ResultIngest.write(db, p.items, lab: p.lab, source: .hl7, messageID: p.header.controlID ?? "", actor: p.actor)
                }
            }
        }
        for p in parsed {
            guard let done = outcomes[p.index] else {
                let issue = LabIssue(.applicationFailure("database"))
                receipts[p.index] = Receipt(ack: builder.buildBytes(acknowledging: p.header, code: .applicationError, issues: p.issues + [issue], controlID: Self.controlID(), at: now),
                                            code: .applicationError, stored: 0, pending: [], actor: p.actor)
                continue
            }
            var issues = p.issues
            var stored = 0
            for (k, outcome) in done.enumerated() {
                guard case .added(_, _, let review, _) = outcome else { continue }
                stored += 1
                let item = p.items[k]
                switch review {
                case .unknownSample: issues.append(LabIssue(.unknownSpecimenLabel(p.locations[k], label: item.label), severity: .warning))
                case .identityMismatch:
                    issues.append(LabIssue(.invalidIdentifier(HL7Location(segment: "PID", sequence: 1, field: 3), value: item.nationalIDs.first ?? item.name ?? ""), severity: .warning))
                case .changedResult:
                    issues.append(LabIssue(.conflictingResult(HL7Location(segment: "OBX", sequence: 1, field: 5), value: item.value.rawValue, flag: "prior"), severity: .warning))
                case .none: break
                }
            }
            let code: HL7AckCode = issues.contains { $0.severity == .error } ? .applicationError : .applicationAccept
            receipts[p.index] = Receipt(ack: builder.buildBytes(acknowledging: p.header, code: code, issues: issues, controlID: Self.controlID(), at: now),
                                        code: code, stored: stored, pending: ResultService.pendingIDs(done), actor: p.actor)
        }
        return receipts.compactMap { $0 }
    }

    private static let counter = NIOLockedValueBox(0)

    /// MSH-10 of our ACKs: unique per process and sortable by time.
    static func controlID() -> String {
        let n = counter.withLockedValue { c -> Int in
            c += 1
            return c
        }
        return "EC\(Int(Date().timeIntervalSince1970))\(n)"
    }
}

/// Collects messages arriving at the same time (from every MLLP connection) into one transaction, and
/// runs what their results make happen once their ACKs are out.
package final class HL7GroupCommitter: Sendable {
    let receiver: HL7Receiver
    private let committer: GroupCommitter<[UInt8], HL7Receiver.Receipt>

    package init(database: Database, logger: Logger, maxGroup: Int = 256) {
        let receiver = HL7Receiver(database: database)
        self.receiver = receiver
        committer = GroupCommitter(maxGroup: maxGroup, flush: { messages in
            await receiver.receive(messages, lab: nil, actor: nil)
        }, afterCommit: { receipts in
            for receipt in receipts where !receipt.pending.isEmpty {
                guard let actor = receipt.actor else { continue }
                do { try await ResultActions.run(receiver.database, resultIDs: receipt.pending, actor: actor, logger: logger) } catch {
                    logger.error("hl7 result actions failed: \(String(reflecting: error))")
                }
            }
        })
    }

    /// The ACK for one framed-out message.
    package func submit(_ bytes: [UInt8]) async -> [UInt8] {
        // The receiver answers every message (AE/AR on failure) and never throws; an empty answer only
        // follows a broken one-receipt-per-message contract.
        (try? await committer.submit(bytes))?.ack ?? []
    }
}
