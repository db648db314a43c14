#!/usr/bin/env bash
# Benchmark `eksdrift backfill` (CloudTrail log files streamed from S3) against
# `eksdrift replay` on the same files on local disk.
#
# Usage: bench/backfill.sh [--mb N] [--repeat N]
#
# Environment (flags win):
#   MB=50         size of the gzipped test data (bench/gentrail), in MB
#   REPEAT=3      time each command REPEAT times and keep the fastest
#   DATA=DIR      where the test data lives (default ${TMPDIR:-/tmp}/eksdrift-bench-backfill)
#   AWS_ENDPOINT_URL  an S3 emulator on 127.0.0.1; unset, the script starts
#                 MiniStack from .venv (make tools) on a free port and stops it
#   WORKERS=16    backfill --workers
#
# Both commands start from an empty history and judge the same 300 watched
# records against events/baseline.yaml; the S3 side also lists the bucket.
set -euo pipefail
MB=${MB:-50}
REPEAT=${REPEAT:-3}
WORKERS=${WORKERS:-16}
while [ $# -gt 0 ]; do
	case "$1" in
	--mb) MB=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "backfill.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=${DATA:-${TMPDIR:-/tmp}/eksdrift-bench-backfill}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eksdrift-backfill.XXXXXX")
ms_pid=
cleanup() {
	if [ -n "$ms_pid" ]; then kill "$ms_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf '==> %s\n' "$*" >&2; }

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
	[ -x .venv/bin/ministack ] || { echo "backfill.sh: MiniStack is not installed: run make tools, or set AWS_ENDPOINT_URL" >&2; exit 1; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	BIND_HOST=127.0.0.1 GATEWAY_PORT=$port LOG_LEVEL=WARNING .venv/bin/ministack >"$tmp/ministack.log" 2>&1 &
	ms_pid=$!
	export AWS_ENDPOINT_URL=http://127.0.0.1:$port
	for _ in $(seq 100); do curl -fs "$AWS_ENDPOINT_URL/_ministack/health" >/dev/null && break; sleep 0.1; done
	log "started MiniStack on $AWS_ENDPOINT_URL"
fi
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test} AWS_REGION=${AWS_REGION:-us-east-1}

log "generating $MB MB of CloudTrail logs in $DATA"
go run ./bench/gentrail -out "$DATA" -mb "$MB" -clean >&2
bucket=bench-trail-$RANDOM$RANDOM
go run ./bench/s3load -bucket "$bucket" -prefix org -dir "$DATA/AWSLogs" >&2
go build -o "$tmp/eksdrift" ./cmd/eksdrift
gz_bytes=$(find "$DATA/AWSLogs" -name '*.json.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
find "$DATA/AWSLogs" -name '*.json.gz' -exec cat {} + >/dev/null # warm the page cache

best() { # best CMD...: fastest wall time of REPEAT runs, in seconds
	local b= i t0 t1 d
	for ((i = 0; i < REPEAT; i++)); do
		rm -f "$tmp/history.db"
		t0=$(date +%s.%N); "$@" >"$tmp/out.jsonl" 2>"$tmp/err"; t1=$(date +%s.%N)
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$b" ] || awk -v a="$d" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$d; fi
	done
	echo "$b"
}
t_replay=$(best "$tmp/eksdrift" replay --baseline events/baseline.yaml --history "$tmp/history.db" --output json "$DATA/AWSLogs")
n_replay=$(wc -l <"$tmp/out.jsonl")
t_backfill=$(best "$tmp/eksdrift" backfill "s3://$bucket/org" --since 2026-10-01 --until 2026-10-31 --workers "$WORKERS" \
	--baseline events/baseline.yaml --history "$tmp/history.db" --output json)
n_backfill=$(wc -l <"$tmp/out.jsonl")
tail -1 "$tmp/err" >&2

awk -v gz="$gz_bytes" -v r="$t_replay" -v b="$t_backfill" -v nr="$n_replay" -v nb="$n_backfill" 'BEGIN {
	printf "%-22s %8s %10s %9s\n", "command", "seconds", "gz MB/s", "findings"
	printf "%-22s %8.2f %10.1f %9d\n", "replay (local disk)", r, gz / 1e6 / r, nr
	printf "%-22s %8.2f %10.1f %9d\n", "backfill (S3)", b, gz / 1e6 / b, nb
	printf "backfill vs replay: %.2fx the throughput\n", r / b
}'
