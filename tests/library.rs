//! The library example of README.md ("As a library"), kept compiling and true here.

use artclass::{ClassifierParams, Language, persist};

fn train_save_load_and_classify(dir: &std::path::Path) -> artclass::Result<()> {
    let texts = [
        "Des bureaux partagés en coworking",
        "Le service client répond au téléphone",
    ];
    let labels = ["coworking", "customer_relation"];
    let model = ClassifierParams::new(Language::French)
        .min_df(1)
        .check()?
        .fit(&texts, &labels)?;
    let path = dir.join("themes.artclass");
    persist::save(&model, &path)?;
    let model = persist::load(&path, persist::Load::Scoring)?;
    let mut scorer = model.scorer(); // one per thread: it keeps a word cache
    let prediction = scorer.predict_proba("Un espace de coworking ouvre ses bureaux");
    let (best, probability) = prediction.best();
    assert_eq!(model.labels()[best], "coworking");
    assert!(probability > 0.5);
    Ok(())
}

#[test]
fn the_readme_example_runs() {
    let dir = tempfile::tempdir().unwrap();
    train_save_load_and_classify(dir.path()).unwrap();
}

#[test]
fn the_readme_shows_this_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(root.join("tests/library.rs")).unwrap();
    let example = &this[this.find("use artclass::").unwrap()..this.find("#[test]").unwrap()];
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(example.trim_end()),
        "README.md's \"As a library\" differs from tests/library.rs"
    );
}

#[test]
fn the_built_in_model_predicts_in_one_call_and_prints_in_brief() {
    let model = artclass::default_model().unwrap();
    let text = "Notre espace de coworking propose des bureaux partagés et une salle de réunion";
    let (label, probability) = model.predict(text);
    let probabilities = model.predict_proba(text);
    let best = model.labels().iter().position(|l| l == label).unwrap();
    assert_eq!(probabilities[best], probability);
    assert_eq!(label, "coworking");
    let brief = format!("{model:?}");
    assert!(
        brief.starts_with("Classifier { language: French, labels: [\"coworking\""),
        "{brief}"
    );
    assert!(brief.len() < 400, "{brief}");
}

#[test]
fn a_batch_is_scored_as_its_texts_one_by_one() {
    let model = artclass::default_model().unwrap();
    let texts = [
        "Notre espace de coworking propose des bureaux partagés",
        "La boutique en ligne livre les commandes en 48 heures",
        "",
        "Une formation certifiante pour les managers",
    ];
    let batch = model.predict_proba_batch(&texts);
    assert_eq!(batch.len(), texts.len());
    for (text, prediction) in texts.iter().zip(&batch) {
        assert_eq!(prediction.probabilities, model.predict_proba(text));
    }
}

#[test]
fn errors_name_the_setting_and_tell_misuse_from_bad_settings() {
    let error = artclass::ClassifierParams::new(artclass::Language::English)
        .min_df(0)
        .check()
        .unwrap_err();
    assert!(matches!(error, artclass::Error::Params(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "invalid setting: min_df (--min-df) must be at least 1"
    );

    // The built-in model is loaded for scoring only, without the training sums a model file
    // holds: saving it is a misuse, not a setting.
    let scoring = artclass::default_model().unwrap();
    let error = artclass::persist::to_bytes(&scoring).unwrap_err();
    assert!(
        matches!(error, artclass::Error::Unsupported(_)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("a model loaded for scoring only cannot be saved"),
        "{error}"
    );
}

/// linfa's traits, as `artclass::Articles` documents them: the same model as the inherent
/// calls, whose names shadow the traits' (hence the calls by path).
#[test]
fn linfa_traits_train_and_predict_like_the_inherent_calls() {
    use artclass::linfa::prelude::*;
    use artclass::{Articles, ClassifierParams, Language};

    let texts = vec![
        "Des bureaux partagés en coworking",
        "Le service client répond au téléphone",
    ];
    let labels = vec!["coworking", "customer_relation"];
    let dataset = DatasetBase::new(Articles(texts.clone()), labels.clone());
    let params = ParamGuard::check(ClassifierParams::new(Language::French)).unwrap();
    let model = Fit::fit(&params, &dataset).unwrap();
    let predicted: Vec<String> = Predict::predict(&model, &dataset);
    assert_eq!(predicted, labels);
    let inherent = params.fit(&texts, &labels).unwrap();
    let text = "Un espace de coworking ouvre";
    assert_eq!(model.predict_proba(text), inherent.predict_proba(text));
    assert_eq!(dataset.records.nsamples(), 2);
}
