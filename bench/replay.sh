#!/usr/bin/env bash
# Benchmark `eksdrift replay` throughput on CloudTrail log files, against
# `zcat` alone (the floor: just decompressing) and `zcat | jq` (the naive
# baseline: decompress, parse every record, select the watched eventNames).
#
# Usage: bench/replay.sh [--mb N] [--data DIR] [--keep] [--strict]
#
# Environment (flags win):
#   MB=200        total size of the gzipped test data, in MB
#   DATA=DIR      where the data lives (default ${TMPDIR:-/tmp}/eksdrift-bench-trail);
#                 reused when it was generated with the same MB/SEED/WATCHED and
#                 the same generator source, regenerated otherwise
#   SEED=1 WATCHED=300   passed to bench/gentrail
#   BASELINE=FILE baseline for the replay run (default: events/baseline.yaml
#                 in the repository)
#   EKSDRIFT=PATH use this eksdrift binary instead of building build/eksdrift
#   REPEAT=1      time each command REPEAT times and keep the fastest
#   KEEP=0        1: keep the temp dir with findings.jsonl and replay.stderr
#   STRICT=0      1: exit 1 if replay was skipped, failed, or missed a target
#
# See bench/README.md for how to read the output.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

MB=${MB:-200}
SEED=${SEED:-1}
WATCHED=${WATCHED:-300}
REPEAT=${REPEAT:-1}
KEEP=${KEEP:-0}
STRICT=${STRICT:-0}
while [ $# -gt 0 ]; do
	case "$1" in
	--mb) MB=$2; shift 2 ;;
	--mb=*) MB=${1#*=}; shift ;;
	--data) DATA=$2; shift 2 ;;
	--data=*) DATA=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	--strict) STRICT=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "replay.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
DATA=${DATA:-${TMPDIR:-/tmp}/eksdrift-bench-trail}
# Paths given by the caller are relative to where the script was called from.
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
DATA=$(abspath "$DATA")
if [ -n "${EKSDRIFT:-}" ]; then EKSDRIFT=$(abspath "$EKSDRIFT"); fi
if [ -n "${BASELINE:-}" ]; then BASELINE=$(abspath "$BASELINE"); fi

# Run from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BASELINE=${BASELINE:-events/baseline.yaml}
BIN=${EKSDRIFT:-build/eksdrift}

for tool in go zcat jq find xargs awk; do
	command -v "$tool" >/dev/null || { echo "replay.sh: $tool is required" >&2; exit 1; }
done

