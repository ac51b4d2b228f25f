#!/usr/bin/env bash
# Whole-process benchmark of `artclass score`: trains a model on 20newsgroups' train split,
# builds a ~550 MB input by repeating the test split, and prints MB/s, docs/s and peak
# resident memory (from /usr/bin/time) of `score` on the test split and on the large input,
# with 1 and 2 threads. Each figure is the median of RUNS runs (default 3).
#
#   benches/score.sh                       # needs ../shared/data/20newsgroups
#   TRAIN_FLAGS="--lang en --ngrams 1" RUNS=5 benches/score.sh
#   OUT=/dev/null benches/score.sh         # leave out the cost of writing the output file
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/20newsgroups
[ -f "$data/train.csv" ] || { echo "needs $data (not in a user's clone)" >&2; exit 1; }
runs=${RUNS:-3}
train_flags=${TRAIN_FLAGS:---lang en}
work=${WORK:-${TMPDIR:-/tmp}/artclass-bench}
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/artclass
model=$work/news.artclass
out=${OUT:-$work/out.csv}

# shellcheck disable=SC2086
$bin train --input "$data/train.csv" --output "$model" $train_flags | tail -2 | head -1

big=$work/big.csv
if [ ! -s "$big" ]; then
  { head -n 1 "$data/test.csv"; for _ in $(seq 40); do tail -n +2 "$data/test.csv"; done; } > "$big"
fi
test_rows=$(python3 -c 'import csv,sys; csv.field_size_limit(sys.maxsize); print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)' "$data/test.csv")

printf '%-22s %7s %9s %9s %11s %10s\n' input threads seconds MB/s docs/s "peak MB"
for input in "$data/test.csv" "$big"; do
  size=$(stat -c %s "$input")
  rows=$test_rows
  [ "$input" = "$big" ] && rows=$((test_rows * 40))
  for threads in 1 2; do
    results=()
    for _ in $(seq "$runs"); do
      results+=("$( { /usr/bin/time -f '%e %M' "$bin" --threads "$threads" score --quiet \
        --model "$model" --input "$input" --output "$out" ; } 2>&1 | tail -n 1)")
    done
    median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    read -r seconds kb <<< "$median"
    python3 - "$input" "$threads" "$seconds" "$kb" "$size" "$rows" <<'PY'
import os, sys
name, threads, seconds, kb, size, rows = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print("%-22s %7s %9.2f %9.1f %11.0f %10.1f" % (os.path.basename(name) + " (%.0f MB)" % (size / 1e6), threads, seconds, size / 1e6 / seconds, rows / seconds, kb / 1024))
PY
  done
done
if [ "$out" = "$work/out.csv" ]; then rm -f "$out"; fi
