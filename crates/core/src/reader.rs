//! Streaming JSONL reader with line numbers and bounded line length.

use std::io::BufRead;

use crate::error::{EventError, FieldError};
use crate::event::Event;
use crate::parse::parse_line_inner;

/// How an [`EventReader`] treats lines it does not understand.
#[derive(Clone, Debug)]
pub struct ReaderConfig {
    /// Skip (and count) events whose `type` is unknown instead of failing.
    pub skip_unknown_types: bool,
    /// Longest line accepted, in bytes; a longer one is an error (and is skipped
    /// without being held in memory).
    pub max_line_bytes: usize,
}

impl Default for ReaderConfig {
    fn default() -> ReaderConfig {
        ReaderConfig { skip_unknown_types: false, max_line_bytes: 1 << 20 }
    }
}

/// Counts kept while reading.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct ReaderStats {
    /// Lines read, including blank ones.
    pub lines: u64,
    /// Events returned.
    pub events: u64,
    /// Events skipped because their type was unknown.
    pub skipped_unknown: u64,
    /// Lines that were rejected with an error.
    pub invalid: u64,
}

/// Reads events from JSON Lines, one `Result` per non-blank line.
///
/// After an I/O error the iterator ends. A rejected line does not end it: the
/// caller decides whether to stop (strict) or continue (skip invalid).
pub struct EventReader<R> {
    input: R,
    config: ReaderConfig,
    buf: Vec<u8>,
    stats: ReaderStats,
    done: bool,
}

impl<R: BufRead> EventReader<R> {
    /// A reader with the default configuration.
    pub fn new(input: R) -> EventReader<R> {
        EventReader::with_config(input, ReaderConfig::default())
    }

    /// A reader with an explicit configuration.
    pub fn with_config(input: R, config: ReaderConfig) -> EventReader<R> {
        EventReader {
            input,
            config,
            buf: Vec::with_capacity(512),
            stats: ReaderStats::default(),
            done: false,
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Reads one line into `self.buf`; returns false at end of input. Lines longer
    /// than the limit are consumed to their end but not kept; `Ok(Some(len))` reports that.
    fn read_line(&mut self) -> std::io::Result<Option<Option<usize>>> {
        self.buf.clear();
        let limit = self.config.max_line_bytes;
        let mut total = 0usize;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(if total == 0 { None } else { Some(over(total, limit)) });
            }
            let (used, found) = match memchr_newline(chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if total + used <= limit + 1 {
                self.buf.extend_from_slice(&chunk[..used]);
            }
            total += used;
            self.input.consume(used);
            if found {
                return Ok(Some(over(total, limit)));
            }
        }
    }
}

fn over(total: usize, limit: usize) -> Option<usize> {
    // The limit excludes the line ending.
    if total > limit + 1 {
        Some(total)
    } else {
        None
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Event, EventError>;

    fn next(&mut self) -> Option<Result<Event, EventError>> {
        while !self.done {
            let line_no = self.stats.lines + 1;
            let too_long = match self.read_line() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(too_long)) => too_long,
                Err(source) => {
                    self.done = true;
                    return Some(Err(EventError::Io { line: line_no, error: source }));
                }
            };
            self.stats.lines = line_no;
            if let Some(len) = too_long {
                self.stats.invalid += 1;
                return Some(Err(EventError::Invalid {
                    line: line_no,
                    error: FieldError::new(
                        "(line)",
                        format!(
                            "line is {len} bytes, longer than the limit of {} bytes",
                            self.config.max_line_bytes
                        ),
                    ),
                }));
            }
            let mut bytes = &self.buf[..];
            while let [rest @ .., b'\n' | b'\r'] = bytes {
                bytes = rest;
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    self.stats.invalid += 1;
                    return Some(Err(EventError::Invalid {
                        line: line_no,
                        error: FieldError::new(
                            "(line)",
                            format!("not valid UTF-8 at byte {}", e.valid_up_to()),
                        ),
                    }));
                }
            };
            match parse_line_inner(text, self.config.skip_unknown_types) {
                Ok(Some(event)) => {
                    self.stats.events += 1;
                    return Some(Ok(event));
                }
                Ok(None) => {
                    self.stats.skipped_unknown += 1;
                    continue;
                }
                Err(source) => {
                    self.stats.invalid += 1;
                    return Some(Err(EventError::Invalid { line: line_no, error: source }));
                }
            }
        }
        None
    }
}
