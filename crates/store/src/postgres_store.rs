//! The PostgreSQL backend (the `postgres` crate: the synchronous face of
//! rust-postgres, which matches the store's synchronous trait).

use std::collections::HashMap;

use guardrail_core::EventType;
use postgres::{Client, NoTls};

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
use crate::sqlite_store::{run_row, stored};
use crate::{Backend, Store, StoreError};

/// Key of the advisory lock that serialises migrations between processes.
const MIGRATION_LOCK: i64 = 0x6775_6172_6472_6169; // "guardrai"

/// A PostgreSQL database.
pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connects to `url` (a `postgres://` URL, optionally with `schema=NAME`)
    /// and brings the schema up to date.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_mode(url, false)
    }

    /// Connects to `url` like [`PostgresStore::open`], but refuses with
    /// [`StoreError::NotFound`] when the database (or its `schema=NAME`)
    /// holds no guardrail tables, instead of creating them: for readers.
    pub fn open_existing(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_mode(url, true)
    }

    fn open_mode(url: &str, existing: bool) -> Result<PostgresStore, StoreError> {
        let (conn_url, schema) = split_schema(url)?;
        let client = Client::connect(&conn_url, NoTls)?;
        let mut store = PostgresStore { client };
        store.client.batch_execute("SET client_min_messages = warning")?;
        if existing {
            let table = match &schema {
                Some(schema) => format!("\"{schema}\".schema_migrations"),
                None => "schema_migrations".to_owned(),
            };
            let row = store.client.query_one("SELECT to_regclass($1)::text", &[&table])?;
            if row.get::<_, Option<String>>(0).is_none() {
                let place = schema.map_or_else(String::new, |s| format!(" (schema {s})"));
                return Err(StoreError::NotFound {
                    url: url.to_owned(),
                    why: format!("it holds no guardrail tables{place}"),
                });
            }
        }
        store.migrate(schema.as_deref())?;
        Ok(store)
    }

    /// Creates the schema if needed and brings it up to date, under an
    /// advisory lock: `CREATE SCHEMA IF NOT EXISTS` is not safe against a
    /// concurrent creation of the same schema (one session fails with a
    /// unique violation), and processes open the same database at once.
    fn migrate(&mut self, schema: Option<&str>) -> Result<(), StoreError> {
        self.client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
        let result = match schema {
            Some(schema) => self
                .client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET search_path TO \"{schema}\""
                ))
                .map_err(StoreError::from)
                .and_then(|()| self.migrate_locked()),
            None => self.migrate_locked(),
        };
        let unlocked = self.client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
        result?;
        unlocked?;
        Ok(())
    }

    fn migrate_locked(&mut self) -> Result<(), StoreError> {
        self.client.batch_execute(CREATE_MIGRATIONS_TABLE)?;
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: current, known: SCHEMA_VERSION });
        }
        // Every migration not yet recorded, not only those above the highest:
        // versions taken by parallel branches may be merged later.
        let applied: Vec<u32> = self
            .client
            .query("SELECT version FROM schema_migrations", &[])?
            .iter()
            .map(|r| r.get::<_, i32>(0) as u32)
            .collect();
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            let apply = |client: &mut Client| -> Result<(), StoreError> {
                let mut tx = client.transaction()?;
                tx.batch_execute(m.postgres)?;
                tx.batch_execute(m.common)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    &[&(m.version as i32), &m.name, &crate::now_rfc3339()],
                )?;
                tx.commit()?;
                Ok(())
            };
            apply(&mut self.client).map_err(|source| StoreError::Migration {
                version: m.version,
                name: m.name,
                error: Box::new(source),
            })?;
        }
        Ok(())
    }
}

