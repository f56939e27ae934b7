//! Hash banks: named lists of known PDQ, MD5 and SHA-256 hashes, each bank
//! with the action a match calls for and tags; import from the formats that
//! hash lists come in; and [`Banks`], the in-memory matcher over all of them.
//!
//! Import formats (detected from the first line that is not a comment):
//!
//! - **Plain text**: one hash a line; `#` starts a comment; blank lines are
//!   skipped. 32 hex digits are MD5; 64 are PDQ or SHA-256, which have the
//!   same length, so the kind must be declared: by the caller (the `declared` argument), or
//!   by a comment line `# kind: pdq` (or `sha256`) before the first hash. An
//!   undeclared 64-digit list is refused, never guessed.
//! - **CSV or TSV with a header**, as ThreatExchange and Hasher-Matcher-Actioner
//!   tooling export them. The hash column is the first of `signal_value`,
//!   `hash_value`, `hash`, `td_raw_indicator`, `indicator`, `pdq`, `md5`,
//!   `sha256`; the kind comes from `signal_type`, `hash_type`, `type` or
//!   `td_indicator_type` (`pdq`, `md5`, `sha256`, also `HASH_PDQ`,
//!   `video_md5`, `photo_md5`...) or from the column's name; tags from
//!   `tags`, `signal_tags` or `td_tags` (split on spaces, commas, semicolons).
//!
//! A list with any malformed line is rejected whole, with every bad line's
//! number and reason, so a half-imported list never reaches a bank. A list
//! without any hash (empty, or only comments) is an error naming the list, a
//! table whose header names no hash column says which headers it found, and
//! a declared kind that disagrees with the table's kinds is refused.

use std::collections::HashMap;

use guardrail_core::{Md5, Sha256};

use crate::index::{EntryId, HashIndex};
use crate::pdq::PdqHash;
use crate::MediaError;

/// What a bank hash is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashKind {
    /// PDQ perceptual hash (matched within a radius).
    Pdq,
    /// MD5 of the file bytes (exact).
    Md5,
    /// SHA-256 of the file bytes (exact).
    Sha256,
}

impl HashKind {
    /// `pdq`, `md5` or `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashKind::Pdq => "pdq",
            HashKind::Md5 => "md5",
            HashKind::Sha256 => "sha256",
        }
    }

    /// Reads the kind names of guardrail, ThreatExchange and HMA exports.
    pub fn parse(text: &str) -> Option<HashKind> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("hash_").unwrap_or(&t);
        Some(match t {
            "pdq" | "photo_pdq" | "pdq_photo" => HashKind::Pdq,
            "md5" | "video_md5" | "photo_md5" | "md5_video" | "md5_photo" => HashKind::Md5,
            "sha256" | "sha-256" | "video_sha256" | "photo_sha256" => HashKind::Sha256,
            _ => return None,
        })
    }
}

/// A parsed hash of any kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KnownHash {
    /// PDQ.
    Pdq(PdqHash),
    /// MD5.
    Md5(Md5),
    /// SHA-256.
    Sha256(Sha256),
}

/// Why [`KnownHash::parse`] refused a text: the kind it was read as, the
/// text, and what is wrong with its hex digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} hash {text:?}: {error}", kind.as_str())]
pub struct HashParseError {
    /// The kind it was read as.
    pub kind: HashKind,
    /// The text (trimmed).
    pub text: String,
    /// What is wrong with it.
    pub error: guardrail_core::HexError,
}

impl KnownHash {
    /// Parses hex digits as a hash of `kind`.
    pub fn parse(kind: HashKind, hex: &str) -> Result<KnownHash, HashParseError> {
        let hex = hex.trim();
        let r = match kind {
            HashKind::Pdq => PdqHash::from_hex(hex).map(KnownHash::Pdq),
            HashKind::Md5 => Md5::from_hex(hex).map(KnownHash::Md5),
            HashKind::Sha256 => Sha256::from_hex(hex).map(KnownHash::Sha256),
        };
        r.map_err(|error| HashParseError { kind, text: hex.to_owned(), error })
    }

