//! artclass: sort articles by theme with a multinomial naive Bayes model.
//!
//! The pipeline: [`text`] turns text into terms, [`features`] builds the vocabulary and sparse
//! count vectors in parallel, [`model`] fits linfa-bayes's `MultinomialNb` and scores sparse
//! vectors, [`persist`] reads and writes model files. [`input`] reads articles and
//! [`metrics`] scores predictions.

pub mod crossval;
pub mod error;
pub mod features;
pub mod input;
pub mod metrics;
pub mod model;
pub mod persist;
pub mod plot;
pub mod text;

pub use error::{Error, Result};
pub use model::{Classifier, ClassifierParams, Prediction, Scorer, ValidClassifierParams};
pub use text::Language;

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

/// The built-in model file (trained on `data/corpus`, see `data/README.md`).
pub const DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../models/default.artclass");

/// Loads the built-in model.
pub fn default_model() -> Result<Classifier> {
    persist::from_bytes(
        DEFAULT_MODEL_BYTES,
        "built-in default",
        persist::Load::Scoring,
    )
}
