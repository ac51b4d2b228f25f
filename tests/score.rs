//! `artclass score` on real-world CSV: bad rows, interruptions, BOM / CRLF / quoted newlines,
//! delimiters, empty and very long fields. The real binary, in temporary directories.

mod common;

use common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn read_csv(path: &std::path::Path, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Scores `dir/in.csv` into `out.csv` with `--rejects bad.csv`: the summary on stderr, and the
/// first column of the rows scored.
fn score_setting_bad_rows_aside(dir: &std::path::Path, threads: &str) -> (String, Vec<String>) {
    let output = succeeds(artclass().current_dir(dir).args([
        "--threads",
        threads,
        "score",
        "--input",
        "in.csv",
        "--output",
        "out.csv",
        "--rejects",
        "bad.csv",
    ]));
    let (_, rows) = read_csv(&dir.join("out.csv"), b',');
    (
        String::from_utf8(output.stderr).unwrap(),
        rows.into_iter().map(|row| row[0].clone()).collect(),
    )
}

#[test]
fn bad_rows_stop_the_run_naming_the_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("id,text\n1,\"{ARTICLE_CUSTOMER}\"\n2\n3,\"{ARTICLE_COWORKING}\"\n");
    write(dir.path(), "in.csv", &input);
    fails_with(
        &["score", "--input", "in.csv", "--output", "out.csv"],
        dir.path(),
        &["in.csv:3", "ragged row", "--rejects"],
    );
    assert_eq!(names_in(dir.path()), ["in.csv"]);
}

#[test]
fn rejects_file_gets_bad_rows_with_line_and_reason_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = format!("id,text,source\n1,\"{ARTICLE_CUSTOMER}\",web\n").into_bytes();
    input.extend_from_slice(b"2,only two\n");
    input.extend_from_slice(b"3,\"caf\xe9 cr\xe8me\",web\n");
    input.extend_from_slice(format!("4,\"{ARTICLE_COWORKING}\",web,extra\n").as_bytes());
    input.extend_from_slice(format!("5,\"{ARTICLE_COWORKING}\",rss\n").as_bytes());
    // Windows line ends number the same lines.
    for end in ["\n", "\r\n"] {
        let lines = input
            .split(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .join(end.as_bytes());
        write(dir.path(), "in.csv", lines);
        rejects_have_lines_reasons_and_rows(dir.path());
    }
}

fn rejects_have_lines_reasons_and_rows(dir: &std::path::Path) {
    let (stderr, ids) = score_setting_bad_rows_aside(dir, "2");
    assert!(
        stderr.starts_with("artclass: scored 2 rows (3 rejected"),
        "{stderr}"
    );
    assert_eq!(ids, ["1", "5"], "good rows scored, in order");

    let mut reader = csv::ReaderBuilder::new()
        .from_path(dir.join("bad.csv"))
        .unwrap();
    assert_eq!(
        reader.byte_headers().unwrap(),
        &csv::ByteRecord::from(vec!["line", "reason", "row"])
    );
    let rejects: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
    let lines: Vec<&[u8]> = rejects.iter().map(|r| &r[0]).collect();
    assert_eq!(lines, [b"3".as_slice(), b"4", b"5"]);
    assert!(
        std::str::from_utf8(&rejects[0][1])
            .unwrap()
            .contains("ragged row: 2 fields")
    );
    assert!(
        std::str::from_utf8(&rejects[1][1])
            .unwrap()
            .contains("not valid UTF-8")
    );
    assert!(
        std::str::from_utf8(&rejects[2][1])
            .unwrap()
            .contains("ragged row: 4 fields")
    );
    assert_eq!(&rejects[0][2], b"2,only two", "the row itself is kept");
    assert_eq!(&rejects[1][2], b"3,caf\xe9 cr\xe8me,web");
}

