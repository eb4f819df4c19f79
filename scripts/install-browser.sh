#!/usr/bin/env bash
# Install the headless browser the dashboard tests drive: Debian's chromium.
# Idempotent: does nothing when /usr/bin/chromium already runs. Needs root (or sudo) and apt-get.
set -euo pipefail

BROWSER=/usr/bin/chromium

if [ -x "$BROWSER" ] && "$BROWSER" --version >/dev/null 2>&1; then
    echo "chromium present: $("$BROWSER" --version 2>/dev/null)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install chromium with this system's package manager" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: run as root (or install sudo) to install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive

# A fresh machine has no package lists yet; refresh them when chromium is not known to apt.
if ! apt-cache show chromium >/dev/null 2>&1; then
    $SUDO apt-get update
fi

if ! $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core; then
    # Package lists may be out of date (a 404 on a superseded version): refresh once and retry.
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi

"$BROWSER" --version 2>/dev/null
