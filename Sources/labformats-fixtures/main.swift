import EpiLabFormats
import Foundation

// Helper tool for cross-checks and benchmarks. It is not part of the server:
//   labformats-fixtures hl7-expect <dir>          JSON of our parse results + ACKs for every *.hl7 file
//   labformats-fixtures fhir-emit <out> <fhirdir> writes every FHIR resource/bundle we can produce
//   labformats-fixtures fhir-decode <file>        JSON summary of decoding one Bundle
//   labformats-fixtures --bench [seconds]         single-core throughput figures (build with -c release)

let ackTime = Date(timeIntervalSince1970: 1_629_000_000)  // fixed so outputs are reproducible

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func readBytes(_ path: String) -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return Array(d)
}

func hl7Files(_ dir: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".hl7") }.sorted()
}

/// Fixture files use LF for readability; the wire form uses CR.
func wireForm(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 == 0x0A ? 0x0D : $0 } }

func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

func obj(_ pairs: [(String, JSONValue)]) -> JSONValue {
    var o = JSONObject()
    for (k, v) in pairs { o.setRaw(k, v) }
    return .object(o)
}

func hl7Time(_ d: Date?) -> JSONValue { d.map { .string(LabTimestamp.hl7String($0)) } ?? .null }

func entryJSON(_ e: LabResultEntry) -> JSONValue {
    let obxSeq = e.entryID.split(separator: "/").last.map { Int($0.dropFirst(3)) ?? 0 } ?? 0
    return obj([
        ("entryID", .string(e.entryID)),
        ("obxSequence", .int(obxSeq)),
        ("label", .string(e.specimen.label)),
        ("poolSize", e.specimen.poolSize.map(JSONValue.int) ?? .null),
        ("identifiers", .array(e.patient.identifiers.map {
            obj([("kind", .string($0.kind.rawValue)), ("value", .string($0.value)), ("issuer", str($0.issuer))])
        })),
        ("family", str(e.patient.name?.family)),
        ("middle", str(e.patient.name?.middle)),
        ("given", str(e.patient.name?.given)),
        ("birthDate", str(e.patient.birthDate?.hl7String)),
        ("sex", str(e.patient.sex?.hl7Code)),
        ("phone", str(e.patient.phone)),
        ("loinc", .string(e.test.loinc)),
        ("result", str(e.result?.snomedCode)),
        ("status", .string(e.status.hl7Code)),
        ("ct", e.ctValue.map(JSONValue.decimal) ?? .null),
        ("collectedAt", hl7Time(e.collectedAt)),
        ("resultedAt", hl7Time(e.resultedAt)),
        ("placer", str(e.placerOrderNumber)),
        ("filler", str(e.fillerOrderNumber)),
        ("labName", str(e.performingLab?.name)),
    ])
}

func issueJSON(_ i: LabIssue) -> JSONValue {
    let loc = i.error.hl7Location
    return obj([
        ("code", .string(i.error.code)),
        ("hl7Code", .int(i.error.hl7ErrorCode.rawValue)),
        ("severity", .string(i.severity.hl7Code)),
        ("segment", str(loc?.segment)),
        ("sequence", loc.map { .int($0.sequence) } ?? .null),
        ("field", loc?.field.map(JSONValue.int) ?? .null),
    ])
}

func hl7Expect(_ dir: String) {
    var files: [JSONValue] = []
    let builder = HL7ACKBuilder()
    for name in hl7Files(dir) {
        let bytes = wireForm(readBytes(dir + "/" + name))
        do {
            let r = try HL7ORUParser.parse(bytes)
            let ack = builder.acknowledge(r, controlID: "ACK-" + name.replacingOccurrences(of: ".hl7", with: ""), at: ackTime)
            files.append(obj([
                ("file", .string(name)), ("parsed", .bool(true)), ("error", .null),
                ("controlID", str(r.message.messageID)),
                ("sendingApplication", str(r.message.sendingApplication)),
                ("sendingFacility", str(r.message.sendingFacility)),
                ("ackCode", .string(r.ackCode.rawValue)),
                ("entries", .array(r.message.entries.map(entryJSON))),
                ("issues", .array(r.issues.map(issueJSON))),
                ("ack", .string(ack)),
            ]))
        } catch {
            let ack = builder.reject(rawMessage: bytes, error: error, controlID: "ACK-" + name, at: ackTime)
            files.append(obj([
                ("file", .string(name)), ("parsed", .bool(false)), ("error", .string(error.code)),
                ("ackCode", .string(error.hl7ErrorCode.isRejection ? "AR" : "AE")),
                ("entries", .array([])), ("issues", .array([issueJSON(LabIssue(error))])), ("ack", .string(ack)),
            ]))
        }
    }
    print(JSONWriter.string(.array(files)))
}

