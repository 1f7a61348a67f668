#!/usr/bin/env python3
"""Answer-quality benchmark for Studybot's answer pipeline (POST /api/chat/message).

Starts the server (or uses --url), logs in, creates a chatbot with the product defaults (learned
embedder, hybrid retrieval, the built-in extractive answerer), uploads every passage of
bench/retrieval/corpus.jsonl as its own document, waits until all are ready and the learned
embedder has been trained on all of them, then asks every question of
bench/retrieval/questions.jsonl and every question of out_of_scope.jsonl through
POST /api/chat/message, one new session per question (no session_id), sequentially.

Reports (see README.md for the definitions):
  1. first cited source right: sources[0].document_id maps to one of the question's relevant
     passages (a fallback is a miss), over all in-scope questions;
  2. out-of-scope fallback rate;
  3. in-scope fallback rate (fallback by mistake);
  4. confidence calibration: share of right answers per confidence bucket;
plus response_time_ms p50/p95 and, for comparison, retrieval's own top-1 through
POST /api/chatbots/:id/search with the chatbot's defaults (what the pipeline retrieves).
Writes results.json.  Python standard library only; the server start, client, upload and wait
come from bench/retrieval/run_bench.py.

  python3 bench/answers/run_answers.py --binary /path/to/studybot
  python3 bench/answers/run_answers.py --limit-questions 20 --limit-oos 5   # smoke run
"""
import argparse
import json
import math
import os
import shutil
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RETRIEVAL = os.path.join(REPO, "bench", "retrieval")
sys.path.insert(0, RETRIEVAL)
import run_bench  # noqa: E402  (server start, Client, upload_all, wait_ready, load_jsonl, pct)

BenchError = run_bench.BenchError


def wait_learned_embedder(client, bot_id, deadline, verbose):
    embedder, seconds = run_bench.wait_learned_embedder(client, bot_id, deadline)
    if verbose:
        print(f"embedder {embedder} ready {seconds:.1f} s after ingestion", file=sys.stderr)
    return embedder, seconds


def ask(client, bot_id, question):
    t = time.perf_counter()
    st, ans = client.call("POST", "/api/chat/message", {"chatbot_id": bot_id, "message": question},
                          timeout=60.0)
    wall = (time.perf_counter() - t) * 1000.0
    if st != 200 or not isinstance(ans, dict) or "fallback" not in ans:
        raise BenchError(f"POST /api/chat/message answered {st}: {str(ans)[:300]}")
    return ans, wall


