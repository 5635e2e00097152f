"""Deterministic, plausible fakes for cloud-only outputs (ids, ARNs, endpoints) and data calls.

Every value derives from the resource's type and name only, so two plans of the same program are
byte-identical and dependent code (kubeconfigs, IAM trust policies) runs on realistic shapes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

FAKE_ACCOUNT = "123456789012"

# Resource-id prefixes AWS uses for the EC2-family resources the kit creates.
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:kms/key:Key": "",
}


def digest(*parts: str) -> str:
    """A stable hex digest of the given parts."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def fake_id(type_: str, name: str) -> str:
    """A plausible physical id for a resource."""
    h = digest(type_, name)
    if type_ in _ID_PREFIXES:
        return _ID_PREFIXES[type_] + h[:17]
    return f"{name}-{h[:7]}"


def fake_arn(type_: str, name: str, region: str) -> str:
    """A plausible ARN for an AWS resource (service taken from the type token's module)."""
    module = type_.split(":")[1].split("/")[0]
    service = {"cloudwatch": "logs", "rds": "rds", "docdb": "rds"}.get(module, module)
    scope = "" if service == "iam" else region
    return f"arn:aws:{service}:{scope}:{FAKE_ACCOUNT}:{type_.rsplit(':', 1)[1].lower()}/{name}"


def _eks_cluster(name: str, h: str, region: str) -> dict[str, Any]:
    ca = base64.b64encode(f"fake-ca-for-{name}".encode()).decode()
    return {
        "endpoint": f"https://{h[:32].upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{h[:32].upper()}"}]}
        ],
        "status": "ACTIVE",
        "vpcConfig": {"clusterSecurityGroupId": f"sg-{h[32:49]}"},
    }


def _rds_instance(name: str, h: str, region: str) -> dict[str, Any]:
    host = f"{name}.c{h[:12]}.{region}.rds.amazonaws.com"
    return {
        "address": host,
        "endpoint": f"{host}:5432",
        "masterUserSecrets": [
            {"secretArn": f"arn:aws:secretsmanager:{region}:{FAKE_ACCOUNT}:secret:rds!{h[:8]}"}
        ],
    }


def _docdb_cluster(name: str, h: str, region: str) -> dict[str, Any]:
    return {
        "endpoint": f"{name}.cluster-c{h[:12]}.{region}.docdb.amazonaws.com",
        "masterUserSecrets": [
            {"secretArn": f"arn:aws:secretsmanager:{region}:{FAKE_ACCOUNT}:secret:docdb!{h[:8]}"}
        ],
    }


def _tls_private_key(name: str, h: str, region: str) -> dict[str, Any]:
    """A real P-256 key derived from the digest (deterministic; secret outputs stay masked)."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(int(h, 16) % (2**255) + 1, ec.SECP256R1())
    pkcs8 = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    sec1 = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL,
                             ser.NoEncryption())
    public = key.public_key().public_bytes(ser.Encoding.PEM,
                                           ser.PublicFormat.SubjectPublicKeyInfo)
    return {"privateKeyPemPkcs8": pkcs8.decode(), "privateKeyPem": sec1.decode(),
            "publicKeyPem": public.decode()}


def _ecr_repository(inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """ECR names a repository's ARN and URL after its name (``<platform>/<service>``)."""
    repository = str(inputs.get("name", ""))
    return {"arn": f"arn:aws:ecr:{region}:{FAKE_ACCOUNT}:repository/{repository}",
            "repositoryUrl": f"{FAKE_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{repository}"}


# Outputs the provider derives from the resource's own inputs.
INPUT_OUTPUTS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:ecr/repository:Repository": _ecr_repository,
}

# Type-specific outputs the provider computes; extend here when a component reads a new one.
TYPE_OUTPUTS: dict[str, Callable[[str, str, str], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:docdb/cluster:Cluster": _docdb_cluster,
    "aws:ec2/launchTemplate:LaunchTemplate": lambda name, h, region: {"latestVersion": 1},
    # A generated password (a secret output): tests assert it never shows in the plan JSON.
    "random:index/randomPassword:RandomPassword": lambda name, h, region: {
        "result": f"fake-password-{h[:20]}"
    },
    # A generated signing key (secret outputs): tests assert it never shows either.
    "tls:index/privateKey:PrivateKey": _tls_private_key,
    "random:index/randomId:RandomId": lambda name, h, region: {"hex": h[:8]},
}


def new_resource(
    type_: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    """The id and output state of a resource: its inputs plus the fakes the cloud would fill in."""
    state = dict(inputs)
    h = digest(type_, name)
    if type_ in INPUT_OUTPUTS:
        state.update(INPUT_OUTPUTS[type_](inputs, region))
    if type_.startswith("aws:"):
        state.setdefault("arn", fake_arn(type_, name, region))
    if type_ in TYPE_OUTPUTS:
        for key, value in TYPE_OUTPUTS[type_](name, h, region).items():
            if isinstance(value, dict) and isinstance(state.get(key), dict):
                state[key] = {**value, **state[key]}  # computed fields inside an input block
            else:
                state.setdefault(key, value)
    if type_.startswith("kubernetes:") and "apiVersion" in inputs:
        # The kubernetes SDK reads outputs by their Python names under the mocks.
        state.setdefault("api_version", inputs["apiVersion"])
    return fake_id(type_, name), state


def call(token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
    """Results of the provider data calls (invokes) the kit uses."""
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = [f"{region}{suffix}" for suffix in "abcdef"]
        return {"names": names, "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))]}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": FAKE_ACCOUNT,
            "arn": f"arn:aws:iam::{FAKE_ACCOUNT}:user/planner",
            "userId": "AIDAPLANNER",
            "id": FAKE_ACCOUNT,
        }
    if token == "aws:iam/getSessionContext:getSessionContext":
        arn = str(args.get("arn", ""))
        return {"arn": arn, "issuerArn": arn, "id": arn}  # the planner is an IAM user
    if token in ("aws:index/getRegion:getRegion",):
        return {"name": region, "region": region, "id": region}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    if token == "aws:iam/getPolicyDocument:getPolicyDocument":
        return {"json": json.dumps(args, sort_keys=True), "id": digest(token, json.dumps(args))}
    return {}
