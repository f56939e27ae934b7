//! The table that turns account and post ids into node numbers.
//!
//! Loading looks up one or two ids for every interaction (tens of millions),
//! at random in tables of millions of entries, far larger than the cache.
//! Written here rather than taken from hashbrown because hashbrown keeps its
//! control bytes apart from its slots (two cache misses per lookup) and its
//! memory cannot be put in huge pages on stable Rust (a TLB miss more). This
//! table is open addressing with linear probing over 16-byte slots in a
//! [`Buf`] (huge pages above 4 MiB): a lookup usually reads one cache line.
//!
//! Keys are 96 bits of the id's XXH3-128 hash (64 select the slot, 32 more
//! confirm it), so two ids share a key with probability about n²/2⁹⁷: for a
//! hundred million ids, below 10⁻¹³.

use guardrail_core::buf::Buf;

/// The 96-bit key of an id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Key {
    hash: u64,
    check: u32,
}

impl Key {
    pub(crate) fn of(id: &str) -> Key {
        let h = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
        Key { hash: h as u64, check: (h >> 64) as u32 }
    }

    /// The key as one number (for maps of pending changes and tests).
    #[cfg(test)]
    pub(crate) fn as_u128(self) -> u128 {
        u128::from(self.hash) | u128::from(self.check) << 64
    }
}

/// A slot: hash low, hash high, check, value + 1 (0 = empty).
type Slot = [u32; 4];

/// Ids (by [`Key`]) to `u32` values.
pub(crate) struct KeyTable {
    slots: Buf<Slot>,
    len: usize,
}

impl Default for KeyTable {
    fn default() -> KeyTable {
        KeyTable::new()
    }
}

impl std::fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyTable")
            .field("len", &self.len)
            .field("slots", &self.slots.len())
            .finish()
    }
}

const MIN_SLOTS: usize = 1024;

impl KeyTable {
    pub(crate) fn new() -> KeyTable {
        KeyTable { slots: Buf::zeroed(MIN_SLOTS), len: 0 }
    }

    /// Entries held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.bytes()
    }

    fn matches(s: &Slot, k: Key) -> bool {
        s[0] == k.hash as u32 && s[1] == (k.hash >> 32) as u32 && s[2] == k.check
    }

    /// The value of `k`, if present.
    #[inline]
    pub(crate) fn get(&self, k: Key) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = k.hash as usize & mask;
        loop {
            let s = &self.slots[i];
            if s[3] == 0 {
                return None;
            }
            if KeyTable::matches(s, k) {
                return Some(s[3] - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value of `k` (`v` below `u32::MAX`); returns the old value.
    pub(crate) fn insert(&mut self, k: Key, v: u32) -> Option<u32> {
        assert!(v < u32::MAX, "key table values must be below u32::MAX");
        // At most 70% full keeps probe runs short.
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = k.hash as usize & mask;
        loop {
            let s = &mut self.slots[i];
            if s[3] == 0 {
                *s = [k.hash as u32, (k.hash >> 32) as u32, k.check, v + 1];
                self.len += 1;
                return None;
            }
            if KeyTable::matches(s, k) {
                let old = s[3] - 1;
                s[3] = v + 1;
                return Some(old);
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let bigger = Buf::zeroed(self.slots.len() * 2);
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for s in old.iter().filter(|s| s[3] != 0) {
            let hash = u64::from(s[0]) | u64::from(s[1]) << 32;
            let mut i = hash as usize & mask;
            while self.slots[i][3] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The table agrees with a map on random inserts, overwrites and
        /// lookups, across growth.
        #[test]
        fn agrees_with_a_map(ops in prop::collection::vec((0u32..3000, 0u32..1_000_000, any::<bool>()), 1..4000)) {
            let mut t = KeyTable::new();
            let mut m: HashMap<u128, u32> = HashMap::new();
            for (id, v, insert) in ops {
                let k = Key::of(&format!("id{id}"));
                if insert {
                    prop_assert_eq!(t.insert(k, v), m.insert(k.as_u128(), v));
                } else {
                    prop_assert_eq!(t.get(k), m.get(&k.as_u128()).copied());
                }
            }
            prop_assert_eq!(t.len(), m.len());
        }
    }

    #[test]
    fn a_million_keys_round_trip() {
        let mut t = KeyTable::new();
        for i in 0..1_000_000u32 {
            assert_eq!(t.insert(Key::of(&format!("u{i}")), i), None);
        }
        assert_eq!(t.len(), 1_000_000);
        for i in (0..1_000_000u32).step_by(7) {
            assert_eq!(t.get(Key::of(&format!("u{i}"))), Some(i));
        }
        assert_eq!(t.get(Key::of("u1000000")), None);
        assert!(t.bytes() <= 16 * 2 * 1_048_576 * 2);
    }
}
