//! The real binary, run in temporary directories: every subcommand and every bad input.

mod common;

use common::*;
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

const LABELS: [&str; 4] = ["coworking", "customer_relation", "ecommerce", "training"];

/// Trains a model from [`TRAIN_CSV`] in `dir` and returns its path.
fn small_model(dir: &std::path::Path) -> std::path::PathBuf {
    let train = write(dir, "train.csv", TRAIN_CSV);
    let model = dir.join("small.artclass");
    artclass()
        .args(["train", "--input"])
        .arg(&train)
        .arg("--output")
        .arg(&model)
        .assert()
        .success()
        .stderr("");
    model
}

/// Writes `csv` into `dir` as `name`, trains a model on it with `flags` and returns the
/// model's path.
fn train_csv(dir: &std::path::Path, name: &str, csv: &str, flags: &[&str]) -> std::path::PathBuf {
    let train = write(dir, name, csv);
    let model = dir.join(format!("{name}.artclass"));
    succeeds(
        artclass()
            .arg("train")
            .args(flags)
            .arg("--input")
            .arg(&train)
            .arg("--output")
            .arg(&model),
    );
    model
}

/// `classify --json` of `text` (on stdin) with `model`.
fn classify_json(model: &std::path::Path, text: &str) -> serde_json::Value {
    let output = succeeds(
        artclass()
            .args(["classify", "--json", "--model"])
            .arg(model)
            .write_stdin(text),
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

// ---- classify ----

#[test]
fn classify_with_the_default_model_prints_every_theme() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "article.txt", ARTICLE_COWORKING);
    let output = artclass().arg("classify").arg(&file).output().unwrap();
    assert!(output.status.success());
    assert!(output.stderr.is_empty());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
    assert_eq!(fields[0], file.to_str().unwrap());
    assert_eq!(fields[1], "coworking");
    let p: f64 = fields[2].parse().unwrap();
    assert!(p > 0.5 && p <= 1.0);
    assert_eq!(fields.len(), 2 + LABELS.len());
    for label in &LABELS[1..] {
        assert!(
            fields[3..]
                .iter()
                .any(|f| f.starts_with(&format!("{label}="))),
            "{stdout}"
        );
    }
}

#[test]
fn classify_json_reads_stdin_and_probabilities_sum_to_one() {
    for args in [vec!["classify", "--json"], vec!["classify", "--json", "-"]] {
        let output = artclass()
            .args(&args)
            .write_stdin(ARTICLE_CUSTOMER)
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(output.stderr.is_empty());
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(value["file"], "-");
        assert_eq!(value["label"], "customer_relation");
        let probabilities = value["probabilities"].as_object().unwrap();
        assert_eq!(probabilities.len(), 4);
        let total: f64 = probabilities.values().map(|p| p.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(value["known_features"].as_u64().unwrap() > 5, "{value}");
    }
}

/// Chinese (like Japanese and Thai) has no spaces between words: a clause used to be one
/// term, which no other text repeats, so nothing was ever recognised. Read as pairs of
/// characters, a new sentence made of the training's words finds them.
#[test]
fn text_without_spaces_between_words_is_learned_and_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let model = train_csv(
        dir.path(),
        "zh.csv",
        "label,text\n\
         sport,足球比赛今天晚上举行，主队球员在比赛中进了两个球。\n\
         sport,篮球队赢得了冠军，球迷在球场外庆祝比赛的胜利。\n\
         sport,这名足球运动员下周将参加国家队的训练和比赛。\n\
         economy,银行宣布降低利率，股市今天上涨，投资者很高兴。\n\
         economy,政府公布了新的经济政策，企业的投资和出口增加。\n\
         economy,股票价格下跌，银行和企业担心经济增长放缓。\n",
        &["--lang", "en"],
    );
    for (text, label) in [
        ("球员在球场上踢足球", "sport"),
        ("银行的利率和股市", "economy"),
    ] {
        let value = classify_json(&model, text);
        assert_eq!(value["label"], label, "{text}: {value}");
        assert!(value["known_features"].as_u64().unwrap() >= 2, "{value}");
        assert!(
            value["probabilities"][label].as_f64().unwrap() > 0.6,
            "{value}"
        );
    }
}

/// In Devanagari a vowel sign is part of the letter: `दाल` (lentils) and `दल` (party) used to
/// fold into one term, as accents fold in French.
#[test]
fn marks_that_are_letters_keep_words_apart() {
    let dir = tempfile::tempdir().unwrap();
    let model = train_csv(
        dir.path(),
        "hi.csv",
        "text,label\n\
         राजनीतिक दल ने चुनाव जीता,politics\n\
         संसद में विपक्षी दल,politics\n\
         दाल और रोटी खाना,food\n\
         मसूर की दाल पकाई,food\n",
        &["--lang", "en"],
    );
    for (word, label) in [("दाल", "food"), ("दल", "politics")] {
        let value = classify_json(&model, word);
        assert_eq!(value["label"], label, "{word}: {value}");
    }
}

/// Accents fold by default (`ecole` finds `école`); `--fold-accents false` keeps them, for
/// a language or a corpus where they tell words apart.
#[test]
fn fold_accents_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    for (fold, known) in [("true", 1), ("false", 0)] {
        let model = train_csv(
            dir.path(),
            &format!("accents-{fold}.csv"),
            "text,label\nÉcole et élèves,school\nMarché boursier,market\n",
            &["--fold-accents", fold],
        );
        let value = classify_json(&model, "ecole");
        assert_eq!(
            value["known_features"], known,
            "--fold-accents {fold}: {value}"
        );
    }
}

/// The report names the analyzer settings changed from the language's preset, and only
/// those: `lang de` alone means the whole German chain ran.
#[test]
fn the_training_report_names_analyzer_settings_off_the_preset() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", TRAIN_CSV);
    let report = |flags: &[&str]| {
        let output = succeeds(
            artclass()
                .arg("train")
                .args(flags)
                .arg("--input")
                .arg(&train)
                .arg("--output")
                .arg(dir.path().join("m.artclass")),
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(report(&[]).contains("; lang fr, ngrams 2,"));
    let changed = report(&[
        "--stem",
        "false",
        "--stop-words",
        "false",
        "--fold-accents",
        "false",
    ]);
    assert!(
        changed.contains("; lang fr, stem false, stop-words false, fold-accents false, ngrams 2,"),
        "{changed}"
    );
}

/// English trained with the default French preset keeps `the` and `of` as terms and stems
/// with French rules: `train` says which preset the texts look like, and still trains.
#[test]
fn training_warns_when_the_texts_look_like_another_preset() {
    let dir = tempfile::tempdir().unwrap();
    let sentences = [
        "The team won the match in the last minute of the game and the fans were on their feet.",
        "The bank said that the rate of interest will rise and that the markets had to adjust.",
        "Our players trained all week for the final, and the coach was happy with their form.",
        "Shares of the company fell after it said that its profits for the year would be lower.",
    ];
    let mut csv = String::from("text,label\n");
    for round in 0..4 {
        for (i, sentence) in sentences.iter().enumerate() {
            let label = if i % 2 == 0 { "sport" } else { "economy" };
            csv.push_str(&format!("\"{sentence} It was day {round}.\",{label}\n"));
        }
    }
    let train = write(dir.path(), "english.csv", &csv);
    let stderr_of = |flags: &[&str]| {
        let output = succeeds(
            artclass()
                .arg("train")
                .args(flags)
                .arg("--input")
                .arg(&train)
                .arg("--output")
                .arg(dir.path().join("m.artclass")),
        );
        String::from_utf8(output.stderr).unwrap()
    };
    let warned = stderr_of(&[]);
    assert!(
        warned.starts_with("artclass: warning: the texts look like --lang en (")
            && warned.contains("the preset in use): was --lang en meant?"),
        "{warned}"
    );
    assert!(dir.path().join("m.artclass").exists());
    assert_eq!(stderr_of(&["--lang", "en"]), "");

    // Cross-validation trains too, and says the same.
    let output = succeeds(
        artclass()
            .args(["eval", "--cv", "2", "--input"])
            .arg(&train),
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("was --lang en meant?"), "{stderr}");
}

/// Decomposed accents (NFD, as macOS file names and some web pages write them) and a soft
/// hyphen inside a word change nothing: the same article gets the same result to the bit.
#[test]
fn classify_json_gives_nfd_text_with_a_soft_hyphen_the_nfc_result() {
    use unicode_normalization::UnicodeNormalization;
    let nfd: String =
        ARTICLE_COWORKING
            .nfd()
            .collect::<String>()
            .replacen("coworking", "co\u{AD}working", 1);
    assert_ne!(nfd, ARTICLE_COWORKING);
    assert!(nfd.contains("te\u{301}le\u{301}travailleurs") && nfd.contains('\u{AD}'));
    let classify = |text: &str| {
        let output = succeeds(artclass().args(["classify", "--json"]).write_stdin(text));
        assert!(output.stderr.is_empty());
        String::from_utf8(output.stdout).unwrap()
    };
    let expected = classify(ARTICLE_COWORKING);
    let value: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(value["label"], "coworking");
    assert!(value["known_features"].as_u64().unwrap() > 10, "{value}");
    assert_eq!(classify(&nfd), expected);
}

#[test]
fn classify_flags_an_article_without_a_known_word() {
    for args in [vec!["classify"], vec!["classify", "--json"]] {
        let output = artclass()
            .args(&args)
            .write_stdin("zxqv wqyjk plorf")
            .output()
            .unwrap();
        assert!(output.status.success());
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            stdout.starts_with('-') || stdout.contains("\"known_features\":0"),
            "{stdout}"
        );
        assert_eq!(
            String::from_utf8(output.stderr).unwrap(),
            "artclass: -: no word the model knows; the label says nothing of the text \
             (the labels' priors, or all labels alike with the complement rules)\n"
        );
    }
}

