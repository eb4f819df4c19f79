#!/usr/bin/env bash
# Install the observability servers G6's tests and operators use, from Debian packages:
# prometheus (with promtool), prometheus-pushgateway and victoria-metrics.
#
# The packages are downloaded and unpacked into .cache/observability/ (no system-wide install, nothing
# starts). Running it again when the binaries are present does nothing. Needs apt-get and dpkg-deb; run it
# as root on a fresh machine so that it can refresh the package lists itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${G6_OBSERVABILITY_DIR:-$ROOT/.cache/observability}"
BIN="$DEST/usr/bin"
PACKAGES=(prometheus prometheus-pushgateway victoria-metrics)
BINARIES=(prometheus promtool prometheus-pushgateway victoria-metrics)

have_all() {
    local b
    for b in "${BINARIES[@]}"; do
        [[ -x "$BIN/$b" ]] || return 1
    done
}

if ! have_all; then
    command -v apt-get >/dev/null || { echo "install-observability: apt-get not found (Debian/Ubuntu needed)" >&2; exit 1; }
    mkdir -p "$DEST/debs"
    cd "$DEST/debs"
    if ! apt-get download "${PACKAGES[@]}" >/dev/null 2>&1; then
        echo "install-observability: refreshing package lists (apt-get update)" >&2
        apt-get update -qq
        apt-get download "${PACKAGES[@]}"
    fi
    for deb in "$DEST"/debs/*.deb; do
        dpkg-deb -x "$deb" "$DEST"
    done
    rm -rf "$DEST/debs"
    have_all || { echo "install-observability: binaries missing after unpacking into $DEST" >&2; exit 1; }
fi

for b in "${BINARIES[@]}"; do
    echo "$b: $BIN/$b"
done