    /// Its kind.
    pub fn kind(&self) -> HashKind {
        match self {
            KnownHash::Pdq(_) => HashKind::Pdq,
            KnownHash::Md5(_) => HashKind::Md5,
            KnownHash::Sha256(_) => HashKind::Sha256,
        }
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        match self {
            KnownHash::Pdq(h) => h.to_hex(),
            KnownHash::Md5(h) => h.to_hex(),
            KnownHash::Sha256(h) => h.to_hex(),
        }
    }
}

/// One imported line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedHash {
    /// The hash.
    pub hash: KnownHash,
    /// Its tags from the list (may be empty).
    pub tags: Vec<String>,
}

const MAX_REPORTED: usize = 20;

/// The column names that hold hashes, as [`hash_column`] knows them.
const HASH_COLUMNS: &str =
    "signal_value, hash_value, hash, td_raw_indicator, indicator, pdq, md5, sha256";

/// Parses a hash list (see the module documentation for the formats).
/// `declared` is the kind the caller says the list holds: it
/// decides what 64-digit lines of a plain list are, and must agree with a
/// table's kinds; without it, a plain list must declare itself with a
/// `# kind: ...` line when it has 64-digit hashes. `source_name` names the
/// input in errors.
pub fn parse_list(
    text: &str,
    source_name: &str,
    declared: Option<HashKind>,
) -> Result<Vec<ImportedHash>, MediaError> {
    let refuse = |why: String| MediaError::BankList { source_name: source_name.to_owned(), why };
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(first) = first else {
        return Err(refuse("no hashes in it (it is empty or holds only comments)".into()));
    };
    let fields: Vec<&str> = first.split(['\t', ',']).map(str::trim).collect();
    let is_table = fields.len() > 1 || hash_column(first).is_some();
    if is_table && !fields.iter().any(|c| hash_column(c).is_some()) {
        let names: Vec<String> = fields.iter().map(|f| format!("{f:?}")).collect();
        let (noun, list) = if names.len() == 1 {
            ("header", names[0].clone())
        } else {
            ("headers", names.join(", "))
        };
        return Err(refuse(format!(
            "unknown column {noun} {list} (expected a hash column: {HASH_COLUMNS})"
        )));
    }
    let mut errors = Vec::new();
    let out = if is_table {
        parse_table(text, declared, &mut errors)
    } else {
        let comment = plain_declaration(text).map_err(&refuse)?;
        let kind64 = match (declared, comment) {
            (Some(a), Some(b)) if a != b => {
                return Err(refuse(format!(
                    "declared {} but its `# kind:` line says {}",
                    a.as_str(),
                    b.as_str()
                )));
            }
            (a, b) => a.or(b),
        };
        parse_plain(text, kind64, &mut errors).map_err(|line| MediaError::UndeclaredKind {
            source_name: source_name.to_owned(),
            line,
        })?
    };
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(MediaError::BankImport { source_name: source_name.to_owned(), errors });
    }
    if out.is_empty() {
        return Err(refuse("no hashes in it (only a header)".into()));
    }
    Ok(out)
}

/// The kind a plain list declares in a `# kind: NAME` comment before its first hash.
fn plain_declaration(text: &str) -> Result<Option<HashKind>, String> {
    for line in text.lines().map(str::trim) {
        let Some(comment) = line.strip_prefix('#') else {
            if line.is_empty() {
                continue;
            }
            return Ok(None);
        };
        let comment = comment.trim();
        let Some(rest) = comment.strip_prefix("kind") else { continue };
        let Some(name) = rest.trim_start().strip_prefix([':', '=']) else { continue };
        let name = name.trim();
        return match HashKind::parse(name) {
            Some(kind) => Ok(Some(kind)),
            None => Err(format!("unknown hash kind {name:?} in `# kind:` (pdq, md5 or sha256)")),
        };
    }
    Ok(None)
}

