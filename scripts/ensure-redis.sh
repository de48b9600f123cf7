#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL's host and port (default 127.0.0.1:6379).
# This machine kind starts one; elsewhere we start a local one with the settings
# the service needs (noeviction, append-only file). We never stop a Redis.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
url=${REDIS_URL:-redis://127.0.0.1:6379}
hostport=${url#*://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[[ "$port" == "$host" ]] && port=6379

if redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG; then
  echo "redis: answering on $host:$port"
  exit 0
fi
case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *) echo "redis: nothing answers on $host:$port; start it, or fix REDIS_URL" >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis: installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server redis-tools
fi
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tmp/redis-$port
mkdir -p "$dir"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --maxmemory-policy noeviction \
  --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
for _ in $(seq 1 50); do
  redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG && { echo "redis: started on $host:$port"; exit 0; }
  sleep 0.1
done
echo "redis: did not start; see $dir/redis.log" >&2
exit 1