/// Removes our own `schema=NAME` parameter from a URL; the name must be a
/// plain identifier, since it is spliced into SQL.
fn split_schema(url: &str) -> Result<(String, Option<String>), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut schema = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("schema=") {
            Some(name) => schema = Some(name.to_owned()),
            None => kept.push(pair),
        }
    }
    if let Some(name) = &schema {
        let valid = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(StoreError::Url {
                url: url.to_owned(),
                why: format!(
                    "schema {name:?} must be 1 to 63 lowercase letters, digits or '_', \
                     not starting with a digit"
                ),
            });
        }
    }
    let conn = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((conn, schema))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PostgresStore {
    /// Runs a review operation in one transaction (writers take the review
    /// lock inside it).
    fn review_tx<R>(
        &mut self,
        _write: bool,
        f: impl FnOnce(&mut dyn crate::review::Sql) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut tx = self.client.transaction()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Store for PostgresStore {
    crate::review_methods!();

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn schema_version(&mut self) -> Result<u32, StoreError> {
        let row = self.client.query_one("SELECT MAX(version) FROM schema_migrations", &[])?;
        let v: Option<i32> = row.get(0);
        Ok(v.map_or(0, |v| v as u32))
    }

    fn append_with_outbox(
        &mut self,
        events: &[NewEvent],
        progress: Option<RunProgress>,
        policy: ConflictPolicy,
        outbox: &[NewOutbox],
    ) -> Result<AppendOutcome, StoreError> {
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let ats: Vec<i64> = events.iter().map(|e| e.at_micros).collect();
        let bodies: Vec<&str> = events.iter().map(|e| e.body.as_str()).collect();
        let mut tx = self.client.transaction()?;
        // One statement for the whole batch; ordinality keeps batch order for
        // the sequence numbers, and DO NOTHING skips stored ids and repeats
        // (the first occurrence in the batch is the one inserted).
        let rows = tx.query(
            "INSERT INTO events (id, type, at, body)
             SELECT id, type, at, body
             FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[])
                  WITH ORDINALITY AS b(id, type, at, body, ord)
             ORDER BY ord
             ON CONFLICT (id) DO NOTHING
             RETURNING seq, id",
            &[&ids, &kinds, &ats, &bodies],
        )?;
        let inserted: HashMap<String, i64> =
            rows.iter().map(|r| (r.get::<_, String>(1), r.get::<_, i64>(0))).collect();
        // Which position of the batch each inserted id came from, and the
        // body stored under every other id (fetched in one query).
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        let mut others: Vec<&str> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if inserted.contains_key(&event.id) {
                first_at.entry(event.id.as_str()).or_insert(index);
            } else {
                others.push(event.id.as_str());
            }
        }
        let stored: HashMap<String, String> = if others.is_empty() {
            HashMap::new()
        } else {
            tx.query("SELECT id, body FROM events WHERE id = ANY($1)", &[&others])?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        };
        let mut outcome = AppendOutcome::default();
        let mut stored_at: Vec<Option<i64>> = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let seq = match first_at.get(event.id.as_str()) {
                Some(&first) if first == index => inserted.get(&event.id).copied(),
                _ => None,
            };
            stored_at.push(seq);
            if seq.is_some() {
                outcome.inserted += 1;
                continue;
            }
            let body = match first_at.get(event.id.as_str()) {
                Some(&first) => Some(events[first].body.as_str()),
                None => stored.get(&event.id).map(String::as_str),
            };
            if body == Some(event.body.as_str()) {
                outcome.duplicates += 1;
            } else {
                outcome.conflicts.push(index);
            }
        }
        if policy == ConflictPolicy::Reject && !outcome.conflicts.is_empty() {
            // Dropping the transaction rolls it back: nothing is stored.
            return Ok(AppendOutcome { conflicts: outcome.conflicts, ..AppendOutcome::default() });
        }

        // Fold the batch's newly stored account events into one row per
        // account (latest handle, latest declared band), then upsert them.
        let mut accounts: Vec<(String, String, Option<&'static str>, i64, i64)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (event, seq) in events.iter().zip(&stored_at) {
            let (Some(a), Some(seq)) = (&event.account, *seq) else { continue };
            let band = a.age_band.map(|b| b.as_str());
            match index.get(a.account.as_str()) {
                Some(&i) if accounts[i].4 < seq => {
                    let row = &mut accounts[i];
                    row.1 = a.handle.clone();
                    row.2 = band.or(row.2);
                    row.4 = seq;
                }
                Some(_) => {}
                None => {
                    index.insert(&a.account, accounts.len());
                    accounts.push((a.account.clone(), a.handle.clone(), band, seq, seq));
                }
            }
        }
        if !accounts.is_empty() {
            let ids: Vec<&str> = accounts.iter().map(|a| a.0.as_str()).collect();
            let handles: Vec<&str> = accounts.iter().map(|a| a.1.as_str()).collect();
            let bands: Vec<Option<&str>> = accounts.iter().map(|a| a.2).collect();
            let firsts: Vec<i64> = accounts.iter().map(|a| a.3).collect();
            let lasts: Vec<i64> = accounts.iter().map(|a| a.4).collect();
            tx.execute(
                "INSERT INTO accounts (id, handle, age_band, first_seq, last_seq)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
                 ON CONFLICT (id) DO UPDATE SET
                     handle = excluded.handle,
                     age_band = COALESCE(excluded.age_band, accounts.age_band),
                     last_seq = excluded.last_seq",
                &[&ids, &handles, &bands, &firsts, &lasts],
            )?;
        }
        if let Some(p) = progress {
            let updated = tx.execute(
                "UPDATE ingest_runs SET lines = $2, invalid = $3,
                     inserted = inserted + $4, duplicates = duplicates + $5,
                     conflicts = conflicts + $6
                 WHERE id = $1",
                &[
                    &p.run,
                    &(p.lines as i64),
                    &(p.invalid as i64),
                    &(outcome.inserted as i64),
                    &(outcome.duplicates as i64),
                    &(outcome.conflicts.len() as i64),
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
            let insert = tx.prepare(
                "INSERT INTO webhook_outbox (key, kind, body, created_at, created_us)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )?;
            for row in outbox.iter().filter(|r| !outcome.conflicts.contains(&r.event)) {
                tx.execute(&insert, &[&row.key, &row.kind, &row.body, &at, &us])?;
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self.client.query(
            "SELECT seq, id, type, at, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&(after as i64), &(limit as i64)],
        )?;
        rows.into_iter()
            .map(|r| stored(r.get(0), r.get(1), r.get::<_, &str>(2), r.get(3), r.get(4)))
            .collect()
    }

    fn contains_event(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.client.query_opt("SELECT 1 FROM events WHERE id = $1", &[&id])?.is_some())
    }

    fn summary(&mut self) -> Result<Summary, StoreError> {
        let counts: HashMap<String, i64> = self
            .client
            .query("SELECT type, COUNT(*) FROM events GROUP BY type", &[])?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let span = self.client.query_one("SELECT MIN(at), MAX(at) FROM events", &[])?;
        let people = self.client.query_one(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE age_band = 'minor') FROM accounts",
            &[],
        )?;
        Ok(Summary {
            events_by_type: EventType::ALL
                .iter()
                .map(|t| (*t, count(counts.get(t.as_str()).copied().unwrap_or(0))))
                .collect(),
            time_span: span.get::<_, Option<i64>>(0).zip(span.get::<_, Option<i64>>(1)),
            accounts: count(people.get(0)),
            minor_accounts: count(people.get(1)),
        })
    }

    fn begin_run(&mut self, source: &str) -> Result<i64, StoreError> {
        let row = self.client.query_one(
            "INSERT INTO ingest_runs (source, started_at, status) VALUES ($1, $2, 'running')
             RETURNING id",
            &[&source, &crate::now_rfc3339()],
        )?;
        Ok(row.get(0))
    }

    fn finish_run(
        &mut self,
        run: i64,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let updated = self.client.execute(
            "UPDATE ingest_runs SET status = $2, error = $3, finished_at = $4 WHERE id = $1",
            &[&run, &status.as_str(), &error, &crate::now_rfc3339()],
        )?;
        if updated != 1 {
            return Err(StoreError::Missing { what: "ingest run with id", name: run.to_string() });
        }
        Ok(())
    }

    fn runs(&mut self) -> Result<Vec<IngestRun>, StoreError> {
        self.client
            .query(
                "SELECT id, source, started_at, finished_at, status, lines, inserted, duplicates,
                        invalid, error, conflicts
                 FROM ingest_runs ORDER BY id",
                &[],
            )?
            .into_iter()
            .map(|r| {
                run_row(
                    r.get(0),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get::<_, &str>(4),
                    [r.get(5), r.get(6), r.get(7), r.get(8), r.get(10)],
                    r.get(9),
                )
            })
            .collect()
    }

    fn put_bank(&mut self, name: &str, action: &str, tags: &[String]) -> Result<(), StoreError> {
        check_bank_name(name)?;
        let tags = join_tags(tags)?;
        self.client.execute(
            "INSERT INTO banks (name, action, tags, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET action = excluded.action, tags = excluded.tags",
            &[&name, &action, &tags, &crate::now_rfc3339()],
        )?;
        Ok(())
    }

    fn banks(&mut self) -> Result<Vec<Bank>, StoreError> {
        let rows = self.client.query(
            "SELECT b.name, b.action, b.tags, b.created_at,
                    (SELECT COUNT(*) FROM bank_hashes h WHERE h.bank = b.name)
             FROM banks b ORDER BY b.name",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Bank {
                name: r.get(0),
                action: r.get(1),
                tags: split_tags(r.get(2)),
                created_at: r.get(3),
                hashes: r.get::<_, i64>(4) as u64,
            })
            .collect())
    }

    fn add_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[BankHash],
    ) -> Result<BankAddOutcome, StoreError> {
        let tags: Vec<String> =
            hashes.iter().map(|h| join_tags(&h.tags)).collect::<Result<_, _>>()?;
        let kinds: Vec<&str> = hashes.iter().map(|h| h.kind.as_str()).collect();
        let hexes: Vec<&str> = hashes.iter().map(|h| h.hash.as_str()).collect();
        let mut tx = self.client.transaction()?;
        if tx.query_opt("SELECT 1 FROM banks WHERE name = $1 FOR UPDATE", &[&bank])?.is_none() {
            return Err(StoreError::Missing { what: "bank named", name: format!("{bank:?}") });
        }
        let added = tx.execute(
            "INSERT INTO bank_hashes (bank, kind, hash, tags, added_at)
             SELECT $1, kind, hash, tags, $5
             FROM UNNEST($2::text[], $3::text[], $4::text[]) AS b(kind, hash, tags)
             ON CONFLICT DO NOTHING",
            &[&bank, &kinds, &hexes, &tags, &crate::now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(BankAddOutcome { added, duplicates: hashes.len() as u64 - added })
    }

    fn remove_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[(String, String)],
    ) -> Result<u64, StoreError> {
        let kinds: Vec<&str> = hashes.iter().map(|h| h.0.as_str()).collect();
        let hexes: Vec<&str> = hashes.iter().map(|h| h.1.as_str()).collect();
        let removed = self.client.execute(
            "DELETE FROM bank_hashes h USING UNNEST($2::text[], $3::text[]) AS d(kind, hash)
             WHERE h.bank = $1 AND h.kind = d.kind AND h.hash = d.hash",
            &[&bank, &kinds, &hexes],
        )?;
        Ok(removed)
    }

    fn delete_bank(&mut self, bank: &str) -> Result<bool, StoreError> {
        Ok(self.client.execute("DELETE FROM banks WHERE name = $1", &[&bank])? == 1)
    }

    fn bank_hashes(&mut self, bank: Option<&str>) -> Result<Vec<(String, BankHash)>, StoreError> {
        let rows = self.client.query(
            "SELECT bank, kind, hash, tags FROM bank_hashes
             WHERE $1::text IS NULL OR bank = $1 ORDER BY bank, kind, hash",
            &[&bank],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (r.get(0), BankHash { kind: r.get(1), hash: r.get(2), tags: split_tags(r.get(3)) })
            })
            .collect())
    }

    fn save_scan(&mut self, scan: &NewScan) -> Result<i64, StoreError> {
        check_scan(scan)?;
        let mut tx = self.client.transaction()?;
        let run: i64 = tx
            .query_one(
                "INSERT INTO scan_runs (source, finished_at, summary) VALUES ($1, $2, $3) RETURNING id",
                &[&scan.source, &crate::now_rfc3339(), &scan.summary],
            )?
            .get(0);
        let accounts: Vec<&str> = scan.accounts.iter().map(|a| a.account.as_str()).collect();
        let tiers: Vec<&str> = scan.accounts.iter().map(|a| a.tier.as_str()).collect();
        let scores: Vec<f64> = scan.accounts.iter().map(|a| a.score).collect();
        let reasons: Vec<String> =
            scan.accounts.iter().map(|a| reasons_to_json(&a.reasons)).collect();
        let networks: Vec<Option<i64>> = scan.accounts.iter().map(|a| a.network).collect();
        let persons: Vec<Option<i64>> = scan.accounts.iter().map(|a| a.person).collect();
        tx.execute(
            "INSERT INTO scan_accounts (run, account, tier, score, reasons, network, person)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::float8[], $5::text[], $6::int8[], $7::int8[])",
            &[&run, &accounts, &tiers, &scores, &reasons, &networks, &persons],
        )?;
        let (mut reason_accounts, mut kinds) = (Vec::<&str>::new(), Vec::<&str>::new());
        for a in &scan.accounts {
            for kind in reason_kinds(&a.reasons) {
                reason_accounts.push(a.account.as_str());
                kinds.push(kind);
            }
        }
        tx.execute(
            "INSERT INTO scan_reasons (run, account, kind)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[])",
            &[&run, &reason_accounts, &kinds],
        )?;
        let numbers: Vec<i64> = scan.persons.iter().map(|p| p.person).collect();
        let members: Vec<String> =
            scan.persons.iter().map(|p| to_json_lines(&p.accounts)).collect();
        let evidence: Vec<String> =
            scan.persons.iter().map(|p| evidence_to_json(&p.evidence)).collect();
        tx.execute(
            "INSERT INTO scan_persons (run, person, accounts, evidence)
             SELECT $1, * FROM UNNEST($2::int8[], $3::text[], $4::text[])",
            &[&run, &numbers, &members, &evidence],
        )?;
        tx.commit()?;
        Ok(run)
    }

    fn scans(&mut self) -> Result<Vec<ScanRun>, StoreError> {
        let rows = self
            .client
            .query("SELECT id, source, finished_at, summary FROM scan_runs ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| ScanRun {
                id: r.get(0),
                source: r.get(1),
                finished_at: r.get(2),
                summary: r.get(3),
            })
            .collect())
    }

    fn scan_accounts(
        &mut self,
        run: i64,
        tier: Option<guardrail_core::RiskTier>,
    ) -> Result<Vec<RiskRow>, StoreError> {
        let tier = tier.map(guardrail_core::RiskTier::as_str);
        let rows = self.client.query(
            "SELECT account, tier, score, reasons, network, person FROM scan_accounts
             WHERE run = $1 AND ($2::text IS NULL OR tier = $2)
             ORDER BY CASE tier WHEN 'confirmed' THEN 0 WHEN 'suspected' THEN 1 WHEN 'candidate' THEN 2 ELSE 3 END,
                      score DESC, account",
            &[&run, &tier],
        )?;
        risk_rows(run, &rows)
    }

    fn scan_accounts_with_reason(
        &mut self,
        run: i64,
        kind: &str,
    ) -> Result<Vec<RiskRow>, StoreError> {
        check_reason_kind(kind)?;
        let rows = self.client.query(
            "SELECT a.account, a.tier, a.score, a.reasons, a.network, a.person
             FROM scan_reasons k JOIN scan_accounts a ON a.run = k.run AND a.account = k.account
             WHERE k.run = $1 AND k.kind = $2
             ORDER BY CASE a.tier WHEN 'confirmed' THEN 0 WHEN 'suspected' THEN 1 WHEN 'candidate' THEN 2 ELSE 3 END,
                      a.score DESC, a.account",
            &[&run, &kind],
        )?;
        risk_rows(run, &rows)
    }

    fn scan_persons(&mut self, run: i64) -> Result<Vec<PersonRow>, StoreError> {
        let rows = self.client.query(
            "SELECT person, accounts, evidence FROM scan_persons WHERE run = $1 ORDER BY person",
            &[&run],
        )?;
        let mut out = Vec::new();
        for r in rows {
            out.push(PersonRow {
                person: r.get(0),
                accounts: from_json_lines(r.get(1), "accounts")?,
                evidence: evidence_from_json(
                    r.get(2),
                    &format!("evidence of person {} in scan {run}", r.get::<_, i64>(0)),
                )?,
            });
        }
        Ok(out)
    }

    fn scan_account(&mut self, run: i64, account: &str) -> Result<Option<RiskRow>, StoreError> {
        let row = self.client.query_opt(
            "SELECT account, tier, score, reasons, network, person FROM scan_accounts
             WHERE run = $1 AND account = $2",
            &[&run, &account],
        )?;
        let rows: Vec<postgres::Row> = row.into_iter().collect();
        Ok(risk_rows(run, &rows)?.into_iter().next())
    }

    fn scan_person(&mut self, run: i64, person: i64) -> Result<Option<PersonRow>, StoreError> {
        let row = self.client.query_opt(
            "SELECT accounts, evidence FROM scan_persons WHERE run = $1 AND person = $2",
            &[&run, &person],
        )?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(PersonRow {
            person,
            accounts: from_json_lines(r.get(0), "accounts")?,
            evidence: evidence_from_json(
                r.get(1),
                &format!("evidence of person {person} in scan {run}"),
            )?,
        }))
    }

    fn add_token(&mut self, token: &TokenRow) -> Result<(), StoreError> {
        check_token(token)?;
        let added = self.client.execute(
            "INSERT INTO api_tokens (name, role, hash, created_at, revoked_at)
             VALUES ($1, $2, $3, $4, NULL) ON CONFLICT DO NOTHING",
            &[&token.name, &token.role, &token.hash, &token.created_at],
        )?;
        if added == 0 {
            return Err(StoreError::Exists { what: "token", name: token.name.clone() });
        }
        Ok(())
    }

    fn tokens(&mut self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = self.client.query(
            "SELECT name, role, hash, created_at, revoked_at FROM api_tokens ORDER BY name",
            &[],
        )?;
        Ok(rows.iter().map(pg_token_row).collect())
    }

    fn active_token(&mut self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let row = self.client.query_opt(
            "SELECT name, role, hash, created_at, revoked_at FROM api_tokens
             WHERE hash = $1 AND revoked_at IS NULL",
            &[&hash],
        )?;
        Ok(row.as_ref().map(pg_token_row))
    }

    fn revoke_token(&mut self, name: &str) -> Result<bool, StoreError> {
        let changed = self.client.execute(
            "UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
            &[&name, &crate::now_rfc3339()],
        )?;
        Ok(changed > 0)
    }
    fn due_outbox(
        &mut self,
        endpoint: &str,
        now_us: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = self.client.query(
            "SELECT o.id, o.key, o.kind, o.body, o.created_at, o.created_us FROM webhook_outbox o
             LEFT JOIN webhook_deliveries d ON d.outbox = o.id AND d.endpoint = $1
             WHERE d.outbox IS NULL
                OR (d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_us <= $2)
             ORDER BY o.id LIMIT $3",
            &[&endpoint, &now_us, &(limit as i64)],
        )?;
        Ok(rows.iter().map(pg_outbox_row).collect())
    }

    fn record_attempt(
        &mut self,
        attempt: &Attempt,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        let status = attempt.status.map(i64::from);
        tx.execute(
            "INSERT INTO webhook_attempts (outbox, endpoint, at, status, error) VALUES ($1, $2, $3, $4, $5)",
            &[&attempt.outbox, &attempt.endpoint, &attempt.at, &status, &attempt.error],
        )?;
        let (delivered, given_up, next) = match outcome {
            AttemptOutcome::Delivered => (Some(attempt.at.as_str()), None, 0i64),
            AttemptOutcome::GiveUp => (None, Some(attempt.at.as_str()), 0),
            AttemptOutcome::Retry(next) => (None, None, next),
        };
        tx.execute(
            "INSERT INTO webhook_deliveries (outbox, endpoint, attempts, next_us, delivered_at, given_up_at, last_error)
             VALUES ($1, $2, 1, $3, $4, $5, $6)
             ON CONFLICT (outbox, endpoint) DO UPDATE SET
                 attempts = webhook_deliveries.attempts + 1, next_us = excluded.next_us,
                 delivered_at = excluded.delivered_at, given_up_at = excluded.given_up_at,
                 last_error = excluded.last_error",
            &[&attempt.outbox, &attempt.endpoint, &next, &delivered, &given_up, &attempt.error],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn outbox_rows(&mut self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = self.client.query(
            "SELECT id, key, kind, body, created_at, created_us FROM webhook_outbox
             WHERE id > $1 ORDER BY id LIMIT $2",
            &[&after, &(limit as i64)],
        )?;
        Ok(rows.iter().map(pg_outbox_row).collect())
    }

    fn deliveries(&mut self, outbox: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = self.client.query(
            "SELECT outbox, endpoint, attempts, next_us, delivered_at, given_up_at, last_error
             FROM webhook_deliveries WHERE outbox = $1 ORDER BY endpoint",
            &[&outbox],
        )?;
        Ok(rows
            .iter()
            .map(|r| Delivery {
                outbox: r.get(0),
                endpoint: r.get(1),
                attempts: r.get::<_, i64>(2) as u64,
                next_us: r.get(3),
                delivered_at: r.get(4),
                given_up_at: r.get(5),
                last_error: r.get(6),
            })
            .collect())
    }

    fn attempts(&mut self, outbox: i64) -> Result<Vec<Attempt>, StoreError> {
        let rows = self.client.query(
            "SELECT outbox, endpoint, at, status, error FROM webhook_attempts
             WHERE outbox = $1 ORDER BY ctid",
            &[&outbox],
        )?;
        Ok(rows
            .iter()
            .map(|r| Attempt {
                outbox: r.get(0),
                endpoint: r.get(1),
                at: r.get(2),
                status: r.get::<_, Option<i64>>(3).and_then(|s| u16::try_from(s).ok()),
                error: r.get(4),
            })
            .collect())
    }

    fn outbox_pending(&mut self, endpoints: &[String]) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for endpoint in endpoints {
            let row = self.client.query_one(
                "SELECT COUNT(*) FROM webhook_outbox o WHERE NOT EXISTS (
                     SELECT 1 FROM webhook_deliveries d WHERE d.outbox = o.id AND d.endpoint = $1
                     AND (d.delivered_at IS NOT NULL OR d.given_up_at IS NOT NULL))",
                &[endpoint],
            )?;
            total += row.get::<_, i64>(0) as u64;
        }
        Ok(total)
    }
}

