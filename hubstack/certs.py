"""A private CA and a server certificate for RabbitMQ's TLS listener.

    python -m hubstack.certs OUT_DIR [--host rabbitmq] [--host localhost]

Writes ca.pem, ca.key, server.pem and server.key into OUT_DIR, unless ca.pem is already there
(so a restart keeps the certificates every client already trusts). Used by the compose stack's
one-shot `broker-init` (hubstack.broker_users init) and by the TLS tests.
"""
from __future__ import annotations

import argparse
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Pair:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Industry Hub"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "Industry Hub broker CA", days: int = 3650) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Pair(certificate, key)


def make_server(ca: Pair, hosts: list[str], days: int = 825) -> Pair:
    """A certificate for `hosts` (names or IP addresses), signed by `ca`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0])).issuer_name(ca.certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                       critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Pair(certificate, key)


def write_pair(pair: Pair, folder: Path, stem: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert.write_bytes(pair.cert_pem())
    key.touch(mode=0o600)
    key.chmod(0o600)
    key.write_bytes(pair.key_pem())
    return cert, key


def ensure_certificates(folder: Path, hosts: list[str]) -> bool:
    """Creates the CA and server certificate unless present; returns True if it created them."""
    if (folder / "ca.pem").is_file() and (folder / "server.pem").is_file():
        return False
    ca = make_ca()
    write_pair(ca, folder, "ca")
    write_pair(make_server(ca, hosts), folder, "server")
    return True


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hubstack.certs")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--host", action="append", default=None)
    args = parser.parse_args(argv)
    created = ensure_certificates(args.out_dir, args.host or ["rabbitmq", "localhost", "127.0.0.1"])
    print(f"{'created' if created else 'kept the existing'} CA and server certificate in {args.out_dir}")


if __name__ == "__main__":
    main()
