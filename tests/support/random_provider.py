"""A stand-in for the ``random`` provider plugin (``RandomPassword`` only), run by the real engine.

pulumi-resource-random cannot be built here (the Go module proxy serves no version of
github.com/pulumi/pulumi-random/provider/v4, `.ci/parts/pulumi.sh`), and the platform's
in-cluster program makes its passwords with it. This plugin serves the provider protocol for
``random:index/randomPassword:RandomPassword`` as the real one behaves for the kit's use: a
password of ``length`` characters made once at create, kept on refresh (read returns the
state), replaced when an input changes. The SDK marks ``result`` secret (additional secret
outputs), as with the real provider. Started as ``python -m support.random_provider`` by the
launcher ``pulumi-resource-random`` on PATH (support/real_engine.py).
"""

from __future__ import annotations

import asyncio
import secrets
import string
import sys
from concurrent import futures
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from marketplace_kit.platform.versions import PULUMI_PLUGINS

PASSWORD = "random:index/randomPassword:RandomPassword"
INPUTS = ("length", "special", "overrideSpecial", "upper", "lower", "numeric", "minUpper",
          "minLower", "minNumeric", "minSpecial", "keepers")


def _struct(values: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def _password(inputs: dict[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    return "".join(secrets.choice(alphabet) for _ in range(int(inputs["length"])))


class RandomPasswords(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc]
    """The provider protocol for RandomPassword."""

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return proto.PluginInfo(version=PULUMI_PLUGINS["random"])

    def CheckConfig(self, request: Any, context: Any) -> Any:
        return proto.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:
        return proto.ConfigureResponse(acceptSecrets=True)

    def Check(self, request: Any, context: Any) -> Any:
        if request.urn.split("::")[2].split("$")[-1] != PASSWORD:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"stand-in: no {request.urn}")
        return proto.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        if not changed:
            return proto.DiffResponse(changes=proto.DiffResponse.DIFF_NONE)
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_SOME, replaces=changed,
                                  deleteBeforeReplace=False)

    def Create(self, request: Any, context: Any) -> Any:
        inputs = rpc.deserialize_properties(request.properties, True)
        if request.preview:
            return proto.CreateResponse(id="", properties=request.properties)
        outputs = {**inputs, "result": _password(inputs)}
        return proto.CreateResponse(id="none", properties=_struct(outputs))

    def Read(self, request: Any, context: Any) -> Any:
        return proto.ReadResponse(id=request.id, properties=request.properties,
                                  inputs=request.inputs)

    def Delete(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def main() -> None:
    """Serve on a free loopback port and print it, as every provider plugin does."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(RandomPasswords(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        Event().wait()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
