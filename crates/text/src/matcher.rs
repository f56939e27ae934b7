//! The compiled lexicon and `check`.

use std::cell::RefCell;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use guardrail_core::{EntryKind, Lexicon, Severity, Surface};
use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::fuzzy::{self, Fuzzy};
use crate::normalise::{key, key_with_repeats, Normalised, TokenKind};
use crate::plain::Plain;
use crate::words::{self, BitFilter, WordSet};
use crate::TextError;

/// Most leading tokens of a query ever tried for near-variants.
const MAX_FUZZY_TOKENS: usize = 64;

/// Bounds on one check, so that no input can take unbounded time or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest text accepted, in bytes (default 1 MiB).
    pub max_bytes: usize,
    /// Most matches reported for one text (default 1,000); further ones are
    /// counted in [`Verdict::truncated`] but not listed.
    pub max_matches: usize,
    /// On the search and autocomplete surfaces, how many leading tokens are
    /// tried for near-variants and split forms (default 16, at most 64).
    pub max_fuzzy_tokens: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: 1 << 20, max_matches: 1_000, max_fuzzy_tokens: 16 }
    }
}

/// The combined verdict on a text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing found.
    Allow,
    /// Only weak signals: never blocks; may be used as a ranking feature.
    Weak,
    /// Flag for review; keep out of recommendations and suggestions.
    Strong,
    /// Do not show, suggest or return results for it.
    Block,
}

impl Level {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Weak => "weak",
            Level::Strong => "strong",
            Level::Block => "block",
        }
    }
}

/// How a match was found.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// As whole words (after normalisation).
    Words,
    /// A phrase written as one word (`drazzlepack`).
    Joined,
    /// Inside a longer token that reads as words around it (`vorblatpics`),
    /// or at a case change or joined piece (`BuyVorblat`).
    InsideToken,
    /// At the start or end of a token that does not read as words (`vorblatxq`).
    Affix,
    /// With its vowels dropped (`vrblt`).
    DroppedVowels,
    /// Written backwards (`talbrov`).
    Reversed,
    /// A near-variant of a blocked term (search and autocomplete only).
    NearVariant,
    /// A term split over two or three words (search and autocomplete only).
    Split,
    /// A regular-expression entry.
    Pattern,
    /// An age code with an age below the entry's bound.
    AgeCode,
}

/// One lexicon entry found in a text.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Match {
    /// Index of the entry in the lexicon.
    pub entry: usize,
    /// The entry's kind.
    pub kind: EntryKind,
    /// The entry's text.
    pub term: String,
    /// The entry's category.
    pub category: String,
    /// The entry's severity.
    pub severity: Severity,
    /// Byte span in the original text.
    pub start: usize,
    /// End of the span (exclusive).
    pub end: usize,
    /// The original text of the span, as a reviewer should see it.
    pub matched: String,
    /// How it was found.
    pub how: How,
    /// Edit distance, for near-variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// The age read, for age codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
}

impl Match {
    /// Sets the span and the original text it covers.
    fn place(&mut self, text: &str, span: Range<usize>) {
        self.matched = text.get(span.clone()).unwrap_or("").to_owned();
        (self.start, self.end) = (span.start, span.end);
    }
}

/// The result of [`Matcher::check`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Verdict {
    /// The combined verdict.
    pub level: Level,
    /// Every match, in order of position.
    pub matches: Vec<Match>,
    /// Why the verdict is what it is, one line per rule that fired.
    pub reasons: Vec<String>,
    /// Matches beyond [`Limits::max_matches`] that were not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub truncated: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    Exact,
    Joined,
    DroppedVowels,
    Reversed,
    AgePrefix(u32),
    AgeSuffix(u32),
}

#[derive(Clone, Copy, Debug)]
struct Target {
    entry: u32,
    form: Form,
}

#[derive(Clone, Debug)]
struct AgeCode {
    entry: u32,
    /// Key of the words after the number, if any (when there is a prefix too).
    suffix_after_prefix: Option<String>,
    reversed: bool,
    below: u32,
}

/// A lexicon compiled for matching. Build one with [`Matcher::new`]; it is
/// immutable and can be shared between threads (see [`crate::SharedMatcher`]
/// for reloading).
pub struct Matcher {
    lexicon: Lexicon,
    surfaces: Vec<u8>,
    ac: Option<AhoCorasick>,
    targets: Vec<Vec<Target>>,
    ages: Vec<AgeCode>,
    patterns: Vec<(u32, Regex)>,
    fuzzy: Fuzzy,
    /// Keys of single-word terms and joined phrases, for split forms.
    whole: FxHashMap<Box<[u8]>, Vec<u32>>,
    /// The [`words::hash`]es of `whole`'s keys, probed first.
    whole_filter: BitFilter,
    /// Word keys of the lexicon, known pieces when segmenting.
    vocab: WordSet,
    /// Emoji codes by key (emoji tokens separated by spaces), and the longest.
    emoji: FxHashMap<Box<[u8]>, Vec<u32>>,
    emoji_len: usize,
    /// Words of blocked phrases (a near-variant of a phrase may keep one
    /// intact, or change it a little).
    phrase_words: FxHashSet<Box<[u8]>>,
    phrase_words_near: Fuzzy,
    /// The known words (dictionary and lexicon) that are phrase-like.
    phrase_like_known: WordSet,
    limits: Limits,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("lexicon", &self.lexicon.name)
            .field("entries", &self.lexicon.entries.len())
            .finish_non_exhaustive()
    }
}

