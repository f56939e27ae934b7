//! Evidence preservation (migration 10): per case a record of what was
//! reported (hashes and metadata as JSON; the media files, encrypted, only
//! where the deployment preserves media), kept until `expires_at` unless
//! held, and a tombstone once destroyed. The engine decides; the store
//! writes each change with its audit entries in one transaction.

use crate::review::{append_audit, flag, id, Cell, Row, Sql, Val};
use crate::{AuditDraft, Sealer, StoreError};

/// A case's preservation record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreservationRow {
    /// The case.
    pub case_id: u64,
    /// `kept` or `destroyed`.
    pub state: String,
    /// When it was made (microseconds).
    pub created_at: i64,
    /// When it may be destroyed, unless held.
    pub expires_at: i64,
    /// Under legal hold: never destroyed until released.
    pub hold: bool,
    /// Why it is held.
    pub hold_reason: Option<String>,
    /// What is preserved, as JSON (hashes, accounts, posts, the report sent); empty once destroyed.
    pub metadata: String,
    /// When it was destroyed.
    pub destroyed_at: Option<i64>,
    /// Why.
    pub destroyed_reason: Option<String>,
}

/// A preserved file (its bytes encrypted on disk at `path`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreservedFile {
    /// The case.
    pub case_id: u64,
    /// The file's name in the case (`post-<id>-<n>`).
    pub name: String,
    /// The SHA-256 of its plain bytes.
    pub sha256: String,
    /// Its plain size in bytes.
    pub size: u64,
    /// Where the encrypted bytes are.
    pub path: String,
}

const COLUMNS: &str = "case_id, state, created_at, expires_at, hold, hold_reason, metadata,
    destroyed_at, destroyed_reason";

fn row_of(cells: &[Cell]) -> Result<PreservationRow, StoreError> {
    let r = Row { cells, what: "preservation record" };
    Ok(PreservationRow {
        case_id: r.u(0)?,
        state: r.t(1)?,
        created_at: r.i(2)?,
        expires_at: r.i(3)?,
        hold: r.i(4)? != 0,
        hold_reason: r.ot(5)?,
        metadata: r.t(6)?,
        destroyed_at: r.oi(7)?,
        destroyed_reason: r.ot(8)?,
    })
}

/// Makes a case's record with its files; `Exists` when it has one.
pub(crate) fn create(
    tx: &mut dyn Sql,
    row: &PreservationRow,
    files: &[PreservedFile],
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    tx.lock_review()?;
    if tx.query("SELECT id FROM review_cases WHERE id = $1", &[id(row.case_id)])?.is_empty() {
        return Err(StoreError::Missing { what: "case", name: row.case_id.to_string() });
    }
    if !tx
        .query("SELECT case_id FROM preservation_records WHERE case_id = $1", &[id(row.case_id)])?
        .is_empty()
    {
        return Err(StoreError::Exists {
            what: "preservation record",
            name: format!("case {}", row.case_id),
        });
    }
    tx.exec(
        &format!("INSERT INTO preservation_records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        &[
            id(row.case_id),
            Val::T(row.state.clone()),
            Val::I(row.created_at),
            Val::I(row.expires_at),
            flag(row.hold),
            Val::OT(row.hold_reason.clone()),
            Val::T(row.metadata.clone()),
            Val::OI(row.destroyed_at),
            Val::OT(row.destroyed_reason.clone()),
        ],
    )?;
    for f in files {
        tx.exec(
            "INSERT INTO preservation_files (case_id, name, sha256, size, path) VALUES ($1, $2, $3, $4, $5)",
            &[
                id(f.case_id),
                Val::T(f.name.clone()),
                Val::T(f.sha256.clone()),
                Val::I(i64::try_from(f.size).unwrap_or(i64::MAX)),
                Val::T(f.path.clone()),
            ],
        )?;
    }
    append_audit(tx, audit, seal)?;
    Ok(())
}

/// Writes a record's new state (hold, release, extension, destruction);
/// destroying also forgets its files' rows. A destroyed record cannot change.
pub(crate) fn update(
    tx: &mut dyn Sql,
    row: &PreservationRow,
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    tx.lock_review()?;
    let Some(stored) = get(tx, row.case_id)? else {
        return Err(StoreError::Missing {
            what: "preservation record",
            name: row.case_id.to_string(),
        });
    };
    if stored.state == "destroyed" {
        return Err(StoreError::InvalidField {
            field: "preservation.state".into(),
            why: format!(
                "case {}'s preserved evidence was destroyed: it cannot change",
                row.case_id
            ),
        });
    }
    if !["kept", "destroyed"].contains(&row.state.as_str()) {
        return Err(StoreError::InvalidField {
            field: "preservation.state".into(),
            why: format!("{:?} is not kept or destroyed", row.state),
        });
    }
    tx.exec(
        "UPDATE preservation_records SET state = $1, expires_at = $2, hold = $3, hold_reason = $4,
            metadata = $5, destroyed_at = $6, destroyed_reason = $7 WHERE case_id = $8",
        &[
            Val::T(row.state.clone()),
            Val::I(row.expires_at),
            flag(row.hold),
            Val::OT(row.hold_reason.clone()),
            Val::T(row.metadata.clone()),
            Val::OI(row.destroyed_at),
            Val::OT(row.destroyed_reason.clone()),
            id(row.case_id),
        ],
    )?;
    if row.state == "destroyed" {
        tx.exec("DELETE FROM preservation_files WHERE case_id = $1", &[id(row.case_id)])?;
    }
    append_audit(tx, audit, seal)?;
    Ok(())
}

/// One case's record.
pub(crate) fn get(tx: &mut dyn Sql, case: u64) -> Result<Option<PreservationRow>, StoreError> {
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM preservation_records WHERE case_id = $1"),
        &[id(case)],
    )?;
    rows.first().map(|cells| row_of(cells)).transpose()
}

/// Every record, by case.
pub(crate) fn list(tx: &mut dyn Sql) -> Result<Vec<PreservationRow>, StoreError> {
    let rows =
        tx.query(&format!("SELECT {COLUMNS} FROM preservation_records ORDER BY case_id"), &[])?;
    rows.iter().map(|cells| row_of(cells)).collect()
}

/// A record's files.
pub(crate) fn files(tx: &mut dyn Sql, case: u64) -> Result<Vec<PreservedFile>, StoreError> {
    let rows = tx.query(
        "SELECT case_id, name, sha256, size, path FROM preservation_files WHERE case_id = $1 ORDER BY name",
        &[id(case)],
    )?;
    rows.iter()
        .map(|cells| {
            let r = Row { cells, what: "preserved file" };
            Ok(PreservedFile {
                case_id: r.u(0)?,
                name: r.t(1)?,
                sha256: r.t(2)?,
                size: r.u(3)?,
                path: r.t(4)?,
            })
        })
        .collect()
}

/// Appends audit entries alone (a read of preserved evidence is audited too).
pub(crate) fn audit_access(
    tx: &mut dyn Sql,
    audit: &[AuditDraft],
    seal: Sealer<'_>,
) -> Result<(), StoreError> {
    tx.lock_review()?;
    append_audit(tx, audit, seal)?;
    Ok(())
}
