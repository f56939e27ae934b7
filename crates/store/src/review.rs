//! Reports, cases, decisions, the enforcement outbox and the audit log
//! (migration 7), written once over a small SQL interface that both backends
//! implement, so SQLite and PostgreSQL follow the same statements.
//!
//! The store knows the tables, not the rules: the review engine decides what
//! a case becomes and passes plain rows; the store writes them in one
//! transaction each, refuses a case update whose version moved since the
//! caller read it ([`StoreError::Stale`]: two reviewers never both win a
//! claim), and appends the audit entries of every write in the same
//! transaction, sealed by the caller's function (the hash chain's rule lives
//! in the review engine).

use crate::StoreError;

/// A report to file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReportRow {
    /// Its idempotency key (unique).
    pub key: String,
    /// Its canonical form: the same key with another form is a conflict.
    pub canonical: String,
    /// `event`, `cli` or `api`.
    pub source: String,
    /// The reporting account.
    pub reporter: Option<String>,
    /// `account`, `post` or `hashtag`.
    pub target_kind: String,
    /// The target's id.
    pub target: String,
    /// The category's wire name.
    pub category: String,
    /// The reporter's words.
    pub text: Option<String>,
    /// When it was received (microseconds).
    pub received_at: i64,
}

/// A detection signal to file (hash match, strong term, scan tier, enforcement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSignalRow {
    /// Its idempotency key (unique).
    pub key: String,
    /// Its kind.
    pub kind: String,
    /// The account it concerns.
    pub account: String,
    /// What was found.
    pub detail: String,
    /// When (microseconds).
    pub at: i64,
}

/// What an intake files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntakeItem {
    /// A report.
    Report(NewReportRow),
    /// A signal.
    Signal(NewSignalRow),
}

/// What an intake adds to its case's evidence (kept as maxima and sums).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Whether it concerns child safety.
    pub child_safety: bool,
    /// Whether a file matched a known-abuse hash.
    pub hash_match: bool,
    /// The network tier's code (0 clear .. 4 confirmed).
    pub tier: u8,
    /// Strong lexicon hits.
    pub strong_terms: u64,
    /// The category's severity rank (0 most severe), for reports.
    pub category_rank: Option<u8>,
    /// The accounts the case links (every account of the person or network).
    pub accounts: Vec<String>,
}

/// One report or signal to file into the open case of its subject (opening one when none is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intake {
    /// The subject's kind (`network`, `person`, `account`, `post`, `hashtag`).
    pub subject_kind: String,
    /// The subject's key.
    pub subject: String,
    /// What to file.
    pub item: IntakeItem,
    /// What it adds to the case.
    pub evidence: Evidence,
    /// The audit entry (the store sets its subject to the case and prefixes
    /// the detail with the report or signal number).
    pub audit: AuditDraft,
}

/// What an intake did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntakeOutcome {
    /// The report's or signal's number.
    pub id: u64,
    /// Its case.
    pub case: u64,
    /// Whether the case was opened for it.
    pub new_case: bool,
    /// Whether the key was stored already with the same content (nothing written).
    pub duplicate: bool,
}

/// A case as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// Its number.
    pub id: u64,
    /// Its subject's kind.
    pub subject_kind: String,
    /// Its subject's key.
    pub subject: String,
    /// `open`, `claimed` or `decided`.
    pub state: String,
    /// The last verdict, once decided.
    pub verdict: Option<String>,
    /// When it was opened (microseconds).
    pub opened_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// Whether it concerns child safety.
    pub child_safety: bool,
    /// Whether a file in it matched a known-abuse hash.
    pub hash_match: bool,
    /// The highest network tier's code.
    pub tier: u8,
    /// Strong lexicon hits.
    pub strong_terms: u64,
    /// The most severe reported category's rank.
    pub category_rank: Option<u8>,
    /// Whether it was escalated.
    pub escalated: bool,
    /// Appeals so far.
    pub appeals: u32,
    /// Reviewers who may not decide it again.
    pub excluded: Vec<String>,
    /// The lease holder.
    pub lease_holder: Option<String>,
    /// When the lease ends.
    pub lease_until: Option<i64>,
    /// Bumped by every state change (compare-and-set).
    pub version: i64,
    /// Reports in it.
    pub reports: u64,
    /// Signals in it.
    pub signals: u64,
}

/// A case's new state, written only if its version is still `expected_version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseWrite {
    /// The case.
    pub id: u64,
    /// The version the caller read.
    pub expected_version: i64,
    /// `open`, `claimed` or `decided`.
    pub state: String,
    /// The verdict, when decided.
    pub verdict: Option<String>,
    /// The lease holder.
    pub lease_holder: Option<String>,
    /// When the lease ends.
    pub lease_until: Option<i64>,
    /// Whether escalated.
    pub escalated: bool,
    /// Appeals.
    pub appeals: u32,
    /// Reviewers who may not decide it again.
    pub excluded: Vec<String>,
    /// When (microseconds).
    pub at: i64,
    /// Whether new reports about its subject join it again (an appeal
    /// reopened it and no other case took the subject meanwhile).
    pub reopen_route: bool,
}

