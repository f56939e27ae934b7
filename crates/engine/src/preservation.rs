//! Evidence preservation: what was reported is kept for a year (18 U.S.C.
//! 2258A(h) since the REPORT Act), longer when extended or under legal
//! hold, and destroyed on request or when its time ends.
//!
//! A record holds the case's hashes and metadata (accounts, reports,
//! signals, decisions, the CyberTipline document sent). Media bytes are
//! kept only where the deployment says so (`[preservation] store_media =
//! true`, a directory and a 256-bit key): each file is encrypted with
//! AES-256-GCM (a fresh nonce per file, the case and file name bound as
//! associated data) and written beside the database, never into it. Every
//! record, hold, release, extension, read and destruction is an audit entry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use guardrail_core::Timestamp;
use guardrail_store::{PreservationRow, PreservedFile, Store};
use sha2::Digest as _;

use crate::cybertip::Secret;
use crate::review::{self, ReviewConfig};
use crate::{EngineError, Result};

/// One year, the legal minimum.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(365 * 86_400);

/// How evidence is preserved (`[preservation]` of the review configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct PreservationConfig {
    /// How long a record is kept from its making (default a year).
    pub retention: Duration,
    /// Whether media bytes are preserved (else hashes and metadata only).
    pub store_media: bool,
    /// Where the encrypted files go.
    pub dir: Option<PathBuf>,
    /// The key: 64 hex digits (or `GUARDRAIL_PRESERVATION_KEY`); never printed.
    pub key: Option<Secret>,
}

impl Default for PreservationConfig {
    fn default() -> PreservationConfig {
        PreservationConfig {
            retention: DEFAULT_RETENTION,
            store_media: false,
            dir: None,
            key: None,
        }
    }
}

/// Reads a key written as 64 hex digits.
pub fn parse_key(text: &str) -> std::result::Result<[u8; 32], String> {
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("write the key as 64 hex digits (256 bits)".into());
    }
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(key)
}

/// The media store, when this deployment preserves media.
fn media(config: &ReviewConfig) -> Result<Option<(PathBuf, Aes256Gcm)>> {
    let p = &config.preservation;
    if !p.store_media {
        return Ok(None);
    }
    let dir = p.dir.clone().ok_or_else(|| EngineError::Setting {
        field: "preservation.dir",
        why: "store_media needs a directory".into(),
    })?;
    let text = p
        .key
        .as_ref()
        .map(|k| k.expose().to_owned())
        .or_else(|| std::env::var("GUARDRAIL_PRESERVATION_KEY").ok())
        .ok_or_else(|| EngineError::Setting {
            field: "preservation.key",
            why: "store_media needs a key (64 hex digits, or GUARDRAIL_PRESERVATION_KEY)".into(),
        })?;
    let key =
        parse_key(&text).map_err(|why| EngineError::Setting { field: "preservation.key", why })?;
    let cipher = Aes256Gcm::new_from_slice(&key)
        .map_err(|e| EngineError::Setting { field: "preservation.key", why: e.to_string() })?;
    Ok(Some((dir, cipher)))
}

fn aad(case: u64, name: &str) -> Vec<u8> {
    format!("guardrail preservation v1 case {case} file {name}").into_bytes()
}

fn io(path: &Path, source: std::io::Error) -> EngineError {
    EngineError::Write { path: path.to_owned(), source }
}