/// Dumps every non-empty leaf (field/repetition/component/subcomponent) of every segment, for the generic ER7 cross-check.
func hl7Dump(_ dir: String) {
    var files: [JSONValue] = []
    for name in hl7Files(dir) {
        let bytes = wireForm(readBytes(dir + "/" + name))
        guard let m = try? HL7Message.parse(bytes) else {
            files.append(obj([("file", .string(name)), ("parsed", .bool(false))]))
            continue
        }
        var segs: [JSONValue] = []
        for seg in m.segments {
            var leaves: [JSONValue] = []
            let first = seg.is("MSH") ? 3 : 1  // MSH-1/2 hold the delimiters themselves
            if first <= seg.fieldCount {
                for f in first...seg.fieldCount {
                    for (r, rep) in seg.field(f).repetitions().enumerated() {
                        for (c, comp) in rep.components().enumerated() {
                            for (s, sub) in comp.subcomponents().enumerated() where !sub.isEmpty {
                                leaves.append(.array([.int(f), .int(r + 1), .int(c + 1), .int(s + 1), .string(sub.string)]))
                            }
                        }
                    }
                }
            }
            segs.append(obj([("id", .string(seg.id)), ("sequence", .int(seg.sequence)), ("fieldCount", .int(seg.fieldCount)),
                             ("leaves", .array(leaves))]))
        }
        files.append(obj([("file", .string(name)), ("parsed", .bool(true)), ("segments", .array(segs))]))
    }
    print(JSONWriter.string(.array(files)))
}

func write(_ o: JSONObject, _ dir: URL, _ name: String) {
    do {
        try Data(JSONWriter.string(o).utf8).write(to: dir.appendingPathComponent(name))
    } catch {
        fail("cannot write \(name): \(error)")
    }
}