/// A decision to record with its consequences, in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionWrite {
    /// The case's new state.
    pub case: CaseWrite,
    /// Who decided.
    pub reviewer: String,
    /// `violating`, `not_violating`, `duplicate`, `merged` or `escalated`.
    pub verdict: String,
    /// The decision's details (JSON).
    pub detail: String,
    /// The statement of reasons (JSON), for an enforcement.
    pub statement: Option<String>,
    /// Whether it is sampled for a second review.
    pub sampled: bool,
    /// The resolution (name, detail) every report of the case gets; `None`
    /// for an escalation.
    pub resolution: Option<(String, String)>,
    /// The case that takes the subject's new reports (a merge).
    pub merged_into: Option<u64>,
    /// Enforcement actions (action, target) for the outbox.
    pub outbox: Vec<(String, String)>,
    /// The same actions as webhook deliveries (written to the webhook outbox
    /// in the decision's transaction; a key already stored is not written again).
    pub webhooks: Vec<WebhookRow>,
    /// Audit entries.
    pub audit: Vec<AuditDraft>,
}

/// A row for the webhook outbox written with a review decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRow {
    /// Idempotency key, unique.
    pub key: String,
    /// What it is (`enforcement.ban`, ...).
    pub kind: String,
    /// The JSON body delivered.
    pub body: String,
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRow {
    /// Its number.
    pub id: u64,
    /// The case.
    pub case_id: u64,
    /// Who.
    pub reviewer: String,
    /// The verdict.
    pub verdict: String,
    /// Details (JSON).
    pub detail: String,
    /// The statement of reasons (JSON).
    pub statement: Option<String>,
    /// Sampled for a second review.
    pub sampled: bool,
    /// When.
    pub decided_at: i64,
}

/// An enforcement action waiting for (or given to) the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnforcementRow {
    /// Its number.
    pub id: u64,
    /// The decision.
    pub decision_id: u64,
    /// The case.
    pub case_id: u64,
    /// The action.
    pub action: String,
    /// Its target.
    pub target: String,
    /// When it was written.
    pub created_at: i64,
    /// When the platform took it.
    pub delivered_at: Option<i64>,
}

/// A stored report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// Its number.
    pub id: u64,
    /// Its key.
    pub key: String,
    /// Where it came from.
    pub source: String,
    /// The reporting account.
    pub reporter: Option<String>,
    /// The target's kind.
    pub target_kind: String,
    /// The target.
    pub target: String,
    /// The category.
    pub category: String,
    /// The reporter's words.
    pub text: Option<String>,
    /// When it was received.
    pub received_at: i64,
    /// Its case.
    pub case_id: u64,
    /// Its terminal state.
    pub resolution: Option<String>,
    /// The resolution's detail.
    pub resolution_detail: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

/// A stored signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalRow {
    /// Its number.
    pub id: u64,
    /// Its case.
    pub case_id: u64,
    /// Its kind.
    pub kind: String,
    /// The account.
    pub account: String,
    /// What was found.
    pub detail: String,
    /// When.
    pub at: i64,
}

/// An audit entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDraft {
    /// When (microseconds).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// About what.
    pub subject: String,
    /// Why, and details.
    pub detail: String,
}

/// An audit entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Its position, from 1.
    pub seq: u64,
    /// When.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// About what.
    pub subject: String,
    /// Why.
    pub detail: String,
    /// The previous entry's hash (empty for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// Computes an entry's hash from the row (its `prev_hash` and `seq` set,
/// `hash` empty). The review engine's chain rule.
pub type Sealer<'a> = &'a dyn Fn(&AuditRow) -> String;

/// A second reviewer's verdict on a sampled decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondReviewRow {
    /// The decision reviewed again.
    pub decision_id: u64,
    /// The second reviewer.
    pub reviewer: String,
    /// Their verdict.
    pub verdict: String,
    /// Whether it is the first decision's verdict.
    pub agreed: bool,
    /// Their reason.
    pub detail: String,
    /// When (microseconds).
    pub reviewed_at: i64,
}

/// A recorded view of a file by a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileView {
    /// The case.
    pub case_id: u64,
    /// The file (`sha256:<hex>`, `md5:<hex>`).
    pub file: String,
    /// Who viewed it.
    pub reviewer: String,
    /// When.
    pub viewed_at: i64,
}

/// How a reporter's past reports were decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReporterRecord {
    /// The reporter.
    pub reporter: String,
    /// Reports in cases decided violating.
    pub upheld: u64,
    /// Reports in cases decided not violating.
    pub rejected: u64,
}

/// A parameter of a statement.
pub(crate) enum Val {
    I(i64),
    T(String),
    OI(Option<i64>),
    OT(Option<String>),
}

/// A value read back.
pub(crate) enum Cell {
    Null,
    I(i64),
    T(String),
}

/// The little SQL both backends speak: `$1`-style parameters numbered in
/// order of first use (SQLite reads `$1` as a named parameter, numbered in
/// order of appearance).
pub(crate) trait Sql {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Cell>>, StoreError>;
    /// Serialises review writers for the rest of the transaction (SQLite's
    /// immediate transactions already do).
    fn lock_review(&mut self) -> Result<(), StoreError>;
}

/// Reads the cells of one row by position.
pub(crate) struct Row<'a> {
    pub(crate) cells: &'a [Cell],
    pub(crate) what: &'static str,
}

