#!/usr/bin/env python3
"""Peer baselines on 20newsgroups, measured the way artclass is (whole task, wall clock):

* scikit-learn CountVectorizer + MultinomialNB: fit on train.csv (reading the CSV included),
  then read test.csv and predict probabilities (MB/s over the test file);
* fastText supervised: train on train.csv, then read test.csv and predict (MB/s).

Needs ../shared/data/20newsgroups and `pip install scikit-learn fasttext-wheel`.
Prints one line per measurement. Usage: python3 benches/peers.py
"""
import csv
import os
import random
import sys
import tempfile
import time

csv.field_size_limit(sys.maxsize)
DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "20newsgroups")
TRAIN, TEST = os.path.join(DATA, "train.csv"), os.path.join(DATA, "test.csv")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def sklearn_nb():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics import f1_score
    from sklearn.naive_bayes import MultinomialNB

    start = time.perf_counter()
    texts, labels = read(TRAIN)
    vectorizer = CountVectorizer()
    model = MultinomialNB().fit(vectorizer.fit_transform(texts), labels)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    texts, truth = read(TEST)
    proba = model.predict_proba(vectorizer.transform(texts))
    predict = time.perf_counter() - start
    predicted = model.classes_[proba.argmax(axis=1)]
    report("scikit-learn CountVectorizer+MultinomialNB", fit, predict, f1_score(truth, predicted, average="macro"))


def fasttext_nb():
    import fasttext

    start = time.perf_counter()
    texts, labels = read(TRAIN)
    # Shuffled (fixed seed): train.csv is sorted by label, and fastText reads its input in
    # order, so on the sorted file its model ends up predicting one or two labels for
    # everything (measured: macro-F1 0.19).
    rows = list(zip(texts, labels))
    random.Random(0).shuffle(rows)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for text, label in rows:
            f.write("__label__%s %s\n" % (label, " ".join(text.split())))
    model = fasttext.train_supervised(f.name, epoch=25, lr=1.0, verbose=0)
    os.unlink(f.name)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    texts, truth = read(TEST)
    predicted, _ = model.predict([" ".join(t.split()) for t in texts], k=-1)
    predict = time.perf_counter() - start
    from sklearn.metrics import f1_score

    report("fastText supervised (25 epochs, lr 1.0)", fit, predict, f1_score(truth, [p[0][9:] for p in predicted], average="macro"))


def report(name, fit, predict, f1):
    train_mb, test_mb = os.path.getsize(TRAIN) / 1e6, os.path.getsize(TEST) / 1e6
    print("%-44s train %.2f s (%.1f MB/s)   predict %.2f s (%.1f MB/s)   macro-F1 %.4f"
          % (name, fit, train_mb / fit, predict, test_mb / predict, f1))


if __name__ == "__main__":
    if not os.path.isfile(TRAIN):
        sys.exit("needs %s (not in a user's clone)" % os.path.normpath(DATA))
    for module, package in (("sklearn", "scikit-learn"), ("fasttext", "fasttext-wheel")):
        try:
            __import__(module)
        except ImportError:
            sys.exit("needs %s: pip install %s" % (module, package))
    sklearn_nb()
    fasttext_nb()
