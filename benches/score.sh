#!/usr/bin/env bash
# Whole-process benchmark of `artclass score`: trains a model on 20newsgroups' train split,
# builds a ~550 MB input by repeating the test split, and prints MB/s, docs/s and peak
# resident memory (the kernel's rusage, as /usr/bin/time -v reports it) of `score` on the test
# split and on the large input, with 1 and 2 threads, and the speed-up of 2 threads over 1.
# Each time is the median of RUNS runs (default 3), peak memory the largest of the runs.
#
#   benches/score.sh                       # needs ../shared/data/20newsgroups
#   TRAIN_FLAGS="--lang en --ngrams 1" RUNS=5 benches/score.sh
#   OUT=/dev/null benches/score.sh         # leave out the cost of writing the output file
#
# Its files stay in WORK (default /tmp/artclass-bench) for the next run: the model (59 MB),
# the large input big.csv (559 MB, built once) and the last output. Remove WORK to free them.
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
  # Built beside it and renamed when whole: an interrupted build leaves no short big.csv.
  { head -n 1 "$data/test.csv"; for _ in $(seq 40); do tail -n +2 "$data/test.csv"; done; } > "$big.part"
  mv "$big.part" "$big"
fi
test_rows=$(python3 -c 'import csv,sys; csv.field_size_limit(sys.maxsize); print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)' "$data/test.csv")

# Each round runs 1 then 2 threads, or 2 then 1 (alternately), so that the speed-up is the
# median of ratios of runs made side by side: this machine's speed drifts by more than the
# difference between thread counts within a few minutes.
python3 - "$bin" "$model" "$out" "$runs" "$data/test.csv" "$test_rows" "$big" $((test_rows * 40)) <<'PY'
import os, statistics, subprocess, sys, time
binary, model, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
inputs = [(sys.argv[5], int(sys.argv[6])), (sys.argv[7], int(sys.argv[8]))]

def run(path, threads):
    """Wall seconds and peak resident MB of one `score` run."""
    command = [binary, "--threads", str(threads), "score", "--quiet",
               "--model", model, "--input", path, "--output", out]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        sys.exit("score failed: " + " ".join(command))
    return seconds, usage.ru_maxrss / 1024

print("%-22s %7s %9s %9s %11s %14s" % ("input", "threads", "seconds", "MB/s", "docs/s", "peak MB (max)"))
for path, rows in inputs:
    size = os.path.getsize(path)
    times = {1: [], 2: []}
    peaks = {1: [], 2: []}
    for number in range(runs):
        for threads in ((1, 2) if number % 2 == 0 else (2, 1)):
            seconds, peak = run(path, threads)
            times[threads].append(seconds)
            peaks[threads].append(peak)
    name = os.path.basename(path) + " (%.0f MB)" % (size / 1e6)
    for threads in (1, 2):
        seconds = statistics.median(times[threads])
        print("%-22s %7d %9.3f %9.1f %11.0f %14.1f" % (name, threads, seconds, size / 1e6 / seconds, rows / seconds, max(peaks[threads])))
    ratios = [one / two for one, two in zip(times[1], times[2])]
    print("%-22s speed-up of 2 threads over 1: %.2fx (median of %d side-by-side %s, %.2f-%.2f)" % (name, statistics.median(ratios), len(ratios), "pair" if len(ratios) == 1 else "pairs", min(ratios), max(ratios)))
PY
if [ "$out" = "$work/out.csv" ]; then rm -f "$out"; fi
