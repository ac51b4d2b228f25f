#!/usr/bin/env bash
# Macro-F1 of 5-fold stratified cross-validation on the training sides of the public sets,
# for the default settings or for the settings given as arguments (one string per
# configuration), with each seed of SEEDS (default "42 1 2 3"). A choice between settings
# made here never looks at the test splits that benches/accuracy.sh reports.
#
#   benches/cv_accuracy.sh "" "--ngram-tf raw"
#   SEEDS=42 benches/cv_accuracy.sh "--alpha 0.03"
#
# Sets (all in ../shared/data, never copied into the project):
#   20newsgroups    train.csv, --lang en
#   ag_news         test.csv rows 1-6000 (benches/accuracy.sh's training rows), --lang en
#   masakhanews_fr  dev.csv
#   sib200_fr       train.csv
set -euo pipefail
# shellcheck source=benches/sets.sh
source "$(dirname "$0")/sets.sh"

cv() { # input lang seed settings...
  local input=$1 lang=$2 seed=$3; shift 3
  # shellcheck disable=SC2068
  $bin eval --cv 5 --seed "$seed" --lang "$lang" --input "$input" --json $@ | f1
}

[ $# -gt 0 ] || set -- ""
printf '%-40s %5s %12s %8s %14s %10s\n' settings seed 20newsgroups ag_news masakhanews_fr sib200_fr
for s in "$@"; do
  for seed in ${SEEDS:-42 1 2 3}; do
    # shellcheck disable=SC2086
    printf '%-40s %5s %12s %8s %14s %10s\n' "${s:-(defaults)}" "$seed" \
      "$(cv "$data/20newsgroups/train.csv" en "$seed" $s)" \
      "$(cv "$work/ag_train.csv" en "$seed" $s)" \
      "$(cv "$data/masakhanews_fr/dev.csv" fr "$seed" $s)" \
      "$(cv "$data/sib200_fr/train.csv" fr "$seed" $s)"
  done
done
