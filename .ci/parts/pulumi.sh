#!/usr/bin/env bash
# The Pulumi CLI the kit's engine tests use, built from its Go module. Prints pulumi= (the
# binary) and pulumi-bin-dir= (its folder, to put on PATH; the providers will join it).
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

fresh pulumi "$PULUMI" || timed_build "pulumi $PULUMI" "$bin/pulumi" build_cli

echo "pulumi=$bin/pulumi"
echo "pulumi-bin-dir=$bin"