#[test]
fn classify_top_k_and_argument_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.txt", ARTICLE_CUSTOMER);
    let b = write(dir.path(), "b.txt", ARTICLE_COWORKING);
    let output = artclass()
        .args(["classify", "--top", "2"])
        .args([&a, &b, &a])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[0][1], lines[1][1], lines[2][1]),
        ("customer_relation", "coworking", "customer_relation")
    );
    assert!(
        lines.iter().all(|l| l.len() == 4),
        "top 2 = winner + one other: {stdout}"
    );
}

#[test]
fn classify_goes_on_past_an_unreadable_article_and_fails_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cowork.txt", ARTICLE_COWORKING);
    write(dir.path(), "empty.txt", "");
    write(dir.path(), "customer.txt", ARTICLE_CUSTOMER);
    let output = artclass()
        .current_dir(dir.path())
        .args([
            "classify",
            "cowork.txt",
            "empty.txt",
            "missing.txt",
            ".",
            "customer.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let classified: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(classified, ["cowork.txt", "customer.txt"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 4, "{stderr}");
    assert!(
        errors[0].starts_with("artclass: empty.txt: empty article"),
        "{stderr}"
    );
    assert!(
        errors[1].starts_with("artclass: missing.txt: No such file"),
        "{stderr}"
    );
    assert_eq!(
        errors[2],
        "artclass: .: is a directory, expected an article file"
    );
    assert!(
        errors[3].contains("3 of 5 articles could not be read"),
        "{stderr}"
    );
}

#[test]
fn classify_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.txt", ARTICLE_COWORKING);
    // Far more output than a pipe buffer holds, so the writer meets the closed pipe.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
        .arg("classify")
        .args(std::iter::repeat_n(&file, 6000))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("coworking"));
    // The reader is dropped here, like `| head -1`.
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status:?}, stderr {stderr:?}");
    assert_eq!(stderr, "");
}

// ---- train ----

#[test]
fn classify_reads_web_leftovers_as_the_page_shows_them_unless_told_not_to() {
    let probabilities = |text: &str| {
        let output = succeeds(artclass().args(["classify", "--json"]).write_stdin(text));
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (
            value["probabilities"].clone(),
            value["known_features"].clone(),
        )
    };
    let plain = "Commande passée sur le site, toujours pas reçue. Livraison gratuite. \
                 Retours sous 30 jours. Les salariés du service client répondent.";
    let web = "<div><p>Commande pass&eacute;e sur le site, toujours pas re&ccedil;ue.</p>\
               <br/>Livraison gratuite.Retours sous 30 jours. Les salari&eacute;.e.s du \
               service client r&eacute;pondent.</div>";
    assert_eq!(probabilities(web), probabilities(plain));

    // Trained without the rules, the model reads the leftovers as words, and says so.
    let dir = tempfile::tempdir().unwrap();
    let csv = calibration_csv();
    let train = write(dir.path(), "train.csv", &csv);
    let model = dir.path().join("off.artclass");
    let output = succeeds(
        artclass()
            .args(["train", "--web-rules", "false", "--input"])
            .arg(&train)
            .arg("--output")
            .arg(&model),
    );
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(report.contains("; lang fr, web-rules false, "), "{report}");
    let loaded = artclass::persist::load(&model, artclass::persist::Load::Scoring).unwrap();
    assert!(!loaded.analyzer_config().web_rules);
    let (encoded, bare) = (
        classify_json(&model, "pan&#105;er"),
        classify_json(&model, "panier"),
    );
    assert_eq!(encoded["known_features"], 0);
    assert_eq!(bare["known_features"], 1);
}

/// 120 short articles of two themes, written for these tests, some borrowing a word of the
/// other theme: enough held-out documents to calibrate on.
fn calibration_csv() -> String {
    let themes = [
        (
            "coworking",
            ["bureau", "partagé", "coworking", "nomade", "poste", "loyer"],
        ),
        (
            "ecommerce",
            [
                "panier",
                "livraison",
                "commande",
                "boutique",
                "paiement",
                "retour",
            ],
        ),
    ];
    let mut csv = String::from("text,label\n");
    for doc in 0..120 {
        let (label, words) = themes[doc % 2];
        let other = themes[(doc + 1) % 2].1[doc % 6];
        let text = format!(
            "{} {} {} {}",
            words[doc % 6],
            words[(doc / 6) % 6],
            words[(doc / 2) % 6],
            if doc % 3 == 0 { other } else { "ville" }
        );
        csv.push_str(&format!("{text},{label}\n"));
    }
    csv
}

#[test]
fn train_calibrates_the_probabilities_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let csv = calibration_csv();
    let train = write(dir.path(), "train.csv", &csv);
    let report = |flags: &[&str], model: &str| {
        let output = succeeds(
            artclass()
                .arg("train")
                .args(flags)
                .arg("--input")
                .arg(&train)
                .arg("--output")
                .arg(dir.path().join(model)),
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let calibrated = report(&[], "cal.artclass");
    assert!(
        calibrated.contains("probabilities calibrated on 120 held-out documents: temperature "),
        "{calibrated}"
    );
    let plain = report(&["--calibrate", "false"], "plain.artclass");
    assert!(
        plain.contains("probabilities not calibrated (--calibrate false)"),
        "{plain}"
    );
    let load = |name: &str| {
        artclass::persist::load(dir.path().join(name), artclass::persist::Load::Scoring).unwrap()
    };
    let (cal, raw) = (load("cal.artclass"), load("plain.artclass"));
    assert_eq!(raw.temperature(), 1.0);
    let temperature = cal.temperature();
    assert!(temperature > 0.0 && temperature != 1.0);
    // Same label, probabilities of the scores divided by the temperature.
    for text in [
        "un panier livré au bureau",
        "coworking en ville",
        "commande",
    ] {
        let (a, b) = (
            classify_json(&dir.path().join("cal.artclass"), text),
            classify_json(&dir.path().join("plain.artclass"), text),
        );
        assert_eq!(a["label"], b["label"], "{text}");
        let raw: Vec<f64> = ["coworking", "ecommerce"]
            .iter()
            .map(|l| b["probabilities"][l].as_f64().unwrap().ln() / temperature)
            .collect();
        let expected = 1.0 / (1.0 + (raw[1] - raw[0]).exp());
        let got = a["probabilities"]["coworking"].as_f64().unwrap();
        assert!((got - expected).abs() < 1e-6, "{text}: {got} {expected}");
    }
    // Too few documents: said, not failed.
    let few = write(
        dir.path(),
        "few.csv",
        csv.lines().take(41).collect::<Vec<_>>().join("\n"),
    );
    let output = succeeds(
        artclass()
            .args(["train", "--input"])
            .arg(&few)
            .arg("--output")
            .arg(dir.path().join("few.artclass")),
    );
    let few = String::from_utf8(output.stdout).unwrap();
    assert!(
        few.contains("probabilities not calibrated: fewer than 100 documents"),
        "{few}"
    );
    // eval --cv takes the flag too.
    succeeds(
        artclass()
            .args(["eval", "--cv", "3", "--calibrate", "false", "--input"])
            .arg(&train),
    );
}

#[test]
fn train_from_csv_then_classify_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", TRAIN_CSV);
    let model = dir.path().join("m.artclass");
    let output = artclass()
        .args([
            "train", "--ngrams", "2", "--min-df", "1", "--alpha", "0.5", "--input",
        ])
        .arg(&train)
        .arg("--output")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stderr.is_empty());
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(summary.contains("trained on 6 documents"), "{summary}");
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("coworking") && l.split_whitespace().nth(1) == Some("3")),
        "{summary}"
    );
    assert!(summary.contains("vocabulary after pruning: "), "{summary}");
    assert!(summary.contains("tf raw, ngram-tf binary,"), "{summary}");
    assert!(
        summary.contains(" s\n") || summary.contains(" s "),
        "time taken: {summary}"
    );

    artclass()
        .args(["classify", "--model"])
        .arg(&model)
        .write_stdin(ARTICLE_CUSTOMER)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("-\tcustomer_relation\t"))
        .stderr("");
}

