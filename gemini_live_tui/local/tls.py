"""Throwaway TLS for the local Live server.

google-genai always turns its ``base_url`` into ``wss://`` (``_websocket_base_url``), so a
server that the official SDK can reach must speak TLS.  This makes a self-signed
certificate for the loopback host in memory and returns the matching server and client
contexts.  ``cryptography`` is imported lazily: only TLS users need it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass

from gemini_live_tui.errors import ConfigError

__all__ = ["LoopbackTLS", "self_signed"]


@dataclass(frozen=True)
class LoopbackTLS:
    """A server context and a client context that trusts exactly its certificate."""

    server: ssl.SSLContext
    client: ssl.SSLContext
    certificate_pem: bytes


def self_signed(host: str = "127.0.0.1") -> LoopbackTLS:
    """A fresh self-signed certificate for ``host`` (an IP address or a name)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("TLS for the local server needs the 'cryptography' package") from exc

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gemini-live local server")])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain only reads files; the files live just long enough to be loaded.
    with tempfile.TemporaryDirectory(prefix="gemini-live-tls-") as folder:
        cert_path = os.path.join(folder, "cert.pem")
        key_path = os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as handle:
            handle.write(cert_pem)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
            handle.write(key_pem)
        server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return LoopbackTLS(server=server, client=client, certificate_pem=cert_pem)
