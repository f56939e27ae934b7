//! The values that cross the [`crate::Store`] trait.

use guardrail_core::{
    AccountId, AgeBand, Event, EventKind, EventType, PersonEvidence, Reason, RiskTier, Timestamp,
};

/// An event ready to be written: validated, in canonical JSON, with the
/// columns the store indexes pulled out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// The event id (unique within the store; makes ingest idempotent).
    pub id: String,
    /// Its type.
    pub kind: EventType,
    /// Its time, in microseconds since the Unix epoch.
    pub at_micros: i64,
    /// The canonical JSON of the whole event (one line, no newline).
    pub body: String,
    /// For `account` events, the account columns kept in the `accounts` table.
    pub account: Option<AccountColumns>,
}

/// The columns of an account kept current by `account` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountColumns {
    /// The account id.
    pub account: String,
    /// Its handle.
    pub handle: String,
    /// Its declared age band; `None` leaves a stored band unchanged.
    pub age_band: Option<AgeBand>,
}

impl NewEvent {
    /// Prepares an event for storage.
    pub fn from_event(event: &Event) -> NewEvent {
        let account = match &event.kind {
            EventKind::Account(a) => Some(AccountColumns {
                account: a.account.as_str().to_owned(),
                handle: a.handle.clone(),
                age_band: a.age_band,
            }),
            _ => None,
        };
        NewEvent {
            id: event.id.as_str().to_owned(),
            kind: event.kind.event_type(),
            at_micros: event.at.unix_micros(),
            body: event.to_json_line(),
            account,
        }
    }
}

/// An event as stored, with the sequence number the store gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the store's log: strictly increasing in insertion order, never reused.
    pub seq: u64,
    /// The event id.
    pub id: String,
    /// Its type.
    pub kind: EventType,
    /// Its time, in microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Its canonical JSON.
    pub body: String,
}

impl StoredEvent {
    /// Parses the stored JSON back into an event.
    pub fn event(&self) -> Result<Event, crate::StoreError> {
        Event::from_json_line(&self.body)
            .map_err(|e| crate::StoreError::Corrupt { seq: self.seq, why: e.to_string() })
    }

    /// The event's time.
    pub fn at(&self) -> Option<Timestamp> {
        Timestamp::from_unix_micros(self.at_micros)
    }
}

/// What one [`crate::Store::append`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Events newly stored.
    pub inserted: u64,
    /// Events whose id was already stored (or came earlier in the batch) with
    /// the same canonical body: not stored again (idempotency).
    pub duplicates: u64,
    /// The positions in the batch, in order, of events whose id was already
    /// stored (or came earlier in the batch) with a different body: conflicts,
    /// never stored. Under [`ConflictPolicy::Reject`] a conflict means that
    /// nothing of the batch was stored (and `inserted` and `duplicates` are 0).
    pub conflicts: Vec<usize>,
}

/// What an append does with an event whose id is stored with other content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Store the rest of the batch and list the conflicts (`IngestOptions::skip_invalid`).
    #[default]
    Skip,
    /// Store nothing of a batch that holds a conflict, and list them (strict
    /// ingest then stores the part before the first one).
    Reject,
}

/// Progress of an ingest run, written in the same transaction as a batch so that
/// after a crash the run's row says exactly what was committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunProgress {
    /// The run the batch belongs to.
    pub run: i64,
    /// Input lines consumed up to and including this batch.
    pub lines: u64,
    /// Invalid lines skipped up to and including this batch.
    pub invalid: u64,
}

/// How an ingest run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Still running, or the process died (no terminal state was written).
    Running,
    /// Read its whole input.
    Complete,
    /// Stopped at an error; what was committed before it stays.
    Failed,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RunStatus> {
        match text {
            "running" => Some(RunStatus::Running),
            "complete" => Some(RunStatus::Complete),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

/// One recorded ingest run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestRun {
    /// Its id.
    pub id: i64,
    /// Where the events came from (a path, or `-` for standard input).
    pub source: String,
    /// When it started, as RFC 3339.
    pub started_at: String,
    /// When it ended, as RFC 3339, if it did.
    pub finished_at: Option<String>,
    /// Its state.
    pub status: RunStatus,
    /// Input lines committed.
    pub lines: u64,
    /// Events newly stored.
    pub inserted: u64,
    /// Events skipped as already stored.
    pub duplicates: u64,
    /// Invalid lines skipped (`IngestOptions::skip_invalid`).
    pub invalid: u64,
    /// Events skipped because their id was stored with different content
    /// (`--skip-invalid`; a strict run stops at the first, named in `error`).
    pub conflicts: u64,
    /// The error that stopped it, for failed runs.
    pub error: Option<String>,
}

/// A quick picture of what a store holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events by type, in [`EventType::ALL`] order (types with none are included).
    pub events_by_type: Vec<(EventType, u64)>,
    /// Earliest and latest event time, in microseconds since the epoch.
    pub time_span: Option<(i64, i64)>,
    /// Distinct accounts seen in `account` events.
    pub accounts: u64,
    /// Accounts whose latest declared age band is `minor`.
    pub minor_accounts: u64,
}