log() { printf '==> %s\n' "$*" >&2; }
now() { date +%s.%N; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eksdrift-bench.XXXXXX")
cleanup() {
	if [ "$KEEP" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Test data.

gen_hash=$(cat bench/gentrail/*.go | cksum | awk '{print $1}')
params="mb=$MB seed=$SEED watched=$WATCHED gentrail=$gen_hash"
marker="$DATA/.bench-params"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$params" ] && [ -f "$DATA/gentrail-manifest.txt" ]; then
	log "reusing test data in $DATA ($params)"
else
	if [ -d "$DATA" ] && [ ! -f "$marker" ] && [ -n "$(ls -A "$DATA")" ]; then
		echo "replay.sh: $DATA exists, is not empty and was not made by this script; set DATA to another directory" >&2
		exit 1
	fi
	log "generating ${MB} MB of CloudTrail logs in $DATA"
	mkdir -p "$DATA"
	rm -f "$marker"
	t0=$(now)
	go run ./bench/gentrail -out "$DATA" -mb "$MB" -seed "$SEED" -watched "$WATCHED" -clean
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "==> generated in %.1fs\n", b - a }' >&2
	printf '%s\n' "$params" >"$marker"
fi

manifest() { awk -F= -v k="$1" '$1 == k { print $2 }' "$DATA/gentrail-manifest.txt"; }
files=$(manifest files)
records=$(manifest total_records)
watched_total=$(manifest total_watched)
gz_bytes=$(manifest gz_bytes)
raw_bytes=$(manifest raw_bytes)

# IN("CreateAccessEntry","AssociateAccessPolicy",...) from the names gentrail used.
names=$(jq -R . <"$DATA/watched-event-names.txt" | paste -sd, -)
if [ -z "$names" ]; then
	echo "replay.sh: $DATA/watched-event-names.txt is empty" >&2
	exit 1
fi
jq_filter=".Records[] | select(.eventName | IN($names))"

# ---------------------------------------------------------------------------
# eksdrift binary (optional until the CLI exists).

replay_ok=1
skip_reason=
if [ -n "${EKSDRIFT:-}" ]; then
	[ -x "$BIN" ] || { replay_ok=0; skip_reason="EKSDRIFT=$BIN is not executable"; }
elif [ ! -d cmd/eksdrift ]; then
	replay_ok=0; skip_reason="cmd/eksdrift does not exist yet"
elif ! mkdir -p build || ! go build -o "$BIN" ./cmd/eksdrift 2>"$tmp/build.log"; then
	replay_ok=0; skip_reason="go build ./cmd/eksdrift failed: $(grep -v '^#' "$tmp/build.log" | head -n 1)"
	tail -n 20 "$tmp/build.log" >&2
fi
if [ "$replay_ok" = 0 ]; then
	:
elif ! "$BIN" replay --help 2>&1 | grep -Eq 'eksdrift replay'; then
	replay_ok=0; skip_reason="$BIN has no 'replay' subcommand yet"
elif [ ! -f "$BASELINE" ]; then
	replay_ok=0; skip_reason="baseline $BASELINE does not exist yet"
fi
if [ "$replay_ok" = 0 ]; then
	log "SKIPPING eksdrift replay: $skip_reason"
fi

# ---------------------------------------------------------------------------
# Benchmarks.

list() { find "$DATA" -name '*.json.gz' -print0; }

run_zcat() { list | xargs -0 zcat >/dev/null; }
run_jq() { list | xargs -0 zcat | jq -c "$jq_filter" | wc -l >"$tmp/jq.count"; }
replay_rc=0
run_replay() {
	rm -f "$tmp/history.db"*
	local timecmd=()
	if [ -x /usr/bin/time ]; then
		timecmd=(/usr/bin/time -f '%M %U %S' -o "$tmp/replay.time")
	fi
	replay_rc=0
	"${timecmd[@]}" "$BIN" replay --baseline "$BASELINE" --history "$tmp/history.db" --output json "$DATA" \
		>"$tmp/findings.jsonl" 2>"$tmp/replay.stderr" || replay_rc=$?
}

# best_of NAME FUNC: runs FUNC REPEAT times, stores the fastest wall time in T_NAME.
best_of() {
	local name=$1 fn=$2 best= i t0 t1 d
	for ((i = 0; i < REPEAT; i++)); do
		t0=$(now)
		"$fn"
		t1=$(now)
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$best" ] || awk -v a="$d" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$d; fi
	done
	printf -v "T_$name" '%s' "$best"
}

log "warming the page cache"
list | xargs -0 cat >/dev/null

log "timing zcat"
best_of zcat run_zcat
log "timing zcat | jq"
best_of jq run_jq
jq_count=$(tr -d ' ' <"$tmp/jq.count")
findings_count=-
if [ "$replay_ok" = 1 ]; then
	log "timing eksdrift replay"
	best_of replay run_replay
	findings_count=$(wc -l <"$tmp/findings.jsonl" | tr -d ' ')
	if [ "$replay_rc" != 0 ]; then
		log "eksdrift replay exited with status $replay_rc; last lines of stderr:"
		tail -n 20 "$tmp/replay.stderr" >&2
	fi
fi

# ---------------------------------------------------------------------------
# Report.

mbps() { awk -v b="$gz_bytes" -v t="$1" 'BEGIN { printf "%.1f", (t > 0) ? b / 1e6 / t : 0 }'; }
rawmbps() { awk -v b="$raw_bytes" -v t="$1" 'BEGIN { printf "%.1f", (t > 0) ? b / 1e6 / t : 0 }'; }

echo
echo "eksdrift replay benchmark  ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc 2>/dev/null || echo ?) CPUs, $(go version | awk '{print $3}'), $(jq --version))"
awk -v f="$files" -v r="$records" -v w="$watched_total" -v g="$gz_bytes" -v x="$raw_bytes" -v d="$DATA" 'BEGIN {
	printf "data: %s\n      %d files, %d records (%d watched), %.1f MB gzipped, %.1f MB raw (%.1fx)\n\n", d, f, r, w, g / 1e6, x / 1e6, x / g }'
printf '%-26s %9s %12s %12s %10s\n' benchmark seconds "gz MB/s" "raw MB/s" records
printf '%-26s %9s %12s %12s %10s\n' "zcat" "$T_zcat" "$(mbps "$T_zcat")" "$(rawmbps "$T_zcat")" "-"
printf '%-26s %9s %12s %12s %10s\n' "zcat | jq (select)" "$T_jq" "$(mbps "$T_jq")" "$(rawmbps "$T_jq")" "$jq_count"
status=0
if [ "$replay_ok" = 1 ]; then
	printf '%-26s %9s %12s %12s %10s\n' "eksdrift replay" "$T_replay" "$(mbps "$T_replay")" "$(rawmbps "$T_replay")" "$findings_count"
	if [ -s "$tmp/replay.time" ]; then
		tail -n 1 "$tmp/replay.time" | awk '{ printf "%-26s peak RSS %.0f MB, CPU %.1fs user + %.1fs sys\n", "", $1 / 1024, $2, $3 }'
	fi
	echo
	r_zcat=$(awk -v a="$T_zcat" -v b="$T_replay" 'BEGIN { printf "%.2f", a / b }')
	r_jq=$(awk -v a="$T_jq" -v b="$T_replay" 'BEGIN { printf "%.1f", a / b }')
	ok_zcat=$(awk -v r="$r_zcat" 'BEGIN { print (r >= 0.5) ? "ok" : "MISSED" }')
	ok_jq=$(awk -v r="$r_jq" 'BEGIN { print (r >= 10) ? "ok" : "MISSED" }')
	printf 'replay vs zcat      %6sx throughput   (target >= 0.5x)  %s\n' "$r_zcat" "$ok_zcat"
	printf 'replay vs zcat|jq   %6sx throughput   (target >= 10x)   %s\n' "$r_jq" "$ok_jq"
	printf 'watched records: %s generated, %s selected by jq, %s findings lines (replay exit status %s)\n' \
		"$watched_total" "$jq_count" "$findings_count" "$replay_rc"
	if [ "$ok_zcat" != ok ] || [ "$ok_jq" != ok ]; then
		status=1
	fi
	# A drift tool may exit non-zero when it reports findings; only an error
	# exit with no findings at all counts as a failed run.
	if [ "$replay_rc" != 0 ] && [ "$findings_count" = 0 ]; then
		status=1
	fi
else
	echo
	echo "eksdrift replay: skipped ($skip_reason)"
	printf 'targets: replay >= 0.5x zcat throughput (>= %s gz MB/s here), >= 10x zcat|jq (>= %s gz MB/s here)\n' \
		"$(awk -v t="$T_zcat" -v b="$gz_bytes" 'BEGIN { printf "%.1f", 0.5 * b / 1e6 / t }')" \
		"$(awk -v t="$T_jq" -v b="$gz_bytes" 'BEGIN { printf "%.1f", 10 * b / 1e6 / t }')"
	printf 'watched records: %s generated, %s selected by jq\n' "$watched_total" "$jq_count"
	status=1
fi

if [ "$STRICT" = 1 ] && [ "$status" != 0 ]; then
	exit 1
fi
exit 0
