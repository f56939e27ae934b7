//! The stored event log read back as JSON Lines, so that every consumer of
//! an event stream (the graph loader, the scan) can read the store as it
//! reads a file.

use std::io::{BufRead, Read};

use crate::Store;

/// Events per query.
const PAGE: usize = 10_000;

/// A [`BufRead`] over every stored event in log order, one canonical JSON
/// object a line. A store error surfaces as an I/O error wrapping the
/// [`crate::StoreError`].
pub struct EventLines<'a> {
    store: &'a mut dyn Store,
    after: u64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<'a> EventLines<'a> {
    /// Reads `store`'s log from the beginning.
    pub fn new(store: &'a mut dyn Store) -> EventLines<'a> {
        EventLines { store, after: 0, buf: Vec::new(), pos: 0, done: false }
    }
}

impl Read for EventLines<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for EventLines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos == self.buf.len() && !self.done {
            let page = self.store.events_after(self.after, PAGE).map_err(std::io::Error::other)?;
            self.buf.clear();
            self.pos = 0;
            match page.last() {
                None => self.done = true,
                Some(last) => self.after = last.seq,
            }
            for e in page {
                self.buf.extend_from_slice(e.body.as_bytes());
                self.buf.push(b'\n');
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}