fn pg_outbox_row(r: &postgres::Row) -> OutboxRow {
    OutboxRow {
        id: r.get(0),
        key: r.get(1),
        kind: r.get(2),
        body: r.get(3),
        created_at: r.get(4),
        created_us: r.get(5),
    }
}

fn pg_token_row(r: &postgres::Row) -> TokenRow {
    TokenRow {
        name: r.get(0),
        role: r.get(1),
        hash: r.get(2),
        created_at: r.get(3),
        revoked_at: r.get(4),
    }
}

/// [`RiskRow`]s from rows of `scan_accounts`' columns (account, tier, score,
/// reasons, network, person).
fn risk_rows(run: i64, rows: &[postgres::Row]) -> Result<Vec<RiskRow>, StoreError> {
    let mut out = Vec::new();
    for r in rows {
        let account: String = r.get(0);
        let what = format!("reasons of account {account} in scan {run}");
        out.push(RiskRow {
            reasons: reasons_from_json(r.get(3), &what)?,
            tier: crate::model::stored_tier(r.get(1), &account, run)?,
            account: guardrail_core::AccountId::new(account),
            score: r.get(2),
            network: r.get(4),
            person: r.get(5),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split_schema;

    #[test]
    fn schema_parameter_is_removed_and_validated() {
        let (url, schema) = split_schema("postgres://u@h/db?schema=t_1&sslmode=disable").unwrap();
        assert_eq!(url, "postgres://u@h/db?sslmode=disable");
        assert_eq!(schema.as_deref(), Some("t_1"));
        let (url, schema) = split_schema("postgres://u@h/db").unwrap();
        assert_eq!((url.as_str(), schema), ("postgres://u@h/db", None));
        for bad in ["x\"; DROP", "", "1abc", "Upper"] {
            let err = split_schema(&format!("postgres://h/db?schema={bad}")).unwrap_err();
            assert!(err.to_string().contains("schema"), "{err}");
        }
    }
}
