//! The normaliser: original text in, a matching key out, with every key byte
//! mapped back to the span of the original it came from.
//!
//! Stages, in order (each has its own tests below):
//!
//! 1. **Fold characters** ([`crate::fold`]): NFKC and case folding,
//!    look-alike letters to Latin, invisible characters (zero-width, bidi
//!    controls) and combining marks removed, emoji recognised as sequences.
//! 2. **Tokens**: whitespace and emoji end a word. Punctuation inside a word
//!    (`s.e.l.l.e.r`, `sel-ler`, `v_o_r`) joins its pieces; a run of three or
//!    more single letters separated by spaces (`s e l l e r`) is joined too.
//!    Words written with multi-letter pieces keep a *soft boundary* where the
//!    pieces met (`well-known`) and where case changes (`BestSeller`), used
//!    later to accept matches on such boundaries.
//! 3. **Leetspeak**: inside a word with letters, a digit run of one digit, or
//!    two between letters, is read as letters (`0`→o, `1`→l, `3`→e, `4`→a,
//!    `5`→s, `7`→t, `8`→b, `9`→g, `2`→z); longer runs and leading runs of two or
//!    more are numbers and split off as their own token (`chapter14`,
//!    `13yo`, `2024`). The symbols `@ $ + |` next to a letter, and `!`
//!    between letters, are letters (`a s t l i`).
//! 4. **Key**: `l` and `i` (and so `1`, `|`, `!`, `I`) are one letter; runs
//!    of the same letter collapse to one (`vorrrblat`, `seller` → `seler`).
//!    The lexicon goes through the same stages, so both sides meet in the
//!    same alphabet.
//!
//! The key is the words separated by single spaces; emoji are tokens of
//! their own (variation selectors and skin tones removed, so `🗺️` and `🗺`
//! are one), and pure numbers keep their digits.

use crate::fold::{self, Folded};

/// What a token of the key is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenKind {
    /// Letters (after leetspeak).
    Word,
    /// Digits only.
    Number,
    /// One emoji or emoji sequence.
    Emoji,
}

/// One token of the key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Token {
    /// Start byte in the key.
    pub start: u32,
    /// End byte in the key (exclusive).
    pub end: u32,
    /// Word, number or emoji.
    pub kind: TokenKind,
}

/// A normalised text: the key, its tokens and the map back to the original.
#[derive(Clone, Default, Debug)]
pub struct Normalised {
    /// The key as UTF-8 bytes (kept as bytes so the hot loop can push them
    /// directly; it is valid UTF-8 by construction).
    key: Vec<u8>,
    starts: Vec<u32>,
    ends: Vec<u32>,
    tokens: Vec<Token>,
    /// Soft boundaries inside words, as key offsets, ascending.
    soft: Vec<u32>,
    // Scratch for the token being read.
    units: Vec<Unit>,
    singles: Vec<Unit>,
    pending_sep: bool,
    /// Keep repeated letters (for the fuzzy index of terms).
    keep_repeats: bool,
    /// Whether spans are recorded (see [`Normalised::run_without_spans`]).
    spans: bool,
    /// Original span of each token (kept in both passes).
    src: Vec<(u32, u32)>,
    /// Original span of the token being written.
    cur: (u32, u32),
    /// One-character tokens in a row so far, and whether three were seen.
    single_run: u32,
    merge_needed: bool,
    scratch: Scratch,
}

/// Buffers `finish` reuses from word to word.
#[derive(Clone, Default, Debug)]
struct Scratch {
    role: Vec<Role>,
    run_start: Vec<bool>,
    frag_id: Vec<usize>,
    frag_len: Vec<u32>,
}

impl Scratch {
    fn clear(&mut self) {
        self.role.clear();
        self.run_start.clear();
        self.frag_id.clear();
        self.frag_len.clear();
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum UnitKind {
    Letter,
    Digit,
    Sym,
}

/// One character of a word before the word is finished.
#[derive(Clone, Copy, Debug)]
struct Unit {
    c: char,
    kind: UnitKind,
    upper: bool,
    sep_before: bool,
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ascii {
    Lower,
    Upper,
    Digit,
    Space,
    Sym,
    Sep,
    Drop,
}

const fn ascii_class(b: u8) -> Ascii {
    match b {
        b'a'..=b'z' => Ascii::Lower,
        b'A'..=b'Z' => Ascii::Upper,
        b'0'..=b'9' => Ascii::Digit,
        b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => Ascii::Space,
        b'@' | b'$' | b'+' | b'|' | b'!' => Ascii::Sym,
        0..=0x1F | 0x7F => Ascii::Drop,
        _ => Ascii::Sep,
    }
}

/// The key byte of an ASCII letter (lower case, `l` as `i`; see
/// [`key_letter`]); 0 for other bytes.
static KEY_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphabetic() {
            let lower = c.to_ascii_lowercase();
            t[b] = if lower == b'l' { b'i' } else { lower };
        }
        b += 1;
    }
    t
};

static ASCII: [Ascii; 128] = {
    let mut t = [Ascii::Drop; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = ascii_class(i as u8);
        i += 1;
    }
    t
};

/// [`plain_word_end`]'s classes of every byte: ASCII separators, ASCII
/// whitespace, and 0 for the rest (all non-ASCII bytes included).
static TRAIL: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = match ascii_class(i as u8) {
            Ascii::Sep => TRAIL_SEP,
            Ascii::Space => TRAIL_SPACE,
            _ => 0,
        };
        i += 1;
    }
    t
};
const TRAIL_SEP: u8 = 1;
const TRAIL_SPACE: u8 = 2;