fn surface_bit(s: Surface) -> u8 {
    1 << (s as u8)
}

fn devowel(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for (i, c) in word.chars().enumerate() {
            let lower = c.to_lowercase().next().unwrap_or(c);
            if i == 0 || !matches!(lower, 'a' | 'e' | 'i' | 'o' | 'u') {
                out.push(c);
            }
        }
    }
    out
}

/// Whether every word of a key is an ordinary dictionary word.
fn all_words(key: &str) -> bool {
    let dict = words::dictionary();
    key.split(' ').all(|w| dict.contains(w.as_bytes()))
}

impl Matcher {
    /// Compiles `lexicon` with default [`Limits`].
    pub fn new(lexicon: Lexicon) -> Result<Matcher, TextError> {
        Matcher::with_limits(lexicon, Limits::default())
    }

    /// Compiles `lexicon`.
    pub fn with_limits(lexicon: Lexicon, limits: Limits) -> Result<Matcher, TextError> {
        crate::fold::warm_up();
        words::dictionary();
        let mut patterns_text: Vec<String> = Vec::new();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut add = |key: String, target: Target| {
            let id = *index.entry(key.clone()).or_insert_with(|| {
                patterns_text.push(key);
                targets.push(Vec::new());
                targets.len() - 1
            });
            if !targets[id].iter().any(|t| t.entry == target.entry && t.form == target.form) {
                targets[id].push(target);
            }
        };
        let mut surfaces = Vec::with_capacity(lexicon.entries.len());
        let mut ages = Vec::new();
        let mut patterns = Vec::new();
        let mut whole: FxHashMap<Box<[u8]>, Vec<u32>> = FxHashMap::default();
        let mut vocab_words: FxHashSet<Box<[u8]>> = FxHashSet::default();
        let mut phrase_words: FxHashSet<Box<[u8]>> = FxHashSet::default();
        let mut emoji: FxHashMap<Box<[u8]>, Vec<u32>> = FxHashMap::default();
        let mut emoji_len = 0usize;
        let mut fuzzy_terms: Vec<(String, u32, usize)> = Vec::new();
        for (i, e) in lexicon.entries.iter().enumerate() {
            let at = |field: &str, why: String| TextError::Entry {
                field: format!("entry[{i}].{field}"),
                why,
            };
            let id = i as u32;
            surfaces.push(
                Surface::ALL
                    .iter()
                    .filter(|s| e.applies_to(**s))
                    .fold(0u8, |m, s| m | surface_bit(*s)),
            );
            match e.kind {
                EntryKind::Term | EntryKind::Phrase => {
                    let n = Normalised::new(&e.text);
                    let k = n.key().to_owned();
                    if n.tokens().is_empty() {
                        return Err(at("text", format!("{:?} is empty once normalised", e.text)));
                    }
                    if n.tokens().iter().any(|t| t.kind == TokenKind::Emoji) {
                        return Err(at("text", "holds emoji; use kind = \"emoji\"".into()));
                    }
                    for w in k.split(' ') {
                        vocab_words.insert(w.as_bytes().into());
                    }
                    add(k.clone(), Target { entry: id, form: Form::Exact });
                    let joined = k.replace(' ', "");
                    let joined = key(&joined);
                    if n.tokens().len() > 1 && e.severity == Severity::Block {
                        phrase_words.extend(k.split(' ').map(|w| w.as_bytes().into()));
                    }
                    if n.tokens().len() > 1 {
                        vocab_words.insert(joined.as_bytes().into());
                        add(joined.clone(), Target { entry: id, form: Form::Joined });
                    }
                    whole.entry(joined.as_bytes().into()).or_default().push(id);
                    let letters = e.text.chars().filter(|c| c.is_alphanumeric()).count();
                    if e.severity == Severity::Block {
                        let edits = fuzzy::max_edits(letters);
                        fuzzy_terms.push((joined.clone(), id, edits));
                        let written = key_with_repeats(&e.text).replace(' ', "");
                        if written != joined {
                            fuzzy_terms.push((written, id, edits));
                        }
                    }
                    // Dropped vowels and reversed writing, as words and (for
                    // phrases) joined, unless the variant is ordinary words.
                    let dv = key(&devowel(&e.text));
                    let rev = key(&e.text.chars().rev().collect::<String>());
                    let variants = [(dv, Form::DroppedVowels, 4), (rev, Form::Reversed, 5)];
                    for (v, form, min) in variants {
                        let v_joined = key(&v.replace(' ', ""));
                        if v == k || v_joined.chars().count() < min || all_words(&v) {
                            continue;
                        }
                        for w in v.split(' ') {
                            vocab_words.insert(w.as_bytes().into());
                        }
                        if v.contains(' ') {
                            vocab_words.insert(v_joined.as_bytes().into());
                            add(v_joined, Target { entry: id, form });
                        }
                        add(v, Target { entry: id, form });
                    }
                }
                EntryKind::Emoji => {
                    let text = resolve_shortcodes(&e.text).map_err(|why| at("text", why))?;
                    let n = Normalised::new(&text);
                    if n.tokens().is_empty()
                        || n.tokens().iter().any(|t| t.kind != TokenKind::Emoji)
                    {
                        return Err(at("text", format!("{:?} is not a sequence of emoji", e.text)));
                    }
                    // Emoji codes are looked up token by token rather than
                    // put in the automaton: their UTF-8 bytes would double
                    // its alphabet, and so its size, for every other entry.
                    let ids = emoji.entry(n.key_bytes().into()).or_default();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                    emoji_len = emoji_len.max(n.tokens().len());
                }
                EntryKind::AgeCode => {
                    let (before, after) = e
                        .text
                        .split_once("{n}")
                        .ok_or_else(|| at("text", "must contain {n}".into()))?;
                    let (before, after) = (key(before), key(after));
                    let age = ages.len() as u32;
                    let below = e.below.unwrap_or(18);
                    if !before.is_empty() {
                        add(before, Target { entry: id, form: Form::AgePrefix(age) });
                        ages.push(AgeCode {
                            entry: id,
                            suffix_after_prefix: (!after.is_empty()).then_some(after),
                            reversed: e.reversed,
                            below,
                        });
                    } else if !after.is_empty() {
                        add(after, Target { entry: id, form: Form::AgeSuffix(age) });
                        ages.push(AgeCode {
                            entry: id,
                            suffix_after_prefix: None,
                            reversed: e.reversed,
                            below,
                        });
                    } else {
                        return Err(at("text", "needs words before or after {n}".into()));
                    }
                }
                EntryKind::Pattern => {
                    let re =
                        regex::RegexBuilder::new(&e.text).size_limit(1 << 20).build().map_err(
                            |err| at("text", format!("not a valid regular expression: {err}")),
                        )?;
                    patterns.push((id, re));
                }
            }
        }
        let ac = if patterns_text.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns_text)
                    .or_else(|_| {
                        AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns_text)
                    })
                    .map_err(|err| TextError::Build(err.to_string()))?,
            )
        };
        let mut vocab = WordSet::default();
        for w in &vocab_words {
            vocab.insert(w);
        }
        let phrase_words_near = Fuzzy::new(
            &phrase_words
                .iter()
                .filter_map(|w| std::str::from_utf8(w).ok())
                .map(|w| (w.to_owned(), 0, 1))
                .collect::<Vec<_>>(),
        );
        // Which known words (dictionary or lexicon) are phrase-like, decided
        // once here: in a check, a known word then costs one probe instead
        // of a near-variant search (most words of ordinary queries are
        // known).
        let mut phrase_like_known = WordSet::default();
        if !phrase_words.is_empty() {
            let mut buf = Vec::new();
            let dict = words::dictionary();
            for w in dict.keys().chain(vocab_words.iter().map(|w| &w[..])) {
                if phrase_like(&phrase_words, &phrase_words_near, w, &mut buf) {
                    phrase_like_known.insert(w);
                }
            }
        }
        Ok(Matcher {
            fuzzy: Fuzzy::new(&fuzzy_terms),
            lexicon,
            surfaces,
            ac,
            targets,
            ages,
            patterns,
            whole_filter: BitFilter::new(whole.keys().map(|k| words::hash(k))),
            whole,
            vocab,
            phrase_words_near,
            phrase_words,
            phrase_like_known,
            emoji,
            emoji_len,
            limits,
        })
    }

    /// Size of the compiled automaton: `(patterns, bytes of heap)`.
    pub fn automaton_size(&self) -> (usize, usize) {
        self.ac.as_ref().map_or((0, 0), |ac| (ac.patterns_len(), ac.memory_usage()))
    }

    /// The lexicon this matcher was compiled from.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Checks `text` as it would appear on `surface`, with this thread's
    /// scratch space (see [`Matcher::check_with`] for a caller-owned one).
    pub fn check(&self, text: &str, surface: Surface) -> Result<Verdict, TextError> {
        self.check_limits(text)?;
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
        }
        // The scratch space is reused between calls (a short check would
        // otherwise spend a tenth of its time growing buffers); fresh if this
        // thread is already inside a check.
        let mut found = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.check_in(text, surface, &mut scratch),
            Err(_) => self.check_in(text, surface, &mut Scratch::default()),
        });
        found.sort();
        Ok(found.finish(&self.lexicon))
    }

    /// Scratch space for [`Matcher::check_with`], owned by the caller (a
    /// server's worker, a loop over many texts): buffers grow to the largest
    /// text checked and are reused, so a check allocates nothing for them.
    pub fn create_cache(&self) -> Cache {
        Cache::default()
    }

    /// [`Matcher::check`] with the caller's scratch space: the same verdict.
    pub fn check_with(
        &self,
        text: &str,
        surface: Surface,
        cache: &mut Cache,
    ) -> Result<Verdict, TextError> {
        self.check_limits(text)?;
        let mut found = self.check_in(text, surface, &mut cache.scratch);
        found.sort();
        Ok(found.finish(&self.lexicon))
    }

    fn check_limits(&self, text: &str) -> Result<(), TextError> {
        if text.len() > self.limits.max_bytes {
            return Err(TextError::TooLong { bytes: text.len(), limit: self.limits.max_bytes });
        }
        Ok(())
    }

    /// First without the span map (most texts match nothing); again with it
    /// only when something matched inside a token, to report where.
    fn check_in(&self, text: &str, surface: Surface, scratch: &mut Scratch) -> Found {
        let Scratch { norm: n, near } = scratch;
        n.run_without_spans(text);
        let mut found = self.check_normalised(text, n, surface, near);
        if !found.matches.is_empty() && !found.locate_by_tokens(text, n) {
            // A match inside a token: build the full span map (the key is
            // the same with or without it).
            n.run(text);
            found.locate(text, n);
        }
        found
    }

    /// Given candidate autocomplete suggestions, returns whether each may be
    /// shown: only those whose verdict on the autocomplete surface is `allow`
    /// or `weak`. A suggestion that cannot be checked (too long) is not allowed.
    pub fn allowed_suggestions<S: AsRef<str>>(&self, candidates: &[S]) -> Vec<bool> {
        candidates
            .iter()
            .map(|c| {
                self.check(c.as_ref(), Surface::Autocomplete).is_ok_and(|v| v.level < Level::Strong)
            })
            .collect()
    }

    fn check_normalised(
        &self,
        text: &str,
        n: &Normalised,
        surface: Surface,
        near: &mut NearBuffers,
    ) -> Found {
        let bit = surface_bit(surface);
        let mut found = Found::new(self.limits.max_matches);
        let tokens = n.tokens();
        let key = n.key_bytes();
        let fuzzy_surface = matches!(surface, Surface::Search | Surface::Autocomplete);
        // Tokens (of the first 64) already inside a `block` match:
        // near-variants skip them.
        let mut covered = 0u64;
        let mut seg_cache: Vec<(usize, Option<Vec<usize>>)> = Vec::new();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(key) {
                let (s, e) = (m.start() as u32, m.end() as u32);
                for t in &self.targets[m.pattern().as_usize()] {
                    let entry = t.entry as usize;
                    if !self.on(entry, bit) {
                        continue;
                    }
                    match t.form {
                        Form::AgePrefix(a) | Form::AgeSuffix(a) => {
                            if let Some((range, age)) =
                                self.age_code(n, s, e, &self.ages[a as usize], t.form)
                            {
                                found.push(self.make(
                                    entry,
                                    text,
                                    Loc::Key(range.start as u32, range.end as u32),
                                    How::AgeCode,
                                    None,
                                    Some(age),
                                ));
                            }
                        }
                        form => {
                            let Some(how) = self.aligned(n, s, e, &mut seg_cache) else { continue };
                            let how = match form {
                                Form::Joined if how == How::Words => How::Joined,
                                Form::DroppedVowels => How::DroppedVowels,
                                Form::Reversed => How::Reversed,
                                _ => how,
                            };
                            // A token inside a `block` match needs no
                            // near-variant look (near-variants are of
                            // `block` terms); inside a weaker one it does:
                            // `quimuzel` holds a `strong` entry `quimu` and
                            // is one edit from the blocked `quimzel`.
                            let blocks = self.lexicon.entries[entry].severity == Severity::Block;
                            if let (true, true, Some(a), Some(b)) = (
                                fuzzy_surface,
                                blocks,
                                n.token_at(s),
                                n.token_at(e.saturating_sub(1)),
                            ) {
                                for c in a..=b.min(63) {
                                    covered |= 1 << c;
                                }
                            }
                            found.push(self.make(entry, text, Loc::Key(s, e), how, None, None));
                        }
                    }
                }
            }
        }
        if !self.emoji.is_empty() {
            for (i, t) in tokens.iter().enumerate() {
                if t.kind != TokenKind::Emoji {
                    continue;
                }
                for k in 0..self.emoji_len {
                    let Some(last) = tokens.get(i + k).filter(|x| x.kind == TokenKind::Emoji)
                    else {
                        break;
                    };
                    let Some(ids) = self.emoji.get(&key[t.start as usize..last.end as usize])
                    else {
                        continue;
                    };
                    for &entry in ids {
                        if self.on(entry as usize, bit) {
                            let loc = Loc::Key(t.start, last.end);
                            found.push(self.make(
                                entry as usize,
                                text,
                                loc,
                                How::Words,
                                None,
                                None,
                            ));
                        }
                    }
                }
            }
        }
        if self.patterns.iter().any(|(e, _)| self.on(*e as usize, bit)) {
            let plain = Plain::new(text);
            for (entry, re) in &self.patterns {
                if !self.on(*entry as usize, bit) {
                    continue;
                }
                for m in re.find_iter(plain.text()) {
                    if m.start() == m.end() {
                        continue;
                    }
                    let span = Loc::Text(plain.span(m.start(), m.end()));
                    found.push(self.make(*entry as usize, text, span, How::Pattern, None, None));
                }
            }
        }
        if fuzzy_surface {
            self.near_variants(text, n, bit, covered, &mut found, near);
        }
        found
    }

    fn make(
        &self,
        entry: usize,
        text: &str,
        loc: Loc,
        how: How,
        distance: Option<u32>,
        age: Option<u32>,
    ) -> (Match, Loc) {
        let e = &self.lexicon.entries[entry];
        // Key locations get their span once the span map is built (see `check`).
        let span = match &loc {
            Loc::Text(span) => span.clone(),
            Loc::Key(..) => 0..0,
        };
        let mut m = Match {
            entry,
            kind: e.kind,
            term: e.text.clone(),
            category: e.category.clone(),
            severity: e.severity,
            start: 0,
            end: 0,
            matched: String::new(),
            how,
            distance,
            age,
        };
        m.place(text, span);
        (m, loc)
    }

    /// Whether entry `entry` applies on the surface with bit `bit`.
    #[inline]
    fn on(&self, entry: usize, bit: u8) -> bool {
        self.surfaces[entry] & bit != 0
    }

    /// Whether key match `s..e` sits on word boundaries, and how.
    fn aligned(
        &self,
        n: &Normalised,
        s: u32,
        e: u32,
        seg_cache: &mut Vec<(usize, Option<Vec<usize>>)>,
    ) -> Option<How> {
        let (ti, tj) = (n.token_at(s)?, n.token_at(e - 1)?);
        let tokens = n.tokens();
        let (a, b) = (tokens[ti], tokens[tj]);
        let at_start = s == a.start || n.is_soft_boundary(s);
        let at_end = e == b.end || n.is_soft_boundary(e);
        if s == a.start && e == b.end {
            return Some(How::Words);
        }
        if ti != tj || a.kind != TokenKind::Word {
            // A phrase must begin and end on whole words; emoji and numbers are whole tokens.
            return (ti != tj
                && at_start
                && at_end
                && a.kind == TokenKind::Word
                && b.kind == TokenKind::Word)
                .then_some(How::InsideToken);
        }
        if at_start && at_end {
            return Some(How::InsideToken);
        }
        let token = &n.key_bytes()[a.start as usize..a.end as usize];
        let (rs, re) = ((s - a.start) as usize, (e - a.start) as usize);
        // A plural of the term.
        if rs == 0 && matches!(&token[re..], b"s" | b"es") {
            return Some(How::Words);
        }
        let cached = match seg_cache.iter().position(|(t, _)| *t == ti) {
            Some(at) => at,
            None => {
                let soft: Vec<u32> =
                    n.soft_boundaries(a.start, a.end).iter().map(|x| x - a.start).collect();
                seg_cache.push((ti, words::segment(token, &soft, &self.vocab)));
                seg_cache.len() - 1
            }
        };
        match &seg_cache[cached].1 {
            Some(cuts) => (cuts.contains(&rs) && cuts.contains(&re)).then_some(How::InsideToken),
            // The token does not read as words: accept a term of four or more
            // letters at its start or end (`vorblatxq`, `xqvorblat`).
            None => ((rs == 0 || re == token.len()) && (re - rs) >= 4).then_some(How::Affix),
        }
    }

    fn age_code(
        &self,
        n: &Normalised,
        s: u32,
        e: u32,
        code: &AgeCode,
        form: Form,
    ) -> Option<(Range<usize>, u32)> {
        let tokens = n.tokens();
        let (ti, tj) = (n.token_at(s)?, n.token_at(e - 1)?);
        if s != tokens[ti].start || e != tokens[tj].end {
            return None;
        }
        let key = n.key_bytes();
        let (num, start, mut end) = match form {
            Form::AgePrefix(_) => {
                let num = *tokens.get(tj + 1)?;
                (num, tokens[ti].start, num.end)
            }
            _ => {
                let num = *tokens.get(ti.checked_sub(1)?)?;
                (num, num.start, tokens[tj].end)
            }
        };
        if num.kind != TokenKind::Number {
            return None;
        }
        let digits = &key[num.start as usize..num.end as usize];
        if digits.len() > 3 {
            return None;
        }
        let value =
            |ds: &mut dyn Iterator<Item = &u8>| ds.fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        let age =
            if code.reversed { value(&mut digits.iter().rev()) } else { value(&mut digits.iter()) };
        if age == 0 || age >= code.below {
            return None;
        }
        if let Some(suffix) = &code.suffix_after_prefix {
            let rest = &key[num.end as usize..];
            let rest = rest.strip_prefix(b" ")?;
            if !(rest.starts_with(suffix.as_bytes())
                && matches!(rest.get(suffix.len()), None | Some(b' ')))
            {
                return None;
            }
            end = num.end + 1 + suffix.len() as u32;
        }
        let _ = code.entry;
        Some((start as usize..end as usize, age))
    }

    /// Near-variants and split forms of terms, on search and autocomplete.
    /// Kept out of line: inlined into `check_normalised` it cost 3.5% more
    /// instructions per short check (`bench/text-cachegrind.sh`).
    #[inline(never)]
    fn near_variants(
        &self,
        text: &str,
        n: &Normalised,
        bit: u8,
        covered: u64,
        found: &mut Found,
        NearBuffers { buf, buf2, joined }: &mut NearBuffers,
    ) {
        let tokens = n.tokens();
        let key = n.key_bytes();
        let dict = words::dictionary();
        let limit = tokens.len().min(self.limits.max_fuzzy_tokens).min(MAX_FUZZY_TOKENS);
        let word = |i: usize| tokens[i].kind == TokenKind::Word && covered & (1 << i) == 0;
        let piece = |x: usize| &key[tokens[x].start as usize..tokens[x].end as usize];
        // Per token, computed once from one hash: is it a known word, and
        // (for known words, from the set built with the matcher) is it
        // (nearly) a word of a blocked phrase.
        let mut known = [false; MAX_FUZZY_TOKENS];
        let mut near_phrase: [Option<bool>; MAX_FUZZY_TOKENS] = [None; MAX_FUZZY_TOKENS];
        for x in 0..limit {
            if word(x) {
                let h = words::hash(piece(x));
                known[x] = dict.contains_hash(h) || self.vocab.contains_hash(h);
                if known[x] {
                    near_phrase[x] = Some(self.phrase_like_known.contains_hash(h));
                }
            }
        }
        let mut is_phrase_like = |x: usize, buf2: &mut Vec<u32>| -> bool {
            *near_phrase[x].get_or_insert_with(|| {
                phrase_like(&self.phrase_words, &self.phrase_words_near, piece(x), buf2)
            })
        };
        for i in 0..limit {
            if !word(i) {
                continue;
            }
            let t = tokens[i];
            let tk = &key[t.start as usize..t.end as usize];
            // One token close to a blocked term.
            if !known[i] {
                if let Some((entry, d)) = self.fuzzy.best(tk, buf, |e| self.on(e as usize, bit)) {
                    let span = Loc::Key(t.start, t.end);
                    found.push(self.make(
                        entry as usize,
                        text,
                        span,
                        How::NearVariant,
                        Some(d),
                        None,
                    ));
                    continue;
                }
            }
            // Two or three tokens that together spell a term exactly ("vor
            // blat"), or nearly ("drazazle apck"; never "the sell era").
            let mut h = words::SEED;
            for len in 2..=3 {
                let j = i + len - 1;
                if j >= limit || !(i..=j).all(word) {
                    break;
                }
                // The pieces joined, repeats across a junction collapsed
                // (the key of the joined text), and its hash as it grows.
                if len == 2 {
                    joined.clear();
                    for x in [i, j] {
                        join(joined, &mut h, piece(x));
                    }
                } else {
                    join(joined, &mut h, piece(j));
                }
                let span = Loc::Key(t.start, tokens[j].end);
                let exact = if self.whole_filter.may_contain(h) {
                    self.whole
                        .get(joined.as_slice())
                        .and_then(|ids| ids.iter().copied().find(|e| self.on(*e as usize, bit)))
                } else {
                    None
                };
                if let Some(entry) = exact {
                    found.push(self.make(entry as usize, text, span, How::Split, None, None));
                    break;
                }
                // Worth a fuzzy look: no piece is a known word, or one is
                // (nearly) a word of a blocked phrase ("drazzlxe pack",
                // "dazzle pakc").
                let fuzzy_worth =
                    (i..=j).all(|x| !known[x]) || (i..=j).any(|x| is_phrase_like(x, buf2));
                if !fuzzy_worth {
                    continue;
                }
                if let Some((entry, d)) = self.fuzzy.best(joined, buf, |e| self.on(e as usize, bit))
                {
                    found.push(self.make(entry as usize, text, span, How::Split, Some(d), None));
                    break;
                }
            }
        }
    }
}

