#!/usr/bin/env bash
# Install libfaketime from Debian packages: the soak (benchmarks/soak.py) runs `dagster dev` under it so that
# "now" falls inside a trading session whatever the hour. Idempotent; run as root on a fresh machine.
set -euo pipefail

if ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; then
    echo "libfaketime present"
    exit 0
fi
command -v apt-get >/dev/null || { echo "install-faketime: apt-get not found; install faketime" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends faketime; then
    apt-get update -qq
    apt-get install -y --no-install-recommends faketime
fi
