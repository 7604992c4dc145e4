#!/usr/bin/env bash
# Runs the whole test suite against a PostgreSQL made available the way
# run.sh does it (see postgres.sh). Extra arguments go to `go test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/postgres.sh"
cacsd_ensure_postgres

# The end-to-end tests deliver files with the real tools senders use.
missing=()
command -v rsync >/dev/null || missing+=(rsync)
command -v sftp >/dev/null || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || missing+=(openssh-server)
if [ ${#missing[@]} -gt 0 ]; then
  cacsd_log "installing ${missing[*]} for the end-to-end tests"
  cacsd_as_root apt-get update -qq
  cacsd_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cd "$repo"
exec go test -race -count=1 -timeout 60m "$@" ./...
