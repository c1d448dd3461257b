import ArgumentParser
import EpiApp
import EpiCore
@preconcurrency import Foundation
import Logging
import EpiPlatform
import EpiRegistry
import EpiSigning

/// The entry point only: parses a command and calls into EpiApp.
@main
struct EpiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epicommand",
        abstract: "EpiCommand: epidemic command-center server (Sở Chỉ huy phòng, chống dịch).",
        subcommands: [Serve.self, Migrate.self, Seed.self, UserCommand.self, ImportCommand.self, ExportCommand.self, Backup.self, Keys.self, Bench.self]
    )
}

/// Options shared by every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite file (ignored when DATABASE_URL is set). Default: EPI_SQLITE_PATH or ./epicommand.sqlite")
    var database: String?
    @Option(name: .customLong("keys-dir"), help: "Folder of the signing keys. Default: EPI_KEYS_DIR, or epicommand-keys beside the SQLite file (working directory with PostgreSQL)")
    var keysDirectory: String?

    func settings() -> Settings {
        var settings = Settings.fromEnvironment()
        if let database, case .sqliteFile = settings.database { settings.database = .sqliteFile(database) }
        if let keysDirectory { settings.keysDirectory = keysDirectory }
        return settings
    }
}

func withServices<T: Sendable>(_ settings: Settings, _ body: (AppServices) async throws -> T) async throws -> T {
    var logger = Logger(label: "epicommand")
    logger.logLevel = .warning
    let services = try await AppServices.start(settings: settings, logger: logger)
    do {
        let result = try await body(services)
        await services.database.shutdown()
        return result
    } catch {
        await services.database.shutdown()
        throw error
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web server.")
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Seed Hanoi's units and demo users and people if the database is empty.") var demo = false
    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?
    @Option(help: "Also accept laboratories' HL7 v2 results over MLLP on this TCP port (off unless given; docs/testing.md).") var mllpPort: Int?
    @Option(help: "Address the MLLP listener binds to (default: the web server's; keep it on the laboratories' network).") var mllpHost: String?

    func run() async throws {
        // Operators often redirect the log to a file; print the URL and logins at once, not at exit.
        setvbuf(stdout, nil, _IOLBF, 0)
        var settings = db.settings()
        if let host { settings.host = host }
        if let port { settings.port = port }
        var logger = Logger(label: "epicommand")
        logger.logLevel = .info
        let services = try await AppServices.start(settings: settings, logger: logger)
        if demo {
            do {
                let logins = try await DemoSeed.seedIfEmpty(services) { print($0) }
                print("Tài khoản demo / demo logins (mật khẩu / password: \(DemoSeed.password)):")
                for login in logins { print("  \(login.username.padding(toLength: 16, withPad: " ", startingAt: 0)) \(login.description)") }
            } catch {
                await services.database.shutdown()
                throw error
            }
        }
        let where_ = { () -> String in
            switch settings.database {
            case .sqliteFile(let path): return "SQLite \(path)"
            case .postgres: return "PostgreSQL"
            }
        }()
        // Keys are made now, not at the first certificate: an operator sees at once where they live.
        let signing = try SigningService.open(settings)
        print("Khóa ký / signing keys: \(signing.directory.path) (sao lưu riêng, không nằm trong cơ sở dữ liệu / back up separately)")
        print("EpiCommand đang chạy tại / is running at http://\(settings.host):\(settings.port) (\(where_))")
        let app = buildApplication(services)
        var stopLabListener: (@Sendable () async -> Void)?
        if let mllpPort {
            let listener = try await startLabListener(services, host: mllpHost ?? settings.host, port: mllpPort, logger: logger)
            print("HL7 MLLP (phòng xét nghiệm / laboratories): \(mllpHost ?? settings.host):\(listener.port)")
            stopLabListener = { await listener.stop() }
        }
        let maintenance = try await services.startMaintenance()
        do {
            try await app.runService()
        } catch {
            maintenance.cancel()
            await stopLabListener?()
            await services.database.shutdown()
            throw error
        }
        maintenance.cancel()
        await stopLabListener?()
        await services.database.shutdown()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        try await withServices(db.settings()) { _ in print("Cơ sở dữ liệu đã cập nhật / database is up to date.") }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed Hanoi's units, demo data, or N synthetic people.")
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Hanoi's 2021 units and the demo users and people.") var demo = false
    @Option(help: "Generate this many synthetic people spread over Hanoi's wards.") var persons: Int?
    @Option(help: "Random seed for --persons.") var seed: UInt64 = 2021

    func run() async throws {
        try await withServices(db.settings()) { services in
            try await HanoiSeed.seed(services.database)
            try await services.directory.reload()
            if demo { _ = try await DemoSeed.seedIfEmpty(services) { print($0) } }
            if let persons {
                let bar = ProgressBar(total: persons, label: "Tạo nhân khẩu")
                let started = Date()
                let made = try await SyntheticPopulation.generate(services, count: persons, seed: seed) { bar.update($0) }
                bar.finish()
                let seconds = Date().timeIntervalSince(started)
                print(String(format: "%d người trong %.1f s (%.0f người/s)", made, seconds, Double(made) / max(seconds, 0.001)))
            }
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage user accounts.", subcommands: [Add.self, Token.self, Tokens.self, RevokeToken.self, Deactivate.self, Activate.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user bound to one unit (password from EPI_PASSWORD or prompted).")
        @OptionGroup var db: DatabaseOptions
        @Option var username: String
        @Option var name: String
        @Option(help: "One of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))") var role: String
        @Option(help: "Unit path, e.g. 01/007/00295") var unit: String

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("Unknown role \(role)") }
            let password = ProcessInfo.processInfo.environment["EPI_PASSWORD"] ?? String(cString: getpass("Mật khẩu / password: "))
            try await withServices(db.settings()) { services in
                try await HanoiSeed.seed(services.database)
                try await services.directory.reload()
                try await UserAdmin(services: services).create(username: username, displayName: name, role: role, unit: unit, password: password, creator: nil)
                print("Đã tạo tài khoản / created \(username)")
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an API token (shown once).")
        @OptionGroup var db: DatabaseOptions
        @Option var username: String
        @Option var name: String = "api"
        @Option(help: "Days until the token expires (1–730).") var days: Int = AuthService.defaultTokenDays

        func run() async throws {
            let token = try await withServices(db.settings()) { try await $0.auth.issueToken(username: username, name: name, days: days) }
            print(token)
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's API tokens (id, name, created, expires, revoked).")
        @OptionGroup var db: DatabaseOptions
        @Option var username: String

        func run() async throws {
            try await withServices(db.settings()) { services in
                for t in try await services.auth.tokens(username: username) {
                    print("\(t.id)\t\(t.name)\t\(t.createdAt)\t\(t.expiresAt ?? "-")\t\(t.revokedAt ?? "-")")
                }
            }
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-token", abstract: "Revoke an API token by id; it stops working at once.")
        @OptionGroup var db: DatabaseOptions
        @Option var id: String

        func run() async throws {
            try await withServices(db.settings()) { try await $0.auth.revokeToken(id: id, by: nil) }
            print("Đã thu hồi / revoked \(id)")
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate an account: its sessions end and its tokens stop working.")
        @OptionGroup var db: DatabaseOptions
        @Option var username: String

        func run() async throws {
            try await withServices(db.settings()) { services in
                let admin = UserAdmin(services: services)
                try await admin.setActive(userID: try await admin.id(of: username), active: false, actor: nil)
            }
            print("Đã vô hiệu hóa / deactivated \(username)")
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a deactivated account.")
        @OptionGroup var db: DatabaseOptions
        @Option var username: String

        func run() async throws {
            try await withServices(db.settings()) { services in
                let admin = UserAdmin(services: services)
                try await admin.setActive(userID: try await admin.id(of: username), active: true, actor: nil)
            }
            print("Đã kích hoạt lại / reactivated \(username)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            try await withServices(db.settings()) { services in
                for root in await services.directory.roots() {
                    for u in try await UserAdmin(services: services).list(scope: try UnitPath(root.path)) {
                        print("\(u.username)\t\(u.role)\t\(u.unitPath)\t\(u.displayName)")
                    }
                }
            }
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import data files.", subcommands: [Residents.self])

    struct Residents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a resident list CSV into one ward as a user.")
        @OptionGroup var db: DatabaseOptions
        @Argument var file: String
        @Option(help: "Ward path, e.g. 01/007/00295") var unit: String
        @Option(name: .customLong("as"), help: "Username the import is recorded under.") var username: String

        func run() async throws {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            try await withServices(db.settings()) { services in
                // Rows are counted by line breaks for the bar; quoted multi-line fields make it a slight overestimate.
                let bar = ProgressBar(total: max(bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } - 1, 1), label: "Nhập danh sách")
                let report = try await CLIImport.run(services, bytes: bytes, filename: file, unit: unit, username: username) { bar.update($0) }
                bar.finish()
                print("Tổng \(report.totalRows) dòng: thêm \(report.inserted), đã có \(report.duplicates), lỗi \(report.failed)")
                for e in report.errors.prefix(50) { print("  dòng \(e.line): \(e.message)") }
            }
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export data files.", subcommands: [Residents.self])

    struct Residents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export temporary and short-stay residents of a unit as CSV.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Unit path, e.g. 01/007") var unit: String
        @Option(help: "Output file (default: standard output)") var out: String?

        func run() async throws {
            try await withServices(db.settings()) { services in
                let n = try await CLIImport.export(services, unit: unit, out: out)
                FileHandle.standardError.write(Data("\(n) người\n".utf8))
            }
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Signing keys of certificates, permits and declarations.", subcommands: [List.self, Rotate.self, Sample.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every trusted key: purpose, kid, validity, and which signs now.")
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let service = try SigningService.open(db.settings())
            print("folder: \(service.directory.path)")
            for key in service.trusted {
                let current = (try? service.signer(key.purpose))?.certificate.kid == key.certificate.kid ? "  ← signs now" : ""
                print("\(key.purpose.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(Hex.encode(key.certificate.kid))  \(VietnamTime.display(key.notBefore)) → \(VietnamTime.display(key.notAfter))\(current)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new key for a purpose; codes signed with the old one keep verifying. Restart the server afterwards.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "vaccination, permit or declaration") var purpose: String

        func run() async throws {
            guard let purpose = SigningPurpose(rawValue: purpose) else { throw ValidationError("purpose: vaccination, permit or declaration") }
            let signer = try SigningService.open(db.settings()).rotate(purpose)
            print("\(purpose.rawValue): new kid \(Hex.encode(signer.certificate.kid))")
        }
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a signed test code (valid one hour by the deployment's clock) to check that a verifier trusts this deployment's keys.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "permit or declaration") var purpose: String = "declaration"

        func run() async throws {
            guard let purpose = SigningPurpose(rawValue: purpose), purpose != .vaccination else { throw ValidationError("purpose: permit or declaration") }
            let settings = try db.settings()
            // The database is only read for its clock: a missing file is an operator's slip, not one to create.
            if case .sqliteFile(let path) = settings.database, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("no database at \(path) (use --database)")
            }
            // Dated by the data's clock, as the permits and declarations of this database are (a demo lives on a day of 2021).
            let now = try await withServices(settings) { _ in Clock.now() }
            print(try SignedCode.sign([("sample", .text("Mã thử / test code")), ("issued", .text(VietnamTime.display(now)))], purpose: purpose,
                                      issuedAt: now, expiresAt: now.addingTimeInterval(3600), using: try SigningService.open(settings)))
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the SQLite database (VACUUM INTO).")
    @OptionGroup var db: DatabaseOptions
    @Option var to: String

    func run() async throws {
        try await withServices(db.settings()) { services in
            try await BackupTool.sqliteCopy(services.database, to: to)
            print("Đã sao lưu / backed up to \(to)")
        }
    }
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure performance on SQLite and print figures and ratios (never asserted).",
        subcommands: [Registry.self, Cases.self, Reports.self, TestingBench.self, VaccinationBench.self, MovementBench.self, MLLPClientCommand.self, HTTPClientCommand.self],
        defaultSubcommand: Registry.self
    )

    struct Registry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Person import, search and list pages (the default).")
        @Option(help: "People to import and search.") var persons: Int = 1_000_000
        @Option(help: "Working directory for the benchmark databases and CSV.") var dir: String = ".bench"

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await Benchmark(persons: persons, directory: dir).run()
        }
    }

    struct Cases: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "F-level recomputation on a large exposure graph, case list pages, weekly risk levels.")
        @Option(help: "People in the synthetic city.") var persons: Int = 1_000_000
        @Option(help: "Exposure edges between them.") var exposures: Int = 2_000_000
        @Option(help: "Cases in Hai Bà Trưng, whose list is measured.") var districtCases: Int = 100_000
        @Option(help: "Working directory for the benchmark database.") var dir: String = ".bench"

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await CaseBenchmark(persons: persons, exposures: exposures, districtCases: districtCases, directory: dir).run()
        }
    }

    struct Reports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reports: city dashboard, one day's consolidation and a month's completeness over 579 wards × N days.")
        @Option(help: "Days of daily ward reports to generate.") var days: Int = 120
        @Option(help: "Working directory for the benchmark database.") var dir: String = ".bench"
        @Option(help: "Timed requests per page.") var rounds: Int = 100

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await ReportBenchmark(days: days, directory: dir, rounds: rounds).run()
        }
    }

    struct TestingBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "testing",
            abstract: "Testing: N CSV results against sqlite3 .import, M HL7 messages over MLLP from a second process, positives to F0s, campaign progress over 579 wards.")
        @Option(help: "Results in the CSV, and people in the registry they match.") var results: Int = 1_000_000
        @Option(help: "HL7 ORU^R01 messages sent over MLLP, each waiting for its ACK.") var messages: Int = 100_000
        @Option(help: "Tubes in the city-wide campaign (raised to results + messages when lower).") var samples: Int = 5_000_000
        @Option(help: "TCP connections the MLLP client sends over.") var connections: Int = 8
        @Option(help: "Working directory for the benchmark database, CSV and HL7 files (kept and reused).") var dir: String = ".bench"
        @Flag(help: "Also time sqlite3 making the CSV import's writes alone, as SQL on a copy of the database (needs the database's size twice over on disk).")
        var ceiling = false

        func validate() throws {
            guard results > 0, messages > 0, samples > 0 else { throw ValidationError("--results, --messages and --samples must be positive") }
            guard results + messages <= 99_999_999 else { throw ValidationError("--results + --messages: at most 99,999,999 (tube labels have 8 digits)") }
            guard (1...256).contains(connections) else { throw ValidationError("--connections: 1 to 256") }
        }

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await TestingBenchmark(results: results, messages: messages, samples: samples, connections: connections, directory: dir, ceiling: ceiling).run()
        }
    }

    struct VaccinationBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vaccination",
            abstract: "Vaccination: N CSV dose rows against sqlite3 .import, coverage for 579 wards over D doses, certificates signed per second on one core, the verify API against hello-world.")
        @Option(help: "People in the registry.") var persons: Int = 1_000_000
        @Option(help: "Dose rows in the CSV (matched by CCCD; beyond the registry's size they are second doses).") var rows: Int = 1_000_000
        @Option(help: "Doses in all for the coverage measure (bulk SQL on top of the imported ones).") var doses: Int = 6_400_000
        @Option(help: "Certificates to sign for the signing rate.") var certificates: Int = 20_000
        @Option(help: "HTTP keep-alive connections of the load client.") var connections: Int = 16
        @Option(help: "Seconds each HTTP measure runs.") var seconds: Double = 10
        @Option(help: "Working directory for the benchmark database and CSV.") var dir: String = ".bench"

        func validate() throws {
            guard persons > 0, rows > 0, doses >= 0, certificates > 0 else { throw ValidationError("--persons, --rows and --certificates must be positive") }
            guard (1...1_024).contains(connections), seconds > 0 else { throw ValidationError("--connections: 1 to 1024; --seconds: more than 0") }
        }

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await VaccinationBenchmark(persons: persons, rows: rows, doses: doses, certificates: certificates, connections: connections, seconds: seconds, directory: dir).run()
        }
    }

    struct MovementBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "movement",
            abstract: "Movement control: the permit check over HTTP against hello-world, N checkpoint log rows uploaded twice, public declarations per second, daily counts over P permits.")
        @Option(help: "Issued permits over the 579 wards.") var permits: Int = 2_000_000
        @Option(help: "Checkpoint log rows uploaded in batches.") var checks: Int = 1_000_000
        @Option(help: "Public health declarations submitted over HTTP.") var declarations: Int = 30_000
        @Option(help: "HTTP keep-alive connections of the load client.") var connections: Int = 16
        @Option(help: "Seconds each HTTP measure runs.") var seconds: Double = 10
        @Option(help: "Working directory for the benchmark database.") var dir: String = ".bench"

        func validate() throws {
            guard permits > 0, checks > 0, declarations > 0 else { throw ValidationError("--permits, --checks and --declarations must be positive") }
            guard (1...1_024).contains(connections), seconds > 0 else { throw ValidationError("--connections: 1 to 1024; --seconds: more than 0") }
        }

        func run() async throws {
            setvbuf(stdout, nil, _IOLBF, 0)
            try await MovementBenchmark(permits: permits, checks: checks, declarations: declarations, connections: connections, seconds: seconds, directory: dir).run()
        }
    }

    struct MLLPClientCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mllp-client",
            abstract: "Send a file of MLLP-framed HL7 messages to a listener, each waiting for its ACK; print the ACK counts and latencies as one RESULT {json} line (bench testing's second process).")
        @Option(help: "Listener address.") var host: String = "127.0.0.1"
        @Option(help: "Listener port.") var port: Int
        @Option(help: "File of MLLP-framed messages (0x0B … 0x1C 0x0D).") var file: String
        @Option(help: "TCP connections, messages dealt round robin.") var connections: Int = 8

        func validate() throws {
            guard (1...65_535).contains(port) else { throw ValidationError("--port: 1 to 65535") }
            guard (1...256).contains(connections) else { throw ValidationError("--connections: 1 to 256") }
        }

        func run() async throws {
            try await TestingBenchmark.mllpClient(host: host, port: port, file: file, connections: connections)
        }
    }

    struct HTTPClientCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http-client",
            abstract: "Send one request again and again (or each of a list once) over keep-alive connections for a while; print the count, statuses and latencies as one RESULT {json} line (the benchmarks' second process).")
        @Option(help: "Server address.") var host: String = "127.0.0.1"
        @Option(help: "Server port.") var port: Int
        @Option(help: "JSON file: {\"method\", \"path\", \"headers\": [[name, value]], \"body\"}, or a list of them, each sent once.") var requestFile: String
        @Option(help: "Keep-alive connections.") var connections: Int = 16
        @Option(help: "Seconds to send for.") var seconds: Double = 10

        func validate() throws {
            guard (1...65_535).contains(port) else { throw ValidationError("--port: 1 to 65535") }
            guard (1...1_024).contains(connections) else { throw ValidationError("--connections: 1 to 1024") }
            guard seconds > 0, seconds <= 3_600 else { throw ValidationError("--seconds: more than 0, at most 3600") }
        }

        func run() async throws {
            try await HTTPLoad.client(host: host, port: port, requestFile: requestFile, connections: connections, seconds: seconds)
        }
    }
}

/// A one-line progress bar on standard error.
final class ProgressBar: @unchecked Sendable {
    let total: Int
    let label: String
    private var last = -1
    private let lock = NSLock()

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        lock.lock(); defer { lock.unlock() }
        let percent = total == 0 ? 100 : min(100, done * 100 / total)
        guard percent != last else { return }
        last = percent
        let filled = percent / 4
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 25 - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
