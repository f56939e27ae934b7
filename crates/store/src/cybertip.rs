//! CyberTipline submissions (migration 9): one row per case reported to
//! NCMEC, with the state of its submission (pending, submitted with NCMEC's
//! report id, finished with the receipt, or failed and waiting for a
//! person), the document sent, and every attempt. The engine drives the
//! flow; the store writes each step with its audit entries in one
//! transaction, so a crash between two steps resumes at the last one
//! recorded (a report id once stored is never submitted again).

use crate::review::{append_audit, id, Cell, Row, Sql, Val};
use crate::{AuditDraft, Sealer, StoreError};

/// A case's CyberTipline submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyberTipRow {
    /// The case.
    pub case_id: u64,
    /// `test` or `production` (NCMEC's environment it goes to).
    pub environment: String,
    /// `pending`, `submitted`, `finished` or `failed`.
    pub state: String,
    /// The `<report>` document submitted (no media, no credentials).
    pub report_xml: String,
    /// The files' progress, as JSON (uploaded file ids, files described).
    pub files: String,
    /// NCMEC's report id, once `submit` answered it.
    pub report_id: Option<i64>,
    /// Attempts so far.
    pub attempts: u64,
    /// When the next attempt is due (microseconds).
    pub next_at: i64,
    /// The last NCMEC response code.
    pub last_code: Option<i64>,
    /// The last error, for a person.
    pub last_error: Option<String>,
    /// The `Request-ID` header of NCMEC's last answer (NCMEC support asks for it).
    pub request_id: Option<String>,
    /// The `finish` answer: NCMEC's receipt, the provider's proof of reporting.
    pub receipt: Option<String>,
    /// When it was queued (microseconds).
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When NCMEC confirmed it.
    pub finished_at: Option<i64>,
}

/// One attempt of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyberTipAttemptRow {
    /// The case.
    pub case_id: u64,
    /// When (microseconds).
    pub at: i64,
    /// `submit`, `upload`, `fileinfo`, `finish` or `retract`.
    pub step: String,
    /// The HTTP status, when an answer came.
    pub http_status: Option<i64>,
    /// NCMEC's response code, when the answer could be read.
    pub code: Option<i64>,
    /// What happened (`ok`, the error).
    pub outcome: String,
    /// The answer's `Request-ID`.
    pub request_id: Option<String>,
}

const COLUMNS: &str = "case_id, environment, state, report_xml, files, report_id, attempts,
    next_at, last_code, last_error, request_id, receipt, created_at, updated_at, finished_at";

fn row_of(cells: &[Cell]) -> Result<CyberTipRow, StoreError> {
    let r = Row { cells, what: "cybertip submission" };
    Ok(CyberTipRow {
        case_id: r.u(0)?,
        environment: r.t(1)?,
        state: r.t(2)?,
        report_xml: r.t(3)?,
        files: r.t(4)?,
        report_id: r.oi(5)?,
        attempts: r.u(6)?,
        next_at: r.i(7)?,
        last_code: r.oi(8)?,
        last_error: r.ot(9)?,
        request_id: r.ot(10)?,
        receipt: r.ot(11)?,
        created_at: r.i(12)?,
        updated_at: r.i(13)?,
        finished_at: r.oi(14)?,
    })
}

fn values(row: &CyberTipRow) -> Vec<Val> {
    vec![
        id(row.case_id),
        Val::T(row.environment.clone()),
        Val::T(row.state.clone()),
        Val::T(row.report_xml.clone()),
        Val::T(row.files.clone()),
        Val::OI(row.report_id),
        id(row.attempts),
        Val::I(row.next_at),
        Val::OI(row.last_code),
        Val::OT(row.last_error.clone()),
        Val::OT(row.request_id.clone()),
        Val::OT(row.receipt.clone()),
        Val::I(row.created_at),
        Val::I(row.updated_at),
        Val::OI(row.finished_at),
    ]
}

const STATES: [&str; 4] = ["pending", "submitted", "finished", "failed"];

fn check(row: &CyberTipRow) -> Result<(), StoreError> {
    if !STATES.contains(&row.state.as_str()) {
        return Err(StoreError::InvalidField {
            field: "cybertip.state".into(),
            why: format!("{:?} is not one of {}", row.state, STATES.join(", ")),
        });
    }
    if !["test", "production"].contains(&row.environment.as_str()) {
        return Err(StoreError::InvalidField {
            field: "cybertip.environment".into(),
            why: format!("{:?} is not test or production", row.environment),
        });
    }
    Ok(())
}

