//! Durable storage for guardrail, behind one trait with two real backends:
//! SQLite (the embedded default: one file, WAL mode, every commit synced) and
//! PostgreSQL (for deployments that already run one).
//!
//! The store is an append-only event log keyed by event id, plus projections
//! that later components need (current account columns) and the record of
//! ingest runs. Appending is idempotent: an event whose id is already stored
//! with the same content is counted as a duplicate and not stored again, so
//! re-running an ingest, or resuming one that was killed, never duplicates
//! anything; the same id with different content is a conflict, never stored. Each
//! [`Store::append`] is one transaction; when it returns, the batch is durable.
//!
//! ```
//! use guardrail_core::Event;
//! use guardrail_store::{open, NewEvent};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = open(dir.path().join("g.db").to_str().unwrap()).unwrap();
//! let line = r#"{"type":"follow","id":"e2","at":"2026-03-01T10:01:00Z","from":"u2","to":"u1"}"#;
//! let event = NewEvent::from_event(&Event::from_json_line(line).unwrap());
//! assert_eq!(store.append(&[event.clone()], None).unwrap().inserted, 1);
//! assert_eq!(store.append(&[event], None).unwrap().duplicates, 1);
//! assert_eq!(store.summary().unwrap().total_events(), 1);
//! ```
#![deny(missing_docs)]

mod cybertip;
mod error;
mod ingest;
mod lines;
mod migrations;
mod model;
mod postgres_store;
mod preservation;
mod review;
mod sqlite_store;

pub use crate::cybertip::{CyberTipAttemptRow, CyberTipRow};
pub use crate::error::StoreError;
pub use crate::ingest::{
    ingest, IngestConflict, IngestError, IngestOptions, IngestReport, DEFAULT_BATCH_SIZE,
};
pub use crate::lines::EventLines;
pub use crate::migrations::SCHEMA_VERSION;
pub use crate::model::{
    AccountColumns, AppendOutcome, Attempt, AttemptOutcome, Bank, BankAddOutcome, BankHash,
    ConflictPolicy, Delivery, IngestRun, NewEvent, NewOutbox, NewScan, OutboxRow, PersonRow,
    RiskRow, RunProgress, RunStatus, ScanRun, StoredEvent, Summary, TokenRow,
};
pub use crate::postgres_store::PostgresStore;
pub use crate::preservation::{PreservationRow, PreservedFile};
pub use crate::review::{
    AuditDraft, AuditRow, CaseRow, CaseWrite, DecisionRow, DecisionWrite, EnforcementRow, Evidence,
    FileView, Intake, IntakeItem, IntakeOutcome, NewReportRow, NewSignalRow, QueueInput, ReportRow,
    ReporterRecord, Sealer, SecondReviewRow, SignalRow, WebhookRow,
};
pub use crate::sqlite_store::SqliteStore;

/// Which database a store writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The operations every backend provides. All of them are synchronous; a
/// store is used from one thread at a time.
pub trait Store: Send {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// The schema version of the open database.
    fn schema_version(&mut self) -> Result<u32, StoreError>;

    /// Appends a batch in one transaction, skipping conflicts
    /// ([`Store::append_with`] with [`ConflictPolicy::Skip`]).
    fn append(
        &mut self,
        events: &[NewEvent],
        progress: Option<RunProgress>,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_with(events, progress, ConflictPolicy::Skip)
    }

    /// Appends a batch in one transaction: events whose id is new get the next
    /// sequence numbers in batch order; an event whose id is already stored
    /// (or came earlier in the batch) is a duplicate when its canonical body
    /// is the same, and a conflict when it differs, never stored (`policy`
    /// says whether the rest of the batch is). With `progress`, the ingest
    /// run's row is updated in the same transaction. When this returns `Ok`,
    /// what it stored is durable.
    fn append_with(
        &mut self,
        events: &[NewEvent],
        progress: Option<RunProgress>,
        policy: ConflictPolicy,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_with_outbox(events, progress, policy, &[])
    }

