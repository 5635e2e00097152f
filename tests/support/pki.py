"""A throwaway certificate authority for the tests' TLS servers and clients (one day, P-256)."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_PEM = serialization.Encoding.PEM


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The public half of a key as SubjectPublicKeyInfo PEM."""
    return key.public_key().public_bytes(_PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class CertificateAuthority:
    """A self-signed CA that issues server and client certificates valid for one day."""

    def __init__(self, common_name: str) -> None:
        self._now = datetime.datetime.now(datetime.UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = self._builder(_name(common_name), self._key).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).sign(self._key, hashes.SHA256())

    @property
    def pem(self) -> bytes:
        """The CA certificate (what clients and servers trust)."""
        return self.certificate.public_bytes(_PEM)

    def _builder(
        self, subject: x509.Name, key: ec.EllipticCurvePrivateKey
    ) -> x509.CertificateBuilder:
        issuer = subject if key is self._key else self.certificate.subject
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(minutes=5))
            .not_valid_after(self._now + datetime.timedelta(days=1))
        )

    def issue(
        self,
        common_name: str,
        *,
        hosts: tuple[str, ...] = (),
        organization: str | None = None,
        client: bool = False,
    ) -> tuple[bytes, bytes]:
        """A certificate and its key (PEM): a server's (``hosts``: DNS names, IPs) or a client's."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(_name(common_name, organization), key)
        if hosts:
            names: list[x509.GeneralName] = []
            for host in hosts:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        return builder.sign(self._key, hashes.SHA256()).public_bytes(_PEM), key_pem(key)

    def write_server(self, directory: Path, hosts: tuple[str, ...]) -> tuple[Path, Path, Path]:
        """ca.crt, server.crt and server.key for ``hosts`` in ``directory``; returns their paths."""
        cert, key = self.issue(hosts[0], hosts=hosts)
        paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
        for path, content in zip(paths, (self.pem, cert, key), strict=True):
            path.write_bytes(content)
        return paths
