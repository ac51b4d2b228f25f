//! The analyzer: how raw text becomes the terms the model counts.
//!
//! One chain, in this order, for training and scoring alike:
//! web leftovers undone (HTML tags, character references) → tokenize → split elisions and hyphens → NFKC without invisible characters (non-ASCII words)
//! → Unicode lowercase (+ ligatures and the language's letter rules) → drop numbers and short
//! words → stop words → stem → fold accents. Every setting is recorded in the model, the
//! language included, so a model always scores with the chain it was trained with.

mod analyzer;
mod known;
mod language;
mod markup;
mod orthography;
mod tokenizer;

pub use analyzer::{Analyzer, AnalyzerConfig, WordCache};
pub use known::{DROPPED, KnownWords};
pub use language::{Language, stop_word_shares};
pub use tokenizer::raw_tokens;