/// Queues a case's submission: refused (`Exists`) when the case has one.
pub(crate) fn create(
    tx: &mut dyn Sql,
    row: &CyberTipRow,
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    check(row)?;
    tx.lock_review()?;
    let case = tx.query("SELECT id FROM review_cases WHERE id = $1", &[id(row.case_id)])?;
    if case.is_empty() {
        return Err(StoreError::Missing { what: "case", name: row.case_id.to_string() });
    }
    let existing =
        tx.query("SELECT state FROM cybertip_submissions WHERE case_id = $1", &[id(row.case_id)])?;
    if let Some(cells) = existing.first() {
        let state = Row { cells, what: "cybertip submission" }.t(0)?;
        return Err(StoreError::Exists {
            what: "cybertip submission",
            name: format!("case {} ({state})", row.case_id),
        });
    }
    tx.exec(
        &format!(
            "INSERT INTO cybertip_submissions ({COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ),
        &values(row),
    )?;
    append_audit(tx, audit, seal)?;
    Ok(())
}

/// Records one step: the row's new state, the attempt, the audit entries.
pub(crate) fn record(
    tx: &mut dyn Sql,
    row: &CyberTipRow,
    attempt: Option<&CyberTipAttemptRow>,
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    check(row)?;
    tx.lock_review()?;
    let stored = tx.query(
        "SELECT state, report_id FROM cybertip_submissions WHERE case_id = $1",
        &[id(row.case_id)],
    )?;
    let Some(cells) = stored.first() else {
        return Err(StoreError::Missing {
            what: "cybertip submission",
            name: row.case_id.to_string(),
        });
    };
    let r = Row { cells, what: "cybertip submission" };
    // A finished report is final, and a report id NCMEC gave is never forgotten
    // by mistake (only an explicit reset after NCMEC lost the report clears it,
    // and that goes through `pending` with the id gone on purpose).
    if r.t(0)? == "finished" {
        return Err(StoreError::InvalidField {
            field: "cybertip.state".into(),
            why: format!("case {}'s report is finished at NCMEC: it cannot change", row.case_id),
        });
    }
    let mut params = values(row);
    params.remove(0);
    params.push(id(row.case_id));
    tx.exec(
        "UPDATE cybertip_submissions SET environment = $1, state = $2, report_xml = $3, files = $4,
            report_id = $5, attempts = $6, next_at = $7, last_code = $8, last_error = $9,
            request_id = $10, receipt = $11, created_at = $12, updated_at = $13, finished_at = $14
         WHERE case_id = $15",
        &params,
    )?;
    if let Some(a) = attempt {
        tx.exec(
            "INSERT INTO cybertip_attempts (case_id, at, step, http_status, code, outcome, request_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                id(a.case_id),
                Val::I(a.at),
                Val::T(a.step.clone()),
                Val::OI(a.http_status),
                Val::OI(a.code),
                Val::T(a.outcome.clone()),
                Val::OT(a.request_id.clone()),
            ],
        )?;
    }
    append_audit(tx, audit, seal)?;
    Ok(())
}

/// One case's submission.
pub(crate) fn get(tx: &mut dyn Sql, case: u64) -> Result<Option<CyberTipRow>, StoreError> {
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM cybertip_submissions WHERE case_id = $1"),
        &[id(case)],
    )?;
    rows.first().map(|cells| row_of(cells)).transpose()
}

/// Every submission, by case.
pub(crate) fn list(tx: &mut dyn Sql) -> Result<Vec<CyberTipRow>, StoreError> {
    let rows =
        tx.query(&format!("SELECT {COLUMNS} FROM cybertip_submissions ORDER BY case_id"), &[])?;
    rows.iter().map(|cells| row_of(cells)).collect()
}

/// Cases decided violating for child safety with no submission queued.
pub(crate) fn awaiting(tx: &mut dyn Sql) -> Result<u64, StoreError> {
    let rows = tx.query(
        "SELECT COUNT(*) FROM review_cases c
         WHERE c.state = 'decided' AND c.verdict = 'violating' AND c.child_safety = 1
           AND NOT EXISTS (SELECT 1 FROM cybertip_submissions s WHERE s.case_id = c.id)",
        &[],
    )?;
    let cells = rows.first().ok_or_else(|| StoreError::CorruptRow {
        what: "cybertip awaiting count".into(),
        why: "no row".into(),
    })?;
    Row { cells, what: "cybertip awaiting count" }.u(0)
}

/// One case's attempts, in order.
pub(crate) fn attempts(tx: &mut dyn Sql, case: u64) -> Result<Vec<CyberTipAttemptRow>, StoreError> {
    let rows = tx.query(
        "SELECT case_id, at, step, http_status, code, outcome, request_id FROM cybertip_attempts
         WHERE case_id = $1 ORDER BY id",
        &[id(case)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "cybertip attempt" };
            Ok(CyberTipAttemptRow {
                case_id: r.u(0)?,
                at: r.i(1)?,
                step: r.t(2)?,
                http_status: r.oi(3)?,
                code: r.oi(4)?,
                outcome: r.t(5)?,
                request_id: r.ot(6)?,
            })
        })
        .collect()
}
