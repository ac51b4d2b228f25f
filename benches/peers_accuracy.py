#!/usr/bin/env python3
"""Best scikit-learn naive Bayes accuracy on three public sets (the README's "scikit-learn best" row).

Two configurations, each fit on the train split and scored on the test split:

* A: CountVectorizer() + MultinomialNB() (defaults);
* B: TfidfVectorizer(ngram_range=(1, 2)) + MultinomialNB(alpha=0.01).

Splits, under ../shared/data:

* 20newsgroups: train on train.csv, test on test.csv;
* ag_news: test.csv only, data rows 1-6000 for training and rows 6001-7600 for testing;
* masakhanews_fr: train on train_fewshot50.csv, test on test.csv.

Prints one row per set: macro-F1 of A and B, the best macro-F1 and the accuracy of that configuration.
Needs `pip install scikit-learn`. Usage: python3 benches/peers_accuracy.py
"""
import csv
import os
import sys

try:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.naive_bayes import MultinomialNB
except ImportError:
    sys.exit("needs scikit-learn: pip install scikit-learn")

csv.field_size_limit(sys.maxsize)
DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def read(*parts):
    with open(os.path.join(DATA, *parts), newline="", encoding="utf-8") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f)]


def splits():
    ag_news = read("ag_news", "test.csv")
    yield "20newsgroups", read("20newsgroups", "train.csv"), read("20newsgroups", "test.csv")
    yield "ag_news", ag_news[:6000], ag_news[6000:]
    yield "masakhanews_fr", read("masakhanews_fr", "train_fewshot50.csv"), read("masakhanews_fr", "test.csv")


def score(vectorizer, model, train, test):
    texts, labels = zip(*train)
    model.fit(vectorizer.fit_transform(texts), labels)
    texts, truth = zip(*test)
    predicted = model.predict(vectorizer.transform(texts))
    return f1_score(truth, predicted, average="macro"), accuracy_score(truth, predicted)


def main():
    if not os.path.isdir(DATA):
        sys.exit("data not found: %s (expected ../shared/data next to the project)" % os.path.normpath(DATA))
    print("%-16s %10s %10s %10s %10s" % ("set", "A macro-F1", "B macro-F1", "best F1", "best acc"))
    for name, train, test in splits():
        a = score(CountVectorizer(), MultinomialNB(), train, test)
        b = score(TfidfVectorizer(ngram_range=(1, 2)), MultinomialNB(alpha=0.01), train, test)
        best = max(a, b)
        print("%-16s %10.4f %10.4f %10.4f %10.4f" % (name, a[0], b[0], best[0], best[1]))


if __name__ == "__main__":
    main()
