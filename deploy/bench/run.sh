#!/usr/bin/env bash
# Measures cacsd against its performance targets and prints one Markdown
# table. Every figure is set beside a baseline measured in the same run on
# the same machine, so that a busy machine moves both sides of each ratio.
#
#   bash deploy/bench/run.sh                       # the full figures
#   CACSD_BENCH_QUICK=1 bash deploy/bench/run.sh   # smaller sizes, a few minutes
#
# PostgreSQL is found the way deploy/local finds it (DATABASE_URL in URL
# form, else the local server). The script makes databases named
# bench_cacsd_PID_*, a temporary folder and a daemon, and removes all of
# them when it exits, Ctrl-C included. Progress goes to standard error,
# the table to standard output. CACSD_BENCH_SETTLE (default 500ms) is the
# daemon's --settle.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/deploy/local/postgres.sh"
PATH=$PATH:/usr/local/go/bin

if [ -n "${CACSD_BENCH_QUICK:-}" ]; then
  decode_cases=1000 drop_files=200 small_cases=2000 large_cases=20000 latency_n=5 pgbench_s=3
else
  # About 1.2 kB a generated case: 16,500 cases make 20 MB, 165,000 make 200 MB.
  decode_cases=10000 drop_files=2000 small_cases=16500 large_cases=165000 latency_n=20 pgbench_s=10
fi
settle=${CACSD_BENCH_SETTLE:-500ms}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# calc prints an awk expression's value with two decimals.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# now_ms is the wall clock in milliseconds, without starting a process.
now_ms() { local t=${EPOCHREALTIME/./}; printf '%d' $((t / 1000)); }

# median prints the middle of the numbers on standard input.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

work= daemon_pid= pg_pid= dbs=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_pid" ]; then
    kill "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  for db in "${dbs[@]}"; do
    admin "drop database if exists \"$db\" with (force)" || log "could not drop database $db"
  done
  [ -z "$work" ] || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cacsd_ensure_postgres
psql_bin=$(cacsd_pg_bin)/psql
pgbench_bin=$(command -v pgbench || printf '%s' "$(cacsd_pg_bin)/pgbench")
[ -x "$pgbench_bin" ] || die "pgbench not found (package postgresql-client or postgresql)"
if [ ! -x /usr/bin/time ]; then
  log "installing the time package for peak memory"
  cacsd_as_root apt-get install -y -qq time >/dev/null || die "need /usr/bin/time (package time)"
fi
case $DATABASE_URL in
  postgres://* | postgresql://*) ;;
  *) die "DATABASE_URL must be a postgres:// URL" ;;
esac

admin() { "$psql_bin" "$DATABASE_URL" -Atq -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }

# db_url prints DATABASE_URL with its database replaced by $1.
db_url() { printf '%s' "$DATABASE_URL" | sed -E "s#^([a-z]+://[^/]*)(/[^?]*)?#\1/$1#"; }

