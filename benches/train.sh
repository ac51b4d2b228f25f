#!/usr/bin/env bash
# Whole-process benchmark of `artclass train` on 20newsgroups' train split (22 MB): median
# seconds, MB/s and peak resident memory (from /usr/bin/time) over RUNS runs (default 5),
# with 1 and 2 threads, and a check that both thread counts write the same model file.
#
#   benches/train.sh                              # needs ../shared/data/20newsgroups
#   TRAIN_FLAGS="--lang en --min-df-ngrams 1" RUNS=3 benches/train.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/20newsgroups
[ -f "$data/train.csv" ] || { echo "needs $data (not in a user's clone)" >&2; exit 1; }
/usr/bin/time -f '%e' true 2>/dev/null ||
  { echo "needs GNU time as /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
runs=${RUNS:-5}
train_flags=${TRAIN_FLAGS:---lang en}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bin=target/release/artclass
size=$(stat -c %s "$data/train.csv")

printf '%-8s %9s %9s %10s\n' threads seconds MB/s "peak MB"
for threads in 1 2; do
  results=()
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    if ! /usr/bin/time -o "$work/time" -f '%e %M' "$bin" --threads "$threads" train \
      --input "$data/train.csv" --output "$work/t$threads.artclass" $train_flags \
      >/dev/null 2>"$work/log"; then
      echo "artclass train failed:" >&2
      cat "$work/log" >&2
      exit 1
    fi
    results+=("$(tail -n 1 "$work/time")")
  done
  median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  read -r seconds kb <<< "$median"
  peak=$(printf '%s\n' "${results[@]}" | awk '{print $2}' | sort -n | tail -n 1)
  python3 - "$threads" "$seconds" "$kb" "$size" "$peak" <<'PY'
import sys
threads, seconds, kb, size, peak = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print("%-8s %9.2f %9.1f %10s" % (threads, seconds, size / 1e6 / seconds, "%.0f (max %.0f)" % (kb / 1024, peak / 1024)))
PY
done
if cmp -s "$work/t1.artclass" "$work/t2.artclass"; then
  echo "1 and 2 threads wrote the same model file"
else
  echo "1 and 2 threads wrote different model files" >&2
  exit 1
fi
