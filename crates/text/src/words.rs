//! Ordinary English words, in key form, and word segmentation.
//!
//! A lexicon term found *inside* a longer token is a code word only if the
//! token reads as words with the term as one of them (`vorblatpics`,
//! `buyvorblat`), not when the token is itself an ordinary word
//! (`bestseller` for a term `seller`, `assassin` for `ass`) or when the
//! best reading of it puts the term across a word boundary (`flavorblatant`).
//! That needs a dictionary: `data/words.txt` is SCOWL's American and British
//! lists (Debian packages wamerican and wbritish, licence in
//! `data/SCOWL-COPYRIGHT`; `data/make-words.sh` regenerates it), about 74,000
//! words. No crate ships an English word list with a suitable licence and a
//! segmenter that works in our key alphabet, so segmentation is written here:
//! a shortest-path over the token (fewest words; a word that crosses a soft
//! boundary costs a little more).

use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use crate::normalise::{key, Normalised};

const WORDS: &str = include_str!("../data/words.txt");

/// Longest word considered when segmenting, in key bytes.
pub(crate) const MAX_WORD: usize = 24;
/// Longest token segmented at all; longer ones only get the affix rule.
pub(crate) const MAX_SEGMENTED: usize = 64;

/// The dictionary in key form.
pub(crate) struct Dictionary {
    words: FxHashSet<Box<[u8]>>,
}

impl Dictionary {
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.words.contains(key)
    }
}

/// The shared dictionary, built on first use (about 30 ms).
pub(crate) fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut words = FxHashSet::default();
        let mut n = Normalised::default();
        for line in WORDS.lines() {
            n.run(line);
            if n.tokens().len() == 1 {
                words.insert(n.key().as_bytes().into());
            }
        }
        Dictionary { words }
    })
}

/// Whether `text` is an ordinary English word (compared in key form).
pub fn is_word(text: &str) -> bool {
    dictionary().contains(key(text).as_bytes())
}

/// The dictionary's words as written in `data/words.txt` (lower case).
pub fn list() -> Vec<&'static str> {
    WORDS.lines().filter(|l| !l.is_empty()).collect()
}

/// How many distinct word keys the dictionary holds.
pub fn dictionary_len() -> usize {
    dictionary().words.len()
}

/// Splits `token` (key bytes) into known pieces with the fewest pieces,
/// preferring pieces that do not cross `soft` boundaries (offsets within the
/// token). Known pieces are dictionary words and anything `extra` accepts
/// (lexicon terms). Returns the cut offsets (including 0 and the length), or
/// `None` when the token does not read as known pieces.
pub(crate) fn segment(
    token: &[u8],
    soft: &[u32],
    extra: impl Fn(&[u8]) -> bool,
) -> Option<Vec<usize>> {
    let n = token.len();
    if n == 0 || n > MAX_SEGMENTED {
        return None;
    }
    let dict = dictionary();
    const INF: u32 = u32::MAX;
    // cost[i]: best cost of token[..i]; back[i]: where its last piece starts.
    let mut cost = vec![INF; n + 1];
    let mut back = vec![0usize; n + 1];
    cost[0] = 0;
    for end in 1..=n {
        let lo = end.saturating_sub(MAX_WORD);
        for start in lo..end {
            if cost[start] == INF {
                continue;
            }
            let piece = &token[start..end];
            if !(dict.contains(piece) || extra(piece)) {
                continue;
            }
            let crossings =
                soft.iter().filter(|&&b| (b as usize) > start && (b as usize) < end).count() as u32;
            let c = cost[start] + 4 + crossings;
            if c < cost[end] {
                cost[end] = c;
                back[end] = start;
            }
        }
    }
    if cost[n] == INF {
        return None;
    }
    let mut cuts = vec![n];
    let mut at = n;
    while at > 0 {
        at = back[at];
        cuts.push(at);
    }
    cuts.reverse();
    Some(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str, extra: &[&str]) -> Option<Vec<String>> {
        let k = key(text);
        let extra: Vec<String> = extra.iter().map(|e| key(e)).collect();
        let cuts = segment(k.as_bytes(), &[], |p| extra.iter().any(|e| e.as_bytes() == p))?;
        Some(cuts.windows(2).map(|w| k[w[0]..w[1]].to_owned()).collect())
    }

    #[test]
    fn dictionary_loads() {
        assert!(dictionary_len() > 60_000);
        assert!(is_word("bestseller"));
        assert!(is_word("assassin"));
        assert!(!is_word("vorblat"));
    }

    #[test]
    fn segments_concatenated_words() {
        assert_eq!(seg("vorblatpics", &["vorblat"]), Some(vec!["vorbiat".into(), "pics".into()]));
        assert_eq!(seg("bestseller", &["seller"]), Some(vec!["bestseier".into()]));
        assert_eq!(seg("flavorblatant", &["vorblat"]).map(|v| v.len()), Some(2));
        assert_eq!(seg("xqzvorblat", &["vorblat"]), None);
    }
}
