//! Hash banks: loaded from the store and from hash-list files into the media
//! engine's [`Banks`], imported into the store, and adapted to the graph
//! loader's [`MediaCheck`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use guardrail_core::PostEvent;
use guardrail_graph::{HashHit, MediaCheck};
use guardrail_media::bank::{parse_list, BankInfo, Banks, HashKind, ImportedHash, KnownHash};
use guardrail_media::{MediaError, PdqHash};
use guardrail_store::{BankAddOutcome, BankHash, Store};

use crate::{EngineError, Result};

/// The PDQ match radius used unless a caller sets one (the media engine's default).
pub const DEFAULT_RADIUS: u32 = guardrail_media::DEFAULT_RADIUS;
/// The largest PDQ radius accepted (a radius beyond it matches most random hashes).
pub const MAX_RADIUS: u32 = 96;

/// Checks a PDQ radius given by a user.
pub fn check_radius(radius: u32) -> Result<u32> {
    if radius > MAX_RADIUS {
        return Err(EngineError::Setting {
            field: "radius",
            why: format!("{radius} is above {MAX_RADIUS} (PDQ hashes have 256 bits; {DEFAULT_RADIUS} is the usual radius)"),
        });
    }
    Ok(radius)
}

/// Every bank stored in `store` (possibly none), loaded into the media engine.
pub fn from_store(store: &mut dyn Store) -> Result<Banks> {
    let mut banks = Banks::new();
    for b in store.banks()? {
        banks.put_bank(BankInfo { name: b.name, action: b.action, tags: b.tags });
    }
    let mut hashes = Vec::new();
    for (bank, h) in store.bank_hashes(None)? {
        let hash = HashKind::parse(&h.kind).and_then(|kind| KnownHash::parse(kind, &h.hash).ok());
        let Some(hash) = hash else {
            return Err(EngineError::StoredHash { bank, kind: h.kind, hash: h.hash });
        };
        hashes.push((bank, hash));
    }
    banks.add_all(&hashes)?;
    banks.compact();
    Ok(banks)
}

/// The banks of `store` for matching, refusing a database without any hash
/// (a matcher with nothing to match against would answer "no match"). With
/// `only`, that bank must exist and hold hashes. `url` names the database in errors.
pub fn for_matching(store: &mut dyn Store, url: &str, only: Option<&str>) -> Result<Banks> {
    let stored = store.banks()?;
    let missing = |what: String| EngineError::NoHashes { url: url.to_owned(), what };
    if stored.is_empty() {
        return Err(missing("no hash banks".into()));
    }
    match only {
        Some(name) => {
            let Some(bank) = stored.iter().find(|b| b.name == name) else {
                return Err(EngineError::NoSuchBank { name: name.to_owned(), url: url.to_owned() });
            };
            if bank.hashes == 0 {
                return Err(missing(format!("no hashes in bank {name:?}")));
            }
        }
        None if !stored.iter().any(|b| b.hashes > 0) => {
            return Err(missing("no hashes in its banks".into()))
        }
        None => {}
    }
    from_store(store)
}

/// Adds each hash-list file as a bank named after the file (the list
/// declares its kind, as `guardrail synth` and `guardrail plant` write it:
/// 64 hex digits may be PDQ or SHA-256).
pub fn add_files(banks: &mut Banks, files: &[PathBuf]) -> Result<()> {
    for path in files {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("bank").to_owned();
        let text = std::fs::read_to_string(path)
            .map_err(|source| EngineError::Read { path: path.clone(), source })?;
        let shown = path.display().to_string();
        let hashes = parse_list(&text, &shown, None)
            .map_err(|source| EngineError::HashList { name: shown.clone(), source })?;
        banks.put_bank(BankInfo { name: name.clone(), action: "review".into(), tags: Vec::new() });
        let hashes: Vec<_> = hashes.into_iter().map(|h| (name.as_str(), h.hash)).collect();
        banks.add_all(&hashes)?;
    }
    Ok(())
}

/// The banks of `store` (if given) and of `files`, compacted; `None` when
/// there is no bank at all.
pub fn gather(store: Option<&mut dyn Store>, files: &[PathBuf]) -> Result<Option<Banks>> {
    let mut banks = match store {
        Some(store) => from_store(store)?,
        None => Banks::new(),
    };
    add_files(&mut banks, files)?;
    banks.compact();
    Ok((!banks.banks().is_empty()).then_some(banks))
}

/// What to import into a bank.
#[derive(Clone, Debug)]
pub struct Import<'a> {
    /// The bank (created if new).
    pub bank: &'a str,
    /// What a match calls for.
    pub action: &'a str,
    /// The bank's tags.
    pub tags: &'a [String],
    /// What the list holds, when it does not declare it (`pdq` or `sha256`).
    pub kind: Option<HashKind>,
    /// The list's text (plain, or a ThreatExchange/HMA CSV or TSV export).
    pub text: &'a str,
    /// The list's name in errors.
    pub name: &'a str,
}

/// What an import did.
#[derive(Clone, Copy, Debug)]
pub struct Imported {
    /// Hashes read from the list.
    pub read: usize,
    /// New and already-stored hashes.
    pub outcome: BankAddOutcome,
}