fn plus(now: Timestamp, d: Duration) -> i64 {
    now.unix_micros().saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// The case's metadata: subject, accounts, reports, signals, decisions and
/// the CyberTipline document, if one was queued.
fn metadata(
    store: &mut dyn Store,
    case: u64,
    files: &[PreservedFile],
    hashes: &[(String, Vec<(String, String)>)],
    report: Option<(&str, &str)>,
) -> Result<String> {
    let row = store.review_case(case)?.ok_or(EngineError::NoSuchCase { case })?;
    let reports: Vec<_> = store
        .review_reports(case)?
        .into_iter()
        .map(|r| {
            serde_json::json!({"id": r.id, "reporter": r.reporter, "target": format!("{}:{}", r.target_kind, r.target),
                "category": r.category, "text": r.text, "received_at": r.received_at})
        })
        .collect();
    let signals: Vec<_> = store
        .review_signals(case)?
        .into_iter()
        .map(|s| serde_json::json!({"kind": s.kind, "account": s.account, "detail": s.detail, "at": s.at}))
        .collect();
    let decisions: Vec<_> = store
        .review_decisions(case)?
        .into_iter()
        .map(|d| serde_json::json!({"id": d.id, "reviewer": d.reviewer, "verdict": d.verdict, "detail": d.detail, "at": d.decided_at}))
        .collect();
    let cybertip = match report {
        Some((environment, xml)) => Some(serde_json::json!({"environment": environment, "state": "pending", "report_id": null, "report": xml})),
        None => store.cybertip_get(case)?.map(|c| {
            serde_json::json!({"environment": c.environment, "state": c.state, "report_id": c.report_id, "report": c.report_xml})
        }),
    };
    Ok(serde_json::json!({
        "case": case,
        "subject": format!("{}:{}", row.subject_kind, row.subject),
        "accounts": store.review_case_accounts(case)?,
        "reports": reports,
        "signals": signals,
        "decisions": decisions,
        "cybertip": cybertip,
        "hashes": hashes.iter().map(|(name, h)| serde_json::json!({"file": name, "hashes": h.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "files": files.iter().map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256, "size": f.size})).collect::<Vec<_>>(),
    })
    .to_string())
}

/// Preserves a case: its metadata and the hashes of its reported files,
/// and `files` (name, bytes) encrypted when the deployment preserves media;
/// bytes given to a deployment that does not are refused, never dropped.
pub fn preserve(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    files: &[(String, Vec<u8>)],
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    // The reported files' hashes, from the CyberTipline document's builder
    // when the case is reportable (else none: a case without media).
    let hashes =
        review::cybertip_report(store, config, case).map(|r| hashes_of(&r)).unwrap_or_default();
    preserve_with(store, config, case, files, Reported { hashes, document: None }, actor, now)
}

/// What a case's report says, for its preservation record.
pub(crate) struct Reported<'a> {
    /// Each reported file's name and original hashes.
    pub(crate) hashes: Vec<(String, Vec<(String, String)>)>,
    /// The CyberTipline environment and document about to be queued.
    pub(crate) document: Option<(&'a str, &'a str)>,
}

/// The files' names and hashes of a report.
pub(crate) fn hashes_of(
    report: &guardrail_review::cybertip::CyberTipReport,
) -> Vec<(String, Vec<(String, String)>)> {
    report.files.iter().map(|f| (f.file_name.clone(), f.original_hashes.clone())).collect()
}

