import EpiPlatform
import EpiTesting
import Foundation

/// `bench testing --ceiling`: how fast SQLite itself makes the writes a result CSV import must make, with no
/// application code at all, so the CSV goal (ours ≥ 0.5 × sqlite3 `.import` into a table with test_results'
/// indexes) can be judged against what this machine allows, not only against what we reached.
///
/// sqlite3 loads the bench's file into a temporary table, matches every row to its tube, member and person
/// and looks for earlier results of the label (the importer's reads), then stores the results, marks the
/// tubes, writes an audit row per result and moves the ward figures and the lab's turnaround, as set-based
/// statements in one transaction, with the server's pragmas. It is an upper bound, not a rival importer: it
/// assumes what the bench's file holds (individual RT-PCR tubes, final results, every row matching), checks
/// nothing a lab may get wrong, and opens no F0 for its positives.
enum ImportCeiling {
    /// A page-for-page copy of the database (SQLite's online backup, so the copy's B-trees lie as the
    /// original's do and a write-ahead log's pages are included). False, with a line saying why, on failure.
    static func backup(_ database: String, to copy: String) -> Bool {
        guard let sqlite3 = BenchEnvironment.sqlite3 else {
            print("   sqlite3 CLI not found (apt-get install sqlite3): the ceiling is not measured")
            return false
        }
        remove(copy)
        guard let (status, _) = try? shell(sqlite3, [database, ".backup \(dotArgument(copy))"]), status == 0 else {
            print("   ! the copy of \(database) for the ceiling failed: the ceiling is not measured")
            return false
        }
        return true
    }