def wilson(k, n, z=1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def buckets_fixed(rows, width=0.1):
    out = []
    lo = 0.0
    while lo < 1.0 - 1e-9:
        hi = lo + width
        sel = [r for r in rows if lo - 1e-12 <= r["confidence"] < hi or (hi >= 1.0 and r["confidence"] >= 1.0)]
        if sel:
            k = sum(r["right"] for r in sel)
            out.append({"range": [round(lo, 2), round(hi, 2)], "n": len(sel), "right": k,
                        "share_right": k / len(sel)})
        lo = hi
    return out


def buckets_quantile(rows, q=5):
    s = sorted(rows, key=lambda r: r["confidence"])
    out = []
    for i in range(q):
        part = s[i * len(s) // q:(i + 1) * len(s) // q]
        if not part:
            continue
        k = sum(r["right"] for r in part)
        out.append({"quantile": i + 1, "range": [part[0]["confidence"], part[-1]["confidence"]],
                    "n": len(part), "right": k, "share_right": k / len(part)})
    return out


def inversions(buckets, min_n=1):
    """Pairs of adjacent buckets (with at least min_n answers) where the higher-confidence one is
    right less often: [(lower bucket, higher bucket, drop in share)]."""
    b = [x for x in buckets if x["n"] >= min_n]
    inv = []
    for a, c in zip(b, b[1:]):
        if c["share_right"] < a["share_right"] - 1e-12:
            inv.append({"lower": a["range"], "higher": c["range"],
                        "drop": a["share_right"] - c["share_right"], "z": two_proportion_z(a, c)})
    return inv


def auc(rows):
    """Probability that a right answer has a higher confidence than a wrong one (ties count half)."""
    pos = [r["confidence"] for r in rows if r["right"]]
    neg = [r["confidence"] for r in rows if not r["right"]]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def two_proportion_z(a, b):
    """z of the difference in share_right between buckets a and b (pooled)."""
    k, n = a["right"] + b["right"], a["n"] + b["n"]
    p = k / n
    se = math.sqrt(p * (1 - p) * (1 / a["n"] + 1 / b["n"]))
    return (a["share_right"] - b["share_right"]) / se if se else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="base URL of a running server (default: start one)")
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"))
    ap.add_argument("--email", default=run_bench.EMAIL)
    ap.add_argument("--password", default=run_bench.PASSWORD)
    ap.add_argument("--corpus", default=os.path.join(RETRIEVAL, "corpus.jsonl"))
    ap.add_argument("--questions", default=os.path.join(RETRIEVAL, "questions.jsonl"))
    ap.add_argument("--out-of-scope", default=os.path.join(HERE, "out_of_scope.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--threads", type=int, default=4, help="concurrent uploads")
    ap.add_argument("--time-budget", type=float, default=1800, help="seconds for the whole run")
    ap.add_argument("--limit-questions", type=int, default=0, help="only the first N questions (smoke test)")
    ap.add_argument("--limit-oos", type=int, default=0, help="only the first N out-of-scope questions")
    ap.add_argument("--top-k", type=int, default=0,
                    help="the chatbot's knowledge.retrieval.top_k, the sources the answerer gets "
                         "(default: not set, the product default of 5)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    verbose = not args.quiet
    deadline = run_bench.Deadline(args.time_budget)

    corpus = run_bench.load_jsonl(args.corpus)
    questions = run_bench.load_jsonl(args.questions)
    oos = run_bench.load_jsonl(args.out_of_scope)
    if args.limit_questions:
        questions = questions[:args.limit_questions]
    if args.limit_oos:
        oos = oos[:args.limit_oos]
    pids = {p["id"] for p in corpus}
    for q in questions:
        if not q["relevant"] or any(r not in pids for r in q["relevant"]):
            raise BenchError(f"question {q['id']} has unknown/empty relevant passages")

    proc = data_dir = log = None
    try:
        if args.url:
            base = args.url
        else:
            # run_bench.start_server sets STUDYBOT_RATELIMIT_PER_USER=10000000/1m: admin calls to
            # /api/chat/message are limited per user (auth::Guard), not per session or key.
            proc, base, data_dir, log = run_bench.start_server(args.binary, deadline)
        client = run_bench.Client(base, deadline)
        _, tok = client.call("POST", "/api/auth/login", {"email": args.email, "password": args.password})
        client.token = tok["access_token"]
        knowledge = {"embedder": {"provider": "builtin", "model": "learned"}}
        if args.top_k:
            knowledge["retrieval"] = {"top_k": args.top_k}
        _, bot = client.call("POST", "/api/chatbots", {
            "name": f"answers-bench-{int(time.time())}", "knowledge": knowledge})
        bot_id = bot["id"]
        settings = {"knowledge": bot.get("knowledge"), "answers": bot.get("answers"), "model": bot.get("model")}

        if verbose:
            print(f"server {base}, chatbot {bot_id}; uploading {len(corpus)} passages", file=sys.stderr)
        t0 = time.monotonic()
        doc_to_pid = run_bench.upload_all(client, bot_id, corpus, args.threads)
        docs = run_bench.wait_ready(client, bot_id, len(corpus), deadline, verbose)
        t_ingest = time.monotonic() - t0
        chunks = sum(d.get("chunk_count", 0) for d in docs)
        if verbose:
            print(f"ingested {len(docs)} documents ({chunks} chunks) in {t_ingest:.1f} s", file=sys.stderr)
        embedder, t_train = wait_learned_embedder(client, bot_id, deadline, verbose)

        # Warm up (not counted): the first answer may load caches.
        ask(client, bot_id, "warm up")

        def pid_of(doc_id):
            pid = doc_to_pid.get(doc_id)
            if pid is None:
                raise BenchError(f"answer cites unknown document {doc_id}")
            return pid

        per_q = []
        for i, q in enumerate(questions):
            rel = set(q["relevant"])
            # Retrieval alone, with the chatbot's defaults (the same search the pipeline runs).
            _, res = client.call("POST", f"/api/chatbots/{bot_id}/search", {"query": q["question"]})
            top = [pid_of(r["document_id"]) for r in res.get("results", [])]
            ans, wall = ask(client, bot_id, q["question"])
            cited = [pid_of(s["document_id"]) for s in ans.get("sources", [])]
            first = None if ans["fallback"] or not cited else cited[0]
            per_q.append({
                "id": q["id"], "question": q["question"], "style": q.get("style"),
                "relevant": q["relevant"],
                "fallback": ans["fallback"],
                "first_cited": first,
                "first_cited_number": (ans["sources"][0]["number"] if first else None),
                "cited": cited,
                "right": first is not None and first in rel,
                "any_cited_right": (not ans["fallback"]) and any(c in rel for c in cited),
                "retrieval_top1_right": bool(top) and top[0] in rel,
                "retrieval_topk_right": any(t in rel for t in top),
                "retrieved": len(top),
                "confidence": ans["confidence"],
                "response_time_ms": ans["response_time_ms"],
                "wall_ms": round(wall, 2),
                "degraded": ans.get("degraded", False),
                "model": ans.get("model"),
            })
            if verbose and (i + 1) % 50 == 0:
                print(f"  asked {i + 1}/{len(questions)} questions", file=sys.stderr)

        per_oos = []
        for q in oos:
            ans, wall = ask(client, bot_id, q["question"])
            cited = [pid_of(s["document_id"]) for s in ans.get("sources", [])]
            per_oos.append({
                "id": q["id"], "question": q["question"], "category": q.get("category"),
                "fallback": ans["fallback"],
                "first_cited": None if ans["fallback"] or not cited else cited[0],
                "confidence": ans["confidence"],
                "response_time_ms": ans["response_time_ms"], "wall_ms": round(wall, 2),
                "response": None if ans["fallback"] else ans["response"],
            })

        # Aggregate.
        n = len(per_q)
        right = sum(r["right"] for r in per_q)
        fb_in = sum(r["fallback"] for r in per_q)
        answered = [r for r in per_q if not r["fallback"]]
        fb_oos = sum(r["fallback"] for r in per_oos)
        all_rt = [r["response_time_ms"] for r in per_q + per_oos]
        ans_rt = [r["response_time_ms"] for r in answered]
        wall = [r["wall_ms"] for r in per_q + per_oos]
        fixed = buckets_fixed(answered, 0.1)
        quint = buckets_quantile(answered, 5)
        by_style = {}
        for r in per_q:
            g = by_style.setdefault(str(r["style"]), {"n": 0, "right": 0, "fallback": 0, "retrieval_top1": 0})
            g["n"] += 1
            g["right"] += r["right"]
            g["fallback"] += r["fallback"]
            g["retrieval_top1"] += r["retrieval_top1_right"]
        # Where the misses come from.
        misses = {
            "fallback": fb_in,
            "fallback_with_relevant_retrieved": sum(1 for r in per_q if r["fallback"] and r["retrieval_topk_right"]),
            "answered_wrong_relevant_retrieved": sum(1 for r in answered if not r["right"] and r["retrieval_topk_right"]),
            "answered_wrong_nothing_relevant_retrieved": sum(1 for r in answered if not r["right"] and not r["retrieval_topk_right"]),
            "lost_top1": sum(1 for r in answered if not r["right"] and r["retrieval_top1_right"]),
            "gained_over_top1": sum(1 for r in answered if r["right"] and not r["retrieval_top1_right"]),
        }
        first_number = {}
        for r in answered:
            k = str(r["first_cited_number"])
            first_number[k] = first_number.get(k, 0) + 1
        summary = {
            "in_scope_questions": n,
            "first_cited_right": right,
            "first_cited_right_rate": right / n if n else 0.0,
            "first_cited_right_ci95": wilson(right, n),
            "target_first_cited_right_rate": 0.70,
            "target_first_cited_met": n > 0 and right / n >= 0.70,
            "first_cited_right_rate_of_answered": (right / len(answered)) if answered else 0.0,
            "any_cited_right_rate": sum(r["any_cited_right"] for r in per_q) / n if n else 0.0,
            "retrieval_top1_right_rate": sum(r["retrieval_top1_right"] for r in per_q) / n if n else 0.0,
            "retrieval_topk_right_rate": sum(r["retrieval_topk_right"] for r in per_q) / n if n else 0.0,
            "in_scope_fallback": fb_in,
            "in_scope_fallback_rate": fb_in / n if n else 0.0,
            "out_of_scope_questions": len(per_oos),
            "out_of_scope_fallback": fb_oos,
            "out_of_scope_fallback_rate": fb_oos / len(per_oos) if per_oos else 0.0,
            "target_out_of_scope_fallback_rate": 0.95,
            "target_out_of_scope_met": bool(per_oos) and fb_oos / len(per_oos) >= 0.95,
            "response_time_ms_p50": statistics.median(all_rt) if all_rt else None,
            "response_time_ms_p95": run_bench.pct(all_rt, 95),
            "response_time_ms_p50_answered": statistics.median(ans_rt) if ans_rt else None,
            "response_time_ms_p95_answered": run_bench.pct(ans_rt, 95),
            "client_wall_ms_p50": statistics.median(wall) if wall else None,
            "client_wall_ms_p95": run_bench.pct(wall, 95),
            "first_cited_source_number": first_number,
            "misses": misses,
        }
        calibration = {
            "over": "in-scope questions that got an answer (fallbacks have confidence 0 and are left out)",
            "bins_0_1": fixed,
            "quintiles": quint,
            "inversions_bins": inversions(fixed),
            "inversions_bins_n_ge_10": inversions(fixed, 10),
            "inversions_quintiles": inversions(quint),
            "monotonic_quintiles": not inversions(quint),
            "mean_confidence_right": statistics.mean([r["confidence"] for r in answered if r["right"]]) if any(r["right"] for r in answered) else None,
            "mean_confidence_wrong": statistics.mean([r["confidence"] for r in answered if not r["right"]]) if any(not r["right"] for r in answered) else None,
            "auc_right_vs_wrong": auc(answered),
            "out_of_scope_answered_confidences": [r["confidence"] for r in per_oos if not r["fallback"]],
        }
        out = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": base if args.url else args.binary,
            "chatbot_settings": settings,
            "embedder": embedder,
            "corpus": {"passages": len(corpus), "documents_ready": len(docs), "chunks": chunks},
            "ingest_seconds": round(t_ingest, 2),
            "embedder_ready_seconds_after_ingest": round(t_train, 2),
            "summary": summary,
            "by_style": by_style,
            "calibration": calibration,
            "per_question": per_q,
            "out_of_scope": per_oos,
        }
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, ensure_ascii=False)

        s = summary
        lo, hi = s["first_cited_right_ci95"]
        print(f"\n{n} in-scope questions, {len(per_oos)} out of scope; embedder {embedder}")
        print(f"1. first cited source right: {right}/{n} = {s['first_cited_right_rate'] * 100:.1f}% "
              f"(95% CI {lo * 100:.1f}-{hi * 100:.1f}%; target 70%: {'met' if s['target_first_cited_met'] else 'NOT met'}); "
              f"{s['first_cited_right_rate_of_answered'] * 100:.1f}% of answered; any cited right "
              f"{s['any_cited_right_rate'] * 100:.1f}%; retrieval top-1 {s['retrieval_top1_right_rate'] * 100:.1f}%, "
              f"top-{max((r['retrieved'] for r in per_q), default=0)} {s['retrieval_topk_right_rate'] * 100:.1f}%")
        print(f"2. out of scope -> fallback: {fb_oos}/{len(per_oos)} = {s['out_of_scope_fallback_rate'] * 100:.1f}% "
              f"(target 95%: {'met' if s['target_out_of_scope_met'] else 'NOT met'})")
        for r in per_oos:
            if not r["fallback"]:
                print(f"   answered {r['id']} ({r['confidence']:.3f}): {r['question']} -> {r['first_cited']}")
        print(f"3. in scope -> fallback by mistake: {fb_in}/{n} = {s['in_scope_fallback_rate'] * 100:.1f}%")
        print(f"4. calibration (answered in-scope, {len(answered)}): share right per bucket")
        for b in quint:
            print(f"   Q{b['quantile']} conf {b['range'][0]:.3f}-{b['range'][1]:.3f}  n={b['n']:3d}  right {b['share_right'] * 100:5.1f}%")
        for b in fixed:
            print(f"   [{b['range'][0]:.1f},{b['range'][1]:.1f})  n={b['n']:3d}  right {b['share_right'] * 100:5.1f}%")
        print(f"   quintiles monotonic: {calibration['monotonic_quintiles']}; inversions: "
              f"{[round(x['drop'], 3) for x in calibration['inversions_quintiles']]} (quintiles), "
              f"{[(x['lower'], round(x['drop'], 3)) for x in calibration['inversions_bins']]} (0.1 bins); "
              f"z of quintile inversions {[round(x['z'], 2) for x in calibration['inversions_quintiles']]}; "
              f"AUC right vs wrong {calibration['auc_right_vs_wrong']:.3f}; mean confidence right "
              f"{calibration['mean_confidence_right']:.3f}, wrong {calibration['mean_confidence_wrong']:.3f}")
        print(f"response_time_ms p50 {s['response_time_ms_p50']} p95 {s['response_time_ms_p95']} "
              f"(answered only: {s['response_time_ms_p50_answered']} / {s['response_time_ms_p95_answered']}); "
              f"client wall p50 {s['client_wall_ms_p50']:.1f} p95 {s['client_wall_ms_p95']:.1f} ms")
        print(f"misses: {misses}")
        print(f"\nwrote {os.path.relpath(args.out)}")
        return 0
    except BaseException:
        if data_dir:
            print("--- server log (tail) ---\n" + run_bench.tail(data_dir), file=sys.stderr)
        raise
    finally:
        run_bench.stop_server(proc)
        if log:
            log.close()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, run_bench._terminate)   # so that `finally` stops the server
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"run_answers: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
