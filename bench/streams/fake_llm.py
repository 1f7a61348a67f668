#!/usr/bin/env python3
"""A slow fake OpenAI chat model for the concurrent-streams benchmark (Python stdlib, asyncio).

Serves POST /v1/chat/completions on HTTP/1.1 keep-alive with the real OpenAI streaming shape
("stream": true):

  data: {"id":..,"object":"chat.completion.chunk",...,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}
  data: {...,"choices":[{"index":0,"delta":{"content":"..."},"finish_reason":null}]}     x --deltas
  data: {...,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}
  data: {...,"choices":[],"usage":{"prompt_tokens":..,"completion_tokens":..,"total_tokens":..}}   (stream_options.include_usage)
  data: [DONE]

The response head goes out at once; the role chunk and the first content delta after
--first-delay-ms, the next deltas --delta-ms apart (20 x 100 ms: a stream lasts ~2 s). Chunked
transfer encoding, `Expect: 100-continue` answered. A wrong or missing `Authorization: Bearer`
gets OpenAI's 401 error body. Without "stream": true a single chat.completion JSON is returned
after the same total time.

The answer cites [1] so Studybot keeps it (an answer without a citation or saying it does not
know may become the fallback). When the prompt holds a tag `bench-tag-<n>` (the load client puts
one in each question), the fake records, on its own monotonic clock (CLOCK_MONOTONIC, the same
as the client's time.monotonic()), when that request's body was read and when its first content
delta was written: GET /stats returns them and the counters (requests, peak concurrent
streams, auth failures); GET /stats?reset=1 also clears them.

  python3 bench/streams/fake_llm.py --port 0 --key sk-bench --port-file /tmp/fake.port
"""
import argparse
import asyncio
import json
import os
import re
import resource
import socket
import sys
import time

TAG = re.compile(rb"bench-tag-(\d+)")
WORDS = ("The", " answer", " is", " in", " the", " documentation", " [1]", ".", " It", " explains",
         " how", " to", " configure", " the", " feature", " step", " by", " step", " [1]", ".")


class Stats:
    def __init__(self):
        self.reset()

    def reset(self):
        self.requests = 0
        self.streams_done = 0
        self.active = 0
        self.peak_active = 0
        self.auth_failures = 0
        self.bad_requests = 0
        self.disconnects = 0
        self.connections = 0
        self.peak_connections_open = 0
        self.tags = {}  # tag -> [t_body_read, t_first_delta]

    def as_json(self, open_conns):
        return {"requests": self.requests, "streams_done": self.streams_done, "active": self.active,
                "peak_active_streams": self.peak_active, "auth_failures": self.auth_failures,
                "bad_requests": self.bad_requests, "client_disconnects": self.disconnects,
                "connections_accepted": self.connections, "connections_open": open_conns,
                "peak_connections_open": self.peak_connections_open, "tags": self.tags}


