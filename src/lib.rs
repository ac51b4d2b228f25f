//! artclass: sort articles by theme with a multinomial naive Bayes model.
//!
//! The pipeline: [`text`] turns text into terms, [`features`] builds the vocabulary and sparse
//! count vectors in parallel, [`model`] fits linfa-bayes's `MultinomialNb` and scores sparse
//! vectors, [`persist`] reads and writes model files. [`input`] reads articles and
//! [`metrics`] scores predictions.

#![warn(missing_docs)]

pub mod crossval;
pub mod error;
pub mod features;
pub mod input;
pub mod metrics;
pub mod model;
#[cfg(target_os = "linux")]
#[doc(hidden)]
pub mod pending;
pub mod persist;
pub mod plot;
pub mod table;
pub mod text;

pub use error::{Error, Result};
pub use features::{FeatureConfig, Norm, TermFrequency};
pub use model::{
    Articles, Classifier, ClassifierParams, NbKind, Prediction, Scorer, ValidClassifierParams,
};
pub use text::{AnalyzerConfig, Language};
/// The linfa and linfa-bayes this crate is built on (linfa-bayes is a patched copy, see
/// `vendor/linfa-bayes/PATCHED.md`): to name the types [`Classifier::to_linfa`] and
/// [`Error::Estimator`] hold, and to use linfa's traits on [`Articles`].
pub use {linfa, linfa_bayes};

/// Asks the CPU to start loading `item` into its cache: for loops that know the addresses they
/// will read a few steps ahead, so that independent memory reads overlap.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults nor reads into the program; `item` is a
    // valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (item as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

/// An empty vector with room for `capacity` items, whose memory the kernel is asked to back
/// with huge pages (Linux, where transparent huge pages are on "madvise"): for tables read at
/// random on every token (word cache, n-gram filter, weights copied). Profiled, their reads missed
/// the TLB as often as the caches; with 2 MiB pages a few entries cover a whole table. Fill it
/// without growing past `capacity`, or the advice is lost with the reallocation.
pub(crate) fn with_huge_page_capacity<T>(capacity: usize) -> Vec<T> {
    let items: Vec<T> = Vec::with_capacity(capacity);
    #[cfg(target_os = "linux")]
    {
        const HUGE_PAGE: usize = 2 << 20;
        let start = items.as_ptr() as usize;
        let end = start + items.capacity() * std::mem::size_of::<T>();
        let aligned_start = start.next_multiple_of(HUGE_PAGE);
        let aligned_end = end / HUGE_PAGE * HUGE_PAGE;
        if aligned_end > aligned_start {
            // SAFETY: the range lies inside the vector's own allocation, and MADV_HUGEPAGE
            // only changes how the kernel backs those pages, never their contents. A failure
            // (no THP support) leaves the ordinary pages, so its result is ignored.
            unsafe {
                libc::madvise(
                    aligned_start as *mut libc::c_void,
                    aligned_end - aligned_start,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    items
}

/// [`with_huge_page_capacity`], holding `len` copies of `value`.
pub(crate) fn huge_page_vec<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut items = with_huge_page_capacity(len);
    items.resize(len, value);
    items
}

/// Hands the allocator's free memory back to the system (glibc keeps freed blocks for
/// reuse, so a phase that frees a lot leaves the resident size at its high mark): called
/// between training phases so that their peaks do not add up.
pub(crate) fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds as free; it touches no
    // live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The built-in model file (trained on `data/corpus`, see `data/README.md`).
pub const DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../models/default.artclass");

/// Loads the built-in model, for scoring only (it holds no training sums, so it cannot be
/// saved again). Each call decodes it again (about a millisecond): keep the result.
pub fn default_model() -> Result<Classifier> {
    persist::from_bytes(
        DEFAULT_MODEL_BYTES,
        "built-in default",
        persist::Load::Scoring,
    )
}
