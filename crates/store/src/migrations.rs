//! Schema migrations, embedded in the binary.
//!
//! Each migration has a version, a name and the SQL for each backend. They run
//! in order, each in its own transaction together with the row in
//! `schema_migrations` that records it, so a failed migration leaves the
//! database at the previous version. A database at a newer version than this
//! build knows is refused rather than touched.
//!
//! Versions are strictly increasing but need not be consecutive: migrations
//! written on parallel branches took their numbers in advance (5 scan
//! reasons, 6 the server's tokens and webhook outbox, 7 review), so the
//! runners apply every migration whose version is not yet recorded, in order,
//! rather than only those above the highest one recorded (a database made
//! with 7 before 5 and 6 were merged still gets them).

pub(crate) struct Migration {
    pub(crate) version: u32,
    pub(crate) name: &'static str,
    pub(crate) sqlite: &'static str,
    pub(crate) postgres: &'static str,
    /// SQL run after the backend's own, the same on both.
    pub(crate) common: &'static str,
}

/// Migration 9: one submission per case (its state, NCMEC's report id and
/// receipt) and every attempt of every step.
macro_rules! cybertip_tables {
    ($id:literal) => {
        concat!(
            "
        CREATE TABLE cybertip_submissions (
            case_id     BIGINT PRIMARY KEY REFERENCES review_cases (id),
            environment TEXT NOT NULL,
            state       TEXT NOT NULL,
            report_xml  TEXT NOT NULL,
            files       TEXT NOT NULL,
            report_id   BIGINT,
            attempts    BIGINT NOT NULL DEFAULT 0,
            next_at     BIGINT NOT NULL,
            last_code   BIGINT,
            last_error  TEXT,
            request_id  TEXT,
            receipt     TEXT,
            created_at  BIGINT NOT NULL,
            updated_at  BIGINT NOT NULL,
            finished_at BIGINT
        );
        CREATE INDEX cybertip_submissions_due ON cybertip_submissions (state, next_at);
        CREATE TABLE cybertip_attempts (
            id          ",
            $id,
            ",
            case_id     BIGINT NOT NULL REFERENCES cybertip_submissions (case_id),
            at          BIGINT NOT NULL,
            step        TEXT NOT NULL,
            http_status BIGINT,
            code        BIGINT,
            outcome     TEXT NOT NULL,
            request_id  TEXT
        );
        CREATE INDEX cybertip_attempts_case ON cybertip_attempts (case_id, id);
"
        )
    };
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 10;

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
    Migration {
        version: 5,
        name: "scan reasons by kind",
        sqlite: "",
        postgres: "",
        common: SCAN_REASONS,
    },
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
    Migration {
        version: 7,
        name: "reports, cases, decisions, enforcement outbox, audit log",
        sqlite: REVIEW_SQLITE,
        postgres: REVIEW_POSTGRES,
        common: "",
    },
    // Migration 7 was merged into main before second reviews existed, so they
    // are a migration of their own rather than an edit of an applied one.
    Migration {
        version: 8,
        name: "second reviews of sampled decisions",
        sqlite: "",
        postgres: "",
        common: "
        CREATE TABLE review_second_reviews (
            decision_id BIGINT PRIMARY KEY REFERENCES review_decisions (id),
            reviewer    TEXT NOT NULL,
            verdict     TEXT NOT NULL,
            agreed      BIGINT NOT NULL,
            detail      TEXT NOT NULL,
            reviewed_at BIGINT NOT NULL
        );
    ",
    },
    Migration {
        version: 9,
        name: "CyberTipline submissions",
        sqlite: cybertip_tables!("INTEGER PRIMARY KEY AUTOINCREMENT"),
        postgres: cybertip_tables!("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        common: "",
    },
    Migration {
        version: 10,
        name: "evidence preservation",
        sqlite: "",
        postgres: "",
        common: "
        CREATE TABLE preservation_records (
            case_id          BIGINT PRIMARY KEY REFERENCES review_cases (id),
            state            TEXT NOT NULL,
            created_at       BIGINT NOT NULL,
            expires_at       BIGINT NOT NULL,
            hold             BIGINT NOT NULL DEFAULT 0,
            hold_reason      TEXT,
            metadata         TEXT NOT NULL,
            destroyed_at     BIGINT,
            destroyed_reason TEXT
        );
        CREATE INDEX preservation_records_expiry ON preservation_records (state, expires_at);
        CREATE TABLE preservation_files (
            case_id BIGINT NOT NULL REFERENCES preservation_records (case_id),
            name    TEXT NOT NULL,
            sha256  TEXT NOT NULL,
            size    BIGINT NOT NULL,
            path    TEXT NOT NULL,
            PRIMARY KEY (case_id, name)
        );
    ",
    },
];

/// Migration 7's tables, with the backend's auto-numbered key. Times are
/// microseconds since the Unix epoch; flags are 0 or 1.
macro_rules! review_tables {
    ($id:literal) => {
        concat!(
            "
        CREATE TABLE review_cases (
            id            ",
            $id,
            ",
            subject_kind  TEXT NOT NULL,
            subject       TEXT NOT NULL,
            state         TEXT NOT NULL,
            verdict       TEXT,
            opened_at     BIGINT NOT NULL,
            updated_at    BIGINT NOT NULL,
            child_safety  BIGINT NOT NULL DEFAULT 0,
            hash_match    BIGINT NOT NULL DEFAULT 0,
            tier          BIGINT NOT NULL DEFAULT 0,
            strong_terms  BIGINT NOT NULL DEFAULT 0,
            category_rank BIGINT,
            escalated     BIGINT NOT NULL DEFAULT 0,
            appeals       BIGINT NOT NULL DEFAULT 0,
            excluded      TEXT NOT NULL DEFAULT '',
            lease_holder  TEXT,
            lease_until   BIGINT,
            version       BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX review_cases_state ON review_cases (state, opened_at);
        CREATE INDEX review_cases_subject ON review_cases (subject_kind, subject);
        CREATE TABLE review_intake_routes (
            subject TEXT PRIMARY KEY,
            case_id BIGINT NOT NULL REFERENCES review_cases (id)
        );
        CREATE INDEX review_intake_routes_case ON review_intake_routes (case_id);
        CREATE TABLE review_case_accounts (
            case_id BIGINT NOT NULL REFERENCES review_cases (id),
            account TEXT NOT NULL,
            PRIMARY KEY (case_id, account)
        );
        CREATE INDEX review_case_accounts_account ON review_case_accounts (account);
        CREATE TABLE review_reports (
            id                ",
            $id,
            ",
            key               TEXT NOT NULL UNIQUE,
            canonical         TEXT NOT NULL,
            source            TEXT NOT NULL,
            reporter          TEXT,
            target_kind       TEXT NOT NULL,
            target            TEXT NOT NULL,
            category          TEXT NOT NULL,
            text              TEXT,
            received_at       BIGINT NOT NULL,
            case_id           BIGINT NOT NULL REFERENCES review_cases (id),
            resolution        TEXT,
            resolution_detail TEXT,
            resolved_at       BIGINT
        );
        CREATE INDEX review_reports_case ON review_reports (case_id);
        CREATE INDEX review_reports_reporter ON review_reports (reporter);
        CREATE TABLE review_signals (
            id      ",
            $id,
            ",
            key     TEXT NOT NULL UNIQUE,
            case_id BIGINT NOT NULL REFERENCES review_cases (id),
            kind    TEXT NOT NULL,
            account TEXT NOT NULL,
            detail  TEXT NOT NULL,
            at      BIGINT NOT NULL
        );
        CREATE INDEX review_signals_case ON review_signals (case_id);
        CREATE TABLE review_decisions (
            id         ",
            $id,
            ",
            case_id    BIGINT NOT NULL REFERENCES review_cases (id),
            reviewer   TEXT NOT NULL,
            verdict    TEXT NOT NULL,
            detail     TEXT NOT NULL,
            statement  TEXT,
            sampled    BIGINT NOT NULL DEFAULT 0,
            decided_at BIGINT NOT NULL
        );
        CREATE INDEX review_decisions_case ON review_decisions (case_id);
        CREATE TABLE review_outbox (
            id           ",
            $id,
            ",
            decision_id  BIGINT NOT NULL REFERENCES review_decisions (id),
            case_id      BIGINT NOT NULL REFERENCES review_cases (id),
            action       TEXT NOT NULL,
            target       TEXT NOT NULL,
            created_at   BIGINT NOT NULL,
            delivered_at BIGINT
        );
        CREATE INDEX review_outbox_decision ON review_outbox (decision_id);
        CREATE INDEX review_outbox_case ON review_outbox (case_id);
        CREATE INDEX review_outbox_pending ON review_outbox (delivered_at, id);
        CREATE TABLE review_file_views (
            case_id   BIGINT NOT NULL REFERENCES review_cases (id),
            file      TEXT NOT NULL,
            reviewer  TEXT NOT NULL,
            viewed_at BIGINT NOT NULL,
            PRIMARY KEY (case_id, file, reviewer)
        );
        CREATE TABLE review_audit (
            seq       BIGINT PRIMARY KEY,
            at        BIGINT NOT NULL,
            actor     TEXT NOT NULL,
            action    TEXT NOT NULL,
            subject   TEXT NOT NULL,
            detail    TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash      TEXT NOT NULL
        );
"
        )
    };
}

const REVIEW_SQLITE: &str = review_tables!("INTEGER PRIMARY KEY AUTOINCREMENT");
const REVIEW_POSTGRES: &str = review_tables!("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");

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

/// Migration 5, the same SQL on both backends: every kind of reason each
/// account of a scan has (its `reasons` column holds the reasons), so that a
/// console can list a scan's accounts by kind. Scans stored before hold their
/// reasons as prose, which reads as kind `text`.
const SCAN_REASONS: &str = "
        CREATE TABLE scan_reasons (
            run     BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
            account TEXT NOT NULL,
            kind    TEXT NOT NULL,
            PRIMARY KEY (run, account, kind),
            FOREIGN KEY (run, account) REFERENCES scan_accounts (run, account) ON DELETE CASCADE
        );
        CREATE INDEX scan_reasons_kind ON scan_reasons (run, kind);
        INSERT INTO scan_reasons (run, account, kind)
            SELECT run, account, 'text' FROM scan_accounts WHERE reasons <> '[]';
";

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
