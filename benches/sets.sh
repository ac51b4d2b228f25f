# Shared by benches/accuracy.sh and benches/cv_accuracy.sh (sourced, not run): checks that
# the public sets are there, builds the release binary, and sets
#   data  ../shared/data (never copied into the project)
#   bin   the release binary
#   work  a temporary directory, removed at exit, holding ag_news's fixed split of test.csv:
#         ag_train.csv (rows 1-6000) and ag_test.csv (rows 6001-7600)
# and the function `f1`, which reads `eval --json` on stdin and prints its macro-F1.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=../shared/data
[ -d "$data/20newsgroups" ] || { echo "needs $data (not in a user's clone)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/artclass
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$data/ag_news/test.csv" "$work" <<'PY'
import csv, sys
csv.field_size_limit(sys.maxsize)
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
header, body = rows[0], rows[1:]
for name, part in (("ag_train.csv", body[:6000]), ("ag_test.csv", body[6000:])):
    with open(f"{sys.argv[2]}/{name}", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(part)
PY

f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["macro_f1"])'; }
