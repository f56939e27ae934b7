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

/// A set of words in key form that also knows every prefix of its words,
/// so that segmentation can stop extending a piece as soon as no word starts
/// that way. Keys are 64-bit FNV-1a hashes computed incrementally while a
/// piece grows, so extending a piece by one byte costs one multiply and one
/// probe, not a hash of the whole piece.
///
/// The table is written here rather than taken from a hash map crate because
/// this is the innermost loop of both segmentation and near-variant checks:
/// each slot is one `u64` (the hash with its two low bits replaced by the
/// flags), probed linearly, so a lookup touches one cache line of a table
/// half the size of a `HashMap<u64, u8>` (whose control bytes and slots are
/// two misses). Two keys are confused only if their hashes agree on 62 bits,
/// which among a few hundred thousand keys is vanishingly unlikely and would
/// only make a piece count as a word.
#[derive(Default)]
pub(crate) struct WordSet {
    slots: Vec<u64>,
    len: usize,
}

/// FNV-1a's starting value: [`hash`] of the empty string.
pub(crate) const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const PREFIX: u64 = 1;
const WORD: u64 = 2;
const FLAGS: u64 = PREFIX | WORD;

/// [`hash`] of a string one byte longer.
#[inline]
pub(crate) fn step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// 64-bit FNV-1a: the hash of word sets.
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(SEED, |h, b| step(h, *b))
}