/// German texts written for this test: trains, records and uses the German preset (its
/// stemmer, ß read as ss, umlauts folded).
const GERMAN_TRAIN_CSV: &str = "\
text,label
\"Die Züge der Bahn fahren morgens pünktlich, doch am Bahnhof warten viele Pendler auf den verspäteten Regionalzug.\",verkehr
\"Der neue Fahrplan bringt mehr Verbindungen: Straßenbahnen und Busse halten öfter an den Haltestellen der Stadt.\",verkehr
\"Wegen Bauarbeiten an den Gleisen fällt der Zug nach München aus; Reisende steigen in Ersatzbusse um.\",verkehr
\"Im Frühling säen wir Tomaten und Kräuter im Garten, gießen die Beete abends und jäten das Unkraut.\",garten
\"Rosen brauchen sonnige Plätze, lockere Erde und im Herbst einen kräftigen Rückschnitt der Triebe.\",garten
\"Der Gartenbau-Verein zeigt, wie man Kompost anlegt und Obstbäume im Winter richtig schneidet.\",garten
";

#[test]
fn train_with_another_language_records_it_and_classifies_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", GERMAN_TRAIN_CSV);
    let model = dir.path().join("de.artclass");
    let output = succeeds(
        artclass()
            .args(["train", "--lang", "de", "--min-df", "1", "--input"])
            .arg(&train)
            .arg("--output")
            .arg(&model),
    );
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(summary.contains("; lang de, "), "{summary}");

    let loaded = artclass::persist::load(&model, artclass::persist::Load::Scoring).unwrap();
    assert_eq!(
        loaded.analyzer_config().language,
        artclass::Language::German
    );
    assert_eq!(
        std::fs::read(&model).unwrap()[8..12],
        artclass::persist::FORMAT_VERSION.to_le_bytes()
    );

    // Other inflections, `Strassenbahn` without ß, `Zuege` nowhere: the stems must meet.
    let cases = [
        (
            "Heute fiel am Bahnhof der Zug aus, und die Pendler warteten lange auf einen Bus \
             zur Strassenbahn.",
            "verkehr",
        ),
        (
            "Die Tomaten im Beet brauchen Sonne; abends giessen wir die Kräuter und schneiden \
             die Rosen zurück.",
            "garten",
        ),
    ];
    for (text, label) in cases {
        let value = classify_json(&model, text);
        assert_eq!(value["label"], label, "{text}: {value}");
        assert!(value["known_features"].as_u64().unwrap() >= 4, "{value}");
    }

    // The German stop words are gone: an article of nothing else has no known word.
    let value = classify_json(&model, "Der die das und oder aber wir ihr sie.");
    assert_eq!(value["known_features"], 0, "{value}");
}

#[test]
fn an_unknown_language_is_refused_naming_the_presets() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", TRAIN_CSV);
    let output = artclass()
        .args(["train", "--lang", "xx", "--output", "m.artclass", "--input"])
        .arg(&train)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("invalid value 'xx' for '--lang"),
        "{stderr}"
    );
    let presets: Vec<&str> = artclass::Language::ALL.iter().map(|l| l.code()).collect();
    assert!(
        stderr.contains(&format!("[possible values: {}]", presets.join(", "))),
        "{stderr}"
    );
    assert!(!dir.path().join("m.artclass").exists());

    // Any case, and Bokmål's and Nynorsk's codes, are taken.
    for (code, language) in [("EN", "en"), ("nb", "no"), ("Nn", "no")] {
        let model = train_csv(dir.path(), "train.csv", TRAIN_CSV, &["--lang", code]);
        let loaded = artclass::persist::load(&model, artclass::persist::Load::Scoring).unwrap();
        assert_eq!(loaded.analyzer_config().language.code(), language);
    }
}

#[test]
fn train_from_label_directories_with_custom_columns() {
    let dir = tempfile::tempdir().unwrap();
    for (label, text) in [("alpha", ARTICLE_COWORKING), ("beta", ARTICLE_CUSTOMER)] {
        std::fs::create_dir(dir.path().join(label)).unwrap();
        write(&dir.path().join(label), "one.txt", text);
    }
    let model = dir.path().join("m.artclass");
    artclass()
        .args(["train", "--min-df", "1", "--ngram-tf", "log", "--input"])
        .arg(dir.path())
        .arg("--output")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicate::str::contains("trained on 2 documents"))
        .stdout(predicate::str::contains("ngram-tf log,"));
    artclass()
        .args(["classify", "--model"])
        .arg(&model)
        .write_stdin(ARTICLE_COWORKING)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("-\talpha\t"));

    let csv = write(
        dir.path(),
        "semi.csv",
        "body;theme\nDes bureaux partagés en coworking;a\nLe service client répond;b\n",
    );
    artclass()
        .args([
            "train",
            "--min-df",
            "1",
            "--text-column",
            "body",
            "--label-column",
            "theme",
            "--delimiter",
            ";",
            "--input",
        ])
        .arg(&csv)
        .arg("--output")
        .arg(dir.path().join("semi.artclass"))
        .assert()
        .success();
}

#[test]
fn csv_flags_given_for_a_directory_are_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    for (label, text) in [("alpha", ARTICLE_COWORKING), ("beta", ARTICLE_CUSTOMER)] {
        std::fs::create_dir_all(dir.path().join("articles").join(label)).unwrap();
        write(&dir.path().join("articles").join(label), "one.txt", text);
        write(&dir.path().join("articles").join(label), "two.txt", text);
    }
    refused_with(
        &[
            "train",
            "--input",
            "articles",
            "--output",
            "m",
            "--delimiter",
            ";",
        ],
        dir.path(),
        &[
            "--delimiter applies to CSV input",
            "articles is a directory",
        ],
    );
    refused_with(
        &[
            "eval",
            "--input",
            "articles",
            "--text-column",
            "body",
            "--label-column",
            "theme",
        ],
        dir.path(),
        &[
            "--text-column, --label-column apply to CSV input",
            "drop them",
        ],
    );
    assert!(!dir.path().join("m").exists());
    // Their default values, given or not, are no request.
    succeeds(
        artclass()
            .current_dir(dir.path())
            .args(["eval", "--input", "articles", "--cv", "2", "--min-df", "1"]),
    );
}

#[cfg(target_os = "linux")]
#[test]
fn file_names_that_are_not_utf8_are_read_and_written() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    // Latin-1 names, as an old archive or a Windows share mounted without iocharset gives.
    let train = dir.path().join(OsStr::from_bytes(b"entra\xeenement.csv"));
    std::fs::write(&train, TRAIN_CSV).unwrap();
    let model = dir.path().join(OsStr::from_bytes(b"mod\xe8le"));
    succeeds(
        artclass()
            .args(["train", "--min-df", "1", "--input"])
            .arg(&train)
            .arg("--output")
            .arg(&model),
    );
    let scored = dir.path().join(OsStr::from_bytes(b"r\xe9sultat.csv"));
    succeeds(
        artclass()
            .args(["score", "--quiet", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&train)
            .arg("--output")
            .arg(&scored),
    );
    let out = std::fs::read_to_string(&scored).unwrap();
    assert_eq!(out.lines().count(), TRAIN_CSV.lines().count(), "{out}");
    succeeds(
        artclass()
            .args(["eval", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&train),
    );
    // In messages, the bytes that are not UTF-8 show as replacement characters.
    let missing = dir.path().join(OsStr::from_bytes(b"absent\xff.csv"));
    let output = artclass()
        .args(["score", "--input"])
        .arg(&missing)
        .args(["--output", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("absent\u{fffd}.csv: "), "{stderr}");
}

#[test]
fn a_header_after_two_byte_order_marks_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // Two tools in a row each added a byte-order mark.
    let bom = "\u{feff}";
    write(dir.path(), "twice.csv", format!("{bom}{bom}{TRAIN_CSV}"));
    succeeds(artclass().current_dir(dir.path()).args([
        "train",
        "--min-df",
        "1",
        "--input",
        "twice.csv",
        "--output",
        "m",
    ]));
    let output = succeeds(artclass().current_dir(dir.path()).args([
        "score",
        "--quiet",
        "--input",
        "twice.csv",
        "--output",
        "-",
    ]));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.starts_with("id,text,label,predicted,"), "{out}");
}

