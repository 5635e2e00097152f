#!/usr/bin/env bash
# moto's server (PyPI moto[server]) in a venv of its own: the S3 and KMS endpoint the engine tests
# keep Pulumi state and secrets in. Prints moto= (its moto_server).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
part_lock

# Cold install measured here: 14 min wall (33 s of CPU: the machine was shared by eight
# sessions); 319 MB. A warm cache: one file check.
MOTO=5.2.6
venv=$PARTS_CACHE/$MOTO
if [ ! -e "$venv/.complete" ]; then
  start=$(date +%s)
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO"
  touch "$venv/.complete"
  echo "built moto $MOTO in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1) ($venv)" >&2
fi
echo "moto=$venv/bin/moto_server"
