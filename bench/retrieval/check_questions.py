#!/usr/bin/env python3
"""Sanity checks for questions.jsonl against corpus.jsonl (stdlib only).

* every question has an id, a text, a style and at least one relevant passage that exists;
* ids are unique; no question text is repeated;
* lexical overlap: for each question, the "distinctive" words it shares with its relevant
  passage(s) -- words (crudely stemmed, stop words removed) that occur in at most
  --rare-df passages of the corpus.  Questions labelled "paraphrase" must share none:
  they are meant to describe the answer without its exact distinctive words.

  python3 check_questions.py [--verbose]
Exits 1 if a check fails.
"""
import argparse
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STYLES = {"paraphrase", "natural", "keyword", "term"}
STOP = set("""a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours yourself
yourselves also use used using get gets one two way ways make makes made let lets instead without whether
within across per via like etc e g ie eg something anything every many much need needs want""".split())


def stem(w):
    for suf in ("ing", "ies", "ied", "es", "ed", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def terms(text):
    return {stem(w) for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in STOP and len(w) > 1}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus.jsonl"))
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.jsonl"))
    ap.add_argument("--rare-df", type=int, default=30, help="max passages containing a 'distinctive' word")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    corpus = {}
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            corpus[p["id"]] = p
    df = collections.Counter()
    pterms = {}
    for pid, p in corpus.items():
        t = terms(p["title"] + " " + p["text"])
        pterms[pid] = t
        df.update(t)

    errors = []
    qs = []
    with open(args.questions, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                qs.append(json.loads(line))
    ids = collections.Counter(q.get("id") for q in qs)
    texts = collections.Counter(q.get("question", "").strip().lower() for q in qs)
    for q in qs:
        if not q.get("id") or ids[q["id"]] > 1:
            errors.append(f"bad or duplicate id: {q.get('id')}")
        if not q.get("question") or texts[q["question"].strip().lower()] > 1:
            errors.append(f"{q.get('id')}: empty or repeated question")
        if q.get("style") not in STYLES:
            errors.append(f"{q.get('id')}: style {q.get('style')!r} not in {sorted(STYLES)}")
        rel = q.get("relevant") or []
        if not rel or any(r not in corpus for r in rel):
            errors.append(f"{q.get('id')}: relevant passages missing from corpus: {rel}")

    by_style = collections.defaultdict(list)
    for q in qs:
        rel = [r for r in q.get("relevant", []) if r in corpus]
        if not rel:
            continue
        qt = terms(q["question"])
        shared = set().union(*(qt & pterms[r] for r in rel))
        rare = sorted(w for w in shared if df[w] <= args.rare_df)
        overlap = len(shared) / max(1, len(qt))
        by_style[q["style"]].append((q, rare, overlap))
        if q["style"] == "paraphrase" and rare:
            errors.append(f"{q['id']}: paraphrase shares distinctive words {rare}: {q['question']}")

    n = len(qs)
    print(f"{n} questions, {len({r for q in qs for r in q.get('relevant', [])})} distinct relevant passages, "
          f"{len({corpus[r]['source_package'] for q in qs for r in q.get('relevant', []) if r in corpus})} "
          f"source packages, {len({corpus[r]['source_file'] for q in qs for r in q.get('relevant', []) if r in corpus})} source files")
    for style in sorted(by_style):
        rows = by_style[style]
        with_rare = sum(1 for _, rare, _ in rows if rare)
        print(f"  {style:10s} {len(rows):4d} ({len(rows) / n:5.1%})  mean word overlap with answer "
              f"{sum(o for _, _, o in rows) / len(rows):.2f}; sharing a distinctive word: {with_rare}")
        if args.verbose:
            for q, rare, o in rows:
                print(f"      {q['id']} {o:.2f} {rare} {q['question']}")
    src = collections.Counter(r.split("/")[0] for q in qs for r in q.get("relevant", [])[:1])
    print("  by source: " + ", ".join(f"{k} {v}" for k, v in src.most_common()))
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
