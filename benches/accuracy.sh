#!/usr/bin/env bash
# Macro-F1 of artclass on the public benchmark sets, for the default settings or for the
# settings given as arguments (one string per configuration):
#
#   benches/accuracy.sh                                  # defaults
#   benches/accuracy.sh "--nb complement --tf log" "--ngrams 1"
#
# Sets (all in ../shared/data, never copied into the project):
#   20newsgroups    train.csv -> test.csv, --lang en
#   ag_news         test.csv split in order: rows 1-6000 train, rows 6001-7600 test, --lang en
#   masakhanews_fr  train_fewshot50.csv -> test.csv
#   fr_web_dev      5-fold stratified cross-validation (seed 42)
set -euo pipefail
# shellcheck source=benches/sets.sh
source "$(dirname "$0")/sets.sh"

holdout() { # train test lang settings...
  local train=$1 test=$2 lang=$3; shift 3
  # shellcheck disable=SC2068
  rm -f "$work/m.artclass"
  $bin train --lang "$lang" --input "$train" --output "$work/m.artclass" $@ >/dev/null || { echo failed; return; }
  $bin eval --model "$work/m.artclass" --input "$test" --json | f1
}

[ $# -gt 0 ] || set -- ""
printf '%-48s %12s %8s %14s %10s\n' settings 20newsgroups ag_news masakhanews_fr fr_web_cv
for s in "$@"; do
  # shellcheck disable=SC2086
  printf '%-48s %12s %8s %14s %10s\n' "${s:-(defaults)}" \
    "$(holdout "$data/20newsgroups/train.csv" "$data/20newsgroups/test.csv" en $s)" \
    "$(holdout "$work/ag_train.csv" "$work/ag_test.csv" en $s)" \
    "$(holdout "$data/masakhanews_fr/train_fewshot50.csv" "$data/masakhanews_fr/test.csv" fr $s)" \
    "$($bin eval --cv 5 --input "$data/fr_web_dev.csv" --json $s | f1)"
done