    static func remove(_ database: String) {
        for path in [database, database + "-wal", database + "-shm"] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Seconds from starting sqlite3 to its commit, running the ceiling's statements on `database` (a copy made
    /// before the import); nil, with a line saying why, when sqlite3 fails or writes other counts than `expected`.
    static func run(database: String, csv: String, labID: String, labName: String, userID: String, username: String,
                    auditRows: Bool, expected: Int) -> Double? {
        guard let sqlite3 = BenchEnvironment.sqlite3 else { return nil }
        let receivedAt = Timestamp.now()
        let script = statements(csv: csv, labID: labID, labName: labName, userID: userID, username: username, receivedAt: receivedAt, auditRows: auditRows)
        let scriptPath = database + ".sql"
        guard (try? Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))) != nil else {
            print("   ! could not write \(scriptPath): the ceiling is not measured")
            return nil
        }
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let start = Date().timeIntervalSince1970
        guard let (status, output) = try? shell(sqlite3, ["-bail", database, ".read \(dotArgument(scriptPath))"]) else {
            print("   ! sqlite3 could not be started: the ceiling is not measured")
            return nil
        }
        func value(_ name: String) -> Substring? {
            output.split(separator: "\n").first { $0.hasPrefix(name + "|") }.map { $0.dropFirst(name.count + 1) }
        }
        func count(_ name: String) -> Int { value(name).flatMap { Int($0) } ?? -1 }
        guard let committed = value("committed").flatMap({ Double($0) }), committed > start else {
            print("   ! the ceiling's sqlite3 run (status \(status)) did not commit: \(output.suffix(300))")
            return nil
        }
        let seconds = committed - start
        // Every row stored and matched, its tube marked and counted in the figures, and audited when asked.
        let written = (stored: count("stored"), tubes: count("tubes"), audit: count("audit"), figures: count("figures"))
        guard status == 0, written.stored == expected, written.tubes == expected, written.figures == expected,
              written.audit == (auditRows ? expected : 0) else {
            print("   ! the ceiling's sqlite3 run (status \(status)) wrote \(written) for \(expected) rows: \(output.suffix(300))")
            return nil
        }
        return seconds
    }

    /// The ceiling's script: the server's pragmas, the file into a temporary table, then one transaction.
    static func statements(csv: String, labID: String, labName: String, userID: String, username: String, receivedAt: String, auditRows: Bool) -> String {
        let lab = literal(labID), received = literal(receivedAt)
        // Ids ordered by time like the product's UUIDv7s (so the primary keys grow at their right edge), unguessable tails.
        let base = Int(Date().timeIntervalSince1970 * 1000) << 20
        let id = { (offset: Int) in "printf('%016x-%s-%s', \(base) + 2 * raw.rowid + \(offset), lower(hex(randomblob(4))), lower(hex(randomblob(5))))" }
        // thoi_gian_tra_ket_qua is "dd/MM/yyyy HH:mm", Hanoi time (UTC+7), as the bench writes it.
        let resultedAt = """
            strftime('%Y-%m-%dT%H:%M:00.000Z', substr(raw.thoi_gian_tra_ket_qua, 7, 4) || '-' || substr(raw.thoi_gian_tra_ket_qua, 4, 2) || '-' \
            || substr(raw.thoi_gian_tra_ket_qua, 1, 2) || ' ' || substr(raw.thoi_gian_tra_ket_qua, 12, 5), '-7 hours')
            """
        var lines = Database.sqlitePragmas.map { $0 + ";" }
        lines += [
            "CREATE TEMP TABLE raw(" + ResultCSVHeader.documented.map { "\($0) TEXT" }.joined(separator: ", ") + ");",
            ".mode csv",
            ".import --skip 1 --schema temp \(dotArgument(csv)) raw",
            ".mode list",
            "BEGIN IMMEDIATE;",
            // The importer's reads: the tube by its label, its member, the member's person, earlier results of the label.
            """
            CREATE TEMP TABLE r AS SELECT \(id(0)) AS id, \(id(1)) AS audit_id, raw.*, \(resultedAt) AS resulted_at,
              CASE raw.ket_qua WHEN 'Dương tính' THEN 'detected' ELSE 'not_detected' END AS value,
              s.id AS sample_id, s.unit_path, s.group_code, s.sampled_at AS tube_sampled_at, m.id AS member_id, m.person_id,
              p.citizen_id AS person_citizen_id, e.id AS earlier_id
            FROM temp.raw raw
            LEFT JOIN samples s ON s.label = raw.ma_ong_mau
            LEFT JOIN sample_members m ON m.sample_id = s.id
            LEFT JOIN persons p ON p.id = m.person_id
            LEFT JOIN test_results e ON e.label = raw.ma_ong_mau AND e.test = 'rt_pcr';
            """,
            """
            INSERT INTO test_results (id, source_key, lab_id, source, message_id, label, sample_id, member_id, person_id, test, value, status, ct,
              sampled_at, resulted_at, received_at, unit_path, group_code, match_status, reported_name, reported_id, reported_birth, reported_phone, created_by)
            SELECT id, \(lab) || '|' || ma_ong_mau || '|rt_pcr|' || (CAST(strftime('%s', resulted_at) AS INTEGER) / 60) || '|' || value || '|final',
              \(lab), 'csv', \(literal(csv)), ma_ong_mau, sample_id, member_id, person_id, 'rt_pcr', value, 'final', CAST(NULLIF(ct, '') AS REAL),
              tube_sampled_at, resulted_at, \(received), unit_path, group_code, 'matched', ho_ten, so_dinh_danh, ngay_sinh,
              '+84' || substr(so_dien_thoai, 2), \(literal(username))
            FROM temp.r ORDER BY rowid;
            """,
            """
            UPDATE samples SET status = 'resulted', result_value = r.value, resulted_at = r.resulted_at, result_id = r.id, lab_id = COALESCE(samples.lab_id, \(lab))
            FROM temp.r r WHERE samples.id = r.sample_id AND (samples.resulted_at IS NULL OR samples.resulted_at <= r.resulted_at);
            """,
        ]
        if auditRows {
            lines.append("""
                INSERT INTO audit_log (id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes)
                SELECT audit_id, \(received), \(literal(userID)), \(literal(username)), 'import', 'test_result', id, unit_path,
                  'Kết quả ống ' || ma_ong_mau || ': ' || ket_qua || ' (' || \(literal(labName)) || ')',
                  '[{"field":"value","new":"' || value || '"},{"field":"match_status","new":"matched"}]'
                FROM temp.r ORDER BY rowid;
                """)
        }
        for (metric, filter) in [("test_results", "true"), ("test_positives", "value = 'detected'")] {
            lines.append("""
                INSERT INTO unit_daily (metric, day, unit_path, group_code, n)
                SELECT '\(metric)', date(resulted_at, '+7 hours'), unit_path, group_code, COUNT(*) FROM temp.r WHERE \(filter) GROUP BY 2, 3, 4
                ON CONFLICT (metric, day, unit_path, group_code) DO UPDATE SET n = unit_daily.n + excluded.n;
                """)
        }
        lines += [
            """
            INSERT INTO test_turnaround (lab_id, day, hours, n)
            SELECT \(lab), date(resulted_at, '+7 hours'), CAST((julianday(resulted_at) - julianday(tube_sampled_at)) * 24 AS INTEGER), COUNT(*)
            FROM temp.r WHERE true GROUP BY 2, 3
            ON CONFLICT (lab_id, day, hours) DO UPDATE SET n = test_turnaround.n + excluded.n;
            """,
            "COMMIT;",
            // The clock stops here (Unix seconds, to the millisecond); the checks below are not timed.
            "SELECT 'committed', printf('%.3f', (julianday('now') - 2440587.5) * 86400.0);",
            // What was written, for `run` to check against the file's rows.
            "SELECT 'stored', COUNT(*) FROM test_results WHERE received_at = \(received) AND sample_id IS NOT NULL AND person_id IS NOT NULL;",
            "SELECT 'tubes', COUNT(*) FROM temp.r r JOIN samples s ON s.id = r.sample_id WHERE s.result_id = r.id;",
            "SELECT 'audit', COUNT(*) FROM audit_log WHERE occurred_at = \(received) AND entity_type = 'test_result';",
            "SELECT 'figures', COALESCE(SUM(n), 0) FROM unit_daily WHERE metric = 'test_results';",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A SQL string literal.
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// An argument of a sqlite3 dot-command (double-quoted, backslash escapes).
    static func dotArgument(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func shell(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read before waiting: a full pipe would stop sqlite3 before it exits.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