impl Row<'_> {
    fn corrupt(&self, i: usize, why: &str) -> StoreError {
        StoreError::CorruptRow { what: format!("{} column {i}", self.what), why: why.to_owned() }
    }

    pub(crate) fn oi(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.cells.get(i) {
            Some(Cell::I(v)) => Ok(Some(*v)),
            Some(Cell::Null) => Ok(None),
            _ => Err(self.corrupt(i, "expected an integer")),
        }
    }

    pub(crate) fn i(&self, i: usize) -> Result<i64, StoreError> {
        self.oi(i)?.ok_or_else(|| self.corrupt(i, "unexpected NULL"))
    }

    pub(crate) fn u(&self, i: usize) -> Result<u64, StoreError> {
        u64::try_from(self.i(i)?).map_err(|_| self.corrupt(i, "negative"))
    }

    pub(crate) fn ot(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.cells.get(i) {
            Some(Cell::T(v)) => Ok(Some(v.clone())),
            Some(Cell::Null) => Ok(None),
            _ => Err(self.corrupt(i, "expected text")),
        }
    }

    pub(crate) fn t(&self, i: usize) -> Result<String, StoreError> {
        self.ot(i)?.ok_or_else(|| self.corrupt(i, "unexpected NULL"))
    }
}

pub(crate) fn flag(b: bool) -> Val {
    Val::I(i64::from(b))
}

pub(crate) fn id(v: u64) -> Val {
    Val::I(v as i64)
}

fn join_lines(items: &[String]) -> String {
    items.join("\n")
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn check_text(field: &str, value: &str) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(StoreError::InvalidField { field: field.to_owned(), why: "empty".into() });
    }
    Ok(())
}

/// Appends audit entries after the current head, sealing each.
pub(crate) fn append_audit(
    tx: &mut dyn Sql,
    drafts: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<Vec<AuditRow>, StoreError> {
    let head = tx.query("SELECT seq, hash FROM review_audit ORDER BY seq DESC LIMIT 1", &[])?;
    let (mut seq, mut prev_hash) = match head.first() {
        Some(cells) => {
            let row = Row { cells, what: "audit head" };
            (row.u(0)?, row.t(1)?)
        }
        None => (0, String::new()),
    };
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        check_text("audit.actor", &d.actor)?;
        check_text("audit.action", &d.action)?;
        seq += 1;
        let mut row = AuditRow {
            seq,
            at: d.at,
            actor: d.actor.clone(),
            action: d.action.clone(),
            subject: d.subject.clone(),
            detail: d.detail.clone(),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        row.hash = seal(&row);
        tx.exec(
            "INSERT INTO review_audit (seq, at, actor, action, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                id(row.seq),
                Val::I(row.at),
                Val::T(row.actor.clone()),
                Val::T(row.action.clone()),
                Val::T(row.subject.clone()),
                Val::T(row.detail.clone()),
                Val::T(row.prev_hash.clone()),
                Val::T(row.hash.clone()),
            ],
        )?;
        prev_hash = row.hash.clone();
        out.push(row);
    }
    Ok(out)
}