#[test]
fn bom_crlf_quoted_newlines_and_other_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    let body = "Le service client répond ;\r\nles conseillers rappellent, \"vite\".";
    let mut input = b"\xef\xbb\xbf".to_vec();
    input.extend_from_slice(
        format!(
            "text;n\r\n\"{}\";1\r\n\"{ARTICLE_COWORKING}\";2\r\n",
            body.replace('"', "\"\"")
        )
        .as_bytes(),
    );
    write(dir.path(), "semi.csv", &input);
    succeeds(artclass().current_dir(dir.path()).args([
        "score",
        "--quiet",
        "--delimiter",
        ";",
        "--input",
        "semi.csv",
        "--output",
        "out.csv",
    ]));
    let (header, rows) = read_csv(&dir.path().join("out.csv"), b';');
    assert_eq!(
        header[..3],
        ["text", "n", "predicted"],
        "BOM gone from the first column name"
    );
    assert_eq!(
        rows[0][0], body,
        "quoted field with CRLF, quotes and delimiter kept verbatim"
    );
    assert_eq!(
        (rows[0][2].as_str(), rows[1][2].as_str()),
        ("customer_relation", "coworking")
    );

    let tsv = format!("n\ttext\n1\t{ARTICLE_CUSTOMER}\n");
    write(dir.path(), "in.tsv", tsv);
    artclass()
        .current_dir(dir.path())
        .args([
            "score",
            "--quiet",
            "--delimiter",
            "tab",
            "--input",
            "in.tsv",
            "--output",
            "out.tsv",
        ])
        .assert()
        .success();
    let (header, rows) = read_csv(&dir.path().join("out.tsv"), b'\t');
    assert_eq!(header[2], "predicted");
    assert_eq!(rows[0][2], "customer_relation");
}

#[test]
fn empty_and_very_long_texts_are_scored() {
    let dir = tempfile::tempdir().unwrap();
    let long = ARTICLE_COWORKING.repeat(20_000); // ~4 MB in one field
    write(
        dir.path(),
        "in.csv",
        format!("id,text\n1,\n2,\"{long}\"\n3,\"   \"\n"),
    );
    let output = artclass()
        .current_dir(dir.path())
        .args(["score", "--input", "in.csv", "--output", "out.csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("artclass: scored 3 rows (0 rejected, 2 without a known word)"),
        "{stderr}"
    );
    let (_, rows) = read_csv(&dir.path().join("out.csv"), b',');
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][1].len(), long.len());
    assert_eq!(rows[1][2], "coworking");
    // Empty texts get the priors, a valid distribution, flagged in their row by a count of
    // 0 known features as well as in the summary above.
    for row in [&rows[0], &rows[2]] {
        assert_eq!(row[4], "0", "{row:?}");
        let p: f64 = row[5..].iter().map(|v| v.parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-5);
    }
    assert!(rows[1][4].parse::<usize>().unwrap() > 5);
}

#[test]
fn a_multi_megabyte_text_with_delimiters_quotes_and_newlines_is_written_back_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    // ~5 MB, commas in every sentence, line ends and quotes far apart: csv's writer scanned
    // the field from one quote to the next at every 8 KiB it wrote.
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(ARTICLE_COWORKING);
        text.push_str(match i % 1000 {
            999 => " Le « tiers-lieu » dit \"coworking\", ou \"\".\r\n",
            n if n % 50 == 49 => "\n",
            _ => " ",
        });
    }
    let quoted = format!("\"{}\"", text.replace('"', "\"\""));
    // A ragged row as long goes to the rejects file, re-quoted as it was.
    let ragged = format!("3,{quoted},en trop");
    write(
        dir.path(),
        "in.csv",
        format!("id,text\n1,{quoted}\n2,court\n{ragged}\n"),
    );
    let (_, ids) = score_setting_bad_rows_aside(dir.path(), "2");
    assert_eq!(ids, ["1", "2"]);

    let mut reader = csv::ReaderBuilder::new()
        .from_path(dir.path().join("out.csv"))
        .unwrap();
    let rows: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0][1] == *text.as_bytes(),
        "the text comes back byte for byte"
    );
    assert_eq!(
        (&rows[0][2], &rows[1][1]),
        (&b"coworking"[..], &b"court"[..])
    );

    let mut reader = csv::ReaderBuilder::new()
        .from_path(dir.path().join("bad.csv"))
        .unwrap();
    let rejects: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
    assert_eq!(rejects.len(), 1);
    let line = 4 + text.matches('\n').count();
    assert_eq!(rejects[0][0], *line.to_string().as_bytes());
    assert!(
        rejects[0][2] == *ragged.as_bytes(),
        "the rejected row, byte for byte"
    );
}

/// A big input, so the run is still going when it is interrupted.
fn big_input(dir: &std::path::Path) -> std::path::PathBuf {
    let mut csv = String::from("id,text\n");
    for i in 0..60_000 {
        let text = if i % 2 == 0 {
            ARTICLE_CUSTOMER
        } else {
            ARTICLE_COWORKING
        };
        csv.push_str(&format!("{i},\"{text} {text} {text}\"\n"));
    }
    write(dir, "big.csv", csv)
}

