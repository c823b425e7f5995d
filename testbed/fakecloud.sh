#!/usr/bin/env bash
# fakecloud, the third-party AWS emulator (crates.io, AGPL-3.0): run as a separate process, never
# linked. Its EKS service checks that the sandbox's wire shapes agree with AWS's own models.
#
#   testbed/fakecloud.sh install   build it once into ~/.cache/accessctl/fakecloud (debug build:
#                                  ≈ the time printed; a release build takes 35-56 min here)
#   testbed/fakecloud.sh start     start it on 127.0.0.1:4566, wait until healthy, write env file
#   testbed/fakecloud.sh stop
#
# `start` writes $STATE/env with ACCESSCTL_FAKECLOUD_URL, which tests/fakecloud_wire.rs reads.
set -euo pipefail

CACHE=${ACCESSCTL_CACHE:-$HOME/.cache/accessctl}
ROOT=$CACHE/fakecloud
BIN=$ROOT/bin/fakecloud
STATE=${ACCESSCTL_FAKECLOUD_STATE:-/tmp/accessctl-fakecloud}
PORT=${ACCESSCTL_FAKECLOUD_PORT:-4566}
VERSION=0.51.0

log() { echo "[fakecloud] $*" >&2; }

install() {
    if [ -x "$BIN" ]; then
        log "reusing cached $BIN"
        return
    fi
    if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libssl-dev pkg-config >/dev/null
    fi
    log "building fakecloud $VERSION (debug) from crates.io"
    local started=$SECONDS
    CARGO_TARGET_DIR=${TMPDIR:-/tmp}/accessctl-fakecloud-target \
        cargo install "fakecloud@$VERSION" --locked --debug --root "$ROOT" >/dev/null 2>&1
    rm -rf "${TMPDIR:-/tmp}/accessctl-fakecloud-target"
    log "built in $((SECONDS - started)) s"
}

start() {
    [ -x "$BIN" ] || { log "not built (run: $0 install)"; return 1; }
    stop 2>/dev/null || true
    mkdir -p "$STATE"
    "$BIN" --addr "127.0.0.1:$PORT" >"$STATE/fakecloud.log" 2>&1 &
    echo $! > "$STATE/fakecloud.pid"
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$PORT/_fakecloud/health" >/dev/null 2>&1; then
            echo "export ACCESSCTL_FAKECLOUD_URL=http://127.0.0.1:$PORT" > "$STATE/env"
            log "ready on http://127.0.0.1:$PORT (env: $STATE/env)"
            return 0
        fi
        sleep 0.2
    done
    log "did not become healthy; last lines of its log:"
    tail -20 "$STATE/fakecloud.log" >&2
    return 1
}

stop() {
    if [ -f "$STATE/fakecloud.pid" ]; then
        kill "$(cat "$STATE/fakecloud.pid")" 2>/dev/null || true
        rm -f "$STATE/fakecloud.pid"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
