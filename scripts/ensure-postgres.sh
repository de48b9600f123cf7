#!/usr/bin/env bash
# Makes sure a PostgreSQL answers at DATABASE_URL's host and port (default
# 127.0.0.1:5432). This machine kind starts one; elsewhere, on a loopback host,
# we install Debian's postgresql and start its cluster. We never stop a
# PostgreSQL. The service creates its database itself when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# dpkg and pg_ctlcluster need sbin.
export PATH="$PATH:/usr/sbin:/sbin"
url=${DATABASE_URL:-}
[[ -z "$url" ]] && url=postgres://postgres@127.0.0.1:5432/cdap
hostport=${url#*://}
hostport=${hostport%%[/?]*}
hostport=${hostport##*@}
if [[ "$hostport" == \[* ]]; then
  # [::1]:5432
  host=${hostport%%]*}
  host=${host#[}
  port=${hostport##*]}
  port=${port#:}
else
  host=${hostport%:*}
  port=${hostport##*:}
  [[ "$port" == "$host" ]] && port=
fi
[[ -z "$host" ]] && host=127.0.0.1
[[ -z "$port" ]] && port=5432

if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=()
fi

installed=0
install_packages() {
  mkdir -p .tmp
  echo "postgresql : installation de $* (journal : .tmp/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@"; } >>.tmp/apt.log 2>&1; then
    echo "postgresql : échec de l’installation ; fin de .tmp/apt.log :" >&2
    tail -n 20 .tmp/apt.log >&2
    exit 1
  fi
  [[ " $* " == *" postgresql "* ]] && installed=1
  return 0
}

# 0 = accepts connections, 1 = starting or shutting down, 2 = nothing answers.
ready() {
  local status=0
  pg_isready -q -h "$host" -p "$port" -t 2 || status=$?
  return "$status"
}

loopback=0
case "$host" in
  127.0.0.1 | localhost | ::1) loopback=1 ;;
esac

if ! command -v pg_isready >/dev/null 2>&1; then
  if ((loopback)); then install_packages postgresql; else install_packages postgresql-client; fi
fi

wait_ready() {
  for _ in $(seq 1 "$1"); do
    ready && return 0
    sleep 0.1
  done
  return 1
}

status=0
ready || status=$?
# A server we did not just install is left exactly as it is.
if ((!installed)); then
  ((status == 0)) && exit 0
  if ((status == 1)); then
    # Someone's server is starting (or recovering after a crash): wait for it.
    wait_ready 600 && exit 0
    echo "postgresql : $host:$port refuse encore les connexions après 60 s" >&2
    exit 1
  fi
fi
if ((!loopback)); then
  echo "postgresql : rien ne répond sur $host:$port ; démarrez-le, ou corrigez DATABASE_URL" >&2
  exit 1
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z $(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null) ]]; then
  install_packages postgresql
fi

# The cluster on our port, else (a machine without any) a new one: the newest
# installed major version, so nothing is hard-coded.
cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p { print $1 " " $2; exit }')
if [[ -z "$cluster" ]]; then
  if [[ -n $(pg_lsclusters -h 2>/dev/null) ]]; then
    echo "postgresql : aucun cluster sur le port $port (voir pg_lsclusters) ; corrigez DATABASE_URL" >&2
    exit 1
  fi
  major=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  echo "postgresql : création du cluster $major/main sur le port $port"
  mkdir -p .tmp
  "${SUDO[@]}" pg_createcluster "$major" main --port "$port" >>.tmp/apt.log 2>&1
  cluster="$major main"
  installed=1
fi
read -r major name <<<"$cluster"

mkdir -p .tmp
# Debian's clusters ask a password over TCP; the default DATABASE_URL has none.
# Only a cluster installed by this run gets local trust (what this machine kind
# runs): we never change the authentication of a cluster someone else set up.
hba=/etc/postgresql/$major/$name/pg_hba.conf
if ((installed)) && [[ -f "$hba" ]] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
  echo "postgresql : connexion sans mot de passe depuis 127.0.0.1 et ::1 (cluster local de développement)"
  "${SUDO[@]}" sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  # On a machine with systemd, installing the package already started it.
  if "${SUDO[@]}" pg_ctlcluster "$major" "$name" status >/dev/null 2>&1; then
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$major" "$name" reload >>.tmp/postgres-start.log 2>&1
  fi
fi
if ready; then
  echo "postgresql : cluster $major/$name installé et en marche sur $host:$port"
  exit 0
fi

# Its own complaint (port taken, bad config) goes to the log named below.
"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$major" "$name" start >>.tmp/postgres-start.log 2>&1 || true
if wait_ready 300; then
  echo "postgresql : cluster $major/$name démarré sur $host:$port (il reste en marche après cdap-triage)"
  exit 0
fi
echo "postgresql : le cluster $major/$name ne démarre pas ; voir .tmp/postgres-start.log et /var/log/postgresql/postgresql-$major-$name.log" >&2
exit 1
