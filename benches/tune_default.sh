#!/usr/bin/env bash
# Measures candidate settings of the built-in model: for each, macro-F1 and per-theme recall on
# ../shared/data/fr_web_dev.csv (real web articles, evaluation only) and 5-fold stratified
# cross-validation macro-F1 on data/corpus. Usage: benches/tune_default.sh [extra settings...]
# Each argument is one setting, e.g. "--alpha 0.3 --ngrams 2"; without arguments, a default grid.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=../shared/data/fr_web_dev.csv
[ -f "$dev" ] || { echo "needs $dev (not in a user's clone)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/artclass
model=$(mktemp --suffix=.artclass)
trap 'rm -f "$model"' EXIT

if [ $# -gt 0 ]; then settings=("$@"); else
  settings=()
  for tf in raw log; do for norm in none l2; do for ng in 1 2; do for a in 0.03 0.1 0.3 1; do
    settings+=("--tf $tf --norm $norm --ngrams $ng --alpha $a")
  done; done; done; done
fi

printf '%-46s %8s %s %9s %8s %8s\n' "settings" "dev-F1" "recall cowo/cust/ecom/trai" "cv-F1" "cv-LL" "dev-LL"
for s in "${settings[@]}"; do
  # shellcheck disable=SC2086
  $bin train --input data/corpus --output "$model" $s >/dev/null
  dev_line=$($bin eval --model "$model" --input "$dev" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = {l["label"]: l["recall"] for l in d["per_label"]}
print("%8.4f %26s %.4f" % (d["macro_f1"], "/".join("%.2f" % r[k] for k in ["coworking", "customer_relation", "ecommerce", "training"]), d["log_loss"]))')
  dev_ll=${dev_line##* }; dev_line=${dev_line% *}
  # shellcheck disable=SC2086
  cv=$($bin eval --cv 5 --input data/corpus --json $s | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.4f %8.4f" % (d["macro_f1"], d["log_loss"]))')
  printf '%-46s %s %18s %8s\n' "${s:-(defaults)}" "$dev_line" "$cv" "$dev_ll"
done
