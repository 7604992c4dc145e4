#!/usr/bin/env bash
# Runs the cacsd daemon on a local folder, with a PostgreSQL made available
# (see postgres.sh). Extra arguments go to `cacsd run`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/postgres.sh"
cacsd_ensure_postgres
# A server found here gets a database of cacsd's own, not the maintenance one.
[ -n "${cacsd_user_url:-}" ] || cacsd_use_database cacsd

root=${CACSD_ROOT:-$cacsd_state/data}
mkdir -p "$root/inbox" "$cacsd_state/bin"
(cd "$repo" && go build -o "$cacsd_state/bin/cacsd" ./cmd/cacsd)

cacsd_log "database: $(printf '%s' "$DATABASE_URL" | sed -E 's#//([^:@/]*):[^@]*@#//\1:xxxxx@#')"
cacsd_log "drop CACS exports into $root/inbox"
cacsd_log "imported files go to $root/processed, rejected ones to $root/failed"
cacsd_log "the custodian code for files without a recipient: ${CACSD_CUSTODIAN:-none; set CACSD_CUSTODIAN}"
exec "$cacsd_state/bin/cacsd" run --root "$root" "$@"
