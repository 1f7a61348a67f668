#!/usr/bin/env python3
"""Concurrent streaming chats: N visitors streaming answers from a slow chat model at once.

Starts the fake chat model (bench/streams/fake_llm.py, its own process) and the server snapshot
binary (default /work/staging/bench-bin/studybot-llm, not build/: others rebuild that) with the
server start, login and helpers of bench/chat/run_chat_load.py and bench/scale/run_scale.py
(imported). Per-IP, per-key, per-session and per-user limits raised to 10M/min; OPENAI_BASE_URL
= the fake's URL (the operator's URL may be on loopback; the chatbot's answers.base_url stays
empty, the SSRF guard untouched). Then, through the HTTP API only:

  1. a chatbot (one allowed origin, a publishable widget key), --passages passages of
     bench/retrieval/corpus.jsonl (those the most questions of questions.jsonl point at), one
     document each; waits until ready;
  2. every question about those passages once, non-streamed, on the built-in extractive answerer:
     keeps the in-scope ones (fallback false), so that retrieval finds sources and the model is
     called in the load runs;
  3. PUT answers {provider openai, model gpt-4o-mini} + secret chat_api_key (the fake's key);
     checks one streamed answer comes from the model (not degraded);
  4. for each N of --n: N streams straight to the fake (its own time to the first content delta:
     the baseline), then N streams of POST /api/chat/message (widget: X-Api-Key + Origin,
     "stream": true, a new session each), each started at i * ramp / N seconds, all from one
     asyncio client on raw sockets. Per stream: time to the first `delta` event (TTFT, from the
     request's first byte written, connect excluded), a `done` event, its fallback/degraded flags,
     errors. During the run, every 100 ms: the server's VmRSS, VmHWM (reset before each run via
     /proc/PID/clear_refs), Threads, open fds; smaps_rollup at the peak of in-flight streams.

Studybot's added first-token time is computed two ways:
  a. per run: p50(TTFT via Studybot) - p50(TTFT straight from the fake), same N and ramp;
  b. per stream: each question carries a tag `bench-tag-<i>` that the fake reads from the prompt
     and records with its monotonic clock (shared with the client's): when the request reached
     the fake and when it wrote the first delta. added = TTFT - (fake's first delta - request
     read), split into `before_model` (client write -> request at the fake: widget key, session,
     retrieval, prompt, outbound connect) and `relay` (the fake's first delta written -> the
     client's first `delta` event).

Writes --out (JSON) and prints a markdown table. Python standard library only.

  python3 bench/streams/run_streams.py                      # N = 500, 1000, 2000, ramp 8 s, 10 s streams
  python3 bench/streams/run_streams.py --n 2000 --ramp 0 --first-delay-ms 100 --delta-ms 100 --deltas 20   # burst
"""
import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench", "chat"))
sys.path.insert(0, os.path.join(REPO, "bench", "scale"))
import run_chat_load as rc  # noqa: E402  (the chat benchmark: caller headers, ask, machine, idle wait)
import run_scale as rs  # noqa: E402  (Server, Conn, upload, pct, Deadline)

FAKE_KEY = "sk-bench-streams-fake-key"


def log(msg):
    rs.log(msg)


# ---------------------------------------------------------------------------------------------
# The fake chat model's process.

class Fake:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.proc, self.port = None, None

    def start(self):
        pf = os.path.join(self.work, "fake.port")
        self.log_path = os.path.join(self.work, "fake.log")
        cmd = [sys.executable, os.path.join(HERE, "fake_llm.py"), "--port", "0", "--port-file", pf,
               "--key", FAKE_KEY, "--first-delay-ms", str(self.args.first_delay_ms),
               "--delta-ms", str(self.args.delta_ms), "--deltas", str(self.args.deltas)]
        with open(self.log_path, "wb") as lf:
            self.proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        t0 = time.monotonic()
        while not os.path.exists(pf):
            if self.proc.poll() is not None or time.monotonic() - t0 > 20:
                raise rs.BenchError("fake LLM did not start: " + open(self.log_path).read()[-2000:])
            time.sleep(0.05)
        self.port = int(open(pf).read())

    def stats(self, reset=False):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats" + ("?reset=1" if reset else ""),
                                    timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# The load client: raw asyncio sockets, HTTP/1.1, chunked or close-delimited SSE.

