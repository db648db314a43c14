#!/usr/bin/env bash
# Measures the reconcile sweep's fan-out over an organization on MiniStack:
# 100 member accounts x 2 regions x 5 clusters x 100 access entries by
# default (bench/orgsweep fills the emulator, then sweeps it as the
# reconcile function does). Prints the time, the API calls per account, the
# peak memory, and whether the sweep fits one invocation.
#
#   ACCOUNTS=5 bench/orgsweep.sh                 # a quick run (fill 14 s, sweep 111 s on 2 cores)
#   ACCOUNTS=10 bench/orgsweep.sh                # on 2 MiniStacks
#   bench/orgsweep.sh                            # the full size, on SHARDS=20 MiniStacks of 5 accounts each
#   SHARDS=1 ACCOUNTS=10 bench/orgsweep.sh       # one MiniStack (its EKS lists walk every account it holds:
#                                                # 100 accounts on one would take hours; docs/scanning.md#figures)
#   SWEEPS="16 32" bench/orgsweep.sh             # one sweep per value of -parallel, on one fill
#
# Everything stays on 127.0.0.1; the MiniStacks are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-100} REGIONS=${REGIONS:-us-east-1,us-west-2} CLUSTERS=${CLUSTERS:-5} ENTRIES=${ENTRIES:-100}
SWEEPS=${SWEEPS:-16} RATE=${RATE:-20}
# One MiniStack per 5 accounts by default (at most 20): an EKS list call costs
# about 0.6 ms more per account its emulator holds.
SHARDS=${SHARDS:-$(( ACCOUNTS < 100 ? (ACCOUNTS + 4) / 5 : 20 ))}
bin=${MINISTACK_BIN:-.venv/bin/ministack}
[ -x "$bin" ] || { echo "orgsweep.sh: no MiniStack at $bin (make tools)" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/orgsweep.XXXXXX")
pids=() endpoints=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
for i in $(seq 0 $((SHARDS - 1))); do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env -u AWS_ENDPOINT_URL BIND_HOST=127.0.0.1 GATEWAY_PORT=$port LOG_LEVEL=WARNING "$bin" >"$out/ministack-$i.log" 2>&1 &
  pids+=($!) endpoints+=("http://127.0.0.1:$port")
done
for e in "${endpoints[@]}"; do
  for _ in $(seq 300); do curl -sf "$e/_ministack/health" >/dev/null && break; sleep 0.2; done
done
go build -o "$out/orgsweep" ./bench/orgsweep
list=$(IFS=,; echo "${endpoints[*]}")
export AWS_ACCESS_KEY_ID=000000000000 AWS_SECRET_ACCESS_KEY=bench AWS_REGION=${REGIONS%%,*}
unset AWS_PROFILE AWS_ENDPOINT_URL
fill=true
for p in $SWEEPS; do
  echo "== -parallel $p -rate $RATE (fill: $fill)"
  /usr/bin/time -v "$out/orgsweep" -endpoints "$list" -accounts "$ACCOUNTS" -regions "$REGIONS" -clusters "$CLUSTERS" -entries "$ENTRIES" \
    -parallel "$p" -rate "$RATE" -fill=$fill -json "$out/figures-$p.json" 2>"$out/time-$p.txt" | tee "$out/sweep-$p.txt"
  grep -E 'Maximum resident|Elapsed' "$out/time-$p.txt" | sed 's/^\s*/  orgsweep: /'
  echo "  MiniStack: $(ps -o rss= -p "$(IFS=,; echo "${pids[*]}")" | awk '{s+=$1; if ($1>m) m=$1} END {printf "%d shard(s), %.0f MB resident in all (largest %.0f MB)", NR, s/1024, m/1024}')"
  fill=false
done
echo "figures in $out"
