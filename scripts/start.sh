#!/usr/bin/env bash
# Runs cdap-triage on its default local setup on a fresh Debian machine:
# installs what is missing, makes sure Redis answers on loopback, then starts
# the service. Without IMAP_HOST it uses a local Dovecot filled with demo mail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-system-deps.sh
bash scripts/ensure-redis.sh
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json || ! -f dist/cli.js ]]; then
  npm ci --no-audit --no-fund
fi
# Through the executable itself, so the Node flags of its first line apply.
exec ./bin/cdap-triage.js run "$@"