#[test]
fn training_gives_the_same_model_with_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = root().join("data/corpus");
    let mut models = Vec::new();
    for threads in ["1", "2"] {
        let model = dir.path().join(format!("t{threads}.artclass"));
        artclass()
            .args(["--threads", threads, "train", "--ngrams", "2", "--input"])
            .arg(&corpus)
            .arg("--output")
            .arg(&model)
            .assert()
            .success();
        models.push(std::fs::read(model).unwrap());
    }
    assert!(
        models[0] == models[1],
        "1 and 2 threads give different model files"
    );
}

// ---- score ----

#[test]
fn score_keeps_columns_and_order_and_adds_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        format!(
            "id,text,source\n1,\"{}\",web\n2,\"{}\",rss\n3,\"{}\",web\n",
            ARTICLE_CUSTOMER, ARTICLE_COWORKING, ARTICLE_CUSTOMER
        ),
    );
    let out = dir.path().join("out.csv");
    artclass()
        .args(["score", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::is_match("^artclass: scored 3 rows \\(0 rejected, 0 without a known word\\) in [0-9.]+ s: [0-9.]+ MB/s, [0-9]+ rows/s\n$").unwrap());
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut expected = vec![
        "id",
        "text",
        "source",
        "predicted",
        "confidence",
        "known_features",
    ];
    let probs: Vec<String> = LABELS.iter().map(|l| format!("prob_{l}")).collect();
    expected.extend(probs.iter().map(String::as_str));
    assert_eq!(header, expected);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(&rows[0][1], ARTICLE_CUSTOMER);
    assert_eq!(
        (&rows[0][3], &rows[1][3]),
        ("customer_relation", "coworking")
    );
    for row in &rows {
        let p: Vec<f64> = (6..10).map(|i| row[i].parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        let confidence: f64 = row[4].parse().unwrap();
        assert_eq!(confidence, p.iter().copied().fold(0.0, f64::max));
        let known: usize = row[5].parse().unwrap();
        assert!(known > 5, "{row:?}");
    }
}

#[test]
fn score_streams_stdin_to_stdout_identically_with_one_or_two_threads() {
    let mut csv = String::from("text,n\n");
    for i in 0..3000 {
        let text = if i % 3 == 0 {
            ARTICLE_COWORKING
        } else {
            ARTICLE_CUSTOMER
        };
        csv.push_str(&format!("\"{text} {i}\",{i}\n"));
    }
    let run = |threads: &str| {
        let output = artclass()
            .args([
                "--threads",
                threads,
                "score",
                "--quiet",
                "--input",
                "-",
                "--output",
                "-",
            ])
            .write_stdin(csv.clone())
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(output.stderr.is_empty());
        output.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let text = String::from_utf8(one).unwrap();
    assert_eq!(text.lines().count(), 3001);
    // Input order kept: the `n` column counts up.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        assert_eq!(row.unwrap()[1].parse::<usize>().unwrap(), i);
    }
}

#[test]
fn score_refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let contents = format!("text\n\"{ARTICLE_CUSTOMER}\"\n");
    write(dir.path(), "in.csv", &contents);
    for output in ["in.csv", "./in.csv", "../$(basename)/in.csv"] {
        let output = output.replace(
            "$(basename)",
            dir.path().file_name().unwrap().to_str().unwrap(),
        );
        refused_with(
            &["score", "--input", "in.csv", "--output", &output],
            dir.path(),
            &["refusing to overwrite the input"],
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("in.csv")).unwrap(),
        contents
    );
}

#[test]
fn score_error_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = format!("text\n\"{ARTICLE_CUSTOMER}\"\n").into_bytes();
    bytes.extend_from_slice(b"\"caf\xe9 cr\xe8me\"\n");
    write(dir.path(), "in.csv", bytes);
    fails_with(
        &["score", "--input", "in.csv", "--output", "out.csv"],
        dir.path(),
        &["in.csv:3", "'text'", "UTF-8"],
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["in.csv"], "no OUT and no temporary file left");
}

// ---- eval ----

#[test]
fn eval_prints_a_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(
        dir.path(),
        "test.csv",
        format!(
            "text,label\n\"{ARTICLE_COWORKING}\",coworking\n\"{ARTICLE_CUSTOMER}\",customer_relation\n\"{ARTICLE_CUSTOMER}\",unheard_of\n"
        ),
    );
    let output = artclass()
        .args(["eval", "--input"])
        .arg(&test)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "artclass: {}: labels the model does not have, counted as errors: unheard_of (1 document)\n",
            test.display()
        )
    );
    let table = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "accuracy 0.6667",
        "macro-F1",
        "precision",
        "recall",
        "support",
        "confusion matrix",
        "unheard_of",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }

    let output = artclass()
        .args(["eval", "--json", "--input"])
        .arg(&test)
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!((value["accuracy"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!(value["macro_f1"].as_f64().is_some());
    let per_label = value["per_label"].as_array().unwrap();
    assert!(
        per_label
            .iter()
            .any(|l| l["label"] == "coworking" && l["recall"] == 1.0 && l["support"] == 1)
    );
    let confusion = value["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 5, "4 model labels + the unknown one");
    let total: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 3);
}

// ---- help ----

#[test]
fn every_flag_shows_its_default() {
    let help = |cmd: &str| {
        let output = artclass().args([cmd, "--help"]).output().unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let train = help("train");
    for default in [
        "[default: text]",
        "[default: label]",
        "[default: fr]",
        "[default: 2]",
        "[default: 0.02]",
        "[default: complement-norm]",
        "[default: 1]",
        "[default: true]",
        "[default: raw]",
        "[default: false]",
        "[default: l2]",
        "[default: ,]",
    ] {
        assert!(
            train.contains(default),
            "train --help lacks {default}:\n{train}"
        );
    }
    assert!(help("eval").contains("[default: off]"), "eval --cv");
    assert!(help("eval").contains("[default: 42]"), "eval --seed");
    for cmd in ["classify", "score", "eval"] {
        let text = help(cmd);
        assert!(
            text.contains("[default: the built-in model]"),
            "{cmd}:\n{text}"
        );
        assert!(
            text.contains("[default: all cores]"),
            "{cmd} --threads:\n{text}"
        );
    }
    assert!(help("classify").contains("[default: all labels]"));
    // Help is for users: no link to the code's documentation.
    for cmd in ["train", "classify", "score", "eval"] {
        assert!(!help(cmd).contains("[`"), "{cmd}:\n{}", help(cmd));
    }
}

// ---- bad input: each with a clear one-line message naming what is wrong ----

#[test]
fn missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        &["classify", "nope.txt"],
        dir.path(),
        &["nope.txt", "No such file"],
    );
    fails_with(
        &["train", "--input", "nope.csv", "--output", "m"],
        dir.path(),
        &["nope.csv", "No such file"],
    );
    fails_with(
        &["score", "--input", "nope.csv", "--output", "o.csv"],
        dir.path(),
        &["nope.csv", "No such file"],
    );
    fails_with(
        &["eval", "--input", "nope.csv"],
        dir.path(),
        &["nope.csv", "No such file"],
    );
    assert!(!dir.path().join("m").exists() && !dir.path().join("o.csv").exists());
}

#[test]
fn empty_files_and_empty_articles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.txt", "");
    write(dir.path(), "blank.txt", "  \n\t\n");
    write(dir.path(), "bom_only.txt", "\u{feff}\n");
    fails_with(
        &["classify", "bom_only.txt"],
        dir.path(),
        &["bom_only.txt", "empty article"],
    );
    // UTF-16 without a byte-order mark, all ASCII: valid UTF-8, but for its zero bytes.
    let ascii: String = ARTICLE_COWORKING.chars().filter(char::is_ascii).collect();
    let utf16 = utf16le(&ascii);
    write(dir.path(), "utf16.txt", utf16);
    fails_with(
        &["classify", "utf16.txt"],
        dir.path(),
        &["utf16.txt", "looks like UTF-16"],
    );
    write(dir.path(), "empty.csv", "");
    write(
        dir.path(),
        "empty_row.csv",
        "text,label\nbureaux partagés,coworking\n\"  \",coworking\n",
    );
    write(dir.path(), "header_only.csv", "text,label\n");
    fails_with(
        &["classify", "empty.txt"],
        dir.path(),
        &["empty.txt", "empty article"],
    );
    fails_with(
        &["classify", "blank.txt"],
        dir.path(),
        &["blank.txt", "empty article"],
    );
    fails_with(
        &["train", "--input", "empty.csv", "--output", "m"],
        dir.path(),
        &["empty.csv", "empty file"],
    );
    fails_with(
        &["score", "--input", "empty.csv", "--output", "o.csv"],
        dir.path(),
        &["empty.csv", "empty file"],
    );
    fails_with(
        &["train", "--input", "empty_row.csv", "--output", "m"],
        dir.path(),
        &["empty_row.csv:3", "empty article"],
    );
    fails_with(
        &["eval", "--input", "header_only.csv"],
        dir.path(),
        &["header_only.csv", "no documents"],
    );
}

