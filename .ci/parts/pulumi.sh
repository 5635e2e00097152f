#!/usr/bin/env bash
# The Pulumi CLI and the providers the kit's engine tests use, built from their Go modules.
# Prints pulumi=, pulumi-resource-kubernetes= (binaries) and pulumi-bin-dir= (the folder holding
# all of them, to put on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/go.sh"
part_lock

# The CLI: the installed `pulumi` Python SDK is 3.272.0; the Go module proxy serves no
# github.com/pulumi/pulumi/pkg/v3 between v3.260.0 and v3.274.0, so the nearest it serves is
# 3.274.0 (a CLI newer than the SDK is supported; PULUMI_CLI_MINIMUM is 3.181.0).
# Cold build measured here: 47 min wall (7 min of CPU) on the 2-core machine shared by eight
# sessions; 117 MB. A warm cache: the version check only.
PULUMI=3.274.0
# pulumi-resource-kubernetes: the kit pins 4.34.2 (versions.py PULUMI_PLUGINS). Its Go module,
# github.com/pulumi/pulumi-kubernetes/provider/v4, has no tag of its own (the repository's tags are
# the root's v4.x.y): the proxy serves it only by pseudo-version, and of those only the commit of
# release tag v4.25.0 (f47bc2d6f199; the one `go list -m ...provider/v4@latest` answers; the
# commits of v4.29.0-v4.32.0 and 4.34.2's are refused). So the provider is 4.25.0, named so: the
# engine takes a provider found on PATH whatever the version the SDK asks for.
# Cold build measured here: 29 min wall (14 min of CPU) on the shared machine, 159 MB.
K8S_PROVIDER=4.25.0
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
# pulumi-resource-random (4.21.4) and pulumi-resource-tls (5.6.2): the proxy serves no version of
# github.com/pulumi/pulumi-random/provider/v4 nor of github.com/pulumi/pulumi-tls/provider/v5
# (their @v/list is refused), so neither can be built here; the engine tests must do without.

build_cli() {
  # pkg/v3's go.mod replaces github.com/pulumi/pulumi/sdk/v3 by ../sdk (the monorepo): build a
  # copy of the module as the main module with that replace dropped, so the require of the same
  # version of sdk/v3 comes from the proxy. The version string is sdk/v3's go/common/version.
  local src=$PARTS_CACHE/src/pulumi-pkg-v$PULUMI
  go_module_copy github.com/pulumi/pulumi/pkg/v3 "v$PULUMI" "$src"
  (cd "$src" && go mod edit -dropreplace github.com/pulumi/pulumi/sdk/v3 &&
    go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI" \
      -o "$bin/pulumi.tmp" ./cmd/pulumi)
  installed pulumi "$PULUMI" "$bin/pulumi.tmp"
}

build_kubernetes_provider() {
  # provider/v4's go.mod replaces github.com/pulumi/pulumi-kubernetes/sdk/v4 by ../sdk: dropped
  # for the version it requires, from the proxy. The module zip carries the generated schema.json
  # and terraform-mapping.json; main.go embeds schema-embed.json and
  # terraform-mapping-embed.json, which its `go:generate go run ./generate.go` writes from them
  # with the VERSION stamped in (as the Makefile does), and version.Version is set by ldflags.
  local src=$PARTS_CACHE/src/pulumi-kubernetes-provider-$K8S_PROVIDER
  go_module_copy "$K8S_PROVIDER_MODULE" "$K8S_PROVIDER_PSEUDO" "$src"
  (cd "$src" && go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 &&
    (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER go run ./generate.go) &&
    go build -trimpath \
      -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=$K8S_PROVIDER" \
      -o "$bin/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes)
  installed pulumi-resource-kubernetes "$K8S_PROVIDER" "$bin/pulumi-resource-kubernetes.tmp"
}

# The two builds run side by side (each mostly waits on the module proxy when cold).
builds=()
if ! fresh pulumi "$PULUMI"; then
  timed_build "pulumi $PULUMI" "$bin/pulumi" build_cli &
  builds+=($!)
fi
if ! fresh pulumi-resource-kubernetes "$K8S_PROVIDER"; then
  timed_build "pulumi-resource-kubernetes $K8S_PROVIDER" "$bin/pulumi-resource-kubernetes" \
    build_kubernetes_provider &
  builds+=($!)
fi
for build in "${builds[@]}"; do wait "$build"; done

echo "pulumi=$bin/pulumi"
echo "pulumi-resource-kubernetes=$bin/pulumi-resource-kubernetes"
echo "pulumi-bin-dir=$bin"
