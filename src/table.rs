//! Read-only tables of a model: values of their own, or a view into the model file mapped in
//! memory.
//!
//! Loading a large model for scoring used to mean allocating its weight table, having the
//! kernel zero it and copying the file into it: 24 MB for a 20newsgroups model, up to a third
//! of a short run (profiled). Mapped, a table is the file's pages in the page cache, already
//! in memory after the first run and shared between processes.

use std::ops::Deref;
use std::sync::Arc;

/// Plain numbers that any bytes of the right size and alignment are a valid value of.
///
/// # Safety
/// Every bit pattern must be a valid value of the type, and it must hold no padding.
pub unsafe trait Plain: Copy + Send + Sync + 'static {}

// SAFETY: every bit pattern is some `f32` (NaNs included) or some `u64`; neither has padding.
unsafe impl Plain for f32 {}
// SAFETY: as above.
unsafe impl Plain for u64 {}
// SAFETY: every bit pattern is some `u32`, and arrays of them hold no padding (n-gram keys
// and the n-gram table's slots).
unsafe impl<const N: usize> Plain for [u32; N] {}
// SAFETY: every bit pattern is some `u8` or some `u32` (the words' text and ends).
unsafe impl Plain for u8 {}
// SAFETY: as above.
unsafe impl Plain for u32 {}

/// The bytes of `values` in memory (the CPU's byte order).
pub(crate) fn plain_bytes<T: Plain>(values: &[T]) -> &[u8] {
    // SAFETY: `Plain` values hold no padding, so all their bytes are initialised; `u8` needs
    // no alignment, and the slice covers exactly the values' memory, borrowed as long.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
}

/// A read-only table of `T`.
#[derive(Clone)]
pub struct Table<T: Plain>(Repr<T>);

/// The scoring weights.
pub type F32Table = Table<f32>;

#[derive(Clone)]
enum Repr<T> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<memmap2::Mmap>,
        start: usize,
        len: usize,
    },
}

impl<T: Plain> Table<T> {
    /// A view of `len` little-endian values starting at byte `start` of `map`, or `None` when
    /// the bytes cannot be used in place: out of the map, not aligned for `T`, or a
    /// big-endian CPU.
    pub(crate) fn view(map: &Arc<memmap2::Mmap>, start: usize, len: usize) -> Option<Self> {
        let end = len
            .checked_mul(std::mem::size_of::<T>())?
            .checked_add(start)?;
        let bytes = map.get(start..end)?;
        let usable = cfg!(target_endian = "little") && bytes.as_ptr().cast::<T>().is_aligned();
        usable.then(|| {
            Table(Repr::Mapped {
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

impl<T: Plain> Deref for Table<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.0 {
            Repr::Owned(values) => values,
            Repr::Mapped { map, start, len } => {
                // SAFETY: `view` checked that the `len` values from `start` lie inside the
                // map and are aligned for `T`, on a little-endian CPU; any bytes are a valid
                // `T` (`Plain`). The map is read-only and private, and artclass only ever
                // replaces a model file by renaming a new one over it, which leaves this
                // mapping on the old file. Another program truncating the file in place
                // makes this read fault (SIGBUS, which `main` handles by cleaning up and
                // dying of it); rewriting it in place changes the values read, which
                // `Classifier::check_model_file_unchanged` tells before a run's output is
                // committed.
                unsafe { std::slice::from_raw_parts(map.as_ptr().add(*start).cast::<T>(), *len) }
            }
        }
    }
}

impl<T: Plain> From<Vec<T>> for Table<T> {
    fn from(values: Vec<T>) -> Self {
        Table(Repr::Owned(values))
    }
}

impl<T: Plain> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.len())
            .field("mapped", &self.is_mapped())
            .finish()
    }
}