/// Parses a plain list; `Err(line)` when a 64-digit line has no declared kind.
fn parse_plain(
    text: &str,
    kind64: Option<HashKind>,
    errors: &mut Vec<(usize, String)>,
) -> Result<Vec<ImportedHash>, usize> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let kind = match line.len() {
            32 => HashKind::Md5,
            64 => match kind64 {
                Some(HashKind::Md5) => {
                    errors.push((n + 1, "64 hex digits, but the list is declared md5".into()));
                    continue;
                }
                Some(kind) => kind,
                None => return Err(n + 1),
            },
            len => {
                errors.push((
                    n + 1,
                    format!("{len} characters: a hash is 32 (MD5) or 64 (PDQ, SHA-256) hex digits"),
                ));
                continue;
            }
        };
        match KnownHash::parse(kind, line) {
            Ok(hash) => out.push(ImportedHash { hash, tags: Vec::new() }),
            Err(why) => errors.push((n + 1, why.to_string())),
        }
    }
    Ok(out)
}

/// Which kind a hash column's name implies, if it is one.
fn hash_column(name: &str) -> Option<Option<HashKind>> {
    match name.trim().to_ascii_lowercase().as_str() {
        "signal_value" | "hash_value" | "hash" | "td_raw_indicator" | "indicator" => Some(None),
        "pdq" => Some(Some(HashKind::Pdq)),
        "md5" => Some(Some(HashKind::Md5)),
        "sha256" => Some(Some(HashKind::Sha256)),
        _ => None,
    }
}

