#!/usr/bin/env bash
# Private Dovecot IMAP server on loopback, for integration tests and the local
# "run" command. Everything (config, sockets, state, logs, mail) lives in DIR, so
# several instances can run side by side and none touches /etc/dovecot.
#
#   scripts/dovecot.sh start  [--dir DIR] [--port PORT] [--user USER] [--password PASS]
#   scripts/dovecot.sh stop   [--dir DIR]
#   scripts/dovecot.sh status [--dir DIR]
#   scripts/dovecot.sh restart [--dir DIR]   (same port, user and password as before)
#
# stdout carries only the port (start, status, restart) so callers can parse it;
# every message goes to stderr.
set -euo pipefail

# dovecot and useradd live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

MAIL_USER_SYS=vmail
# default_internal_user of the Debian package; its auth process reads passwd.
DOVECOT_INTERNAL_USER=dovecot
START_TIMEOUT_S=${DOVECOT_START_TIMEOUT_S:-15}
STOP_TIMEOUT_S=${DOVECOT_STOP_TIMEOUT_S:-15}

log() { echo "dovecot.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '6,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd=${1:-}
[[ -n "$cmd" ]] || usage
shift

dir=""
port=""
user=""
password=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir=${2:?--dir needs a value}; shift 2 ;;
    --port) port=${2:?--port needs a value}; shift 2 ;;
    --user) user=${2:?--user needs a value}; shift 2 ;;
    --password) password=${2:?--password needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument: $1" ;;
  esac
done

# Dovecot only accepts absolute paths; the default is anchored to the repo, not
# to wherever the caller happens to stand.
if [[ -z "$dir" ]]; then
  dir="$REPO_ROOT/.tmp/dovecot"
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)

conf="$dir/dovecot.conf"
meta="$dir/instance.env"
log_file="$dir/dovecot.log"
startup_log="$dir/startup.log"

