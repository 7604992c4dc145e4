# shellcheck shell=bash
# Sourced by the local scripts: makes sure DATABASE_URL names a PostgreSQL
# server that can be used, and exports it.
#
# In order: DATABASE_URL when already set; the local server (started if it
# is stopped, created with the Debian tools when there is none and we are
# root); else a private cluster under $CACSD_STATE, made with the installed
# PostgreSQL binaries. When there are no binaries, the postgresql package is
# installed first (as root, or with sudo).

cacsd_state=${CACSD_STATE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/state}
cacsd_private_port=${CACSD_PG_PORT:-54329}

cacsd_log() { printf 'cacsd: %s\n' "$*" >&2; }

cacsd_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else cacsd_log "need root for: $*"; return 1
  fi
}

cacsd_pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && printf '%s\n' "$d"
}

cacsd_try_url() {
  "$(cacsd_pg_bin)/psql" "$1" -Atqc 'select 1' >/dev/null 2>&1
}

# cacsd_find_local sets DATABASE_URL to the first local server that answers.
cacsd_find_local() {
  local user url
  user=$(id -un)
  for url in \
    "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" \
    "postgres://${user}@/postgres?host=/var/run/postgresql&sslmode=disable" \
    "postgres://postgres@/postgres?host=/var/run/postgresql&sslmode=disable"; do
    if cacsd_try_url "$url"; then DATABASE_URL=$url; return 0; fi
  done
  return 1
}

# cacsd_start_debian starts (or creates) the Debian cluster and gives root
# a login role; root only.
cacsd_start_debian() {
  [ "$(id -u)" -eq 0 ] && command -v pg_lsclusters >/dev/null || return 1
  local ver
  if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    ver=$(basename "$(dirname "$(cacsd_pg_bin)")")
    cacsd_log "creating PostgreSQL $ver cluster"
    pg_createcluster "$ver" main >/dev/null || return 1
  fi
  pg_lsclusters -h | while read -r v name _ status _; do
    [ "$status" = online ] || pg_ctlcluster --skip-systemctl-redirect "$v" "$name" start
  done
  for _ in $(seq 1 30); do
    runuser -u postgres -- psql -Atqc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
  runuser -u postgres -- psql -Atqc \
    "do \$\$ begin if not exists (select from pg_roles where rolname = 'root') then
       create role root superuser login; end if; end \$\$" >/dev/null
  runuser -u postgres -- psql -Atqc "select 1 from pg_database where datname = 'root'" |
    grep -q 1 || runuser -u postgres -- createdb -O root root
}

# cacsd_start_private runs a cluster of our own under $cacsd_state.
cacsd_start_private() {
  local bin data sock
  bin=$(cacsd_pg_bin) || return 1
  data=$cacsd_state/postgres
  sock=$cacsd_state/socket
  mkdir -p "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    cacsd_log "creating a private PostgreSQL cluster in $data"
    "$bin/initdb" -D "$data" -U postgres -A trust >/dev/null || return 1
  fi
  if ! "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "$bin/pg_ctl" -D "$data" -l "$cacsd_state/postgres.log" -w start \
      -o "-c listen_addresses= -k $sock -p $cacsd_private_port" >/dev/null || return 1
  fi
  DATABASE_URL="postgres://postgres@/postgres?host=$sock&port=$cacsd_private_port&sslmode=disable"
}

# cacsd_use_database NAME points DATABASE_URL, found by cacsd_ensure_postgres
# on its server's maintenance database, at database NAME, creating it.
cacsd_use_database() {
  local psql
  psql="$(cacsd_pg_bin)/psql"
  if ! "$psql" "$DATABASE_URL" -Atqc "select 1 from pg_database where datname = '$1'" | grep -q 1; then
    "$psql" "$DATABASE_URL" -qc "create database \"$1\"" >/dev/null || return 1
  fi
  DATABASE_URL=$(printf '%s' "$DATABASE_URL" | sed "s#/postgres?#/$1?#")
  export DATABASE_URL
}

cacsd_ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then export DATABASE_URL; cacsd_user_url=1; return 0; fi
  if [ -z "$(cacsd_pg_bin)" ]; then
    cacsd_log "installing PostgreSQL (package postgresql)"
    cacsd_as_root apt-get update -qq &&
      cacsd_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null ||
      { cacsd_log "could not install PostgreSQL"; return 1; }
  fi
  if cacsd_find_local; then export DATABASE_URL; return 0; fi
  if cacsd_start_debian && cacsd_find_local; then export DATABASE_URL; return 0; fi
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root; the private cluster belongs to postgres.
    cacsd_log "no usable local PostgreSQL; set DATABASE_URL"
    return 1
  fi
  cacsd_start_private && export DATABASE_URL
}