    /// [`Store::append_with`], writing `outbox` rows in the same transaction
    /// (each unless its event is a conflict, or its key is stored already):
    /// what an event causes is durable exactly when the event is.
    fn append_with_outbox(
        &mut self,
        events: &[NewEvent],
        progress: Option<RunProgress>,
        policy: ConflictPolicy,
        outbox: &[NewOutbox],
    ) -> Result<AppendOutcome, StoreError>;

    /// Up to `limit` stored events with `seq > after`, in sequence order.
    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// Whether an event with this id is stored.
    fn contains_event(&mut self, id: &str) -> Result<bool, StoreError>;

    /// Counts by type, time span and account figures.
    fn summary(&mut self) -> Result<Summary, StoreError>;

    /// Records the start of an ingest run and returns its id.
    fn begin_run(&mut self, source: &str) -> Result<i64, StoreError>;

    /// Records how an ingest run ended.
    fn finish_run(
        &mut self,
        run: i64,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Every recorded ingest run, oldest first.
    fn runs(&mut self) -> Result<Vec<IngestRun>, StoreError>;

    /// Creates a bank, or updates the action and tags of an existing one.
    fn put_bank(&mut self, name: &str, action: &str, tags: &[String]) -> Result<(), StoreError>;

    /// Every bank with its hash count, by name.
    fn banks(&mut self) -> Result<Vec<Bank>, StoreError>;

    /// Adds hashes to an existing bank in one transaction: all or nothing.
    fn add_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[BankHash],
    ) -> Result<BankAddOutcome, StoreError>;

    /// Removes hashes (by kind and hex) from a bank in one transaction;
    /// returns how many were there.
    fn remove_bank_hashes(
        &mut self,
        bank: &str,
        hashes: &[(String, String)],
    ) -> Result<u64, StoreError>;

    /// Deletes a bank and its hashes; returns whether it existed.
    fn delete_bank(&mut self, bank: &str) -> Result<bool, StoreError>;

    /// The hashes of one bank, or of every bank, as `(bank, hash)` pairs.
    fn bank_hashes(&mut self, bank: Option<&str>) -> Result<Vec<(String, BankHash)>, StoreError>;

    /// Stores a network scan's results in one transaction; returns its id.
    fn save_scan(&mut self, scan: &NewScan) -> Result<i64, StoreError>;

    /// Every stored scan, oldest first.
    fn scans(&mut self) -> Result<Vec<ScanRun>, StoreError>;

    /// The accounts of a scan, most severe first (`tier` filters).
    fn scan_accounts(
        &mut self,
        run: i64,
        tier: Option<guardrail_core::RiskTier>,
    ) -> Result<Vec<RiskRow>, StoreError>;

    /// The accounts of a scan with at least one reason of `kind` (one of
    /// [`guardrail_core::Reason::KINDS`], such as `ban_evasion` or
    /// `hash_match`; scans stored before reasons were typed have only
    /// `text`), most severe first. Any other kind is
    /// [`StoreError::InvalidField`], never an empty answer.
    fn scan_accounts_with_reason(
        &mut self,
        run: i64,
        kind: &str,
    ) -> Result<Vec<RiskRow>, StoreError>;

    /// The persons of a scan.
    fn scan_persons(&mut self, run: i64) -> Result<Vec<PersonRow>, StoreError>;

    /// Files a report or signal in one transaction: a key stored with the
    /// same content is a duplicate (nothing written), with other content
    /// [`StoreError::KeyConflict`]; otherwise it joins its subject's open
    /// case or opens one, adds to the case's evidence and appends the audit
    /// entry. When this returns `Ok`, the report is durable: acknowledge it then.
    fn review_intake(
        &mut self,
        intake: &Intake,
        seal: Sealer<'_>,
    ) -> Result<IntakeOutcome, StoreError>;