#[test]
fn misquoted_csv_is_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "stray.csv",
        "text,label\nbureaux partagés,coworking\n\"un cours \"gratuit\" en ligne\",training\n",
    );
    write(
        dir.path(),
        "open.csv",
        "text,label\nbureaux partagés,coworking\n\"un cours en ligne,training\nservice client,customer\n",
    );
    write(
        dir.path(),
        "header.csv",
        "\"text\"s,label\nbureaux,coworking\n",
    );
    fails_with(
        &["train", "--input", "stray.csv", "--output", "m"],
        dir.path(),
        &[
            "stray.csv:3",
            "text follows the closing quote",
            "not doubled",
        ],
    );
    fails_with(
        &["eval", "--input", "open.csv"],
        dir.path(),
        &["open.csv:3", "never closed", "line 4"],
    );
    fails_with(
        &["score", "--input", "header.csv", "--output", "o.csv"],
        dir.path(),
        &["header.csv:1", "header line", "closing quote"],
    );
    assert!(!dir.path().join("m").exists() && !dir.path().join("o.csv").exists());
}

#[test]
fn csv_without_the_named_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    // A French spreadsheet's export: `;`-separated.
    write(
        dir.path(),
        "semicolons.csv",
        "text;label\nbureaux;coworking\n",
    );
    fails_with(
        &["train", "--input", "semicolons.csv", "--output", "m"],
        dir.path(),
        &[
            "no column 'text' (columns: 'text;label')",
            "separated by ';', try --delimiter ';'",
        ],
    );
    write(dir.path(), "in.csv", "body,label\nbureaux,coworking\n");
    fails_with(
        &["score", "--input", "in.csv", "--output", "o.csv"],
        dir.path(),
        &["in.csv", "no column 'text'", "'body', 'label'"],
    );
    // A name with a space around it, or in other case: the near one is named.
    write(dir.path(), "near.csv", "id, Text\n1,bureaux\n");
    fails_with(
        &["score", "--input", "near.csv", "--output", "o.csv"],
        dir.path(),
        &["(columns: 'id', ' Text'): did you mean ' Text'?"],
    );
    // UTF-16 without a byte-order mark: zero bytes between the letters.
    let utf16 = utf16le("text,label\nbureaux,coworking\n");
    write(dir.path(), "utf16.csv", utf16);
    fails_with(
        &["score", "--input", "utf16.csv", "--output", "o.csv"],
        dir.path(),
        &["utf16.csv:1", "looks like UTF-16"],
    );
    fails_with(
        &["train", "--input", "in.csv", "--output", "m"],
        dir.path(),
        &["no column 'text'"],
    );
    fails_with(
        &[
            "eval",
            "--input",
            "in.csv",
            "--text-column",
            "body",
            "--label-column",
            "theme",
        ],
        dir.path(),
        &["no column 'theme'"],
    );
}

#[test]
fn a_column_named_twice_is_refused_naming_its_positions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in.csv",
        "text,label,text\nbureaux,coworking,formation\n",
    );
    let needles = ["in.csv", "column 'text' more than once (columns 1, 3)"];
    fails_with(
        &["score", "--input", "in.csv", "--output", "o.csv"],
        dir.path(),
        &needles,
    );
    fails_with(
        &["train", "--input", "in.csv", "--output", "m"],
        dir.path(),
        &needles,
    );
    fails_with(&["eval", "--input", "in.csv"], dir.path(), &needles);
    // Naming the other, single column is fine.
    write(
        dir.path(),
        "two.csv",
        "text,body,body\nUn espace de coworking,x,y\n",
    );
    succeeds(artclass().current_dir(dir.path()).args([
        "score", "--quiet", "--input", "two.csv", "--output", "o.csv",
    ]));
}

#[test]
fn ragged_rows_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    // With every kind of line end: the csv crate alone numbers `\r\n` lines one too low.
    for end in ["\n", "\r\n", "\r"] {
        let rows = [
            "text,label",
            "bureaux partagés,coworking",
            "",
            "service client,x,extra",
        ];
        write(dir.path(), "ragged.csv", rows.join(end) + end);
        for args in [
            vec!["train", "--input", "ragged.csv", "--output", "m"],
            vec!["eval", "--input", "ragged.csv"],
            vec!["score", "--input", "ragged.csv", "--output", "o.csv"],
        ] {
            fails_with(
                &args,
                dir.path(),
                &["ragged.csv:4", "ragged row", "3 fields", "header has 2"],
            );
        }
    }
}

#[test]
fn invalid_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.txt", b"Le caf\xe9 du coworking");
    fails_with(
        &["classify", "latin1.txt"],
        dir.path(),
        &["latin1.txt", "not valid UTF-8", "Windows-1252"],
    );
    write(
        dir.path(),
        "latin1.csv",
        b"text,label\nbureaux,coworking\ncaf\xe9,coworking\n",
    );
    fails_with(
        &["train", "--input", "latin1.csv", "--output", "m"],
        dir.path(),
        &[
            "latin1.csv:3",
            "column 'text'",
            "UTF-8",
            "iconv -f WINDOWS-1252",
        ],
    );
    // Excel's "Unicode text": UTF-16 with its byte-order mark.
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(utf16le("text,label\nbureaux,coworking\n"));
    write(dir.path(), "utf16.csv", utf16);
    fails_with(
        &["score", "--input", "utf16.csv", "--output", "o.csv"],
        dir.path(),
        &["utf16.csv", "line 1", "looks like UTF-16"],
    );
    assert!(!dir.path().join("m").exists() && !dir.path().join("o.csv").exists());
}

#[test]
fn labels_that_differ_only_in_case_are_trained_apart_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "labels.csv",
        "text,label\nbureaux partagés,coworking\nposte nomade,Coworking\n\
         formation en ligne,training\ncours du soir, training \n",
    );
    let output = succeeds(artclass().current_dir(dir.path()).args([
        "train",
        "--input",
        "labels.csv",
        "--output",
        "m",
    ]));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("Coworking          1") && stdout.contains("coworking          1"),
        "{stdout}"
    );
    assert!(stdout.contains("training           2"), "trimmed: {stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "artclass: warning: labels 'Coworking' and 'coworking' differ only in case and were \
         trained as different labels: one theme spelled two ways?\n"
    );
}