/// The letter a leetspeak digit or symbol stands for.
pub fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'l',
        '2' => 'z',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '@' => 'a',
        '$' => 's',
        '+' => 't',
        '|' => 'l',
        '!' => 'i',
        _ => return None,
    })
}

/// The key letter for a folded letter: `l` joins `i`.
#[inline]
pub fn key_letter(c: char) -> char {
    if c == 'l' {
        'i'
    } else {
        c
    }
}

/// Whether a character is an emoji modifier or selector that does not change
/// what the emoji stands for (dropped from the key).
fn emoji_noise(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}')
}

/// The end (byte offset) of the emoji sequence starting at `at`.
fn emoji_end(text: &str, at: usize) -> usize {
    let mut chars = text[at..].char_indices().peekable();
    let Some((_, first)) = chars.next() else { return at };
    let mut end = at + first.len_utf8();
    if unicode_properties::emoji::is_regional_indicator(first) {
        if let Some(&(i, c)) = chars.peek() {
            if unicode_properties::emoji::is_regional_indicator(c) {
                return at + i + c.len_utf8();
            }
        }
        return end;
    }
    // Where each joiner of the sequence is (allocated only for sequences with one).
    let mut joiners: Vec<usize> = Vec::new();
    while let Some(&(i, c)) = chars.peek() {
        if emoji_noise(c) || c == '\u{20E3}' {
            chars.next();
            end = at + i + c.len_utf8();
        } else if c == '\u{200D}' {
            // A joiner continues the sequence only if an emoji follows.
            let mut ahead = chars.clone();
            ahead.next();
            match ahead.peek() {
                Some(&(j, d)) if fold::is_emoji_start(d) => {
                    joiners.push(at + i);
                    chars.next();
                    chars.next();
                    end = at + j + d.len_utf8();
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    if joiners.is_empty() || is_known_emoji(&text[at..end]) {
        return end;
    }
    // A joiner makes one emoji of its neighbours only where the result is an
    // emoji (👨‍👩‍👧); elsewhere it is an invisible character between codes, so
    // 🦩‍🧁 reads as 🦩 🧁 (see: #26). The sequence ends at the last joiner
    // before which it is a known emoji, else at the first one.
    joiners[1..].iter().rev().copied().find(|&j| is_known_emoji(&text[at..j])).unwrap_or(joiners[0])
}

/// Whether `seq` is an emoji (a ZWJ sequence such as 👨‍👩‍👧), with or
/// without its presentation selectors and skin tones.
fn is_known_emoji(seq: &str) -> bool {
    if emojis::get(seq).is_some() {
        return true;
    }
    let plain: String = seq.chars().filter(|c| !emoji_noise(*c)).collect();
    plain != seq && emojis::get(&plain).is_some()
}

impl Normalised {
    /// Normalises `text`.
    pub fn new(text: &str) -> Normalised {
        let mut n = Normalised::default();
        n.run(text);
        n
    }

    /// Normalises `text` into this value, reusing its buffers.
    pub fn run(&mut self, text: &str) {
        self.spans = true;
        self.scan(text);
    }

    /// Like [`Normalised::run`] but without the span map (about a third
    /// faster): for a first pass that only asks whether anything matches.
    /// [`Normalised::span`] returns empty ranges until the next `run`.
    pub fn run_without_spans(&mut self, text: &str) {
        self.spans = false;
        self.scan(text);
    }

    #[inline]
    fn span_push(&mut self, start: u32, end: u32) {
        if self.spans {
            self.starts.push(start);
            self.ends.push(end);
        }
    }

    fn scan(&mut self, text: &str) {
        self.key.clear();
        self.starts.clear();
        self.ends.clear();
        self.tokens.clear();
        self.soft.clear();
        self.units.clear();
        self.singles.clear();
        self.pending_sep = false;
        self.single_run = 0;
        self.merge_needed = false;
        self.src.clear();
        // (Plain words are written PLAIN_MAX bytes at a time, then cut.)
        self.key.reserve(text.len() + PLAIN_MAX);
        if self.spans {
            self.starts.reserve(text.len());
            self.ends.reserve(text.len());
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                if self.units.is_empty() && !self.spans && !self.keep_repeats {
                    let next = match b {
                        b'a'..=b'z' | b'A'..=b'Z' => self.plain_word(bytes, i),
                        b'0'..=b'9' => self.plain_number(bytes, i),
                        _ => None,
                    };
                    if let Some(next) = next {
                        i = next;
                        continue;
                    }
                }
                let at = i as u32;
                match ASCII[b as usize] {
                    Ascii::Lower => self.push_unit(b as char, UnitKind::Letter, false, at, at + 1),
                    Ascii::Upper => self.push_unit(
                        b.to_ascii_lowercase() as char,
                        UnitKind::Letter,
                        true,
                        at,
                        at + 1,
                    ),
                    Ascii::Digit => self.push_unit(b as char, UnitKind::Digit, false, at, at + 1),
                    Ascii::Sym => self.push_unit(b as char, UnitKind::Sym, false, at, at + 1),
                    Ascii::Space => self.end_word(),
                    Ascii::Sep => self.pending_sep = true,
                    Ascii::Drop => {}
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
            let len = c.len_utf8();
            let (start, end) = (i as u32, (i + len) as u32);
            match fold::fold(c) {
                Folded::Drop => {}
                Folded::Space => self.end_word(),
                Folded::Sep => self.pending_sep = true,
                Folded::Same => self.push_unit(c, UnitKind::Letter, false, start, end),
                Folded::Text(t) => {
                    let upper = c.is_uppercase();
                    for (k, d) in t.chars().enumerate() {
                        let upper = upper && k == 0;
                        match d {
                            'a'..='z' => self.push_unit(d, UnitKind::Letter, upper, start, end),
                            '0'..='9' => self.push_unit(d, UnitKind::Digit, false, start, end),
                            ' ' => self.end_word(),
                            _ if d.is_ascii() => self.pending_sep = true,
                            _ => self.push_unit(d, UnitKind::Letter, upper, start, end),
                        }
                    }
                }
                Folded::Emoji => {
                    let stop = emoji_end(text, i);
                    self.end_word();
                    self.flush_singles();
                    self.push_emoji(&text[i..stop], start, stop as u32);
                    i = stop;
                    continue;
                }
            }
            i += len;
        }
        self.end_word();
        self.flush_singles();
        self.merge_single_letters();
    }

    /// Joins runs of three or more one-letter words left in the key (a word
    /// like `A4` becomes the one letter `a`), so that the key of a key is
    /// itself: the joining of stage 2 then holds on the output too.
    fn merge_single_letters(&mut self) {
        let single = |t: &Token, key: &[u8]| {
            t.kind != TokenKind::Emoji
                && std::str::from_utf8(&key[t.start as usize..t.end as usize])
                    .is_ok_and(|w| w.chars().count() == 1)
        };
        // Runs of three or more one-character tokens with a letter among them.
        let joinable = |tokens: &[Token], key: &[u8], i: usize| -> usize {
            let mut j = i;
            while j < tokens.len() && single(&tokens[j], key) {
                j += 1;
            }
            let letter = tokens[i..j].iter().any(|t| t.kind == TokenKind::Word);
            if j - i >= 3 && letter {
                j - i
            } else {
                0
            }
        };
        if !self.merge_needed {
            return;
        }
        let found = (0..self.tokens.len()).any(|i| joinable(&self.tokens, &self.key, i) > 0);
        if !found {
            return;
        }
        let old = std::mem::take(self);
        let Normalised { key, starts, ends, tokens, soft, spans, keep_repeats, src, .. } = old;
        self.spans = spans;
        self.keep_repeats = keep_repeats;
        let mut i = 0;
        while i < tokens.len() {
            let run = joinable(&tokens, &key, i);
            let group = if run > 0 { &tokens[i..i + run] } else { &tokens[i..=i] };
            let first = group[0];
            let key_start = if self.key.is_empty() {
                0
            } else {
                let prev = self.ends.last().copied().unwrap_or(0);
                self.key.push(b' ');
                if spans {
                    self.starts.push(prev);
                    self.ends
                        .push(starts.get(first.start as usize).copied().unwrap_or(prev).max(prev));
                }
                self.key.len() as u32
            };
            let mut last: Vec<u8> = Vec::new();
            for t in group {
                let (a, b) = (t.start as usize, t.end as usize);
                let mut bytes = &key[a..b];
                let leet;
                if group.len() > 1 && t.kind == TokenKind::Number {
                    // A lone digit joined to letters reads as a letter.
                    leet = leet_letter(bytes[0] as char).map(|c| key_letter(c) as u8);
                    if let Some(l) = &leet {
                        bytes = std::slice::from_ref(l);
                    }
                }
                if group.len() > 1 && last == bytes && !keep_repeats {
                    if let (true, Some(e)) = (spans, self.ends.last_mut()) {
                        *e = ends.get(b - 1).copied().unwrap_or(*e).max(*e);
                    }
                    continue;
                }
                if group.len() == 1 {
                    let base = self.key.len() as u32;
                    self.soft.extend(
                        soft.iter()
                            .filter(|&&x| x > t.start && x < t.end)
                            .map(|x| x - t.start + base),
                    );
                }
                self.key.extend_from_slice(bytes);
                if spans {
                    self.starts.extend_from_slice(&starts[a..b]);
                    self.ends.extend_from_slice(&ends[a..b]);
                }
                last.clear();
                last.extend_from_slice(bytes);
            }
            let kind = if group.len() > 1 { TokenKind::Word } else { first.kind };
            self.tokens.push(Token { start: key_start, end: self.key.len() as u32, kind });
            self.src.push((src[i].0, src[i + group.len() - 1].1));
            i += group.len();
        }
    }

    /// The first pass's shortcut for a plain ASCII word (letters only, then
    /// optional punctuation, then whitespace or the end): it needs none of
    /// the leetspeak or separator rules, so its key is written directly.
    /// Everything else, and the pass with spans, takes the general path; the
    /// property test `first_pass_agrees_with_full_pass` holds the two to the
    /// same output. Returns where scanning goes on.
    #[inline]
    fn plain_word(&mut self, bytes: &[u8], i: usize) -> Option<usize> {
        // One pass over the letters writes their key bytes (repeats
        // collapsed) to the stack and notes whether all were lower case;
        // words longer than PLAIN_MAX take the general path.
        let mut buf = [0u8; PLAIN_MAX];
        let (mut n, mut last, mut all) = (0usize, 0u8, 0xffu8);
        let rest = &bytes[i..bytes.len().min(i + PLAIN_MAX)];
        let mut len = 0;
        for &b in rest {
            // 0 for anything but an ASCII letter.
            let c = KEY_BYTE[b as usize];
            if c == 0 {
                break;
            }
            buf[n % PLAIN_MAX] = c;
            n += usize::from(c != last);
            last = c;
            // A letter is lower case when its 0x20 bit is set.
            all &= b;
            len += 1;
        }
        let lower = all & 0x20 != 0;
        let j = i + len;
        if len < 2 {
            return None;
        }
        // (A longer word stops here too: a letter follows its first
        // PLAIN_MAX, which is no word end.)
        let k = plain_word_end(bytes, j)?;
        self.flush_singles();
        self.pending_sep = false;
        let key_start = self.begin_token(i as u32);
        // The key is the buffer: copied whole and the tail cut (a copy of
        // constant length is a few vector moves, one of `n` bytes a call).
        let at = self.key.len();
        self.key.extend_from_slice(&buf);
        self.key.truncate(at + n);
        if !lower {
            // Soft boundaries: an upper-case letter after a lower-case one,
            // where it starts a key byte.
            let (mut pos, mut last, mut prev_upper) = (at, 0u8, true);
            for &b in &bytes[i..j] {
                let upper = b.is_ascii_uppercase();
                let c = KEY_BYTE[b as usize];
                if c != last {
                    if upper && !prev_upper {
                        self.soft.push(pos as u32);
                    }
                    pos += 1;
                    last = c;
                }
                prev_upper = upper;
            }
        }
        self.cur.1 = j as u32;
        let end = self.key.len() as u32;
        // At least one letter was written, all of them ASCII.
        self.push_token(key_start, end, TokenKind::Word, end - key_start == 1);
        Some(k)
    }

    /// The same shortcut for a plain number (two or more ASCII digits).
    #[inline]
    fn plain_number(&mut self, bytes: &[u8], i: usize) -> Option<usize> {
        let (j, k) = plain_run(bytes, i, u8::is_ascii_digit)?;
        self.flush_singles();
        self.pending_sep = false;
        let key_start = self.begin_token(i as u32);
        self.key.extend_from_slice(&bytes[i..j]);
        self.cur.1 = j as u32;
        self.end_token(key_start, TokenKind::Number);
        Some(k)
    }

    #[inline]
    fn push_unit(&mut self, c: char, kind: UnitKind, upper: bool, start: u32, end: u32) {
        let sep_before = self.pending_sep && !self.units.is_empty();
        self.pending_sep = false;
        self.units.push(Unit { c, kind, upper, sep_before, start, end });
    }

    /// Ends the word being read (whitespace, an emoji or the end).
    fn end_word(&mut self) {
        self.pending_sep = false;
        if self.units.is_empty() {
            return;
        }
        if self.units.len() == 1 {
            // Possibly one letter of "s e l l e r": hold it back.
            let u = self.units[0];
            self.singles.push(u);
            self.units.clear();
            return;
        }
        self.flush_singles();
        let units = std::mem::take(&mut self.units);
        self.finish(&units);
        self.units = units;
        self.units.clear();
    }

    /// Emits held-back single characters: joined into one word when there
    /// are three or more with a letter among them, else one by one.
    #[inline]
    fn flush_singles(&mut self) {
        if !self.singles.is_empty() {
            self.flush_singles_now();
        }
    }

    #[cold]
    fn flush_singles_now(&mut self) {
        let singles = std::mem::take(&mut self.singles);
        if singles.len() >= 3 && singles.iter().any(|u| u.kind == UnitKind::Letter) {
            self.finish(&singles);
        } else {
            for u in &singles {
                self.finish(std::slice::from_ref(u));
            }
        }
        self.singles = singles;
        self.singles.clear();
    }

    fn push_emoji(&mut self, seq: &str, start: u32, end: u32) {
        let key_start = self.begin_token(start);
        for c in seq.chars().filter(|c| !emoji_noise(*c)) {
            let mut buf = [0u8; 4];
            for _ in 0..c.encode_utf8(&mut buf).len() {
                self.span_push(start, end);
            }
            push_char(&mut self.key, c);
        }
        self.cur.1 = end;
        self.end_token(key_start, TokenKind::Emoji);
    }

    /// Writes the separator before a new token; returns the key offset where it starts.
    #[inline]
    fn begin_token(&mut self, start: u32) -> u32 {
        if !self.key.is_empty() {
            self.key.push(b' ');
            if self.spans {
                let prev = self.ends.last().copied().unwrap_or(0);
                self.span_push(prev, start.max(prev));
            }
        }
        self.cur = (start, start);
        self.key.len() as u32
    }

    #[inline]
    fn end_token(&mut self, key_start: u32, kind: TokenKind) {
        let end = self.key.len() as u32;
        if end == key_start {
            // Nothing was written: take the separator back.
            if key_start > 0 {
                self.key.pop();
                if self.spans {
                    self.starts.pop();
                    self.ends.pop();
                }
            }
            return;
        }
        let len = (end - key_start) as usize;
        let first = self.key[key_start as usize];
        let one_char = kind != TokenKind::Emoji
            && (len == 1
                || (len == 2 && (0xC0..0xE0).contains(&first))
                || (len == 3 && (0xE0..0xF0).contains(&first))
                || (len == 4 && first >= 0xF0));
        self.push_token(key_start, end, kind, one_char);
    }

    /// Records a token of the key (`one_char`: a single character, see
    /// `merge_single_letters`, which needs runs of them).
    #[inline]
    fn push_token(&mut self, start: u32, end: u32, kind: TokenKind, one_char: bool) {
        if one_char {
            self.single_run += 1;
            self.merge_needed |= self.single_run >= 3;
        } else {
            self.single_run = 0;
        }
        self.tokens.push(Token { start, end, kind });
        self.src.push(self.cur);
    }

    /// Turns a finished word's units into one or more tokens (stages 3 and 4).
    fn finish(&mut self, units: &[Unit]) {
        let has_letter = units.iter().any(|u| u.kind == UnitKind::Letter);
        if !has_letter {
            let Some(first) = units.iter().find(|u| u.kind == UnitKind::Digit) else { return };
            let key_start = self.begin_token(first.start);
            for u in units.iter().filter(|u| u.kind == UnitKind::Digit) {
                push_char(&mut self.key, u.c);
                self.span_push(u.start, u.end);
                self.cur.1 = self.cur.1.max(u.end);
            }
            self.end_token(key_start, TokenKind::Number);
            return;
        }
        // Stage 3: decide, for each unit, letter or number or separator.
        // `role[i]`: Some(letter), or None for a digit kept as a number; symbols
        // that are not letters are dropped (and act as separators).
        let n = units.len();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let Scratch { role, run_start, frag_id, frag_len } = &mut scratch;
        run_start.resize(n + 1, false);
        let mut i = 0;
        while i < n {
            match units[i].kind {
                UnitKind::Letter => {
                    role.push(Role::Letter(units[i].c));
                    i += 1;
                }
                UnitKind::Sym | UnitKind::Digit => {
                    // A run of digits and leet symbols between letters or at an end.
                    let mut j = i;
                    while j < n && units[j].kind != UnitKind::Letter {
                        j += 1;
                    }
                    let run = &units[i..j];
                    let len = run.len();
                    let letter_before = i > 0;
                    let letter_after = j < n;
                    let has_sym = run.iter().any(|u| u.kind == UnitKind::Sym);
                    let only_bangs = run.iter().all(|u| u.c == '!');
                    // Runs that may not be letters at all: a leading or
                    // trailing number ("13yo", "pack99"), or a leading symbol
                    // run such as a mention's "@". Read as letters, they
                    // leave a soft boundary next to the real letters.
                    let number_like = letter_before != letter_after
                        && ((!has_sym && len >= 2)
                            || (!letter_before && run.iter().all(|u| u.kind == UnitKind::Sym)));
                    let leet = if only_bangs {
                        // "hello!" is punctuation; "h!gh" is a letter.
                        letter_before && letter_after
                    } else if has_sym {
                        true
                    } else if letter_before && letter_after {
                        // Inside a word: letters ("dr42213pack").
                        len <= 6
                    } else {
                        // At the start or end: up to four are letters
                        // ("53ll3r", "v0r8l47"), longer is a number ("2024x").
                        len <= 4
                    };
                    for (k, u) in run.iter().enumerate() {
                        // A leading or trailing "99" is read as letters but
                        // may be a number: mark a soft boundary between it
                        // and the letters.
                        if number_like && leet && k == 0 && letter_before {
                            run_start[i] = true;
                        }
                        if number_like && leet && k == 0 && letter_after {
                            run_start[j] = true;
                        }
                        role.push(if leet {
                            match leet_letter(u.c) {
                                Some(l) => Role::Letter(l),
                                None if u.kind == UnitKind::Sym => Role::Sep,
                                None => Role::Letter(u.c),
                            }
                        } else if u.kind == UnitKind::Digit {
                            Role::Number
                        } else {
                            Role::Sep
                        });
                    }
                    i = j;
                }
            }
        }
        // Fragment lengths between separators, for soft boundaries.
        frag_len.push(0);
        for (k, u) in units.iter().enumerate() {
            let sep = u.sep_before || (k > 0 && role[k - 1] == Role::Sep);
            if sep && *frag_len.last().unwrap_or(&0) > 0 {
                frag_len.push(0);
            }
            if role[k] != Role::Sep {
                if let Some(l) = frag_len.last_mut() {
                    *l += 1;
                }
            }
            frag_id.push(frag_len.len() - 1);
        }
        // Stage 4: write tokens.
        let mut current: Option<(u32, TokenKind)> = None;
        let mut last_key: Option<char> = None;
        let mut prev_unit: Option<usize> = None;
        for k in 0..n {
            let kind = match role[k] {
                Role::Sep => continue,
                Role::Letter(_) => TokenKind::Word,
                Role::Number => TokenKind::Number,
            };
            let u = units[k];
            if current.map(|(_, kd)| kd) != Some(kind) {
                if let Some((s, kd)) = current.take() {
                    self.end_token(s, kd);
                }
                current = Some((self.begin_token(u.start), kind));
                last_key = None;
                prev_unit = None;
            }
            self.cur.1 = self.cur.1.max(u.end);
            let c = match role[k] {
                Role::Letter(c) => key_letter(c),
                _ => u.c,
            };
            if kind == TokenKind::Word && run_start[k] && prev_unit.is_some() {
                self.soft.push(self.key.len() as u32);
            }
            if kind == TokenKind::Word {
                if let Some(p) = prev_unit {
                    let camel = u.upper && !units[p].upper && units[p].kind == UnitKind::Letter;
                    let split = frag_id[k] != frag_id[p]
                        && frag_len[frag_id[k]] >= 2
                        && frag_len[frag_id[p]] >= 2;
                    if (camel || split) && last_key != Some(c) {
                        self.soft.push(self.key.len() as u32);
                    }
                }
                if last_key == Some(c) && !self.keep_repeats {
                    // Collapse a repeated letter into the one before.
                    if let (true, Some(e)) = (self.spans, self.ends.last_mut()) {
                        *e = u.end.max(*e);
                    }
                    prev_unit = Some(k);
                    continue;
                }
            }
            let mut buf = [0u8; 4];
            for _ in 0..c.encode_utf8(&mut buf).len() {
                self.span_push(u.start, u.end);
            }
            push_char(&mut self.key, c);
            last_key = Some(c);
            prev_unit = Some(k);
        }
        if let Some((s, kd)) = current {
            self.end_token(s, kd);
        }
        self.scratch = scratch;
    }

    /// The matching key: tokens separated by single spaces.
    pub fn key(&self) -> &str {
        std::str::from_utf8(&self.key).unwrap_or_default()
    }

    /// The matching key as bytes.
    pub fn key_bytes(&self) -> &[u8] {
        &self.key
    }

    /// The tokens of the key, in order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Whether `at` (a key offset) is a soft boundary inside a word.
    pub fn is_soft_boundary(&self, at: u32) -> bool {
        self.soft.binary_search(&at).is_ok()
    }

    /// Soft boundaries strictly inside `start..end`, ascending.
    pub fn soft_boundaries(&self, start: u32, end: u32) -> &[u32] {
        let a = self.soft.partition_point(|&x| x <= start);
        let b = self.soft.partition_point(|&x| x < end);
        &self.soft[a..b.max(a)]
    }

    /// The span of the original text that key bytes `start..end` came from.
    pub fn span(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        if start >= end || end > self.starts.len() {
            return 0..0;
        }
        let s = self.starts[start] as usize;
        let e = self.ends[start..end].iter().copied().max().unwrap_or(0) as usize;
        s..e.max(s)
    }

    /// The span of the original that token `index` came from (available in
    /// both passes, unlike [`Normalised::span`]).
    pub fn token_span(&self, index: usize) -> std::ops::Range<usize> {
        self.src.get(index).map_or(0..0, |&(s, e)| s as usize..e as usize)
    }

    /// The index of the token containing key offset `at`.
    pub fn token_at(&self, at: u32) -> Option<usize> {
        let i = self.tokens.partition_point(|t| t.end <= at);
        (i < self.tokens.len() && self.tokens[i].start <= at).then_some(i)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Letter(char),
    Number,
    Sep,
}

/// Longest word the first pass's shortcut writes ([`Normalised::plain_word`]).
const PLAIN_MAX: usize = 64;

/// A run of at least two bytes of one class from `i`, ending a word:
/// `(end of the run, where scanning goes on)`.
#[inline]
fn plain_run(bytes: &[u8], i: usize, class: impl Fn(&u8) -> bool) -> Option<(usize, usize)> {
    let len = bytes[i..].iter().position(|b| !class(b)).unwrap_or(bytes.len() - i);
    if len < 2 {
        return None;
    }
    Some((i + len, plain_word_end(bytes, i + len)?))
}

/// Where a plain word ending at `j` stops: past trailing punctuation and
/// whitespace, if whitespace or the end follows the punctuation.
#[inline]
fn plain_word_end(bytes: &[u8], j: usize) -> Option<usize> {
    let rest = &bytes[j..];
    let seps = rest.iter().position(|&b| TRAIL[b as usize] != TRAIL_SEP).unwrap_or(rest.len());
    let spaces = rest[seps..]
        .iter()
        .position(|&b| TRAIL[b as usize] != TRAIL_SPACE)
        .unwrap_or(rest.len() - seps);
    (spaces > 0 || seps + spaces == rest.len()).then_some(j + seps + spaces)
}

#[inline]
fn push_char(key: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    key.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Normalises `text` and returns just the key (for lexicon entries and tests).
pub fn key(text: &str) -> String {
    let mut n = Normalised::default();
    n.run_without_spans(text);
    n.key().to_owned()
}

/// The key without collapsing repeated letters (`drazzle` stays `drazzie`):
/// near-variants are measured against both forms of a term, since an edit
/// between two equal letters (`drazazle`) undoes their collapse.
pub fn key_with_repeats(text: &str) -> String {
    let mut n = Normalised { keep_repeats: true, ..Normalised::default() };
    n.run(text);
    n.key().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_stage_case_width_accents_lookalikes() {
        assert_eq!(key("VORBLAT"), "vorbiat");
        assert_eq!(key("ｖｏｒｂｌａｔ"), "vorbiat");
        assert_eq!(key("vörblàt"), "vorbiat");
        assert_eq!(key("vo\u{0301}rbla\u{0308}t"), "vorbiat");
        assert_eq!(key("νοrbլаt"), key("vorblat"));
        assert_eq!(key("vorbІat"), "vorbiat");
    }

    #[test]
    fn key_byte_table_is_key_letter_of_the_lower_case() {
        for b in 0..=255u8 {
            let want = if b.is_ascii_alphabetic() {
                key_letter(b.to_ascii_lowercase() as char) as u8
            } else {
                0
            };
            assert_eq!(KEY_BYTE[b as usize], want, "{b}");
        }
    }

    #[test]
    fn invisible_characters_are_removed() {
        assert_eq!(key("v\u{200B}o\u{200C}r\u{200D}b\u{2060}l\u{FEFF}a\u{202E}t"), "vorbiat");
        assert_eq!(key("vor\u{00AD}blat"), "vorbiat");
    }

    #[test]
    fn separators_inside_words_join() {
        for s in
            ["v.o.r.b.l.a.t", "v_o_r_b_l_a_t", "v-o-r-b-l-a-t", "v*o*r*b*l*a*t", "v o r b l a t"]
        {
            assert_eq!(key(s), "vorbiat", "{s}");
        }
        assert_eq!(key("sel.ler"), "seier");
        // Real words are not glued together.
        assert_eq!(key("the sell era"), "the sei era");
        // Two single letters stay apart.
        assert_eq!(key("a b"), "a b");
    }

    #[test]
    fn soft_boundaries_at_case_changes_and_joined_pieces() {
        let n = Normalised::new("BestSeller");
        assert_eq!(n.key(), "bestseier");
        assert!(n.is_soft_boundary(4));
        let n = Normalised::new("well-known");
        assert_eq!(n.key(), "weiknown");
        assert!(n.is_soft_boundary(3));
        let n = Normalised::new("s.e.l.l.e.r");
        assert!(n.soft_boundaries(0, 10).is_empty());
    }

    #[test]
    fn leetspeak_and_numbers() {
        assert_eq!(key("v0rbl4t"), "vorbiat");
        assert_eq!(key("5n0rv!d"), "snorvid");
        assert_eq!(key("s3ll3r"), "seier");
        assert_eq!(key("v@rbl@t"), "varbiat");
        assert_eq!(key("vorbla7"), "vorbiat");
        assert_eq!(key("vorbla+"), "vorbiat");
        assert_eq!(key("hello!"), "heio");
        assert_eq!(key("chapter14"), "chapteria");
        assert_eq!(key("dr42213pack"), "drazie pack".replace(' ', ""));
        assert_eq!(key("v0r8|47"), "vorbiat");
        assert_eq!(key("+a55!v0re"), "tasivore");
        assert_eq!(key("room 231"), "rom 231");
        assert_eq!(key("53ll3r"), "seier");
        let n = Normalised::new("@quimzel_xx");
        assert_eq!(n.key(), "aquimzeix");
        assert!(n.is_soft_boundary(1));
        assert_eq!(key("13yo"), "ieyo");
        assert!(Normalised::new("13yo").is_soft_boundary(2));
        assert_eq!(key("20245summer"), "20245 sumer");
        assert_eq!(key("vorblat20245"), "vorbiat 20245");
        let n = Normalised::new("pack99");
        assert_eq!(n.key(), "packg");
        assert!(n.is_soft_boundary(4));
        assert_eq!(key("new $ n 0 r v ! d"), "new snorvid");
        assert_eq!(key("age 31"), "age 31");
        assert_eq!(key("$100"), "100");
    }

    #[test]
    fn repeats_collapse() {
        assert_eq!(key("vorrrrblaaat"), "vorbiat");
        assert_eq!(key("sellerrr"), "seier");
    }

    #[test]
    fn emoji_are_tokens_without_modifiers() {
        assert_eq!(key("🗺️"), "🗺");
        assert_eq!(key("🦩🧁"), "🦩 🧁");
        assert_eq!(key("vorblat🍕now"), "vorbiat 🍕 now");
        assert_eq!(key("👍🏽"), "👍");
        assert_eq!(key("👨‍👩‍👧"), "👨\u{200D}👩\u{200D}👧");
        // See: #26. A joiner between codes that make no emoji together is invisible.
        assert_eq!(key("🦩\u{200D}🧁"), "🦩 🧁");
        assert_eq!(key("🦩\u{200D}👨‍👩‍👧"), "🦩 👨\u{200D}👩\u{200D}👧");
        assert_eq!(key("👨‍👩‍👧\u{200D}🦩"), "👨\u{200D}👩\u{200D}👧 🦩");
        assert_eq!(key("🏳️‍🌈"), "🏳\u{200D}🌈");
        assert_eq!(key("🇫🇷"), "🇫🇷");
        let n = Normalised::new("age 31 ⬅️");
        assert_eq!(n.tokens().last().map(|t| t.kind), Some(TokenKind::Emoji));
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "Buy V.0.R.B.L.A.T today";
        let n = Normalised::new(text);
        let t = n.tokens()[1];
        let span = n.span(t.start as usize, t.end as usize);
        assert_eq!(&text[span], "V.0.R.B.L.A.T");
        let text = "x vorrrblat";
        let n = Normalised::new(text);
        let t = n.tokens()[1];
        assert_eq!(&text[n.span(t.start as usize, t.end as usize)], "vorrrblat");
    }

    /// Found by cargo-fuzz (fuzz/artifacts/text_check/crash-f2881abe...): a
    /// word that collapses to one letter next to single letters.
    #[test]
    fn regression_single_letter_words_are_joined_idempotently() {
        let once = key("]F\nA4\n]A");
        assert_eq!(once, "fa");
        assert_eq!(key(&once), once);
        let n = Normalised::new("xy F A4 A yz");
        assert_eq!(n.key(), "xy fa yz");
        let t = n.tokens()[1];
        assert_eq!(n.span(t.start as usize, t.end as usize), 3..9);
    }

    #[test]
    fn empty_and_symbol_only() {
        assert_eq!(key(""), "");
        assert_eq!(key("  ...  !!! "), "");
        assert!(Normalised::new("\u{200B}\u{0301}").tokens().is_empty());
    }
}