    /// Files several reports or signals in one transaction (group commit),
    /// as [`Store::review_intake`] each: when this returns `Ok`, every `Ok`
    /// item is durable; an `Err` item (a key conflict, an empty field) wrote nothing.
    fn review_intake_batch(
        &mut self,
        intakes: &[Intake],
        seal: Sealer<'_>,
    ) -> Result<Vec<Result<IntakeOutcome, StoreError>>, StoreError>;

    /// Writes a case's new state (claim, release, appeal) if its version is
    /// still the one read ([`StoreError::Stale`] otherwise), with audit entries.
    fn review_update_case(
        &mut self,
        write: &CaseWrite,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// Records a decision in one transaction: the case's state (compare-and-
    /// set as in [`Store::review_update_case`]), the decision, every report's
    /// resolution, the enforcement outbox and the audit entries. Returns the
    /// decision's number.
    fn review_decide(
        &mut self,
        decision: &DecisionWrite,
        seal: Sealer<'_>,
    ) -> Result<u64, StoreError>;

    /// Records that a person viewed one of a case's files, with its audit entry.
    fn review_record_view(
        &mut self,
        view: &FileView,
        audit: &AuditDraft,
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// Records a second review of a sampled decision, once per decision.
    fn review_second_review(
        &mut self,
        review: &SecondReviewRow,
        audit: &AuditDraft,
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// Every second review, by decision.
    fn review_second_reviews(&mut self) -> Result<Vec<SecondReviewRow>, StoreError>;

    /// Appends audit entries on their own.
    fn review_audit_append(
        &mut self,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// One case.
    fn review_case(&mut self, case: u64) -> Result<Option<CaseRow>, StoreError>;

    /// Every case (or only the undecided ones), by number.
    fn review_cases(&mut self, undecided_only: bool) -> Result<Vec<CaseRow>, StoreError>;

    /// The accounts a case links.
    fn review_case_accounts(&mut self, case: u64) -> Result<Vec<String>, StoreError>;

    /// A case's reports.
    fn review_reports(&mut self, case: u64) -> Result<Vec<ReportRow>, StoreError>;

    /// A report by its idempotency key.
    fn review_report_by_key(&mut self, key: &str) -> Result<Option<ReportRow>, StoreError>;

    /// A case's signals.
    fn review_signals(&mut self, case: u64) -> Result<Vec<SignalRow>, StoreError>;

    /// A case's decisions, oldest first.
    fn review_decisions(&mut self, case: u64) -> Result<Vec<DecisionRow>, StoreError>;

    /// The enforcement outbox (or only what is not delivered), oldest first.
    fn review_outbox(&mut self, pending_only: bool) -> Result<Vec<EnforcementRow>, StoreError>;

    /// The recorded views of a case's files.
    fn review_file_views(&mut self, case: u64) -> Result<Vec<FileView>, StoreError>;

    /// How each reporter's past reports were decided.
    fn review_reporters(&mut self, reporters: &[String])
        -> Result<Vec<ReporterRecord>, StoreError>;

    /// Up to `limit` audit entries after position `after`, in order.
    fn review_audit(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError>;

    /// Queues a case's CyberTipline submission with its audit entries;
    /// [`StoreError::Exists`] when the case has one already.
    fn cybertip_create(
        &mut self,
        row: &crate::CyberTipRow,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// Records a step of a submission: its new state, the attempt and the
    /// audit entries, in one transaction. A finished submission is final.
    fn cybertip_record(
        &mut self,
        row: &crate::CyberTipRow,
        attempt: Option<&crate::CyberTipAttemptRow>,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// A case's submission.
    fn cybertip_get(&mut self, case: u64) -> Result<Option<crate::CyberTipRow>, StoreError>;

    /// Every submission, by case.
    fn cybertip_list(&mut self) -> Result<Vec<crate::CyberTipRow>, StoreError>;

    /// How many cases are decided violating for child safety with no
    /// submission queued (what an operator must alert on).
    fn cybertip_awaiting(&mut self) -> Result<u64, StoreError>;

    /// A submission's attempts, in order.
    fn cybertip_attempts(
        &mut self,
        case: u64,
    ) -> Result<Vec<crate::CyberTipAttemptRow>, StoreError>;

    /// Every undecided case with its distinct reporters' records and its
    /// reports without a reporter: what the queue ranks by, in a fixed
    /// number of queries.
    fn review_queue_inputs(&mut self) -> Result<Vec<crate::QueueInput>, StoreError>;

    /// Makes a case's preservation record with its files' rows and audit
    /// entries; [`StoreError::Exists`] when the case has one.
    fn preservation_create(
        &mut self,
        row: &crate::PreservationRow,
        files: &[crate::PreservedFile],
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// Writes a record's hold, expiry or destruction with its audit entries.
    fn preservation_update(
        &mut self,
        row: &crate::PreservationRow,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// A case's preservation record.
    fn preservation_get(&mut self, case: u64)
        -> Result<Option<crate::PreservationRow>, StoreError>;

    /// Every preservation record, by case.
    fn preservation_list(&mut self) -> Result<Vec<crate::PreservationRow>, StoreError>;

    /// A record's preserved files.
    fn preservation_files(&mut self, case: u64) -> Result<Vec<crate::PreservedFile>, StoreError>;

    /// Appends audit entries for an access to preserved evidence.
    fn preservation_audit(
        &mut self,
        audit: &[AuditDraft],
        seal: Sealer<'_>,
    ) -> Result<(), StoreError>;

    /// One account of a scan (`None` when the scan found it clear).
    fn scan_account(&mut self, run: i64, account: &str) -> Result<Option<RiskRow>, StoreError>;

    /// One person of a scan.
    fn scan_person(&mut self, run: i64, person: i64) -> Result<Option<PersonRow>, StoreError>;

    /// Stores a new API token (refused with [`StoreError::Exists`] when the name is taken).
    fn add_token(&mut self, token: &TokenRow) -> Result<(), StoreError>;

    /// Every token, revoked ones too, by name.
    fn tokens(&mut self) -> Result<Vec<TokenRow>, StoreError>;

    /// The token whose secret hashes to `hash`, if it exists and is not revoked.
    fn active_token(&mut self, hash: &str) -> Result<Option<TokenRow>, StoreError>;

    /// Revokes a token by name; returns whether an active token of that name existed.
    fn revoke_token(&mut self, name: &str) -> Result<bool, StoreError>;

    /// Up to `limit` outbox rows `endpoint` has still to receive, oldest
    /// first: never attempted, or due again (`next_us <= now_us`) and neither
    /// delivered nor given up.
    fn due_outbox(
        &mut self,
        endpoint: &str,
        now_us: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError>;

    /// Records an attempt and its outcome in one transaction.
    fn record_attempt(
        &mut self,
        attempt: &Attempt,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError>;

    /// Up to `limit` outbox rows with `id > after`, oldest first.
    fn outbox_rows(&mut self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError>;

    /// The delivery state of one outbox row, by endpoint.
    fn deliveries(&mut self, outbox: i64) -> Result<Vec<Delivery>, StoreError>;

    /// Every attempt of one outbox row, in order.
    fn attempts(&mut self, outbox: i64) -> Result<Vec<Attempt>, StoreError>;

    /// Rows some endpoint in `endpoints` has still to receive (neither delivered nor given up).
    fn outbox_pending(&mut self, endpoints: &[String]) -> Result<u64, StoreError>;
}

/// The review methods of [`Store`], the same for each backend: each runs
/// `crate::review`'s function in a transaction from `self.review_tx`.
macro_rules! review_methods {
    () => {
        fn review_intake(
            &mut self,
            intake: &crate::Intake,
            seal: crate::Sealer<'_>,
        ) -> Result<crate::IntakeOutcome, StoreError> {
            self.review_tx(true, |tx| crate::review::intake(tx, intake, seal))
        }

        fn review_intake_batch(
            &mut self,
            intakes: &[crate::Intake],
            seal: crate::Sealer<'_>,
        ) -> Result<Vec<Result<crate::IntakeOutcome, StoreError>>, StoreError> {
            self.review_tx(true, |tx| crate::review::intake_batch(tx, intakes, seal))
        }

        fn review_update_case(
            &mut self,
            write: &crate::CaseWrite,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::review::update_case(tx, write, audit, seal))
        }

        fn review_decide(
            &mut self,
            decision: &crate::DecisionWrite,
            seal: crate::Sealer<'_>,
        ) -> Result<u64, StoreError> {
            self.review_tx(true, |tx| crate::review::decide(tx, decision, seal))
        }

        fn review_record_view(
            &mut self,
            view: &crate::FileView,
            audit: &crate::AuditDraft,
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::review::record_view(tx, view, audit, seal))
        }

        fn review_second_review(
            &mut self,
            review: &crate::SecondReviewRow,
            audit: &crate::AuditDraft,
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::review::second_review(tx, review, audit, seal))
        }

        fn review_second_reviews(&mut self) -> Result<Vec<crate::SecondReviewRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::second_reviews(tx))
        }

        fn review_audit_append(
            &mut self,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::review::audit_only(tx, audit, seal))
        }

        fn review_case(&mut self, case: u64) -> Result<Option<crate::CaseRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::case(tx, case))
        }

        fn review_cases(
            &mut self,
            undecided_only: bool,
        ) -> Result<Vec<crate::CaseRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::cases(tx, undecided_only))
        }

        fn review_case_accounts(&mut self, case: u64) -> Result<Vec<String>, StoreError> {
            self.review_tx(false, |tx| crate::review::case_accounts(tx, case))
        }

        fn review_reports(&mut self, case: u64) -> Result<Vec<crate::ReportRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::reports(tx, case))
        }

        fn review_report_by_key(
            &mut self,
            key: &str,
        ) -> Result<Option<crate::ReportRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::report_by_key(tx, key))
        }

        fn review_signals(&mut self, case: u64) -> Result<Vec<crate::SignalRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::signals(tx, case))
        }

        fn review_decisions(&mut self, case: u64) -> Result<Vec<crate::DecisionRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::decisions(tx, case))
        }

        fn review_outbox(
            &mut self,
            pending_only: bool,
        ) -> Result<Vec<crate::EnforcementRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::outbox(tx, pending_only))
        }

        fn review_file_views(&mut self, case: u64) -> Result<Vec<crate::FileView>, StoreError> {
            self.review_tx(false, |tx| crate::review::file_views(tx, case))
        }

        fn review_reporters(
            &mut self,
            reporters: &[String],
        ) -> Result<Vec<crate::ReporterRecord>, StoreError> {
            self.review_tx(false, |tx| crate::review::reporters(tx, reporters))
        }

        fn review_audit(
            &mut self,
            after: u64,
            limit: usize,
        ) -> Result<Vec<crate::AuditRow>, StoreError> {
            self.review_tx(false, |tx| crate::review::audit(tx, after, limit))
        }

        fn cybertip_create(
            &mut self,
            row: &crate::CyberTipRow,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::cybertip::create(tx, row, audit, seal))
        }

        fn cybertip_record(
            &mut self,
            row: &crate::CyberTipRow,
            attempt: Option<&crate::CyberTipAttemptRow>,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::cybertip::record(tx, row, attempt, audit, seal))
        }

        fn cybertip_get(&mut self, case: u64) -> Result<Option<crate::CyberTipRow>, StoreError> {
            self.review_tx(false, |tx| crate::cybertip::get(tx, case))
        }

        fn cybertip_list(&mut self) -> Result<Vec<crate::CyberTipRow>, StoreError> {
            self.review_tx(false, |tx| crate::cybertip::list(tx))
        }

        fn cybertip_awaiting(&mut self) -> Result<u64, StoreError> {
            self.review_tx(false, |tx| crate::cybertip::awaiting(tx))
        }

        fn cybertip_attempts(
            &mut self,
            case: u64,
        ) -> Result<Vec<crate::CyberTipAttemptRow>, StoreError> {
            self.review_tx(false, |tx| crate::cybertip::attempts(tx, case))
        }

        fn review_queue_inputs(&mut self) -> Result<Vec<crate::QueueInput>, StoreError> {
            self.review_tx(false, |tx| crate::review::queue_inputs(tx))
        }

        fn preservation_create(
            &mut self,
            row: &crate::PreservationRow,
            files: &[crate::PreservedFile],
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::preservation::create(tx, row, files, audit, seal))
        }

        fn preservation_update(
            &mut self,
            row: &crate::PreservationRow,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::preservation::update(tx, row, audit, seal))
        }

        fn preservation_get(
            &mut self,
            case: u64,
        ) -> Result<Option<crate::PreservationRow>, StoreError> {
            self.review_tx(false, |tx| crate::preservation::get(tx, case))
        }

        fn preservation_list(&mut self) -> Result<Vec<crate::PreservationRow>, StoreError> {
            self.review_tx(false, |tx| crate::preservation::list(tx))
        }

        fn preservation_files(
            &mut self,
            case: u64,
        ) -> Result<Vec<crate::PreservedFile>, StoreError> {
            self.review_tx(false, |tx| crate::preservation::files(tx, case))
        }

        fn preservation_audit(
            &mut self,
            audit: &[crate::AuditDraft],
            seal: crate::Sealer<'_>,
        ) -> Result<(), StoreError> {
            self.review_tx(true, |tx| crate::preservation::audit_access(tx, audit, seal))
        }
    };
}
pub(crate) use review_methods;