fn parse_table(
    text: &str,
    declared: Option<HashKind>,
    errors: &mut Vec<(usize, String)>,
) -> Vec<ImportedHash> {
    // Skip leading comment lines; remember how many for line numbers.
    let skipped =
        text.lines().take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#')).count();
    let body: String = text.lines().skip(skipped).collect::<Vec<_>>().join("\n");
    let header_line = body.lines().next().unwrap_or("");
    let delimiter = if header_line.contains('\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let Ok(headers) = reader.headers().cloned() else {
        errors.push((skipped + 1, "unreadable header".into()));
        return Vec::new();
    };
    let find = |names: &[&str]| {
        names.iter().find_map(|n| headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
    };
    let hash_col = headers.iter().position(|h| hash_column(h).is_some());
    let Some(hash_col) = hash_col else {
        errors.push((skipped + 1, "no hash column in the header".into()));
        return Vec::new();
    };
    let implied = hash_column(&headers[hash_col]).flatten();
    if let (Some(declared), Some(implied)) = (declared, implied) {
        if declared != implied {
            errors.push((
                skipped + 1,
                format!(
                    "the list is declared {} but its column {:?} holds {} hashes",
                    declared.as_str(),
                    &headers[hash_col],
                    implied.as_str()
                ),
            ));
            return Vec::new();
        }
    }
    let kind_col = find(&["signal_type", "hash_type", "type", "td_indicator_type"]);
    let tags_col = find(&["tags", "signal_tags", "td_tags"]);
    if implied.is_none() && kind_col.is_none() {
        errors.push((
            skipped + 1,
            format!(
                "column {:?} needs a type column (signal_type, hash_type, type)",
                &headers[hash_col]
            ),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize) + skipped;
                errors.push((line, e.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize) + skipped;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let kind = match (implied, kind_col) {
            (Some(k), _) => k,
            (None, Some(c)) => match HashKind::parse(&record[c]) {
                Some(k) => k,
                None => {
                    errors.push((line, format!("unknown hash type {:?}", &record[c])));
                    continue;
                }
            },
            (None, None) => unreachable!("checked above"),
        };
        if let Some(declared) = declared.filter(|d| *d != kind) {
            errors.push((
                line,
                format!("a {} hash, but the list is declared {}", kind.as_str(), declared.as_str()),
            ));
            continue;
        }
        let tags = tags_col
            .map(|c| {
                record[c]
                    .split([' ', ',', ';'])
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        match KnownHash::parse(kind, &record[hash_col]) {
            Ok(hash) => out.push(ImportedHash { hash, tags }),
            Err(why) => errors.push((line, why.to_string())),
        }
    }
    out
}

/// A bank's description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankInfo {
    /// Unique name.
    pub name: String,
    /// What a match calls for (`review`, `block`, `report`...).
    pub action: String,
    /// Labels.
    pub tags: Vec<String>,
}

/// One match of a piece of media against a bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankMatch {
    /// The bank's name.
    pub bank: String,
    /// The bank's action.
    pub action: String,
    /// The matched stored hash.
    pub hash: KnownHash,
    /// Bits apart (0 for exact kinds).
    pub distance: u32,
}

/// Every bank in memory: a [`HashIndex`] over all PDQ hashes (the payload is
/// the bank number) and hash maps for the exact kinds. Adding and removing
/// hashes is incremental; [`Banks::add_all`] loads a list with one rebuild.
#[derive(Default)]
pub struct Banks {
    banks: Vec<BankInfo>,
    by_name: HashMap<String, u32>,
    pdq: HashIndex,
    exact: HashMap<KnownHash, Vec<u32>>,
}

impl Banks {
    /// No banks.
    pub fn new() -> Banks {
        Banks::default()
    }

    /// Adds (or updates) a bank's description.
    pub fn put_bank(&mut self, info: BankInfo) {
        match self.by_name.get(&info.name) {
            Some(&b) => self.banks[b as usize] = info,
            None => {
                self.by_name.insert(info.name.clone(), self.banks.len() as u32);
                self.banks.push(info);
            }
        }
    }

    /// The banks, in the order they were added.
    pub fn banks(&self) -> &[BankInfo] {
        &self.banks
    }

    fn bank(&self, name: &str) -> Result<u32, MediaError> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| MediaError::NoSuchBank { name: name.to_owned() })
    }

    /// Adds a hash to a bank; returns false if it was already there.
    pub fn add(&mut self, bank: &str, hash: KnownHash) -> Result<bool, MediaError> {
        let b = self.bank(bank)?;
        match hash {
            KnownHash::Pdq(h) => {
                if self.pdq_entry(b, &h).is_some() {
                    return Ok(false);
                }
                self.pdq.insert(h, b)?;
            }
            other => return Ok(self.add_exact(b, other)),
        }
        Ok(true)
    }

    /// Adds many hashes (a bank's list, or every bank's at a start) with at
    /// most one rebuild of the PDQ tables; returns how many were new. All
    /// or nothing: an unknown bank name adds none.
    pub fn add_all<S: AsRef<str>>(
        &mut self,
        entries: &[(S, KnownHash)],
    ) -> Result<usize, MediaError> {
        let mut banks = Vec::with_capacity(entries.len());
        let mut last: Option<(&str, u32)> = None;
        for (name, _) in entries {
            let name = name.as_ref();
            let b = match last {
                Some((n, b)) if n == name => b,
                _ => self.bank(name)?,
            };
            last = Some((name, b));
            banks.push(b);
        }
        let mut pending: Vec<(PdqHash, u32)> = entries
            .iter()
            .zip(&banks)
            .filter_map(|((_, hash), &b)| match *hash {
                KnownHash::Pdq(h) => Some((h, b)),
                _ => None,
            })
            .collect();
        pending.sort_unstable();
        pending.dedup();
        if !self.pdq.is_empty() {
            // Each look-up scans the insert buffer: before a long list, fold
            // the buffer into the tables (one rebuild instead of a scan of
            // the buffer per hash).
            if pending.len().saturating_mul(self.pdq.buffered()) > self.pdq.len().max(1 << 16) {
                self.pdq.compact();
            }
            pending.retain(|&(h, b)| self.pdq_entry(b, &h).is_none());
        }
        self.pdq.insert_many(&pending)?;
        let mut added = pending.len();
        for ((_, hash), &b) in entries.iter().zip(&banks) {
            if !matches!(hash, KnownHash::Pdq(_)) {
                added += usize::from(self.add_exact(b, *hash));
            }
        }
        Ok(added)
    }

    /// The live index entry of `hash` in bank `b`: a radius-0 query (one
    /// bucket) instead of a map beside the index, which would cost more
    /// memory than the index's own tables.
    fn pdq_entry(&self, b: u32, hash: &PdqHash) -> Option<EntryId> {
        let hits = self.pdq.query(hash, 0).expect("radius 0 is valid");
        hits.into_iter().map(|hit| hit.id).find(|&id| self.pdq.payload(id) == Some(b))
    }

    fn add_exact(&mut self, b: u32, hash: KnownHash) -> bool {
        let banks = self.exact.entry(hash).or_default();
        if banks.contains(&b) {
            return false;
        }
        banks.push(b);
        true
    }

    /// Removes a hash from a bank; returns whether it was there.
    pub fn remove(&mut self, bank: &str, hash: &KnownHash) -> Result<bool, MediaError> {
        let b = self.bank(bank)?;
        Ok(match hash {
            KnownHash::Pdq(h) => match self.pdq_entry(b, h) {
                Some(id) => self.pdq.remove(id),
                None => false,
            },
            other => match self.exact.get_mut(other) {
                Some(banks) => {
                    let before = banks.len();
                    banks.retain(|&x| x != b);
                    before != banks.len()
                }
                None => false,
            },
        })
    }

    /// Rebuilds the PDQ index's tables (after a bulk load).
    pub fn compact(&mut self) {
        self.pdq.compact();
    }

    /// Number of PDQ hashes held.
    pub fn pdq_len(&self) -> usize {
        self.pdq.len()
    }

    fn matched(&self, b: u32, hash: KnownHash, distance: u32) -> BankMatch {
        let info = &self.banks[b as usize];
        BankMatch { bank: info.name.clone(), action: info.action.clone(), hash, distance }
    }

    /// Matches of one image's PDQ hashes (one, or its eight dihedral
    /// variants) within `radius`, in `only` bank if given; nearest first.
    pub fn match_pdq(
        &self,
        hashes: &[PdqHash],
        radius: u32,
        only: Option<&str>,
    ) -> Result<Vec<BankMatch>, MediaError> {
        let mut out = Vec::new();
        self.match_pdq_into(hashes, radius, only, &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    /// Like [`Banks::match_pdq`], appending to `out` and using `scratch` for
    /// the index's hits, so a caller that matches many images reuses both.
    pub fn match_pdq_into(
        &self,
        hashes: &[PdqHash],
        radius: u32,
        only: Option<&str>,
        scratch: &mut Vec<crate::index::Hit>,
        out: &mut Vec<BankMatch>,
    ) -> Result<(), MediaError> {
        let only = only.map(|name| self.bank(name)).transpose()?;
        self.pdq.query_any_into(hashes, radius, scratch)?;
        out.extend(scratch.iter().filter_map(|hit| {
            let b = self.pdq.payload(hit.id)?;
            if only.is_some_and(|o| o != b) {
                return None;
            }
            Some(self.matched(b, KnownHash::Pdq(self.pdq.hash(hit.id)?), hit.distance))
        }));
        Ok(())
    }

    /// Exact matches of file digests, in `only` bank if given.
    pub fn match_exact(
        &self,
        digests: &[KnownHash],
        only: Option<&str>,
    ) -> Result<Vec<BankMatch>, MediaError> {
        let only = only.map(|name| self.bank(name)).transpose()?;
        let mut out = Vec::new();
        for d in digests {
            for &b in self.exact.get(d).map(Vec::as_slice).unwrap_or_default() {
                if only.is_none_or(|o| o == b) {
                    out.push(self.matched(b, *d, 0));
                }
            }
        }
        Ok(out)
    }
}

/// MD5 and SHA-256 of file bytes, for the exact banks.
pub fn digests(bytes: &[u8]) -> [KnownHash; 2] {
    digests_of(bytes).expect("reading a slice cannot fail")
}

/// MD5 and SHA-256 of a stream (a video file) without holding it in memory.
pub fn digests_of(mut reader: impl std::io::Read) -> std::io::Result<[KnownHash; 2]> {
    use md5::Digest as _;
    let (mut md5, mut sha) = (md5::Md5::new(), sha2::Sha256::new());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    Ok([
        KnownHash::Md5(Md5(md5.finalize().into())),
        KnownHash::Sha256(Sha256(sha.finalize().into())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_hash_is_a_typed_error_callers_can_branch_on() {
        // See: #25 (no string catch-alls in library signatures).
        let err = KnownHash::parse(HashKind::Md5, " 12 ").unwrap_err();
        assert_eq!(err.kind, HashKind::Md5);
        assert_eq!(err.text, "12");
        assert!(matches!(err.error, guardrail_core::HexError::Length { expected: 32, found: 2 }));
        assert_eq!(err.to_string(), "md5 hash \"12\": ".to_owned() + &err.error.to_string());
    }

    const P1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn plain_lists_with_comments_and_kinds() {
        let text = format!("# a list\n{P1}\n\n0123456789abcdef0123456789abcdef  # md5\n");
        let got = parse_list(&text, "t", Some(HashKind::Pdq)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].hash.kind(), HashKind::Pdq);
        assert_eq!(got[1].hash.kind(), HashKind::Md5);
        let sha = parse_list(P1, "t", Some(HashKind::Sha256)).unwrap();
        assert_eq!(sha[0].hash.kind(), HashKind::Sha256);
    }

    #[test]
    fn malformed_lines_are_all_reported_with_numbers() {
        let text = format!("{P1}\nnot-a-hash\n{}\nzz{}\n", &P1[..60], &P1[2..]);
        let err = parse_list(&text, "list.txt", Some(HashKind::Pdq)).unwrap_err();
        let MediaError::BankImport { source_name, errors } = &err else { panic!("{err}") };
        assert_eq!(source_name, "list.txt");
        let lines: Vec<usize> = errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(err.to_string().contains("line 4"), "{err}");
    }

    #[test]
    fn threatexchange_and_hma_style_tables() {
        let te = format!("signal_type,signal_value,tags\npdq,{P1},a b\nvideo_md5,0123456789abcdef0123456789abcdef,\n");
        let got = parse_list(&te, "te.csv", None).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].tags, vec!["a", "b"]);
        assert_eq!(got[1].hash.kind(), HashKind::Md5);
        let tsv = format!("td_raw_indicator\ttd_indicator_type\n{P1}\tHASH_PDQ\n");
        assert_eq!(parse_list(&tsv, "x.tsv", None).unwrap().len(), 1);
        let pdq_col = format!("pdq,quality\n{P1},100\n");
        assert_eq!(parse_list(&pdq_col, "y.csv", None).unwrap().len(), 1);
        let bad = format!("signal_type,signal_value\npdq,{P1}\nphash,{P1}\npdq,{P1},extra\n");
        let err = parse_list(&bad, "bad.csv", None).unwrap_err();
        let MediaError::BankImport { errors, .. } = &err else { panic!("{err}") };
        assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![3, 4], "{err}");
    }

    // See: #26
    #[test]
    fn kinds_are_declared_never_guessed_and_empty_lists_are_refused() {
        let err = parse_list(&format!("{P1}\n"), "sha.txt", None).unwrap_err().to_string();
        assert!(err.contains("sha.txt: line 1: 64 hex digits are a PDQ or a SHA-256"), "{err}");
        assert!(err.contains("declare the list's kind"), "{err}");
        let declared = parse_list(&format!("# kind: sha256\n{P1}\n"), "t", None).unwrap();
        assert_eq!(declared[0].hash.kind(), HashKind::Sha256);
        let err = parse_list(&format!("# kind: sha256\n{P1}\n"), "t", Some(HashKind::Pdq));
        assert!(err.unwrap_err().to_string().contains("declared pdq but"));
        // MD5 needs no declaration: 32 digits are only ever MD5.
        let md5 = parse_list("0123456789abcdef0123456789abcdef\n", "t", None).unwrap();
        assert_eq!(md5[0].hash.kind(), HashKind::Md5);
        // A declared kind that disagrees with a table is refused.
        let csv = format!("sha256\n{P1}\n");
        assert_eq!(parse_list(&csv, "c.csv", None).unwrap()[0].hash.kind(), HashKind::Sha256);
        let err = parse_list(&csv, "c.csv", Some(HashKind::Pdq)).unwrap_err().to_string();
        assert!(err.contains("declared pdq but its column \"sha256\" holds sha256"), "{err}");
        let typed = format!("signal_type,signal_value\npdq,{P1}\n");
        let err = parse_list(&typed, "t.csv", Some(HashKind::Sha256)).unwrap_err().to_string();
        assert!(err.contains("line 2: a pdq hash, but the list is declared sha256"), "{err}");
        for empty in ["", "\n\n", "# only\n# comments\n"] {
            let err = parse_list(empty, "empty.txt", Some(HashKind::Pdq)).unwrap_err().to_string();
            assert!(err.contains("empty.txt: no hashes"), "{err}");
        }
        let err = parse_list("signal_type,signal_value\n", "h.csv", None).unwrap_err();
        assert!(err.to_string().contains("h.csv: no hashes"), "{err}");
        let err = parse_list(&format!("signal_kind,value_of_hash\npdq,{P1}\n"), "u.csv", None);
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("unknown column headers \"signal_kind\", \"value_of_hash\" (expected a hash column: signal_value"),
            "{err}"
        );
    }

    /// Banks `a` (review) and `b` (block), empty.
    fn two_banks() -> Banks {
        let mut banks = Banks::new();
        banks.put_bank(BankInfo { name: "a".into(), action: "review".into(), tags: vec![] });
        banks.put_bank(BankInfo { name: "b".into(), action: "block".into(), tags: vec![] });
        banks
    }

    #[test]
    fn bulk_adds_skip_repeats_and_reject_unknown_banks_whole() {
        let mut banks = two_banks();
        let h = PdqHash::from_hex(P1).unwrap();
        let mut g = h;
        g.0[3] ^= u64::MAX;
        let md5 = digests(b"x")[0];
        assert!(banks.add("a", KnownHash::Pdq(h)).unwrap());
        let list = [
            ("a", KnownHash::Pdq(h)),
            ("a", KnownHash::Pdq(g)),
            ("a", KnownHash::Pdq(g)),
            ("b", KnownHash::Pdq(h)),
            ("b", md5),
            ("b", md5),
        ];
        assert_eq!(banks.add_all(&list).unwrap(), 3);
        assert_eq!(banks.pdq_len(), 3);
        assert_eq!(banks.add_all(&list).unwrap(), 0);
        let err = banks.add_all(&[("a", KnownHash::Pdq(g)), ("nope", md5)]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        assert_eq!(banks.pdq_len(), 3);
        assert!(banks.remove("b", &KnownHash::Pdq(h)).unwrap());
        assert!(!banks.remove("b", &KnownHash::Pdq(h)).unwrap());
        let m = banks.match_pdq(&[h], 0, None).unwrap();
        assert_eq!(m.iter().map(|m| m.bank.as_str()).collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(banks.match_exact(&[md5], None).unwrap().len(), 1);
    }

    #[test]
    fn banks_match_and_forget() {
        let mut banks = two_banks();
        let h = PdqHash::from_hex(P1).unwrap();
        assert!(banks.add("a", KnownHash::Pdq(h)).unwrap());
        assert!(!banks.add("a", KnownHash::Pdq(h)).unwrap());
        assert!(banks.add("b", KnownHash::Pdq(h)).unwrap());
        let mut near = h;
        near.0[0] ^= 0b111;
        let m = banks.match_pdq(&[near], 31, None).unwrap();
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|m| m.distance == 3));
        assert_eq!(banks.match_pdq(&[near], 31, Some("b")).unwrap().len(), 1);
        assert!(matches!(
            banks.match_pdq(&[near], 31, Some("nope")),
            Err(MediaError::NoSuchBank { .. })
        ));
        assert!(matches!(banks.match_pdq(&[near], 97, None), Err(MediaError::Radius { .. })));
        // The buffered form gives the same answer with reused buffers.
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            out.clear();
            banks.match_pdq_into(&[near], 31, None, &mut scratch, &mut out).unwrap();
            assert_eq!(out, m);
        }
        assert!(banks.remove("a", &KnownHash::Pdq(h)).unwrap());
        assert_eq!(banks.match_pdq(&[near], 31, None).unwrap()[0].bank, "b");
        let d = digests(b"hello");
        assert_eq!(d[0].to_hex(), "5d41402abc4b2a76b9719d911017c592");
        banks.add("a", d[1]).unwrap();
        assert_eq!(banks.match_exact(&d, None).unwrap().len(), 1);
    }
}
