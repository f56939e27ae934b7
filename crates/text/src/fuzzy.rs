//! Near-variants of blocked terms: a symmetric-deletion index (the SymSpell
//! idea) over term keys, verified with the optimal-string-alignment distance.
//!
//! A term of 5 to 7 letters (as written in the lexicon) allows 1 edit, 8 or
//! more allow 2; shorter terms only match exactly (one edit on a four-letter
//! word reaches too many ordinary words). Distances are measured between
//! keys, where repeats are already collapsed. Written here because the crates
//! for this either index a single edit distance for everything or allocate
//! per query.

use rustc_hash::FxHashMap;

use crate::words::BitFilter;

/// The edits allowed for a term of `len` letters.
pub(crate) fn max_edits(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

pub(crate) struct Fuzzy {
    /// Deletion variant (by its 64-bit polynomial hash, [`poly_hash`]; a
    /// collision only adds a candidate that the distance check then
    /// rejects) -> terms.
    deletes: FxHashMap<u64, Vec<u32>>,
    /// The deletion hashes present: most variants of an ordinary word are
    /// not in the index, and this answers that from a table that stays in
    /// cache instead of a probe of `deletes`.
    filter: BitFilter,
    terms: Vec<(Box<[u8]>, u32, usize)>,
    /// The most edits any indexed term allows.
    depth: usize,
    /// Word lengths (up to 63) within reach of some term.
    lengths: u64,
    /// First and last bytes of the terms: with one edit, a word keeps one of
    /// them, which rules most words out without a lookup.
    firsts: [bool; 256],
    lasts: [bool; 256],
}

/// Longest word looked up (a u64 bitmask holds the lengths in reach).
const MAX: usize = 63;

/// Base of the polynomial hash of deletion variants (odd, so a power of it
/// is never 0 modulo 2^64).
const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

/// The polynomial hash `sum(byte_k * BASE^(len - 1 - k))` modulo 2^64 of
/// `word` (bytes offset by one so that a zero byte still counts). Unlike
/// FNV, the hash of a concatenation follows from the parts'
/// (`h(ab) = h(a) * BASE^|b| + h(b)`), so every deletion variant's hash
/// costs a few multiplications. A collision only adds a candidate that the
/// distance check then rejects.
fn poly_hash(word: &[u8]) -> u64 {
    word.iter().fold(0u64, |h, &b| h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1))
}

/// Calls `f` with the hash ([`poly_hash`]) of `word` and of every string
/// made by deleting one, and (with `depth` 2) two, of its bytes. Deleting
/// the second of two equal letters gives the same string as deleting the
/// first, so it is skipped. The strings are never built: prefix hashes and
/// powers of the base give each variant's hash directly.
fn each_deletion(word: &[u8], depth: usize, mut f: impl FnMut(u64)) {
    let n = word.len();
    if depth == 0 || n > MAX {
        f(poly_hash(word));
        return;
    }
    // prefix[i] = h(word[..i]); power[i] = BASE^i.
    let mut prefix = [0u64; MAX + 1];
    let mut power = [1u64; MAX + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i].wrapping_mul(BASE).wrapping_add(u64::from(word[i]) + 1);
        power[i + 1] = power[i].wrapping_mul(BASE);
    }
    // h(word[a..b]) from the prefix hashes.
    let part = |a: usize, b: usize| prefix[b].wrapping_sub(prefix[a].wrapping_mul(power[b - a]));
    f(prefix[n]);
    for i in 0..n {
        if i > 0 && word[i] == word[i - 1] {
            continue;
        }
        // word[..i] + word[i+1..]
        let tail = part(i + 1, n);
        f(prefix[i].wrapping_mul(power[n - 1 - i]).wrapping_add(tail));
        if depth < 2 {
            continue;
        }
        for k in i + 1..n {
            if k > i + 1 && word[k] == word[k - 1] {
                continue;
            }
            // word[..i] + word[i+1..k] + word[k+1..]
            let h = prefix[i]
                .wrapping_mul(power[k - i - 1])
                .wrapping_add(part(i + 1, k))
                .wrapping_mul(power[n - 1 - k])
                .wrapping_add(part(k + 1, n));
            f(h);
        }
    }
}

impl Fuzzy {
    /// Indexes `(key, entry, allowed edits)` triples.
    pub(crate) fn new(terms: &[(String, u32, usize)]) -> Fuzzy {
        let mut deletes: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        let mut list = Vec::new();
        for (key, entry, edits) in terms {
            let (bytes, edits) = (key.as_bytes(), *edits);
            if edits == 0 || bytes.len() < 4 || bytes.len() > MAX {
                continue;
            }
            let id = list.len() as u32;
            list.push((Box::<[u8]>::from(bytes), *entry, edits));
            each_deletion(bytes, edits, |h| {
                let ids = deletes.entry(h).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            });
        }
        let filter = BitFilter::new(deletes.keys().copied());
        let depth = list.iter().map(|(_, _, e)| *e).max().unwrap_or(0);
        let mut lengths = 0u64;
        let (mut firsts, mut lasts) = ([false; 256], [false; 256]);
        for (t, _, e) in &list {
            for len in t.len().saturating_sub(*e)..=t.len() + e {
                if len < 64 {
                    lengths |= 1 << len;
                }
            }
            firsts[t[0] as usize] = true;
            lasts[t[t.len() - 1] as usize] = true;
        }
        Fuzzy { deletes, filter, terms: list, depth, lengths, firsts, lasts }
    }

