//! Exact Hamming range search over 256-bit PDQ hashes.
//!
//! Multi-index hashing (Norouzi, Punjani and Fleet, 2012), applied twice and
//! laid out for one-query-at-a-time service use:
//!
//! - The 256 bits are cut into 8 chunks of 32. If two hashes are within
//!   distance `r`, then by the pigeonhole principle some chunk `i` is within
//!   `t_i`, where the thresholds satisfy `Σ (t_i + 1) = r + 1` (for the
//!   default radius 31, `t_i = 3` for every chunk).
//! - [`Layout::Fast`] (the default) applies the principle again inside each
//!   chunk: a chunk within `t` has one of its 16-bit halves within `u_0` or
//!   the other within `u_1`, where `u_0 + u_1 + 2 = t + 1` (1 and 1 at the
//!   default radius). Each half has a table: the stored hashes sorted by
//!   that half (a directory of 65,536 offsets), each entry holding the
//!   chunk's other half and the entry id. A query visits the 17 buckets
//!   whose key is within one flip of its own half and scans each bucket's
//!   other halves for those that bring the chunk within `t`: 272 buckets of
//!   about 150 contiguous 16-bit entries at 10M hashes, instead of the ~8,000
//!   scattered buckets of single-level multi-index hashing, so a query costs
//!   a few hundred cache misses instead of many thousands.
//! - [`Layout::Compact`] keeps one table a chunk, sorted by the chunk's top
//!   18 bits, entries holding its low 14 bits; a query visits the 988
//!   buckets whose top bits are within `k ≤ t` flips of its own and scans
//!   their low bits for those within `t - k`. Half the tables (about 77
//!   instead of 117 bytes a hash at 10M hashes), about six times slower.
//! - Survivors are verified against the full hash. A hash that qualifies in
//!   several chunks is reported only from the first, which is decided from
//!   its own chunk distances; inside a chunk, the second half's table skips
//!   entries whose first half qualified. So no set of seen ids is needed.
//!
//! The answer is exactly brute force's (the property tests check it, for
//! both layouts).
//!
//! Updates without a rebuild: additions go to a small buffer that queries
//! scan linearly, removals set a tombstone bit, and [`HashIndex::compact`]
//! (run automatically when the buffer passes [`HashIndex::buffer_limit`])
//! rebuilds the tables over the live entries. Entry ids are stable for the
//! life of the index; removed entries' hashes stay in memory until the index
//! is rebuilt from its source (the store) at the next start.
//!
//! Memory per hash: 32 bytes of hash, 1 of payload while every payload is
//! under 256 (2 under 65,536, else 4), a bit of tombstone, and 5 bytes an
//! entry in each table (2 of filter, 3 of id under 2^24 entries, 4 above; 16
//! tables in the fast layout, 8 in the compact one). bench/README.md has the
//! measured figures and why an exact index of this speed cannot be much
//! smaller.

use crate::pdq::PdqHash;
use crate::MediaError;
use guardrail_core::buf::{Buf, Pod};

/// Number of chunks.
pub const CHUNKS: usize = 8;
/// Entries of padding after the last bucket's filters (one scan block).
const PAD: usize = 16;

/// The default search radius: ThreatExchange's PDQ match threshold.
pub const DEFAULT_RADIUS: u32 = 31;

/// Largest radius a query may ask for (beyond it nearly everything matches
/// and the tables no longer help).
pub const MAX_RADIUS: u32 = 96;

/// An entry's id: its insertion order, stable for the life of the index.
pub type EntryId = u32;

/// One stored hash within the radius of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Distance in bits.
    pub distance: u32,
    /// The entry.
    pub id: EntryId,
}

/// How the tables are laid out: memory against speed. Both answer exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Two tables a chunk, keyed by each 16-bit half (about 117 bytes a
    /// hash; at radius 31, 17 bucket visits a table).
    #[default]
    Fast,
    /// One table a chunk, keyed by its top 18 bits (about 77 bytes a hash;
    /// 988 bucket visits a table).
    Compact,
}