class Fake:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.open_conns = 0
        self.counter = 0

    async def handle(self, reader, writer):
        self.stats.connections += 1
        self.open_conns += 1
        self.stats.peak_connections_open = max(self.stats.peak_connections_open, self.open_conns)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, _ = lines[0].split(" ", 2)
                except ValueError:
                    return
                headers = {}
                for l in lines[1:]:
                    if ":" in l:
                        k, v = l.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    parts = []
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        data = await reader.readexactly(size + 2)
                        if size == 0:
                            break
                        parts.append(data[:-2])
                    body = b"".join(parts)
                t_read = time.monotonic()
                keep = headers.get("connection", "").lower() != "close"
                if method == "GET" and target.startswith("/stats"):
                    out = json.dumps(self.stats.as_json(self.open_conns)).encode()
                    if "reset=1" in target:
                        self.stats.reset()
                    await self.respond(writer, 200, out)
                elif method == "POST" and target.split("?")[0].endswith("/chat/completions"):
                    if not await self.completion(writer, headers, body, t_read):
                        return
                else:
                    await self.respond(writer, 404, b'{"error":{"message":"not found","type":"invalid_request_error"}}')
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            self.stats.disconnects += 1
        finally:
            self.open_conns -= 1
            try:
                writer.close()
            except Exception:
                pass

    async def respond(self, writer, status, body, ctype="application/json"):
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}.get(status, "X")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body)
        await writer.drain()

    async def completion(self, writer, headers, body, t_read):
        a = self.args
        self.stats.requests += 1
        if headers.get("authorization", "") != "Bearer " + a.key:
            self.stats.auth_failures += 1
            await self.respond(writer, 401, json.dumps({"error": {
                "message": "Incorrect API key provided.", "type": "invalid_request_error",
                "param": None, "code": "invalid_api_key"}}).encode())
            return True
        try:
            req = json.loads(body)
        except ValueError:
            self.stats.bad_requests += 1
            await self.respond(writer, 400, b'{"error":{"message":"bad json","type":"invalid_request_error"}}')
            return True
        m = TAG.search(body)
        tag = m.group(1).decode() if m else None
        if tag is not None:
            self.stats.tags[tag] = [t_read, None]
        self.counter += 1
        cid = f"chatcmpl-fake{self.counter}"
        model = req.get("model", "gpt-4o-mini")
        created = int(time.time())
        n = a.deltas
        words = [WORDS[i % len(WORDS)] for i in range(n)]
        prompt_tokens = max(1, len(body) // 4)
        if not req.get("stream"):
            await asyncio.sleep((a.first_delay_ms + a.delta_ms * max(0, n - 1)) / 1000.0)
            out = {"id": cid, "object": "chat.completion", "created": created, "model": model,
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(words)},
                                "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                             "total_tokens": prompt_tokens + n}}
            await self.respond(writer, 200, json.dumps(out).encode())
            return True
        usage = bool((req.get("stream_options") or {}).get("include_usage"))

        def chunk(choices, extra=None):
            o = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "system_fingerprint": "fp_fake", "choices": choices}
            if extra:
                o.update(extra)
            data = b"data: " + json.dumps(o, separators=(",", ":")).encode() + b"\n\n"
            return b"%x\r\n%s\r\n" % (len(data), data)

        self.stats.active += 1
        self.stats.peak_active = max(self.stats.peak_active, self.stats.active)
        try:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                         b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
                         b"openai-processing-ms: 1\r\nx-request-id: " + cid.encode() + b"\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(a.first_delay_ms / 1000.0)
            for i, w in enumerate(words):
                if i == 0:
                    writer.write(chunk([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": None},
                                         "logprobs": None, "finish_reason": None}]))
                writer.write(chunk([{"index": 0, "delta": {"content": w}, "logprobs": None, "finish_reason": None}]))
                if i == 0 and tag is not None:
                    self.stats.tags[tag][1] = time.monotonic()
                await writer.drain()
                if i + 1 < n:
                    await asyncio.sleep(a.delta_ms / 1000.0)
            writer.write(chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
            if usage:
                writer.write(chunk([], {"usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                                                  "total_tokens": prompt_tokens + n}}))
            data = b"data: [DONE]\n\n"
            writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
            await writer.drain()
            self.stats.streams_done += 1
            return True
        except ConnectionError:
            self.stats.disconnects += 1
            return False
        finally:
            self.stats.active -= 1


async def main_async(args):
    fake = Fake(args)
    server = await asyncio.start_server(fake.handle, args.host, args.port, backlog=args.backlog,
                                        reuse_address=True, limit=1 << 22)
    port = server.sockets[0].getsockname()[1]
    for s in server.sockets:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"fake LLM on http://{args.host}:{port}/v1 (first delta {args.first_delay_ms} ms, "
          f"{args.deltas} deltas {args.delta_ms} ms apart)", flush=True)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    ap.add_argument("--key", default="sk-bench-fake", help="the Bearer key accepted")
    ap.add_argument("--first-delay-ms", type=float, default=100.0, help="before the role chunk and first delta")
    ap.add_argument("--delta-ms", type=float, default=100.0, help="between content deltas")
    ap.add_argument("--deltas", type=int, default=20)
    ap.add_argument("--backlog", type=int, default=4096)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
