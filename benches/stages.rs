//! What scoring costs against reading and tokenizing the text once, on the workload of the
//! speed goal: 20newsgroups' test split scored by a model trained with the defaults on its
//! train split (`../shared/data/20newsgroups`, beside the project; skipped without it).
//!
//! One thread, the CSV file in memory, each step adding one stage to the one before; the
//! throughput is over the whole file's bytes:
//!
//! - `csv_records`: the rows parsed by the `csv` crate, as `score` reads them;
//! - `csv+tokenize` (the baseline): and each text's raw tokens (`text::raw_tokens`);
//! - `csv+words`: and each text's words resolved as scoring resolves them (the analyzer chain
//!   behind a per-run `WordCache`, the model's known words and vocabulary), from a fresh cache,
//!   as each run of `score` starts;
//! - `csv+words_warm`: the same with one cache kept from run to run, so that every word is in
//!   it: the steady state of a long feed, without the first sight of each word (the known-word
//!   table, and for the words training never met the analyzer chain and the vocabulary);
//! - `csv+score`: and each text scored (`Scorer::predict_proba`: words, n-grams, weights,
//!   probabilities).
//!
//! Whole-process figures (model load, threads, writing the output) are `benches/score.sh`'s.

use artclass::features::NO_WORD;
use artclass::input::read_labeled;
use artclass::text::{WordCache, raw_tokens};
use artclass::{ClassifierParams, Language};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// Calls `each` with the text field of every row of `bytes`, parsed as `score` parses them.
fn for_each_text(bytes: &[u8], mut each: impl FnMut(&str)) {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut row = csv::ByteRecord::new();
    while reader.read_byte_record(&mut row).expect("a CSV row") {
        each(std::str::from_utf8(&row[1]).unwrap_or_default());
    }
}

fn benches(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/20newsgroups");
    let Ok(test) = std::fs::read(data.join("test.csv")) else {
        eprintln!("stages: skipped, no {}", data.display());
        return;
    };
    let train = read_labeled(&data.join("train.csv"), "text", "label", b',')
        .expect("20newsgroups' train split");
    let model = ClassifierParams::new(Language::English)
        .check()
        .expect("default params")
        .fit(&train.texts, &train.labels)
        .expect("training");
    let vectorizer = model.vectorizer();

    let mut group = c.benchmark_group("stages");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Bytes(test.len() as u64));
    group.bench_function("csv_records", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for_each_text(&test, |text| bytes += text.len());
            black_box(bytes)
        })
    });
    group.bench_function("csv+tokenize", |b| {
        b.iter(|| {
            let mut tokens = 0usize;
            for_each_text(&test, |text| {
                raw_tokens(text, |token| tokens += token.len())
            });
            black_box(tokens)
        })
    });
    // Words of the vocabulary found in every text of the file, resolved as scoring does.
    let known_words = |cache: &mut WordCache<u32>| {
        let mut words: Vec<u32> = Vec::new();
        let mut known = 0usize;
        for_each_text(&test, |text| {
            words.clear();
            vectorizer.analyzer().resolve_words(
                text,
                cache,
                vectorizer.known_words(),
                |term| vectorizer.vocabulary().word_id(term).unwrap_or(NO_WORD),
                &mut words,
            );
            known += words.iter().filter(|&&word| word != NO_WORD).count();
        });
        known
    };
    // A fresh cache each run, as each run of `score` starts with one per thread.
    group.bench_function("csv+words", |b| {
        b.iter(|| black_box(known_words(&mut WordCache::new())))
    });
    // One cache kept across runs: warm after the first (criterion's warm-up runs it often).
    let mut cache = WordCache::new();
    group.bench_function("csv+words_warm", |b| {
        b.iter(|| black_box(known_words(&mut cache)))
    });
    group.bench_function("csv+score", |b| {
        b.iter(|| {
            let mut scorer = model.scorer();
            let mut best = 0usize;
            for_each_text(&test, |text| best += scorer.predict_proba(text).best().0);
            black_box(best)
        })
    });
    group.finish();
}

criterion_group!(stages, benches);
criterion_main!(stages);
