"""The real parts (`.ci/real-parts`) start and answer: Pulumi, kube-apiserver + etcd, moto."""

from __future__ import annotations

import json
import ssl
import subprocess
import uuid
from typing import Any

import grpc
import httpx
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from support.kube_api import KubeApi
from support.moto_server import MotoServer, kms, signed
from support.process_group import stop_group
from support.real_parts import real_part

from marketplace_kit.platform import versions


def test_apiserver_is_the_pinned_minor_and_ready(kube_api: KubeApi) -> None:
    with kube_api.client() as http:
        version = http.get("/version").json()
        assert f"{version['major']}.{version['minor']}" == versions.KUBERNETES
        assert http.get("/readyz").status_code == 200
        # Anonymous requests are not the admin: the client certificate is what authenticates.
        trust_only = ssl.create_default_context(cafile=str(kube_api.ca_file))
        anonymous = httpx.get(f"{kube_api.server}/api/v1/namespaces", verify=trust_only)
        assert anonymous.status_code in (401, 403)


def test_apiserver_stores_validates_and_dry_runs(kube_api: KubeApi) -> None:
    name = f"parts-{uuid.uuid4().hex[:8]}"
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                  "data": {"k": "v"}}
    with kube_api.client() as http:
        assert http.post("/api/v1/namespaces", json=namespace).status_code == 201
        path = f"/api/v1/namespaces/{name}/configmaps"
        dry = http.post(path, params={"dryRun": "All"}, json=config_map)
        assert dry.status_code == 201, dry.text
        assert http.get(f"{path}/c").status_code == 404  # a dry run stores nothing
        invalid = {**config_map, "metadata": {"name": "Not_A_Name"}}
        refused = http.post(path, params={"dryRun": "All"}, json=invalid)
        assert refused.status_code == 422 and refused.json()["reason"] == "Invalid"
        assert http.post(path, json=config_map).status_code == 201
        assert http.get(f"{path}/c").json()["data"] == {"k": "v"}


def test_kubeconfig_names_the_server_and_the_admin(kube_api: KubeApi) -> None:
    document = yaml.safe_load(kube_api.kubeconfig.read_text())
    assert document == kube_api.kubeconfig_document()
    assert document["clusters"][0]["cluster"]["server"] == kube_api.server
    # The service-account issuer answers discovery with the key it signs tokens with.
    with kube_api.client() as http:
        jwks = http.get("/openid/v1/jwks").json()
    assert [key["kty"] for key in jwks["keys"]] == ["EC"]


def test_moto_serves_s3_and_kms(moto: MotoServer) -> None:
    bucket = f"parts-{uuid.uuid4().hex[:8]}"
    with moto.client() as http:
        s3 = signed("s3")
        assert http.put(f"/{bucket}", headers=s3).status_code == 200
        put = http.put(f"/{bucket}/state.json", content=b'{"v": 3}', headers=s3)
        assert put.status_code == 200
        assert http.get(f"/{bucket}/state.json", headers=s3).content == b'{"v": 3}'

        def call(action: str, body: dict[str, object]) -> dict[str, Any]:
            answer = kms(http, action, body)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        key = call("CreateKey", {"Description": "parts"})["KeyMetadata"]
        sealed = call("Encrypt", {"KeyId": key["KeyId"], "Plaintext": "c2VjcmV0"})
        opened = call("Decrypt", {"CiphertextBlob": sealed["CiphertextBlob"]})
        assert opened["Plaintext"] == "c2VjcmV0"


def test_pulumi_cli_is_at_least_the_minimum_the_kit_drives() -> None:
    cli = subprocess.run([str(real_part("pulumi")), "version"], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert tuple(map(int, cli.lstrip("v").split("."))) >= tuple(
        map(int, versions.PULUMI_CLI_MINIMUM.split(".")))
    assert real_part("pulumi").parent == real_part("pulumi-bin-dir")


def test_kubernetes_provider_serves_its_embedded_schema() -> None:
    provider = real_part("pulumi-resource-kubernetes")
    assert provider.parent == real_part("pulumi-bin-dir")  # on PATH beside the CLI
    # A plugin prints the port it serves gRPC on; the engine then asks for its info and schema.
    process = subprocess.Popen([str(provider)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        limit = [("grpc.max_receive_message_length", 64 << 20)]  # the schema is ~5 MB
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=limit) as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
            schema = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=60).schema)
    finally:
        stop_group(process)
    assert schema["name"] == "kubernetes" and schema["version"] == info.version
    assert "kubernetes:apps/v1:Deployment" in schema["resources"]
