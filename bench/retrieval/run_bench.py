#!/usr/bin/env python3
"""Retrieval-quality benchmark for Studybot's knowledge search.

Starts the server (or uses --url), logs in, creates a chatbot, uploads every
passage of corpus.jsonl as its own document, waits until all are ready, then
runs every question of questions.jsonl through POST /api/chatbots/:id/search in
each mode (keyword, dense, hybrid) with top_k 10 and reports nDCG@10 (binary
relevance), recall@10 and MRR@10, plus ingest time and search latency.
Writes results.json.  Python standard library only.  Exits non-zero on any
failure (server error, failed document, timeout).

  python3 run_bench.py                        # start build/studybot on a free port
  python3 run_bench.py --url http://127.0.0.1:8080 --email ... --password ...
"""
import argparse
import concurrent.futures
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODES = ("keyword", "dense", "hybrid")
EMAIL = "bench@example.com"
PASSWORD = "bench password 123"


class BenchError(Exception):
    pass


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def check(self, what):
        if self.left() <= 0:
            raise BenchError(f"time budget exhausted while {what}")


class Client:
    def __init__(self, base, deadline):
        self.base = base.rstrip("/")
        self.token = None
        self.deadline = deadline

    def call(self, method, path, body=None, timeout=30.0, retries=3):
        data = None if body is None else json.dumps(body).encode()
        last = None
        for attempt in range(retries):
            self.deadline.check(f"{method} {path}")
            req = urllib.request.Request(self.base + path, data=data, method=method)
            req.add_header("Accept", "application/json")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            if self.token:
                req.add_header("Authorization", "Bearer " + self.token)
            try:
                with urllib.request.urlopen(req, timeout=min(timeout, max(1.0, self.deadline.left()))) as r:
                    raw = r.read()
                    return r.status, (json.loads(raw) if raw else None)
            except urllib.error.HTTPError as e:
                raw = e.read()
                if e.code in (429, 502, 503, 504) and attempt + 1 < retries:
                    last = f"HTTP {e.code}: {raw[:200]!r}"
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise BenchError(f"{method} {path} -> HTTP {e.code}: {raw[:300]!r}")
            except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError) as e:
                last = f"{type(e).__name__}: {e}"
                time.sleep(0.5 * (attempt + 1))
        raise BenchError(f"{method} {path} failed: {last}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, deadline):
    if not os.access(binary, os.X_OK):
        raise BenchError(f"server binary not found or not executable: {binary}")
    data_dir = tempfile.mkdtemp(prefix="studybot-retrieval-")
    port = free_port()
    env = dict(os.environ)
    env.update({
        "STUDYBOT_DATA_DIR": data_dir,
        "STUDYBOT_ADMIN_EMAIL": EMAIL,
        "STUDYBOT_ADMIN_PASSWORD": PASSWORD,
        "STUDYBOT_AUTH_BCRYPT_COST": "4",
        "STUDYBOT_RATELIMIT_PER_USER": "10000000/1m",  # the server refuses more than 1 per microsecond,
        "STUDYBOT_HTTP_BODY_LIMIT": "4MiB",
        "STUDYBOT_KNOWLEDGE_JOB_POLL_INTERVAL": "50ms",
        "STUDYBOT_LOG_LEVEL": "warn",
    })
    log = open(os.path.join(data_dir, "server.log"), "wb")
    proc = subprocess.Popen([binary, "serve", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        if proc.poll() is not None:
            log.flush()
            raise BenchError(f"server exited with {proc.returncode}; log: {tail(data_dir)}")
        try:
            with urllib.request.urlopen(base + "/ready", timeout=2) as r:
                if r.status == 200:
                    return proc, base, data_dir, log
        except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError):
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise BenchError(f"server did not become ready in 30 s; log: {tail(data_dir)}")


def tail(data_dir, n=2000):
    try:
        with open(os.path.join(data_dir, "server.log"), "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""


def stop_server(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def upload_all(client, bot, corpus, threads):
    doc_to_pid = {}
    lock = threading.Lock()

    def one(p):
        st, doc = client.call("POST", f"/api/chatbots/{bot}/documents",
                              {"title": p["title"], "content": p["text"], "format": "text",
                               "url": "passage://" + p["id"]})
        if st != 202 or "id" not in doc:
            raise BenchError(f"upload of {p['id']} answered {st}: {doc}")
        with lock:
            doc_to_pid[doc["id"]] = p["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as ex:
        for fut in concurrent.futures.as_completed([ex.submit(one, p) for p in corpus]):
            fut.result()
    return doc_to_pid


def list_documents(client, bot):
    items, cursor = [], None
    while True:
        q = f"/api/chatbots/{bot}/documents?limit=200" + (f"&cursor={cursor}" if cursor else "")
        _, page = client.call("GET", q)
        items.extend(page.get("items", []))
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def wait_ready(client, bot, expected, deadline, verbose):
    last_report = 0.0
    while True:
        deadline.check("waiting for documents to become ready")
        docs = list_documents(client, bot)
        status = {}
        for d in docs:
            status[d["status"]] = status.get(d["status"], 0) + 1
        failed = [d for d in docs if d["status"] == "failed"]
        if failed:
            raise BenchError(f"{len(failed)} documents failed, e.g. {failed[0].get('title')!r}: "
                             f"{failed[0].get('error')}")
        if status.get("ready", 0) >= expected:
            return docs
        if verbose and time.monotonic() - last_report > 10:
            print(f"  ingest: {status}", file=sys.stderr)
            last_report = time.monotonic()
        time.sleep(1.0)


def metrics(ranked, relevant, k=10):
    """ranked: passage ids best first (unique); relevant: set of passage ids."""
    top = ranked[:k]
    dcg = sum(1.0 / math.log2(i + 2) for i, pid in enumerate(top) if pid in relevant)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    hits = sum(1 for pid in top if pid in relevant)
    rr = 0.0
    for i, pid in enumerate(top):
        if pid in relevant:
            rr = 1.0 / (i + 1)
            break
    return {"ndcg": dcg / idcg if idcg else 0.0, "recall": hits / len(relevant), "mrr": rr}


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    idx = min(len(s) - 1, max(0, int(math.ceil(p / 100.0 * len(s))) - 1))
    return s[idx]


def paired_bootstrap(a, b, n=2000, seed=1):
    """95% interval of mean(b - a) over questions."""
    rnd = random.Random(seed)
    d = [y - x for x, y in zip(a, b)]
    means = []
    for _ in range(n):
        sample = [d[rnd.randrange(len(d))] for _ in range(len(d))]
        means.append(sum(sample) / len(sample))
    means.sort()
    return means[int(0.025 * n)], means[int(0.975 * n) - 1]


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def wait_learned_embedder(client, bot_id, deadline):
    """POST /reindex so the learned model has seen every passage, then wait until the job is done
    and the search index answers with the new embedder. Returns (embedder, seconds)."""
    t0 = time.monotonic()
    _, job = client.call("POST", f"/api/chatbots/{bot_id}/reindex")
    while True:
        deadline.check("re-indexing")
        _, b = client.call("GET", f"/api/chatbots/{bot_id}")
        st = b["knowledge_status"]
        r = st.get("reindex") or {}
        if r.get("job_id") == job["job_id"] and r.get("status") in ("succeeded", "failed"):
            if r["status"] == "failed":
                raise BenchError(f"re-index failed: {r.get('error')}")
            embedder = st.get("embedder")
            break
        time.sleep(0.2)
    while True:
        deadline.check("waiting for the index to follow the embedder")
        _, res = client.call("POST", f"/api/chatbots/{bot_id}/search",
                             {"query": "warm up", "top_k": 1, "mode": "dense"})
        if res.get("embedder") == embedder:
            break
        time.sleep(0.2)
    return embedder, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="base URL of a running server (default: start one)")
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"))
    ap.add_argument("--email", default=EMAIL)
    ap.add_argument("--password", default=PASSWORD)
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus.jsonl"))
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4, help="concurrent uploads")
    ap.add_argument("--time-budget", type=float, default=1800, help="seconds for the whole run")
    ap.add_argument("--limit-questions", type=int, default=0, help="only the first N questions (smoke test)")
    ap.add_argument("--embedder", choices=("learned", "hashing"), default="learned",
                    help="the chatbot's built-in embedder (default: learned, the product default)")
    ap.add_argument("--fusion", choices=("convex", "rrf"), default="convex",
                    help="hybrid fusion (default: convex, the product default)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    verbose = not args.quiet
    deadline = Deadline(args.time_budget)

    corpus = load_jsonl(args.corpus)
    questions = load_jsonl(args.questions)
    if args.limit_questions:
        questions = questions[:args.limit_questions]
    pids = {p["id"] for p in corpus}
    if len(pids) != len(corpus):
        raise BenchError("duplicate passage ids in corpus")
    for q in questions:
        missing = [r for r in q["relevant"] if r not in pids]
        if not q["relevant"] or missing:
            raise BenchError(f"question {q['id']} has unknown/empty relevant passages: {missing}")

    proc = data_dir = log = None
    try:
        if args.url:
            base = args.url
        else:
            proc, base, data_dir, log = start_server(args.binary, deadline)
        client = Client(base, deadline)
        _, tok = client.call("POST", "/api/auth/login", {"email": args.email, "password": args.password})
        client.token = tok["access_token"]
        _, bot = client.call("POST", "/api/chatbots", {
            "name": f"retrieval-bench-{int(time.time())}",
            "knowledge": {"embedder": {"provider": "builtin", "model": args.embedder},
                          "retrieval": {"fusion": args.fusion}}})
        bot_id = bot["id"]

        if verbose:
            print(f"server {base}, chatbot {bot_id}; uploading {len(corpus)} passages", file=sys.stderr)
        t0 = time.monotonic()
        doc_to_pid = upload_all(client, bot_id, corpus, args.threads)
        t_upload = time.monotonic() - t0
        docs = wait_ready(client, bot_id, len(corpus), deadline, verbose)
        t_ingest = time.monotonic() - t0
        chunks = sum(d.get("chunk_count", 0) for d in docs)
        zero_chunk = sum(1 for d in docs if d.get("chunk_count", 0) == 0)
        if verbose:
            print(f"ingested {len(docs)} documents ({chunks} chunks) in {t_ingest:.1f} s "
                  f"(uploads {t_upload:.1f} s)", file=sys.stderr)

        # The learned embedder retrains in the background as content grows; ask for a final
        # re-index so the model has seen every passage, and wait until the index follows it.
        embedder, t_train = wait_learned_embedder(client, bot_id, deadline)
        if verbose:
            print(f"embedder {embedder} ready {t_train:.1f} s after ingestion", file=sys.stderr)

        # Warm up (first query may load snapshots / caches).
        for mode in MODES:
            client.call("POST", f"/api/chatbots/{bot_id}/search", {"query": "warm up", "top_k": 1, "mode": mode})

        per_q = []
        lat = {m: [] for m in MODES}
        for i, q in enumerate(questions):
            rel = set(q["relevant"])
            row = {"id": q["id"], "question": q["question"], "style": q.get("style"), "relevant": q["relevant"],
                   "source": q["relevant"][0].split("/")[0]}
            for mode in MODES:
                t = time.perf_counter()
                _, res = client.call("POST", f"/api/chatbots/{bot_id}/search",
                                     {"query": q["question"], "top_k": args.top_k, "mode": mode})
                lat[mode].append((time.perf_counter() - t) * 1000.0)
                ranked, seen = [], set()
                for r in res.get("results", []):
                    pid = doc_to_pid.get(r["document_id"])
                    if pid is None:
                        raise BenchError(f"search returned unknown document {r['document_id']}")
                    if pid not in seen:           # several chunks of one passage count once
                        seen.add(pid)
                        ranked.append(pid)
                m = metrics(ranked, rel, args.top_k)
                row[mode] = dict(m, top=ranked)
            per_q.append(row)
            if verbose and (i + 1) % 100 == 0:
                print(f"  searched {i + 1}/{len(questions)} questions", file=sys.stderr)

        # Aggregate.
        summary = {}
        for mode in MODES:
            summary[mode] = {k: mean([r[mode][k] for r in per_q]) for k in ("ndcg", "recall", "mrr")}
            summary[mode]["latency_ms_median"] = statistics.median(lat[mode])
            summary[mode]["latency_ms_p95"] = pct(lat[mode], 95)
        groups = {}
        for r in per_q:
            for key in ("style:" + str(r["style"]), "source:" + r["source"]):
                groups.setdefault(key, []).append(r)
        by_group = {g: {"n": len(rs), **{m: mean([r[m]["ndcg"] for r in rs]) for m in MODES}}
                    for g, rs in sorted(groups.items())}
        kw = [r["keyword"]["ndcg"] for r in per_q]
        hy = [r["hybrid"]["ndcg"] for r in per_q]
        lo, hi = paired_bootstrap(kw, hy)
        rel_gain = (summary["hybrid"]["ndcg"] / summary["keyword"]["ndcg"] - 1.0) if summary["keyword"]["ndcg"] else 0
        # Complementarity: does the dense side find relevant passages that keyword search misses?
        comp = {
            "dense_hit_keyword_miss": sum(1 for r in per_q if r["dense"]["recall"] > 0 and r["keyword"]["recall"] == 0),
            "keyword_hit_dense_miss": sum(1 for r in per_q if r["keyword"]["recall"] > 0 and r["dense"]["recall"] == 0),
            "both_miss": sum(1 for r in per_q if r["keyword"]["recall"] == 0 and r["dense"]["recall"] == 0),
            "union_recall_at_10_each": mean([len(set(r["relevant"]) & (set(r["keyword"]["top"]) | set(r["dense"]["top"])))
                                             / len(r["relevant"]) for r in per_q]),
        }
        wins = sum(1 for a, b in zip(kw, hy) if b > a + 1e-9)
        losses = sum(1 for a, b in zip(kw, hy) if a > b + 1e-9)

        out = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": base if args.url else os.path.relpath(args.binary, REPO),
            "corpus": {"passages": len(corpus), "documents_ready": len(docs), "chunks": chunks,
                       "documents_without_chunks": zero_chunk,
                       "source_packages": len({p["source_package"] for p in corpus}),
                       "source_files": len({p["source_file"] for p in corpus})},
            "questions": len(questions),
            "top_k": args.top_k,
            "embedder": embedder,
            "fusion": args.fusion,
            "embedder_ready_seconds_after_ingest": round(t_train, 2),
            "ingest_seconds": round(t_ingest, 2),
            "upload_seconds": round(t_upload, 2),
            "upload_threads": args.threads,
            "summary": summary,
            "hybrid_vs_keyword": {"ndcg_relative_gain": rel_gain,
                                  "ndcg_abs_diff_ci95": [lo, hi],
                                  "questions_hybrid_better": wins, "questions_keyword_better": losses},
            "complementarity": comp,
            "by_group_ndcg": by_group,
            "per_question": per_q,
        }
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)

        print(f"\ncorpus: {len(corpus)} passages ({chunks} chunks) from {out['corpus']['source_files']} files "
              f"of {out['corpus']['source_packages']} packages; {len(questions)} questions; top_k {args.top_k}")
        print(f"ingest: {t_ingest:.1f} s for {len(corpus)} documents ({len(corpus) / t_ingest:.0f} docs/s, "
              f"{args.threads} upload threads)\n")
        print(f"| mode    | nDCG@10 | recall@10 | MRR@10 | p50 ms | p95 ms |")
        print(f"|---------|---------|-----------|--------|--------|--------|")
        for mode in MODES:
            s = summary[mode]
            print(f"| {mode:7s} | {s['ndcg']:.3f}   | {s['recall']:.3f}     | {s['mrr']:.3f}  | "
                  f"{s['latency_ms_median']:6.1f} | {s['latency_ms_p95']:6.1f} |")
        print(f"\nhybrid vs keyword nDCG@10: {rel_gain * 100:+.1f}% relative "
              f"(abs diff 95% CI [{lo:+.3f}, {hi:+.3f}]; hybrid better on {wins}, keyword better on {losses})")
        print(f"dense finds a relevant passage that keyword misses on {comp['dense_hit_keyword_miss']} questions, "
              f"keyword finds one dense misses on {comp['keyword_hit_dense_miss']}, both miss {comp['both_miss']}; "
              f"recall of the union of both top-10s: {comp['union_recall_at_10_each']:.3f}")
        print("\nnDCG@10 by group:")
        for g, v in by_group.items():
            print(f"  {g:22s} n={v['n']:4d}  " + "  ".join(f"{m} {v[m]:.3f}" for m in MODES))
        print(f"\nwrote {os.path.relpath(args.out)}")
        return 0
    except BaseException:
        if data_dir:
            print("--- server log (tail) ---\n" + tail(data_dir), file=sys.stderr)
        raise
    finally:
        stop_server(proc)
        if log:
            log.close()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)   # so that `finally` stops the server we started
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"run_bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