/// Which bits of which chunk a table is sorted by.
#[derive(Clone, Copy, Debug)]
struct Key {
    chunk: usize,
    /// The chunk is rotated left by this much; the key is then its top
    /// `bits` bits and the filter the rest.
    rotate: u32,
    bits: u32,
    /// Which of the chunk's two probes this table serves (fast layout):
    /// 0 for the first half, 1 for the second, which skips entries whose
    /// first half is within that probe's key radius.
    part: usize,
}

impl Key {
    #[inline]
    fn split(&self, c: u32) -> (u32, u16) {
        let c = c.rotate_left(self.rotate);
        (c >> (32 - self.bits), (c & ((1u32 << (32 - self.bits)) - 1)) as u16)
    }
}

fn keys(layout: Layout) -> Vec<Key> {
    match layout {
        Layout::Fast => (0..CHUNKS)
            .flat_map(|chunk| {
                // Part 0 is keyed by the low half (rotated to the top), part
                // 1 by the high half.
                [
                    Key { chunk, rotate: 16, bits: 16, part: 0 },
                    Key { chunk, rotate: 0, bits: 16, part: 1 },
                ]
            })
            .collect(),
        Layout::Compact => {
            (0..CHUNKS).map(|chunk| Key { chunk, rotate: 0, bits: 18, part: 0 }).collect()
        }
    }
}

/// Key radii of a chunk's probes for its threshold `t`: in the fast layout
/// `u_0 + u_1 + 2 = t + 1` (the second `None` when `t = 0`); in the compact
/// layout one probe whose key radius is `t` itself.
fn key_radii(layout: Layout, t: u32) -> [Option<u32>; 2] {
    match layout {
        Layout::Fast => {
            let total = t + 1;
            [Some(total.div_ceil(2) - 1), (total / 2).checked_sub(1)]
        }
        Layout::Compact => [Some(t), None],
    }
}

struct Table {
    key: Key,
    /// `offsets[b]..offsets[b + 1]` is bucket `b`'s range.
    offsets: Buf<u32>,
    /// The chunk's bits outside the key, per entry.
    filters: Buf<u16>,
    /// The entry id, per entry.
    ids: Ids,
}

/// A table's entry ids: three bytes each while every id fits (indexes of
/// under 2^24 entries, 16 bytes a hash less in the fast layout), else four.
/// Ids are read only for candidates, so the narrow form costs no speed.
enum Ids {
    Narrow(Buf<[u8; 3]>),
    Wide(Buf<u32>),
}

impl Ids {
    fn zeroed(len: usize, max_id: usize) -> Ids {
        if max_id < 1 << 24 {
            Ids::Narrow(Buf::zeroed(len))
        } else {
            Ids::Wide(Buf::zeroed(len))
        }
    }

    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Ids::Narrow(ids) => {
                let [a, b, c] = ids[i];
                u32::from_le_bytes([a, b, c, 0])
            }
            Ids::Wide(ids) => ids[i],
        }
    }

    fn set(&mut self, i: usize, id: u32) {
        match self {
            Ids::Narrow(ids) => {
                let [a, b, c, _] = id.to_le_bytes();
                ids[i] = [a, b, c];
            }
            Ids::Wide(ids) => ids[i] = id,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Ids::Narrow(ids) => ids.bytes(),
            Ids::Wide(ids) => ids.bytes(),
        }
    }
}

/// The callers' payloads, one per entry, as narrow as the largest payload
/// allows: one byte while every payload is under 256 (a bank number, in
/// `Banks`), two under 65,536, else four. A wider payload widens the whole
/// array once; payloads are read only for hits.
enum Payloads {
    U8(Buf<u8>),
    U16(Buf<u16>),
    U32(Buf<u32>),
}

impl Payloads {
    fn reserve_exact(&mut self, total: usize) {
        match self {
            Payloads::U8(p) => p.reserve_exact(total),
            Payloads::U16(p) => p.reserve_exact(total),
            Payloads::U32(p) => p.reserve_exact(total),
        }
    }

