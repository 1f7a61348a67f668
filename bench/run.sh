#!/usr/bin/env bash
# HTTP benchmarks of the foundation: wrk against GET /health and GET /ready (a database read on
# SQLite), 64 connections; idle RSS; time from exec to the first 200 on /ready.
# Usage: bench/run.sh [duration_seconds]   (build first: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/studybot}
DURATION=${1:-10}
PORT=${BENCH_PORT:-18080}
DATA=$(mktemp -d /tmp/studybot-bench.XXXXXX)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps" >&2; exit 1; }

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), cores: $(nproc)"
echo "mem: $(free -h | awk '/Mem:/ {print $2}'), kernel: $(uname -r)"

start_ns=$(date +%s%N)
# The per-user limit is raised so that wrk measures the server, not the limiter's refusals (the
# limiter still runs on every request).
export STUDYBOT_ADMIN_EMAIL=bench@example.com STUDYBOT_ADMIN_PASSWORD='bench password 123'
export STUDYBOT_RATELIMIT_PER_USER=1000000/1s
STUDYBOT_DATA_DIR=$DATA STUDYBOT_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} \
  $BIN serve --port "$PORT" >"$DATA/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  sleep 0.005
done
ready_ns=$(date +%s%N)
echo "== start to ready: $(( (ready_ns - start_ns) / 1000000 )) ms (first migration included)"
sleep 1
echo "== idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status)"

for path in /health /ready; do
  echo "== wrk -t2 -c64 -d${DURATION}s GET $path"
  wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$path" |
    grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
done
TOKEN=$(curl -fs "http://127.0.0.1:$PORT/api/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"bench password 123"}' |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')
echo "== wrk -t2 -c64 -d${DURATION}s GET /api/auth/me (JWT + session check + user read)"
wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$PORT/api/auth/me" | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
echo "== RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status)"

kill -TERM $PID
wait $PID
echo "== exit code after SIGTERM: $?"
PID=
# Time to ready on an already-migrated database (a restart).
start_ns=$(date +%s%N)
STUDYBOT_DATA_DIR=$DATA $BIN serve --port "$PORT" >"$DATA/server2.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  sleep 0.005
done
ready_ns=$(date +%s%N)
echo "== restart to ready: $(( (ready_ns - start_ns) / 1000000 )) ms"

# Page extraction (the crawler's HTML-to-text step) on the public article-extraction benchmark.
if [ -x build/studybot_bench ]; then
  kill -TERM $PID; wait $PID || true; PID=
  echo "== page extraction (bench/extract_bench.cpp)"
  build/studybot_bench --benchmark_filter='BM_Extract' --benchmark_min_time=2 2>&1 |
    grep -E 'BM_|Run on|CPU'
fi
