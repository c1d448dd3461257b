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
    let labs = LabsByFacility()

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
    package struct Parsed: Sendable {
        let header: HL7MessageHeader
        var issues: [LabIssue]
        let lab: LabRecord
        let actor: CurrentUser
        var items: [IncomingResult]
        /// For each item, where its OBX was, for the ERR segment of a warning.
        var locations: [HL7Location?]
    }

    /// A message read: answered already (it could not be read, or names no lab we know), or waiting to be written.
    package enum Prepared: Sendable {
        case answered(Receipt)
        case parsed(Parsed)
    }

    /// Answers each message (in order). `lab` is the laboratory an HTTP caller acts for; without it (MLLP)
    /// a message names its lab by MSH-4, which must be a lab's registered HL7 facility id.
    package func receive(_ messages: [[UInt8]], lab fixed: LabRecord?, actor fixedActor: CurrentUser?) async -> [Receipt] {
        var receipts: [Receipt?] = Array(repeating: nil, count: messages.count)
        var parsed: [(Int, Parsed)] = []
        for (i, bytes) in messages.enumerated() {
            switch await prepare(bytes, lab: fixed, actor: fixedActor) {
            case .answered(let receipt): receipts[i] = receipt
            case .parsed(let p): parsed.append((i, p))
            }
        }
        for ((i, _), receipt) in zip(parsed, await commit(parsed.map(\.1))) { receipts[i] = receipt }
        return receipts.compactMap { $0 }
    }

    /// Reads one message and finds its laboratory: the work that needs no writer, done by each MLLP
    /// connection's own task (in parallel) before the message joins a group.
    package func prepare(_ bytes: [UInt8], lab fixed: LabRecord?, actor fixedActor: CurrentUser?) async -> Prepared {
        let now = Clock.now()
        let result: HL7ORUResult
        do {
            result = try HL7ORUParser.parse(bytes, options: Self.options)
        } catch {
            let code: HL7AckCode = error.hl7ErrorCode.isRejection ? .applicationReject : .applicationError
            return .answered(Receipt(ack: builder.buildBytes(acknowledging: HL7MessageHeader.peek(bytes), code: code, issues: [LabIssue(error)], controlID: Self.controlID(), at: now),
                                     code: code, stored: 0, pending: [], actor: nil))
        }
        var lab = fixed
        if lab == nil {
            let facility = result.header.sendingFacility.map { $0.namespaceID ?? $0.universalID ?? "" } ?? ""
            lab = facility.isEmpty ? nil : await labs.lab(facility, database: database)
            if lab == nil {
                let issue = LabIssue(.unknownCode(HL7Location(segment: "MSH", field: 4), value: facility))
                return .answered(Receipt(ack: builder.buildBytes(acknowledging: result.header, code: .applicationError, issues: [issue], controlID: Self.controlID(), at: now),
                                         code: .applicationError, stored: 0, pending: [], actor: nil))
            }
        }
        guard let lab, let labPath = try? UnitPath(lab.unitPath) else {
            return .answered(Receipt(ack: builder.buildBytes(acknowledging: result.header, code: .applicationError, issues: [LabIssue(.applicationFailure("lab"))],
                                                             controlID: Self.controlID(), at: now), code: .applicationError, stored: 0, pending: [], actor: nil))
        }
        // An MLLP link has no signed-in user: the audit names the link, and the lab by its unit.
        let actor = fixedActor ?? CurrentUser(id: "mllp", username: "mllp", displayName: lab.name, role: .lab, unitPath: labPath)
        var p = Parsed(header: result.header, issues: result.issues, lab: lab, actor: actor, items: [], locations: [])
        for (n, entry) in result.message.entries.enumerated() {
            switch LabInput.incoming(entry, fallbackTime: result.message.sentAt ?? now) {
            case .success(let item):
                p.items.append(item)
                p.locations.append(HL7Location(segment: "SPM", sequence: n + 1, field: 2))
            case .failure:
                p.issues.append(LabIssue(.invalidIdentifier(HL7Location(segment: "SPM", sequence: n + 1, field: 2), value: entry.specimen.label)))
            }
        }
        return .parsed(p)
    }

    /// Writes a group of read messages in one transaction and answers each (in order).
    package func commit(_ parsed: [Parsed]) async -> [Receipt] {
        let now = Clock.now()
        var receipts: [Receipt?] = Array(repeating: nil, count: parsed.count)
        guard !parsed.isEmpty else { return [] }
        // One transaction for the group; if it fails, each message alone, so one bad message fails only itself.
        var outcomes: [Int: [IngestOutcome]] = [:]
        let group = Array(parsed.enumerated())
        do {
            outcomes = try await database.transaction { db in
                // The messages of one lab and sender are written as one list, as a CSV upload's rows are:
                // each write costs a dozen statements whatever its size, which made a message cost ~1.4 ms.
                var out: [Int: [IngestOutcome]] = [:]
                var order: [String] = []
                var bySender: [String: [(Int, Parsed)]] = [:]
                for (index, p) in group {
                    let key = "\(p.lab.id)|\(p.actor.id)"
                    if bySender[key] == nil { order.append(key) }
                    bySender[key, default: []].append((index, p))
                }
                for key in order {
                    guard let messages = bySender[key], let first = messages.first?.1 else { continue }
                    let items = messages.flatMap(\.1.items)
                    let ids = messages.flatMap { _, p in Array(repeating: p.header.controlID ?? "", count: p.items.count) }
                    let written = try await ResultIngest.write(db, items, lab: first.lab, source: .hl7, messageID: "", messageIDs: ids, actor: first.actor)
                    var at = 0
                    for (index, p) in messages {
                        out[index] = Array(written[at..<min(at + p.items.count, written.count)])
                        at += p.items.count
                    }
                }
                return out
            }
        } catch {
            for (index, p) in group {
                outcomes[index] = try? await database.transaction { db in
                    try await ResultIngest.write(db, p.items, lab: p.lab, source: .hl7, messageID: p.header.controlID ?? "", actor: p.actor)
                }
            }
        }
        for (index, p) in parsed.enumerated() {
            guard let done = outcomes[index] else {
                let issue = LabIssue(.applicationFailure("database"))
                receipts[index] = Receipt(ack: builder.buildBytes(acknowledging: p.header, code: .applicationError, issues: p.issues + [issue], controlID: Self.controlID(), at: now),
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
            receipts[index] = Receipt(ack: builder.buildBytes(acknowledging: p.header, code: code, issues: issues, controlID: Self.controlID(), at: now),
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

/// Laboratories by their HL7 facility id (MSH-4), as an MLLP receiver has recently read them: every
/// message names its lab, and reading the lab for each one would cost the connection a query. A lab
/// found is kept for `lifetime` seconds (a lab re-registered under another id is refused within that
/// time); a facility nobody registered is read again each time, so a lab registered just now is taken
/// at its next message.
final class LabsByFacility: Sendable {
    static let lifetime: TimeInterval = 10
    private let found = NIOLockedValueBox<[String: (Date, LabRecord)]>([:])

    func lab(_ facility: String, database: Database) async -> LabRecord? {
        let now = Date()
        if let (at, lab) = found.withLockedValue({ $0[facility] }), now.timeIntervalSince(at) < Self.lifetime { return lab }
        guard let lab = try? await database.read({ try await TestingQueries.lab($0, hl7Facility: facility) }) else { return nil }
        found.withLockedValue { labs in
            if labs.count >= 1_000 { labs.removeAll() }
            labs[facility] = (now, lab)
        }
        return lab
    }
}

/// Collects messages arriving at the same time (from every MLLP connection) into one transaction, and
/// runs what their results make happen once their ACKs are out.
package final class HL7GroupCommitter: Sendable {
    let receiver: HL7Receiver
    private let committer: GroupCommitter<HL7Receiver.Parsed, HL7Receiver.Receipt>

    package init(database: Database, logger: Logger, maxGroup: Int = 256) {
        let receiver = HL7Receiver(database: database)
        self.receiver = receiver
        committer = GroupCommitter(maxGroup: maxGroup, flush: { messages in
            await receiver.commit(messages)
        }, afterCommit: { receipts in
            for receipt in receipts where !receipt.pending.isEmpty {
                guard let actor = receipt.actor else { continue }
                do { try await ResultActions.run(receiver.database, resultIDs: receipt.pending, actor: actor, logger: logger) } catch {
                    logger.error("hl7 result actions failed: \(String(reflecting: error))")
                }
            }
        })
    }

    package var statistics: GroupCommitStatistics { committer.statistics }

    /// The ACK for one framed-out message.
    package func submit(_ bytes: [UInt8]) async -> [UInt8] {
        // Read on the connection's own task; only the write waits for the group. The receiver answers every
        // message (AE/AR on failure) and never throws; an empty answer only follows a broken
        // one-receipt-per-message contract.
        switch await receiver.prepare(bytes, lab: nil, actor: nil) {
        case .answered(let receipt): return receipt.ack
        case .parsed(let message): return (try? await committer.submit(message))?.ack ?? []
        }
    }
}