    fn push(&mut self, payload: u32) {
        match self {
            Payloads::U8(p) if payload > u8::MAX as u32 => {
                let wide = if payload > u16::MAX as u32 {
                    Payloads::U32(widen(p))
                } else {
                    Payloads::U16(widen(p))
                };
                *self = wide;
                self.push(payload);
            }
            Payloads::U16(p) if payload > u16::MAX as u32 => {
                *self = Payloads::U32(widen(p));
                self.push(payload);
            }
            Payloads::U8(p) => p.push(payload as u8),
            Payloads::U16(p) => p.push(payload as u16),
            Payloads::U32(p) => p.push(payload),
        }
    }

    fn get(&self, i: usize) -> Option<u32> {
        match self {
            Payloads::U8(p) => p.get(i).map(|&x| x.into()),
            Payloads::U16(p) => p.get(i).map(|&x| x.into()),
            Payloads::U32(p) => p.get(i).copied(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Payloads::U8(p) => p.bytes(),
            Payloads::U16(p) => p.bytes(),
            Payloads::U32(p) => p.bytes(),
        }
    }
}

/// A copy of `narrow` in a wider type, with room for as many values as
/// `narrow` had.
fn widen<N: Pod + Into<W>, W: Pod>(narrow: &Buf<N>) -> Buf<W> {
    let mut wide = Buf::new();
    wide.reserve_exact(narrow.capacity());
    for &x in narrow.iter() {
        wide.push(x.into());
    }
    wide
}

#[inline]
fn chunk(h: &PdqHash, i: usize) -> u32 {
    (h.0[i / 2] >> (32 * (i % 2))) as u32
}

impl Table {
    fn build(key: Key, hashes: &[u64], live: impl Iterator<Item = u32> + Clone) -> Table {
        let buckets = 1usize << key.bits;
        let mut offsets = Buf::zeroed(buckets + 1);
        for id in live.clone() {
            offsets[key.split(chunk(&stored(hashes, id), key.chunk)).0 as usize + 1] += 1;
        }
        for b in 0..buckets {
            offsets[b + 1] += offsets[b];
        }
        let n = offsets[buckets] as usize;
        let mut fill = offsets.to_vec();
        // Padding lets the scan read whole blocks past the last bucket.
        let mut filters = Buf::zeroed(n + PAD);
        let mut ids = Ids::zeroed(n, hashes.len() / 4);
        for id in live {
            let (b, f) = key.split(chunk(&stored(hashes, id), key.chunk));
            let slot = &mut fill[b as usize];
            filters[*slot as usize] = f;
            ids.set(*slot as usize, id);
            *slot += 1;
        }
        Table { key, offsets, filters, ids }
    }

    fn bytes(&self) -> usize {
        self.offsets.bytes() + self.filters.bytes() + self.ids.bytes()
    }
}

/// Hashes are kept as four words each in one flat array.
#[inline]
fn stored(words: &[u64], id: u32) -> PdqHash {
    let at = 4 * id as usize;
    PdqHash([words[at], words[at + 1], words[at + 2], words[at + 3]])
}

/// Per-chunk thresholds for radius `r`: `Σ (t_i + 1) = r + 1`; `None` for
/// chunks that need not be searched (small radii).
fn thresholds(r: u32) -> [Option<u32>; CHUNKS] {
    let total = r as usize + 1;
    std::array::from_fn(|i| {
        let share = total / CHUNKS + usize::from(i < total % CHUNKS);
        share.checked_sub(1).map(|t| t as u32)
    })
}

/// A bucket to scan: its number (then its start), its end, the filter budget.
type Visit = (u32, u32, u32);

/// The exact Hamming range index. See the module documentation.
pub struct HashIndex {
    layout: Layout,
    /// Four words per entry.
    words: Buf<u64>,
    /// Number of entries (live or removed).
    count: usize,
    payloads: Payloads,
    dead: Vec<u64>,
    dead_count: usize,
    tables: Vec<Table>,
    /// Ids in the tables (the rest are in the buffer).
    indexed: usize,
    buffer_limit: usize,
}

impl Default for HashIndex {
    fn default() -> HashIndex {
        HashIndex::new()
    }
}

impl HashIndex {
    /// An empty index with the default (fast) layout.
    pub fn new() -> HashIndex {
        HashIndex::with_layout(Layout::default())
    }

