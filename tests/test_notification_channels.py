"""The notification service's SMS and push channels against local stand-ins that check them.

SMS: the service's SigV4 signature equals botocore's for the same request; its SNS ``Publish``
reaches the kit's SNS sink, which verifies the signature and the form (and refuses a tampered
one); with IRSA the credentials come from a local STS stand-in. Push: a real encrypted Web Push
message reaches the kit's push sink, which verifies VAPID and decrypts it with ``http_ece`` (the
reference implementation) using the subscription's private key. Nothing is mocked.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import pytest
from botocore import auth as botocore_auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketplace_kit.devrun.http_sink import Request, running
from marketplace_kit.devrun.push_sink import PushSink
from marketplace_kit.devrun.sms_sink import SmsSink

SERVICE_SRC = (Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services"
               / "notification" / "src")
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def svc() -> Iterator[dict[str, ModuleType]]:
    """The notification service's channel modules (imported from its source tree)."""
    sys.path.insert(0, str(SERVICE_SRC))
    try:
        names = ("channel", "channel_settings", "sigv4", "sms", "webpush")
        yield {n: importlib.import_module(f"notification.{n}") for n in names}
    finally:
        sys.path.remove(str(SERVICE_SRC))


def message(svc: dict[str, ModuleType], subject: str = "Order 0f1e2d3c confirmed") -> Any:
    return svc["channel"].Message("evt-1", "order.order.paid", subject, "Your order is PAID.\n")


