#!/usr/bin/env bash
# Runs cdap-triage on its default local setup on a fresh Debian machine:
# installs what the service needs (Dovecot, npm packages; not the test tools),
# makes sure Redis and PostgreSQL answer on loopback, then starts the service. Without
# IMAP_HOST it uses a local Dovecot filled with demo mail.
#
#   scripts/start.sh [--reset] [options of cdap-triage run]
#
# --reset (or --reinitialiser) starts the demo from scratch: see
# `cdap-triage demo --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reset=0
args=()
for arg in "$@"; do
  case "$arg" in
    --reset | --reinitialiser) reset=1 ;;
    *) args+=("$arg") ;;
  esac
done
mkdir -p .tmp

# apt (Dovecot, perhaps Redis and PostgreSQL) and npm (packages, build) do not depend on each
# other: on a fresh machine they run side by side.
# One after the other inside: apt allows one install at a time.
(bash scripts/install-system-deps.sh service && bash scripts/ensure-redis.sh && bash scripts/ensure-postgres.sh) &
system_pid=$!

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json || ! -f dist/cli.js ]]; then
  echo "npm : installation des paquets et compilation (journal : .tmp/npm.log)"
  if ! npm ci --no-audit --no-fund --loglevel=error >.tmp/npm.log 2>&1; then
    echo "npm : échec ; fin de .tmp/npm.log :" >&2
    tail -n 20 .tmp/npm.log >&2
    exit 1
  fi
elif [[ -n $(find src config -newer dist/cli.js -name '*.ts' -print -quit) ]]; then
  echo "npm : sources modifiées, compilation (journal : .tmp/npm.log)"
  npm run build --silent >.tmp/npm.log 2>&1 || { tail -n 20 .tmp/npm.log >&2; exit 1; }
fi
wait "$system_pid"

if ((reset)); then
  ./bin/cdap-triage.js demo --reinitialiser
fi
# Through the executable itself, so the Node flags of its first line apply.
exec ./bin/cdap-triage.js run "${args[@]}"
