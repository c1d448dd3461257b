import EpiLabFormats
import EpiPlatform
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The MLLP listener laboratory systems connect to (`epicommand serve --mllp-port 2575`): framed
/// HL7 messages in, one framed ACK out per message, in order, on the same connection. Messages from
/// all connections are written together (`HL7GroupCommitter`); a connection that pipelines several
/// messages gets them processed together too. MLLP carries no credentials: bind it to an address only
/// the laboratories' network reaches, and register each lab's MSH-4 facility id (`/testing/labs`).
package final class MLLPServer: Sendable {
    let channel: any Channel
    /// The port actually bound (useful when asked for port 0).
    package let port: Int
    let task: Task<Void, Never>
    let committer: HL7GroupCommitter

    private init(channel: any Channel, port: Int, task: Task<Void, Never>, committer: HL7GroupCommitter) {
        self.channel = channel
        self.port = port
        self.task = task
        self.committer = committer
    }

    /// The groups its messages were written in so far.
    package var statistics: GroupCommitStatistics { committer.statistics }

    package static func start(database: Database, host: String, port: Int, logger: Logger) async throws -> MLLPServer {
        let committer = HL7GroupCommitter(database: database, logger: logger)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        let task = Task {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await Self.serve(connection, committer: committer, logger: logger) }
                        }
                    }
                }
            } catch {
                logger.info("MLLP listener stopped: \(String(describing: error))")
            }
        }
        logger.info("MLLP listener on \(host):\(bound)")
        return MLLPServer(channel: server.channel, port: bound, task: task, committer: committer)
    }

    /// Stops accepting connections; connections in progress end with their peers.
    package func stop() async {
        try? await channel.close().get()
        task.cancel()
        _ = await task.value
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, committer: HL7GroupCommitter, logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var decoder = MLLPDecoder()
                let builder = HL7ACKBuilder()
                for try await buffer in inbound {
                    let events = decoder.feed(buffer.readableBytesView)
                    guard !events.isEmpty else { continue }
                    // Every message of this chunk goes to the committer at once; ACKs go back in the order received.
                    let acks = await withTaskGroup(of: (Int, [UInt8]).self) { group -> [[UInt8]] in
                        for (i, event) in events.enumerated() {
                            switch event {
                            case .message(let bytes):
                                group.addTask { (i, await committer.submit(bytes)) }
                            case .error(let error):
                                // A frame we could not read: the sender learns why, though there is no header to echo.
                                group.addTask { (i, builder.buildBytes(acknowledging: nil, code: .applicationError, issues: [LabIssue(error)], controlID: HL7Receiver.controlID(), at: Clock.now())) }
                            }
                        }
                        var out = Array(repeating: [UInt8](), count: events.count)
                        for await (i, ack) in group { out[i] = ack }
                        return out
                    }
                    var reply = ByteBuffer()
                    for ack in acks where !ack.isEmpty {
                        if let framed = try? MLLP.frame(ack) { reply.writeBytes(framed) }
                    }
                    if reply.readableBytes > 0 { try await outbound.write(reply) }
                }
            }
        } catch {
            logger.debug("MLLP connection ended: \(String(describing: error))")
        }
    }
}