func fhirEmit(_ out: String, _ hl7Dir: String, _ fhirDir: String) {
    let dir = URL(fileURLWithPath: out)
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ndjson = try FHIRNDJSONWriter(directory: dir.appendingPathComponent("ndjson"))
        var requestEntries: [FHIREncoder.RequestEntry] = []
        var search: [FHIREncoder.SearchEntry] = []
        var n = 0
        for name in hl7Files(hl7Dir) {
            guard let r = try? HL7ORUParser.parse(wireForm(readBytes(hl7Dir + "/" + name))) else { continue }
            for e in r.message.entries {
                n += 1
                let pid = "p\(n)", sid = "s\(n)", oid = "o\(n)"
                let patient = try FHIREncoder.patient(e.patient, id: pid)
                let specimen = try FHIREncoder.specimen(e.specimen, id: sid, subject: "Patient/\(pid)")
                let observation = try FHIREncoder.observation(e, id: oid, subject: "Patient/\(pid)", specimen: "Specimen/\(sid)")
                write(patient, dir, "Patient-\(pid).json")
                write(specimen, dir, "Specimen-\(sid).json")
                write(observation, dir, "Observation-\(oid).json")
                for res in [patient, specimen, observation] { try ndjson.write(res) }
                if e.result == .detected {
                    let cond = try FHIREncoder.condition(LabConfirmedCase(
                        patientReference: "Patient/\(pid)", clinicalStatus: n % 2 == 0 ? .resolved : .active,
                        onset: e.collectedAt, recorded: e.resultedAt ?? ackTime,
                        abatement: n % 2 == 0 ? ackTime : nil, evidenceReference: "Observation/\(oid)",
                        note: "Ca bệnh xác nhận bằng \(e.test.displayVI)"), id: "c\(n)")
                    write(cond, dir, "Condition-c\(n).json")
                    try ndjson.write(cond)
                }
                let base = "urn:uuid:00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n * 3).count))"
                requestEntries += [
                    .init(fullUrl: base + "\(n * 3)", resource: patient, method: "PUT", url: "Patient/\(pid)"),
                    .init(fullUrl: base + "\(n * 3 + 1)", resource: specimen),
                    .init(fullUrl: base + "\(n * 3 + 2)", resource: observation),
                ]
                search.append(.init(fullUrl: "https://epicommand.vn/fhir/Observation/\(oid)", resource: observation))
                if search.count == 1 { search.append(.init(fullUrl: "https://epicommand.vn/fhir/Patient/\(pid)", resource: patient, isInclude: true)) }
            }
        }
        try ndjson.close()
        write(ndjson.manifest(transactionTime: ackTime, requestURL: "https://epicommand.vn/fhir/$export",
                              baseURL: "https://epicommand.vn/export/1"), dir, "manifest.json.notfhir")
        write(FHIREncoder.requestBundle(kind: .transaction, entries: requestEntries, id: "tx-1", timestamp: ackTime), dir, "Bundle-transaction.json")
        write(FHIREncoder.requestBundle(kind: .batch, entries: requestEntries, id: "batch-1"), dir, "Bundle-batch.json")
        write(FHIREncoder.searchset(search, total: 120, selfURL: "https://epicommand.vn/fhir/Observation?_count=10",
                                    nextURL: "https://epicommand.vn/fhir/Observation?_count=10&_offset=10", id: "search-1",
                                    timestamp: ackTime), dir, "Bundle-searchset.json")
        // Responses to the FHIR fixtures.
        for name in ["bundle_transaction_ok.json", "bundle_batch_mixed.json", "bundle_transaction_fail.json"] {
            let r = try FHIRBundleDecoder.decode(readBytes(fhirDir + "/" + name))
            let stem = name.replacingOccurrences(of: ".json", with: "")
            if r.transactionFailed {
                write(FHIREncoder.transactionFailure(r), dir, "OperationOutcome-\(stem).json")
            } else {
                let outcomes = r.outcomes(location: { "\($0.resourceType ?? "Observation")/\($0.index + 100)/_history/1" })
                write(FHIREncoder.bundleResponse(kind: r.kind, outcomes: outcomes, id: "resp-\(stem.replacingOccurrences(of: "_", with: "-"))",
                                                 timestamp: ackTime), dir, "Bundle-response-\(stem).json")
            }
        }
        write(FHIREncoder.operationOutcome([LabIssue(.fhirUnsupportedBundleType("collection")),
                                            LabIssue(.inputTooLarge(limit: 8 << 20), severity: .warning)], id: "oo-1"),
              dir, "OperationOutcome-standalone.json")
        write(FHIREncoder.operationOutcome([]), dir, "OperationOutcome-ok.json")
    } catch {
        fail("fhir-emit failed: \(error)")
    }
}

func fhirDecode(_ path: String) {
    do {
        let r = try FHIRBundleDecoder.decode(readBytes(path))
        let entries: [JSONValue] = r.entries.map { e in
            obj([("index", .int(e.index)), ("resourceType", str(e.resourceType)), ("ok", .bool(e.isSuccess)),
                 ("issues", .array(e.issues.map { .string($0.error.code) }))])
        }
        print(JSONWriter.string(obj([("decoded", .bool(true)), ("kind", .string(r.kind.rawValue)),
                                     ("results", .int(r.message.entries.count)), ("entries", .array(entries))])))
    } catch {
        print(JSONWriter.string(obj([("decoded", .bool(false)), ("error", .string(error.code))])))
    }
}

// MARK: benchmark

/// CPU time of this thread, so a busy shared machine does not distort per-core figures.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func measure(_ label: String, seconds: Double, bytesPerOp: Int, _ body: () -> Int) {
    // Warm up caches and allocator.
    var sink = 0
    for _ in 0..<200 { sink &+= body() }
    let clock = ContinuousClock()
    let start = clock.now
    let cpuStart = threadCPUSeconds()
    var ops = 0
    while true {
        for _ in 0..<500 { sink &+= body() }
        ops += 500
        let cpu = threadCPUSeconds() - cpuStart
        if cpu >= seconds {
            let elapsed = clock.now - start
            let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(ops) / cpu
            let mb = rate * Double(bytesPerOp) / 1_048_576
            print(String(format: "%-44@ %10.0f ops/CPU-s %8.2f µs/op %8.1f MiB/s  (wall %.0f ops/s; sink %d)",
                         label as NSString, rate, 1e6 / rate, mb, Double(ops) / wall, sink % 7))
            return
        }
    }
}

