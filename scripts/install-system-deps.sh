#!/usr/bin/env bash
# Installs the Debian packages the test suite and the local "run" command need.
# Idempotent: when everything is already present it never touches apt-get, so
# CI on a machine that kept its packages pays nothing.
set -euo pipefail
# dpkg refuses to run when PATH lacks sbin (it needs ldconfig, start-stop-daemon).
export PATH="$PATH:/usr/sbin:/sbin"

# One list: add a package here and every caller (.ci/run, developers) gets it.
PACKAGES=(
  dovecot-imapd
  chromium
  prometheus # promtool, for the alert rule tests (deploy/prometheus)
)

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
  echo "system deps: all present (${PACKAGES[*]})"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "system deps: missing ${missing[*]} and not root (no sudo)" >&2
    exit 1
  fi
else
  SUDO=()
fi

echo "system deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends keeps ssl-cert and friends out; Dovecot does not need them here.
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "system deps: done"