/// Files a report or signal into its subject's open case.
pub(crate) fn intake(
    tx: &mut dyn Sql,
    intake: &Intake,
    seal: Sealer<'_>,
) -> Result<IntakeOutcome, StoreError> {
    check_text("intake.subject", &intake.subject)?;
    tx.lock_review()?;
    let (table, key, canonical) = match &intake.item {
        IntakeItem::Report(r) => ("review_reports", &r.key, Some(&r.canonical)),
        IntakeItem::Signal(s) => ("review_signals", &s.key, None),
    };
    check_text("intake.key", key)?;
    // Every check that can refuse the intake comes before its first write,
    // so a refused item in a batch leaves nothing behind.
    match &intake.item {
        IntakeItem::Report(r) => {
            for (field, value) in [("report.target", &r.target), ("report.category", &r.category)] {
                check_text(field, value)?;
            }
        }
        IntakeItem::Signal(s) => check_text("signal.account", &s.account)?,
    }
    check_text("audit.actor", &intake.audit.actor)?;
    check_text("audit.action", &intake.audit.action)?;
    let column = if canonical.is_some() { "canonical" } else { "detail" };
    let existing = tx.query(
        &format!("SELECT id, case_id, {column} FROM {table} WHERE key = $1"),
        &[Val::T(key.clone())],
    )?;
    if let Some(cells) = existing.first() {
        let row = Row { cells, what: "report" };
        let same = match (&intake.item, canonical) {
            (IntakeItem::Report(_), Some(c)) => row.t(2)? == *c,
            (IntakeItem::Signal(s), _) => row.t(2)? == s.detail,
            _ => false,
        };
        if !same {
            return Err(StoreError::KeyConflict { key: key.clone() });
        }
        return Ok(IntakeOutcome {
            id: row.u(0)?,
            case: row.u(1)?,
            new_case: false,
            duplicate: true,
        });
    }
    let route_key = format!("{}:{}", intake.subject_kind, intake.subject);
    let at = intake.audit.at;
    let route = tx.query(
        "SELECT case_id FROM review_intake_routes WHERE subject = $1",
        &[Val::T(route_key.clone())],
    )?;
    let (case, new_case) = match route.first() {
        Some(cells) => (Row { cells, what: "intake route" }.u(0)?, false),
        None => {
            let rows = tx.query(
                "INSERT INTO review_cases (subject_kind, subject, state, opened_at, updated_at)
                 VALUES ($1, $2, 'open', $3, $3) RETURNING id",
                &[Val::T(intake.subject_kind.clone()), Val::T(intake.subject.clone()), Val::I(at)],
            )?;
            let case = rows
                .first()
                .map(|cells| Row { cells, what: "new case" }.u(0))
                .transpose()?
                .ok_or_else(|| StoreError::CorruptRow {
                    what: "new case".into(),
                    why: "no id returned".into(),
                })?;
            tx.exec(
                "INSERT INTO review_intake_routes (subject, case_id) VALUES ($1, $2)",
                &[Val::T(route_key), id(case)],
            )?;
            (case, true)
        }
    };
    // The case's evidence: maxima and sums, computed here so the SQL is the same on both backends.
    let current = tx.query(
        "SELECT child_safety, hash_match, tier, strong_terms, category_rank FROM review_cases WHERE id = $1",
        &[id(case)],
    )?;
    let cells =
        current.first().ok_or(StoreError::Missing { what: "case", name: case.to_string() })?;
    let row = Row { cells, what: "case evidence" };
    let e = &intake.evidence;
    let rank = match (row.oi(4)?, e.category_rank) {
        (Some(a), Some(b)) => Some(a.min(i64::from(b))),
        (a, b) => a.or(b.map(i64::from)),
    };
    tx.exec(
        "UPDATE review_cases SET child_safety = $1, hash_match = $2, tier = $3, strong_terms = $4,
         category_rank = $5, updated_at = $6 WHERE id = $7",
        &[
            flag(row.i(0)? != 0 || e.child_safety),
            flag(row.i(1)? != 0 || e.hash_match),
            Val::I(row.i(2)?.max(i64::from(e.tier))),
            Val::I(row.i(3)?.saturating_add(e.strong_terms as i64)),
            Val::OI(rank),
            Val::I(at),
            id(case),
        ],
    )?;
    for account in &e.accounts {
        tx.exec(
            "INSERT INTO review_case_accounts (case_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[id(case), Val::T(account.clone())],
        )?;
    }
    let (item_id, what) = match &intake.item {
        IntakeItem::Report(r) => {
            let rows = tx.query(
                "INSERT INTO review_reports (key, canonical, source, reporter, target_kind, target,
                 category, text, received_at, case_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    Val::T(r.key.clone()),
                    Val::T(r.canonical.clone()),
                    Val::T(r.source.clone()),
                    Val::OT(r.reporter.clone()),
                    Val::T(r.target_kind.clone()),
                    Val::T(r.target.clone()),
                    Val::T(r.category.clone()),
                    Val::OT(r.text.clone()),
                    Val::I(r.received_at),
                    id(case),
                ],
            )?;
            (returned_id(&rows, "report")?, "report")
        }
        IntakeItem::Signal(s) => {
            let rows = tx.query(
                "INSERT INTO review_signals (key, case_id, kind, account, detail, at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    Val::T(s.key.clone()),
                    id(case),
                    Val::T(s.kind.clone()),
                    Val::T(s.account.clone()),
                    Val::T(s.detail.clone()),
                    Val::I(s.at),
                ],
            )?;
            (returned_id(&rows, "signal")?, "signal")
        }
    };
    let mut audit = intake.audit.clone();
    audit.subject = format!("case {case}");
    audit.detail = if audit.detail.is_empty() {
        format!("{what} {item_id}")
    } else {
        format!("{what} {item_id}: {}", audit.detail)
    };
    append_audit(tx, &[audit], seal)?;
    Ok(IntakeOutcome { id: item_id, case, new_case, duplicate: false })
}

