import EpiLabFormats
import EpiPlatform
import Foundation
import NIOCore
import NIOPosix

/// A laboratory system's end of an MLLP link (`epicommand bench mllp-client`, the tests): each
/// connection sends one framed message, waits for its ACK, then sends the next, as a LIS that does not
/// pipeline does. Counts the ACKs by MSA-1 and times each round trip.
package enum MLLPClient {
    package struct Tally: Sendable {
        /// MSA-1 AA, AE and AR.
        package var accepted = 0
        package var errors = 0
        package var rejected = 0
        /// Answers with no MSA-1 we know, and frames the decoder refused.
        package var unreadable = 0
        /// Milliseconds from writing each message to reading its ACK.
        package var latencies: [Double] = []

        package var answered: Int { accepted + errors + rejected + unreadable }

        mutating func merge(_ other: Tally) {
            accepted += other.accepted
            errors += other.errors
            rejected += other.rejected
            unreadable += other.unreadable
            latencies += other.latencies
        }

        mutating func count(_ ack: [UInt8]?) {
            switch ack.flatMap(MLLPClient.code) {
            case .applicationAccept: accepted += 1
            case .applicationError: errors += 1
            case .applicationReject: rejected += 1
            case nil: unreadable += 1
            }
        }
    }

    /// Sends `messages` (unframed HL7) over `connections` connections, dealt round robin.
    package static func send(_ messages: [[UInt8]], host: String, port: Int, connections: Int) async throws -> Tally {
        let n = max(1, min(connections, messages.count))
        return try await withThrowingTaskGroup(of: Tally.self) { group in
            for c in 0..<n {
                let mine = stride(from: c, to: messages.count, by: n).map { messages[$0] }
                group.addTask { try await exchange(mine, host: host, port: port) }
            }
            var total = Tally()
            for try await tally in group { total.merge(tally) }
            return total
        }
    }

    /// MSA-1 of an ACK, when it is one of ours.
    package static func code(_ ack: [UInt8]) -> HL7AckCode? {
        guard let message = try? HL7Message.parse(ack), let text = message.first("MSA")?.text(1) else { return nil }
        return HL7AckCode(rawValue: text)
    }

    static func exchange(_ messages: [[UInt8]], host: String, port: Int) async throws -> Tally {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var tally = Tally()
            tally.latencies.reserveCapacity(messages.count)
            var decoder = MLLPDecoder()
            var received = inbound.makeAsyncIterator()
            var waiting: [MLLPEvent] = []
            for message in messages {
                let start = DispatchTime.now().uptimeNanoseconds
                try await outbound.write(ByteBuffer(bytes: try MLLP.frame(message)))
                while waiting.isEmpty {
                    guard let chunk = try await received.next() else {
                        throw AppError(.internalServerError, code: "mllp_closed", vi: "Máy chủ MLLP đóng kết nối sau \(tally.answered) bản tin.",
                                       en: "The MLLP server closed the connection after \(tally.answered) messages.")
                    }
                    waiting += decoder.feed(chunk.readableBytesView)
                }
                tally.latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                if case .message(let ack) = waiting.removeFirst() { tally.count(ack) } else { tally.count(nil) }
            }
            return tally
        }
    }
}