impl Summary {
    /// All events.
    pub fn total_events(&self) -> u64 {
        self.events_by_type.iter().map(|(_, n)| n).sum()
    }

    /// Events of one type.
    pub fn events_of(&self, kind: EventType) -> u64 {
        self.events_by_type.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    }
}

/// A hash bank: a named list of known hashes with what to do on a match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bank {
    /// Unique name.
    pub name: String,
    /// The action a match calls for (e.g. `review`, `block`, `report`).
    pub action: String,
    /// Free-form labels (no commas).
    pub tags: Vec<String>,
    /// When the bank was created (RFC 3339).
    pub created_at: String,
    /// Number of hashes it holds.
    pub hashes: u64,
}

/// One hash in a bank. `kind` is `pdq`, `md5` or `sha256`; `hash` is
/// lowercase hex. The store checks neither: the media engine validates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BankHash {
    /// Hash kind.
    pub kind: String,
    /// Lowercase hex digits.
    pub hash: String,
    /// Labels of this hash (no commas).
    pub tags: Vec<String>,
}

/// What an import into a bank did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BankAddOutcome {
    /// Hashes newly stored.
    pub added: u64,
    /// Hashes the bank already held (their tags are left as they were).
    pub duplicates: u64,
}

pub(crate) fn join_tags(tags: &[String]) -> Result<String, crate::StoreError> {
    if let Some(bad) = tags.iter().find(|t| t.contains(',') || t.trim().is_empty()) {
        return Err(crate::StoreError::InvalidField {
            field: format!("tag {bad:?}"),
            why: "tags must be non-empty and contain no comma".into(),
        });
    }
    Ok(tags.join(","))
}

pub(crate) fn split_tags(text: &str) -> Vec<String> {
    text.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

pub(crate) fn check_bank_name(name: &str) -> Result<(), crate::StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(crate::StoreError::InvalidField {
            field: format!("bank name {name:?}"),
            why: "use 1 to 128 characters among letters, digits, '-', '_', '.'".into(),
        })
    }
}

/// One account's result in a network scan, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskRow {
    /// The account id.
    pub account: AccountId,
    /// Its tier (clear accounts are not stored).
    pub tier: RiskTier,
    /// The scan's risk score.
    pub score: f64,
    /// Reasons (stored as a JSON array of objects; each also indexed by
    /// kind, see [`crate::Store::scan_accounts_with_reason`]). Reasons of a
    /// scan stored as prose, before schema version 5, read as [`Reason::Text`].
    pub reasons: Vec<Reason>,
    /// The network it belongs to in this scan, if any.
    pub network: Option<i64>,
    /// The person it belongs to in this scan, if the person has several accounts.
    pub person: Option<i64>,
}

/// Accounts of one person, as stored with a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonRow {
    /// The person's number within the scan.
    pub person: i64,
    /// Its accounts.
    pub accounts: Vec<String>,
    /// The links between them (stored as a JSON array of objects). Evidence
    /// stored as prose, before schema version 5, reads as [`PersonEvidence::Text`].
    pub evidence: Vec<PersonEvidence>,
}

/// A scan to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewScan {
    /// What was scanned (a file name, `store`).
    pub source: String,
    /// The scan's counts, as JSON.
    pub summary: String,
    /// Every account that is not clear.
    pub accounts: Vec<RiskRow>,
    /// Persons with several accounts.
    pub persons: Vec<PersonRow>,
}

/// A stored scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRun {
    /// Its id.
    pub id: i64,
    /// What was scanned.
    pub source: String,
    /// When it was stored (RFC 3339).
    pub finished_at: String,
    /// Its counts, as JSON.
    pub summary: String,
}

pub(crate) fn to_json_lines(lines: &[String]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn from_json_lines(text: &str, what: &str) -> Result<Vec<String>, crate::StoreError> {
    serde_json::from_str(text).map_err(|e| crate::StoreError::CorruptRow {
        what: what.to_owned(),
        why: format!("not a JSON list: {e}"),
    })
}

/// Reasons as stored: a JSON array of objects.
pub(crate) fn reasons_to_json(reasons: &[Reason]) -> String {
    // Numbers that are not finite are written as strings, so this cannot fail.
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".to_owned())
}

/// Person evidence as stored: a JSON array of objects.
pub(crate) fn evidence_to_json(evidence: &[PersonEvidence]) -> String {
    serde_json::to_string(evidence).unwrap_or_else(|_| "[]".to_owned())
}

/// Reasons as stored: objects, or the strings of a scan stored before
/// reasons were typed (read as [`Reason::Text`]).
pub(crate) fn reasons_from_json(text: &str, what: &str) -> Result<Vec<Reason>, crate::StoreError> {
    typed_list(text, what, serde_json::from_value::<Reason>, |text| Reason::Text { text })
}

/// Person evidence as stored: objects, or the strings of a scan stored
/// before evidence was typed (read as [`PersonEvidence::Text`]).
pub(crate) fn evidence_from_json(
    text: &str,
    what: &str,
) -> Result<Vec<PersonEvidence>, crate::StoreError> {
    typed_list(text, what, serde_json::from_value::<PersonEvidence>, |text| PersonEvidence::Text {
        text,
    })
}

/// A JSON array whose items are objects read by `typed`, or strings (the
/// legacy form) turned into values by `legacy`.
fn typed_list<T>(
    text: &str,
    what: &str,
    typed: impl Fn(serde_json::Value) -> Result<T, serde_json::Error>,
    legacy: impl Fn(String) -> T,
) -> Result<Vec<T>, crate::StoreError> {
    let corrupt = |why: String| crate::StoreError::CorruptRow { what: what.to_owned(), why };
    let items: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not a JSON list: {e}")))?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            serde_json::Value::String(line) => Ok(legacy(line)),
            item => typed(item).map_err(|e| corrupt(format!("item {i}: {e}"))),
        })
        .collect()
}