#[test]
fn labels_are_one_line_words_from_a_csv_or_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    // A tab or a line break in a label would break classify's tab-separated lines.
    write(
        dir.path(),
        "tab.csv",
        "label,text\n\"a\tb\",un bureau partagé\nc,le service client\n",
    );
    fails_with(
        &["train", "--input", "tab.csv", "--output", "m"],
        dir.path(),
        &["tab.csv:2", "label 'a\\tb' holds a control character"],
    );
    // Directory names are trimmed like CSV labels, and `.TXT` is a `.txt`.
    for (label, file, text) in [
        (" coworking ", "1.TXT", ARTICLE_COWORKING),
        ("customer_relation", "1.txt", ARTICLE_CUSTOMER),
    ] {
        std::fs::create_dir_all(dir.path().join("articles").join(label)).unwrap();
        write(&dir.path().join("articles").join(label), file, text);
    }
    let output = succeeds(
        artclass()
            .current_dir(dir.path())
            .args(["train", "--input", "articles", "--output", "m"]),
    );
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(summary.contains("\ncoworking  "), "{summary}");
    // A tab in a directory's name is shown escaped, in the path as in the label.
    let tabbed = dir.path().join("tabbed").join("a\tb");
    std::fs::create_dir_all(&tabbed).unwrap();
    write(&tabbed, "1.txt", ARTICLE_COWORKING);
    fails_with(
        &["train", "--input", "tabbed", "--output", "m"],
        dir.path(),
        &["tabbed/a\\tb: label 'a\\tb'"],
    );
    assert!(summary.contains("trained on 2 documents"), "{summary}");
    artclass()
        .args([
            "score",
            "--delimiter",
            "\"",
            "--input",
            "x",
            "--output",
            "y",
        ])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn labels_are_normalised_and_training_says_what_it_could_not_use() {
    let dir = tempfile::tempdir().unwrap();
    // `café` decomposed (as macOS names files) and followed by a zero-width space, and
    // `café` composed: one label. `vide` has nothing but stop words.
    let decomposed = "cafe\u{301}\u{200b}";
    write(
        dir.path(),
        "train.csv",
        format!(
            "label,text\n{decomposed},espresso crème tasse\ncafé,espresso serré\n\
             日本語,thé vert infusion\n日本語,thé noir\nvide,le la les de\n"
        ),
    );
    let output = succeeds(artclass().current_dir(dir.path()).args([
        "train",
        "--min-df",
        "1",
        "--input",
        "train.csv",
        "--output",
        "m",
    ]));
    let report = String::from_utf8(output.stdout).unwrap();
    // Aligned by the columns a label takes on a terminal: `日本語` takes six.
    assert!(report.contains("\ncafé            2 "), "{report}");
    assert!(report.contains("\n日本語          2 "), "{report}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("warning: label 'vide' has no token left after analysis"),
        "{stderr}"
    );
    write(dir.path(), "test.csv", "label,text\ncafé,espresso\n");
    let output = succeeds(
        artclass()
            .current_dir(dir.path())
            .args(["eval", "--json", "--model", "m", "--input", "test.csv"]),
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["labels"],
        serde_json::json!(["café", "vide", "日本語"])
    );
    assert!(output.stderr.is_empty(), "{:?}", output.stderr);

    // A directory: what is not read is named.
    let articles = dir.path().join("articles");
    for label in ["a", "b", "empty", "a/sub"] {
        std::fs::create_dir_all(articles.join(label)).unwrap();
    }
    write(&articles.join("a"), "1.txt", ARTICLE_COWORKING);
    write(&articles.join("b"), "1.txt", ARTICLE_CUSTOMER);
    write(&articles.join("b"), "notes.md", "brouillon");
    write(&articles, "top.txt", ARTICLE_CUSTOMER);
    let output = succeeds(
        artclass()
            .current_dir(dir.path())
            .args(["train", "--input", "articles", "--output", "m2"]),
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "artclass: warning: articles: not read: a/sub (a directory inside a label \
         directory), b/notes.md (not a .txt file), empty (a label directory without a .txt \
         article), top.txt (outside the label directories)\n"
    );
}

/// The library reads labels as the CLI does: `café` decomposed is `café`, a tab is refused.
#[test]
fn library_training_reads_labels_as_the_cli_does() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = [ARTICLE_COWORKING, ARTICLE_CUSTOMER]
        .iter()
        .map(|t| t.to_string())
        .collect();
    let params = artclass::ClassifierParams::new(artclass::Language::French)
        .min_df(1)
        .check()
        .unwrap();
    let model = params
        .fit(&texts, &["cafe\u{301}\u{200b}", "relation"])
        .unwrap();
    assert_eq!(model.labels(), ["café", "relation"]);
    let Err(error) = params.fit(&texts, &["a\tb", "relation"]) else {
        panic!("a label holding a tab is refused");
    };
    assert!(
        error
            .to_string()
            .contains("label 'a\\tb' holds a control character"),
        "{error}"
    );
    artclass::persist::save(&model, dir.path().join("m.artclass")).unwrap();
    write(
        dir.path(),
        "test.csv",
        format!("label,text\ncafé,\"{ARTICLE_COWORKING}\"\nrelation,\"{ARTICLE_CUSTOMER}\"\n"),
    );
    let output = succeeds(artclass().current_dir(dir.path()).args([
        "eval",
        "--json",
        "--model",
        "m.artclass",
        "--input",
        "test.csv",
    ]));
    assert!(output.stderr.is_empty(), "{:?}", output.stderr);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["accuracy"], 1.0);
}

#[test]
fn a_single_label_cannot_be_trained() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "one.csv",
        "text,label\nbureaux partagés,coworking\nposte nomade,coworking\n",
    );
    fails_with(
        &["train", "--input", "one.csv", "--output", "m"],
        dir.path(),
        &["one.csv: training needs at least two labels", "coworking"],
    );
    assert!(!dir.path().join("m").exists());
}

#[test]
fn bad_model_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", ARTICLE_COWORKING);
    fails_with(
        &["classify", "--model", "missing.artclass", "a.txt"],
        dir.path(),
        &["missing.artclass", "no such file"],
    );
    fails_with(
        &["classify", "--model", ".", "a.txt"],
        dir.path(),
        &["model .: is a directory, expected a model file"],
    );
    write(dir.path(), "notes.txt", "not a model at all");
    fails_with(
        &["classify", "--model", "notes.txt", "a.txt"],
        dir.path(),
        &["notes.txt", "not an artclass model"],
    );
    let model = std::fs::read(small_model(dir.path())).unwrap();
    write(dir.path(), "cut.artclass", &model[..model.len() / 2]);
    fails_with(
        &["classify", "--model", "cut.artclass", "a.txt"],
        dir.path(),
        &["cut.artclass", "truncated"],
    );
    let mut flipped = model.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    write(dir.path(), "flipped.artclass", flipped);
    fails_with(
        &["eval", "--model", "flipped.artclass", "--input", "a.txt"],
        dir.path(),
        &["flipped.artclass", "corrupted"],
    );
}

#[test]
fn bad_settings_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "train.csv", TRAIN_CSV);
    // Out of range is a malformed command line, refused by the parser (exit 2), naming the
    // flag and its range.
    let train = ["train", "--input", "train.csv", "--output", "m"];
    for (args, needle) in [
        (&[&train[..], &["--alpha", "0"]].concat(), "above 0"),
        (&[&train[..], &["--alpha", "inf"]].concat(), "above 0"),
        (&[&train[..], &["--ngrams", "9"]].concat(), "from 1 to 3"),
        (&[&train[..], &["--min-df", "0"]].concat(), "at least 1"),
        (&vec!["--threads", "0", "classify", "x"], "from 1 to 1024"),
        (
            &vec!["--threads", "100000", "classify", "x"],
            "from 1 to 1024",
        ),
        (&vec!["classify", "--top", "0", "x"], "at least 1"),
        (
            &vec!["classify", "--model", "-", "x"],
            "--model -: a model is read from a file",
        ),
        (
            &vec!["eval", "--cv", "1", "--input", "train.csv"],
            "at least 2",
        ),
        // An empty path is no path, for every flag that takes one.
        (
            &vec!["score", "--input", "train.csv", "--output", ""],
            "a value is required",
        ),
        (
            &vec!["score", "--input", "", "--output", "out.csv"],
            "a value is required",
        ),
        (
            &vec!["train", "--input", "", "--output", "m"],
            "a value is required",
        ),
        (&vec!["eval", "--input", ""], "a value is required"),
    ] {
        let output = artclass()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    artclass()
        .current_dir(dir.path())
        .args(["train", "--delimiter", "ab"])
        .assert()
        .failure()
        .code(2);
    // Training settings and the seed shape `eval --cv` only: elsewhere they would be ignored.
    refused_with(
        &["eval", "--input", "train.csv", "--ngrams", "1"],
        dir.path(),
        &["--ngrams: training setting shapes the models of --cv only"],
    );
    refused_with(
        &[
            "eval",
            "--input",
            "train.csv",
            "--seed",
            "3",
            "--stem",
            "true",
        ],
        dir.path(),
        &["--stem, --seed: training settings shape the models of --cv only"],
    );
    refused_with(
        &[
            "eval",
            "--input",
            "train.csv",
            "--model",
            "m",
            "--alpha",
            "5",
        ],
        dir.path(),
        &[
            "--alpha: training setting",
            "without --cv, eval tests a model",
        ],
    );
    assert!(!dir.path().join("m").exists());
}

