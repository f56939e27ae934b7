//! Arrays for large tables read at random, backed by transparent huge pages.
//!
//! The media index reads thousands of random buckets per query across
//! hundreds of megabytes, and the graph looks up an account or a post for
//! every interaction in tables of as many; with 4 KiB pages nearly every such
//! read also misses the TLB.
//! Linux gives huge pages to anonymous mappings only when asked
//! (`transparent_hugepage=madvise` is the common default), and `Vec` cannot
//! ask, hence this small wrapper over `memmap2` (mapping) and `bytemuck`
//! (viewing the bytes as `u16`/`u32`/`u64` without unsafe code). Small
//! arrays stay in a `Vec`. Measured gains: bench/README.md (media index at 10M
//! hashes, graph load).

pub use bytemuck::Pod;
use memmap2::MmapMut;

/// Arrays at least this large (bytes) are mapped and advised.
const HUGE_THRESHOLD: usize = 4 << 20;

/// A growable array of plain-old-data values; above 4 MiB it lives in an
/// anonymous mapping advised for huge pages.
pub struct Buf<T: Pod> {
    storage: Storage<T>,
    len: usize,
}

enum Storage<T> {
    Vec(Vec<T>),
    Map(MmapMut),
}

impl<T: Pod> Default for Buf<T> {
    fn default() -> Buf<T> {
        Buf::new()
    }
}

impl<T: Pod> Buf<T> {
    /// An empty array.
    pub fn new() -> Buf<T> {
        Buf { storage: Storage::Vec(Vec::new()), len: 0 }
    }

    /// `len` zeroed elements.
    pub fn zeroed(len: usize) -> Buf<T> {
        let mut b = Buf { storage: Storage::Vec(Vec::new()), len: 0 };
        b.reserve_exact(len);
        b.len = len;
        if let Storage::Vec(v) = &mut b.storage {
            v.resize(len, T::zeroed());
        }
        b
    }

    /// Elements that fit without growing.
    pub fn capacity(&self) -> usize {
        match &self.storage {
            Storage::Vec(v) => v.capacity(),
            Storage::Map(m) => m.len() / std::mem::size_of::<T>(),
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<T>()
    }

    /// Makes room for `total` elements in all (keeping the contents).
    pub fn reserve_exact(&mut self, total: usize) {
        if total <= self.capacity() {
            return;
        }
        let bytes = total * std::mem::size_of::<T>();
        if bytes < HUGE_THRESHOLD {
            if let Storage::Vec(v) = &mut self.storage {
                v.reserve_exact(total - v.len());
                return;
            }
        }
        // A fresh anonymous mapping is zeroed; copy what we have into it.
        // If mapping fails (no address space), fall back to the heap.
        match MmapMut::map_anon(bytes) {
            Ok(mut map) => {
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage);
                let old: &[T] = self;
                let n = std::mem::size_of_val(old);
                map[..n].copy_from_slice(bytemuck::cast_slice(old));
                self.storage = Storage::Map(map);
            }
            Err(_) => {
                let mut v: Vec<T> = Vec::with_capacity(total);
                v.extend_from_slice(self);
                self.storage = Storage::Vec(v);
            }
        }
    }

    /// Appends one value.
    pub fn push(&mut self, x: T) {
        if self.len == self.capacity() {
            self.reserve_exact((self.len * 2).max(16));
        }
        match &mut self.storage {
            Storage::Vec(v) => v.push(x),
            Storage::Map(_) => {
                let at = self.len;
                self.len += 1;
                self[at] = x;
                return;
            }
        }
        self.len += 1;
    }
}

impl<T: Pod> std::ops::Deref for Buf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.storage {
            Storage::Vec(v) => v,
            Storage::Map(m) => &bytemuck::cast_slice(&m[..])[..self.len],
        }
    }
}

impl<T: Pod> std::ops::DerefMut for Buf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let len = self.len;
        match &mut self.storage {
            Storage::Vec(v) => v,
            Storage::Map(m) => &mut bytemuck::cast_slice_mut(&mut m[..])[..len],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_across_the_mapping_threshold_keeping_contents() {
        let mut b: Buf<u32> = Buf::new();
        let n = HUGE_THRESHOLD / 4 * 3;
        for i in 0..n as u32 {
            b.push(i.wrapping_mul(2_654_435_761));
        }
        assert_eq!(b.len(), n);
        assert!(b.iter().enumerate().all(|(i, &x)| x == (i as u32).wrapping_mul(2_654_435_761)));
        let z: Buf<u16> = Buf::zeroed(HUGE_THRESHOLD);
        assert!(z.iter().all(|&x| x == 0));
        assert_eq!(z.len(), HUGE_THRESHOLD);
    }
}