/// The distinct kinds of an account's reasons, sorted (the rows of
/// `scan_reasons`).
pub(crate) fn reason_kinds(reasons: &[Reason]) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = reasons.iter().map(Reason::kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Refuses a reason kind no build writes (a typo would otherwise answer
/// "no account").
pub(crate) fn check_reason_kind(kind: &str) -> Result<(), crate::StoreError> {
    if Reason::KINDS.contains(&kind) {
        return Ok(());
    }
    Err(crate::StoreError::InvalidField {
        field: "reason kind".into(),
        why: format!("{kind:?} is not one of {}", Reason::KINDS.join(", ")),
    })
}

/// A tier read back from `scan_accounts` (a value this build does not know
/// means the row was changed by hand or by a newer build).
pub(crate) fn stored_tier(
    text: &str,
    account: &str,
    run: i64,
) -> Result<RiskTier, crate::StoreError> {
    text.parse::<RiskTier>().map_err(|_| crate::StoreError::CorruptRow {
        what: format!("tier of account {account} in scan {run}"),
        why: format!("{text:?} is not a tier"),
    })
}

pub(crate) fn check_scan(scan: &NewScan) -> Result<(), crate::StoreError> {
    for a in &scan.accounts {
        // Every tier but clear (clear accounts are not stored).
        if a.tier == RiskTier::Clear {
            return Err(crate::StoreError::InvalidField {
                field: format!("account {}: tier", a.account),
                why: "clear accounts are not stored with a scan".into(),
            });
        }
        if !a.score.is_finite() {
            return Err(crate::StoreError::InvalidField {
                field: format!("account {}: score", a.account),
                why: "is not finite".into(),
            });
        }
    }
    Ok(())
}

/// An API token as stored: its name, role and the SHA-256 of its secret
/// (hex); the secret itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// Unique name (who or what holds it).
    pub name: String,
    /// Its role (the server's names: `platform`, `reviewer`, ...).
    pub role: String,
    /// SHA-256 of the secret, lowercase hex.
    pub hash: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

pub(crate) fn check_token(token: &TokenRow) -> Result<(), crate::StoreError> {
    let invalid = |field: &str, why: &str| {
        Err(crate::StoreError::InvalidField { field: field.to_owned(), why: why.to_owned() })
    };
    if token.name.trim().is_empty() || token.name.len() > 200 {
        return invalid("token name", "must be 1 to 200 characters, not blank");
    }
    if token.hash.len() != 64 || !token.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return invalid("token hash", "must be 64 hex digits (SHA-256)");
    }
    Ok(())
}

/// An outbox row to write in the same transaction as the event that causes
/// it: what guardrail decided the platform must carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutbox {
    /// The position in the batch of the event that causes it: not written
    /// when that event is a conflict (it is not stored either).
    pub event: usize,
    /// Idempotency key, unique: a row whose key is stored is not written again.
    pub key: String,
    /// What it is (`account.non_recommendable`, ...).
    pub kind: String,
    /// The JSON body delivered.
    pub body: String,
}

/// A stored outbox row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Its id (increasing).
    pub id: i64,
    /// Idempotency key.
    pub key: String,
    /// What it is.
    pub kind: String,
    /// The JSON body.
    pub body: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// When it was written, in microseconds since the epoch.
    pub created_us: i64,
}

/// One endpoint's delivery state of one outbox row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row.
    pub outbox: i64,
    /// The endpoint's name.
    pub endpoint: String,
    /// Attempts made.
    pub attempts: u64,
    /// When the next attempt is due, in microseconds since the epoch.
    pub next_us: i64,
    /// When it was delivered, if it was.
    pub delivered_at: Option<String>,
    /// When retrying stopped (the retry window passed), if it did.
    pub given_up_at: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The outbox row.
    pub outbox: i64,
    /// The endpoint's name.
    pub endpoint: String,
    /// When (RFC 3339).
    pub at: String,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// What an attempt decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The endpoint acknowledged it (2xx).
    Delivered,
    /// Try again at this time (microseconds since the epoch).
    Retry(i64),
    /// The retry window has passed: stop.
    GiveUp,
}

/// Now as RFC 3339 and as microseconds since the epoch.
pub(crate) fn now_pair() -> (String, i64) {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let at = guardrail_core::Timestamp::from_unix_micros(us)
        .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.to_rfc3339());
    (at, us)
}