/// A well-mixed 64-bit value from an FNV hash (whose low bits are weak):
/// its top bits pick slots in the tables of this crate.
#[inline]
pub(crate) fn mix(h: u64) -> u64 {
    (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

impl WordSet {
    /// The hash as stored: low bits cleared for the flags, never 0 (empty).
    #[inline]
    fn stored(h: u64) -> u64 {
        match h & !FLAGS {
            0 => 1 << 2,
            x => x,
        }
    }

    pub(crate) fn insert(&mut self, word: &[u8]) {
        let mut h = SEED;
        for (i, b) in word.iter().enumerate() {
            h = step(h, *b);
            let flag = if i + 1 == word.len() { WORD | PREFIX } else { PREFIX };
            if (self.len + 1) * 2 > self.slots.len() {
                let size = (self.slots.len() * 2).max(64);
                let old = std::mem::replace(&mut self.slots, vec![0; size]);
                self.len = 0;
                for slot in old.into_iter().filter(|&s| s != 0) {
                    self.place(slot & !FLAGS, slot & FLAGS);
                }
            }
            self.place(Self::stored(h), flag);
        }
    }

    fn place(&mut self, key: u64, flag: u64) {
        let mask = self.slots.len() - 1;
        let mut i = (mix(key) >> 32) as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                self.slots[i] = key | flag;
                self.len += 1;
                return;
            }
            if s & !FLAGS == key {
                self.slots[i] = s | flag;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn contains(&self, word: &[u8]) -> bool {
        self.contains_hash(hash(word))
    }

    /// [`WordSet::contains`] for a word whose [`hash`] is `h`: one hash of a
    /// token serves several sets.
    #[inline]
    pub(crate) fn contains_hash(&self, h: u64) -> bool {
        self.flags(h) & WORD != 0
    }

    #[inline]
    fn flags(&self, h: u64) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let key = Self::stored(h);
        let mask = self.slots.len() - 1;
        let mut i = (mix(key) >> 32) as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return 0;
            }
            if s & !FLAGS == key {
                return s & FLAGS;
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A set of 64-bit hashes answered from one bit each of about 16 bits a
/// member: "certainly not a member" for most probes, from a table small
/// enough to stay in cache, so that the exact (larger, slower) structure is
/// only consulted on a hit. One bit per member rather than a Bloom filter's
/// several: the probe is one load, and a false hit costs only the exact look.
#[derive(Default)]
pub(crate) struct BitFilter {
    bits: Vec<u64>,
    shift: u32,
}

impl BitFilter {
    /// A filter holding `hashes` (any 64-bit hashes; they are mixed here).
    pub(crate) fn new(hashes: impl ExactSizeIterator<Item = u64> + Clone) -> BitFilter {
        let size = (hashes.len() * 16).next_power_of_two().max(64);
        let shift = 64 - size.trailing_zeros();
        let mut bits = vec![0u64; size / 64];
        for h in hashes {
            let b = (mix(h) >> shift) as usize;
            bits[b / 64] |= 1 << (b % 64);
        }
        BitFilter { bits, shift }
    }

    /// False only if `h` was not among the filter's hashes.
    #[inline]
    pub(crate) fn may_contain(&self, h: u64) -> bool {
        if self.bits.is_empty() {
            return false;
        }
        let b = (mix(h) >> self.shift) as usize;
        self.bits[b / 64] & (1 << (b % 64)) != 0
    }
}

/// The dictionary in key form.
pub(crate) struct Dictionary {
    words: WordSet,
    /// The distinct keys, each followed by a newline (never part of a key).
    keys: Vec<u8>,
    len: usize,
}

impl Dictionary {
    #[inline]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.words.contains(key)
    }

    /// [`Dictionary::contains`] by the key's [`hash`].
    #[inline]
    pub(crate) fn contains_hash(&self, h: u64) -> bool {
        self.words.contains_hash(h)
    }

    /// Every distinct key.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.split(|&b| b == b'\n').filter(|k| !k.is_empty())
    }
}

/// The shared dictionary, built on first use (about 50 ms).
pub(crate) fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut words = WordSet::default();
        let mut seen = FxHashSet::default();
        let mut keys = Vec::new();
        let mut n = Normalised::default();
        for line in WORDS.lines() {
            n.run_without_spans(line);
            if n.tokens().len() == 1 {
                let k = n.key_bytes();
                if seen.insert(k.to_vec()) {
                    words.insert(k);
                    keys.extend_from_slice(k);
                    keys.push(b'\n');
                }
            }
        }
        Dictionary { words, keys, len: seen.len() }
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
    dictionary().len
}

/// Splits `token` (key bytes) into known pieces with the fewest pieces,
/// preferring pieces that do not cross `soft` boundaries (offsets within the
/// token). Known pieces are dictionary words and the words of `extra` (the
/// lexicon's). Returns the cut offsets (including 0 and the length), or
/// `None` when the token does not read as known pieces.
pub(crate) fn segment(token: &[u8], soft: &[u32], extra: &WordSet) -> Option<Vec<usize>> {
    let n = token.len();
    if n == 0 || n > MAX_SEGMENTED {
        return None;
    }
    let dict = &dictionary().words;
    // A known word without soft boundaries reads best as itself (one piece
    // costs 4, two cost 8): one probe instead of the search below.
    if soft.is_empty()
        && n <= MAX_WORD
        && (dict.contains(token) || (!extra.is_empty() && extra.contains(token)))
    {
        return Some(vec![0, n]);
    }
    const INF: u32 = u32::MAX;
    // cost[i]: best cost of token[..i]; back[i]: where its last piece starts.
    let mut cost = [INF; MAX_SEGMENTED + 1];
    let mut back = [0usize; MAX_SEGMENTED + 1];
    cost[0] = 0;
    for start in 0..n {
        if cost[start] == INF {
            continue;
        }
        let mut h = SEED;
        for end in start + 1..=n.min(start + MAX_WORD) {
            h = step(h, token[end - 1]);
            let f = dict.flags(h) | if extra.is_empty() { 0 } else { extra.flags(h) };
            if f == 0 {
                break;
            }
            if f & WORD == 0 {
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
        let mut set = WordSet::default();
        for e in extra {
            set.insert(key(e).as_bytes());
        }
        let cuts = segment(k.as_bytes(), &[], &set)?;
        Some(cuts.windows(2).map(|w| k[w[0]..w[1]].to_owned()).collect())
    }

    proptest::proptest! {
        #[test]
        fn word_set_holds_exactly_its_words_and_their_prefixes(
            words in proptest::collection::vec("[a-e]{1,6}", 0..200),
            probes in proptest::collection::vec("[a-e]{1,7}", 0..50),
        ) {
            let mut set = WordSet::default();
            for w in &words {
                set.insert(w.as_bytes());
            }
            proptest::prop_assert_eq!(set.is_empty(), words.is_empty());
            for p in words.iter().chain(&probes) {
                let is_word = words.contains(p);
                let is_prefix = words.iter().any(|w| w.starts_with(p.as_str()));
                let flags = set.flags(hash(p.as_bytes()));
                proptest::prop_assert_eq!(flags & WORD != 0, is_word, "{}", p);
                proptest::prop_assert_eq!(flags & PREFIX != 0, is_prefix, "{}", p);
                proptest::prop_assert_eq!(set.contains(p.as_bytes()), is_word);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn bit_filter_holds_every_member_and_rejects_most_others(
            members in proptest::collection::hash_set(proptest::num::u64::ANY, 0..300),
        ) {
            let filter = BitFilter::new(members.iter().copied());
            for &h in &members {
                proptest::prop_assert!(filter.may_contain(h));
            }
            // About one bit in 16 is set: far fewer than half of 1,000
            // other hashes may be members.
            let false_hits = (0..1000u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555)
                .filter(|h| !members.contains(h) && filter.may_contain(*h))
                .count();
            proptest::prop_assert!(false_hits < 250, "{}", false_hits);
        }
    }

    #[test]
    fn dictionary_loads() {
        assert!(dictionary_len() > 60_000);
        assert!(is_word("bestseller"));
        assert!(is_word("assassin"));
        assert!(!is_word("vorblat"));
    }

    proptest::proptest! {
        #[test]
        fn a_known_word_is_one_piece_as_the_search_would_find(
            pick in 0usize..70_000,
            extra in proptest::collection::vec("[a-z]{3,8}", 0..3),
        ) {
            let words = list();
            let word = key(words[pick % words.len()]);
            let mut set = WordSet::default();
            for e in &extra {
                set.insert(key(e).as_bytes());
            }
            let token = word.as_bytes();
            proptest::prop_assume!(!token.is_empty() && token.len() <= MAX_WORD && !token.contains(&b' '));
            // The search itself, reached with a soft boundary past the end
            // (which no piece crosses, so costs are unchanged).
            let searched = segment(token, &[token.len() as u32 + 1], &set);
            proptest::prop_assert_eq!(segment(token, &[], &set), searched);
        }
    }

    #[test]
    fn segments_concatenated_words() {
        assert_eq!(seg("vorblatpics", &["vorblat"]), Some(vec!["vorbiat".into(), "pics".into()]));
        assert_eq!(seg("bestseller", &["seller"]), Some(vec!["bestseier".into()]));
        assert_eq!(seg("flavorblatant", &["vorblat"]).map(|v| v.len()), Some(2));
        assert_eq!(seg("xqzvorblat", &["vorblat"]), None);
    }
}