#[test]
fn an_interrupted_run_leaves_no_output_that_looks_finished() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path());
    for (signal, number) in [("INT", 2), ("TERM", 15)] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("artclass"))
            .current_dir(dir.path())
            .args(["--threads", "1", "score", "--quiet", "--input"])
            .arg(&input)
            .args(["--output", "out.csv"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until scoring has started writing (its temporary file exists).
        let started = Instant::now();
        while !names_in(dir.path()).iter().any(|n| n.ends_with(".tmp")) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no temporary output appeared"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(
            !exit.success(),
            "SIG{signal}: the run should not report success"
        );
        // It dies of the signal, after removing its temporary file, as if it had not caught
        // it: a shell sees 128 + the signal's number, and a script's loop stops.
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(exit.signal(), Some(number), "SIG{signal}: {exit:?}");
        }
        assert_eq!(
            names_in(dir.path()),
            ["big.csv"],
            "SIG{signal}: no OUT, no temporary file"
        );
    }
}

/// `--output` naming a pipe (or a device such as `/dev/null`) writes into it: renaming a
/// temporary file over it would replace it with a regular file.
#[cfg(unix)]
#[test]
fn output_to_a_pipe_is_written_into_it_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let Some(fifo) = fifo(dir.path(), "out.fifo") else {
        return;
    };
    write(
        dir.path(),
        "in.csv",
        format!("id,text\n1,\"{ARTICLE_CUSTOMER}\"\n2,\"{ARTICLE_COWORKING}\"\n"),
    );
    // The reader opens the pipe first, as a shell's `cat pipe` would.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let status = artclass()
        .current_dir(dir.path())
        .args([
            "score", "--quiet", "--input", "in.csv", "--output", "out.fifo",
        ])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    // Checked before waiting for the reader, which would wait forever on a replaced pipe.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe is still a pipe");
    assert_eq!(
        names_in(dir.path()),
        ["in.csv", "out.fifo"],
        "no temporary file left"
    );
    let received = String::from_utf8(reader.join().unwrap()).unwrap();
    assert!(
        received.starts_with("id,text,predicted,confidence,known_features,prob_"),
        "{received}"
    );
    assert_eq!(received.lines().count(), 3, "{received}");
}

