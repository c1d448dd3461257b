import Foundation
import SQLKit

/// Hardening added after the first security review (issue 9).
package enum SecurityMigrations {
    /// Token expiry, request fingerprints for repeat-safe keys, import status, and an audit trail the
    /// application itself cannot rewrite.
    package static let hardening = Migration("009_security_hardening") { db, kind in
        try await db.alter(table: "api_tokens").column("expires_at", type: .text).run()
        // Tokens issued before expiry existed get the default lifetime from now, rather than never expiring.
        try await db.raw("UPDATE api_tokens SET expires_at = \(bind: Timestamp.string(Date().addingTimeInterval(TimeInterval(AuthService.defaultTokenDays * 86_400)))) WHERE expires_at IS NULL").run()

        try await db.alter(table: "idempotency_keys").column("request_hash", type: .text).run()

        // An import is recorded when it starts, so one that dies midway is known to the retry.
        try await db.alter(table: "imports").column("status", type: .text).run()
        try await db.alter(table: "imports").column("finished_at", type: .text).run()
        try await db.raw("UPDATE imports SET status = 'done', finished_at = created_at WHERE status IS NULL").run()

        switch kind {
        case .sqlite:
            for operation in ["UPDATE", "DELETE"] {
                try await db.raw("""
                    CREATE TRIGGER audit_log_no_\(unsafeRaw: operation.lowercased()) BEFORE \(unsafeRaw: operation) ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                    """).run()
            }
        case .postgres:
            try await db.raw("""
                CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
                """).run()
            try await db.raw("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()").run()
            try await db.raw("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()").run()
            // The application's role keeps INSERT and SELECT only; docs/postgresql.md shows how to run
            // it as a role that does not own the table, so even the triggers cannot be dropped by it.
            try await db.raw("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC").run()
            try await db.raw("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER").run()
        }
    }
}
