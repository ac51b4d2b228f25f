#!/usr/bin/env bash
# What the web rules (`--web-rules`, on by default) do for text copied from web pages:
# fr_web_dev's articles made to look scraped, three ways (each sentence in <p>…</p> with a
# <br/> or two; accented letters as HTML character references, &eacute;; sentences glued
# by their full stop, "gratuite.Retours"), scored by the built-in corpus trained with and
# without the rules. Prints macro-F1, log-loss and mean known features per set.
#
#   benches/web_text.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=../shared/data
[ -f "$data/fr_web_dev.csv" ] || { echo "needs $data (not in a user's clone)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/artclass
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$data/fr_web_dev.csv" "$work" <<'PY'
import csv, html, re, sys
csv.field_size_limit(sys.maxsize)
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
sentence_end = re.compile(r"(?<=[a-zàâäéèêëîïôöùûüç])\. (?=[A-ZÀÂÉÈÊÎÔÙÛÇ])")
ways = {
    "plain": lambda t: t,
    "tags": lambda t: "<div class=\"post\">" + "".join(
        f"<p>{s}</p><br/>" for s in sentence_end.split(t)) + "</div>",
    "entities": lambda t: "".join(
        html.escape(c).replace("&#x27;", "&#39;") if c in "&<>'" else
        (f"&{html.entities.codepoint2name[ord(c)]};" if ord(c) in html.entities.codepoint2name else c)
        for c in t),
    "glued": lambda t: sentence_end.sub(".", t),
}
import html.entities
for name, way in ways.items():
    with open(f"{sys.argv[2]}/{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        for r in rows:
            w.writerow([r["label"], way(r["text"])])
PY

$bin train --input data/corpus --output "$work/on.artclass" >/dev/null
$bin train --input data/corpus --web-rules false --output "$work/off.artclass" >/dev/null
printf '%-10s %-9s %8s %9s %15s\n' text web-rules macro-F1 log-loss known-features
for set in plain tags entities glued; do
  for rules in off on; do
    f1=$($bin eval --model "$work/$rules.artclass" --input "$work/$set.csv" --json |
      python3 -c 'import json,sys; e=json.load(sys.stdin); print("%.4f %9.4f" % (e["macro_f1"], e["log_loss"]))')
    known=$($bin score --quiet --model "$work/$rules.artclass" --input "$work/$set.csv" --output - |
      python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); print("%.1f" % (sum(int(x["known_features"]) for x in r)/len(r)))')
    printf '%-10s %-9s %8s %15s\n' "$set" "$rules" "$f1" "$known"
  done
done
