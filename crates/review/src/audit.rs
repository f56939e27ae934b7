//! The audit log's hash chain.
//!
//! Every entry (who, when, what, about which subject, why) is sealed with
//! the SHA-256 of the previous entry's hash and the entry's canonical bytes,
//! so editing, removing or reordering entries breaks the chain, and
//! [`verify`] names the first bad entry and how it is bad.
//!
//! ```
//! use guardrail_core::Timestamp;
//! use guardrail_review::audit::{seal, verify, AuditEntry, SealedEntry, GENESIS};
//!
//! let at = Timestamp::parse("2026-03-01T10:00:00Z").unwrap();
//! let entry = AuditEntry { seq: 1, at, actor: "a".into(), action: "claim".into(), subject: "case 1".into(), detail: String::new() };
//! let hash = seal(GENESIS, &entry);
//! let chain = vec![SealedEntry { entry, prev_hash: GENESIS.into(), hash }];
//! assert_eq!(verify(&chain), Ok(1));
//! ```

use std::collections::HashMap;

use guardrail_core::Timestamp;
use sha2::{Digest, Sha256};

/// The previous hash of the first entry.
pub const GENESIS: &str = "";

/// One audited action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its position, from 1, without gaps.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who (a reviewer, `system`, `cli`).
    pub actor: String,
    /// What (`intake`, `claim`, `decide`, `view_file`, `enforce`, `appeal`, `export`).
    pub action: String,
    /// About what (`case 3`, `report 12`).
    pub subject: String,
    /// Why, and the details.
    pub detail: String,
}

/// An entry with the hash of its predecessor and its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedEntry {
    /// The entry.
    pub entry: AuditEntry,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This entry's hash ([`seal`]).
    pub hash: String,
}

/// The entry's canonical bytes: a version tag, then the time and each text
/// field with its length, so no two entries share them. The position is
/// not in them: the link to the previous hash fixes it.
pub fn canonical_bytes(entry: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + entry.detail.len());
    out.extend_from_slice(b"guardrail-audit-v1\0");
    out.extend_from_slice(&entry.at.unix_micros().to_be_bytes());
    for field in [&entry.actor, &entry.action, &entry.subject, &entry.detail] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The hash of `entry` after `prev_hash`: hex SHA-256 of the previous hash
/// (as its hex text), a zero byte and the canonical bytes.
pub fn seal(prev_hash: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update([0u8]);
    hasher.update(canonical_bytes(entry));
    crate::report::hex(&hasher.finalize())
}

/// How the chain is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's content or hash was edited.
    Changed,
    /// The entry is missing.
    Removed,
    /// The entry is not where it was written.
    Reordered,
}

impl BreakKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Changed => "changed",
            BreakKind::Removed => "removed",
            BreakKind::Reordered => "reordered",
        }
    }
}

/// The first bad entry of a chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq} was {}: {why}", kind.as_str())]
pub struct ChainBreak {
    /// The entry's position.
    pub seq: u64,
    /// How.
    pub kind: BreakKind,
    /// What the check found.
    pub why: String,
}

/// Checks a chain read in position order; returns how many entries it
/// verified, or the first bad one.
pub fn verify(entries: &[SealedEntry]) -> Result<u64, ChainBreak> {
    let positions: HashMap<&str, usize> =
        entries.iter().enumerate().map(|(i, e)| (e.hash.as_str(), i)).collect();
    let mut prev_hash = GENESIS;
    let mut expected_seq = 1u64;
    for (i, sealed) in entries.iter().enumerate() {
        let seq = sealed.entry.seq;
        let fail = |seq, kind, why: String| Err(ChainBreak { seq, kind, why });
        if seal(&sealed.prev_hash, &sealed.entry) != sealed.hash {
            return fail(seq, BreakKind::Changed, "its hash does not match its content".into());
        }
        if sealed.prev_hash != prev_hash {
            if let Some(&j) = positions.get(sealed.prev_hash.as_str()) {
                return fail(
                    seq,
                    BreakKind::Reordered,
                    format!("it follows entry {} in the chain", entries[j].entry.seq),
                );
            }
            if seq > expected_seq || i == 0 {
                return fail(
                    expected_seq,
                    BreakKind::Removed,
                    format!("entry {seq} does not follow entry {}", expected_seq.saturating_sub(1)),
                );
            }
            return fail(
                entries[i - 1].entry.seq,
                BreakKind::Changed,
                format!("entry {seq} does not confirm its hash (changed and re-hashed)"),
            );
        }
        if seq != expected_seq {
            return fail(seq, BreakKind::Changed, format!("its number should be {expected_seq}"));
        }
        prev_hash = &sealed.hash;
        expected_seq = seq + 1;
    }
    Ok(entries.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<SealedEntry> {
        let mut out: Vec<SealedEntry> = Vec::new();
        for seq in 1..=n {
            let entry = AuditEntry {
                seq,
                at: Timestamp::from_unix_seconds(1_770_000_000 + seq as i64).unwrap(),
                actor: "r1".into(),
                action: "claim".into(),
                subject: format!("case {seq}"),
                detail: String::new(),
            };
            let prev_hash = out.last().map(|e| e.hash.clone()).unwrap_or_default();
            let hash = seal(&prev_hash, &entry);
            out.push(SealedEntry { entry, prev_hash, hash });
        }
        out
    }

    fn broken(entries: &[SealedEntry]) -> (u64, BreakKind) {
        let b = verify(entries).unwrap_err();
        (b.seq, b.kind)
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn a_changed_entry_is_named() {
        let mut c = chain(5);
        c[2].entry.detail = "edited".into();
        assert_eq!(broken(&c), (3, BreakKind::Changed));
        // Changed and re-hashed: its successor no longer confirms it.
        let mut c = chain(5);
        c[2].entry.actor = "someone else".into();
        c[2].hash = seal(&c[2].prev_hash, &c[2].entry);
        assert_eq!(broken(&c), (3, BreakKind::Changed));
        assert_eq!(
            verify(&c).unwrap_err().to_string(),
            "audit entry 3 was changed: entry 4 does not confirm its hash (changed and re-hashed)"
        );
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(broken(&c), (2, BreakKind::Removed));
        let mut c = chain(5);
        c.remove(0);
        assert_eq!(broken(&c), (1, BreakKind::Removed));
    }

    #[test]
    fn a_reordered_entry_is_named() {
        let mut c = chain(5);
        c.swap(2, 3);
        assert_eq!(broken(&c), (4, BreakKind::Reordered));
        // Rows swapped but renumbered to look in order.
        let mut c = chain(5);
        c.swap(2, 3);
        c[2].entry.seq = 3;
        c[3].entry.seq = 4;
        assert_eq!(broken(&c), (3, BreakKind::Reordered));
    }

    #[test]
    fn a_renumbered_entry_is_named() {
        let mut c = chain(3);
        c[2].entry.seq = 7;
        assert_eq!(broken(&c), (7, BreakKind::Changed));
    }
}