/// Appends `piece` to `joined`, dropping a byte equal to the one before it,
/// and extends `h`, the [`words::hash`] of `joined`, to match.
#[inline]
fn join(joined: &mut Vec<u8>, h: &mut u64, piece: &[u8]) {
    for &b in piece {
        if joined.last() != Some(&b) {
            joined.push(b);
            *h = words::step(*h, b);
        }
    }
}

/// Whether `word` (key bytes) is a word of a blocked phrase or one edit from
/// one.
fn phrase_like(
    phrase_words: &FxHashSet<Box<[u8]>>,
    near: &Fuzzy,
    word: &[u8],
    buf: &mut Vec<u32>,
) -> bool {
    phrase_words.contains(word) || near.best(word, buf, |_| true).is_some()
}

/// Replaces `:shortcode:` names in an emoji entry by the emoji.
fn resolve_shortcodes(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(close) = after.find(':') else {
            out.push_str(&rest[at..]);
            return Ok(out);
        };
        let name = &after[..close];
        match emojis::get_by_shortcode(name) {
            Some(e) => out.push_str(e.as_str()),
            None => return Err(format!("unknown emoji shortcode :{name}:")),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The emoji's name, for display (`pizza`), if it has one.
pub fn emoji_name(seq: &str) -> Option<&'static str> {
    emojis::get(seq).map(|e| e.name())
}

/// Caller-owned scratch space of [`Matcher::check_with`]
/// ([`Matcher::create_cache`]); any matcher can use any cache.
#[derive(Default)]
pub struct Cache {
    scratch: Scratch,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

/// Scratch space of a check: the normaliser's buffers and the near-variant
/// pass's (per thread for [`Matcher::check`], the caller's for
/// [`Matcher::check_with`]).
#[derive(Default)]
struct Scratch {
    norm: Normalised,
    near: NearBuffers,
}

/// Scratch space of the near-variant pass.
#[derive(Default)]
struct NearBuffers {
    buf: Vec<u32>,
    buf2: Vec<u32>,
    joined: Vec<u8>,
}

struct Found {
    matches: Vec<Match>,
    max: usize,
    truncated: usize,
    locs: Vec<Loc>,
    seen: FxHashSet<(usize, Loc)>,
}

/// Where a match is: in the key (span looked up later) or in the original.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Loc {
    Key(u32, u32),
    Text(Range<usize>),
}

impl Found {
    fn new(max: usize) -> Found {
        Found {
            matches: Vec::new(),
            locs: Vec::new(),
            max,
            truncated: 0,
            seen: FxHashSet::default(),
        }
    }

    fn push(&mut self, (m, loc): (Match, Loc)) {
        if !self.seen.insert((m.entry, loc.clone())) {
            return;
        }
        if self.matches.len() >= self.max {
            self.truncated += 1;
            return;
        }
        self.matches.push(m);
        self.locs.push(loc);
    }

    /// Gives key-located matches their span from the token spans of the
    /// first pass, when every one of them covers whole tokens; returns false
    /// (changing nothing) otherwise.
    fn locate_by_tokens(&mut self, text: &str, n: &Normalised) -> bool {
        let tokens = n.tokens();
        let mut spans = Vec::with_capacity(self.locs.len());
        for loc in &self.locs {
            spans.push(match loc {
                Loc::Text(_) => None,
                Loc::Key(s, e) => {
                    let (Some(a), Some(b)) = (n.token_at(*s), n.token_at(e.saturating_sub(1)))
                    else {
                        return false;
                    };
                    if tokens[a].start == *s && tokens[b].end == *e {
                        Some(n.token_span(a).start..n.token_span(b).end)
                    } else if a == b {
                        // Inside one token: the span map of that token's
                        // source alone, if it reads as the same key.
                        let src = n.token_span(a);
                        let t = tokens[a];
                        let sub = Normalised::new(&text[src.clone()]);
                        if sub.key_bytes() != &n.key_bytes()[t.start as usize..t.end as usize] {
                            return false;
                        }
                        let inner = sub.span((*s - t.start) as usize, (*e - t.start) as usize);
                        Some(src.start + inner.start..src.start + inner.end)
                    } else {
                        return false;
                    }
                }
            });
        }
        for (m, span) in self.matches.iter_mut().zip(spans) {
            if let Some(span) = span {
                m.place(text, span);
            }
        }
        true
    }

    /// Gives key-located matches their span in the original.
    fn locate(&mut self, text: &str, n: &Normalised) {
        for (m, loc) in self.matches.iter_mut().zip(&self.locs) {
            if let Loc::Key(s, e) = loc {
                m.place(text, n.span(*s as usize, *e as usize));
            }
        }
    }

    /// Combines the matches into a verdict.
    ///
    /// Rules (distinct entries count, repeats of one entry do not):
    /// - any `block` entry: block;
    /// - two `strong` entries, or one `strong` and two `weak`: block;
    /// - one `strong` entry, or three `weak` ones: strong;
    /// - one or two `weak` entries: weak.
    fn sort(&mut self) {
        self.matches.sort_by_key(|m| (m.start, m.end, m.entry));
    }

    fn finish(self, lexicon: &Lexicon) -> Verdict {
        let mut block = Vec::new();
        let mut strong = Vec::new();
        let mut weak = Vec::new();
        for m in &self.matches {
            let list = match m.severity {
                Severity::Block => &mut block,
                Severity::Strong => &mut strong,
                Severity::Weak => &mut weak,
            };
            if !list.contains(&m.entry) {
                list.push(m.entry);
            }
        }
        let names = |ids: &[usize]| {
            ids.iter()
                .map(|i| format!("{:?}", lexicon.entries[*i].text))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut reasons = Vec::new();
        let level = if !block.is_empty() {
            reasons.push(format!("blocked entry: {}", names(&block)));
            Level::Block
        } else if strong.len() >= 2 {
            reasons.push(format!("two or more strong signals: {}", names(&strong)));
            Level::Block
        } else if strong.len() == 1 && weak.len() >= 2 {
            reasons.push(format!(
                "a strong signal ({}) with two or more weak ones ({})",
                names(&strong),
                names(&weak)
            ));
            Level::Block
        } else if strong.len() == 1 {
            reasons.push(format!("strong signal: {}", names(&strong)));
            Level::Strong
        } else if weak.len() >= 3 {
            reasons.push(format!("three or more weak signals together: {}", names(&weak)));
            Level::Strong
        } else if !weak.is_empty() {
            reasons.push(format!("weak signal only (never blocks alone): {}", names(&weak)));
            Level::Weak
        } else {
            Level::Allow
        };
        Verdict { level, matches: self.matches, reasons, truncated: self.truncated }
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Matcher>();
    let _ = fuzzy::osa;
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Spans of the key-located matches: through the first pass's tokens
    /// (when it can place them) and through the full span map.
    fn both_ways(m: &Matcher, text: &str) -> (Option<Vec<Range<usize>>>, Vec<Range<usize>>) {
        let spans = |f: &Found| f.matches.iter().map(|x| x.start..x.end).collect::<Vec<_>>();
        let mut n = Normalised::default();
        n.run_without_spans(text);
        let mut first = m.check_normalised(text, &n, Surface::Caption, &mut NearBuffers::default());
        let by_tokens = first.locate_by_tokens(text, &n).then(|| spans(&first));
        let full = Normalised::new(text);
        let mut second =
            m.check_normalised(text, &full, Surface::Caption, &mut NearBuffers::default());
        second.locate(text, &full);
        (by_tokens, spans(&second))
    }

    fn matcher() -> Matcher {
        Matcher::new(Lexicon::parse("t", "vorblat\nquimzel\nsnorvid").expect("lexicon"))
            .expect("matcher")
    }

    #[test]
    fn a_match_inside_a_token_is_placed_without_the_full_span_map() {
        let m = matcher();
        for text in
            ["see VorBlatPics now", "x buyv0rbl4t!", "the #vοrblatshop, ok", "quimzelsnorvid"]
        {
            let (by_tokens, full) = both_ways(&m, text);
            assert!(!full.is_empty(), "{text}");
            assert_eq!(by_tokens.as_ref(), Some(&full), "{text}");
        }
    }

    #[test]
    fn known_words_are_phrase_like_exactly_when_the_search_says_so() {
        let lexicon = Lexicon::parse("t", "vorblat\ndrazzle pack\ngrumbleweed menu");
        let m = Matcher::new(lexicon.expect("lexicon")).expect("matcher");
        let mut buf = Vec::new();
        let mut like = 0;
        for w in words::dictionary().keys() {
            let direct = phrase_like(&m.phrase_words, &m.phrase_words_near, w, &mut buf);
            assert_eq!(m.phrase_like_known.contains(w), direct, "{}", String::from_utf8_lossy(w));
            like += usize::from(direct);
        }
        // "pack", "back", "hack", "menu", "mend", ...: the set is not empty.
        assert!(like >= 5, "{like}");
        for w in ["drazzle", "drazzie", "grumbieweed", "pack", "menu"] {
            assert!(m.phrase_like_known.contains(key(w).as_bytes()), "{w}");
        }
        // A known word near a phrase word lets its pair get a fuzzy look.
        let v = m.check("dazzle pakc", Surface::Search).expect("check");
        assert_eq!(v.level, Level::Block, "{v:?}");
        let v = m.check("back pack", Surface::Search).expect("check");
        assert_eq!(v.level, Level::Allow, "{v:?}");
    }

    proptest! {
        #[test]
        fn token_placement_agrees_with_the_full_span_map(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("vorblat".to_owned()),
                    Just("V0RBL4T".to_owned()),
                    Just("qu\u{456}mzel".to_owned()),
                    Just("s.n.o.r.v.i.d".to_owned()),
                    "[a-z]{1,6}",
                    "[ .,!#_]{1,2}",
                    Just("s e l l".to_owned()),
                ],
                1..8,
            )
        ) {
            let text: String = pieces.concat();
            let m = matcher();
            let (by_tokens, full) = both_ways(&m, &text);
            if let Some(by_tokens) = by_tokens {
                prop_assert_eq!(by_tokens, full, "{}", text);
            }
        }
    }
}
