#!/usr/bin/env bash
# Runs the whole test suite against a PostgreSQL made available the way
# run.sh does it (see postgres.sh). Extra arguments go to `go test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/postgres.sh"
cacsd_ensure_postgres
cd "$repo"
exec go test -race -count=1 "$@" ./...