/// Files several reports or signals in the caller's one transaction (group
/// commit): each item's outcome, or the refusal of that item alone (a key
/// conflict, an empty field), which wrote nothing. A database error aborts
/// the whole batch.
pub(crate) fn intake_batch(
    tx: &mut dyn Sql,
    intakes: &[Intake],
    seal: Sealer<'_>,
) -> Result<Vec<Result<IntakeOutcome, StoreError>>, StoreError> {
    let mut out = Vec::with_capacity(intakes.len());
    for item in intakes {
        match intake(tx, item, seal) {
            Ok(o) => out.push(Ok(o)),
            Err(e @ (StoreError::KeyConflict { .. } | StoreError::InvalidField { .. })) => {
                out.push(Err(e))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn returned_id(rows: &[Vec<Cell>], what: &'static str) -> Result<u64, StoreError> {
    rows.first()
        .map(|cells| Row { cells, what }.u(0))
        .transpose()?
        .ok_or_else(|| StoreError::CorruptRow { what: what.into(), why: "no id returned".into() })
}

fn write_case(tx: &mut dyn Sql, w: &CaseWrite) -> Result<(), StoreError> {
    let changed = tx.exec(
        "UPDATE review_cases SET state = $1, verdict = $2, lease_holder = $3, lease_until = $4,
         escalated = $5, appeals = $6, excluded = $7, updated_at = $8, version = version + 1
         WHERE id = $9 AND version = $10",
        &[
            Val::T(w.state.clone()),
            Val::OT(w.verdict.clone()),
            Val::OT(w.lease_holder.clone()),
            Val::OI(w.lease_until),
            flag(w.escalated),
            Val::I(i64::from(w.appeals)),
            Val::T(join_lines(&w.excluded)),
            Val::I(w.at),
            id(w.id),
            Val::I(w.expected_version),
        ],
    )?;
    if changed == 0 {
        let exists = tx.query("SELECT id FROM review_cases WHERE id = $1", &[id(w.id)])?;
        return Err(if exists.is_empty() {
            StoreError::Missing { what: "case", name: w.id.to_string() }
        } else {
            StoreError::Stale { case: w.id }
        });
    }
    if w.reopen_route {
        let subject =
            tx.query("SELECT subject_kind, subject FROM review_cases WHERE id = $1", &[id(w.id)])?;
        if let Some(cells) = subject.first() {
            let row = Row { cells, what: "case subject" };
            tx.exec(
                "INSERT INTO review_intake_routes (subject, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[Val::T(format!("{}:{}", row.t(0)?, row.t(1)?)), id(w.id)],
            )?;
        }
    }
    Ok(())
}

/// Writes a case's new state (claim, release, appeal) with its audit entries.
pub(crate) fn update_case(
    tx: &mut dyn Sql,
    write: &CaseWrite,
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    tx.lock_review()?;
    write_case(tx, write)?;
    append_audit(tx, audit, seal)?;
    Ok(())
}

/// Records a decision: the case's state, the decision, every report's
/// resolution, the intake routes, the enforcement outbox and the audit
/// entries, all in the caller's one transaction.
pub(crate) fn decide(
    tx: &mut dyn Sql,
    d: &DecisionWrite,
    seal: Sealer<'_>,
) -> Result<u64, StoreError> {
    check_text("decision.reviewer", &d.reviewer)?;
    tx.lock_review()?;
    if let Some(into) = d.merged_into {
        let target = tx.query("SELECT state FROM review_cases WHERE id = $1", &[id(into)])?;
        match target.first() {
            None => return Err(StoreError::Missing { what: "case", name: into.to_string() }),
            Some(cells) if Row { cells, what: "case state" }.t(0)? == "decided" => {
                return Err(StoreError::InvalidField {
                    field: "decision.merged_into".into(),
                    why: format!("case {into} is decided; merge into an undecided case"),
                })
            }
            Some(_) => {}
        }
    }
    write_case(tx, &d.case)?;
    let at = d.case.at;
    let rows = tx.query(
        "INSERT INTO review_decisions (case_id, reviewer, verdict, detail, statement, sampled, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            id(d.case.id),
            Val::T(d.reviewer.clone()),
            Val::T(d.verdict.clone()),
            Val::T(d.detail.clone()),
            Val::OT(d.statement.clone()),
            flag(d.sampled),
            Val::I(at),
        ],
    )?;
    let decision = returned_id(&rows, "decision")?;
    if let Some((resolution, detail)) = &d.resolution {
        tx.exec(
            "UPDATE review_reports SET resolution = $1, resolution_detail = $2, resolved_at = $3
             WHERE case_id = $4",
            &[Val::T(resolution.clone()), Val::T(detail.clone()), Val::I(at), id(d.case.id)],
        )?;
        let subject = tx.query(
            "SELECT subject_kind, subject FROM review_cases WHERE id = $1",
            &[id(d.case.id)],
        )?;
        tx.exec("DELETE FROM review_intake_routes WHERE case_id = $1", &[id(d.case.id)])?;
        if let (Some(into), Some(cells)) = (d.merged_into, subject.first()) {
            let row = Row { cells, what: "case subject" };
            tx.exec(
                "INSERT INTO review_intake_routes (subject, case_id) VALUES ($1, $2)
                 ON CONFLICT (subject) DO UPDATE SET case_id = excluded.case_id",
                &[Val::T(format!("{}:{}", row.t(0)?, row.t(1)?)), id(into)],
            )?;
        }
    }
    for (action, target) in &d.outbox {
        check_text("outbox.action", action)?;
        tx.exec(
            "INSERT INTO review_outbox (decision_id, case_id, action, target, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                id(decision),
                id(d.case.id),
                Val::T(action.clone()),
                Val::T(target.clone()),
                Val::I(at),
            ],
        )?;
    }
    if !d.webhooks.is_empty() {
        let (created_at, created_us) = crate::model::now_pair();
        for w in &d.webhooks {
            check_text("webhook.kind", &w.kind)?;
            tx.exec(
                "INSERT INTO webhook_outbox (key, kind, body, created_at, created_us)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
                &[
                    Val::T(w.key.clone()),
                    Val::T(w.kind.clone()),
                    Val::T(w.body.clone()),
                    Val::T(created_at.clone()),
                    Val::I(created_us),
                ],
            )?;
        }
    }
    append_audit(tx, &d.audit, seal)?;
    Ok(decision)
}

/// Records that `reviewer` viewed `file` of a case.
pub(crate) fn record_view(
    tx: &mut dyn Sql,
    view: &FileView,
    audit: &AuditDraft,
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    check_text("view.file", &view.file)?;
    check_text("view.reviewer", &view.reviewer)?;
    tx.lock_review()?;
    let exists = tx.query("SELECT id FROM review_cases WHERE id = $1", &[id(view.case_id)])?;
    if exists.is_empty() {
        return Err(StoreError::Missing { what: "case", name: view.case_id.to_string() });
    }
    tx.exec(
        "INSERT INTO review_file_views (case_id, file, reviewer, viewed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        &[
            id(view.case_id),
            Val::T(view.file.clone()),
            Val::T(view.reviewer.clone()),
            Val::I(view.viewed_at),
        ],
    )?;
    append_audit(tx, std::slice::from_ref(audit), seal)?;
    Ok(())
}

/// Records a second review of a sampled decision (once per decision).
pub(crate) fn second_review(
    tx: &mut dyn Sql,
    review: &SecondReviewRow,
    audit: &AuditDraft,
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    check_text("second_review.reviewer", &review.reviewer)?;
    tx.lock_review()?;
    let decision =
        tx.query("SELECT sampled FROM review_decisions WHERE id = $1", &[id(review.decision_id)])?;
    let Some(cells) = decision.first() else {
        return Err(StoreError::Missing { what: "decision", name: review.decision_id.to_string() });
    };
    if (Row { cells, what: "decision" }).i(0)? == 0 {
        return Err(StoreError::InvalidField {
            field: "second_review.decision".into(),
            why: format!("decision {} was not sampled for a second review", review.decision_id),
        });
    }
    let done = tx.query(
        "SELECT reviewer FROM review_second_reviews WHERE decision_id = $1",
        &[id(review.decision_id)],
    )?;
    if let Some(cells) = done.first() {
        return Err(StoreError::InvalidField {
            field: "second_review.decision".into(),
            why: format!(
                "decision {} was reviewed again already by {}",
                review.decision_id,
                Row { cells, what: "second review" }.t(0)?
            ),
        });
    }
    tx.exec(
        "INSERT INTO review_second_reviews (decision_id, reviewer, verdict, agreed, detail, reviewed_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            id(review.decision_id),
            Val::T(review.reviewer.clone()),
            Val::T(review.verdict.clone()),
            flag(review.agreed),
            Val::T(review.detail.clone()),
            Val::I(review.reviewed_at),
        ],
    )?;
    append_audit(tx, std::slice::from_ref(audit), seal)?;
    Ok(())
}

