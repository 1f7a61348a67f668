#!/usr/bin/env python3
"""Scale benchmark for Studybot's built-in search index (BM25 + HNSW).

Starts build/studybot on a free port with a fresh temp data dir, logs in, creates a chatbot
(builtin/learned embedder) and then, through the HTTP API only:

  1. builds a deterministic synthetic corpus of --chunks chunks (sentences of
     bench/retrieval/corpus.jsonl, shuffled and recombined, 60-120 words each), packed
     --chunks-per-doc per markdown document, one "## section" per chunk;
  2. uploads it with --threads upload threads (each its own keep-alive connection) and times
     until every document is ready (chunks/s, docs/s), then POSTs /reindex and times until the
     learned embedder is active and the index serves it (reported separately);
  3. measures search latency at 1 client (p50/p95/p99 over --queries queries made of held-out
     sentence fragments) and QPS at --clients concurrent clients for --qps-seconds, per mode
     (hybrid, keyword, dense);
  4. reads the server's RSS (/proc/<pid>/status) after ingest and after the searches;
  5. restarts: SIGTERM (snapshot at shutdown) then start on the same data dir and time the
     first search that returns the full results; then uploads a few more documents, SIGKILLs
     (the snapshot is older: the change log is replayed) and times the open again; the
     server's own "search index opened" log line (from, ms) is reported for both.

Writes a results JSON (--out) and prints a markdown table.  Python standard library only.
Exits non-zero on any failure; always stops the server it started.

  python3 bench/scale/run_scale.py                     # 100,000 chunks
  python3 bench/scale/run_scale.py --chunks 3000 --queries 200 --qps-seconds 5   # smoke run
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODES = ("hybrid", "keyword", "dense")
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


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# HTTP: one keep-alive connection per thread (http.client), reconnecting after errors.

class Conn:
    RETRY_STATUS = (429, 502, 503, 504)

    def __init__(self, port, deadline, token=None, timeout=60.0):
        self.port = port
        self.deadline = deadline
        self.token = token
        self.timeout = timeout
        self.c = None

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None

    def request(self, method, path, body=None, timeout=None):
        """One attempt. Returns (status, parsed JSON or None); raises OSError/HTTPException."""
        if self.c is None:
            self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        try:
            self.c.request(method, path, body=data, headers=headers)
            r = self.c.getresponse()
            raw = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
        except BaseException:
            self.close()
            raise
        try:
            return r.status, (json.loads(raw) if raw else None)
        except ValueError:
            return r.status, {"_raw": raw[:300].decode("utf-8", "replace")}

    def call(self, method, path, body=None, expect=(200, 201, 202), retries=4, timeout=None):
        last = None
        for attempt in range(retries):
            self.deadline.check(f"{method} {path}")
            try:
                st, res = self.request(method, path, body, timeout)
            except (OSError, http.client.HTTPException) as e:
                last = f"{type(e).__name__}: {e}"
                time.sleep(0.3 * (attempt + 1))
                continue
            if st in expect:
                return res
            last = f"HTTP {st}: {json.dumps(res)[:300]}"
            if st == 401:
                last += " (access token expired or rejected)"
            if st in self.RETRY_STATUS:
                time.sleep(0.5 * (attempt + 1))
                continue
            break
        raise BenchError(f"{method} {path} failed: {last}")


# ---------------------------------------------------------------------------------------------
# Server process.

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, job_threads=None):
        if not os.access(binary, os.X_OK):
            raise BenchError(f"server binary not found or not executable: {binary}")
        self.binary = binary
        self.data_dir = data_dir
        self.job_threads = job_threads
        self.proc = None
        self.port = None
        self.log_path = None
        self.runs = 0

    def start(self, log_level):
        """Spawns the server; returns the monotonic time of the spawn (does not wait)."""
        self.runs += 1
        self.port = free_port()
        env = dict(os.environ)
        env.update({
            "STUDYBOT_DATA_DIR": self.data_dir,
            "STUDYBOT_ADMIN_EMAIL": EMAIL,
            "STUDYBOT_ADMIN_PASSWORD": PASSWORD,
            "STUDYBOT_AUTH_BCRYPT_COST": "4",
            "STUDYBOT_RATELIMIT_PER_USER": "10000000/1m",  # the server refuses more than 1 per microsecond
            "STUDYBOT_HTTP_BODY_LIMIT": "4MiB",
            "STUDYBOT_KNOWLEDGE_JOB_POLL_INTERVAL": "50ms",
            "STUDYBOT_JWT_ACCESS_TTL": "24h",  # a 100k run outlasts the default 15 min token
            "STUDYBOT_LOG_LEVEL": log_level,
        })
        if self.job_threads:
            env["STUDYBOT_KNOWLEDGE_JOB_THREADS"] = str(self.job_threads)
        self.log_path = os.path.join(self.data_dir, f"server-{self.runs}.log")
        logf = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "serve", "--port", str(self.port)], env=env,
                                     stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        logf.close()  # the child holds its own descriptor
        return t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(f"server exited with {self.proc.returncode}; log tail:\n{self.tail()}")

    def wait_ready(self, seconds=120):
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            self.check_alive()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/ready")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise BenchError(f"server did not become ready in {seconds} s; log tail:\n{self.tail()}")

    def terminate(self, timeout=300):
        """SIGTERM and wait; returns seconds until exit."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise BenchError(f"server did not exit within {timeout} s of SIGTERM (killed)")
        return time.monotonic() - t0, self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        return self.proc.returncode

    def stop(self):
        """Cleanup path: never leaves the process behind."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def rss(self):
        out = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "VmHWM", "Threads"):
                        parts = v.split()
                        out[k] = int(parts[0])
        except OSError:
            return None
        return {"rss_mib": round(out.get("VmRSS", 0) / 1024.0, 1),
                "peak_rss_mib": round(out.get("VmHWM", 0) / 1024.0, 1),
                "threads": out.get("Threads")}

    def tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_events(self, message):
        """JSON log lines of this run whose message is `message`."""
        found = []
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if message not in line:
                        continue
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        found.append({"raw": line.strip()})
                        continue
                    if message in (ev.get("msg"), ev.get("message")) or message in line:
                        found.append(ev)
        except OSError:
            pass
        return found


# ---------------------------------------------------------------------------------------------
# Synthetic corpus.

SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
LEADING_JUNK = re.compile(r"^[^A-Za-z0-9]+")


def load_sentences(path):
    seen, out = set(), []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            for s in SENT_SPLIT.split(json.loads(line)["text"]):
                words = s.split()
                if not 5 <= len(words) <= 40:
                    continue
                s = LEADING_JUNK.sub("", " ".join(words))  # no list/heading/quote markers
                s = s.replace("<", " ").replace(">", " ").replace("|", " ").replace("`", "")
                if len(s.split()) >= 5 and s not in seen:
                    seen.add(s)
                    out.append(s)
    return out


def build_corpus(sentences, n_chunks, per_doc, seed, holdout=0.05):
    """Returns (docs, queries_pool). docs: [{title, content, chunks}]; deterministic in seed."""
    rnd = random.Random(seed)
    pool = list(sentences)
    rnd.shuffle(pool)
    n_hold = max(50, int(len(pool) * holdout))
    held, pool = pool[:n_hold], pool[n_hold:]
    # Queries: 3..8 consecutive words of held-out sentences (no query text is in the corpus).
    queries = []
    for s in held:
        w = s.split()
        k = rnd.randint(3, min(8, len(w)))
        i = rnd.randint(0, len(w) - k)
        q = " ".join(w[i:i + k]).strip(".,;:()[]{}\"'")
        if len(q) >= 8:
            queries.append(q)
    rnd.shuffle(queries)
    # Chunks: sentences recombined from a reshuffled deck (each sentence reused ~n_chunks*5/len).
    deck, pos = list(pool), len(pool)
    seen = set()
    chunks = []
    while len(chunks) < n_chunks:
        target = rnd.randint(60, 120)
        words, parts = 0, []
        while words < target:
            if pos >= len(deck):
                rnd.shuffle(deck)
                pos = 0
            s = deck[pos]
            pos += 1
            parts.append(s)
            words += len(s.split())
        text = " ".join(parts)
        h = hashlib.sha1(text.encode()).digest()
        if h in seen:
            continue
        seen.add(h)
        chunks.append(text)
    docs = []
    for d in range(0, n_chunks, per_doc):
        body = [f"# Scale document {d // per_doc + 1}\n"]
        for j, text in enumerate(chunks[d:d + per_doc]):
            topic = " ".join(text.split()[:4]).strip(".,;:()")
            body.append(f"## Section {d // per_doc + 1}.{j + 1}: {topic}\n\n{text}\n")
        docs.append({"title": f"Scale document {d // per_doc + 1}", "content": "\n".join(body),
                     "chunks": len(chunks[d:d + per_doc])})
    return docs, queries


# ---------------------------------------------------------------------------------------------
# Measurements.

def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    idx = min(len(s) - 1, max(0, int(math.ceil(p / 100.0 * len(s))) - 1))
    return round(s[idx], 2)


def list_documents(conn, bot, status=None, limit=200, max_pages=None):
    items, cursor, pages = [], None, 0
    while True:
        q = f"/api/chatbots/{bot}/documents?limit={limit}" + (f"&status={status}" if status else "")
        if cursor:
            q += f"&cursor={cursor}"
        page = conn.call("GET", q)
        items.extend(page.get("items", []))
        cursor = page.get("next_cursor")
        pages += 1
        if not cursor or (max_pages and pages >= max_pages):
            return items


def upload(port, token, deadline, bot, docs, threads, url_prefix):
    """Uploads docs with `threads` workers; returns {doc_id: index}."""
    ids = {}
    lock = threading.Lock()
    local = threading.local()
    conns = []

    def one(i):
        c = getattr(local, "c", None)
        if c is None:
            c = local.c = Conn(port, deadline, token)
            with lock:
                conns.append(c)
        d = docs[i]
        res = c.call("POST", f"/api/chatbots/{bot}/documents",
                     {"title": d["title"], "content": d["content"], "format": "markdown",
                      "url": f"{url_prefix}{i + 1}"}, expect=(202,))
        if not res or "id" not in res:
            raise BenchError(f"upload of document {i + 1} answered {res}")
        with lock:
            ids[res["id"]] = i

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as ex:
        futs = [ex.submit(one, i) for i in range(len(docs))]
        try:
            for f in concurrent.futures.as_completed(futs):
                f.result()
        except BaseException:
            for f in futs:
                f.cancel()
            raise
    for c in conns:
        c.close()
    return ids


def wait_all_ready(conn, bot, ids, deadline, server, verbose, what):
    """Polls until every document in ids is ready; returns their listing."""
    last = 0.0
    while True:
        deadline.check(f"waiting for {what} documents to become ready")
        server.check_alive()
        failed = list_documents(conn, bot, "failed", limit=5, max_pages=1)
        failed = [d for d in failed if d["id"] in ids]
        if failed:
            raise BenchError(f"document {failed[0].get('title')!r} failed: {failed[0].get('error')}")
        # queued before processing: a document moving on between the two calls is still seen.
        busy = (list_documents(conn, bot, "queued", limit=1, max_pages=1)
                or list_documents(conn, bot, "processing", limit=1, max_pages=1))
        if not busy:
            docs = [d for d in list_documents(conn, bot) if d["id"] in ids]
            if len(docs) == len(ids) and all(d["status"] == "ready" for d in docs):
                return docs
        if verbose and time.monotonic() - last > 15:
            ready = sum(1 for d in list_documents(conn, bot, "ready") if d["id"] in ids)
            log(f"  {what}: {ready}/{len(ids)} documents ready")
            last = time.monotonic()
        time.sleep(0.5)


def chatbot_status(conn, bot):
    return conn.call("GET", f"/api/chatbots/{bot}").get("knowledge_status") or {}


def search(conn, bot, query, mode, top_k):
    return conn.call("POST", f"/api/chatbots/{bot}/search", {"query": query, "top_k": top_k, "mode": mode})


def latency_run(port, token, deadline, bot, queries, mode, top_k):
    c = Conn(port, deadline, token)
    lat, empty = [], 0
    for q in queries:
        t = time.perf_counter()
        res = search(c, bot, q, mode, top_k)
        lat.append((time.perf_counter() - t) * 1000.0)
        if not res.get("results"):
            empty += 1
    c.close()
    return {"queries": len(lat), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
            "mean_ms": round(sum(lat) / len(lat), 2), "max_ms": pct(lat, 100), "empty_results": empty}


def qps_run(port, token, deadline, bot, queries, mode, top_k, clients, seconds):
    if deadline.left() < seconds + 30:
        raise BenchError(f"time budget exhausted before the {mode} QPS run")
    stop_at = [0.0]
    start = threading.Barrier(clients + 1)
    lock = threading.Lock()
    lat, errors = [], []

    def worker(k):
        c = Conn(port, deadline, token)
        mine, i = [], k * 37
        try:
            c.request("POST", f"/api/chatbots/{bot}/search", {"query": "warm up", "top_k": 1, "mode": mode})
        except (OSError, http.client.HTTPException):
            c.close()
        start.wait()
        while time.monotonic() < stop_at[0]:
            q = queries[i % len(queries)]
            i += 1
            t = time.perf_counter()
            try:
                st, _ = c.request("POST", f"/api/chatbots/{bot}/search",
                                  {"query": q, "top_k": top_k, "mode": mode})
                if st != 200:
                    with lock:
                        errors.append(f"HTTP {st}")
                    continue
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(type(e).__name__)
                continue
            mine.append((time.perf_counter() - t) * 1000.0)
        c.close()
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in ts:
        t.start()
    cpu0 = time.process_time()
    stop_at[0] = time.monotonic() + seconds + 3600  # set properly right after the barrier
    start.wait()
    t0 = time.monotonic()
    stop_at[0] = t0 + seconds
    for t in ts:
        t.join(timeout=seconds + 120)
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    if len(errors) > max(10, len(lat) // 100):
        raise BenchError(f"{mode} QPS run: {len(errors)} errors, e.g. {errors[:3]}")
    return {"clients": clients, "seconds": round(wall, 2), "requests": len(lat),
            "qps": round(len(lat) / wall, 1), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "errors": len(errors), "client_cpu_seconds": round(cpu, 1)}


def reference_results(conn, bot, queries, top_k, settle_seconds=60):
    """What 'full results' means after a restart: the keyword (BM25, deterministic) top-k with
    scores for a few queries, plus the hybrid top-k chunk ids (informational: HNSW may differ
    slightly when rebuilt). A document is `ready` once its chunks are in the database; the
    index follows a moment later (a large batch takes its HNSW inserts): the references are
    taken once two rounds a second apart agree, so that they describe the caught-up index."""
    ref = _reference_round(conn, bot, queries, top_k)
    t0 = time.monotonic()
    while time.monotonic() - t0 < settle_seconds:
        time.sleep(1.0)
        again = _reference_round(conn, bot, queries, top_k)
        if [r["keyword"] for r in again] == [r["keyword"] for r in ref]:
            return again
        ref = again
    raise BenchError(f"search results still changing {settle_seconds} s after ingestion")


def _reference_round(conn, bot, queries, top_k):
    ref = []
    for q in queries:
        kw = search(conn, bot, q, "keyword", top_k)
        hy = search(conn, bot, q, "hybrid", top_k)
        ref.append({"query": q,
                    "keyword": [(r["chunk_id"], round(r["score"], 4)) for r in kw.get("results", [])],
                    "hybrid": [r["chunk_id"] for r in hy.get("results", [])],
                    "embedder": hy.get("embedder")})
    return ref


def restart_and_time(server, token, deadline, bot, ref, top_k, how, verbose):
    """Starts the server on the same data dir; polls the search until the reference query gives
    the reference results.  Returns the measurements."""
    t0 = server.start("info")
    c = Conn(server.port, deadline, token, timeout=30)
    first_answer = None
    relogged = False
    q0 = ref[0]
    while True:
        deadline.check(f"waiting for the first full search after {how}")
        server.check_alive()
        try:
            st, res = c.request("POST", f"/api/chatbots/{bot}/search",
                                {"query": q0["query"], "top_k": top_k, "mode": "keyword"})
        except (OSError, http.client.HTTPException):
            time.sleep(0.02)
            continue
        if st == 401 and not relogged:
            # The token did not survive the restart: log in again (counted in the time).
            tok = c.call("POST", "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
            c.token = token = tok["access_token"]
            relogged = True
            continue
        if st != 200:
            time.sleep(0.02)
            continue
        if first_answer is None:
            first_answer = time.monotonic() - t0
        got = [(r["chunk_id"], round(r["score"], 4)) for r in res.get("results", [])]
        if got == q0["keyword"]:
            break
        time.sleep(0.02)
    first_full = time.monotonic() - t0
    # The other reference queries, keyword and hybrid.
    kw_same, hy_overlap, emb_same = 0, [], 0
    for r in ref:
        kw = search(c, bot, r["query"], "keyword", top_k)
        hy = search(c, bot, r["query"], "hybrid", top_k)
        if [(x["chunk_id"], round(x["score"], 4)) for x in kw.get("results", [])] == r["keyword"]:
            kw_same += 1
        ids = [x["chunk_id"] for x in hy.get("results", [])]
        hy_overlap.append(len(set(ids) & set(r["hybrid"])) / max(1, len(r["hybrid"])))
        if hy.get("embedder") == r["embedder"]:
            emb_same += 1
    c.close()
    # The server's log is flushed every 200 ms (at once for warnings): wait for the line.
    opened, t_log = [], time.monotonic()
    while not opened and time.monotonic() - t_log < 5:
        opened = server.log_events("search index opened")
        if not opened:
            time.sleep(0.1)
    ev = opened[-1] if opened else {}
    out = {"first_answer_seconds": round(first_answer, 3), "first_full_search_seconds": round(first_full, 3),
           "relogin_needed": relogged,
           "index_opened_from": ev.get("from"), "index_opened_ms": _int(ev.get("ms")),
           "index_opened_position": _int(ev.get("position")),
           "reference_queries": len(ref), "keyword_identical": kw_same,
           "hybrid_top_k_overlap": round(sum(hy_overlap) / len(hy_overlap), 3),
           "embedder_identical": emb_same}
    if not opened:
        out["index_opened_log_line"] = "not found"
    if verbose:
        log(f"  after {how}: first full search {first_full:.2f} s (index opened from "
            f"{out['index_opened_from']} in {out['index_opened_ms']} ms)")
    return out, token


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


def snapshot_info(data_dir):
    p = os.path.join(data_dir, "index.snapshot")
    try:
        st = os.stat(p)
        return {"bytes": st.st_size, "mtime": st.st_mtime}
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"))
    ap.add_argument("--sentences-from", default=os.path.join(REPO, "bench", "retrieval", "corpus.jsonl"))
    ap.add_argument("--chunks", type=int, default=100000, help="synthetic chunks (default 100000)")
    ap.add_argument("--chunks-per-doc", type=int, default=100, help="chunks (## sections) per document")
    ap.add_argument("--threads", type=int, default=4, help="concurrent upload threads")
    ap.add_argument("--queries", type=int, default=1000, help="sequential queries per mode (1 client)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients of the QPS runs")
    ap.add_argument("--qps-seconds", type=float, default=20.0, help="length of each QPS run")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated search modes")
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--tail-docs", type=int, default=0,
                    help="documents uploaded after the first restart, before the SIGKILL "
                         "(default: 1%% of the corpus, at least 1)")
    ap.add_argument("--job-threads", type=int, default=0,
                    help="STUDYBOT_KNOWLEDGE_JOB_THREADS for the server (default: the server's, 2)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--no-restart", action="store_true", help="skip the restart measurements")
    ap.add_argument("--time-budget", type=float, default=7200, help="seconds for the whole run")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--keep-data", action="store_true", help="keep the temp data dir (and server logs)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    verbose = not args.quiet
    deadline = Deadline(args.time_budget)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise BenchError(f"unknown modes {bad}; use {MODES}")
    if args.chunks < 1 or args.chunks_per_doc < 1:
        raise BenchError("--chunks and --chunks-per-doc must be positive")

    t_gen = time.monotonic()
    sentences = load_sentences(args.sentences_from)
    docs, query_pool = build_corpus(sentences, args.chunks, args.chunks_per_doc, args.seed)
    queries = (query_pool * (args.queries // max(1, len(query_pool)) + 1))[:args.queries]
    tail_n = args.tail_docs or max(1, len(docs) // 100)
    tail_docs, _ = build_corpus(sentences, tail_n * args.chunks_per_doc, args.chunks_per_doc, args.seed + 1)
    for i, d in enumerate(tail_docs):
        d["title"] = d["title"].replace("Scale document", "Tail document")
        d["content"] = d["content"].replace("Scale document", "Tail document")
    corpus_bytes = sum(len(d["content"].encode()) for d in docs)
    if verbose:
        log(f"corpus: {len(sentences)} sentences -> {args.chunks} chunks in {len(docs)} documents "
            f"({corpus_bytes / 1e6:.1f} MB), {len(query_pool)} held-out queries "
            f"({time.monotonic() - t_gen:.1f} s)")

    if not os.access(args.binary, os.X_OK):
        raise BenchError(f"server binary not found or not executable: {args.binary} (build it first)")
    data_dir = tempfile.mkdtemp(prefix="studybot-scale-")
    server = Server(args.binary, data_dir, args.job_threads or None)
    out = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "server": os.path.relpath(args.binary, REPO) if args.binary.startswith(REPO) else args.binary,
           "machine": {"cpus": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]},
           "params": {k: v for k, v in vars(args).items() if k not in ("binary", "out")}}
    ok = False
    try:
        server.start("warn")
        server.wait_ready()
        port = server.port
        c = Conn(port, deadline)
        token = c.call("POST", "/api/auth/login", {"email": EMAIL, "password": PASSWORD})["access_token"]
        c.token = token
        bot = c.call("POST", "/api/chatbots", {
            "name": f"scale-bench-{int(time.time())}",
            "knowledge": {"embedder": {"provider": "builtin", "model": "learned"}}})["id"]
        if verbose:
            log(f"server on port {port} (pid {server.proc.pid}), data dir {data_dir}, chatbot {bot}")
        out["rss_empty"] = server.rss()

        # -- 2. ingest ------------------------------------------------------------------------
        if verbose:
            log(f"uploading {len(docs)} documents with {args.threads} threads")
        t0 = time.monotonic()
        ids = upload(port, token, deadline, bot, docs, args.threads, "https://scale.example/doc/")
        t_upload = time.monotonic() - t0
        if verbose:
            log(f"  uploads accepted in {t_upload:.1f} s; waiting until ready")
        listed = wait_all_ready(c, bot, ids, deadline, server, verbose, "ingest")
        t_ready = time.monotonic() - t0
        chunks = sum(d.get("chunk_count", 0) for d in listed)
        per_doc = sorted(d.get("chunk_count", 0) for d in listed)
        st = chatbot_status(c, bot)
        out["corpus"] = {"documents": len(docs), "chunks_generated": args.chunks, "chunks_real": chunks,
                         "chunks_per_document_min": per_doc[0], "chunks_per_document_max": per_doc[-1],
                         "content_mb": round(corpus_bytes / 1e6, 2), "sentences": len(sentences),
                         "query_pool": len(query_pool)}
        out["ingest"] = {"threads": args.threads, "upload_seconds": round(t_upload, 2),
                         "all_ready_seconds": round(t_ready, 2),
                         "chunks_per_second": round(chunks / t_ready, 1),
                         "docs_per_second": round(len(docs) / t_ready, 2),
                         "embedder_when_ready": st.get("embedder"),
                         "reindex_when_ready": (st.get("reindex") or {}).get("status")}
        if verbose:
            log(f"ingested {len(docs)} documents, {chunks} chunks in {t_ready:.1f} s "
                f"({chunks / t_ready:.0f} chunks/s); embedder {st.get('embedder')}")
        if chunks != args.chunks and verbose:
            log(f"  note: the server made {chunks} chunks of {args.chunks} sections")

        # -- 2b. reindex: the learned embedder trained on everything, served by the index ------
        t1 = time.monotonic()
        job = c.call("POST", f"/api/chatbots/{bot}/reindex", expect=(202,))
        job_id = job.get("job_id")
        states = []
        while True:
            deadline.check("re-indexing")
            server.check_alive()
            st = chatbot_status(c, bot)
            r = st.get("reindex") or {}
            state = (r.get("status"), (r.get("progress") or {}).get("state"))
            if not states or states[-1][1:] != state:
                states.append((round(time.monotonic() - t1, 2),) + state)
            if r.get("job_id") == job_id and r.get("status") in ("succeeded", "failed", "cancelled"):
                if r["status"] != "succeeded":
                    raise BenchError(f"re-index {r['status']}: {r.get('error')}")
                embedder = st.get("embedder")
                break
            time.sleep(0.2)
        t_job = time.monotonic() - t1
        while True:
            deadline.check("waiting for the index to serve the new embedder")
            res = search(c, bot, "warm up", "dense", 1)
            if res.get("embedder") == embedder and embedder:
                break
            time.sleep(0.1)
        t_served = time.monotonic() - t1
        out["reindex"] = {"embedder": embedder, "job_seconds": round(t_job, 2),
                          "served_seconds": round(t_served, 2),
                          "index_swap_seconds": round(t_served - t_job, 2),
                          "states": [list(s) for s in states]}
        if verbose:
            log(f"reindex: job done in {t_job:.1f} s, index serves {embedder} after {t_served:.1f} s")
        out["rss_after_ingest"] = server.rss()

        # -- 3. search -------------------------------------------------------------------------
        for m in modes:
            for q in queries[:20]:
                search(c, bot, q, m, args.top_k)
        out["latency_1_client"], out["qps"] = {}, {}
        for m in modes:
            server.check_alive()
            out["latency_1_client"][m] = latency_run(port, token, deadline, bot, queries, m, args.top_k)
            if verbose:
                L = out["latency_1_client"][m]
                log(f"{m}: 1 client p50 {L['p50_ms']} ms, p95 {L['p95_ms']}, p99 {L['p99_ms']}")
        for m in modes:
            server.check_alive()
            out["qps"][m] = qps_run(port, token, deadline, bot, queries, m, args.top_k, args.clients,
                                    args.qps_seconds)
            if verbose:
                Q = out["qps"][m]
                log(f"{m}: {args.clients} clients {Q['qps']} QPS (p50 {Q['p50_ms']} ms, p99 {Q['p99_ms']})")
        out["rss_after_search"] = server.rss()

        # -- 5. restarts -----------------------------------------------------------------------
        if not args.no_restart:
            ref = reference_results(c, bot, queries[:5], args.top_k)
            c.close()
            down, rc = server.terminate()
            snap = snapshot_info(data_dir)
            if verbose:
                log(f"SIGTERM: exited ({rc}) in {down:.2f} s; snapshot {snap and snap['bytes']} bytes")
            if snap is None:
                raise BenchError("no index.snapshot after SIGTERM")
            r1, token = restart_and_time(server, token, deadline, bot, ref, args.top_k, "SIGTERM", verbose)
            r1.update({"shutdown_seconds": round(down, 2), "exit_code": rc, "snapshot_bytes": snap["bytes"]})
            r1["rss_after_open"] = server.rss()
            out["restart_after_sigterm"] = r1

            # More documents after the snapshot, then kill -9: the restart replays the log.
            c = Conn(server.port, deadline, token)
            t2 = time.monotonic()
            tids = upload(server.port, token, deadline, bot, tail_docs, args.threads,
                          "https://scale.example/tail/")
            tlisted = wait_all_ready(c, bot, tids, deadline, server, verbose, "tail")
            t_tail = time.monotonic() - t2
            tail_chunks = sum(d.get("chunk_count", 0) for d in tlisted)
            ref = reference_results(c, bot, queries[:5], args.top_k)
            c.close()
            snap_before = snapshot_info(data_dir)
            written = server.log_events("index snapshot written")
            rc = server.kill9()
            if verbose:
                log(f"SIGKILL after {len(tail_docs)} more documents ({tail_chunks} chunks, {t_tail:.1f} s)")
            r2, token = restart_and_time(server, token, deadline, bot, ref, args.top_k, "SIGKILL", verbose)
            r2.update({"tail_documents": len(tail_docs), "tail_chunks": tail_chunks,
                       "tail_ingest_seconds": round(t_tail, 2), "exit_code": rc,
                       "periodic_snapshot_before_kill": bool(written),
                       "snapshot_age_at_kill_seconds": round(time.time() - snap_before["mtime"], 1)
                       if snap_before else None})
            r2["rss_after_open"] = server.rss()
            out["restart_after_sigkill"] = r2
        out["hnsw_recall_at_10"] = ("not measured through the API: see bench/standalone/dense_probe "
                                    "(build target dense_probe)")
        out["total_seconds"] = round(args.time_budget - deadline.left(), 1)
        out["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        print_table(out, modes)
        print(f"\nwrote {args.out}")
        ok = True
        return 0
    except BaseException:
        if server.log_path:
            print("--- server log (tail) ---\n" + server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        if args.keep_data:
            log(f"data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def print_table(out, modes):
    co, ing, rx = out["corpus"], out["ingest"], out["reindex"]
    print(f"\n## Built-in index at {co['chunks_real']} chunks ({co['documents']} documents, "
          f"{co['content_mb']} MB of markdown), {out['machine']['cpus']} CPUs\n")
    print("| metric | value |")
    print("|---|---|")
    print(f"| ingest, all documents ready | {ing['all_ready_seconds']} s "
          f"({ing['chunks_per_second']} chunks/s, {ing['docs_per_second']} docs/s, {ing['threads']} upload threads; "
          f"uploads accepted in {ing['upload_seconds']} s) |")
    print(f"| reindex until `{rx['embedder']}` is served | {rx['served_seconds']} s "
          f"(job {rx['job_seconds']} s + index swap {rx['index_swap_seconds']} s) |")
    for k, label in (("rss_empty", "RSS, empty"), ("rss_after_ingest", "RSS after ingest + reindex"),
                     ("rss_after_search", "RSS after searches")):
        r = out.get(k)
        if r:
            print(f"| {label} | {r['rss_mib']} MiB (peak {r['peak_rss_mib']} MiB) |")
    for k, label in (("restart_after_sigterm", "restart after SIGTERM"),
                     ("restart_after_sigkill", "restart after SIGKILL")):
        r = out.get(k)
        if r:
            extra = f", shutdown {r['shutdown_seconds']} s" if "shutdown_seconds" in r else \
                f", {r['tail_chunks']} chunks after the snapshot"
            print(f"| {label}: first full search | {r['first_full_search_seconds']} s "
                  f"(index opened from {r['index_opened_from']} in {r['index_opened_ms']} ms{extra}) |")
    print(f"| HNSW recall@10 vs exact | not measured here: bench/standalone/dense_probe |")
    print("\n| mode | p50 ms | p95 ms | p99 ms | QPS @ %d clients | p99 ms @ %d |"
          % (out["params"]["clients"], out["params"]["clients"]))
    print("|---|---|---|---|---|---|")
    for m in modes:
        L, Q = out["latency_1_client"][m], out["qps"][m]
        print(f"| {m} | {L['p50_ms']} | {L['p95_ms']} | {L['p99_ms']} | {Q['qps']} | {Q['p99_ms']} |")


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)   # so that `finally` stops the server we started
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"run_scale: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("run_scale: interrupted", file=sys.stderr)
        sys.exit(130)
