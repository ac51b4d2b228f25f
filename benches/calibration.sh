#!/usr/bin/env bash
# How far the probabilities can be trusted, with and without `--calibrate` (the default is
# true): log-loss and calibration error (`eval`'s, ten bins) on the test side of each public
# set and of fr_web_dev for the built-in corpus; macro-F1 too, which calibration must not move.
#
#   benches/calibration.sh
#
# Sets as in benches/accuracy.sh, plus sib200_fr (train.csv -> test.csv) and the built-in
# corpus (data/corpus -> ../shared/data/fr_web_dev.csv).
set -euo pipefail
# shellcheck source=benches/sets.sh
source "$(dirname "$0")/sets.sh"

row() { # name train test lang
  local name=$1 train=$2 test=$3 lang=$4
  for calibrate in false true; do
    rm -f "$work/m.artclass"
    report=$($bin train --lang "$lang" --calibrate $calibrate --input "$train" --output "$work/m.artclass")
    temperature=$(grep -o 'temperature [0-9.]*' <<<"$report" | cut -d' ' -f2 || true)
    $bin eval --model "$work/m.artclass" --input "$test" --json | python3 -c '
import json, sys
e = json.load(sys.stdin)
print("%-16s %-9s %11s %8.4f %9.4f %17.4f" % (sys.argv[1], sys.argv[2], sys.argv[3] or "1",
      e["macro_f1"], e["log_loss"], e["calibration_error"]))' "$name" "$calibrate" "${temperature:-}"
  done
}

printf '%-16s %-9s %11s %8s %9s %17s\n' set calibrate temperature macro-F1 log-loss calibration-error
row 20newsgroups "$data/20newsgroups/train.csv" "$data/20newsgroups/test.csv" en
row ag_news "$work/ag_train.csv" "$work/ag_test.csv" en
row masakhanews_fr "$data/masakhanews_fr/train_fewshot50.csv" "$data/masakhanews_fr/test.csv" fr
row sib200_fr "$data/sib200_fr/train.csv" "$data/sib200_fr/test.csv" fr
row built-in "data/corpus" "$data/fr_web_dev.csv" fr