/// Every second review, by decision.
pub(crate) fn second_reviews(tx: &mut dyn Sql) -> Result<Vec<SecondReviewRow>, StoreError> {
    let rows = tx.query(
        "SELECT decision_id, reviewer, verdict, agreed, detail, reviewed_at FROM review_second_reviews
         ORDER BY decision_id",
        &[],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "second review" };
            Ok(SecondReviewRow {
                decision_id: r.u(0)?,
                reviewer: r.t(1)?,
                verdict: r.t(2)?,
                agreed: r.i(3)? != 0,
                detail: r.t(4)?,
                reviewed_at: r.i(5)?,
            })
        })
        .collect()
}

/// Appends audit entries on their own (exports, submissions).
pub(crate) fn audit_only(
    tx: &mut dyn Sql,
    drafts: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    tx.lock_review()?;
    append_audit(tx, drafts, seal)?;
    Ok(())
}

const CASE_COLUMNS: &str = "c.id, c.subject_kind, c.subject, c.state, c.verdict, c.opened_at,
    c.updated_at, c.child_safety, c.hash_match, c.tier, c.strong_terms, c.category_rank,
    c.escalated, c.appeals, c.excluded, c.lease_holder, c.lease_until, c.version,
    (SELECT COUNT(*) FROM review_reports r WHERE r.case_id = c.id),
    (SELECT COUNT(*) FROM review_signals s WHERE s.case_id = c.id)";

fn case_row(cells: &[Cell]) -> Result<CaseRow, StoreError> {
    let r = Row { cells, what: "case" };
    Ok(CaseRow {
        id: r.u(0)?,
        subject_kind: r.t(1)?,
        subject: r.t(2)?,
        state: r.t(3)?,
        verdict: r.ot(4)?,
        opened_at: r.i(5)?,
        updated_at: r.i(6)?,
        child_safety: r.i(7)? != 0,
        hash_match: r.i(8)? != 0,
        tier: r.i(9)?.clamp(0, 4) as u8,
        strong_terms: r.u(10)?,
        category_rank: r.oi(11)?.map(|v| v.clamp(0, 255) as u8),
        escalated: r.i(12)? != 0,
        appeals: r.i(13)?.clamp(0, i64::from(u32::MAX)) as u32,
        excluded: split_lines(&r.t(14)?),
        lease_holder: r.ot(15)?,
        lease_until: r.oi(16)?,
        version: r.i(17)?,
        reports: r.u(18)?,
        signals: r.u(19)?,
    })
}

/// One case.
pub(crate) fn case(tx: &mut dyn Sql, case: u64) -> Result<Option<CaseRow>, StoreError> {
    let rows = tx.query(
        &format!("SELECT {CASE_COLUMNS} FROM review_cases c WHERE c.id = $1"),
        &[id(case)],
    )?;
    rows.first().map(|cells| case_row(cells)).transpose()
}

/// Every case, or only the undecided ones, by number.
pub(crate) fn cases(tx: &mut dyn Sql, undecided_only: bool) -> Result<Vec<CaseRow>, StoreError> {
    let filter = if undecided_only { "WHERE c.state <> 'decided'" } else { "" };
    let rows = tx
        .query(&format!("SELECT {CASE_COLUMNS} FROM review_cases c {filter} ORDER BY c.id"), &[])?;
    rows.iter().map(|cells| case_row(cells)).collect()
}

/// What the queue ranks an undecided case by, besides its row: its distinct
/// reporters with their past record, and its reports without a reporter.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueInput {
    /// The case.
    pub case: CaseRow,
    /// Each distinct reporting account with its record.
    pub reporters: Vec<ReporterRecord>,
    /// Reports without a reporter account.
    pub anonymous: u64,
}