    /// An empty index with the given layout.
    pub fn with_layout(layout: Layout) -> HashIndex {
        HashIndex {
            layout,
            words: Buf::new(),
            count: 0,
            payloads: Payloads::U8(Buf::new()),
            dead: Vec::new(),
            dead_count: 0,
            tables: Vec::new(),
            indexed: 0,
            buffer_limit: 4096,
        }
    }

    /// Builds the tables over `entries` (hash and caller's payload) at once,
    /// in the default layout; entry ids are their positions in the iterator.
    pub fn build(entries: impl IntoIterator<Item = (PdqHash, u32)>) -> HashIndex {
        HashIndex::build_with(Layout::default(), entries)
    }

    /// Like [`HashIndex::build`], in the given layout.
    pub fn build_with(
        layout: Layout,
        entries: impl IntoIterator<Item = (PdqHash, u32)>,
    ) -> HashIndex {
        let mut index = HashIndex::with_layout(layout);
        let entries = entries.into_iter();
        let expected = entries.size_hint().0;
        index.words.reserve_exact(4 * expected);
        index.payloads.reserve_exact(expected);
        for (h, p) in entries {
            index.push(h, p);
        }
        index.dead = vec![0; index.count.div_ceil(64)];
        index.compact();
        index
    }

    /// The layout of the tables.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    fn push(&mut self, h: PdqHash, payload: u32) {
        for w in h.0 {
            self.words.push(w);
        }
        self.payloads.push(payload);
        self.count += 1;
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.count - self.dead_count
    }

    /// Whether no live entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries added since the last compaction (scanned linearly by queries).
    pub fn buffered(&self) -> usize {
        self.count - self.indexed
    }

    /// How many buffered entries trigger a compaction: the larger of 4,096
    /// and 1/64 of the index, so that scanning the buffer stays a small part
    /// of a query and rebuilds stay rare.
    pub fn buffer_limit(&self) -> usize {
        self.buffer_limit.max(self.indexed / 64)
    }

    /// Sets the minimum buffer size before a compaction (tests use small ones).
    pub fn set_buffer_limit(&mut self, limit: usize) {
        self.buffer_limit = limit.max(1);
    }

    /// Adds a hash; it is searchable at once.
    pub fn insert(&mut self, hash: PdqHash, payload: u32) -> Result<EntryId, MediaError> {
        let id = self.append(hash, payload)?;
        if self.buffered() >= self.buffer_limit() {
            self.compact();
        }
        Ok(id)
    }

    /// Adds many hashes, compacting at most once at the end (inserting a
    /// large list one by one would rebuild the tables every `1/64` of
    /// growth); returns the first one's id (the rest follow in order).
    /// All or nothing: an error (the index would be full) adds none.
    pub fn insert_many(&mut self, entries: &[(PdqHash, u32)]) -> Result<EntryId, MediaError> {
        let first = self.count;
        if first + entries.len() >= u32::MAX as usize {
            return Err(MediaError::Full { held: first, adding: entries.len() });
        }
        self.words.reserve_exact(4 * (first + entries.len()));
        self.payloads.reserve_exact(first + entries.len());
        for &(h, p) in entries {
            self.append(h, p)?;
        }
        if self.buffered() >= self.buffer_limit() {
            self.compact();
        }
        Ok(first as EntryId)
    }

    /// Stores an entry in the buffer without compacting.
    fn append(&mut self, hash: PdqHash, payload: u32) -> Result<EntryId, MediaError> {
        let id = u32::try_from(self.count)
            .ok()
            .filter(|&id| id < u32::MAX)
            .ok_or(MediaError::Full { held: self.count, adding: 1 })?;
        self.push(hash, payload);
        if self.dead.len() * 64 < self.count {
            self.dead.push(0);
        }
        Ok(id)
    }

    /// Removes an entry; returns whether it was live.
    pub fn remove(&mut self, id: EntryId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.dead[id as usize / 64] |= 1 << (id % 64);
        self.dead_count += 1;
        true
    }

    /// Whether `id` names a live entry.
    pub fn is_live(&self, id: EntryId) -> bool {
        (id as usize) < self.count && self.dead[id as usize / 64] >> (id % 64) & 1 == 0
    }

