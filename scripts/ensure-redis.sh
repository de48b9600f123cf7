#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL's host and port (default 127.0.0.1:6379).
# This machine kind starts one; elsewhere we start a local one with the settings
# the service needs (noeviction, append-only file). We never stop a Redis.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/sbin:/sbin"
url=${REDIS_URL:-redis://127.0.0.1:6379}
hostport=${url#*://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[[ "$port" == "$host" ]] && port=6379

if redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG; then
  exit 0
fi
case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *) echo "redis : rien ne répond sur $host:$port ; démarrez-le, ou corrigez REDIS_URL" >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null 2>&1; then
  mkdir -p .tmp
  echo "redis : installation de redis-server (journal : .tmp/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server redis-tools; } >>.tmp/apt.log 2>&1; then
    echo "redis : échec de l’installation ; fin de .tmp/apt.log :" >&2
    tail -n 20 .tmp/apt.log >&2
    exit 1
  fi
fi
dir=$PWD/.tmp/redis-$port
mkdir -p "$dir"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --maxmemory-policy noeviction \
  --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
for _ in $(seq 1 50); do
  redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG && { echo "redis : démarré sur $host:$port (il reste en marche après cdap-triage)"; exit 0; }
  sleep 0.1
done
echo "redis : ne démarre pas ; voir $dir/redis.log" >&2
exit 1
