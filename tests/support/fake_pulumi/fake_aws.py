"""A fake `aws` CLI (AWS CLI v2) for the provisioning tests: the calls the kit makes, recorded.

``eks get-token`` prints the ExecCredential the real CLI prints (a ``k8s-aws-v1.`` token), or
fails like it does without credentials (FAKE_AWS_FAIL=credentials); ``logs create-log-group``
answers ResourceAlreadyExistsException once a group was created (state in FAKE_AWS_STATE);
``logs put-retention-policy`` records the retention; ``eks describe-cluster`` prints a cluster
written to FAKE_AWS_STATE/clusters.json (``FakePulumi.serve_cluster``), else fails like EKS
with ResourceNotFoundException. Every call goes to FAKE_AWS_LOG as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TOKEN = "k8s-aws-v1.ZmFrZS10b2tlbg"
NO_CREDENTIALS = (
    "\nUnable to locate credentials. You can configure credentials by running \"aws configure\"."
)


def _flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def main() -> int:
    argv = sys.argv[1:]
    log = os.environ.get("FAKE_AWS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({"argv": argv}) + "\n")
    if argv[:1] == ["--version"]:
        print(os.environ.get("FAKE_AWS_VERSION", "aws-cli/2.27.50 Python/3.13.4 Linux/6.8 exe"))
        return 0
    if os.environ.get("FAKE_AWS_FAIL") == "credentials":
        print(NO_CREDENTIALS, file=sys.stderr)
        return 253
    state = Path(os.environ.get("FAKE_AWS_STATE", "/nonexistent"))
    if argv[:2] == ["eks", "get-token"]:
        print(json.dumps({
            "kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1",
            "spec": {}, "status": {"expirationTimestamp": "2030-01-01T00:00:00Z",
                                   "token": os.environ.get("FAKE_AWS_TOKEN", TOKEN)},
        }))
        return 0
    if argv[:2] == ["eks", "describe-cluster"]:
        clusters = state / "clusters.json"
        known = json.loads(clusters.read_text()) if clusters.is_file() else {}
        name = _flag(argv, "--name") or ""
        if name not in known:
            print("An error occurred (ResourceNotFoundException) when calling the "
                  f"DescribeCluster operation: No cluster found for name: {name}.",
                  file=sys.stderr)
            return 254
        print(json.dumps({"cluster": known[name]}))
        return 0
    if argv[:2] == ["logs", "create-log-group"]:
        groups = state / "log-groups.json"
        known = json.loads(groups.read_text()) if groups.is_file() else {}
        name = _flag(argv, "--log-group-name") or ""
        if name in known:
            print("An error occurred (ResourceAlreadyExistsException) when calling the "
                  "CreateLogGroup operation: The specified log group already exists",
                  file=sys.stderr)
            return 254
        known[name] = None
        state.mkdir(parents=True, exist_ok=True)
        groups.write_text(json.dumps(known))
        return 0
    if argv[:2] == ["logs", "put-retention-policy"]:
        groups = state / "log-groups.json"
        known = json.loads(groups.read_text()) if groups.is_file() else {}
        name = _flag(argv, "--log-group-name") or ""
        if name not in known:
            print("An error occurred (ResourceNotFoundException) when calling the "
                  "PutRetentionPolicy operation: The specified log group does not exist.",
                  file=sys.stderr)
            return 254
        known[name] = int(_flag(argv, "--retention-in-days") or 0)
        groups.write_text(json.dumps(known))
        return 0
    print(f"fake aws: unsupported {argv}", file=sys.stderr)
    return 252


if __name__ == "__main__":
    sys.exit(main())