/// Imports a hash list into a bank, all or nothing: a list that does not
/// parse stores nothing.
pub fn import(store: &mut dyn Store, import: &Import<'_>) -> Result<Imported> {
    if import.kind == Some(HashKind::Md5) {
        return Err(EngineError::Setting {
            field: "kind",
            why: "a list's declared kind is pdq or sha256 (MD5 lists have 32 digits and need no declaration)".into(),
        });
    }
    let hashes = parse_list(import.text, import.name, import.kind)
        .map_err(|source| EngineError::HashList { name: import.name.to_owned(), source })?;
    let rows: Vec<BankHash> = hashes
        .iter()
        .map(|ImportedHash { hash, tags }| BankHash {
            kind: hash.kind().as_str().to_owned(),
            hash: hash.to_hex(),
            tags: tags.iter().map(|t| t.replace(',', " ")).collect(),
        })
        .collect();
    store.put_bank(import.bank, import.action, import.tags)?;
    let outcome = store.add_bank_hashes(import.bank, &rows)?;
    Ok(Imported { read: rows.len(), outcome })
}

/// Parses a hash written as `kind:hex` (`pdq:…`, `md5:…`, `sha256:…`) or as PDQ hex.
pub fn parse_hash(text: &str) -> Result<KnownHash> {
    let refuse = |why: String| EngineError::Hash { text: text.to_owned(), why };
    let (kind, hex) = match text.split_once(':') {
        Some((k, h)) => match HashKind::parse(k) {
            Some(kind) => (kind, h),
            None => {
                return Err(refuse(format!("unknown hash kind {k:?}; one of pdq, md5, sha256")))
            }
        },
        None => (HashKind::Pdq, text),
    };
    KnownHash::parse(kind, hex).map_err(|e| refuse(e.to_string()))
}

/// The media engine's banks, adapted to the graph loader's [`MediaCheck`].
///
/// The graph's trait has no way to fail, so the first matching error is kept
/// and [`BankCheck::finish`] returns it: a check that failed never reads as
/// "no match".
pub struct BankCheck {
    banks: Arc<Banks>,
    radius: u32,
    error: Mutex<Option<(String, MediaError)>>,
}

impl BankCheck {
    /// Checks posts' media against `banks` within a PDQ `radius` (checked).
    pub fn new(banks: Banks, radius: u32) -> Result<BankCheck> {
        Ok(BankCheck {
            banks: Arc::new(banks),
            radius: check_radius(radius)?,
            error: Mutex::new(None),
        })
    }

    /// The banks.
    pub fn banks(&self) -> &Arc<Banks> {
        &self.banks
    }

    fn fail(&self, post: &PostEvent, err: MediaError) {
        let mut first = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert_with(|| (post.post.as_str().to_owned(), err));
    }

    /// The first error any check met, if one did (taken: a second call is `Ok`).
    pub fn finish(&self) -> Result<()> {
        let mut first = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match first.take() {
            Some((post, source)) => Err(EngineError::MediaCheck { post, source }),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for BankCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankCheck")
            .field("banks", &self.banks.banks().len())
            .field("radius", &self.radius)
            .finish_non_exhaustive()
    }
}

impl MediaCheck for BankCheck {
    fn check(&self, post: &PostEvent) -> Vec<HashHit> {
        let mut hits = Vec::new();
        for m in &post.media {
            let mut exact = Vec::new();
            if let Some(h) = m.md5 {
                exact.push(KnownHash::Md5(h));
            }
            if let Some(h) = m.sha256 {
                exact.push(KnownHash::Sha256(h));
            }
            let mut found = match self.banks.match_exact(&exact, None) {
                Ok(found) => found,
                Err(err) => {
                    self.fail(post, err);
                    Vec::new()
                }
            };
            if let Some(p) = m.pdq {
                match self.banks.match_pdq(&[PdqHash::from(p)], self.radius, None) {
                    Ok(more) => found.extend(more),
                    Err(err) => self.fail(post, err),
                }
            }
            for f in found {
                hits.push(HashHit {
                    post: post.post.as_str().to_owned(),
                    bank: f.bank,
                    kind: f.hash.kind().as_str().to_owned(),
                    distance: f.distance,
                });
            }
        }
        hits
    }
}

/// Reads a file's text, naming it in the error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|source| EngineError::Read { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_radius_out_of_range_is_refused_not_read_as_no_seeds() {
        assert!(check_radius(96).is_ok());
        let err = BankCheck::new(Banks::new(), 100).unwrap_err();
        assert!(matches!(err, EngineError::Setting { field: "radius", .. }), "{err}");
    }

    #[test]
    fn hashes_as_text() {
        let pdq = "f".repeat(64);
        assert!(matches!(parse_hash(&pdq).unwrap(), KnownHash::Pdq(_)));
        assert!(matches!(parse_hash(&format!("sha256:{pdq}")).unwrap(), KnownHash::Sha256(_)));
        assert!(matches!(parse_hash("sha1:00"), Err(EngineError::Hash { .. })));
        assert!(matches!(parse_hash("md5:zz"), Err(EngineError::Hash { .. })));
    }
}
