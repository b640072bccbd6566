#!/usr/bin/env bash
# Throwaway PostgreSQL 17 + pgvector servers for the tests, the benchmarks and local experiments.
#
#   eng/postgres.sh start [N]   start N servers (default 2, or $RE4_PG_SERVERS) on 127.0.0.1, on free ports
#   eng/postgres.sh env         print `export RE4_PG_CONNECTION=... RE4_PG_SHARD_CONNECTIONS=...` (for eval)
#   eng/postgres.sh status      exit 0 when the servers of this checkout are running
#   eng/postgres.sh stop        stop them and remove their temporary folders
#
# Nothing on the machine is installed or upgraded: the Debian 13 ("trixie") packages postgresql-17,
# postgresql-17-pgvector and the two libraries Debian 12 lacks (libldap2, libicu76) are fetched once with
# `apt-get download` into a cache folder ($RE4_PG_CACHE, else ~/.cache/re4/postgres-17, else the temp folder), unpacked with
# `dpkg-deb -x` into a temporary folder, and run from there with LD_LIBRARY_PATH. Set RE4_PG_BINDIR to the bin folder
# of an existing PostgreSQL 17 with pgvector to use it instead. Each server is a fresh cluster (initdb) in a temporary
# folder, trust authentication for user re4 on 127.0.0.1 only, jit=off, fsync=off (the data is disposable),
# shared_buffers 256MB (RE4_PG_SHARED_BUFFERS); the
# extension `vector` is created in the databases postgres and template1. initdb refuses to run as root, so under root
# the servers run as the unprivileged user nobody.
#
# The state (pids, folders, connection strings) is kept in artifacts/postgres/ of this checkout; the connection
# strings are written to artifacts/postgres/env. RE4_PG_SHARD_CONNECTIONS separates the strings with '|'.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
starting=""
fail() {
  say "$*"
  # A start that fails half-way leaves nothing behind (servers already started, temporary folders).
  if [ -n "$starting" ]; then starting=""; stop_servers quiet; fi
  exit 1
}

state_dir="$PWD/artifacts/postgres"
state_file="$state_dir/state"
env_file="$state_dir/env"
packages=(postgresql-17 postgresql-17-pgvector libldap2 libicu76)