    /// The closest indexed term within its allowed edits of `word`, among
    /// entries `allowed` accepts: `(entry, distance)`. `seen` is scratch.
    pub(crate) fn best(
        &self,
        word: &[u8],
        seen: &mut Vec<u32>,
        allowed: impl Fn(u32) -> bool,
    ) -> Option<(u32, u32)> {
        if self.terms.is_empty()
            || word.len() < 4
            || word.len() > MAX
            || self.lengths & (1u64 << word.len()) == 0
            || (self.depth == 1
                && !self.firsts[word[0] as usize]
                && !self.lasts[word[word.len() - 1] as usize])
        {
            return None;
        }
        seen.clear();
        let mut best: Option<(u32, u32)> = None;
        each_deletion(word, self.depth, |h| {
            if !self.filter.may_contain(h) {
                return;
            }
            let Some(ids) = self.deletes.get(&h) else { return };
            for &id in ids {
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let (term, entry, edits) = &self.terms[id as usize];
                if !allowed(*entry) || word.len().abs_diff(term.len()) > *edits {
                    continue;
                }
                let d = osa(word, term);
                if d == 0 || d > *edits {
                    continue;
                }
                if best.is_none_or(|(_, bd)| (d as u32) < bd) {
                    best = Some((*entry, d as u32));
                }
            }
        });
        best
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps), for
/// strings of at most [`MAX`] bytes (longer ones are never indexed or looked
/// up); rows live on the stack.
pub(crate) fn osa(a: &[u8], b: &[u8]) -> usize {
    let (n, m) = (a.len(), b.len());
    // Distances stay below 2 * MAX + 2 < 256.
    assert!(n <= MAX && m <= MAX, "osa on strings longer than {MAX} bytes");
    let mut prev2 = [0u8; MAX + 1];
    let mut prev = [0u8; MAX + 1];
    let mut cur = [0u8; MAX + 1];
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j as u8;
    }
    for i in 1..=n {
        cur[0] = i as u8;
        for j in 1..=m {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    usize::from(prev[m])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lev_naive(a: &[u8], b: &[u8]) -> usize {
        if a.is_empty() {
            return b.len();
        }
        if b.is_empty() {
            return a.len();
        }
        let sub = lev_naive(&a[1..], &b[1..]) + usize::from(a[0] != b[0]);
        sub.min(lev_naive(&a[1..], b) + 1).min(lev_naive(a, &b[1..]) + 1)
    }

    #[test]
    fn finds_close_terms_only() {
        let f = Fuzzy::new(&[
            ("vorbiat".into(), 0, 1),
            ("grumbiewedmenu".into(), 1, 2),
            ("cp".into(), 2, 0),
        ]);
        let mut buf = Vec::new();
        assert_eq!(f.best(b"vorbat", &mut buf, |_| true), Some((0, 1)));
        assert_eq!(f.best(b"vorbiats", &mut buf, |_| true), Some((0, 1)));
        assert_eq!(f.best(b"vrbat", &mut buf, |_| true), None);
        assert_eq!(f.best(b"grumbewedmenu", &mut buf, |_| true), Some((1, 1)));
        assert_eq!(f.best(b"grumbewedmen", &mut buf, |_| true), Some((1, 2)));
        assert_eq!(f.best(b"vorbiat", &mut buf, |_| true), None, "exact is not a variant");
        assert_eq!(f.best(b"vorbat", &mut buf, |_| false), None);
    }

    proptest! {
        #[test]
        fn deletions_are_all_and_only_the_deletions(word in "[abc]{0,8}", depth in 0usize..3) {
            let mut got = std::collections::BTreeSet::new();
            each_deletion(word.as_bytes(), depth, |h| { got.insert(h); });
            let mut want = std::collections::BTreeSet::from([word.as_bytes().to_vec()]);
            for _ in 0..depth {
                let mut next = want.clone();
                for w in &want {
                    for i in 0..w.len() {
                        let mut v = w.clone();
                        v.remove(i);
                        next.insert(v);
                    }
                }
                want = next;
            }
            let want: std::collections::BTreeSet<u64> = want.iter().map(|v| poly_hash(v)).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn osa_is_at_most_levenshtein(a in "[abc]{0,7}", b in "[abc]{0,7}") {
            let d = osa(a.as_bytes(), b.as_bytes());
            prop_assert!(d <= lev_naive(a.as_bytes(), b.as_bytes()));
            prop_assert_eq!(d == 0, a == b);
            prop_assert_eq!(d, osa(b.as_bytes(), a.as_bytes()));
        }
    }
}
