//! Model files that are not what they seem: endless streams, damaged metadata, and a model
//! file truncated or rewritten in place while a run uses it. The real binary, in temporary
//! directories.

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The built-in model, copied to `dir/m.artclass`, dated an hour ago: a rewrite in the test
/// changes its modification time even within the clock's tick.
fn model_in(dir: &Path) -> PathBuf {
    let path = dir.join("m.artclass");
    std::fs::copy(root().join("models/default.artclass"), &path).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    path
}

/// CSV rows of articles the model knows words of, numbered from `first`.
fn rows(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| {
            let text = if i % 2 == 0 {
                ARTICLE_CUSTOMER
            } else {
                ARTICLE_COWORKING
            };
            format!("{i},\"{text}\"\n")
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn an_endless_stream_that_is_no_model_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fifo) = fifo(dir.path(), "model.fifo") else {
        return;
    };
    let article = write(dir.path(), "article.txt", ARTICLE_COWORKING);
    // `yes` into the pipe until the reader goes (the write then fails): not joined, since it
    // would wait for ever on a reader that never opened the pipe.
    let writer = fifo.clone();
    std::thread::spawn(move || -> std::io::Result<()> {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(writer)?;
        let garbage = b"y\n".repeat(1 << 15);
        loop {
            pipe.write_all(&garbage)?;
        }
    });
    fails_with(
        &[
            "classify",
            "--model",
            fifo.to_str().unwrap(),
            article.to_str().unwrap(),
        ],
        dir.path(),
        &[
            "model.fifo",
            "not an artclass model file (no ARTCLASS header)",
        ],
    );
}

#[cfg(unix)]
#[test]
fn a_stream_is_read_as_far_as_its_header_announces() {
    let dir = tempfile::tempdir().unwrap();
    let article = write(dir.path(), "article.txt", ARTICLE_COWORKING);
    let model = std::fs::read(model_in(dir.path())).unwrap();
    let through_a_pipe = |bytes: Vec<u8>| {
        artclass()
            .current_dir(dir.path())
            .args(["classify", "--model", "/dev/stdin"])
            .arg(&article)
            .write_stdin(bytes)
            .output()
            .unwrap()
    };
    // A valid header announcing an exabyte, then a few bytes: no exabyte is allocated.
    let mut huge = model[..28].to_vec();
    huge[12..20].copy_from_slice(&(1u64 << 60).to_le_bytes());
    huge.extend_from_slice(&[0; 4096]);
    // A model, then bytes it does not announce.
    let mut longer = model.clone();
    longer.extend_from_slice(b"junk");
    for (bytes, needle) in [
        (
            huge,
            "truncated: payload is 4096 bytes, the header announces 1152921504606846976",
        ),
        (model[..model.len() - 1].to_vec(), "truncated: payload is"),
        (longer, "4 unexpected bytes after the payload"),
    ] {
        let output = through_a_pipe(bytes);
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
    }
    // And a whole model through a pipe is read as from a file.
    let output = through_a_pipe(model);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("\tcoworking\t")
    );
}

#[test]
fn damaged_metadata_reports_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let article = write(dir.path(), "article.txt", ARTICLE_COWORKING);
    let model = std::fs::read(model_in(dir.path())).unwrap();
    // Bytes 28..36 give the metadata's length, which starts at 36.
    for at in [36, 37, 40, 100] {
        for flip in [0x5a, 0x01, 0xff] {
            let mut damaged = model.clone();
            damaged[at] ^= flip;
            write(dir.path(), "damaged.artclass", &damaged);
            let output = artclass()
                .current_dir(dir.path())
                .args(["classify", "--model", "damaged.artclass"])
                .arg(&article)
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1));
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert_eq!(
                stderr,
                "artclass: model damaged.artclass: checksum mismatch: the file is corrupted\n",
                "byte {at} ^ {flip:#x}"
            );
        }
    }
}