/// [`preserve`] with what the caller already knows of the report (so the
/// log is not read again to build it).
pub(crate) fn preserve_with(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    files: &[(String, Vec<u8>)],
    reported: Reported<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    let Reported { hashes, document: report } = reported;
    if store.preservation_get(case)?.is_some() {
        return Err(EngineError::Store(guardrail_store::StoreError::Exists {
            what: "preservation record",
            name: format!("case {case}"),
        }));
    }
    let media = media(config)?;
    if !files.is_empty() && media.is_none() {
        return Err(EngineError::Setting {
            field: "preservation.store_media",
            why: "this deployment preserves hashes and metadata only: set store_media = true with a dir and key to keep media".into(),
        });
    }
    let mut preserved = Vec::new();
    let mut written = Vec::new();
    if let Some((dir, cipher)) = &media {
        let case_dir = dir.join(format!("case-{case}"));
        std::fs::create_dir_all(&case_dir).map_err(|e| io(&case_dir, e))?;
        for (name, bytes) in files {
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                return Err(EngineError::Setting {
                    field: "preservation.file",
                    why: format!("{name:?} is not a file name"),
                });
            }
            let sha = crate::hex(&sha2::Sha256::digest(bytes));
            let mut nonce = [0u8; 12];
            getrandom::getrandom(&mut nonce).map_err(|e| EngineError::Setting {
                field: "preservation.nonce",
                why: e.to_string(),
            })?;
            let sealed = cipher
                .encrypt(Nonce::from_slice(&nonce), Payload { msg: bytes, aad: &aad(case, name) })
                .map_err(|_| EngineError::Setting {
                    field: "preservation.key",
                    why: "encryption failed".into(),
                })?;
            let path = case_dir.join(format!("{sha}.bin"));
            let mut out = nonce.to_vec();
            out.extend_from_slice(&sealed);
            write_durably(&path, &out)?;
            written.push(path.clone());
            preserved.push(PreservedFile {
                case_id: case,
                name: name.clone(),
                sha256: sha,
                size: bytes.len() as u64,
                path: path.display().to_string(),
            });
        }
    }
    let row = PreservationRow {
        case_id: case,
        state: "kept".into(),
        created_at: now.unix_micros(),
        expires_at: plus(now, config.preservation.retention),
        hold: false,
        hold_reason: None,
        metadata: metadata(store, case, &preserved, &hashes, report)?,
        destroyed_at: None,
        destroyed_reason: None,
    };
    let detail = format!(
        "{} file(s) encrypted, {} hash record(s), until {}",
        preserved.len(),
        hashes.len(),
        Timestamp::from_unix_micros(row.expires_at).map_or_else(String::new, |t| t.to_rfc3339())
    );
    let audit = review::draft(now, actor, "preservation_create", format!("case {case}"), detail);
    if let Err(e) = store.preservation_create(&row, &preserved, &[audit], &review::seal_row) {
        for path in written {
            let _ = std::fs::remove_file(path);
        }
        return Err(e.into());
    }
    Ok(row)
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(bytes).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))
}

fn load(store: &mut dyn Store, case: u64) -> Result<PreservationRow> {
    store.preservation_get(case)?.ok_or_else(|| {
        EngineError::Store(guardrail_store::StoreError::Missing {
            what: "preservation record of case",
            name: case.to_string(),
        })
    })
}

fn change(
    store: &mut dyn Store,
    row: &PreservationRow,
    action: &str,
    detail: String,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    let audit = review::draft(now, actor, action, format!("case {}", row.case_id), detail);
    store.preservation_update(row, &[audit], &review::seal_row)?;
    Ok(())
}

fn reason_of(field: &'static str, reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(EngineError::Setting { field, why: "say why (it is audited)".into() });
    }
    Ok(reason.to_owned())
}

/// Puts a record under legal hold: it is not destroyed until released.
pub fn hold(
    store: &mut dyn Store,
    case: u64,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    let reason = reason_of("preservation.hold_reason", reason)?;
    let mut row = load(store, case)?;
    row.hold = true;
    row.hold_reason = Some(reason.clone());
    change(store, &row, "preservation_hold", reason, actor, now)?;
    Ok(row)
}

/// Releases a legal hold (the record is kept until its expiry).
pub fn release(
    store: &mut dyn Store,
    case: u64,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    let reason = reason_of("preservation.release_reason", reason)?;
    let mut row = load(store, case)?;
    if !row.hold {
        return Err(EngineError::Setting {
            field: "preservation.hold",
            why: format!("case {case} is not under hold"),
        });
    }
    row.hold = false;
    row.hold_reason = None;
    change(store, &row, "preservation_release", reason, actor, now)?;
    Ok(row)
}

/// Keeps a record `by` longer than its current expiry.
pub fn extend(
    store: &mut dyn Store,
    case: u64,
    by: Duration,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    let reason = reason_of("preservation.extend_reason", reason)?;
    if by.is_zero() {
        return Err(EngineError::Setting {
            field: "preservation.days",
            why: "extend by at least a day".into(),
        });
    }
    let mut row = load(store, case)?;
    row.expires_at =
        row.expires_at.saturating_add(i64::try_from(by.as_micros()).unwrap_or(i64::MAX));
    let until =
        Timestamp::from_unix_micros(row.expires_at).map_or_else(String::new, |t| t.to_rfc3339());
    change(store, &row, "preservation_extend", format!("until {until}: {reason}"), actor, now)?;
    Ok(row)
}