class StreamResult:
    __slots__ = ("i", "t_write", "ttft", "done", "error", "fallback", "degraded", "deltas", "t_end",
                 "connect_ms", "status", "model_error")

    def __init__(self, i):
        self.i = i
        self.t_write = self.ttft = self.t_end = self.connect_ms = None
        self.done = False
        self.error = None
        self.fallback = self.degraded = None
        self.model_error = None
        self.deltas = 0
        self.status = None


class Body:
    """Decodes a chunked or identity body incrementally from an asyncio reader."""

    def __init__(self, reader, chunked):
        self.reader, self.chunked, self.eof = reader, chunked, False

    async def read(self):
        if self.eof:
            return b""
        if not self.chunked:
            data = await self.reader.read(65536)
            if not data:
                self.eof = True
            return data
        line = await self.reader.readuntil(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            self.eof = True
            return b""
        data = await self.reader.readexactly(size + 2)
        return data[:-2]


async def one_stream(res, host, port, request, t_at, mode, state, timeout):
    await asyncio.sleep(max(0.0, t_at - time.monotonic()))
    writer = None
    try:
        t_c = time.monotonic()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 20), timeout)
        res.connect_ms = (time.monotonic() - t_c) * 1000.0
        state["inflight"] += 1
        state["peak"] = max(state["peak"], state["inflight"])
        res.t_write = time.monotonic()
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        res.status = int(lines[0].split(" ")[1])
        hdrs = {}
        for l in lines[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if res.status != 200:
            n = int(hdrs.get("content-length", "0") or 0)
            body = await reader.readexactly(n) if n else b""
            res.error = f"HTTP {res.status}: {body[:200].decode('utf-8', 'replace')}"
            return
        body = Body(reader, hdrs.get("transfer-encoding", "").lower() == "chunked")
        buf = b""
        while True:
            data = await asyncio.wait_for(body.read(), timeout)
            if not data:
                break
            buf += data
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                name, payload = None, []
                for l in ev.split(b"\n"):
                    if l.startswith(b"event:"):
                        name = l[6:].strip().decode()
                    elif l.startswith(b"data:"):
                        payload.append(l[5:].lstrip())
                data_s = b"\n".join(payload)
                if mode == "studybot":
                    if name == "delta":
                        if res.ttft is None:
                            res.ttft = (time.monotonic() - res.t_write) * 1000.0
                        res.deltas += 1
                    elif name == "done":
                        d = json.loads(data_s)
                        res.done = True
                        res.fallback = bool(d.get("fallback"))
                        res.degraded = bool(d.get("degraded"))
                        res.model_error = d.get("model_error")
                    elif name == "error":
                        res.error = "error event: " + data_s[:200].decode("utf-8", "replace")
                else:
                    if not payload:
                        continue
                    if data_s == b"[DONE]":
                        res.done = True
                        continue
                    d = json.loads(data_s)
                    ch = d.get("choices") or []
                    if ch and (ch[0].get("delta") or {}).get("content"):
                        if res.ttft is None:
                            res.ttft = (time.monotonic() - res.t_write) * 1000.0
                        res.deltas += 1
            if res.done and mode == "fake":
                break
            if res.done and mode == "studybot":
                break
        res.t_end = time.monotonic()
        if not res.done and res.error is None:
            res.error = "stream ended without done"
    except asyncio.TimeoutError:
        res.error = "timeout"
    except (OSError, asyncio.IncompleteReadError, ValueError) as e:
        res.error = f"{type(e).__name__}: {e}"
    finally:
        if res.t_write is not None:
            state["inflight"] -= 1
        if writer is not None:
            writer.close()


def read_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def smaps_rollup(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return out


def anon_mappings(pid, top=8):
    """The largest anonymous mappings by Rss (heap arenas, thread stacks), from /proc/PID/smaps."""
    maps, cur = [], None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if "-" in parts[0] and not parts[0].endswith(":"):
                    cur = {"range": parts[0], "name": parts[5] if len(parts) > 5 else "[anon]"}
                    maps.append(cur)
                elif parts[0] == "Rss:" and cur is not None:
                    cur["rss_kb"] = int(parts[1])
                elif parts[0] == "Size:" and cur is not None:
                    cur["size_kb"] = int(parts[1])
    except OSError:
        return []
    anon = [m for m in maps if m["name"] in ("[anon]", "[heap]") and m.get("rss_kb", 0) > 0]
    anon.sort(key=lambda m: -m["rss_kb"])
    total = sum(m["rss_kb"] for m in anon)
    return {"anon_rss_kb_total": total, "anon_mappings": len(anon),
            "largest": [{k: m.get(k) for k in ("name", "size_kb", "rss_kb")} for m in anon[:top]]}


async def sampler(pid, state, samples, stop, extra):
    i = 0
    while not stop.is_set():
        try:
            s = read_status(pid)
            s["t"] = round(time.monotonic() - state["t0"], 2)
            s["inflight"] = state["inflight"]
            if i % 5 == 0:
                s["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
            samples.append(s)
            if state["inflight"] >= state["peak"] and state["inflight"] > 0 and state["inflight"] >= extra.get("at", 0):
                if i % 5 == 0:
                    extra["at"] = state["inflight"]
                    extra["smaps_rollup"] = smaps_rollup(pid)
                    extra["status"] = s
        except OSError:
            pass
        i += 1
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except asyncio.TimeoutError:
            pass


async def run_load(host, port, requests, ramp, mode, pid, timeout):
    n = len(requests)
    state = {"inflight": 0, "peak": 0, "t0": time.monotonic() + 0.5}
    results = [StreamResult(i) for i in range(n)]
    samples, extra = [], {}
    stop = asyncio.Event()
    samp = asyncio.ensure_future(sampler(pid, state, samples, stop, extra)) if pid else None
    tasks = [asyncio.ensure_future(one_stream(results[i], host, port, requests[i],
                                              state["t0"] + (ramp * i / n if n else 0), mode, state, timeout))
             for i in range(n)]
    await asyncio.gather(*tasks)
    wall = time.monotonic() - state["t0"]
    stop.set()
    if samp is not None:
        await samp
    return results, samples, extra, state["peak"], wall


def summarize(results):
    ok = [r for r in results if r.error is None and r.done]
    tt = [r.ttft for r in results if r.ttft is not None]
    errs = {}
    for r in results:
        if r.error:
            k = r.error[:80]
            errs[k] = errs.get(k, 0) + 1
    dur = [(r.t_end - r.t_write) * 1000 for r in ok if r.t_end]
    return {"streams": len(results), "completed": len(ok), "errors": sum(errs.values()), "error_kinds": errs,
            "ttft_ms": {"p50": rs.pct(tt, 50), "p95": rs.pct(tt, 95), "p99": rs.pct(tt, 99),
                        "max": round(max(tt), 2) if tt else None},
            "stream_ms": {"p50": rs.pct(dur, 50), "p95": rs.pct(dur, 95)},
            "connect_ms": {"p50": rs.pct([r.connect_ms for r in results if r.connect_ms is not None], 50),
                           "max": round(max([r.connect_ms for r in results if r.connect_ms is not None] or [0]), 2)},
            "fallback": sum(1 for r in ok if r.fallback), "degraded": sum(1 for r in ok if r.degraded),
            "model_errors": sorted({str(r.model_error) for r in ok if r.model_error})[:3],
            "deltas_per_stream_p50": rs.pct([r.deltas for r in ok], 50)}


def rnd(x, k=2):
    return None if x is None else round(x, k)


# ---------------------------------------------------------------------------------------------

def pick_corpus(corpus_path, questions_path, n_passages):
    passages = {}
    with open(corpus_path, encoding="utf-8") as f:
        for l in f:
            if l.strip():
                o = json.loads(l)
                passages[o["id"]] = o
    qs = []
    with open(questions_path, encoding="utf-8") as f:
        for l in f:
            if l.strip():
                qs.append(json.loads(l))
    count = {}
    for q in qs:
        for pid in q.get("relevant", []):
            if pid in passages:
                count[pid] = count.get(pid, 0) + 1
    chosen = sorted(count, key=lambda p: (-count[p], p))[:n_passages]
    cs = set(chosen)
    questions = [q["question"] for q in qs if any(p in cs for p in q.get("relevant", []))]
    docs = [{"title": passages[p]["title"], "content": passages[p]["text"], "id": p} for p in chosen]
    return docs, questions


def studybot_request(port, bot, key, question):
    body = json.dumps({"chatbot_id": bot, "message": question, "stream": True}).encode()
    head = (f"POST /api/chat/message HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nX-Api-Key: {key}\r\nOrigin: {rc.ORIGIN}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + body


def fake_request(port, question):
    body = json.dumps({"model": "gpt-4o-mini", "stream": True, "stream_options": {"include_usage": True},
                       "messages": [{"role": "system", "content": "Answer from the sources."},
                                    {"role": "user", "content": question}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {FAKE_KEY}\r\nAccept: text/event-stream\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + body


def clear_hwm(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="/work/staging/bench-bin/studybot-llm")
    ap.add_argument("--corpus", default=os.path.join(REPO, "bench", "retrieval", "corpus.jsonl"))
    ap.add_argument("--questions", default=os.path.join(REPO, "bench", "retrieval", "questions.jsonl"))
    ap.add_argument("--passages", type=int, default=50)
    ap.add_argument("--n", default="500,1000,2000", help="comma-separated stream counts")
    ap.add_argument("--ramp", type=float, default=8.0, help="seconds over which the N streams start (0: all at once)")
    ap.add_argument("--first-delay-ms", type=float, default=200.0, help="the fake's delay before its first delta")
    ap.add_argument("--delta-ms", type=float, default=250.0, help="the fake's delay between deltas")
    ap.add_argument("--deltas", type=int, default=40)
    ap.add_argument("--timeout", type=float, default=120.0, help="per read, per stream")
    ap.add_argument("--skip-direct", action="store_true", help="no baseline runs straight to the fake")
    ap.add_argument("--log-level", default="warn", help="server log level (info writes an access line per request)")
    ap.add_argument("--time-budget", type=float, default=1800)
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--keep-data", action="store_true")
    args = ap.parse_args()
    deadline = rs.Deadline(args.time_budget)
    ns = [int(x) for x in args.n.split(",") if x.strip()]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the server and the fake

    docs, questions = pick_corpus(args.corpus, args.questions, args.passages)
    data_dir = tempfile.mkdtemp(prefix="studybot-streams-")
    fake = Fake(args, data_dir)
    fake.start()
    log(f"fake LLM pid {fake.proc.pid} port {fake.port}")
    os.environ["STUDYBOT_RATELIMIT_PER_IP"] = rc.UNLIMITED
    os.environ["STUDYBOT_RATELIMIT_PER_KEY"] = rc.UNLIMITED
    os.environ["STUDYBOT_RATELIMIT_PER_SESSION"] = rc.UNLIMITED
    os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{fake.port}/v1"
    os.environ.pop("OPENAI_API_KEY", None)
    server = rs.Server(args.binary, data_dir)
    out = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "server": args.binary,
           "machine": rc.machine(), "params": {k: v for k, v in vars(args).items() if k != "out"},
           "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)}
    try:
        server.start(args.log_level)
        server.wait_ready()
        port, pid = server.port, server.proc.pid
        c = rs.Conn(port, deadline)
        c.token = token = c.call("POST", "/api/auth/login", {"email": rs.EMAIL, "password": rs.PASSWORD})["access_token"]
        bot = c.call("POST", "/api/chatbots", {"name": f"streams-bench-{int(time.time())}",
                                               "allowed_domains": [rc.ORIGIN]})["id"]
        key = c.call("POST", f"/api/chatbots/{bot}/api-keys", {"name": "bench widget", "kind": "publishable"},
                     expect=(201,))["key"]
        log(f"server pid {pid} port {port}, data dir {data_dir}, chatbot {bot}")
        up = [{"title": d["title"], "content": d["content"]} for d in docs]
        ids = rs.upload(port, token, deadline, bot, up, 2, "https://docs.example/streams/")
        listed = rs.wait_all_ready(c, bot, ids, deadline, server, True, "ingest")
        out["corpus"] = {"documents": len(docs), "chunks": sum(d.get("chunk_count", 0) for d in listed)}
        # In-scope questions: not a fallback on the extractive answerer (same retrieval as later).
        h = rc.caller_headers("widget", token, key)
        inscope, fb = [], 0
        for q in questions:
            st, res, _ = rc.ask(port, h, bot, q + " (bench-tag-0)")
            if st == 200 and not res.get("fallback"):
                inscope.append(q)
            else:
                fb += 1
        out["questions"] = {"about_the_passages": len(questions), "in_scope": len(inscope), "fallback_dropped": fb}
        log(f"{len(docs)} passages, {out['corpus']['chunks']} chunks; {len(inscope)} of {len(questions)} questions in scope")
        if not inscope:
            raise rs.BenchError("no in-scope question")
        c.call("PUT", f"/api/chatbots/{bot}", {"answers": {"provider": "openai", "model": "gpt-4o-mini"},
                                               "secrets": {"chat_api_key": FAKE_KEY}})
        # One streamed answer through the model.
        res, _, _, _, _ = asyncio.run(run_load("127.0.0.1", port,
                                               [studybot_request(port, bot, key, inscope[0] + " (bench-tag-0)")],
                                               0, "studybot", None, 60))
        r = res[0]
        if r.error or not r.done or r.degraded or r.fallback:
            raise rs.BenchError(f"sample stream: error={r.error} done={r.done} degraded={r.degraded} "
                                f"fallback={r.fallback} model_error={r.model_error}")
        out["sample_stream"] = {"ttft_ms": rnd(r.ttft), "deltas": r.deltas}
        fake.stats(reset=True)
        out["rss_before_runs"] = read_status(pid)
        out["smaps_rollup_before_runs"] = smaps_rollup(pid)
        c.close()

        out["runs"] = []
        for n in ns:
            deadline.check("load runs")
            run = {"n": n, "ramp_s": args.ramp}
            if not args.skip_direct:
                reqs = [fake_request(fake.port, inscope[i % len(inscope)] + f" (bench-tag-{i + 1})") for i in range(n)]
                res, _, _, peak, wall = asyncio.run(run_load("127.0.0.1", fake.port, reqs, args.ramp, "fake", None,
                                                            args.timeout))
                fs = fake.stats(reset=True)
                run["direct"] = summarize(res)
                run["direct"].update({"client_peak_inflight": peak, "wall_s": round(wall, 2),
                                      "fake_peak_active_streams": fs["peak_active_streams"]})
                log(f"direct N={n}: TTFT p50 {run['direct']['ttft_ms']['p50']} p95 {run['direct']['ttft_ms']['p95']} ms, "
                    f"completed {run['direct']['completed']}, peak {peak}")
            rc.wait_idle(pid, deadline, need=2)
            before = read_status(pid)
            cpu0 = rc.proc_threads(pid)[1]
            clear_hwm(pid)
            reqs = [studybot_request(port, bot, key, inscope[i % len(inscope)] + f" (bench-tag-{i + 1})")
                    for i in range(n)]
            res, samples, extra, peak, wall = asyncio.run(run_load("127.0.0.1", port, reqs, args.ramp, "studybot", pid,
                                                                  args.timeout))
            cpu1 = rc.proc_threads(pid)[1]
            after = read_status(pid)
            fs = fake.stats(reset=True)
            S = summarize(res)
            # Per-stream decomposition through the fake's tags.
            added, before_model, relay, fake_own = [], [], [], []
            for r in res:
                t = fs["tags"].get(str(r.i + 1))
                if r.ttft is None or not t or t[1] is None:
                    continue
                own = (t[1] - t[0]) * 1000
                fake_own.append(own)
                added.append(r.ttft - own)
                before_model.append((t[0] - r.t_write) * 1000)
                relay.append(r.ttft - (t[1] - r.t_write) * 1000)
            S["per_stream"] = {"matched": len(added),
                               "fake_own_ttft_ms": {"p50": rs.pct(fake_own, 50), "p95": rs.pct(fake_own, 95)},
                               "added_ms": {"p50": rs.pct(added, 50), "p95": rs.pct(added, 95), "p99": rs.pct(added, 99)},
                               "before_model_ms": {"p50": rs.pct(before_model, 50), "p95": rs.pct(before_model, 95)},
                               "relay_ms": {"p50": rs.pct(relay, 50), "p95": rs.pct(relay, 95)}}
            thr = [s["Threads"] for s in samples]
            fds = [s["fds"] for s in samples if "fds" in s]
            S.update({"client_peak_inflight": peak, "wall_s": round(wall, 2),
                      "fake_peak_active_streams": fs["peak_active_streams"], "fake_requests": fs["requests"],
                      "fake_auth_failures": fs["auth_failures"],
                      "rss_before_mib": round(before["VmRSS"] / 1024, 1),
                      "rss_after_mib": round(after["VmRSS"] / 1024, 1),
                      "rss_max_sampled_mib": round(max(s["VmRSS"] for s in samples) / 1024, 1) if samples else None,
                      "peak_rss_vmhwm_mib": round(after["VmHWM"] / 1024, 1),
                      "threads": {"before": before["Threads"], "min": min(thr) if thr else None,
                                  "max": max(thr) if thr else None},
                      "fds_max": max(fds) if fds else None,
                      "server_cpu_seconds": round((cpu1 - cpu0) / rc.CLK_TCK, 2),
                      "at_peak_inflight": {"inflight": extra.get("at"), "status": extra.get("status"),
                                           "smaps_rollup": extra.get("smaps_rollup")},
                      "anon_after": anon_mappings(pid)})
            run["studybot"] = S
            if "direct" in run:
                run["added_ttft_ms_p50_of_runs"] = rnd(S["ttft_ms"]["p50"] - run["direct"]["ttft_ms"]["p50"])
                run["added_ttft_ms_p95_of_runs"] = rnd(S["ttft_ms"]["p95"] - run["direct"]["ttft_ms"]["p95"])
            run["samples"] = samples[::5]
            out["runs"].append(run)
            log(f"studybot N={n}: completed {S['completed']}/{n}, errors {S['errors']} {S['error_kinds']}, "
                f"fallback {S['fallback']}, degraded {S['degraded']}; TTFT p50 {S['ttft_ms']['p50']} p95 "
                f"{S['ttft_ms']['p95']} ms; added p50 {S['per_stream']['added_ms']['p50']} ms (before model "
                f"{S['per_stream']['before_model_ms']['p50']}, relay {S['per_stream']['relay_ms']['p50']}); "
                f"VmHWM {S['peak_rss_vmhwm_mib']} MiB (before {S['rss_before_mib']}, after {S['rss_after_mib']}); "
                f"threads {S['threads']}, fds max {S['fds_max']}, peak in flight {peak}, fake peak {fs['peak_active_streams']}")
            server.check_alive()
        out["rss_end"] = read_status(pid)
        out["smaps_rollup_end"] = smaps_rollup(pid)
        out["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        print_table(out)
        print(f"\nwrote {args.out}")
        return 0
    except BaseException:
        if server.log_path:
            print("--- server log (tail) ---\n" + server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        fake.stop()
        if args.keep_data:
            log(f"data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def print_table(out):
    p = out["params"]
    print(f"\n## {p['n']} concurrent streams, ramp {p['ramp']} s, fake: first delta {p['first_delay_ms']} ms, "
          f"{p['deltas']} x {p['delta_ms']} ms\n")
    print("| N | completed | errors | fallback | degraded | peak in flight | TTFT fake p50/p95 | TTFT via Studybot p50/p95 "
          "| added p50 (runs) | added p50/p95 (per stream) | before model p50 | relay p50 | VmHWM MiB | RSS before/after | threads | fds max |")
    print("|" + "---|" * 16)
    for r in out["runs"]:
        S, D = r["studybot"], r.get("direct") or {"ttft_ms": {}}
        ps = S["per_stream"]
        print(f"| {r['n']} | {S['completed']} | {S['errors']} | {S['fallback']} | {S['degraded']} | {S['client_peak_inflight']} "
              f"| {D['ttft_ms'].get('p50')} / {D['ttft_ms'].get('p95')} | {S['ttft_ms']['p50']} / {S['ttft_ms']['p95']} "
              f"| {r.get('added_ttft_ms_p50_of_runs')} | {ps['added_ms']['p50']} / {ps['added_ms']['p95']} "
              f"| {ps['before_model_ms']['p50']} | {ps['relay_ms']['p50']} | {S['peak_rss_vmhwm_mib']} "
              f"| {S['rss_before_mib']} / {S['rss_after_mib']} | {S['threads']['min']}-{S['threads']['max']} | {S['fds_max']} |")


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except rs.BenchError as e:
        print(f"run_streams: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("run_streams: interrupted", file=sys.stderr)
        sys.exit(130)