/// Every undecided case with its reporters' records, in three queries
/// (cases, reporters per case, each reporter's record) whatever the count.
pub(crate) fn queue_inputs(tx: &mut dyn Sql) -> Result<Vec<QueueInput>, StoreError> {
    let cases = cases(tx, true)?;
    let per_case = tx.query(
        "SELECT r.case_id, r.reporter, COUNT(*) FROM review_reports r
         JOIN review_cases c ON c.id = r.case_id
         WHERE c.state <> 'decided' GROUP BY r.case_id, r.reporter",
        &[],
    )?;
    let records = tx.query(
        "SELECT reporter,
                SUM(CASE WHEN resolution = 'actioned' THEN 1 ELSE 0 END),
                SUM(CASE WHEN resolution = 'not_violating' THEN 1 ELSE 0 END)
         FROM review_reports WHERE reporter IS NOT NULL AND resolution IS NOT NULL
         GROUP BY reporter",
        &[],
    )?;
    let mut record = std::collections::HashMap::new();
    for cells in &records {
        let r = Row { cells, what: "reporter record" };
        record.insert(r.t(0)?, (r.u(1)?, r.u(2)?));
    }
    let mut by_case: std::collections::HashMap<u64, (Vec<ReporterRecord>, u64)> =
        std::collections::HashMap::new();
    for cells in &per_case {
        let r = Row { cells, what: "case reporters" };
        let entry = by_case.entry(r.u(0)?).or_default();
        match r.ot(1)? {
            Some(reporter) => {
                let (upheld, rejected) = record.get(&reporter).copied().unwrap_or((0, 0));
                entry.0.push(ReporterRecord { reporter, upheld, rejected });
            }
            None => entry.1 += r.u(2)?,
        }
    }
    Ok(cases
        .into_iter()
        .map(|case| {
            let (reporters, anonymous) = by_case.remove(&case.id).unwrap_or_default();
            QueueInput { case, reporters, anonymous }
        })
        .collect())
}

/// The accounts a case links.
pub(crate) fn case_accounts(tx: &mut dyn Sql, case: u64) -> Result<Vec<String>, StoreError> {
    let rows = tx.query(
        "SELECT account FROM review_case_accounts WHERE case_id = $1 ORDER BY account",
        &[id(case)],
    )?;
    rows.iter().map(|cells| Row { cells, what: "case account" }.t(0)).collect()
}

/// A case's reports, in order.
pub(crate) fn reports(tx: &mut dyn Sql, case: u64) -> Result<Vec<ReportRow>, StoreError> {
    let rows = tx.query(
        "SELECT id, key, source, reporter, target_kind, target, category, text, received_at,
         case_id, resolution, resolution_detail, resolved_at
         FROM review_reports WHERE case_id = $1 ORDER BY id",
        &[id(case)],
    )?;
    rows.iter().map(|cells| report_row(cells)).collect()
}

/// A report by its key.
pub(crate) fn report_by_key(tx: &mut dyn Sql, key: &str) -> Result<Option<ReportRow>, StoreError> {
    let rows = tx.query(
        "SELECT id, key, source, reporter, target_kind, target, category, text, received_at,
         case_id, resolution, resolution_detail, resolved_at
         FROM review_reports WHERE key = $1",
        &[Val::T(key.to_owned())],
    )?;
    rows.first().map(|cells| report_row(cells)).transpose()
}

fn report_row(cells: &[Cell]) -> Result<ReportRow, StoreError> {
    let r = Row { cells, what: "report" };
    Ok(ReportRow {
        id: r.u(0)?,
        key: r.t(1)?,
        source: r.t(2)?,
        reporter: r.ot(3)?,
        target_kind: r.t(4)?,
        target: r.t(5)?,
        category: r.t(6)?,
        text: r.ot(7)?,
        received_at: r.i(8)?,
        case_id: r.u(9)?,
        resolution: r.ot(10)?,
        resolution_detail: r.ot(11)?,
        resolved_at: r.oi(12)?,
    })
}

/// A case's signals, in order.
pub(crate) fn signals(tx: &mut dyn Sql, case: u64) -> Result<Vec<SignalRow>, StoreError> {
    let rows = tx.query(
        "SELECT id, case_id, kind, account, detail, at FROM review_signals WHERE case_id = $1 ORDER BY id",
        &[id(case)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "signal" };
            Ok(SignalRow {
                id: r.u(0)?,
                case_id: r.u(1)?,
                kind: r.t(2)?,
                account: r.t(3)?,
                detail: r.t(4)?,
                at: r.i(5)?,
            })
        })
        .collect()
}

/// A case's decisions, in order.
pub(crate) fn decisions(tx: &mut dyn Sql, case: u64) -> Result<Vec<DecisionRow>, StoreError> {
    let rows = tx.query(
        "SELECT id, case_id, reviewer, verdict, detail, statement, sampled, decided_at
         FROM review_decisions WHERE case_id = $1 ORDER BY id",
        &[id(case)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "decision" };
            Ok(DecisionRow {
                id: r.u(0)?,
                case_id: r.u(1)?,
                reviewer: r.t(2)?,
                verdict: r.t(3)?,
                detail: r.t(4)?,
                statement: r.ot(5)?,
                sampled: r.i(6)? != 0,
                decided_at: r.i(7)?,
            })
        })
        .collect()
}

/// The outbox, or only its undelivered actions, in order.
pub(crate) fn outbox(
    tx: &mut dyn Sql,
    pending_only: bool,
) -> Result<Vec<EnforcementRow>, StoreError> {
    let filter = if pending_only { "WHERE delivered_at IS NULL" } else { "" };
    let rows = tx.query(
        &format!(
            "SELECT id, decision_id, case_id, action, target, created_at, delivered_at
             FROM review_outbox {filter} ORDER BY id"
        ),
        &[],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "outbox entry" };
            Ok(EnforcementRow {
                id: r.u(0)?,
                decision_id: r.u(1)?,
                case_id: r.u(2)?,
                action: r.t(3)?,
                target: r.t(4)?,
                created_at: r.i(5)?,
                delivered_at: r.oi(6)?,
            })
        })
        .collect()
}