    /// The hash of an entry (live or removed).
    pub fn hash(&self, id: EntryId) -> Option<PdqHash> {
        ((id as usize) < self.count).then(|| stored(&self.words, id))
    }

    /// The caller's payload of an entry.
    pub fn payload(&self, id: EntryId) -> Option<u32> {
        self.payloads.get(id as usize)
    }

    /// Rebuilds the tables over every live entry and empties the buffer.
    /// The tables are built on as many threads as there are cores.
    pub fn compact(&mut self) {
        let n = self.count as u32;
        let dead = &self.dead;
        let live = (0..n).filter(move |&id| dead[id as usize / 64] >> (id % 64) & 1 == 0);
        let hashes: &[u64] = &self.words;
        let keys = keys(self.layout);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut tables: Vec<Option<Table>> = keys.iter().map(|_| None).collect();
        std::thread::scope(|scope| {
            let per = keys.len().div_ceil(threads);
            for (keys, out) in keys.chunks(per).zip(tables.chunks_mut(per)) {
                let live = live.clone();
                scope.spawn(move || {
                    for (&key, slot) in keys.iter().zip(out) {
                        *slot = Some(Table::build(key, hashes, live.clone()));
                    }
                });
            }
        });
        self.tables = tables.into_iter().map(|t| t.expect("every table is built")).collect();
        self.indexed = self.count;
    }

    /// Bytes of memory held (hashes, payloads, tombstones and tables).
    pub fn memory_bytes(&self) -> usize {
        self.words.bytes()
            + self.payloads.bytes()
            + self.dead.capacity() * 8
            + self.tables.iter().map(Table::bytes).sum::<usize>()
    }

    /// Every live entry within `radius` bits of `query`, nearest first (ties
    /// by id). Exactly the brute-force answer.
    pub fn query(&self, query: &PdqHash, radius: u32) -> Result<Vec<Hit>, MediaError> {
        let mut hits = Vec::new();
        self.query_into(query, radius, &mut hits)?;
        hits.sort_unstable();
        Ok(hits)
    }

    /// Like [`HashIndex::query`] for each of several hashes of one image
    /// (its dihedral variants): each entry once, at its smallest distance.
    pub fn query_any(&self, queries: &[PdqHash], radius: u32) -> Result<Vec<Hit>, MediaError> {
        let mut hits = Vec::new();
        self.query_any_into(queries, radius, &mut hits)?;
        Ok(hits)
    }

    /// Like [`HashIndex::query_any`] into a caller's buffer (cleared first),
    /// so that a server's hot path reuses one allocation per worker.
    pub fn query_any_into(
        &self,
        queries: &[PdqHash],
        radius: u32,
        hits: &mut Vec<Hit>,
    ) -> Result<(), MediaError> {
        hits.clear();
        for q in queries {
            self.query_into(q, radius, hits)?;
        }
        hits.sort_unstable_by_key(|h| (h.id, h.distance));
        hits.dedup_by_key(|h| h.id);
        hits.sort_unstable();
        Ok(())
    }

    /// Appends the hits for one query, unsorted.
    pub fn query_into(
        &self,
        query: &PdqHash,
        radius: u32,
        hits: &mut Vec<Hit>,
    ) -> Result<(), MediaError> {
        if radius > MAX_RADIUS {
            return Err(MediaError::Radius { radius, max: MAX_RADIUS });
        }
        let t = thresholds(radius);
        if !self.tables.is_empty() {
            self.search_tables(query, radius, &t, hits);
        }
        for id in self.indexed..self.count {
            let d = stored(&self.words, id as u32).distance(query);
            if d <= radius && self.is_live(id as u32) {
                hits.push(Hit { distance: d, id: id as u32 });
            }
        }
        Ok(())
    }