def test_the_sigv4_signature_is_botocores(svc: dict[str, ModuleType],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    url, body = "https://sns.eu-west-1.amazonaws.com/", b"Action=Publish&Message=hi%20there"
    for token in (None, "session-token"):
        ours = svc["sigv4"].signed_headers(
            url, body, svc["sigv4"].Credentials("AKIDEXAMPLE", "secret/key", token),
            "eu-west-1", "sns", NOW)
        monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
        theirs = AWSRequest("POST", url, data=body,
                            headers={"Content-Type": svc["sigv4"].FORM})
        botocore_auth.SigV4Auth(BotoCredentials("AKIDEXAMPLE", "secret/key", token), "sns",
                                "eu-west-1").add_auth(theirs)
        assert ours["authorization"] == theirs.headers["Authorization"]
        assert ours["x-amz-date"] == theirs.headers["X-Amz-Date"]


def sms_settings(svc: dict[str, ModuleType], sink: SmsSink, **extra: Any) -> Any:
    return svc["channel_settings"].ChannelSettings(
        sms_provider="sns", aws_region=sink.region, aws_endpoint_url_sns=sink.url,
        **({"aws_access_key_id": sink.access_key, "aws_secret_access_key": sink.secret_key}
           | extra))


async def test_an_sms_is_published_to_sns_signed(svc: dict[str, ModuleType],
                                                 tmp_path: Path) -> None:
    with running(SmsSink(tmp_path)) as sink:
        channel = svc["sms"].SnsChannel(sms_settings(svc, sink, sms_sender_id="Market"))
        await channel.send(svc["channel"].Address("+14155550100"), message(svc))
        [sms] = sink.messages()
        assert sms["phone_number"] == "+14155550100"
        assert sms["message"] == "Order 0f1e2d3c confirmed"
        assert sms["attributes"] == {"AWS.SNS.SMS.SMSType": "Transactional",
                                     "AWS.SNS.SMS.SenderID": "Market"}
        sink.fail_next = 1  # SNS answers 500: the channel raises (the event is retried)
        with pytest.raises(svc["channel"].ChannelError, match="500"):
            await channel.send(svc["channel"].Address("+14155550100"), message(svc))
        wrong = svc["sms"].SnsChannel(sms_settings(svc, sink, aws_secret_access_key="wrong"))
        with pytest.raises(svc["channel"].ChannelError, match="SignatureDoesNotMatch"):
            await wrong.send(svc["channel"].Address("+14155550100"), message(svc))
        assert len(sink.messages()) == 1


def test_the_sms_sink_checks_signatures_as_sns_does(tmp_path: Path) -> None:
    sink = SmsSink(tmp_path)
    sink.port = 4566
    body = b"Action=Publish&Version=2010-03-31&PhoneNumber=%2B14155550100&Message=hi"
    signed = AWSRequest("POST", sink.url, data=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore_auth.SigV4Auth(BotoCredentials(sink.access_key, sink.secret_key), "sns",
                            sink.region).add_auth(signed)
    headers = {k.lower(): v for k, v in signed.headers.items()} | {"host": "127.0.0.1:4566"}
    assert sink.answer(Request("POST", "/", headers, body)).status == 200
    tampered = body.replace(b"hi", b"ho")
    assert sink.answer(Request("POST", "/", headers, tampered)).status == 403
    assert [m["message"] for m in sink.messages()] == ["hi"]


class _Sts(BaseHTTPRequestHandler):
    """AssumeRoleWithWebIdentity: checks the form, answers the sink's key as session creds."""

    forms: ClassVar[list[dict[str, str]]] = []
    sink: SmsSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        form = dict(parse_qsl(body.decode()))
        self.forms.append(form)
        unsigned = "Authorization" not in self.headers  # the token is the proof
        ok = form.get("Action") == "AssumeRoleWithWebIdentity" and unsigned
        xml = ('<AssumeRoleWithWebIdentityResponse '
               'xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
               "<AssumeRoleWithWebIdentityResult><Credentials>"
               f"<AccessKeyId>{self.sink.access_key}</AccessKeyId>"
               f"<SecretAccessKey>{self.sink.secret_key}</SecretAccessKey>"
               "<SessionToken>irsa-session</SessionToken>"
               "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
               "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>").encode()
        self.send_response(200 if ok else 400)
        self.send_header("content-length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)

    def log_message(self, *args: Any) -> None:
        pass


async def test_irsa_credentials_come_from_sts(svc: dict[str, ModuleType], tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("eyJ.web-identity.token\n")
    with running(SmsSink(tmp_path / "sms")) as sink:
        _Sts.sink, _Sts.forms = sink, []
        sts = ThreadingHTTPServer(("127.0.0.1", 0), _Sts)
        threading.Thread(target=sts.serve_forever, daemon=True).start()
        try:
            settings = svc["channel_settings"].ChannelSettings(
                sms_provider="sns", aws_region=sink.region, aws_endpoint_url_sns=sink.url,
                aws_endpoint_url_sts=f"http://127.0.0.1:{sts.server_address[1]}/",
                aws_role_arn="arn:aws:iam::123456789012:role/notification",
                aws_web_identity_token_file=token_file)
            channel = svc["sms"].SnsChannel(settings)
            for _ in range(2):
                await channel.send(svc["channel"].Address("+14155550100"), message(svc))
        finally:
            sts.shutdown()
            sts.server_close()
        assert len(sink.messages()) == 2
    [form] = _Sts.forms  # cached until shortly before Expiration
    assert form["RoleArn"] == "arn:aws:iam::123456789012:role/notification"
    assert form["WebIdentityToken"] == "eyJ.web-identity.token"


def vapid_key(tmp_path: Path) -> Path:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    path = tmp_path / "vapid.pem"
    path.write_bytes(pem)
    return path


def push_channel(svc: dict[str, ModuleType], tmp_path: Path) -> Any:
    settings = svc["channel_settings"].ChannelSettings(
        vapid_private_key_file=vapid_key(tmp_path), vapid_subject="mailto:ops@example.com",
        push_ttl=600)
    return svc["webpush"].WebPushChannel(settings)


def address_of(svc: dict[str, ModuleType], sink: PushSink) -> Any:
    subscription = sink.subscribe()
    return svc["channel"].Address(subscription["endpoint"], subscription["keys"])


async def test_a_push_is_encrypted_for_the_browser_and_signed(
    svc: dict[str, ModuleType], tmp_path: Path
) -> None:
    with running(PushSink(tmp_path / "push")) as sink:
        channel = push_channel(svc, tmp_path)
        await channel.send(address_of(svc, sink), message(svc))
        [push] = sink.messages()
        assert push["payload"] == {"title": "Order 0f1e2d3c confirmed",
                                   "body": "Your order is PAID.\n", "event_id": "evt-1",
                                   "event_type": "order.order.paid"}
        assert (push["ttl"], push["vapid_sub"], push["urgency"]) == (600, "mailto:ops@example.com",
                                                                     "normal")
        assert push["topic"] == svc["webpush"].topic_of(message(svc))
        sink.fail_next = 1
        with pytest.raises(svc["channel"].ChannelError, match="503"):
            await channel.send(address_of(svc, sink), message(svc))
        gone = svc["channel"].Address(f"{sink.url}/push/unknown", address_of(svc, sink).keys)
        with pytest.raises(svc["channel"].Gone):
            await channel.send(gone, message(svc))
        assert len(sink.messages()) == 1


def test_the_push_sink_refuses_what_a_push_service_refuses(
    svc: dict[str, ModuleType], tmp_path: Path
) -> None:
    sink = PushSink(tmp_path)
    sink.port = 8099
    address = address_of(svc, sink)
    body = svc["webpush"].encrypt(b'{"x":1}', address.keys["p256dh"], address.keys["auth"])
    key = ec.generate_private_key(ec.SECP256R1())
    good = {"ttl": "60", "content-encoding": "aes128gcm",
            "authorization": svc["webpush"].vapid_authorization(key, address.value, "mailto:a@b.c")}
    path = address.value.removeprefix(sink.url)
    assert sink.answer(Request("POST", path, good, body)).status == 201
    other_origin = svc["webpush"].vapid_authorization(key, "https://fcm.googleapis.com/x",
                                                      "mailto:a@b.c")
    assert sink.answer(Request("POST", path, good | {"authorization": other_origin}, body)
                       ).status == 401
    assert sink.answer(Request("POST", path, {**good, "ttl": ""}, body)).status == 400
    other = address_of(svc, sink)  # encrypted for another browser: cannot be decrypted
    other_body = svc["webpush"].encrypt(b"{}", other.keys["p256dh"], other.keys["auth"])
    assert sink.answer(Request("POST", path, good, other_body)).status == 400
    assert [m["payload"] for m in sink.messages()] == [{"x": 1}]
