#!/usr/bin/env python3
"""End-to-end chat throughput: POST /api/chat/message on the built-in extractive answerer.

Starts the server snapshot binary (default /work/staging/bench-bin/studybot, not build/: others
rebuild that) on a free port with a fresh temp data dir (SQLite), logs in, creates a chatbot
(builtin/learned embedder, one allowed origin) and a publishable widget key, then through the
HTTP API only:

  1. loads ~--chunks chunks: the synthetic corpus of bench/scale/run_scale.py (imported, same
     generator and uploader), --chunks-per-doc per markdown document; waits until every document
     is ready, then POSTs /reindex and waits until the learned embedder is trained on everything
     and served by the index;
  2. asks every question of bench/retrieval/questions.jsonl once per caller kind, sequentially,
     with urllib (1 client): the share of fallback answers in the mix (a fallback skips the
     answerer), the response time, sources per answer;
  3. drives load with wrk and a generated Lua script: POST /api/chat/message with a rotating
     question, each a new session (no session_id), for each caller kind (widget: X-Api-Key +
     Origin; admin: Bearer) and each connection count, --duration seconds each. Reported:
     requests/s, p50/p90/p99 (wrk --latency), non-2xx, socket errors, the server's CPU (utime +
     stime from /proc, per thread group name), wrk's own CPU, the server's own duration_us of
     the run's requests (access log) and the SQLite rows written.

Writes --out (JSON) and prints a markdown table.  Python standard library only (plus wrk).

  python3 bench/chat/run_chat_load.py                                   # 10k chunks, 16 and 64 conns, 20 s
  python3 bench/chat/run_chat_load.py --chunks 1000 --duration 5 --connections 16 --out /tmp/c.json
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench", "scale"))
import run_scale as rs  # noqa: E402  (the scale benchmark's server, corpus and upload helpers)

ORIGIN = "https://shop.example.com"
UNLIMITED = "10000000/1m"  # the limiters still run on every request; they just never refuse
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    rs.log(msg)


# ---------------------------------------------------------------------------------------------
# One chat request with urllib (samples) and the callers' headers.

def caller_headers(kind, token, key):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if kind == "widget":
        h["X-Api-Key"] = key
        h["Origin"] = ORIGIN
    else:
        h["Authorization"] = "Bearer " + token
    return h


def ask(port, headers, bot, message, timeout=30):
    body = json.dumps({"chatbot_id": bot, "message": message}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat/message", data=body,
                                 headers=headers, method="POST")
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    ms = (time.perf_counter() - t) * 1000.0
    try:
        res = json.loads(raw)
    except ValueError:
        res = {"_raw": raw[:300].decode("utf-8", "replace")}
    return status, res, ms


def sample_mix(port, headers, bot, questions):
    """Every question once, sequentially: fallback share and 1-client latency of the mix."""
    lat, server_ms, fallbacks, degraded, sources, errors, confidence = [], [], 0, 0, [], [], []
    examples = []
    for q in questions:
        st, res, ms = ask(port, headers, bot, q)
        if st != 200:
            errors.append(f"HTTP {st}: {json.dumps(res)[:200]}")
            continue
        lat.append(ms)
        server_ms.append(res.get("response_time_ms", 0))
        if res.get("fallback"):
            fallbacks += 1
        else:
            confidence.append(res.get("confidence", 0))
        if res.get("degraded"):
            degraded += 1
        sources.append(len(res.get("sources") or []))
        if len(examples) < 3 and not res.get("fallback"):
            examples.append({"question": q, "response": res.get("response", "")[:300],
                             "sources": len(res.get("sources") or []),
                             "confidence": res.get("confidence")})
    if errors and len(errors) > len(questions) // 20:
        raise rs.BenchError(f"{len(errors)} of {len(questions)} sample questions failed, e.g. {errors[:2]}")
    n = len(lat)
    return {"questions": len(questions), "answered_200": n, "errors": len(errors),
            "fallbacks": fallbacks, "fallback_share": round(fallbacks / n, 3) if n else None,
            "degraded": degraded,
            "mean_sources_per_answer": round(sum(sources) / n, 2) if n else None,
            "mean_confidence_non_fallback": round(sum(confidence) / len(confidence), 3) if confidence else None,
            "p50_ms": rs.pct(lat, 50), "p99_ms": rs.pct(lat, 99), "mean_ms": round(sum(lat) / n, 2) if n else None,
            "server_response_time_ms_p50": rs.pct(server_ms, 50), "examples": examples}


# ---------------------------------------------------------------------------------------------
# wrk.

def lua_string(s):
    out = ['"']
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\%d" % ch)
    out.append('"')
    return "".join(out)


def write_lua(path, bot, questions, headers):
    bodies = [json.dumps({"chatbot_id": bot, "message": q}) for q in questions]
    lines = ["-- generated by bench/chat/run_chat_load.py: one new session per request",
             "local bodies = {"]
    lines += ["  " + lua_string(b) + "," for b in bodies]
    lines.append("}")
    lines.append("local headers = {")
    for k, v in headers.items():
        lines.append(f"  [{lua_string(k)}] = {lua_string(v)},")
    lines.append("}")
    lines.append("""
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
local i = 0
function init(args)
  -- each thread starts at a different place in the rotation
  i = (tonumber(tid) or 1) * 97