    /// Searches every table, one at a time, in passes over its buckets so
    /// that memory latency overlaps: list the buckets, read their bounds
    /// (independent loads), touch each bucket's first and last cache line
    /// (independent loads again), and only then scan them. Done bucket by
    /// bucket, each costs two dependent cache misses; this way the misses of
    /// all of a table's buckets are in flight together.
    fn search_tables(
        &self,
        query: &PdqHash,
        radius: u32,
        t: &[Option<u32>; CHUNKS],
        hits: &mut Vec<Hit>,
    ) {
        let mut buckets: Vec<Visit> = Vec::with_capacity(1024);
        for table in &self.tables {
            let key = table.key;
            let Some(ti) = t[key.chunk] else { continue };
            let radii = key_radii(self.layout, ti);
            let Some(u) = radii[key.part] else { continue };
            let (qkey, qfilter) = key.split(chunk(query, key.chunk));
            // The second part skips entries the first part reports: those
            // whose first half (this table's filter) is within `u_0`.
            let skip = if key.part == 1 { radii[0] } else { None };
            buckets.clear();
            for k in 0..=u.min(key.bits) {
                for_each_mask(k, key.bits, |mask| buckets.push((qkey ^ mask, 0, ti - k)));
            }
            for b in buckets.iter_mut() {
                let at = b.0 as usize;
                (b.0, b.1) = (table.offsets[at], table.offsets[at + 1]);
            }
            let mut touched = 0u16;
            for &(start, end, _) in buckets.iter() {
                touched ^= table.filters[start as usize] ^ table.filters[end as usize];
            }
            std::hint::black_box(touched);
            for &(start, end, budget) in buckets.iter() {
                let (start, end) = (start as usize, end as usize);
                let filters = &table.filters[start..end + PAD];
                let mut visit = |j: usize| {
                    if skip.is_some_and(|s| (filters[j] ^ qfilter).count_ones() <= s) {
                        return;
                    }
                    let id = table.ids.get(start + j);
                    self.verify(key.chunk, id, query, radius, t, hits);
                };
                scan(filters, end - start, qfilter, budget, &mut visit);
            }
        }
    }

    /// Full check of a candidate found in chunk `i`'s tables: within the
    /// radius, live, and not already reported from an earlier chunk.
    #[inline]
    fn verify(
        &self,
        i: usize,
        id: u32,
        query: &PdqHash,
        radius: u32,
        t: &[Option<u32>; CHUNKS],
        hits: &mut Vec<Hit>,
    ) {
        let h = &stored(&self.words, id);
        let d = h.distance(query);
        if d > radius || !self.is_live(id) {
            return;
        }
        let earlier = (0..i)
            .any(|j| t[j].is_some_and(|tj| (chunk(h, j) ^ chunk(query, j)).count_ones() <= tj));
        if !earlier {
            hits.push(Hit { distance: d, id });
        }
    }
}

/// Calls `visit(j)` for every `j < len` with `lows[j]` within `budget`
/// bits of `q`; `lows` extends at least [`PAD`] entries past `len`.
///
/// Blocks of 16 are turned into a bit mask by loops the compiler vectorises
/// (the bit test is branch-free: clearing the lowest set bit `budget` times
/// leaves zero exactly when at most `budget` bits differ), then the rare
/// set bits are visited. The last block reads into the next bucket (or the
/// padding) and masks those entries off.
#[inline]
fn scan(lows: &[u16], len: usize, q: u16, budget: u32, visit: &mut impl FnMut(usize)) {
    match budget {
        0 => scan_with::<0>(lows, len, q, visit),
        1 => scan_with::<1>(lows, len, q, visit),
        2 => scan_with::<2>(lows, len, q, visit),
        3 => scan_with::<3>(lows, len, q, visit),
        _ => {
            for (j, &l) in lows[..len].iter().enumerate() {
                if (l ^ q).count_ones() <= budget {
                    visit(j);
                }
            }
        }
    }
}

#[inline(always)]
fn within<const B: u32>(x: u16) -> bool {
    let mut x = x;
    for _ in 0..B {
        x &= x.wrapping_sub(1);
    }
    x == 0
}

