#!/usr/bin/env bash
# Measures the reconcile sweep's fan-out over an organization on MiniStack:
# 100 member accounts x 2 regions x 5 clusters x 100 access entries by
# default (bench/orgsweep fills the emulator, then sweeps it as the
# reconcile function does). Prints the time, the API calls per account, the
# peak memory, and whether the sweep fits one invocation.
#
#   ACCOUNTS=5 bench/orgsweep.sh                 # a quick run (fill 14 s, sweep 111 s on 2 cores)
#   ACCOUNTS=10 bench/orgsweep.sh                # MiniStack-bound: about 8 min
#   bench/orgsweep.sh                            # the full size: not on one MiniStack, whose EKS lists walk
#                                                # every account (hours; see docs/scanning.md#figures)
#   SWEEPS="16 32" bench/orgsweep.sh             # one sweep per value of -parallel, on one fill
#
# Everything stays on 127.0.0.1; MiniStack is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-100} REGIONS=${REGIONS:-us-east-1,us-west-2} CLUSTERS=${CLUSTERS:-5} ENTRIES=${ENTRIES:-100}
SWEEPS=${SWEEPS:-16} RATE=${RATE:-20}
bin=${MINISTACK_BIN:-.venv/bin/ministack}
[ -x "$bin" ] || { echo "orgsweep.sh: no MiniStack at $bin (make tools)" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/orgsweep.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BIND_HOST=127.0.0.1 GATEWAY_PORT=$port LOG_LEVEL=WARNING "$bin" >"$out/ministack.log" 2>&1 &
ms=$!
trap 'kill $ms 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_ministack/health" >/dev/null && break; sleep 0.2; done
go build -o "$out/orgsweep" ./bench/orgsweep
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=000000000000 AWS_SECRET_ACCESS_KEY=bench AWS_REGION=${REGIONS%%,*}
unset AWS_PROFILE
fill=true
for p in $SWEEPS; do
  echo "== -parallel $p -rate $RATE (fill: $fill)"
  /usr/bin/time -v "$out/orgsweep" -accounts "$ACCOUNTS" -regions "$REGIONS" -clusters "$CLUSTERS" -entries "$ENTRIES" \
    -parallel "$p" -rate "$RATE" -fill=$fill -json "$out/figures-$p.json" 2>"$out/time-$p.txt" | tee "$out/sweep-$p.txt"
  grep -E 'Maximum resident|Elapsed' "$out/time-$p.txt" | sed 's/^\s*/  orgsweep: /'
  echo "  MiniStack: $(ps -o rss= -p $ms | awk '{printf "%.0f MB resident", $1/1024}')"
  fill=false
done
echo "figures in $out"
