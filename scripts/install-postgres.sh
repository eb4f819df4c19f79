#!/usr/bin/env bash
# Install what the PostgreSQL-backed Dagster tests need from Debian packages: the PostgreSQL 15 server
# binaries (initdb, postgres, pg_ctl), runuser (util-linux) to start them as a non-root user, and
# systemd-analyze to verify the deploy/ units. Idempotent; run as root on a fresh machine.
set -euo pipefail

need=()
ls /usr/lib/postgresql/15/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)

if [ ${#need[@]} -eq 0 ]; then
    echo "postgresql-15, runuser and systemd-analyze present"
    exit 0
fi
command -v apt-get >/dev/null || { echo "install-postgres: apt-get not found; install ${need[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${need[@]}"; then
    apt-get update -qq
    apt-get install -y --no-install-recommends "${need[@]}"
fi
