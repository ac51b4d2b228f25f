//! Helpers shared by the integration tests: the real binary, temp dirs, small fixtures.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn artclass() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command` and returns its output, failing the test with its stderr if it failed.
pub fn succeeds(command: &mut Command) -> std::process::Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `artclass args…`, expects failure (exit 1) with one line on stderr containing every
/// `needle`.
pub fn fails_with(args: &[&str], dir: &Path, needles: &[&str]) {
    exits_with(1, args, dir, needles);
}

/// As [`fails_with`], for a command line that cannot work as given (exit 2).
pub fn refused_with(args: &[&str], dir: &Path, needles: &[&str]) {
    exits_with(2, args, dir, needles);
}

fn exits_with(code: i32, args: &[&str], dir: &Path, needles: &[&str]) {
    let output = artclass().current_dir(dir).args(args).output().unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    assert_eq!(output.status.code(), Some(code), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one-line error for {args:?}, got {stderr:?}"
    );
    assert!(stderr.starts_with("artclass: "), "{stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} lacks {needle:?}"
        );
    }
}

/// `../shared` beside the project, when this checkout has it (a user's clone does not).
pub fn shared() -> Option<PathBuf> {
    let dir = root().join("../shared");
    dir.is_dir().then_some(dir)
}

/// `text` in UTF-16, little-endian, without a byte-order mark (Excel's "Unicode text" has one).
pub fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The names in `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A named pipe `dir/name`, or None (said on stderr) where `mkfifo` is not there to make it.
pub fn fifo(dir: &Path, name: &str) -> Option<PathBuf> {
    let fifo = dir.join(name);
    match std::process::Command::new("mkfifo").arg(&fifo).status() {
        Ok(status) if status.success() => Some(fifo),
        _ => {
            eprintln!("skipped: no mkfifo on this machine");
            None
        }
    }
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A small labelled training set in CSV, written for these tests.
pub const TRAIN_CSV: &str = "\
id,text,label
1,\"Le nouvel espace de coworking propose des bureaux partagés, des postes nomades et une salle de réunion.\",coworking
2,\"Les indépendants du tiers-lieu partagent la cuisine du coworking et les événements de la communauté.\",coworking
3,\"Un coworking rural ouvre au village : abonnement mensuel, wifi rapide et bureaux fermés.\",coworking
4,\"Le service client répond aux réclamations par téléphone, par courriel et par chat en moins d'une heure.\",customer_relation
5,\"Le centre de contact suit la satisfaction client avec le NPS et forme ses conseillers à l'écoute.\",customer_relation
6,\"La relation client omnicanale relie le SAV, le CRM et les réseaux sociaux.\",customer_relation
";

pub const ARTICLE_COWORKING: &str = "Dans la petite ville, un espace de coworking vient d’ouvrir \
    ses portes : bureaux partagés, postes nomades, salle de réunion et café. Les indépendants et \
    les télétravailleurs y louent un poste à la journée ou au mois.";

pub const ARTICLE_CUSTOMER: &str = "Le service client de l’opérateur a réduit l’attente au \
    téléphone : les conseillers traitent les réclamations, le SAV rappelle les clients et la \
    satisfaction mesurée par le NPS progresse.";