#[test]
fn output_paths_that_cannot_be_written_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    // Its third line is ragged: training would stop there, so an error about the output
    // shows that the path was checked before the input was read.
    write(
        dir.path(),
        "train.csv",
        "label,text\ncoworking,un bureau partagé\ncoworking\n",
    );
    fails_with(
        &["train", "--input", "train.csv", "--output", "models"],
        dir.path(),
        &["models: is a directory"],
    );
    fails_with(
        &["train", "--input", "train.csv", "--output", "missing/m"],
        dir.path(),
        &["missing/m: cannot be written: its directory missing does not exist"],
    );
    fails_with(
        &["eval", "--input", "train.csv", "--plot", "missing/c.svg"],
        dir.path(),
        &["missing/c.svg: cannot be written: its directory missing does not exist"],
    );
    fails_with(
        &["train", "--input", "train.csv", "--output", "train.csv/m"],
        dir.path(),
        &["train.csv/m: cannot be written: its directory train.csv is not a directory"],
    );
    // A directory this user cannot write in (root can: then there is nothing to test).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(locked.join("probe"), "").is_err() {
            fails_with(
                &["train", "--input", "train.csv", "--output", "locked/m"],
                dir.path(),
                &["locked/m: cannot be written: its directory locked does not take new files"],
            );
        } else {
            std::fs::remove_file(locked.join("probe")).unwrap();
        }
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    write(dir.path(), "feed.csv", "text\nun bureau partagé\n");
    fails_with(
        &["score", "--input", "feed.csv", "--output", "models"],
        dir.path(),
        &["models: is a directory"],
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("models"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn outputs_never_replace_what_the_command_reads() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", TRAIN_CSV);
    for label in ["coworking", "customer_relation"] {
        std::fs::create_dir_all(dir.path().join("articles").join(label)).unwrap();
    }
    let article = write(dir.path(), "articles/coworking/1.txt", ARTICLE_COWORKING);
    write(
        dir.path(),
        "articles/customer_relation/1.txt",
        ARTICLE_CUSTOMER,
    );
    refused_with(
        &["train", "--input", "train.csv", "--output", "./train.csv"],
        dir.path(),
        &["that is the input file; refusing to overwrite"],
    );
    refused_with(
        &[
            "train",
            "--input",
            "articles",
            "--output",
            "articles/coworking/1.txt",
        ],
        dir.path(),
        &["inside the input directory articles"],
    );
    refused_with(
        &["train", "--input", "train.csv", "--output", "-"],
        dir.path(),
        &["--output -", "give a file path"],
    );
    assert_eq!(std::fs::read_to_string(&train).unwrap(), TRAIN_CSV);
    assert_eq!(
        std::fs::read_to_string(&article).unwrap(),
        ARTICLE_COWORKING
    );

    let model = small_model(dir.path());
    let model_bytes = std::fs::read(&model).unwrap();
    let model = model.to_str().unwrap();
    write(dir.path(), "feed.csv", "text\nun bureau partagé\n");
    let svg_input = write(dir.path(), "labelled.svg", TRAIN_CSV);
    refused_with(
        &[
            "score", "--model", model, "--input", "feed.csv", "--output", model,
        ],
        dir.path(),
        &["that is the model file"],
    );
    let score = [
        "score", "--model", model, "--input", "feed.csv", "--output", "out.csv",
    ];
    refused_with(
        &[&score[..], &["--rejects", "out.csv"]].concat(),
        dir.path(),
        &["that is the output file"],
    );
    refused_with(
        &[&score[..], &["--rejects", "-"]].concat(),
        dir.path(),
        &["--rejects -", "give a file path"],
    );
    refused_with(
        &[
            "eval",
            "--model",
            model,
            "--input",
            "labelled.svg",
            "--plot",
            "./labelled.svg",
        ],
        dir.path(),
        &["--plot", "that is the input file"],
    );
    assert_eq!(std::fs::read_to_string(svg_input).unwrap(), TRAIN_CSV);
    assert_eq!(std::fs::read(model).unwrap(), model_bytes);
    assert!(!dir.path().join("out.csv").exists());
}

#[cfg(unix)]
#[test]
fn train_never_writes_over_what_it_reads_however_it_is_reached() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A label directory that is a link to elsewhere, and an article that is a link.
    for sub in [
        "elsewhere/coworking",
        "articles/customer_relation",
        "outside",
    ] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    write(root, "elsewhere/coworking/1.txt", ARTICLE_COWORKING);
    write(root, "articles/customer_relation/1.txt", ARTICLE_CUSTOMER);
    write(root, "outside/2.txt", ARTICLE_CUSTOMER);
    symlink("../elsewhere/coworking", root.join("articles/coworking")).unwrap();
    symlink(
        "../../outside/2.txt",
        root.join("articles/customer_relation/2.txt"),
    )
    .unwrap();
    for (output, needle) in [
        ("elsewhere/coworking/1.txt", "inside the label directory"),
        ("outside/2.txt", "that is the article"),
        ("articles/coworking/NEW.TXT", "inside the label directory"),
    ] {
        refused_with(
            &["train", "--input", "articles", "--output", output],
            root,
            &[needle],
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("outside/2.txt")).unwrap(),
        ARTICLE_CUSTOMER
    );
    // Standard input redirected from the file named as the output.
    write(root, "train.csv", TRAIN_CSV);
    let binary = assert_cmd::cargo::cargo_bin!("artclass");
    let output = assert_cmd::Command::new("sh")
        .args([
            "-c",
            &format!(
                "exec '{}' train --input - --output train.csv < train.csv",
                binary.display()
            ),
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("that is the input file"));
    assert_eq!(
        std::fs::read_to_string(root.join("train.csv")).unwrap(),
        TRAIN_CSV
    );
    refused_with(
        &[
            "train",
            "--input",
            "train.csv",
            "--output",
            "m",
            "--text-column",
            "label",
        ],
        root,
        &["--text-column and --label-column both name 'label'"],
    );
}

/// A device that refuses the bytes (`/dev/full`: a full disk) fails the run: the model's last
/// buffered megabyte used to be written as its buffer was dropped, the error unseen.
#[cfg(target_os = "linux")]
#[test]
fn a_model_written_into_a_full_device_fails() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "train.csv", TRAIN_CSV);
    fails_with(
        &["train", "--input", "train.csv", "--output", "/dev/full"],
        dir.path(),
        &["/dev/full: No space left on device"],
    );
}

