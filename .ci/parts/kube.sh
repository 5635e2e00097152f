#!/usr/bin/env bash
# A Kubernetes API server and its etcd, built from their Go modules. Prints kube-apiserver= and
# etcd= (binaries).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/go.sh"
part_lock

# kube-apiserver: k8s.io/kubernetes at the platform's Kubernetes minor (versions.py KUBERNETES =
# 1.35); v1.35.4 is the only 1.35 patch the Go module proxy serves. Its staging modules are
# published as k8s.io/* v0.35.4.
KUBERNETES=1.35.4
STAGING=v0.${KUBERNETES#1.}
# etcd: k8s.io/kubernetes v1.35.4 builds against the etcd v3.6.5 client libraries; its server is
# go.etcd.io/etcd/server/v3 at the newest 3.6 patch the proxy serves. (Debian's etcd-server is
# 3.4, which Kubernetes no longer supports.)
ETCD=3.6.17
# Cold builds measured here (the 2-core machine shared by eight sessions): kube-apiserver 47 min
# wall, 99 MB; etcd 3.6.17 3.6 min, 27 MB. A warm cache: the version checks only.

build_apiserver() {
  local src=$PARTS_CACHE/src/kubernetes-$KUBERNETES
  go_module_copy k8s.io/kubernetes "v$KUBERNETES" "$src"
  # The module zip leaves staging/ out (nested modules): every `k8s.io/X => ./staging/src/k8s.io/X`
  # becomes a require of the published k8s.io/X of the same release. The version strings are
  # what hack/lib/version.sh sets. Its vendor/ and go.work (the staging workspace) are not used.
  local v ldflags="-s -w"
  for v in "gitVersion=v$KUBERNETES" gitMajor=1 "gitMinor=$(echo "$KUBERNETES" | cut -d. -f2)" \
           gitTreeState=clean; do
    ldflags+=" -X k8s.io/component-base/version.$v -X k8s.io/client-go/pkg/version.$v"
  done
  rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
  (cd "$src" && go_published k8s.io/ "$STAGING" &&
    go build -trimpath -ldflags "$ldflags" -o "$bin/kube-apiserver.tmp" ./cmd/kube-apiserver)
  installed kube-apiserver "$KUBERNETES" "$bin/kube-apiserver.tmp"
}

build_etcd() {
  # server/v3 is etcd's main package; its go.mod replaces api, client/pkg, client/v3 and pkg by
  # ../ folders of the monorepo: the same versions, published, instead.
  local src=$PARTS_CACHE/src/etcd-server-$ETCD
  go_module_copy go.etcd.io/etcd/server/v3 "v$ETCD" "$src"
  (cd "$src" && go_published go.etcd.io/etcd/ "v$ETCD" &&
    go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" .)
  installed etcd "$ETCD" "$bin/etcd.tmp"
}

fresh kube-apiserver "$KUBERNETES" ||
  timed_build "kube-apiserver $KUBERNETES" "$bin/kube-apiserver" build_apiserver
fresh etcd "$ETCD" || timed_build "etcd $ETCD" "$bin/etcd" build_etcd

echo "kube-apiserver=$bin/kube-apiserver"
echo "etcd=$bin/etcd"
