"""Mutual TLS 1.3 for the live center: a certification authority of the testbed, the center's server
certificate and one client certificate per requester (each recipient body of the registry), issued with
the `cryptography` library (ECDSA P-256); and the `ssl` contexts the server and its requesters use.

A requester is the subject common name of the certificate it presents: the evaluator (`decide`) sees the
body the TLS handshake authenticated, never a name the request claims.

    CERTS/ca.pem  ca.key                 the authority (keep ca.key away from the servers)
    CERTS/center.pem  center.key         the center's server certificate (SAN: the hosts given)
    CERTS/requesters/BODY.pem  BODY.key  one client certificate per requester
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jukinet.model.core.errors import UserError

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 825


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jukinet testbed"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _write(folder: Path, stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (folder / f"{stem}.key").write_bytes(pem)
    (folder / f"{stem}.key").chmod(0o600)
    (folder / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _builder(subject: str, issuer: x509.Name, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
    )


def host_name(host: str) -> str:
    """`host` if it is an IP address or an ASCII DNS name (RFC 1123 labels of 1-63 letters, digits and inner
    hyphens, 253 characters at most); else a UserError for --host."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    label = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
    if not (0 < len(host) <= 253 and all(label.fullmatch(x) for x in host.rstrip(".").split("."))):
        shown = host if len(host) <= 60 else host[:60] + "..."
        raise UserError("--host", repr(shown), "allowed: an IP address or a DNS name (ASCII letters, digits, '-', '.')")
    return host


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue(out: Path, requesters: Iterable[str], hosts: Iterable[str] = DEFAULT_HOSTS, authority: str = "jukinet CA") -> int:
    """Write a new authority, the center's certificate for `hosts` and a client certificate for each requester
    into `out`; the number of certificates written."""
    ca_key = _key()
    ca_name = _name(authority)
    ca = (
        _builder(authority, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    _write(out, "ca", ca_key, ca)
    key = _key()
    center = (
        _builder("center", ca_name, key.public_key())
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(out, "center", key, center)
    n = 2
    for body in requesters:
        key = _key()
        cert = (
            _builder(body, ca_name, key.public_key())
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write(out / "requesters", body, key, cert)
        n += 1
    return n


def _tls13(ctx: ssl.SSLContext) -> ssl.SSLContext:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def server_context(certs: Path) -> ssl.SSLContext:
    """The center's context: TLS 1.3 only, a client certificate from the authority required."""
    ctx = _tls13(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(certs / "ca.pem"))
    ctx.load_cert_chain(str(certs / "center.pem"), str(certs / "center.key"))
    return ctx


def client_context(certs: Path, requester: str) -> ssl.SSLContext:
    """A requester's context: TLS 1.3 only, the center's certificate checked against the authority."""
    ctx = _tls13(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    ctx.load_verify_locations(cafile=str(certs / "ca.pem"))
    folder = certs / "requesters"
    ctx.load_cert_chain(str(folder / f"{requester}.pem"), str(folder / f"{requester}.key"))
    return ctx


def requesters_in(certs: Path) -> list[str]:
    """The requesters whose client certificates a folder holds."""
    return sorted(p.stem for p in (certs / "requesters").glob("*.pem"))


def peer_name(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The subject common name of the certificate the peer presented (verified by the handshake)."""
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for pair in rdn:
            if pair[0] == "commonName":
                return str(pair[1])
    return None
