#!/usr/bin/env bash
# The real Kubernetes API server of the test bed: kube-apiserver v1.20.2 built from Debian's
# kubernetes source package (Debian ships the source, not server binaries), with etcd from Debian,
# both on loopback, static-token users: `admin` (system:masters) and `viewer` (no groups).
#
#   testbed/kube-apiserver.sh install   apt packages and the cached build (≈4–9 min cold, then instant)
#   testbed/kube-apiserver.sh start     start etcd and the apiserver, wait until ready, write env file
#
# EKS principals get in as on EKS: the apiserver asks an accessctl sandbox listening on
# 127.0.0.1:$ACCESSCTL_WEBHOOK_PORT (a test starts it) to review their tokens (token webhook) and,
# after its own RBAC, to apply access policies (authorization webhook), for the cluster `testbed`.
#   testbed/kube-apiserver.sh stop      stop both
#
# `start` writes $STATE/env with ACCESSCTL_KUBE_APISERVER, ACCESSCTL_KUBE_TOKEN, ACCESSCTL_KUBE_CA
# (base64 PEM) and ACCESSCTL_KUBE_VIEWER_TOKEN, which the tests read.
set -euo pipefail

CACHE=${ACCESSCTL_CACHE:-$HOME/.cache/accessctl}
BIN=$CACHE/k8s-bin
SRC=$CACHE/k8s-src
STATE=${ACCESSCTL_TESTBED_STATE:-/tmp/accessctl-testbed}
PORT=${ACCESSCTL_KUBE_PORT:-6443}
ETCD_PORT=${ACCESSCTL_ETCD_PORT:-2379}
WEBHOOK_PORT=${ACCESSCTL_WEBHOOK_PORT:-4598}

log() { echo "[kube-apiserver] $*" >&2; }

install() {
    if ! command -v etcd >/dev/null || ! command -v go >/dev/null || ! command -v curl >/dev/null || [ ! -d /usr/share/gocode/src/github.com/modern-go/reflect2 ]; then
        log "installing etcd, Go and build tools from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            golang-go etcd-server rsync golang-github-modern-go-reflect2-dev openssl ca-certificates curl >/dev/null
    fi
    if [ -x "$BIN/kube-apiserver" ]; then
        log "reusing cached $BIN/kube-apiserver"
        return
    fi
    mkdir -p "$BIN" "$SRC"
    # A deb-src entry derived from the machine's own Debian sources (no host names written here).
    if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list 2>/dev/null; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
        apt-get update -qq
    fi
    log "building kube-apiserver from Debian's source package (cold build: several minutes)"
    local started=$SECONDS
    (
        cd "$SRC"
        apt-get source --download-only kubernetes >/dev/null
        rm -rf kubernetes-1.20.2 && tar xzf kubernetes_*.orig.tar.gz
        cd kubernetes-1.20.2
        # The vendored reflect2 v1.0.1 crashes under Go >= 1.18; Debian's 1.0.2 works.
        rm -rf vendor/github.com/modern-go/reflect2.new && mkdir vendor/github.com/modern-go/reflect2.new
        cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s \
           vendor/github.com/modern-go/reflect2/LICENSE vendor/github.com/modern-go/reflect2.new/
        rm -rf vendor/github.com/modern-go/reflect2 && mv vendor/github.com/modern-go/reflect2.new vendor/github.com/modern-go/reflect2
        mkdir -p .go/src/k8s.io && ln -sfn ../../.. .go/src/k8s.io/kubernetes
        env GOPATH="$PWD/.go" CGO_ENABLED=0 GOPROXY=off GOFLAGS= HOME="$SRC/home" make WHAT=cmd/kube-apiserver >/dev/null
        cp _output/bin/kube-apiserver "$BIN/"
    )
    rm -rf "$SRC"
    log "built in $((SECONDS - started)) s: $("$BIN/kube-apiserver" --version)"
}

start() {
    install
    stop 2>/dev/null || true
    rm -rf "$STATE" && mkdir -p "$STATE/certs"
    local admin_token viewer_token
    admin_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    viewer_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '%s,admin,1,"system:masters"\n%s,viewer,2\n' "$admin_token" "$viewer_token" > "$STATE/tokens.csv"
    openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null
    # A CA and a serving certificate for 127.0.0.1, so clients verify the server as with EKS.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=accessctl-testbed-ca" \
        -keyout "$STATE/certs/ca.key" -out "$STATE/certs/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
        -keyout "$STATE/certs/apiserver.key" -out "$STATE/certs/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$STATE/certs/ext.cnf"
    openssl x509 -req -in "$STATE/certs/apiserver.csr" -CA "$STATE/certs/ca.crt" -CAkey "$STATE/certs/ca.key" \
        -CAcreateserial -days 2 -extfile "$STATE/certs/ext.cnf" -out "$STATE/certs/apiserver.crt" 2>/dev/null

    # The sandbox's webhooks; the cache TTLs are zero so a changed entry or policy counts at once.
    for hook in authenticate authorize; do
        cat > "$STATE/webhook-$hook.yaml" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: http://127.0.0.1:$WEBHOOK_PORT/_sandbox/webhook/testbed/$hook
users:
- name: apiserver
contexts:
- name: webhook
  context:
    cluster: sandbox
    user: apiserver
current-context: webhook
YAML
    done

    etcd --data-dir "$STATE/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls http://127.0.0.1:2380 \
        --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380 \
        >"$STATE/etcd.log" 2>&1 &
    echo $! > "$STATE/etcd.pid"
    "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 \
        --secure-port "$PORT" --tls-cert-file "$STATE/certs/apiserver.crt" --tls-private-key-file "$STATE/certs/apiserver.key" \
        --token-auth-file "$STATE/tokens.csv" --authorization-mode RBAC,Webhook \
        --authentication-token-webhook-config-file "$STATE/webhook-authenticate.yaml" \
        --authentication-token-webhook-version v1 --authentication-token-webhook-cache-ttl 0s \
        --authorization-webhook-config-file "$STATE/webhook-authorize.yaml" --authorization-webhook-version v1 \
        --authorization-webhook-cache-authorized-ttl 0s --authorization-webhook-cache-unauthorized-ttl 0s \
        --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$STATE/sa.key" \
        --service-account-signing-key-file "$STATE/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
        --advertise-address 127.0.0.1 >"$STATE/apiserver.log" 2>&1 &
    echo $! > "$STATE/apiserver.pid"

    local ca_b64
    ca_b64=$(base64 -w0 "$STATE/certs/ca.crt")
    for _ in $(seq 1 120); do
        if curl -fsS --cacert "$STATE/certs/ca.crt" -H "Authorization: Bearer $admin_token" \
            "https://127.0.0.1:$PORT/api/v1/namespaces/kube-system" >/dev/null 2>&1; then
            cat > "$STATE/env" <<ENV
export ACCESSCTL_KUBE_APISERVER=https://127.0.0.1:$PORT
export ACCESSCTL_KUBE_TOKEN=$admin_token
export ACCESSCTL_KUBE_VIEWER_TOKEN=$viewer_token
export ACCESSCTL_KUBE_CA=$ca_b64
export ACCESSCTL_WEBHOOK_PORT=$WEBHOOK_PORT
ENV
            log "ready on https://127.0.0.1:$PORT (env: $STATE/env)"
            return 0
        fi
        sleep 0.5
    done
    log "did not become ready; last lines of its log:"
    tail -20 "$STATE/apiserver.log" >&2
    return 1
}

stop() {
    for name in apiserver etcd; do
        if [ -f "$STATE/$name.pid" ]; then
            kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
            rm -f "$STATE/$name.pid"
        fi
    done
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
