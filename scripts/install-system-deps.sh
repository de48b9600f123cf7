#!/usr/bin/env bash
# Installs the Debian packages cdap-triage needs, quietly (apt's output goes to
# .tmp/apt.log; one line says what is installed).
#
#   scripts/install-system-deps.sh service   what `cdap-triage run` needs (Dovecot for the demo, psql)
#   scripts/install-system-deps.sh test      the same, plus PostgreSQL's server programs and Chromium
#                                            for the browser tests (~360 MB)
#
# Idempotent: when everything is already present it never touches apt-get, so
# a machine that kept its packages pays nothing.
set -euo pipefail
# dpkg refuses to run when PATH lacks sbin (it needs ldconfig, start-stop-daemon).
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The lists: add a package here and every caller (start.sh, test.sh, .ci/run) gets it.
# postgresql-client: pg_isready and psql, for scripts/ensure-postgres.sh and the
# operator (the server itself, when one is needed, is that script's business).
SERVICE_PACKAGES=(dovecot-imapd postgresql-client)
# postgresql: initdb and pg_ctl, for the private clusters of the tests that stop
# the database (tests/support/harness/postgres.mjs), even when the shared one runs
# elsewhere; chromium: browser tests; prometheus: promtool, for the alert rule
# tests (deploy/prometheus).
TEST_PACKAGES=("${SERVICE_PACKAGES[@]}" postgresql chromium prometheus)

case "${1:-test}" in
  service) PACKAGES=("${SERVICE_PACKAGES[@]}") ;;
  test) PACKAGES=("${TEST_PACKAGES[@]}") ;;
  *) echo "utilisation : $0 service|test" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg-query alone is not enough: a package removed without purge still has a
  # record, so require the "install ok installed" state.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "paquets Debian : il manque ${missing[*]}, et ce n’est pas root (pas de sudo)" >&2
    exit 1
  fi
else
  SUDO=()
fi

mkdir -p .tmp
log=.tmp/apt.log
echo "paquets Debian : installation de ${missing[*]} (journal : $log)"
export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends keeps ssl-cert and friends out; Dovecot does not need them here.
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "paquets Debian : échec de l’installation ; fin de $log :" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