func bench(_ seconds: Double, _ hl7Dir: String, _ fhirDir: String) {
    #if DEBUG
    print("WARNING: debug build; use `swift run -c release labformats-fixtures --bench`")
    #endif
    let builder = HL7ACKBuilder()
    for name in ["oru_pcr_positive.hl7", "oru_pooled.hl7", "oru_multi.hl7"] {
        let msg = wireForm(readBytes(hl7Dir + "/" + name))
        measure("HL7 parse \(name) (\(msg.count) B)", seconds: seconds, bytesPerOp: msg.count) {
            (try? HL7ORUParser.parse(msg))?.message.entries.count ?? 0
        }
        measure("HL7 parse+ACK \(name)", seconds: seconds, bytesPerOp: msg.count) {
            guard let r = try? HL7ORUParser.parse(msg) else { return 0 }
            return builder.acknowledge(r, controlID: "ACK1", at: ackTime).utf8.count
        }
    }
    // MLLP: a 1000-frame stream fed in 4 KiB chunks, as a TCP read loop would.
    var stream: [UInt8] = []
    let one = wireForm(readBytes(hl7Dir + "/oru_pcr_positive.hl7"))
    for _ in 0..<1000 { stream += (try? MLLP.frame(one)) ?? [] }
    let chunks = stride(from: 0, to: stream.count, by: 4096).map { Array(stream[$0..<min($0 + 4096, stream.count)]) }
    measure("MLLP decode 1000 frames (4 KiB chunks)", seconds: seconds, bytesPerOp: stream.count) {
        var d = MLLPDecoder()
        var n = 0
        for c in chunks { n += d.feed(c).count }
        return n
    }
    let fhir = readBytes(fhirDir + "/bundle_transaction_ok.json")
    measure("FHIR decode bundle_transaction_ok (\(fhir.count) B)", seconds: seconds, bytesPerOp: fhir.count) {
        (try? FHIRBundleDecoder.decode(fhir))?.message.entries.count ?? 0
    }
    if let e = (try? HL7ORUParser.parse(one))?.message.entries.first {
        measure("FHIR encode Observation+serialize", seconds: seconds, bytesPerOp: 0) {
            (try? FHIREncoder.observation(e, id: "o1", subject: "Patient/p1", specimen: "Specimen/s1")).map { JSONWriter.string($0).utf8.count } ?? 0
        }
    }
}

let args = CommandLine.arguments
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let defaultHL7 = here.appendingPathComponent("Tests/EpiLabFormatsTests/Fixtures/hl7").path
let defaultFHIR = here.appendingPathComponent("Tests/EpiLabFormatsTests/Fixtures/fhir").path

switch args.dropFirst().first {
case "hl7-expect":
    hl7Expect(args.count > 2 ? args[2] : defaultHL7)
case "hl7-dump":
    hl7Dump(args.count > 2 ? args[2] : defaultHL7)
case "fhir-emit":
    guard args.count > 2 else { fail("usage: fhir-emit <outdir> [hl7dir] [fhirdir]") }
    fhirEmit(args[2], args.count > 3 ? args[3] : defaultHL7, args.count > 4 ? args[4] : defaultFHIR)
case "fhir-decode":
    guard args.count > 2 else { fail("usage: fhir-decode <file>") }
    fhirDecode(args[2])
case "--profile-parse":
    // Fixed amount of work for instruction-count profilers (valgrind --tool=callgrind).
    let msg = wireForm(readBytes(defaultHL7 + "/" + (args.count > 3 ? args[3] : "oru_pcr_positive.hl7")))
    var n = 0
    for _ in 0..<(args.count > 2 ? Int(args[2]) ?? 1000 : 1000) {
        if let r = try? HL7ORUParser.parse(msg) { n += HL7ACKBuilder().acknowledge(r, controlID: "A", at: ackTime).utf8.count }
    }
    print(n)
case "--bench":
    bench(args.count > 2 ? Double(args[2]) ?? 2 : 2, defaultHL7, defaultFHIR)
default:
    fail("usage: labformats-fixtures hl7-expect [dir] | fhir-emit <out> [hl7dir] [fhirdir] | fhir-decode <file> | --bench [seconds]")
}