/// Where the embedded default database lives when none is given.
pub const DEFAULT_DATABASE: &str = "guardrail.db";

/// Whether opening a database may create it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file, schema and tables when missing (writers: ingest, bank import).
    Create,
    /// Refuse with [`StoreError::NotFound`] when missing (readers: a typo
    /// in a path must not become an empty database that answers "no match").
    Existing,
}

/// Opens (creating and migrating if needed) the database at `url`:
///
/// - `postgres://…` or `postgresql://…`: a PostgreSQL server. An extra query
///   parameter `schema=NAME` keeps guardrail's tables in that schema (created
///   if missing), so several instances can share one database.
/// - `sqlite:PATH`, `sqlite://PATH` or a plain path: an SQLite file, created if missing.
///
/// Only commands that write should call this; readers call [`open_existing`].
pub fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    open_with(url, OpenMode::Create)
}

/// Opens the database at `url` like [`open`], but never creates it: a
/// missing SQLite file, or a database or schema without guardrail's tables,
/// is [`StoreError::NotFound`]. An existing database of an older schema
/// version is still brought up to date.
pub fn open_existing(url: &str) -> Result<Box<dyn Store>, StoreError> {
    open_with(url, OpenMode::Existing)
}

/// Opens the database at `url`, creating it only in [`OpenMode::Create`].
pub fn open_with(url: &str, mode: OpenMode) -> Result<Box<dyn Store>, StoreError> {
    let existing = mode == OpenMode::Existing;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(if existing {
            PostgresStore::open_existing(url)?
        } else {
            PostgresStore::open(url)?
        }));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Url { url: url.to_owned(), why: "no file path".into() });
    }
    if path.contains("://") {
        return Err(StoreError::Url {
            url: url.to_owned(),
            why: "unknown scheme; use postgres://…, sqlite:PATH or a file path".into(),
        });
    }
    let path = std::path::Path::new(path);
    Ok(Box::new(if existing {
        SqliteStore::open_existing(path)?
    } else {
        SqliteStore::open(path)?
    }))
}

/// The current time as RFC 3339, for run records.
pub(crate) fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    guardrail_core::Timestamp::from_unix_micros(now)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}