/// Destroys a record's files and metadata (a tombstone stays: when, why,
/// by whom in the audit log). Refused under hold.
pub fn destroy(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> Result<PreservationRow> {
    let reason = reason_of("preservation.destroy_reason", reason)?;
    let mut row = load(store, case)?;
    if row.hold {
        return Err(EngineError::Setting {
            field: "preservation.hold",
            why: format!(
                "case {case} is under legal hold ({}): release it first",
                row.hold_reason.clone().unwrap_or_default()
            ),
        });
    }
    let files = store.preservation_files(case)?;
    row.state = "destroyed".into();
    row.metadata = String::new();
    row.destroyed_at = Some(now.unix_micros());
    row.destroyed_reason = Some(reason.clone());
    change(
        store,
        &row,
        "preservation_destroy",
        format!("{} file(s): {reason}", files.len()),
        actor,
        now,
    )?;
    // The record says destroyed before the bytes go: a crash here leaves
    // encrypted files that `sweep` removes, never a record whose files are gone.
    for f in &files {
        match std::fs::remove_file(&f.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(Path::new(&f.path), e)),
        }
    }
    if let Some(dir) = &config.preservation.dir {
        let _ = std::fs::remove_dir(dir.join(format!("case-{case}")));
    }
    Ok(row)
}

/// Destroys every record whose time has ended and that is not held, and
/// removes files left behind by a destruction that was interrupted.
pub fn sweep(
    store: &mut dyn Store,
    config: &ReviewConfig,
    actor: &str,
    now: Timestamp,
) -> Result<Vec<u64>> {
    let mut destroyed = Vec::new();
    for row in store.preservation_list()? {
        if row.state == "kept" && !row.hold && row.expires_at <= now.unix_micros() {
            destroy(store, config, row.case_id, "retention ended", actor, now)?;
            destroyed.push(row.case_id);
        } else if row.state == "destroyed" {
            if let Some(dir) = &config.preservation.dir {
                let case_dir = dir.join(format!("case-{}", row.case_id));
                if case_dir.exists() {
                    std::fs::remove_dir_all(&case_dir).map_err(|e| io(&case_dir, e))?;
                }
            }
        }
    }
    Ok(destroyed)
}

/// Reads a preserved file back (decrypted and checked against its SHA-256);
/// the read is audited.
pub fn read_file(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    name: &str,
    actor: &str,
    now: Timestamp,
) -> Result<Vec<u8>> {
    let (_, cipher) = media(config)?.ok_or_else(|| EngineError::Setting {
        field: "preservation.store_media",
        why: "this deployment preserves no media".into(),
    })?;
    let file =
        store.preservation_files(case)?.into_iter().find(|f| f.name == name).ok_or_else(|| {
            EngineError::Store(guardrail_store::StoreError::Missing {
                what: "preserved file",
                name: format!("{name} of case {case}"),
            })
        })?;
    let path = PathBuf::from(&file.path);
    let sealed = std::fs::read(&path).map_err(|e| io(&path, e))?;
    let corrupt = |why: &str| {
        EngineError::Store(guardrail_store::StoreError::CorruptRow {
            what: format!("preserved file {name} of case {case}"),
            why: why.to_owned(),
        })
    };
    if sealed.len() < 12 {
        return Err(corrupt("shorter than its nonce"));
    }
    let (nonce, body) = sealed.split_at(12);
    let plain = cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: &aad(case, name) })
        .map_err(|_| {
            corrupt("it does not decrypt with this key (a wrong key, or the file was changed)")
        })?;
    if crate::hex(&sha2::Sha256::digest(&plain)) != file.sha256 {
        return Err(corrupt("its SHA-256 differs from the one recorded"));
    }
    let audit =
        review::draft(now, actor, "preservation_read", format!("case {case}"), name.to_owned());
    store.preservation_audit(&[audit], &review::seal_row)?;
    Ok(plain)
}

/// Every record.
pub fn list(store: &mut dyn Store) -> Result<Vec<PreservationRow>> {
    Ok(store.preservation_list()?)
}
