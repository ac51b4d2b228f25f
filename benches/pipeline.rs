//! Throughput (input bytes per second) of each stage of the artclass pipeline, on the
//! project's own French corpus (`data/corpus/<label>/*.txt`), repeated until one iteration
//! processes at least 4 MB (×8 for ~270 articles / ~640 KB; fewer copies as the corpus grows).
//!
//! - `analyzer/resolve_words+cache`: the hot analyzer path (`Analyzer::resolve_words` with a
//!   fresh `WordCache` per iteration), single thread. Baseline: `analyzer/words_uncached_baseline`
//!   (`Analyzer::words`, which normalises and allocates every word).
//! - `extraction/fit_transform[_ngrams=N]/threads=T`: analyzer + vocabulary building
//!   (`features::fit_transform`, `min_df = 1`, other `FeatureConfig` fields at their
//!   defaults), unigrams and 1–2-grams, in a rayon pool of 1 and 2 threads.
//!   Baseline: `threads=1`.
//! - `scoring/scorer_predict_proba`: `Classifier::scorer()` + `Scorer::predict_proba` over every
//!   text, single thread, with a model trained on the same corpus at bench start with the
//!   default `ClassifierParams` (so its n-gram order and weighting follow the crate defaults).
//! - `training/fit/threads=T`: `ClassifierParams::new(French).check()?.fit(..)` (extraction +
//!   naive Bayes fit, crate defaults), in pools of 1 and 2 threads. Baseline: `threads=1`.
//!
//! Caveat: the corpus is repeated, so after the first copy nearly every raw word is a cache hit
//! and the vocabulary stops growing; these figures are for a cache-friendly workload.

use artclass::features::{self, FeatureConfig};
use artclass::text::{Analyzer, AnalyzerConfig, KnownWords, WordCache};
use artclass::{Classifier, ClassifierParams, Language};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// The corpus is repeated until one iteration reads at least this many bytes.
const TARGET_BYTES: usize = 4_000_000;
const THREADS: [usize; 2] = [1, 2];

struct Corpus {
    texts: Vec<String>,
    labels: Vec<String>,
    bytes: u64,
}

/// Reads `data/corpus/<label>/*.txt` (sorted, for a stable input) and repeats it up to
/// [`TARGET_BYTES`].
fn load_corpus() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus");
    let mut label_dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_dir())
        .collect();
    label_dirs.sort();
    let mut base: Vec<(String, String)> = Vec::new();
    for dir in &label_dirs {
        let label = dir
            .file_name()
            .expect("label dir")
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("label dir")
            .map(|entry| entry.expect("corpus file").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
            base.push((text, label.clone()));
        }
    }
    assert!(
        label_dirs.len() >= 2 && !base.is_empty(),
        "empty corpus in {}",
        root.display()
    );
    let base_bytes: usize = base.iter().map(|(text, _)| text.len()).sum();
    let repeat = TARGET_BYTES.div_ceil(base_bytes.max(1)).max(1);
    let (texts, labels): (Vec<String>, Vec<String>) = std::iter::repeat_n(&base, repeat)
        .flatten()
        .cloned()
        .unzip();
    let bytes = texts.iter().map(|t| t.len() as u64).sum();
    eprintln!(
        "corpus: {} labels, {} articles ×{repeat} = {} texts, {:.2} MB per iteration",
        label_dirs.len(),
        base.len(),
        texts.len(),
        bytes as f64 / 1e6
    );
    Corpus {
        texts,
        labels,
        bytes,
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

/// Short, few-sample settings: every iteration processes megabytes.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Bytes(bytes));
}

fn benches(c: &mut Criterion) {
    let corpus = load_corpus();
    let texts: Vec<&str> = corpus.texts.iter().map(String::as_str).collect();
    let analyzer = Analyzer::new(AnalyzerConfig::preset(Language::French));

    // 1. Analyzer alone, single thread.
    {
        let mut group = c.benchmark_group("analyzer");
        configure(&mut group, corpus.bytes);
        group.bench_function("resolve_words+cache", |b| {
            b.iter(|| {
                // Fresh cache each iteration, as each extraction chunk gets one.
                let mut cache: WordCache<u32> = WordCache::new();
                let mut resolved = 0usize;
                let mut lengths = Vec::new();
                for text in &texts {
                    lengths.clear();
                    analyzer.resolve_words(
                        text,
                        &mut cache,
                        &KnownWords::empty(),
                        |term| {
                            resolved += 1;
                            term.len() as u32
                        },
                        &mut lengths,
                    );
                }
                black_box((resolved, lengths.len()))
            })
        });
        group.bench_function("words_uncached_baseline", |b| {
            b.iter(|| {
                let mut emitted = 0usize;
                let mut checksum = 0usize;
                for text in &texts {
                    let words = analyzer.words(text);
                    emitted += words.len();
                    checksum = words
                        .iter()
                        .fold(checksum, |acc, w| acc.wrapping_add(w.len()));
                    black_box(words);
                }
                black_box((emitted, checksum))
            })
        });
        group.finish();
    }

    // 2. Analyzer + vocabulary building, in pools of 1 and 2 threads.
    {
        let mut group = c.benchmark_group("extraction");
        configure(&mut group, corpus.bytes);
        for ngrams in [1, 2] {
            let config = FeatureConfig {
                ngrams,
                min_df: 1,
                ..FeatureConfig::default()
            };
            if ngrams > 1 {
                // ~1 s per iteration on one thread: room for 10 single-iteration samples.
                group.measurement_time(Duration::from_secs(8));
            }
            let name = if ngrams == 1 {
                "fit_transform".to_string()
            } else {
                format!("fit_transform_ngrams={ngrams}")
            };
            for threads in THREADS {
                let pool = pool(threads);
                group.bench_function(format!("{name}/threads={threads}"), |b| {
                    b.iter(|| {
                        pool.install(|| {
                            features::fit_transform(&analyzer, &config, black_box(&texts))
                                .expect("fit_transform")
                        })
                    })
                });
            }
        }
        group.finish();
    }

    // 3. Scoring with a per-run Scorer, single thread; then training in pools of 1 and 2.
    let params = ClassifierParams::new(Language::French)
        .check()
        .expect("default params");
    let model: Classifier = params.fit(&corpus.texts, &corpus.labels).expect("training");
    {
        let mut group = c.benchmark_group("scoring");
        configure(&mut group, corpus.bytes);
        group.bench_function("scorer_predict_proba", |b| {
            b.iter(|| {
                let mut scorer = model.scorer();
                let mut best = 0usize;
                let mut total = 0.0f64;
                for text in &texts {
                    let (label, probability) = scorer.predict_proba(text).best();
                    best = best.wrapping_add(label);
                    total += probability;
                }
                black_box((best, total))
            })
        });
        group.finish();
    }
    {
        let mut group = c.benchmark_group("training");
        configure(&mut group, corpus.bytes);
        // Up to ~1 s per iteration on one thread with the default (1–2-gram) settings.
        group.measurement_time(Duration::from_secs(8));
        for threads in THREADS {
            let pool = pool(threads);
            group.bench_function(format!("fit/threads={threads}"), |b| {
                b.iter(|| {
                    pool.install(|| {
                        params
                            .fit(black_box(&corpus.texts), &corpus.labels)
                            .expect("training")
                    })
                })
            });
        }
        group.finish();
    }
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
