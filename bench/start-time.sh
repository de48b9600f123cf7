#!/usr/bin/env bash
# Time from `./scripts/start.sh` to the dashboard's address being printed (issue 17),
# in a checkout of its own; then Ctrl-C, as a person would.
#
#   bench/start-time.sh DIR    # DIR: a clone (first start: a fresh clone after
#                              # `npm cache clean --force`; second start: run it again)
# Needs ports 8080 and 1143 free. Prints "dashboard after N s".
set -euo pipefail
dir=${1:?usage: bench/start-time.sh DIR}
out=$(mktemp)
cd "$dir"
start=$(date +%s%N)
setsid ./scripts/start.sh >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
  grep -q 'http://localhost:8080' "$out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; exit 1; }
  sleep 0.1
done
end=$(date +%s%N)
echo "dashboard after $(((end - start) / 1000000)) ms"
sleep 2
kill -INT -- "-$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
rm -f "$out"