# new_db makes and migrates a fresh database, and sets url to it.
new_db() {
  local name=bench_cacsd_$$_$1
  admin "create database \"$name\""
  dbs+=("$name")
  url=$(db_url "$name")
  "$bin/cacsd" migrate --database-url "$url" >"$work/migrate.out" 2>&1 ||
    die "migrate: $(cat "$work/migrate.out")"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cacsd-bench.XXXXXX")
bin=$work/bin
log "building cacsd and cacsgen"
(cd "$repo" && go build -o "$bin/cacsd" ./cmd/cacsd && go build -o "$bin/cacsgen" ./cmd/cacsgen)

gen() { # gen DIR PREFIX FILES CASES SEED
  "$bin/cacsgen" --out "$1" --prefix "$2" --files "$3" --cases "$4" --seed "$5" \
    --updates 0 --encoding utf-8
}

# 1. Decode rate against a bare encoding/xml token scan of the same bytes.
log "1: decode benchmark on $decode_cases cases"
gen "$work/decode" DEC 1 "$decode_cases" 1
export_file=$work/decode/DEC-000001.xml
export_mb=$(calc "$(stat -c %s "$export_file") / 1e6")
(cd "$repo" && CACSD_BENCH_EXPORT=$export_file go test -run '^$' \
  -bench '^Benchmark(Decode|TokenScan)$' -benchtime 3x -count 5 ./mapping/) >"$work/mapping.bench"
rate() { awk -v b="$1" '$1 ~ "^" b "-" { for (i = 2; i <= NF; i++) if ($i == "MB/s") print $(i - 1) }' \
  "$work/mapping.bench" | median; }
decode_rate=$(rate BenchmarkDecode)
scan_rate=$(rate BenchmarkTokenScan)
[ -n "$decode_rate" ] && [ -n "$scan_rate" ] || die "no benchmark figures in $work/mapping.bench"

# pg_cpu_ticks prints the CPU time, in clock ticks, that the PostgreSQL
# processes of this host have used, the ended backends that the postmaster
# reaped included. It is 0 when the server runs elsewhere.
pg_cpu_ticks() {
  local d comm f t=0
  for d in /proc/[0-9]*; do
    { read -r comm <"$d/comm"; } 2>/dev/null && [ "$comm" = postgres ] || continue
    { read -r -a f <"$d/stat"; } 2>/dev/null || continue
    t=$((t + f[13] + f[14] + f[15] + f[16]))
  done
  echo "$t"
}

# 2. One-shot import into a fresh database against validate of the same file.
log "2: validate and import of $decode_cases cases"
for _ in 1 2 3; do
  t0=$(now_ms)
  "$bin/cacsd" validate "$export_file" >/dev/null
  echo $(($(now_ms) - t0))
done >"$work/validate.ms"
validate_ms=$(median <"$work/validate.ms")
new_db import
pg0=$(pg_cpu_ticks)
t0=$(now_ms)
/usr/bin/time -f '%U %S' -o "$work/import.cpu" \
  "$bin/cacsd" import --keep --log-level warn --database-url "$url" "$export_file"
import_ms=$(($(now_ms) - t0))
pg_cpu_s=$(calc "($(pg_cpu_ticks) - $pg0) / $(getconf CLK_TCK)")
import_cpu_s=$(awk '{ printf "%.2f", $1 + $2 }' "$work/import.cpu")

# The floor under figure 2: the rows that import wrote, loaded by COPY
# (pg_dump | psql, indexes, keys and triggers all live) into a fresh
# database. No import that writes those rows can be faster than this.
# The tables the migrations seed are left out, as the new database has them.
log "2: the same rows loaded by COPY"
import_url=$url
new_db floor
admin_in() { "$psql_bin" "$1" -Atq -v ON_ERROR_STOP=1 -c "$2"; }
seeded=" $(admin_in "$url" 'select relname from pg_stat_user_tables where n_tup_ins > 0' | tr '\n' ' ') "
admin_in "$import_url" analyze >/dev/null
tables=()
for t in $(admin_in "$import_url" 'select relname from pg_stat_user_tables where n_live_tup > 0'); do
  [[ $seeded == *" $t "* ]] || tables+=(--table="public.$t")
done
"$(cacsd_pg_bin)/pg_dump" --data-only "${tables[@]}" --file "$work/rows.sql" "$import_url"
t0=$(now_ms)
"$psql_bin" "$url" -q -v ON_ERROR_STOP=1 -f "$work/rows.sql" >/dev/null
copy_ms=$(($(now_ms) - t0))
rm -f "$work/rows.sql"

# 3 and 5 share one daemon on a fresh database.
log "3: single-client commit rate with pgbench"
new_db daemon
"$psql_bin" "$url" -Atq -v ON_ERROR_STOP=1 \
  -c 'create table bench_commit (id bigserial primary key, v int not null)' >/dev/null
echo 'INSERT INTO bench_commit (v) VALUES (1);' >"$work/commit.sql"
"$pgbench_bin" -n -c 1 -T "$pgbench_s" -f "$work/commit.sql" "$url" >"$work/pgbench.out" 2>&1 ||
  die "pgbench failed: $(cat "$work/pgbench.out")"
tps=$(awk '/^tps = / { print $3; exit }' "$work/pgbench.out")
admin_db() { "$psql_bin" "$url" -Atq -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
admin_db 'drop table bench_commit'

root=$work/root
mkdir -p "$root/inbox"
gen "$work/warm" WARM 1 1 5 >/dev/null
gen "$work/drops" DROP "$drop_files" 1 2
gen "$work/latency" LAT "$latency_n" 1 4
"$bin/cacsd" run --root "$root" --database-url "$url" --http-addr '' --settle "$settle" \
  --no-migrate --shutdown-timeout 5s --log-level warn --log-format json >"$work/daemon.log" 2>&1 &
daemon_pid=$!

# One psql kept open answers each poll in under a millisecond.
# psql writes to a pipe in blocks; stdbuf makes it answer line by line.
coproc PG { exec stdbuf -oL "$psql_bin" "$url" -Atq 2>>"$work/psql.err"; }
pg_pid=$PG_PID
query() {
  printf '%s;\n' "$1" >&"${PG[1]}"
  IFS= read -r -t 10 reply <&"${PG[0]}" || die "no answer from psql: $(cat "$work/psql.err")"
}
imported() { query "select count(*) from import_file where status = 'imported'"; }

# wait_imported N SECONDS polls every 10 ms until N files are imported.
wait_imported() {
  local deadline=$(($(now_ms) + $2 * 1000))
  while imported && [ "$reply" -lt "$1" ]; do
    kill -0 "$daemon_pid" 2>/dev/null || die "daemon stopped: $(tail -n 5 "$work/daemon.log")"
    [ "$(now_ms)" -lt "$deadline" ] || die "only $reply of $1 files imported after $2 s"
    sleep 0.01
  done
}

# A first file shows the daemon is up and connected.
mv "$work/warm"/*.xml "$root/inbox/"
wait_imported 1 60

log "3: $drop_files one-case files into the running daemon"
t0=$(now_ms)
mv "$work/drops"/*.xml "$root/inbox/"
wait_imported $((drop_files + 1)) 3600
drop_ms=$(($(now_ms) - t0))
query "select count(*) from import_file where status = 'failed'"
[ "$reply" -eq 0 ] || die "$reply files failed; see $root/failed"
files_per_s=$(calc "$drop_files * 1000 / $drop_ms")

log "5: drop-to-commit latency of $latency_n single files"
settle_ms=$(awk -v s="$settle" 'BEGIN { v = s + 0; if (s ~ /ms$/) print v; else if (s ~ /s$/) print v * 1000; else print v }')
sleep 1
for f in "$work/latency"/*.xml; do
  name=$(basename "$f")
  t0=$(now_ms)
  mv "$f" "$root/inbox/"
  reply=0
  until [ "$reply" -eq 1 ]; do
    [ $(($(now_ms) - t0)) -lt 60000 ] || die "$name not imported after 60 s"
    sleep 0.002
    query "select count(*) from import_file where file_name = '$name'"
  done
  echo $(($(now_ms) - t0 - settle_ms))
  sleep 0.5
done >"$work/latency.ms"
latency_ms=$(median <"$work/latency.ms")
latency_max=$(sort -n "$work/latency.ms" | tail -n 1)

kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
kill "$pg_pid" 2>/dev/null || true
wait "$pg_pid" 2>/dev/null || true
pg_pid=

# 4. Peak memory of a one-shot import of a large and a small export.
peak() { # peak NAME CASES: imports a fresh export into a fresh database
  gen "$work/$1" "${1^^}" 1 "$2" 6
  local file=$work/$1/${1^^}-000001.xml
  new_db "$1"
  log "4: import of $(calc "$(stat -c %s "$file") / 1e6") MB ($2 cases)"
  /usr/bin/time -v -o "$work/$1.time" \
    "$bin/cacsd" import --keep --log-level warn --database-url "$url" "$file"
  size_mb=$(calc "$(stat -c %s "$file") / 1e6")
  rss_mib=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/$1.time")
  took=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/$1.time")
  rm -f "$file"
}
peak small "$small_cases"
small_mb=$size_mb small_rss=$rss_mib small_took=$took
peak large "$large_cases"
large_mb=$size_mb large_rss=$rss_mib large_took=$took

# verdict RATIO OP LIMIT prints PASS or MISS.
verdict() { awk -v r="$1" -v l="$3" -v op="$2" \
  'BEGIN { ok = (op == "ge") ? r >= l : r <= l; print ok ? "PASS" : "MISS" }'; }

r1=$(calc "$decode_rate / $scan_rate")
r2=$(calc "$import_ms / $validate_ms")
r2f=$(calc "$copy_ms / $validate_ms")
r3=$(calc "$files_per_s / $tps")
r4a=$(calc "$large_rss / 128")
r4b=$(calc "$large_rss / $small_rss")
r5=$(calc "$latency_ms / 300")

cat <<EOF
$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(go version | awk '{ print $3 }'), \
PostgreSQL $("$psql_bin" "$DATABASE_URL" -Atqc 'show server_version'), --settle $settle

| # | figure | measured | baseline | ratio | target | result |
|---|---|---|---|---|---|---|
| 1 | decode, $decode_cases cases ($export_mb MB) | $decode_rate MB/s | token scan $scan_rate MB/s | $r1 | ≥ 0.6 | $(verdict "$r1" ge 0.6) |
| 2 | \`import --keep\`, same file, fresh database | $(calc "$import_ms / 1000") s | \`validate\` $(calc "$validate_ms / 1000") s | $r2 | ≤ 1.5 | $(verdict "$r2" le 1.5) |
| 2f | the rows of 2 loaded by COPY, fresh database | $(calc "$copy_ms / 1000") s | \`validate\` $(calc "$validate_ms / 1000") s | $r2f | (floor of 2) | |
| 3 | daemon, $drop_files one-case files | $files_per_s files/s ($(calc "$drop_ms / 1000") s) | pgbench one-row insert $(calc "$tps") tx/s | $r3 | ≥ 1.0 | $(verdict "$r3" ge 1.0) |
| 4a | peak RSS, \`import\` of $large_mb MB | $large_rss MiB ($large_took) | limit 128 MiB | $r4a | ≤ 1.0 | $(verdict "$r4a" le 1.0) |
| 4b | peak RSS, $large_mb MB against $small_mb MB | $large_rss MiB | $small_rss MiB ($small_took) | $r4b | ≤ 1.5 | $(verdict "$r4b" le 1.5) |
| 5 | drop to commit, median of $latency_n, minus settle | $latency_ms ms (max $latency_max) | limit 300 ms | $r5 | ≤ 1.0 | $(verdict "$r5" le 1.0) |
EOF
echo
if [ "$pg_cpu_s" != 0.00 ]; then
  echo "Figure 2's import used $import_cpu_s s of CPU in cacsd and $pg_cpu_s s in PostgreSQL" \
    "(its processes on this host), against \`validate\` $(calc "$validate_ms / 1000") s."
else
  echo "Figure 2's import used $import_cpu_s s of CPU in cacsd; PostgreSQL runs on another host."
fi
