//! The readable layer that `pattern` entries (regular expressions) run on:
//! case-folded, look-alikes and accents folded, invisible characters removed,
//! whitespace runs as one space, emoji without modifiers. Unlike the matching
//! key, leetspeak and repeats are left as written, so a pattern such as
//! `\bcp\s?\d{1,2}\b` means what it says.

use crate::fold::{self, Folded};

/// Text on the readable layer, with the span of the original each byte came from.
pub(crate) struct Plain {
    text: String,
    starts: Vec<u32>,
    ends: Vec<u32>,
}

impl Plain {
    pub(crate) fn new(original: &str) -> Plain {
        let mut p = Plain {
            text: String::with_capacity(original.len()),
            starts: Vec::new(),
            ends: Vec::new(),
        };
        let mut space = false;
        for (i, c) in original.char_indices() {
            let (s, e) = (i as u32, (i + c.len_utf8()) as u32);
            let folded = if c.is_ascii() {
                if c.is_ascii_whitespace() {
                    Folded::Space
                } else if c.is_ascii_control() {
                    Folded::Drop
                } else {
                    Folded::Same
                }
            } else {
                fold::fold(c)
            };
            match folded {
                Folded::Drop => {}
                Folded::Space => space = !p.text.is_empty(),
                Folded::Sep | Folded::Same | Folded::Emoji | Folded::Text(_) => {
                    if space {
                        p.push(' ', s, s);
                        space = false;
                    }
                    match folded {
                        Folded::Text(t) => t.chars().for_each(|d| p.push(d, s, e)),
                        Folded::Emoji if matches!(c, '\u{1F3FB}'..='\u{1F3FF}') => {}
                        _ => p.push(c.to_ascii_lowercase(), s, e),
                    }
                }
            }
        }
        p
    }

    fn push(&mut self, c: char, s: u32, e: u32) {
        for _ in 0..c.len_utf8() {
            self.starts.push(s);
            self.ends.push(e);
        }
        self.text.push(c);
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn span(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        if start >= end || end > self.starts.len() {
            return 0..0;
        }
        let s = self.starts[start] as usize;
        let e = self.ends[end - 1] as usize;
        s..e.max(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_but_keeps_digits_and_punctuation() {
        let p = Plain::new("CP\u{200B} 14  Ｓ3ller!");
        assert_eq!(p.text(), "cp 14 s3ller!");
        let at = p.text().find("s3").unwrap();
        assert_eq!(p.span(at, at + 2), 10..14);
    }
}