as_server_user() {
  if [ "$(id -u)" = "0" ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- env LD_LIBRARY_PATH="${pg_libs:-}" "$@"
  else
    env LD_LIBRARY_PATH="${pg_libs:-}" "$@"
  fi
}

cache_dir() {
  local c="${RE4_PG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/re4/postgres-17}"
  if mkdir -p "$c" 2>/dev/null && [ -w "$c" ]; then printf '%s\n' "$c"; return; fi
  c="${TMPDIR:-/tmp}/re4-postgres-17-cache-$(id -u)"
  mkdir -p "$c" && printf '%s\n' "$c"
}

# Fetches the .deb files once (apt-get download resolves the trixie suite that eng/install-prereqs.sh configured).
fetch_packages() {
  local cache="$1" p missing=()
  for p in "${packages[@]}"; do
    compgen -G "$cache/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  command -v apt-get >/dev/null || fail "apt-get is missing: cannot fetch ${missing[*]}. Set RE4_PG_BINDIR to an existing PostgreSQL 17 + pgvector."
  local policy
  policy=$(apt-cache policy postgresql-17 2>/dev/null || true)
  if [[ "$policy" != *"Candidate: 17"* ]]; then
    fail "apt knows no postgresql-17 package: run eng/install-prereqs.sh (it adds the Debian 13 suite) or set RE4_PG_BINDIR."
  fi
  say "downloading ${missing[*]} into $cache (once)"
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp"   # apt's sandbox user writes here
  if ! (cd "$tmp" && apt-get download -t trixie "${missing[@]}" >/dev/null 2>"$tmp/apt.err"); then
    cat "$tmp/apt.err" >&2 || true
    rm -rf "$tmp"
    fail "apt-get download -t trixie ${missing[*]} failed (see above)."
  fi
  mv "$tmp"/*.deb "$cache"/
  rm -rf "$tmp"
}

running() {
  [ -f "$state_file" ] && [ -f "$env_file" ] || return 1
  local pid
  for pid in $(awk -F'\t' '$1=="server"{print $3}' "$state_file"); do
    kill -0 "$pid" 2>/dev/null || return 1
  done
  return 0
}

free_port() {
  local port used
  used=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' || true)
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 40000 ))
    printf '%s\n' "$used" | grep -qx "$port" || { printf '%s\n' "$port"; return 0; }
  done
  fail "found no free TCP port on 127.0.0.1"
}

start() {
  local count="${1:-${RE4_PG_SERVERS:-2}}"
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || fail "server count must be a positive integer; got '$count'."
  if running; then
    say "already running ($(grep -c '^server' "$state_file") servers); connection strings in $env_file"
    cat "$env_file"
    return 0
  fi
  if [ -f "$state_file" ]; then stop_servers quiet; fi
  mkdir -p "$state_dir"
  starting=1

  local root bindir
  # Under the temp folder (TMPDIR), which the unprivileged server user must be able to traverse.
  root=$(mktemp -d "${TMPDIR:-/tmp}/re4-postgres.XXXXXX")
  chmod 755 "$root"
  printf 'root\t%s\n' "$root" >"$state_file"
  if [ -n "${RE4_PG_BINDIR:-}" ]; then
    bindir="$RE4_PG_BINDIR"
    pg_libs="${LD_LIBRARY_PATH:-}"
  else
    local cache deb
    cache=$(cache_dir)
    fetch_packages "$cache"
    for deb in "$cache"/*.deb; do dpkg-deb -x "$deb" "$root/pkg" || fail "dpkg-deb -x $deb failed (a damaged download? delete $cache and retry)."; done
    chmod -R a+rX "$root/pkg"
    bindir="$root/pkg/usr/lib/postgresql/17/bin"
    pg_libs="$root/pkg/usr/lib/x86_64-linux-gnu"
  fi
  [ -x "$bindir/postgres" ] || fail "no postgres binary in $bindir."
  printf 'bindir\t%s\nlibs\t%s\n' "$bindir" "$pg_libs" >>"$state_file"

  local i data port log connections=() attempt started
  for i in $(seq 1 "$count"); do
    data="$root/data$i"
    log="$root/server$i.log"
    mkdir -p "$data"
    touch "$log"
    if [ "$(id -u)" = "0" ]; then chown nobody:nogroup "$data" "$log"; fi
    as_server_user "$bindir/initdb" -D "$data" -U re4 --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$root/initdb$i.log" 2>&1 \
      || { cat "$root/initdb$i.log" >&2; fail "initdb failed for server $i (log above)."; }
    # The extension in template1 too, so that databases created later have it.
    for db in template1 postgres; do
      echo "CREATE EXTENSION IF NOT EXISTS vector;" | as_server_user "$bindir/postgres" --single -D "$data" -c jit=off "$db" >"$root/extension$i.log" 2>&1 \
        || { cat "$root/extension$i.log" >&2; fail "could not create the extension vector on server $i (is postgresql-17-pgvector unpacked?)."; }
      if grep -q 'ERROR' "$root/extension$i.log"; then cat "$root/extension$i.log" >&2; fail "CREATE EXTENSION vector failed on server $i (log above)."; fi
    done
    started=""
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if as_server_user "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c jit=off -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=${RE4_PG_SHARED_BUFFERS:-256MB}" start >/dev/null 2>&1; then
        started=1
        break
      fi
      say "server $i did not start on port $port (attempt $attempt); retrying on another port"
    done
    [ -n "$started" ] || { tail -n 20 "$log" >&2; fail "server $i did not start (its log above)."; }
    printf 'server\t%s\t%s\t%s\n' "$data" "$(head -n 1 "$data/postmaster.pid")" "$port" >>"$state_file"
    connections+=("Host=127.0.0.1;Port=$port;Username=re4;Database=postgres")
  done

  local shards
  shards=$(IFS='|'; printf '%s' "${connections[*]}")
  {
    printf "export RE4_PG_CONNECTION='%s'\n" "${connections[0]}"
    printf "export RE4_PG_SHARD_CONNECTIONS='%s'\n" "$shards"
  } >"$env_file"
  starting=""
  say "started $count server(s) (PostgreSQL 17 + pgvector) in $root"
  cat "$env_file"
}

stop_servers() {
  local quiet="${1:-}"
  if [ ! -f "$state_file" ]; then
    [ -n "$quiet" ] || say "nothing to stop (no servers started from this checkout)"
    return 0
  fi
  local bindir root data pid
  bindir=$(awk -F'\t' '$1=="bindir"{print $2}' "$state_file")
  pg_libs=$(awk -F'\t' '$1=="libs"{print $2}' "$state_file")
  root=$(awk -F'\t' '$1=="root"{print $2}' "$state_file")
  while IFS=$'\t' read -r kind data pid _; do
    [ "$kind" = "server" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      as_server_user "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
    fi
  done <"$state_file"
  # Only a folder this script made (its name), never another path a damaged state file might hold.
  case "${root##*/}" in
    re4-postgres.*) rm -rf "$root" ;;
  esac
  rm -f "$state_file" "$env_file"
  [ -n "$quiet" ] || say "stopped"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop_servers ;;
  status) if running; then say "running"; exit 0; else say "not running"; exit 1; fi ;;
  env) running || fail "not running: start the servers with eng/postgres.sh start"; cat "$env_file" ;;
  *) echo "usage: eng/postgres.sh start [N] | stop | status | env" >&2; exit 2 ;;
esac