/// The recorded views of a case's files.
pub(crate) fn file_views(tx: &mut dyn Sql, case: u64) -> Result<Vec<FileView>, StoreError> {
    let rows = tx.query(
        "SELECT case_id, file, reviewer, viewed_at FROM review_file_views WHERE case_id = $1
         ORDER BY viewed_at, file, reviewer",
        &[id(case)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "file view" };
            Ok(FileView { case_id: r.u(0)?, file: r.t(1)?, reviewer: r.t(2)?, viewed_at: r.i(3)? })
        })
        .collect()
}

/// How each reporter's past reports were decided.
pub(crate) fn reporters(
    tx: &mut dyn Sql,
    reporters: &[String],
) -> Result<Vec<ReporterRecord>, StoreError> {
    let mut out = Vec::with_capacity(reporters.len());
    for reporter in reporters {
        let rows = tx.query(
            "SELECT
               (SELECT COUNT(*) FROM review_reports WHERE reporter = $1 AND resolution = 'actioned'),
               (SELECT COUNT(*) FROM review_reports WHERE reporter = $1 AND resolution = 'not_violating')",
            &[Val::T(reporter.clone())],
        )?;
        let cells = rows.first().ok_or_else(|| StoreError::CorruptRow {
            what: "reporter record".into(),
            why: "no row".into(),
        })?;
        let r = Row { cells, what: "reporter record" };
        out.push(ReporterRecord { reporter: reporter.clone(), upheld: r.u(0)?, rejected: r.u(1)? });
    }
    Ok(out)
}

/// Up to `limit` audit entries after `after`, in order.
pub(crate) fn audit(
    tx: &mut dyn Sql,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditRow>, StoreError> {
    let rows = tx.query(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM review_audit
         WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[id(after), Val::I(limit.min(i64::MAX as usize) as i64)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "audit entry" };
            Ok(AuditRow {
                seq: r.u(0)?,
                at: r.i(1)?,
                actor: r.t(2)?,
                action: r.t(3)?,
                subject: r.t(4)?,
                detail: r.t(5)?,
                prev_hash: r.t(6)?,
                hash: r.t(7)?,
            })
        })
        .collect()
}

impl Sql for rusqlite::Transaction<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter().map(lite)))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Cell>>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(lite)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(n);
            for i in 0..n {
                cells.push(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Cell::Null,
                    rusqlite::types::ValueRef::Integer(v) => Cell::I(v),
                    rusqlite::types::ValueRef::Text(t) => {
                        Cell::T(String::from_utf8_lossy(t).into_owned())
                    }
                    other => {
                        return Err(StoreError::CorruptRow {
                            what: format!("column {i} of {sql:.40}"),
                            why: format!("unexpected {:?}", other.data_type()),
                        })
                    }
                });
            }
            out.push(cells);
        }
        Ok(out)
    }

    fn lock_review(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

fn lite(v: &Val) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        Val::I(i) => Value::Integer(*i),
        Val::T(t) => Value::Text(t.clone()),
        Val::OI(o) => o.map_or(Value::Null, Value::Integer),
        Val::OT(o) => o.clone().map_or(Value::Null, Value::Text),
    }
}

/// Key of the advisory lock that serialises review writers in PostgreSQL
/// (the audit chain's head and the intake routes).
const REVIEW_LOCK: i64 = 0x7265_7669_6577_0007; // "review", migration 7

impl Sql for postgres::Transaction<'_> {
    // The typed calls send the parameter types with the statement, so each
    // statement is one round trip instead of a prepare and an execute.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let boxed = pg_params(params);
        let typed: Vec<(&(dyn postgres::types::ToSql + Sync), postgres::types::Type)> =
            boxed.iter().map(|(b, t)| (b.as_ref(), t.clone())).collect();
        Ok(self.execute_typed(sql, &typed)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Cell>>, StoreError> {
        use postgres::types::Type;
        let boxed = pg_params(params);
        let typed: Vec<(&(dyn postgres::types::ToSql + Sync), Type)> =
            boxed.iter().map(|(b, t)| (b.as_ref(), t.clone())).collect();
        let rows = self.query_typed(sql, &typed)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let t = column.type_();
                cells.push(if *t == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::I)
                } else if *t == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)?.map_or(Cell::Null, |v| Cell::I(i64::from(v)))
                } else if *t == Type::TEXT || *t == Type::VARCHAR {
                    row.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::T)
                } else {
                    return Err(StoreError::CorruptRow {
                        what: format!("column {} of {sql:.40}", column.name()),
                        why: format!("unexpected type {t}"),
                    });
                });
            }
            out.push(cells);
        }
        Ok(out)
    }

    fn lock_review(&mut self) -> Result<(), StoreError> {
        self.execute_typed(
            "SELECT pg_advisory_xact_lock($1)",
            &[(&REVIEW_LOCK, postgres::types::Type::INT8)],
        )?;
        Ok(())
    }
}

fn pg_params(
    params: &[Val],
) -> Vec<(Box<dyn postgres::types::ToSql + Sync>, postgres::types::Type)> {
    use postgres::types::Type;
    params
        .iter()
        .map(|v| -> (Box<dyn postgres::types::ToSql + Sync>, Type) {
            match v {
                Val::I(i) => (Box::new(*i), Type::INT8),
                Val::T(t) => (Box::new(t.clone()), Type::TEXT),
                Val::OI(o) => (Box::new(*o), Type::INT8),
                Val::OT(o) => (Box::new(o.clone()), Type::TEXT),
            }
        })
        .collect()
}