/// A model sent into a pipe whose reader leaves before it is whole fails the run: a text
/// output may be cut short by its reader (`| head`), a model may not.
#[cfg(unix)]
#[test]
fn a_model_cut_short_by_its_reader_fails() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
        .args(["train", "--output", "/dev/stdout", "--input"])
        .arg(corpus())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The built-in model's 1.5 MB do not fit in a pipe's buffer: the writer waits for this
    // reader, which takes a few bytes and goes.
    let mut start = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut start).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("/dev/stdout: the reader closed the pipe before the model was whole"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_model_sent_to_standard_output_is_whole_and_the_report_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "train.csv", TRAIN_CSV);
    let binary = assert_cmd::cargo::cargo_bin!("artclass");
    let command = format!(
        "exec '{}' train --input train.csv --output /dev/stdout > piped.artclass",
        binary.display()
    );
    let output = succeeds(
        assert_cmd::Command::new("sh")
            .args(["-c", &command])
            .current_dir(dir.path()),
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("trained on 6 documents"));
    succeeds(artclass().current_dir(dir.path()).args([
        "train",
        "--input",
        "train.csv",
        "--output",
        "file.artclass",
    ]));
    assert_eq!(
        std::fs::read(dir.path().join("piped.artclass")).unwrap(),
        std::fs::read(dir.path().join("file.artclass")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn an_output_through_a_symbolic_link_writes_its_target_with_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path());
    write(dir.path(), "feed.csv", "text\nun bureau partagé\n");
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
    write(dir.path(), "elsewhere/old.csv", "old\n");
    std::os::unix::fs::symlink("elsewhere/old.csv", dir.path().join("link.csv")).unwrap();
    std::os::unix::fs::symlink("elsewhere/new.csv", dir.path().join("dangling.csv")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode_of =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let old_mode = mode_of(&dir.path().join("elsewhere/old.csv"));
    let binary = assert_cmd::cargo::cargo_bin!("artclass");
    for link in ["link.csv", "dangling.csv"] {
        let command = format!(
            "umask 077 && exec '{}' score --quiet --model '{}' --input feed.csv --output {link}",
            binary.display(),
            model.display()
        );
        succeeds(
            assert_cmd::Command::new("sh")
                .args(["-c", &command])
                .current_dir(dir.path()),
        );
        let meta = std::fs::symlink_metadata(dir.path().join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} stays a link");
    }
    // A chain of links to a file not there yet: the last name gets it; a loop is an error.
    std::os::unix::fs::symlink("middle.csv", dir.path().join("first.csv")).unwrap();
    std::os::unix::fs::symlink("last.csv", dir.path().join("middle.csv")).unwrap();
    succeeds(artclass().current_dir(dir.path()).args([
        "score",
        "--quiet",
        "--model",
        model.to_str().unwrap(),
        "--input",
        "feed.csv",
        "--output",
        "first.csv",
    ]));
    assert!(dir.path().join("last.csv").is_file());
    assert!(
        std::fs::symlink_metadata(dir.path().join("middle.csv"))
            .unwrap()
            .is_symlink()
    );
    std::os::unix::fs::symlink("loop-b", dir.path().join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", dir.path().join("loop-b")).unwrap();
    fails_with(
        &[
            "score",
            "--model",
            model.to_str().unwrap(),
            "--input",
            "feed.csv",
            "--output",
            "loop-a",
        ],
        dir.path(),
        &["too many levels of symbolic links"],
    );
    // --rejects naming the file that --output reaches through a link to nothing yet.
    std::os::unix::fs::symlink("fresh.csv", dir.path().join("fresh-link.csv")).unwrap();
    refused_with(
        &[
            "score",
            "--model",
            model.to_str().unwrap(),
            "--input",
            "feed.csv",
            "--output",
            "fresh-link.csv",
            "--rejects",
            "fresh.csv",
        ],
        dir.path(),
        &["that is the output file"],
    );
    // A descriptor of the process, open on a file: written, not replaced.
    let command = format!(
        "exec '{}' score --quiet --model '{}' --input feed.csv --output /dev/fd/1 > fd.csv",
        binary.display(),
        model.display()
    );
    succeeds(
        assert_cmd::Command::new("sh")
            .args(["-c", &command])
            .current_dir(dir.path()),
    );
    assert_eq!(
        std::fs::read(dir.path().join("fd.csv")).unwrap(),
        std::fs::read(dir.path().join("elsewhere/new.csv")).unwrap()
    );
    // old.csv keeps its mode; new.csv is created under the umask.
    for (target, mode) in [("old.csv", old_mode), ("new.csv", 0o600)] {
        let path = dir.path().join("elsewhere").join(target);
        let scored = std::fs::read_to_string(&path).unwrap();
        assert!(scored.starts_with("text,predicted,"), "{target}: {scored}");
        assert_eq!(mode_of(&path), mode, "{target}");
    }
}

// ---- the default model ----

#[test]
fn committed_default_model_is_what_the_documented_command_builds() {
    // README / data/README.md: `cargo run --release -- train --input data/corpus --output models/default.artclass`
    let dir = tempfile::tempdir().unwrap();
    let rebuilt = dir.path().join("default.artclass");
    artclass()
        .current_dir(root())
        .args(["train", "--input", "data/corpus", "--output"])
        .arg(&rebuilt)
        .assert()
        .success();
    let committed = std::fs::read(root().join("models/default.artclass")).unwrap();
    assert!(
        std::fs::read(&rebuilt).unwrap() == committed,
        "models/default.artclass is stale: rebuild it with the command in data/README.md"
    );
}

#[test]
fn stdin_article_and_stdout_dash_work_together() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
        .args(["classify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ARTICLE_COWORKING.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("-\tcoworking\t")
    );
}

// ---- cross-validation, the confusion picture, the training report ----

/// A labelled set in a label directory tree, for cross-validation: the project's own corpus.
fn corpus() -> std::path::PathBuf {
    root().join("data/corpus")
}

#[test]
fn cross_validation_reports_mean_and_spread_and_is_seeded() {
    let run = |seed: &str| {
        let output = succeeds(
            artclass()
                .args([
                    "eval", "--cv", "4", "--seed", seed, "--json", "--ngrams", "1", "--input",
                ])
                .arg(corpus()),
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let report = run("7");
    assert_eq!(report["folds"], 4);
    let per_fold = report["per_fold"].as_array().unwrap();
    assert_eq!(per_fold.len(), 4);
    let documents: u64 = per_fold
        .iter()
        .map(|f| f["documents"].as_u64().unwrap())
        .sum();
    assert_eq!(documents, report["documents"].as_u64().unwrap());
    let f1s: Vec<f64> = per_fold
        .iter()
        .map(|f| f["macro_f1"].as_f64().unwrap())
        .collect();
    let mean = f1s.iter().sum::<f64>() / 4.0;
    assert!((report["macro_f1"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!(report["macro_f1_std"].as_f64().unwrap() >= 0.0);
    assert!(mean > 0.8, "the corpus is learnable: {mean}");
    assert_eq!(report, run("7"), "same seed, same folds, same numbers");

    let table = artclass()
        .args(["eval", "--cv", "3", "--input"])
        .arg(corpus())
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("3-fold stratified cross-validation (seed 42)"),
        "{table}"
    );
    assert!(
        table.contains("macro-F1") && table.contains("±") && table.contains("confusion matrix")
    );

    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path());
    artclass()
        .args(["eval", "--cv", "3", "--model"])
        .arg(&model)
        .args(["--input"])
        .arg(corpus())
        .assert()
        .failure()
        .code(2);
}

#[test]
fn cross_validation_warns_of_rare_labels_and_names_the_failing_fold() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rare.csv",
        "label,text\na,bureau partagé\na,espace de coworking\na,coworking rural\n\
         b,formation continue\nb,stage de formation\nc,boutique en ligne\n",
    );
    let output = succeeds(
        artclass()
            .current_dir(dir.path())
            .args(["eval", "--cv", "2", "--json", "--input", "rare.csv"]),
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "warning: one document for 'c' in 2-fold cross-validation: the fold that holds it \
             trains without it, and predicts it wrong"
        ),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The out-of-fold macro-F1 is that of the per-label scores beside it.
    let per_label = report["per_label"].as_array().unwrap();
    let f1_mean = per_label
        .iter()
        .map(|l| l["f1"].as_f64().unwrap())
        .sum::<f64>()
        / per_label.len() as f64;
    let out_of_fold = &report["out_of_fold"];
    assert!((out_of_fold["macro_f1"].as_f64().unwrap() - f1_mean).abs() < 1e-12);
    assert_eq!(out_of_fold["log_loss"], report["log_loss"]);

    write(
        dir.path(),
        "two.csv",
        "label,text\na,coworking\nb,formation\n",
    );
    let output = artclass()
        .current_dir(dir.path())
        .args(["eval", "--cv", "2", "--input", "two.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].contains("warning: one document each for 'a', 'b'"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("--cv 2: training on all but fold 1 of 2")
            && lines[1].contains("at least two labels"),
        "{stderr}"
    );
}

#[test]
fn confusion_picture_is_a_valid_svg_naming_every_label() {
    let dir = tempfile::tempdir().unwrap();
    // The title names the file: a control character in its name, which XML refuses even
    // escaped, is spelled out.
    let test = write(
        dir.path(),
        "test\u{1}.csv",
        format!(
            "text,label\n\"{ARTICLE_COWORKING}\",coworking\n\"{ARTICLE_CUSTOMER}\",customer_relation\n\"{ARTICLE_CUSTOMER}\",a & <b>\n"
        ),
    );
    for (args, name) in [
        (vec!["eval"], "model.svg"),
        (vec!["eval", "--cv", "3", "--ngrams", "1"], "cv.svg"),
    ] {
        let plot = dir.path().join(name);
        let mut command = artclass();
        command.args(&args).arg("--plot").arg(&plot).arg("--input");
        if name == "cv.svg" {
            command.arg(corpus());
        } else {
            command.arg(&test);
        }
        command.assert().success();
        let svg = std::fs::read_to_string(&plot).unwrap();
        let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert_eq!(document.root_element().tag_name().name(), "svg");
        let texts: Vec<&str> = document
            .descendants()
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        let labels: &[&str] = if name == "cv.svg" {
            &["coworking", "customer_relation", "ecommerce", "training"]
        } else {
            &[
                "coworking",
                "customer_relation",
                "ecommerce",
                "training",
                "a & <b>",
            ]
        };
        for label in labels {
            assert!(texts.contains(label), "{name}: label {label:?} missing");
        }
        if name == "model.svg" {
            assert!(svg.contains("test&lt;U+0001&gt;.csv"), "{svg}");
        }
    }
    let output = artclass()
        .current_dir(dir.path())
        .args(["eval", "--plot", "cm.png", "--input", "test\u{1}.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("name it with .svg"));
}

#[test]
fn train_reports_documents_tokens_and_pruned_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let output = artclass()
        .args(["train", "--input"])
        .arg(corpus())
        .arg("--output")
        .arg(dir.path().join("m.artclass"))
        .output()
        .unwrap();
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(
        summary.contains("documents") && summary.contains("tokens"),
        "{summary}"
    );
    for line in summary
        .lines()
        .filter(|l| l.starts_with("coworking") || l.starts_with("training"))
    {
        let numbers: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(numbers[0], 92, "{line}");
        assert!(numbers[1] > 92 * 100, "tokens per label: {line}");
    }
    assert!(summary.contains("vocabulary after pruning: "), "{summary}");
}
