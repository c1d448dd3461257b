// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// Dependency products, named once so the capability targets below read as a graph.
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let sqlKit: Target.Dependency = .product(name: "SQLKit", package: "sql-kit")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

let package = Package(
    name: "epicommand",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "epicommand", targets: ["epicommand"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Pure rules and value types: no framework imports.
        .target(name: "EpiCore", swiftSettings: swiftSettings),
        // Encoders and decoders with no app knowledge: Base45, CBOR, COSE_Sign1, EU DCC (HC1), UVCI, QR (SVG/PNG), zlib.
        .target(
            name: "EpiCodecs",
            dependencies: [
                crypto,
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Laboratory formats: HL7 v2.5.1 ORU^R01 and ACK, MLLP framing, FHIR R4 bundles, NDJSON.
        .target(name: "EpiLabFormats", swiftSettings: swiftSettings),
        // Writes fixtures that third-party decoders check in CI (scripts/check_codecs.py, scripts/check_labformats.py).
        .executableTarget(name: "codec-fixtures", dependencies: ["EpiCodecs", crypto], swiftSettings: swiftSettings),
        .executableTarget(name: "labformats-fixtures", dependencies: ["EpiLabFormats"], swiftSettings: swiftSettings),
        // HTTP, sessions, SQL, migrations runner, templates, audit, jobs: what every capability uses.
        .target(
            name: "EpiPlatform",
            dependencies: [
                "EpiCore",
                hummingbird,
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                sqlKit,
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                crypto,
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // People, households, places, users, audit log: the registry every capability points into.
        .target(
            name: "EpiRegistry",
            dependencies: ["EpiCore", "EpiPlatform", hummingbird, sqlKit, crypto],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Cases, contacts and F-levels, quarantine places, zones, risk.
        .target(
            name: "EpiTracing",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", hummingbird, sqlKit],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Report forms, consolidation, dashboard, messages, tasks.
        .target(
            name: "EpiReporting",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", hummingbird, sqlKit],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // One signing service for every signed code (certificates, permits, declarations): keys outside the
        // database, the public trust list, the offline verifier page and its service worker.
        .target(
            name: "EpiSigning",
            dependencies: ["EpiCore", "EpiPlatform", "EpiCodecs", hummingbird, crypto,
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Testing: campaigns, sampling points, pooled samples, transport to labs, lab results (CSV, HL7 v2 over
        // HTTP and MLLP, FHIR R4), positives opening cases through tracing, FHIR R4 export.
        .target(
            name: "EpiTesting",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", "EpiTracing", "EpiLabFormats", hummingbird, sqlKit, crypto,
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Movement control: businesses and prevention plans, travel permits with signed QR, checkpoint checks, daily counts.
        .target(
            name: "EpiMovement",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", "EpiSigning", "EpiCodecs", hummingbird, sqlKit, crypto,
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Vaccination: vaccine lots and allocation, site stock ledgers, sessions and doses, AEFI, EU DCC certificates.
        .target(
            name: "EpiVaccination",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", "EpiTracing", "EpiSigning", "EpiCodecs", hummingbird, sqlKit],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Composition root: which capabilities run, in which order their migrations apply; demo seeds.
        .target(
            name: "EpiApp",
            dependencies: ["EpiCore", "EpiPlatform", "EpiRegistry", "EpiTracing", "EpiReporting", "EpiSigning", "EpiTesting", "EpiLabFormats", hummingbird, sqlKit,
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), "EpiMovement", "EpiVaccination",
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "epicommand",
            dependencies: [
                "EpiApp",
                "EpiPlatform",
                "EpiRegistry",
                "EpiSigning",
                "EpiCodecs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EpiCoreTests", dependencies: ["EpiCore"], swiftSettings: swiftSettings),
        .testTarget(name: "EpiCodecsTests", dependencies: ["EpiCodecs", crypto], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "EpiLabFormatsTests", dependencies: ["EpiLabFormats"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        // Shared fixtures for the capability test targets (an app on both dialects, login helpers).
        .target(
            name: "EpiTestSupport",
            dependencies: [
                "EpiApp", "EpiPlatform", "EpiRegistry",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/EpiTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiPlatformTests",
            dependencies: ["EpiTestSupport", "EpiApp", "EpiPlatform", "EpiRegistry", "EpiTracing", "EpiReporting", "EpiTesting",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiRegistryTests",
            dependencies: ["EpiTestSupport", "EpiPlatform", "EpiRegistry",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiTracingTests",
            dependencies: ["EpiTestSupport", "EpiPlatform", "EpiRegistry", "EpiTracing",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiSigningTests",
            dependencies: ["EpiTestSupport", "EpiPlatform", "EpiSigning", "EpiCodecs", crypto,
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiTestingTests",
            dependencies: ["EpiTestSupport", "EpiApp", "EpiPlatform", "EpiRegistry", "EpiTracing", "EpiTesting", "EpiLabFormats",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiReportingTests",
            dependencies: ["EpiTestSupport", "EpiPlatform", "EpiRegistry", "EpiReporting",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiMovementTests",
            dependencies: ["EpiTestSupport", "EpiApp", "EpiPlatform", "EpiRegistry", "EpiMovement", "EpiReporting", "EpiSigning", "EpiCodecs",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EpiVaccinationTests",
            dependencies: ["EpiTestSupport", "EpiApp", "EpiPlatform", "EpiRegistry", "EpiVaccination", "EpiSigning", "EpiCodecs",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
    ]
)