# Unix sockets are limited to 108 bytes and Dovecot nests some of them two
# levels deep under base_dir, so a deep DIR gets its sockets in a short,
# deterministic path derived from DIR (stop must find the same one).
base_dir="$dir/run"
if [[ ${#base_dir} -gt 60 ]]; then
  base_dir="/tmp/cdap-dovecot-$(printf '%s' "$dir" | md5sum | cut -c1-12)"
fi
pid_file="$base_dir/master.pid"
last_pid_file="$dir/master.pid.last"

port_open() {
  # A real connect proves the listener accepts, which a socket table entry does not.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# True only for a live master of *this* instance: the cmdline check guards
# against a recycled PID, and it also excludes zombies (their cmdline is empty),
# which matter because the master may linger defunct after stop when nothing
# reaps it.
pid_alive() {
  local pid=$1
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $conf"
}

# Dovecot deletes master.pid as soon as it gets SIGTERM but keeps working in
# base_dir for ~1.5 s more, so the last known PID is kept beside the config.
master_pid() {
  local pid=""
  pid=$(tr -dc '0-9' 2>/dev/null <"$pid_file" || true)
  [[ -n "$pid" ]] || pid=$(tr -dc '0-9' 2>/dev/null <"$last_pid_file" || true)
  echo "$pid"
}

load_meta() {
  if [[ -r "$meta" ]]; then
    # shellcheck disable=SC1090
    source "$meta"
  fi
}

is_running() {
  local pid
  pid=$(master_pid)
  pid_alive "$pid" || return 1
  load_meta
  [[ -n "${SAVED_PORT:-}" ]] && port_open "$SAVED_PORT"
}

log_tail() {
  local f shown=0
  for f in "$startup_log" "$log_file"; do
    if [[ -s "$f" ]]; then
      echo "---- last lines of $f ----" >&2
      tail -n 30 "$f" >&2
      shown=1
    fi
  done
  ((shown)) || log "(nothing in $startup_log nor $log_file)"
}

ensure_dovecot_installed() {
  command -v dovecot >/dev/null 2>&1 && return 0
  log "dovecot not found, installing dovecot-imapd"
  [[ $(id -u) -eq 0 ]] || die "dovecot is not installed and this is not root: run scripts/install-system-deps.sh as root"
  # Parallel test workers may all get here at once; apt/dpkg locks would make
  # all but one fail, so serialise and re-check inside the lock.
  (
    flock -w 600 9 || die "timed out waiting for the install lock"
    if ! command -v dovecot >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends dovecot-imapd >&2
    fi
  ) 9>/tmp/cdap-dovecot-install.lock
  command -v dovecot >/dev/null 2>&1 || die "dovecot-imapd installed but 'dovecot' is still not on PATH"
}

ensure_mail_user() {
  id "$MAIL_USER_SYS" >/dev/null 2>&1 && return 0
  # Dovecot refuses to store mail as uid 0, hence a dedicated system user.
  useradd -r -U -M -s /usr/sbin/nologin "$MAIL_USER_SYS" 2>/dev/null ||
    id "$MAIL_USER_SYS" >/dev/null 2>&1 || die "could not create system user $MAIL_USER_SYS"
}

write_config() {
  local home_root="$dir/home"
  cat >"$conf" <<CONF
# Generated by scripts/dovecot.sh; rewritten on every start.
instance_name = cdap-dovecot-$port
base_dir = $base_dir
state_dir = $dir/state
log_path = $log_file
info_log_path = $log_file
debug_log_path = $log_file

protocols = imap
listen = 127.0.0.1
ssl = no
# Loopback already counts as secure; stated anyway so a non-loopback client in
# some odd setup gets a clear auth failure rather than LOGINDISABLED surprises.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER_SYS gid=$MAIL_USER_SYS home=$home_root/%u
}

# System users get uids below 500 on some hosts; 0 stays refused.
first_valid_uid = 1
first_valid_gid = 1

mail_location = maildir:~/Maildir
# Test data is disposable: skipping fsync makes APPEND-heavy tests faster.
mail_fsync = never

namespace inbox {
  inbox = yes
  separator = .
  prefix =
  mailbox Drafts {
    special_use = \Drafts
  }
  mailbox Sent {
    special_use = \Sent
  }
  mailbox Trash {
    special_use = \Trash
  }
  mailbox Junk {
    special_use = \Junk
  }
}

# IDLE: inotify wakes sessions on change; this is the fallback poll when it
# cannot (e.g. inotify limits reached), kept short so tests do not wait 30 s.
mailbox_idle_check_interval = 1 secs
# Interval of the "* OK Still here" keepalive sent to idling clients.
imap_idle_notify_interval = 1 mins

protocol imap {
  # Tests open many parallel connections for one user from 127.0.0.1.
  mail_max_userip_connections = 200
}

service imap-login {
  # Named imap/imaps so they replace the built-in 143/993 listeners.
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
}

prepare_dirs() {
  mkdir -p "$dir/state" "$dir/home" "$base_dir"
  # The mail user must traverse DIR to reach its home; mkdtemp gives 0700.
  chmod 0755 "$dir"
  chown "$MAIL_USER_SYS:$MAIL_USER_SYS" "$dir/home"
  chmod 0750 "$dir/home"
  if ! runuser -u "$MAIL_USER_SYS" -- test -w "$dir/home" 2>/dev/null; then
    die "$MAIL_USER_SYS cannot write $dir/home: a parent directory of $dir is not traversable (chmod o+x it)"
  fi
  # The auth process runs as Dovecot's internal user (not root), which must read it.
  printf '%s:{PLAIN}%s\n' "$user" "$password" >"$dir/passwd"
  chown "root:$(id -gn "$DOVECOT_INTERNAL_USER")" "$dir/passwd"
  chmod 0640 "$dir/passwd"
  printf 'SAVED_PORT=%q\nSAVED_USER=%q\nSAVED_PASSWORD=%q\n' "$port" "$user" "$password" >"$meta"
}

do_start() {
  load_meta
  if is_running; then
    if [[ -n "$port" && "$port" != "$SAVED_PORT" ]]; then
      die "already running for $dir on port $SAVED_PORT (asked for $port): stop it first"
    fi
    log "already running for $dir on port $SAVED_PORT"
    echo "$SAVED_PORT"
    return 0
  fi

  port=${port:-${SAVED_PORT:-1143}}
  user=${user:-${SAVED_USER:-cdap}}
  password=${password:-${SAVED_PASSWORD:-cdap-local}}
  [[ "$port" =~ ^[0-9]+$ && "$port" -gt 0 && "$port" -lt 65536 ]] || die "invalid port: $port"
  [[ "$user" != *:* && "$password" != *$'\n'* ]] || die "user must not contain ':' nor password a newline"

  # A master without an open port is either a stale one (it would make the new
  # one refuse to start) or one still shutting down after stop: let it finish
  # before reusing its base_dir.
  local old_pid
  old_pid=$(master_pid)
  if pid_alive "$old_pid"; then
    kill -TERM "$old_pid" 2>/dev/null || true
    local wait_deadline=$((SECONDS + STOP_TIMEOUT_S))
    while pid_alive "$old_pid"; do
      if ((SECONDS >= wait_deadline)); then
        log "previous master $old_pid for $dir did not exit, killing it"
        kill -KILL "$old_pid" 2>/dev/null || true
        break
      fi
      sleep 0.05
    done
  fi

  if port_open "$port"; then
    die "port $port on 127.0.0.1 is already in use by another process"
  fi

  ensure_dovecot_installed
  ensure_mail_user
  prepare_dirs
  write_config
  : >"$startup_log"

  # stdio goes to a file: a daemon holding the caller's pipe would keep a
  # Node execFile (or a shell command substitution) waiting forever.
  if ! dovecot -c "$conf" </dev/null >"$startup_log" 2>&1; then
    log "dovecot refused to start (config $conf)"
    log_tail
    exit 1
  fi

  local deadline=$((SECONDS + START_TIMEOUT_S)) pid
  until port_open "$port"; do
    if ((SECONDS >= deadline)); then
      log "port $port did not accept connections within ${START_TIMEOUT_S}s"
      log_tail
      # A master that cannot serve would only hold base_dir and confuse the next start.
      pid=$(master_pid)
      pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
      exit 1
    fi
    pid=$(tr -dc '0-9' 2>/dev/null <"$pid_file" || true)
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      log "dovecot master exited during startup"
      log_tail
      exit 1
    fi
    sleep 0.05
  done
  master_pid >"$last_pid_file"
  log "started for $dir on 127.0.0.1:$port (user $user)"
  echo "$port"
}

do_stop() {
  load_meta
  local pid
  pid=$(master_pid)
  if ! pid_alive "$pid"; then
    if [[ -n "${SAVED_PORT:-}" ]] && port_open "$SAVED_PORT"; then
      die "no live master for $dir but port $SAVED_PORT is still open (another process?)"
    fi
    log "not running for $dir"
    return 0
  fi

  # Not "dovecot stop": it also waits for the master PID to vanish, which costs
  # ~1.5 s more than the listener closing (and forever for a zombie).
  kill -TERM "$pid" 2>/dev/null || true

  # The port is the thing tests care about: the master may stay defunct.
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while [[ -n "${SAVED_PORT:-}" ]] && port_open "$SAVED_PORT"; do
    if ((SECONDS >= deadline)); then
      log "port $SAVED_PORT still open after ${STOP_TIMEOUT_S}s, killing master $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      port_open "$SAVED_PORT" && die "port $SAVED_PORT still open after SIGKILL of $pid"
      break
    fi
    sleep 0.05
  done
  log "stopped for $dir"
}

do_status() {
  if is_running; then
    log "running for $dir on 127.0.0.1:$SAVED_PORT (pid $(master_pid))"
    echo "$SAVED_PORT"
  else
    log "not running for $dir"
    exit 3
  fi
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  restart)
    do_stop
    do_start
    ;;
  *) usage ;;
esac