/// `score --input - --output out.csv` in `dir` with `model`, its first rows already given,
/// once its output has become a temporary file (the model is loaded and mapped by then).
fn scoring_from_a_pipe(dir: &Path, model: &Path) -> Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
        .current_dir(dir)
        .args(["score", "--quiet", "--model"])
        .arg(model.file_name().unwrap())
        .args(["--input", "-", "--output", "out.csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.as_mut().unwrap();
    stdin
        .write_all(format!("id,text\n{}", rows(0, 1000)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    while !names_in(dir).iter().any(|n| n.ends_with(".tmp")) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no temporary output appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// Gives `child` more rows, closes its input and waits for it: its exit status and stderr.
fn finish(mut child: Child) -> (std::process::ExitStatus, String) {
    let mut stdin = child.stdin.take().unwrap();
    // The run may be gone already (a bus error): the pipe is then closed.
    let _ = stdin.write_all(rows(1000, 20_000).as_bytes());
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    (output.status, String::from_utf8(output.stderr).unwrap())
}

#[test]
fn a_model_truncated_under_a_run_stops_it_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_in(dir.path());
    let child = scoring_from_a_pipe(dir.path(), &model);
    // As `cp other.artclass m.artclass` begins: the file cut to nothing, under the map.
    std::fs::File::create(&model).unwrap();
    let (status, stderr) = finish(child);
    // Dies of the bus error as if it had not been caught (135 in a shell), or, had it read
    // no weight since, fails at the end all the same.
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.signal() == Some(7) || status.code() == Some(1),
            "{status:?}: {stderr}"
        );
    }
    assert!(!status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("was truncated while in use; replace a model with mv")
            || stderr.contains("m.artclass: was rewritten in place"),
        "{stderr}"
    );
    assert_eq!(
        names_in(dir.path()),
        ["m.artclass"],
        "no OUT, no temporary file"
    );
}

#[test]
fn a_model_rewritten_in_place_under_a_run_fails_it_and_leaves_no_output() {
    type Rewrite = fn(&Path);
    let rewrites: [(&str, Rewrite); 2] = [
        // The same bytes written over themselves: only the file's times change.
        ("same bytes", |model| {
            let bytes = std::fs::read(model).unwrap();
            let mut file = std::fs::OpenOptions::new().write(true).open(model).unwrap();
            file.write_all(&bytes).unwrap();
        }),
        // `touch`.
        ("touch", |model| {
            let file = std::fs::OpenOptions::new().write(true).open(model).unwrap();
            file.set_modified(SystemTime::now()).unwrap();
        }),
    ];
    for (how, rewrite) in rewrites {
        let dir = tempfile::tempdir().unwrap();
        let model = model_in(dir.path());
        let child = scoring_from_a_pipe(dir.path(), &model);
        rewrite(&model);
        let (status, stderr) = finish(child);
        assert_eq!(status.code(), Some(1), "{how}: {stderr}");
        assert_eq!(
            stderr,
            "artclass: model m.artclass: was rewritten in place while in use, so the results \
             may mix two models; replace a model with mv or train --output, not cp, and run \
             again\n",
            "{how}"
        );
        assert_eq!(
            names_in(dir.path()),
            ["m.artclass"],
            "{how}: no OUT, no temporary file"
        );
    }
}

#[test]
fn a_model_replaced_by_a_rename_under_a_run_is_no_harm() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_in(dir.path());
    let child = scoring_from_a_pipe(dir.path(), &model);
    // `mv new.artclass m.artclass`: the mapped file is unlinked, untouched.
    let new = dir.path().join("new.artclass");
    std::fs::copy(&model, &new).unwrap();
    std::fs::rename(&new, &model).unwrap();
    let (status, stderr) = finish(child);
    assert!(status.success(), "{stderr}");
    assert_eq!(names_in(dir.path()), ["m.artclass", "out.csv"]);
}

#[test]
fn classify_fails_when_its_model_was_rewritten_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_in(dir.path());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
        .current_dir(dir.path())
        .args(["classify", "--model", "m.artclass"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the model is mapped (Linux says so), rewrite it, then give the article.
    let maps = format!("/proc/{}/maps", child.id());
    if !Path::new(&maps).exists() {
        eprintln!("skipped: no /proc on this machine");
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    let started = Instant::now();
    while !std::fs::read_to_string(&maps).is_ok_and(|m| m.contains("m.artclass")) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the model was never mapped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let bytes = std::fs::read(&model).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&model)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(ARTICLE_COWORKING.as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("model m.artclass: was rewritten in place"),
        "{stderr}"
    );
}