end
function request()
  i = i + 1
  return wrk.format("POST", "/api/chat/message", headers, bodies[(i % #bodies) + 1])
end
function done(summary, latency, requests)
  io.write(string.format("JSON_SUMMARY {\\"requests\\":%d,\\"duration_us\\":%d,\\"status_errors\\":%d," ..
    "\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p90_us\\":%d," ..
    "\\"p99_us\\":%d,\\"max_us\\":%d,\\"mean_us\\":%.1f}\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
""")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def proc_threads(pid):
    """{"tid name": cpu ticks} per thread, plus the total."""
    per = {}
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])
        name = ("main " if tid == str(pid) else "") + f"{tid} {name}"
        per[name] = ticks
        total += ticks
    return per, total


SYSCALLS = {"202": "futex", "230": "clock_nanosleep", "35": "nanosleep", "232": "epoll_wait",
            "281": "epoll_pwait", "17": "pread64", "18": "pwrite64", "75": "fdatasync", "74": "fsync",
            "0": "read", "1": "write", "20": "writev", "44": "sendto", "45": "recvfrom", "72": "fcntl"}


def schedstat(pid):
    """{tid: (ns on cpu, ns waiting on a run queue)}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                a = f.read().split()
            out[tid] = (int(a[0]), int(a[1]))
        except (OSError, IndexError, ValueError):
            pass
    return out


class StateSampler(threading.Thread):
    """Samples what each server thread is doing every `period` s from /proc/<pid>/task/<tid>/syscall:
    "running" (on a CPU or runnable) or the syscall it is blocked in (futex: waiting for work or a
    lock; clock_nanosleep: SQLite's busy handler waiting for the write lock; epoll_wait: idle I/O
    thread; pread64/pwrite64: database file I/O)."""

    def __init__(self, pid, period=0.02):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.stop = threading.Event()
        self.counts = {}

    def run(self):
        tids = os.listdir(f"/proc/{self.pid}/task")
        while not self.stop.is_set():
            for tid in tids:
                try:
                    with open(f"/proc/{self.pid}/task/{tid}/syscall") as f:
                        first = f.read().split(" ", 1)[0].strip()
                except OSError:
                    continue
                what = "running" if first == "running" else SYSCALLS.get(first, "sys_" + first)
                c = self.counts.setdefault(tid, {})
                c[what] = c.get(what, 0) + 1
            time.sleep(self.period)


def top_snapshot(pid):
    """`top` over one second (its first iteration averages since the process began)."""
    try:
        out = subprocess.run(["top", "-b", "-n2", "-d1", "-p", str(pid)], capture_output=True, text=True,
                             timeout=15).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    last = out.split("top - ")[-1].splitlines()
    return [l for l in last if l.strip()][:8]


def wait_idle(pid, deadline, limit=0.05, need=3, timeout=240):
    """Waits until the server has used under `limit` of a core for `need` consecutive seconds:
    a re-index job may report success while the index follower is still rebuilding the
    chatbot's HNSW graph (seconds at 10k chunks), which would land inside the first run.
    Returns the seconds waited."""
    t0 = time.monotonic()
    _, last = proc_threads(pid)
    calm = 0
    while calm < need:
        deadline.check("waiting for the server to go idle")
        if time.monotonic() - t0 > timeout:
            raise rs.BenchError(f"server still busy {timeout} s after the setup")
        time.sleep(1.0)
        _, now = proc_threads(pid)
        calm = calm + 1 if (now - last) / CLK_TCK < limit else 0
        last = now
    return round(time.monotonic() - t0, 1)


def count_rows(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        out = {}
        for t in ("chat_messages", "chat_sessions", "analytics_events", "webhook_deliveries"):
            try:
                out[t] = con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            except sqlite3.Error:
                out[t] = None
        con.close()
        return out
    except sqlite3.Error as e:
        return {"error": str(e)}


def access_log_durations(path, start_offset):
    """duration_us of the chat requests logged after start_offset; returns (list, new offset)."""
    durs = []
    statuses = {}
    with open(path, "rb") as f:
        f.seek(start_offset)
        data = f.read()
        end = f.tell()
    for line in data.splitlines():
        if b"/api/chat/message" not in line:
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        d = o.get("duration_us")
        if d is None:
            d = (o.get("fields") or {}).get("duration_us")
        st = o.get("status", (o.get("fields") or {}).get("status"))
        if d is not None:
            durs.append(d / 1000.0)
        statuses[str(st)] = statuses.get(str(st), 0) + 1
    return durs, statuses, end


def wrk_run(server, lua, connections, threads, seconds, data_dir, perf_out=None, states=False):
    pid = server.proc.pid
    sched0 = schedstat(pid)
    log_off = os.path.getsize(server.log_path)
    rows0 = count_rows(os.path.join(data_dir, "studybot.db"))
    per0, tot0 = proc_threads(pid)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", lua, f"http://127.0.0.1:{server.port}"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    snap = [None]
    load = [None]

    def mid():
        time.sleep(seconds / 2.0)
        if p.poll() is None:
            snap[0] = top_snapshot(pid)
            load[0] = os.getloadavg()[0]

    th = threading.Thread(target=mid, daemon=True)
    th.start()
    sampler = None
    if states:
        sampler = StateSampler(pid)
        sampler.start()
    perf = None
    if perf_out:
        # Call-graph samples of the server during the middle of the run (perf is optional).
        time.sleep(1.0)
        perf = subprocess.Popen(["perf", "record", "-F", "199", "--call-graph", "dwarf,32768", "-p", str(pid), "-o", perf_out, "--",
                                 "sleep", str(max(1, seconds - 3))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out, _ = p.communicate(timeout=seconds + 60)
    if perf is not None:
        perf.wait(timeout=60)
    if sampler is not None:
        sampler.stop.set()
        sampler.join(timeout=5)
    sched1 = schedstat(pid)
    wall = time.monotonic() - t0
    th.join(timeout=5)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    per1, tot1 = proc_threads(pid)
    time.sleep(0.4)  # the buffered log sink flushes every 200 ms
    rows1 = count_rows(os.path.join(data_dir, "studybot.db"))
    if p.returncode != 0:
        raise rs.BenchError(f"wrk exited {p.returncode}: {out[-2000:]}")
    m = re.search(r"JSON_SUMMARY (\{.*\})", out)
    if not m:
        raise rs.BenchError(f"no summary from wrk: {out[-2000:]}")
    s = json.loads(m.group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    durs, statuses, _ = access_log_durations(server.log_path, log_off)
    server_cpu_s = (tot1 - tot0) / CLK_TCK
    wrk_cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    per_thread = {k: round((per1.get(k, 0) - per0.get(k, 0)) / CLK_TCK, 2) for k in per1}
    per_thread = dict(sorted(((k, v) for k, v in per_thread.items() if v > 0), key=lambda kv: -kv[1])[:10])
    dt = s["duration_us"] / 1e6
    res = {"connections": connections, "wrk_threads": threads, "seconds": round(dt, 2),
           "requests": s["requests"], "requests_per_s": rps,
           "p50_ms": round(s["p50_us"] / 1000, 2), "p90_ms": round(s["p90_us"] / 1000, 2),
           "p99_ms": round(s["p99_us"] / 1000, 2), "max_ms": round(s["max_us"] / 1000, 2),
           "non_2xx": int(non2xx.group(1)) if non2xx else 0,
           "socket_errors": {k: s[k] for k in ("connect", "read", "write", "timeout")},
           "server_cpu_seconds": round(server_cpu_s, 2),
           "server_cpu_percent": round(100 * server_cpu_s / wall, 1),
           "server_cpu_us_per_request": round(1e6 * server_cpu_s / max(1, s["requests"]), 1),
           "server_cpu_by_thread_seconds": per_thread,
           "wrk_cpu_seconds": round(wrk_cpu_s, 2),
           "load_avg_mid_run": round(load[0], 2) if load[0] is not None else None,
           "top_mid_run": snap[0],
           "server_duration_ms": {"logged": len(durs), "p50": rs.pct(durs, 50), "p90": rs.pct(durs, 90),
                                  "p99": rs.pct(durs, 99),
                                  "mean": round(sum(durs) / len(durs), 2) if durs else None},
           "statuses_logged": statuses,
           "sched_by_thread_ms": {t: {"on_cpu": round((sched1[t][0] - sched0.get(t, (0, 0))[0]) / 1e6),
                                      "runqueue_wait": round((sched1[t][1] - sched0.get(t, (0, 0))[1]) / 1e6)}
                                  for t in sched1 if sched1[t][0] - sched0.get(t, (0, 0))[0] > 50e6},
           "thread_states": sampler.counts if sampler is not None else None,
           "rows_written": {k: (rows1.get(k) or 0) - (rows0.get(k) or 0) for k in rows1 if k != "error"}}
    return res


# ---------------------------------------------------------------------------------------------

def wait_reindexed(c, bot, deadline, server, verbose):
    t1 = time.monotonic()
    job = c.call("POST", f"/api/chatbots/{bot}/reindex", expect=(202,))
    job_id = job.get("job_id")
    while True:
        deadline.check("re-indexing")
        server.check_alive()
        st = rs.chatbot_status(c, bot)
        r = st.get("reindex") or {}
        if r.get("job_id") == job_id and r.get("status") in ("succeeded", "failed", "cancelled"):
            if r["status"] != "succeeded":
                raise rs.BenchError(f"re-index {r['status']}: {r.get('error')}")
            embedder = st.get("embedder")
            break
        time.sleep(0.2)
    t_job = time.monotonic() - t1
    while True:
        deadline.check("waiting for the index to serve the new embedder")
        res = rs.search(c, bot, "warm up", "dense", 1)
        if res.get("embedder") == embedder and embedder:
            break
        time.sleep(0.1)
    t_served = time.monotonic() - t1
    if verbose:
        log(f"reindex: job {t_job:.1f} s, {embedder} served after {t_served:.1f} s")
    return {"embedder": embedder, "job_seconds": round(t_job, 2), "served_seconds": round(t_served, 2)}


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
    return {"cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs"), "cores": os.cpu_count(),
            "mem": sh("free -h | awk '/Mem:/ {print $2}'"), "kernel": sh("uname -r"),
            "wrk": sh("wrk -v 2>&1 | head -1"), "sqlite": sh("sqlite3 --version | cut -d' ' -f1"),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="/work/staging/bench-bin/studybot")
    ap.add_argument("--sentences-from", default=os.path.join(REPO, "bench", "retrieval", "corpus.jsonl"))
    ap.add_argument("--questions", default=os.path.join(REPO, "bench", "retrieval", "questions.jsonl"))
    ap.add_argument("--chunks", type=int, default=10000)
    ap.add_argument("--chunks-per-doc", type=int, default=100)
    ap.add_argument("--threads", type=int, default=4, help="upload threads")
    ap.add_argument("--connections", default="16,64", help="comma-separated wrk connection counts")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    ap.add_argument("--callers", default="widget,admin", help="widget and/or admin")
    ap.add_argument("--perf", action="store_true",
                    help="perf record -g the server during each run (<data dir>/perf-*.data; use --keep-data)")
    ap.add_argument("--thread-states", action="store_true",
                    help="sample each server thread's state/syscall every 20 ms during the runs (costs client CPU)")
    ap.add_argument("--no-reindex", action="store_true", help="skip the final POST /reindex")
    ap.add_argument("--log-level", default="info", help="server log level (info: one access line per request)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--time-budget", type=float, default=1800)
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--keep-data", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    verbose = not args.quiet
    deadline = rs.Deadline(args.time_budget)
    callers = [c.strip() for c in args.callers.split(",") if c.strip()]
    if any(c not in ("widget", "admin") for c in callers):
        raise rs.BenchError("--callers takes widget and/or admin")
    conns = [int(x) for x in args.connections.split(",") if x.strip()]
    if shutil.which("wrk") is None:
        raise rs.BenchError("wrk is not installed (Debian package wrk)")

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(l)["question"] for l in f if l.strip()]
    sentences = rs.load_sentences(args.sentences_from)
    docs, _ = rs.build_corpus(sentences, args.chunks, args.chunks_per_doc, args.seed)

    # The widget's limits are raised like the per-user one (run_scale.Server sets that).
    os.environ["STUDYBOT_RATELIMIT_PER_IP"] = UNLIMITED
    os.environ["STUDYBOT_RATELIMIT_PER_KEY"] = UNLIMITED
    os.environ["STUDYBOT_RATELIMIT_PER_SESSION"] = UNLIMITED
    data_dir = tempfile.mkdtemp(prefix="studybot-chat-")
    server = rs.Server(args.binary, data_dir)
    out = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "server": args.binary,
           "machine": machine(),
           "params": {k: v for k, v in vars(args).items() if k not in ("out",)}}
    try:
        server.start(args.log_level)
        server.wait_ready()
        port = server.port
        c = rs.Conn(port, deadline)
        token = c.call("POST", "/api/auth/login", {"email": rs.EMAIL, "password": rs.PASSWORD})["access_token"]
        c.token = token
        bot = c.call("POST", "/api/chatbots", {
            "name": f"chat-bench-{int(time.time())}", "allowed_domains": [ORIGIN],
            "knowledge": {"embedder": {"provider": "builtin", "model": "learned"}}})["id"]
        key = c.call("POST", f"/api/chatbots/{bot}/api-keys", {"name": "bench widget", "kind": "publishable"},
                     expect=(201,))["key"]
        if verbose:
            log(f"server pid {server.proc.pid} port {port}, data dir {data_dir}, chatbot {bot}")

        t0 = time.monotonic()
        ids = rs.upload(port, token, deadline, bot, docs, args.threads, "https://docs.example/chat/")
        listed = rs.wait_all_ready(c, bot, ids, deadline, server, verbose, "ingest")
        t_ready = time.monotonic() - t0
        chunks = sum(d.get("chunk_count", 0) for d in listed)
        out["corpus"] = {"documents": len(docs), "chunks": chunks, "ingest_seconds": round(t_ready, 2)}
        if verbose:
            log(f"{len(docs)} documents, {chunks} chunks ready in {t_ready:.1f} s")
        if not args.no_reindex:
            out["reindex"] = wait_reindexed(c, bot, deadline, server, verbose)
        out["idle_wait_seconds"] = wait_idle(server.proc.pid, deadline)
        if verbose:
            log(f"server idle after {out['idle_wait_seconds']} s")
        out["knowledge_status"] = {k: v for k, v in rs.chatbot_status(c, bot).items()
                                   if k in ("embedder", "chunk_count", "chunks", "documents")}
        c.close()

        lua_dir = os.path.join(data_dir, "lua")
        os.makedirs(lua_dir)
        out["sample"], out["load"] = {}, []
        for kind in callers:
            h = caller_headers(kind, token, key)
            st, res, _ = ask(port, h, bot, questions[0])
            if st != 200:
                raise rs.BenchError(f"{kind} chat request answered HTTP {st}: {json.dumps(res)[:300]}")
            out["sample"][kind] = sample_mix(port, h, bot, questions)
            S = out["sample"][kind]
            if verbose:
                log(f"{kind}: {S['questions']} questions, fallback share {S['fallback_share']}, "
                    f"1 client p50 {S['p50_ms']} ms p99 {S['p99_ms']} ms")
            lua = os.path.join(lua_dir, f"{kind}.lua")
            write_lua(lua, bot, questions, h)
            for n in conns:
                deadline.check("load runs")
                server.check_alive()
                wait_idle(server.proc.pid, deadline, need=2)
                perf_out = os.path.join(data_dir, f"perf-{kind}-{n}.data") if args.perf else None
                r = wrk_run(server, lua, n, min(args.wrk_threads, n), args.duration, data_dir, perf_out,
                           args.thread_states)
                r["caller"] = kind
                out["load"].append(r)
                if verbose:
                    log(f"{kind} c{n}: {r['requests_per_s']} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                        f"non-2xx {r['non_2xx']}, server CPU {r['server_cpu_percent']}% "
                        f"({r['server_cpu_us_per_request']} us/req), wrk CPU {r['wrk_cpu_seconds']} s")
        out["rss_end"] = server.rss()
        out["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        out["total_seconds"] = round(args.time_budget - deadline.left(), 1)
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
        if args.keep_data:
            log(f"data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def print_table(out):
    co = out["corpus"]
    print(f"\n## POST /api/chat/message at {co['chunks']} chunks ({co['documents']} documents), "
          f"{out['machine']['cores']} CPUs, {out['machine']['cpu']}\n")
    for kind, S in out["sample"].items():
        print(f"- {kind} mix ({S['questions']} questions, 1 client): fallback share {S['fallback_share']}, "
              f"p50 {S['p50_ms']} ms, p99 {S['p99_ms']} ms, {S['mean_sources_per_answer']} sources/answer")
    print("\n| caller | conns | req/s | p50 ms | p90 ms | p99 ms | non-2xx | server CPU % | server CPU us/req "
          "| server p50 ms (log) | wrk CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in out["load"]:
        print(f"| {r['caller']} | {r['connections']} | {r['requests_per_s']} | {r['p50_ms']} | {r['p90_ms']} "
              f"| {r['p99_ms']} | {r['non_2xx']} | {r['server_cpu_percent']} | {r['server_cpu_us_per_request']} "
              f"| {r['server_duration_ms']['p50']} | {r['wrk_cpu_seconds']} |")


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except rs.BenchError as e:
        print(f"run_chat_load: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("run_chat_load: interrupted", file=sys.stderr)
        sys.exit(130)
