#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs what is missing
# (Debian packages, npm packages), makes sure a Redis and a PostgreSQL answer on
# loopback, then
# typechecks, lints and runs every test against real servers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-system-deps.sh test
bash scripts/ensure-redis.sh
bash scripts/ensure-postgres.sh
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm test