#[test]
fn one_or_two_threads_write_the_same_file_in_input_order() {
    // Several chunks and several output buffers, rows of very different lengths (one longer
    // than a whole chunk), so that buffers sized from earlier rows have to grow.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,text\n");
    for i in 0..4_000 {
        let text = match i % 3 {
            0 => ARTICLE_COWORKING.to_string(),
            1 => format!("{ARTICLE_CUSTOMER} {ARTICLE_CUSTOMER}"),
            _ => "court".to_string(),
        };
        csv.push_str(&format!("{i},\"{text}\"\n"));
        if i == 2_500 {
            csv.push_str(&format!("long,\"{}\"\n", ARTICLE_CUSTOMER.repeat(5_000)));
        }
    }
    let input = write(dir.path(), "in.csv", csv);
    let run = |threads: &str| {
        let out = dir.path().join(format!("out{threads}.csv"));
        artclass()
            .args(["--threads", threads, "score", "--quiet", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(&out).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("2"), "1 and 2 threads wrote different files");
    let mut reader = csv::Reader::from_reader(one.as_slice());
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let mut expected: Vec<String> = (0..=2_500).map(|i| i.to_string()).collect();
    expected.push("long".into());
    expected.extend((2_501..4_000).map(|i| i.to_string()));
    assert_eq!(ids, expected);
    assert_eq!(
        names_in(dir.path()),
        ["in.csv", "out1.csv", "out2.csv"],
        "no temporary file left"
    );
}

#[test]
fn bad_rows_in_later_chunks_are_met_in_input_order() {
    // Five chunks of 2 048 rows, scored two at a time by two threads: the bad rows of the
    // third and fifth chunks are reported in input order, whichever part finished first.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,text\n");
    for i in 0..9_000 {
        match i {
            4_500 | 8_800 => csv.push_str(&format!("{i}\n")),
            _ => csv.push_str(&format!("{i},\"{ARTICLE_COWORKING}\"\n")),
        }
    }
    write(dir.path(), "in.csv", csv);
    let output = artclass()
        .current_dir(dir.path())
        .args([
            "--threads",
            "2",
            "score",
            "--input",
            "in.csv",
            "--output",
            "out.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("in.csv:4502:"), "{stderr}");
    assert_eq!(names_in(dir.path()), ["in.csv"], "nothing written");

    let (_, ids) = score_setting_bad_rows_aside(dir.path(), "2");
    let (_, rejects) = read_csv(&dir.path().join("bad.csv"), b',');
    let lines: Vec<&str> = rejects.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(lines, ["4502", "8802"]);
    let ids: Vec<usize> = ids.iter().map(|id| id.parse().unwrap()).collect();
    let expected: Vec<usize> = (0..9_000).filter(|i| ![4_500, 8_800].contains(i)).collect();
    assert_eq!(ids, expected);
}

#[test]
fn misquoted_rows_are_bad_rows_not_rows_merged_in_silence() {
    // Line 3: a quote inside a quoted field, not doubled. Line 4: a quote never closed up to
    // line 5's, which pulls line 5 into it. Line 7: a quote never closed at all, which pulls
    // in the rest of the file. A lenient CSV reader scores 4 rows and says nothing.
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "id,text\n\
         1,\"{ARTICLE_CUSTOMER}\"\n\
         2,\"Le titre \"cité\" puis la suite\"\n\
         3,\"un guillemet jamais fermé\n\
         4,\"{ARTICLE_COWORKING}\"\n\
         6,\"{ARTICLE_COWORKING}\"\n\
         7,\"la fin du fichier arrive avant le guillemet\n\
         8,une ligne avalée\n"
    );
    write(dir.path(), "in.csv", &input);
    fails_with(
        &["score", "--input", "in.csv", "--output", "out.csv"],
        dir.path(),
        &["in.csv:3: text follows the closing quote", "--rejects"],
    );
    assert_eq!(names_in(dir.path()), ["in.csv"], "nothing written");

    for threads in ["1", "2"] {
        let (stderr, ids) = score_setting_bad_rows_aside(dir.path(), threads);
        assert!(
            stderr.starts_with("artclass: scored 2 rows (3 rejected"),
            "{stderr}"
        );
        assert_eq!(ids, ["1", "6"]);
        let (_, rejects) = read_csv(&dir.path().join("bad.csv"), b',');
        let lines: Vec<&str> = rejects.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(lines, ["3", "4", "7"]);
        assert!(rejects[0][1].contains("not doubled"), "{:?}", rejects[0]);
        assert!(
            rejects[1][1].contains("runs on to line 5") && rejects[1][1].contains("merged"),
            "{:?}",
            rejects[1]
        );
        assert!(
            rejects[2][1].contains("never closed") && rejects[2][1].contains("line 8"),
            "{:?}",
            rejects[2]
        );
        assert!(
            rejects[2][2].contains("8,une ligne avalée"),
            "the swallowed line is in the rejected row: {:?}",
            rejects[2]
        );
        // Each rejected row as it is in the file, for mending: not the parser's reading.
        let input_lines: Vec<&str> = input.lines().collect();
        assert_eq!(rejects[0][2], input_lines[2]);
        assert_eq!(rejects[1][2], input_lines[3..5].join("\n"));
        assert_eq!(rejects[2][2], input_lines[6..].join("\n"));
    }
}

#[test]
fn a_file_scored_before_is_refused_not_given_a_second_set_of_columns() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in.csv",
        format!("id,text\n1,\"{ARTICLE_COWORKING}\"\n"),
    );
    succeeds(artclass().current_dir(dir.path()).args([
        "score", "--quiet", "--input", "in.csv", "--output", "once.csv",
    ]));
    fails_with(
        &["score", "--input", "once.csv", "--output", "twice.csv"],
        dir.path(),
        &[
            "once.csv: the header already has columns that score adds",
            "'predicted', 'confidence', 'known_features', 'prob_coworking'",
        ],
    );
    write(
        dir.path(),
        "own.csv",
        format!("id,confidence,text\n1,high,\"{ARTICLE_COWORKING}\"\n"),
    );
    fails_with(
        &["score", "--input", "own.csv", "--output", "own_out.csv"],
        dir.path(),
        &["a column that score adds ('confidence')"],
    );
    assert_eq!(names_in(dir.path()), ["in.csv", "once.csv", "own.csv"]);
}
