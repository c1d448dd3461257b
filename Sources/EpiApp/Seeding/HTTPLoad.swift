import EpiPlatform
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A small HTTP/1.1 load generator for the benchmarks (`epicommand bench http-client`): keep-alive
/// connections, each sending one request and reading its whole response before the next, for a fixed
/// time. It runs as a second process so the server's figures do not include the client's work in the
/// same scheduler; both still share the machine's cores, which is why the benchmarks report ratios to a
/// hello-world route measured in the same run rather than absolute requests per second.
package enum HTTPLoad {
    /// What each connection sends, again and again.
    package struct Request: Codable, Sendable {
        package var method: String
        package var path: String
        package var headers: [[String]]?
        package var body: String?

        package init(method: String, path: String, headers: [[String]]? = nil, body: String? = nil) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }

        func bytes(host: String) -> [UInt8] {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: keep-alive\r\n"
            for pair in headers ?? [] where pair.count == 2 { head += "\(pair[0]): \(pair[1])\r\n" }
            let payload = Array((body ?? "").utf8)
            if body != nil || method != "GET" { head += "Content-Length: \(payload.count)\r\n" }
            return Array((head + "\r\n").utf8) + payload
        }
    }

    package struct Report: Codable, Sendable {
        package var requests = 0
        package var seconds = 0.0
        /// Responses by status code.
        package var statuses: [String: Int] = [:]
        package var p50 = 0.0
        package var p99 = 0.0
        package var max = 0.0
        /// The first body of a response whose status was not 2xx, to say why.
        package var firstFailure: String?
        /// CPU time (user and system) the client process spent while sending, and the server process
        /// while the client ran (set by the server's side): what a request costs the machine.
        package var clientCPUSeconds = 0.0
        package var serverCPUSeconds = 0.0

        package var perSecond: Double { Double(requests) / Swift.max(seconds, 0.001) }
        package var succeeded: Int { statuses.filter { $0.key.hasPrefix("2") }.values.reduce(0, +) }
    }

    /// What the answered requests of one or more measures cost the machine: µs of CPU per request in the
    /// server and in the client process, and the cores the two kept busy.
    struct Cost {
        let server: Double
        let client: Double
        let busyCores: Double
        var perRequest: Double { server + client }

        init(_ reports: [Report]) {
            let requests = Double(max(reports.reduce(0) { $0 + $1.requests }, 1))
            let server = reports.reduce(0) { $0 + $1.serverCPUSeconds }, client = reports.reduce(0) { $0 + $1.clientCPUSeconds }
            self.server = server * 1e6 / requests
            self.client = client * 1e6 / requests
            busyCores = (server + client) / max(reports.reduce(0) { $0 + $1.seconds }, 0.001)
        }

        /// "88 µs (server 47, client 41; 1.91 cores busy)"
        var text: String { String(format: "%.0f µs (server %.0f, client %.0f; %.2f cores busy)", perRequest, server, client, busyCores) }
    }

    /// CPU time this process has used so far, in seconds, all threads.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private struct Tally {
        var statuses: [String: Int] = [:]
        var latencies: [Double] = []
        var failure: String?
    }

    /// Hands out requests: one request again and again, or each of a list once (submissions that must
    /// differ, such as forms with single-use tokens), in order, until the list runs out.
    final class Feed: Sendable {
        let requests: [[UInt8]]
        let repeats: Bool
        private let next = NIOLockedValueBox(0)

        init(_ requests: [Request], host: String) {
            self.requests = requests.map { $0.bytes(host: host) }
            self.repeats = requests.count == 1
        }

        func take() -> [UInt8]? {
            if repeats { return requests.first }
            let i = next.withLockedValue { n -> Int in
                n += 1
                return n - 1
            }
            return i < requests.count ? requests[i] : nil
        }
    }

    /// Sends `requests` over `connections` keep-alive connections for `seconds` (or until a list of
    /// several requests has been sent once).
    package static func run(host: String, port: Int, requests: [Request], connections: Int, seconds: Double) async throws -> Report {
        let feed = Feed(requests, host: "\(host):\(port)")
        let cpuBefore = processCPUSeconds()
        let started = DispatchTime.now().uptimeNanoseconds
        let deadline = started + UInt64(seconds * 1e9)
        let tallies = try await withThrowingTaskGroup(of: Tally.self) { group in
            for _ in 0..<max(1, connections) {
                group.addTask { try await exchange(feed, host: host, port: port, until: deadline) }
            }
            var all: [Tally] = []
            for try await t in group { all.append(t) }
            return all
        }
        var report = Report()
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        report.clientCPUSeconds = processCPUSeconds() - cpuBefore
        var latencies: [Double] = []
        for t in tallies {
            for (k, v) in t.statuses { report.statuses[k, default: 0] += v }
            latencies += t.latencies
            if report.firstFailure == nil { report.firstFailure = t.failure }
        }
        report.requests = latencies.count
        report.p50 = Benchmark.percentile(latencies, 0.5)
        report.p99 = Benchmark.percentile(latencies, 0.99)
        report.max = latencies.max() ?? 0
        return report
    }

    private static func exchange(_ feed: Feed, host: String, port: Int, until deadline: UInt64) async throws -> Tally {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var tally = Tally()
            var received = inbound.makeAsyncIterator()
            var buffer: [UInt8] = []
            while DispatchTime.now().uptimeNanoseconds < deadline, let request = feed.take() {
                let start = DispatchTime.now().uptimeNanoseconds
                try await outbound.write(ByteBuffer(bytes: request))
                var response: (status: Int, body: ArraySlice<UInt8>, length: Int)?
                while response == nil {
                    response = Self.parse(buffer)
                    if response != nil { break }
                    guard let chunk = try await received.next() else { return tally }
                    buffer += chunk.readableBytesView
                }
                guard let response else { return tally }
                tally.latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                tally.statuses[String(response.status), default: 0] += 1
                if !(200..<300).contains(response.status), tally.failure == nil {
                    tally.failure = "\(response.status): " + String(decoding: response.body.prefix(300), as: UTF8.self)
                }
                buffer.removeFirst(response.length)
            }
            return tally
        }
    }

    /// One whole response at the start of `bytes` (Content-Length or chunked), or nil when more bytes are needed.
    static func parse(_ bytes: [UInt8]) -> (status: Int, body: ArraySlice<UInt8>, length: Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 12, let headEnd = Self.find(separator, in: bytes, from: 0) else { return nil }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var contentLength: Int?
        var chunked = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { contentLength = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        let bodyStart = headEnd + 4
        if chunked {
            // Chunks are skipped, not kept: the benchmarks only need where the response ends.
            var at = bodyStart
            while true {
                guard let lineEnd = Self.find([13, 10], in: bytes, from: at) else { return nil }
                let sizeText = String(decoding: bytes[at..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                at = lineEnd + 2 + size + 2
                guard at <= bytes.count else { return nil }
                if size == 0 { return (status, bytes[bodyStart..<at], at) }
            }
        }
        let length = contentLength ?? 0
        guard bytes.count >= bodyStart + length else { return nil }
        return (status, bytes[bodyStart..<(bodyStart + length)], bodyStart + length)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var i = start
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// `epicommand bench http-client`: runs `run` and prints one `RESULT {json}` line.
    package static func client(host: String, port: Int, requestFile: String, connections: Int, seconds: Double) async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: requestFile))
        let requests: [Request]
        if let list = try? JSONDecoder().decode([Request].self, from: data) { requests = list } else { requests = [try JSONDecoder().decode(Request.self, from: data)] }
        guard !requests.isEmpty else { throw AppError.invalid("Tệp không có yêu cầu nào.", "The file holds no request.") }
        let report = try await run(host: host, port: port, requests: requests, connections: connections, seconds: seconds)
        print("RESULT " + String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
    }

    /// Runs `bench http-client` as a second process against a server of this process.
    static func fromSecondProcess(port: Int, request: Request, connections: Int, seconds: Double, directory: String) async throws -> Report {
        try await fromSecondProcess(port: port, requests: [request], connections: connections, seconds: seconds, directory: directory)
    }

    static func fromSecondProcess(port: Int, requests: [Request], connections: Int, seconds: Double, directory: String) async throws -> Report {
        let file = "\(directory)/http-request-\(UUID().uuidString).json"
        try JSONEncoder().encode(requests).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cpuBefore = processCPUSeconds()
        var report = try await BenchEnvironment.secondProcess(["bench", "http-client", "--port", String(port), "--request-file", file, "--connections", String(connections),
                                                               "--seconds", String(seconds)], decoding: Report.self)
        report.serverCPUSeconds = processCPUSeconds() - cpuBefore
        return report
    }

    /// The framework's own hello-world: a bare Hummingbird application with one route and no middleware,
    /// on its own port, the yardstick the product's routes are compared with.
    static func startHello() async throws -> (port: Int, stop: @Sendable () async -> Void) {
        let router = Router()
        router.get("hello") { _, _ in "Hello, world!" }
        let port = 20_000 + Int.random(in: 0..<20_000)
        var logger = Logger(label: "bench-hello")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let task = Task { try await app.runService() }
        try await Benchmark.waitForServer("http://127.0.0.1:\(port)", path: "/hello")
        return (port, {
            task.cancel()
            _ = await task.result
        })
    }

    /// A route measured against hello-world in the same run, with what a hello-world request cost the machine.
    struct Comparison {
        let route: Report
        /// What a hello-world request cost, over the measures before and after the route.
        let hello: Cost
        let goal: Double

        /// The highest ratio any route could reach on this machine if each of its requests costs `extra`
        /// microseconds of CPU more than a hello-world request. A route does at least hello-world's work
        /// (the same server, client and sockets), so it needs `hello + extra` µs of CPU per request, and
        /// the machine has only so many cores: ratio ≤ (cores ÷ cores hello-world kept busy) × hello ÷ (hello + extra).
        func ceiling(extra: Double) -> Double {
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
            return cores / max(hello.busyCores, 0.001) * hello.perRequest / max(hello.perRequest + extra, 0.001)
        }

        /// Prints the ceiling for a route that must spend `extra` µs (`what`) on each request.
        func printCeiling(extra: Double, what: String) {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let bound = ceiling(extra: extra)
            print(String(format: "   ceiling on this machine for any route that %@ per request: (%d cores ÷ %.2f busy under hello-world) × %.0f µs ÷ (%.0f + %.0f µs) = %.2f, %@ the goal of %.1f",
                         what, cores, hello.busyCores, hello.perRequest, hello.perRequest, extra, bound, bound < goal ? "under" : "not under", goal))
        }
    }

    /// Requests/s of `request` against the hello-world route, both from a second process, in the same run:
    /// hello, the route, hello again (their mean is the yardstick, so drift in the machine's load shows
    /// as a difference between the two hello figures). Prints four lines and returns the route's report
    /// with hello-world's cost, from which a caller prints the ceiling its route's own work sets.
    static func compare(_ label: String, port: Int, request: Request, connections: Int, seconds: Double, directory: String, goal: Double) async throws -> Comparison {
        let hello = try await startHello()
        do {
            let helloRequest = Request(method: "GET", path: "/hello")
            // A short warm-up of both, unmeasured.
            _ = try await fromSecondProcess(port: hello.port, request: helloRequest, connections: connections, seconds: 1, directory: directory)
            _ = try await fromSecondProcess(port: port, request: request, connections: connections, seconds: 1, directory: directory)
            let before = try await fromSecondProcess(port: hello.port, request: helloRequest, connections: connections, seconds: seconds, directory: directory)
            let route = try await fromSecondProcess(port: port, request: request, connections: connections, seconds: seconds, directory: directory)
            let after = try await fromSecondProcess(port: hello.port, request: helloRequest, connections: connections, seconds: seconds, directory: directory)
            await hello.stop()
            let yardstick = (before.perSecond + after.perSecond) / 2
            let statuses = route.statuses.sorted { $0.key < $1.key }.map { "\($0.key) × \(NumberFormat.grouped($0.value))" }.joined(separator: ", ")
            print(String(format: "   hello-world (bare Hummingbird route, no middleware): %@ req/s before, %@ req/s after (p99 %.2f ms, %.2f ms)",
                         NumberFormat.grouped(Int(before.perSecond)), NumberFormat.grouped(Int(after.perSecond)), before.p99, after.p99))
            print(String(format: "   %@: %@ req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms; responses: %@",
                         label, NumberFormat.grouped(Int(route.perSecond)), route.p50, route.p99, route.max, statuses))
            if let failure = route.firstFailure { print("   ! a response was not 2xx: \(failure)") }
            print(String(format: "   ratio to hello-world: %.2f (goal ≥ %.1f); %d connections, %.0f s each, client in a second process, both on this machine's cores",
                         route.perSecond / max(yardstick, 0.001), goal, connections, seconds))
            let helloCost = Cost([before, after])
            print("   CPU per request, server and client processes together: hello-world \(helloCost.text), \(label) \(Cost([route]).text)")
            return Comparison(route: route, hello: helloCost, goal: goal)
        } catch {
            await hello.stop()
            throw error
        }
    }
}
