//! The embedded SQLite backend.

use std::path::Path;

use guardrail_core::EventType;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::migrations::{CREATE_MIGRATIONS_TABLE, MIGRATIONS, SCHEMA_VERSION};
use crate::model::{
    check_bank_name, join_tags, split_tags, AppendOutcome, Bank, BankAddOutcome, BankHash,
    ConflictPolicy, IngestRun, NewEvent, RunProgress, RunStatus, StoredEvent, Summary,
};
use crate::model::{
    check_reason_kind, check_scan, check_token, evidence_from_json, evidence_to_json,
    from_json_lines, reason_kinds, reasons_from_json, reasons_to_json, to_json_lines, NewScan,
    PersonRow, RiskRow, ScanRun, TokenRow,
};
use crate::model::{now_pair, Attempt, AttemptOutcome, Delivery, NewOutbox, OutboxRow};
use crate::{Backend, Store, StoreError};

/// An SQLite database file.
///
/// Opened in WAL mode with `synchronous=FULL`, so every committed transaction
/// survives a crash of the process or of the machine; readers in other
/// processes do not block the writer.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens or creates the file at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_mode(path, false)
    }

    /// Opens the file at `path` like [`SqliteStore::open`], but refuses with
    /// [`StoreError::NotFound`] when there is no such file or it holds no
    /// guardrail tables, instead of creating them: for readers.
    pub fn open_existing(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_mode(path, true)
    }

    fn open_mode(path: &Path, existing: bool) -> Result<SqliteStore, StoreError> {
        let not_found = |why: &str| StoreError::NotFound {
            url: path.display().to_string(),
            why: why.to_owned(),
        };
        if existing && !path.is_file() {
            return Err(not_found(if path.exists() { "it is not a file" } else { "no such file" }));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(StoreError::Url {
                    url: path.display().to_string(),
                    why: format!("directory {} does not exist", parent.display()),
                });
            }
        }
        let conn = if existing {
            // Without SQLITE_OPEN_CREATE: a file removed since the check above
            // is an error, not a new empty database.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags)?
        } else {
            Connection::open(path)?
        };
        if existing {
            let tables: i64 = conn.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                [],
                |r| r.get(0),
            )?;
            if tables == 0 {
                return Err(not_found("it holds no guardrail tables"));
            }
        }
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // journal_mode returns the mode in effect; anything but WAL means the
        // file system cannot do it (e.g. some network mounts). Switching a new
        // file to WAL needs it to itself, and SQLite answers "database is
        // locked" at once, without the busy timeout, while another process
        // opening the same new file holds it: retry for as long as that timeout.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                other => break other?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Url {
                url: path.display().to_string(),
                why: format!("cannot use WAL journal mode here (got {mode})"),
            });
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;",
        )?;
        let mut store = SqliteStore { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(CREATE_MIGRATIONS_TABLE)?;
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: current, known: SCHEMA_VERSION });
        }
        // Every migration not yet recorded, not only those above the highest:
        // versions taken by parallel branches may be merged later.
        let applied: Vec<u32> = {
            let mut stmt = self.conn.prepare("SELECT version FROM schema_migrations")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            let apply = |conn: &mut Connection| -> Result<(), StoreError> {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                // Another process may have applied it while this one waited
                // for the write lock (two processes opening a new file at once).
                let done: Option<u32> = tx
                    .query_row(
                        "SELECT version FROM schema_migrations WHERE version = ?1",
                        params![m.version],
                        |r| r.get(0),
                    )
                    .optional()?;
                if done.is_some() {
                    return Ok(());
                }
                tx.execute_batch(m.sqlite)?;
                tx.execute_batch(m.common)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![m.version, m.name, crate::now_rfc3339()],
                )?;
                tx.commit()?;
                Ok(())
            };
            apply(&mut self.conn).map_err(|source| StoreError::Migration {
                version: m.version,
                name: m.name,
                error: Box::new(source),
            })?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// Runs a review operation in one transaction: immediate (holding the
    /// write lock from the start) for writers, deferred for readers.
    fn review_tx<R>(
        &mut self,
        write: bool,
        f: impl FnOnce(&mut dyn crate::review::Sql) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let behavior =
            if write { TransactionBehavior::Immediate } else { TransactionBehavior::Deferred };
        let mut tx = self.conn.transaction_with_behavior(behavior)?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    crate::review_methods!();

    fn schema_version(&mut self) -> Result<u32, StoreError> {
        let v: Option<u32> =
            self.conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0))
    }

    fn append_with_outbox(
        &mut self,
        events: &[NewEvent],
        progress: Option<RunProgress>,
        policy: ConflictPolicy,
        outbox: &[NewOutbox],
    ) -> Result<AppendOutcome, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcome = AppendOutcome::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, type, at, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut stored_body = tx.prepare_cached("SELECT body FROM events WHERE id = ?1")?;
            let mut upsert_account = tx.prepare_cached(
                "INSERT INTO accounts (id, handle, age_band, first_seq, last_seq)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (id) DO UPDATE SET
                     handle = excluded.handle,
                     age_band = COALESCE(excluded.age_band, accounts.age_band),
                     last_seq = excluded.last_seq",
            )?;
            for (index, event) in events.iter().enumerate() {
                let changed = insert.execute(params![
                    event.id,
                    event.kind.as_str(),
                    event.at_micros,
                    event.body
                ])?;
                if changed == 0 {
                    // Stored before, or earlier in this transaction.
                    let body: String = stored_body.query_row(params![event.id], |r| r.get(0))?;
                    if body == event.body {
                        outcome.duplicates += 1;
                    } else {
                        outcome.conflicts.push(index);
                    }
                    continue;
                }
                outcome.inserted += 1;
                if let Some(a) = &event.account {
                    let seq = tx.last_insert_rowid();
                    upsert_account.execute(params![
                        a.account,
                        a.handle,
                        a.age_band.map(|b| b.as_str()),
                        seq
                    ])?;
                }
            }
        }
        if policy == ConflictPolicy::Reject && !outcome.conflicts.is_empty() {
            // Dropping the transaction rolls it back: nothing is stored.
            return Ok(AppendOutcome { conflicts: outcome.conflicts, ..AppendOutcome::default() });
        }
        if let Some(p) = progress {
            let updated = tx.execute(
                "UPDATE ingest_runs SET lines = ?2, invalid = ?3,
                     inserted = inserted + ?4, duplicates = duplicates + ?5,
                     conflicts = conflicts + ?6
                 WHERE id = ?1",
                params![
                    p.run,
                    p.lines as i64,
                    p.invalid as i64,
                    outcome.inserted as i64,
                    outcome.duplicates as i64,
                    outcome.conflicts.len() as i64
                ],
            )?;
            if updated != 1 {
                return Err(StoreError::Missing {
                    what: "ingest run with id",
                    name: p.run.to_string(),
                });
            }
        }
        if !outbox.is_empty() {
            let (at, us) = now_pair();
            let mut insert = tx.prepare_cached(
                "INSERT INTO webhook_outbox (key, kind, body, created_at, created_us)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING",
            )?;
            for row in outbox.iter().filter(|r| !outcome.conflicts.contains(&r.event)) {
                insert.execute(params![row.key, row.kind, row.body, at, us])?;
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, type, at, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, kind, at_micros, body) = row?;
            out.push(stored(seq, id, &kind, at_micros, body)?);
        }
        Ok(out)
    }

    fn contains_event(&mut self, id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM events WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    fn summary(&mut self) -> Result<Summary, StoreError> {
        let mut counts = std::collections::HashMap::new();
        {
            let mut stmt = self.conn.prepare("SELECT type, COUNT(*) FROM events GROUP BY type")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (kind, n) = row?;
                counts.insert(kind, n as u64);
            }
        }
        let span: (Option<i64>, Option<i64>) =
            self.conn.query_row("SELECT MIN(at), MAX(at) FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let (accounts, minors): (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE age_band = 'minor') FROM accounts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Summary {
            events_by_type: EventType::ALL
                .iter()
                .map(|t| (*t, counts.get(t.as_str()).copied().unwrap_or(0)))
                .collect(),
            time_span: span.0.zip(span.1),
            accounts: accounts as u64,
            minor_accounts: minors as u64,
        })
    }

    fn begin_run(&mut self, source: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO ingest_runs (source, started_at, status) VALUES (?1, ?2, 'running')",
            params![source, crate::now_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(
        &mut self,
        run: i64,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let updated = self.conn.execute(
            "UPDATE ingest_runs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![run, status.as_str(), error, crate::now_rfc3339()],
        )?;
        if updated != 1 {
            return Err(StoreError::Missing { what: "ingest run with id", name: run.to_string() });
        }
        Ok(())
    }

    fn runs(&mut self) -> Result<Vec<IngestRun>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, source, started_at, finished_at, status, lines, inserted, duplicates,
                    invalid, error, conflicts
             FROM ingest_runs ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                [
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, i64>(10)?,
                ],
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, source, started_at, finished_at, status, n, error) = row?;
            out.push(run_row(id, source, started_at, finished_at, &status, n, error)?);
        }
        Ok(out)
    }

    fn put_bank(&mut self, name: &str, action: &str, tags: &[String]) -> Result<(), StoreError> {
        check_bank_name(name)?;
        let tags = join_tags(tags)?;
        self.conn.execute(
            "INSERT INTO banks (name, action, tags, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET action = excluded.action, tags = excluded.tags",
            params![name, action, tags, crate::now_rfc3339()],
        )?;
        Ok(())
    }

    fn banks(&mut self) -> Result<Vec<Bank>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT b.name, b.action, b.tags, b.created_at,
                    (SELECT COUNT(*) FROM bank_hashes h WHERE h.bank = b.name)
             FROM banks b ORDER BY b.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Bank {
                name: r.get(0)?,
                action: r.get(1)?,
                tags: split_tags(&r.get::<_, String>(2)?),
                created_at: r.get(3)?,
                hashes: r.get::<_, i64>(4)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[BankHash],
    ) -> Result<BankAddOutcome, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM banks WHERE name = ?1", params![bank], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::Missing { what: "bank named", name: format!("{bank:?}") });
        }
        let mut outcome = BankAddOutcome::default();
        {
            let now = crate::now_rfc3339();
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO bank_hashes (bank, kind, hash, tags, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for h in hashes {
                let tags = join_tags(&h.tags)?;
                if insert.execute(params![bank, h.kind, h.hash, tags, now])? == 1 {
                    outcome.added += 1;
                } else {
                    outcome.duplicates += 1;
                }
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn remove_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[(String, String)],
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut removed = 0;
        {
            let mut delete = tx.prepare_cached(
                "DELETE FROM bank_hashes WHERE bank = ?1 AND kind = ?2 AND hash = ?3",
            )?;
            for (kind, hash) in hashes {
                removed += delete.execute(params![bank, kind, hash])? as u64;
            }
        }
        tx.commit()?;
        Ok(removed)
    }

    fn delete_bank(&mut self, bank: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM banks WHERE name = ?1", params![bank])? == 1)
    }

    fn bank_hashes(&mut self, bank: Option<&str>) -> Result<Vec<(String, BankHash)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT bank, kind, hash, tags FROM bank_hashes
             WHERE ?1 IS NULL OR bank = ?1 ORDER BY bank, kind, hash",
        )?;
        let rows = stmt.query_map(params![bank], |r| {
            Ok((
                r.get::<_, String>(0)?,
                BankHash {
                    kind: r.get(1)?,
                    hash: r.get(2)?,
                    tags: split_tags(&r.get::<_, String>(3)?),
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_scan(&mut self, scan: &NewScan) -> Result<i64, StoreError> {
        check_scan(scan)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO scan_runs (source, finished_at, summary) VALUES (?1, ?2, ?3)",
            params![scan.source, crate::now_rfc3339(), scan.summary],
        )?;
        let run = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO scan_accounts (run, account, tier, score, reasons, network, person)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for a in &scan.accounts {
                insert.execute(params![
                    run,
                    a.account.as_str(),
                    a.tier.as_str(),
                    a.score,
                    reasons_to_json(&a.reasons),
                    a.network,
                    a.person
                ])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO scan_reasons (run, account, kind) VALUES (?1, ?2, ?3)",
            )?;
            for a in &scan.accounts {
                for kind in reason_kinds(&a.reasons) {
                    insert.execute(params![run, a.account.as_str(), kind])?;
                }
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO scan_persons (run, person, accounts, evidence) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for p in &scan.persons {
                insert.execute(params![
                    run,
                    p.person,
                    to_json_lines(&p.accounts),
                    evidence_to_json(&p.evidence)
                ])?;
            }
        }
        tx.commit()?;
        Ok(run)
    }

    fn scans(&mut self) -> Result<Vec<ScanRun>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, source, finished_at, summary FROM scan_runs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(ScanRun {
                id: r.get(0)?,
                source: r.get(1)?,
                finished_at: r.get(2)?,
                summary: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn scan_accounts(
        &mut self,
        run: i64,
        tier: Option<guardrail_core::RiskTier>,
    ) -> Result<Vec<RiskRow>, StoreError> {
        self.risk_rows(
            "SELECT account, tier, score, reasons, network, person FROM scan_accounts
             WHERE run = ?1 AND (?2 IS NULL OR tier = ?2)
             ORDER BY CASE tier WHEN 'confirmed' THEN 0 WHEN 'suspected' THEN 1 WHEN 'candidate' THEN 2 ELSE 3 END,
                      score DESC, account",
            run,
            tier.map(guardrail_core::RiskTier::as_str),
        )
    }

    fn scan_accounts_with_reason(
        &mut self,
        run: i64,
        kind: &str,
    ) -> Result<Vec<RiskRow>, StoreError> {
        check_reason_kind(kind)?;
        self.risk_rows(
            "SELECT a.account, a.tier, a.score, a.reasons, a.network, a.person
             FROM scan_reasons k JOIN scan_accounts a ON a.run = k.run AND a.account = k.account
             WHERE k.run = ?1 AND k.kind = ?2
             ORDER BY CASE a.tier WHEN 'confirmed' THEN 0 WHEN 'suspected' THEN 1 WHEN 'candidate' THEN 2 ELSE 3 END,
                      a.score DESC, a.account",
            run,
            Some(kind),
        )
    }

    fn scan_persons(&mut self, run: i64) -> Result<Vec<PersonRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT person, accounts, evidence FROM scan_persons WHERE run = ?1 ORDER BY person",
        )?;
        let rows = stmt.query_map(params![run], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (person, accounts, evidence) = row?;
            out.push(PersonRow {
                person,
                accounts: from_json_lines(&accounts, "accounts")?,
                evidence: evidence_from_json(
                    &evidence,
                    &format!("evidence of person {person} in scan {run}"),
                )?,
            });
        }
        Ok(out)
    }

    fn scan_account(&mut self, run: i64, account: &str) -> Result<Option<RiskRow>, StoreError> {
        let rows = self.risk_rows(
            "SELECT account, tier, score, reasons, network, person FROM scan_accounts
             WHERE run = ?1 AND account = ?2",
            run,
            Some(account),
        )?;
        Ok(rows.into_iter().next())
    }

    fn scan_person(&mut self, run: i64, person: i64) -> Result<Option<PersonRow>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT accounts, evidence FROM scan_persons WHERE run = ?1 AND person = ?2",
                params![run, person],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        let Some((accounts, evidence)) = row else { return Ok(None) };
        Ok(Some(PersonRow {
            person,
            accounts: from_json_lines(&accounts, "accounts")?,
            evidence: evidence_from_json(
                &evidence,
                &format!("evidence of person {person} in scan {run}"),
            )?,
        }))
    }

    fn add_token(&mut self, token: &TokenRow) -> Result<(), StoreError> {
        check_token(token)?;
        let added = self.conn.execute(
            "INSERT INTO api_tokens (name, role, hash, created_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, NULL) ON CONFLICT DO NOTHING",
            params![token.name, token.role, token.hash, token.created_at],
        )?;
        if added == 0 {
            return Err(StoreError::Exists { what: "token", name: token.name.clone() });
        }
        Ok(())
    }

    fn tokens(&mut self) -> Result<Vec<TokenRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, role, hash, created_at, revoked_at FROM api_tokens ORDER BY name",
        )?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn active_token(&mut self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, role, hash, created_at, revoked_at FROM api_tokens
             WHERE hash = ?1 AND revoked_at IS NULL",
        )?;
        Ok(stmt.query_row(params![hash], token_row).optional()?)
    }

    fn revoke_token(&mut self, name: &str) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, crate::now_rfc3339()],
        )?;
        Ok(changed > 0)
    }
    fn due_outbox(
        &mut self,
        endpoint: &str,
        now_us: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.key, o.kind, o.body, o.created_at, o.created_us FROM webhook_outbox o
             LEFT JOIN webhook_deliveries d ON d.outbox = o.id AND d.endpoint = ?1
             WHERE d.outbox IS NULL
                OR (d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_us <= ?2)
             ORDER BY o.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![endpoint, now_us, limit as i64], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_attempt(
        &mut self,
        attempt: &Attempt,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO webhook_attempts (outbox, endpoint, at, status, error) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![attempt.outbox, attempt.endpoint, attempt.at, attempt.status.map(i64::from), attempt.error],
        )?;
        let (delivered, given_up, next) = match outcome {
            AttemptOutcome::Delivered => (Some(attempt.at.as_str()), None, 0),
            AttemptOutcome::GiveUp => (None, Some(attempt.at.as_str()), 0),
            AttemptOutcome::Retry(next) => (None, None, next),
        };
        tx.execute(
            "INSERT INTO webhook_deliveries (outbox, endpoint, attempts, next_us, delivered_at, given_up_at, last_error)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)
             ON CONFLICT (outbox, endpoint) DO UPDATE SET
                 attempts = webhook_deliveries.attempts + 1, next_us = excluded.next_us,
                 delivered_at = excluded.delivered_at, given_up_at = excluded.given_up_at,
                 last_error = excluded.last_error",
            params![attempt.outbox, attempt.endpoint, next, delivered, given_up, attempt.error],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn outbox_rows(&mut self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, key, kind, body, created_at, created_us FROM webhook_outbox
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deliveries(&mut self, outbox: i64) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT outbox, endpoint, attempts, next_us, delivered_at, given_up_at, last_error
             FROM webhook_deliveries WHERE outbox = ?1 ORDER BY endpoint",
        )?;
        let rows = stmt.query_map(params![outbox], |r| {
            Ok(Delivery {
                outbox: r.get(0)?,
                endpoint: r.get(1)?,
                attempts: r.get::<_, i64>(2)? as u64,
                next_us: r.get(3)?,
                delivered_at: r.get(4)?,
                given_up_at: r.get(5)?,
                last_error: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn attempts(&mut self, outbox: i64) -> Result<Vec<Attempt>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT outbox, endpoint, at, status, error FROM webhook_attempts
             WHERE outbox = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![outbox], |r| {
            Ok(Attempt {
                outbox: r.get(0)?,
                endpoint: r.get(1)?,
                at: r.get(2)?,
                status: r.get::<_, Option<i64>>(3)?.and_then(|s| u16::try_from(s).ok()),
                error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn outbox_pending(&mut self, endpoints: &[String]) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for endpoint in endpoints {
            let n: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM webhook_outbox o WHERE NOT EXISTS (
                     SELECT 1 FROM webhook_deliveries d WHERE d.outbox = o.id AND d.endpoint = ?1
                     AND (d.delivered_at IS NOT NULL OR d.given_up_at IS NOT NULL))",
                params![endpoint],
                |r| r.get(0),
            )?;
            total += n as u64;
        }
        Ok(total)
    }
}

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        key: r.get(1)?,
        kind: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
        created_us: r.get(5)?,
    })
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        name: r.get(0)?,
        role: r.get(1)?,
        hash: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

impl SqliteStore {
    /// The rows of a query of `scan_accounts`' columns (account, tier,
    /// score, reasons, network, person) with parameters `run` and `filter`.
    fn risk_rows(
        &mut self,
        sql: &str,
        run: i64,
        filter: Option<&str>,
    ) -> Result<Vec<RiskRow>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params![run, filter], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (account, tier, score, reasons, network, person) = row?;
            let what = format!("reasons of account {account} in scan {run}");
            let reasons = reasons_from_json(&reasons, &what)?;
            let tier = crate::model::stored_tier(&tier, &account, run)?;
            let account = guardrail_core::AccountId::new(account);
            out.push(RiskRow { account, tier, score, reasons, network, person });
        }
        Ok(out)
    }
}

/// Builds a [`StoredEvent`] from its columns (shared with the PostgreSQL backend).
pub(crate) fn stored(
    seq: i64,
    id: String,
    kind: &str,
    at_micros: i64,
    body: String,
) -> Result<StoredEvent, StoreError> {
    let seq = u64::try_from(seq)
        .map_err(|_| StoreError::Corrupt { seq: 0, why: format!("negative seq {seq}") })?;
    let kind = kind
        .parse::<EventType>()
        .map_err(|()| StoreError::Corrupt { seq, why: format!("unknown type {kind:?}") })?;
    Ok(StoredEvent { seq, id, kind, at_micros, body })
}

/// Builds an [`IngestRun`] from its columns (shared with the PostgreSQL backend).
pub(crate) fn run_row(
    id: i64,
    source: String,
    started_at: String,
    finished_at: Option<String>,
    status: &str,
    [lines, inserted, duplicates, invalid, conflicts]: [i64; 5],
    error: Option<String>,
) -> Result<IngestRun, StoreError> {
    let status = RunStatus::parse(status).ok_or_else(|| StoreError::CorruptRow {
        what: format!("ingest run {id}"),
        why: format!("unknown status {status:?}"),
    })?;
    Ok(IngestRun {
        id,
        source,
        started_at,
        finished_at,
        status,
        lines: lines as u64,
        inserted: inserted as u64,
        duplicates: duplicates as u64,
        invalid: invalid as u64,
        conflicts: conflicts as u64,
        error,
    })
}
