//! Schema migrations, embedded in the binary.
//!
//! Each migration has a version, a name and the SQL for each backend. They run
//! in order, each in its own transaction together with the row in
//! `schema_migrations` that records it, so a failed migration leaves the
//! database at the previous version. A database at a newer version than this
//! build knows is refused rather than touched.
//!
//! Versions are strictly increasing but may have gaps while branches that
//! each add a migration are merged: the runners apply every migration whose
//! version has no row in `schema_migrations`, not only those above the
//! highest applied, so a database created with 6 still gets 5 once 5 is merged.

pub(crate) struct Migration {
    pub(crate) version: u32,
    pub(crate) name: &'static str,
    pub(crate) sqlite: &'static str,
    pub(crate) postgres: &'static str,
    /// SQL run after the backend's own, the same on both.
    pub(crate) common: &'static str,
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 6;

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log, accounts, ingest runs",
        sqlite: "
        CREATE TABLE events (
            seq  INTEGER PRIMARY KEY AUTOINCREMENT,
            id   TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            at   INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX events_type ON events (type);
        CREATE TABLE accounts (
            id        TEXT PRIMARY KEY,
            handle    TEXT NOT NULL,
            age_band  TEXT,
            first_seq INTEGER NOT NULL,
            last_seq  INTEGER NOT NULL
        );
        CREATE TABLE ingest_runs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            source      TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            status      TEXT NOT NULL,
            lines       INTEGER NOT NULL DEFAULT 0,
            inserted    INTEGER NOT NULL DEFAULT 0,
            duplicates  INTEGER NOT NULL DEFAULT 0,
            invalid     INTEGER NOT NULL DEFAULT 0,
            error       TEXT
        );
    ",
        postgres: "
        CREATE TABLE events (
            seq  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id   TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            at   BIGINT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX events_type ON events (type);
        CREATE TABLE accounts (
            id        TEXT PRIMARY KEY,
            handle    TEXT NOT NULL,
            age_band  TEXT,
            first_seq BIGINT NOT NULL,
            last_seq  BIGINT NOT NULL
        );
        CREATE TABLE ingest_runs (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source      TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            status      TEXT NOT NULL,
            lines       BIGINT NOT NULL DEFAULT 0,
            inserted    BIGINT NOT NULL DEFAULT 0,
            duplicates  BIGINT NOT NULL DEFAULT 0,
            invalid     BIGINT NOT NULL DEFAULT 0,
            error       TEXT
        );
    ",
        common: "",
    },
    Migration { version: 2, name: "hash banks", sqlite: "", postgres: "", common: BANKS },
    Migration {
        version: 3,
        name: "network scan results",
        sqlite: "
        CREATE TABLE scan_runs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            source      TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            summary     TEXT NOT NULL
        );
    ",
        postgres: "
        CREATE TABLE scan_runs (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source      TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            summary     TEXT NOT NULL
        );
    ",
        common: SCANS,
    },
    Migration {
        version: 4,
        name: "ingest conflicts",
        sqlite: "ALTER TABLE ingest_runs ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;",
        postgres: "ALTER TABLE ingest_runs ADD COLUMN conflicts BIGINT NOT NULL DEFAULT 0;",
        common: "",
    },
    // Version 5 (scan reasons) comes from another branch; the gap is deliberate.
    Migration {
        version: 6,
        name: "api tokens, webhook outbox",
        sqlite: "
        CREATE TABLE webhook_outbox (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            key        TEXT NOT NULL UNIQUE,
            kind       TEXT NOT NULL,
            body       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_us INTEGER NOT NULL
        );
    ",
        postgres: "
        CREATE TABLE webhook_outbox (
            id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key        TEXT NOT NULL UNIQUE,
            kind       TEXT NOT NULL,
            body       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_us BIGINT NOT NULL
        );
    ",
        common: TOKENS,
    },
];

/// Migration 6 after `webhook_outbox`, the same SQL on both backends: API
/// tokens, stored by the SHA-256 of the secret only (the secret is shown
/// once, when created); each endpoint's delivery state of each outbox row;
/// every delivery attempt.
const TOKENS: &str = "
        CREATE TABLE api_tokens (
            name       TEXT PRIMARY KEY,
            role       TEXT NOT NULL,
            hash       TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE webhook_deliveries (
            outbox       BIGINT NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
            endpoint     TEXT NOT NULL,
            attempts     BIGINT NOT NULL,
            next_us      BIGINT NOT NULL,
            delivered_at TEXT,
            given_up_at  TEXT,
            last_error   TEXT,
            PRIMARY KEY (outbox, endpoint)
        );
        CREATE TABLE webhook_attempts (
            outbox   BIGINT NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
            endpoint TEXT NOT NULL,
            at       TEXT NOT NULL,
            status   BIGINT,
            error    TEXT
        );
        CREATE INDEX webhook_attempts_outbox ON webhook_attempts (outbox, endpoint);
";

/// Migration 3's tables other than `scan_runs`, the same SQL on both backends.
const SCANS: &str = "
        CREATE TABLE scan_accounts (
            run     BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
            account TEXT NOT NULL,
            tier    TEXT NOT NULL,
            score   DOUBLE PRECISION NOT NULL,
            reasons TEXT NOT NULL,
            network BIGINT,
            person  BIGINT,
            PRIMARY KEY (run, account)
        );
        CREATE INDEX scan_accounts_account ON scan_accounts (account);
        CREATE TABLE scan_persons (
            run      BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
            person   BIGINT NOT NULL,
            accounts TEXT NOT NULL,
            evidence TEXT NOT NULL,
            PRIMARY KEY (run, person)
        );
";

/// Migration 2, the same SQL on both backends.
const BANKS: &str = "
        CREATE TABLE banks (
            name       TEXT PRIMARY KEY,
            action     TEXT NOT NULL,
            tags       TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE bank_hashes (
            bank     TEXT NOT NULL REFERENCES banks (name) ON DELETE CASCADE,
            kind     TEXT NOT NULL,
            hash     TEXT NOT NULL,
            tags     TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (bank, kind, hash)
        );
";

/// The SQL that creates the bookkeeping table (same on both backends).
pub(crate) const CREATE_MIGRATIONS_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_end_at_schema_version() {
        assert_eq!(MIGRATIONS.first().map(|m| m.version), Some(1));
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "migration {} out of order", pair[1].name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
