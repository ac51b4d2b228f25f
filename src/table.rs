//! The scoring weights' storage: values of their own, or a view into the model file mapped
//! in memory.
//!
//! Loading a large model for scoring used to mean allocating its weight table, having the
//! kernel zero it and copying the file into it: 24 MB for a 20newsgroups model, up to a third
//! of a short run (profiled). Mapped, the table is the file's pages in the page cache, already
//! in memory after the first run and shared between processes.

use std::ops::Deref;
use std::sync::Arc;

/// A read-only table of `f32`.
pub struct F32Table(Repr);

enum Repr {
    Owned(Vec<f32>),
    Mapped {
        map: Arc<memmap2::Mmap>,
        start: usize,
        len: usize,
    },
}

impl F32Table {
    /// A view of `len` little-endian `f32` starting at byte `start` of `map`, or `None` when
    /// the bytes cannot be used in place: out of the map, not aligned for `f32`, or a
    /// big-endian CPU.
    pub(crate) fn view(map: &Arc<memmap2::Mmap>, start: usize, len: usize) -> Option<Self> {
        let end = len.checked_mul(4)?.checked_add(start)?;
        let bytes = map.get(start..end)?;
        let usable = cfg!(target_endian = "little") && bytes.as_ptr().cast::<f32>().is_aligned();
        usable.then(|| {
            F32Table(Repr::Mapped {
                map: Arc::clone(map),
                start,
                len,
            })
        })
    }

    /// Whether the values are read in place from a mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Repr::Mapped { .. })
    }
}

impl Deref for F32Table {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        match &self.0 {
            Repr::Owned(values) => values,
            Repr::Mapped { map, start, len } => {
                // SAFETY: `view` checked that the `len * 4` bytes from `start` lie inside the
                // map and are aligned for `f32`, on a little-endian CPU; every bit pattern is
                // a valid `f32`. The map is read-only and private, and artclass only ever
                // replaces a model file by renaming a new one over it, which leaves this
                // mapping on the old file. Another program truncating or rewriting the file
                // in place while it is scored is not guarded against (as with any mapped
                // file, ripgrep's included).
                unsafe { std::slice::from_raw_parts(map.as_ptr().add(*start).cast::<f32>(), *len) }
            }
        }
    }
}

impl From<Vec<f32>> for F32Table {
    fn from(values: Vec<f32>) -> Self {
        F32Table(Repr::Owned(values))
    }
}

impl std::fmt::Debug for F32Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("F32Table")
            .field("len", &self.len())
            .field("mapped", &self.is_mapped())
            .finish()
    }
}