#[inline(always)]
fn scan_with<const B: u32>(lows: &[u16], len: usize, q: u16, visit: &mut impl FnMut(usize)) {
    let mut base = 0;
    while base < len {
        let block: &[u16; 16] = lows[base..base + 16].try_into().expect("padded");
        let mut mask: u32 = 0;
        for (k, &l) in block.iter().enumerate() {
            mask |= u32::from(within::<B>(l ^ q)) << k;
        }
        if len - base < 16 {
            mask &= (1 << (len - base)) - 1;
        }
        while mask != 0 {
            visit(base + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        base += 16;
    }
}

/// Calls `f` with every `bits`-bit mask of exactly `k` set bits (Gosper's hack).
#[inline]
fn for_each_mask(k: u32, bits: u32, mut f: impl FnMut(u32)) {
    if k == 0 {
        f(0);
        return;
    }
    if k > bits {
        return;
    }
    let limit = 1u64 << bits;
    let mut m: u64 = (1 << k) - 1;
    while m < limit {
        f(m as u32);
        let c = m & m.wrapping_neg();
        let r = m + c;
        m = (((r ^ m) >> 2) / c) | r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_cover_the_radius() {
        for r in 0..=MAX_RADIUS {
            let t = thresholds(r);
            let sum: u32 = t.iter().map(|t| t.map_or(0, |t| t + 1)).sum();
            assert_eq!(sum, r + 1, "radius {r}");
        }
        assert_eq!(thresholds(31), [Some(3); 8]);
    }

    #[test]
    fn ids_are_narrow_below_two_to_the_24_and_read_back_either_way() {
        let narrow = Ids::zeroed(4, (1 << 24) - 1);
        let wide = Ids::zeroed(4, 1 << 24);
        assert!(matches!(narrow, Ids::Narrow(_)));
        assert!(matches!(wide, Ids::Wide(_)));
        for (mut ids, max) in [(narrow, (1u32 << 24) - 1), (wide, u32::MAX - 1)] {
            for (i, id) in [0, 1, 0x00ab_cdef, max].into_iter().enumerate() {
                ids.set(i, id);
            }
            let back: Vec<u32> = (0..4).map(|i| ids.get(i)).collect();
            assert_eq!(back, vec![0, 1, 0x00ab_cdef, max]);
        }
    }

    #[test]
    fn payloads_widen_only_when_a_payload_needs_it_and_keep_every_value() {
        let mut index = HashIndex::new();
        let values = [0, 255, 256, 65_535, 65_536, u32::MAX];
        let widths = [1, 1, 2, 2, 4, 4];
        let mut ids = Vec::new();
        for (i, (&p, &width)) in values.iter().zip(&widths).enumerate() {
            ids.push(index.insert(PdqHash([i as u64, 1, 2, 3]), p).unwrap());
            let per = match &index.payloads {
                Payloads::U8(_) => 1,
                Payloads::U16(_) => 2,
                Payloads::U32(_) => 4,
            };
            assert_eq!(per, width, "after payload {p}");
            let back: Vec<u32> = ids.iter().map(|&id| index.payload(id).unwrap()).collect();
            assert_eq!(back, values[..=i]);
        }
        assert_eq!(index.payload(ids.len() as EntryId), None);
    }

    #[test]
    fn masks_are_all_combinations() {
        for k in 0..=4 {
            let mut seen = Vec::new();
            for_each_mask(k, 10, |m| seen.push(m));
            let expected: Vec<u32> = (0..1024u32).filter(|m| m.count_ones() == k).collect();
            seen.sort_unstable();
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn insert_remove_and_compact_keep_answers() {
        let a = PdqHash([1, 2, 3, 4]);
        let b = PdqHash([1, 2, 3, 5]);
        let mut index = HashIndex::build([(a, 10)]);
        index.set_buffer_limit(2);
        let id_b = index.insert(b, 11).unwrap();
        assert_eq!(index.buffered(), 1);
        let ids =
            |ix: &HashIndex| ix.query(&a, 31).unwrap().iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(&index), vec![0, 1]);
        assert!(index.remove(0));
        assert!(!index.remove(0));
        assert_eq!(ids(&index), vec![id_b]);
        index.compact();
        assert_eq!(index.buffered(), 0);
        assert_eq!(ids(&index), vec![id_b]);
        assert_eq!(index.payload(id_b), Some(11));
        assert_eq!(index.len(), 1);
        assert!(index.query(&a, MAX_RADIUS + 1).is_err());
    }
}
