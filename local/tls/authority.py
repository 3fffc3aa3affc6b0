"""The local certificate authority: made once per user, outside any clone, and reused by every clone
and every ``make up``.

Its folder is ``$LOCAL_CA_DIR``, else ``${XDG_DATA_HOME:-~/.local/share}/postcards-local-ca/``
(mode 0700): ``ca.pem`` (the certificate, the bundle clients trust: ``make trust`` adds it to the NSS
database) and ``ca-key.pem`` (mode 0600). Deleting the folder (after ``make untrust``) forgets it; the
next ``make up`` makes a new one.

What it can sign is limited by an X.509 Name Constraints extension (RFC 5280 4.2.1.10, critical):
DNS names ``localhost`` and under it (``*.localhost``), and the loopback addresses ``127.0.0.0/8`` and
``::1``. A client that trusts it (OpenSSL, Go, NSS, BoringSSL all enforce the extension) therefore
cannot be fooled by it for any real site, even if its key leaked; ``issue`` refuses other names
before signing anything.

Keys are ECDSA P-256. Leaves last 395 days, as ACM's certificates do (and under the 398 days browsers
accept): https://docs.aws.amazon.com/acm/latest/userguide/managed-renewal.html
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import getpass
import ipaddress
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DIR_VARIABLE = "LOCAL_CA_DIR"
CA_FOLDER_NAME = "postcards-local-ca"
CA_VALIDITY = datetime.timedelta(days=3650)
LEAF_VALIDITY = datetime.timedelta(days=395)
# A kept leaf is replaced this long before it expires (ACM starts renewing 60 days ahead).
RENEW_BEFORE = datetime.timedelta(days=60)
# Names the CA may sign: RFC 5280 dNSName constraints match the name and every name under it.
PERMITTED_DNS = "localhost"
PERMITTED_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NotPermitted(ValueError):
    """A name the CA's name constraints do not allow it to sign."""


def default_directory() -> Path:
    """``$LOCAL_CA_DIR``, else the user's data folder (XDG Base Directory), never inside a clone."""
    given = os.environ.get(CA_DIR_VARIABLE)
    if given:
        return Path(given).expanduser().resolve()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser().resolve() / CA_FOLDER_NAME


def bundle_of(directory: Path) -> Path:
    """The CA certificate's path in a CA folder (what ``LocalCA.bundle`` is once it exists)."""
    return directory / "ca.pem"


def permits_name(name: str) -> bool:
    """Whether the CA may sign the DNS name ``name`` (a wildcard's base must be permitted too)."""
    base = name.lower().rstrip(".").removeprefix("*.")
    return base == PERMITTED_DNS or base.endswith("." + PERMITTED_DNS)


def permits_address(address: IpAddress) -> bool:
    return any(address in network for network in PERMITTED_NETWORKS)


@dataclass(frozen=True)
class LeafFiles:
    """A leaf certificate and its key on disk, as ``ssl.SSLContext.load_cert_chain`` reads them."""

    certificate: Path
    key: Path

    def read(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate.read_bytes())

    def exists(self) -> bool:
        return self.certificate.is_file() and self.key.is_file()


class LocalCA:
    """The authority: its certificate and key, loaded from (or first made in) ``directory``."""

    def __init__(
        self, directory: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey
    ) -> None:
        self.directory = directory
        self.certificate = certificate
        self._key = key

    @property
    def bundle(self) -> Path:
        """The CA certificate (PEM): what clients verify with (``AWS_CA_BUNDLE``, ``--cacert``)."""
        return bundle_of(self.directory)

    @property
    def key_path(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @classmethod
    def load(cls, directory: Path | None = None) -> LocalCA | None:
        """The CA in ``directory`` if one was made there, else None (nothing is created)."""
        folder = directory or default_directory()
        if not (bundle_of(folder).is_file() and (folder / "ca-key.pem").is_file()):
            return None
        return cls.load_or_create(folder)

    @classmethod
    def load_or_create(cls, directory: Path | None = None) -> LocalCA:
        """The CA in ``directory`` (default: ``default_directory()``), made there if it is not yet.

        Two clouds starting at once make one CA: creation holds a lock in the folder.
        """
        folder = directory or default_directory()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(folder / ".lock"):
            certificate_path, key_path = bundle_of(folder), folder / "ca-key.pem"
            if certificate_path.is_file() and key_path.is_file():
                certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
                key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
                if not isinstance(key, ec.EllipticCurvePrivateKey):
                    raise ValueError(f"{key_path} is not an EC private key")
                return cls(folder, certificate, key)
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = _ca_certificate(key)
            # The key first, created 0600 (never readable by others, not even for a moment).
            _write_private(key_path, key)
            partial = certificate_path.with_suffix(".partial")
            partial.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
            partial.replace(certificate_path)
            return cls(folder, certificate, key)

    def issue(
        self,
        dns_names: Iterable[str],
        addresses: Iterable[IpAddress] = (),
        *,
        validity: datetime.timedelta = LEAF_VALIDITY,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A server certificate for ``dns_names`` (the first is its subject) and ``addresses``."""
        names = [name.lower().rstrip(".") for name in dns_names]
        ips = list(addresses)
        refused = [n for n in names if not permits_name(n)] + [str(a) for a in ips if not permits_address(a)]
        if refused:
            allowed = "localhost, *.localhost and loopback addresses"
            raise NotPermitted(f"the local CA signs only {allowed}, not {', '.join(refused)}")
        if not names and not ips:
            raise ValueError("a certificate needs at least one name or address")
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else str(ips[0]))])
        alternative: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        alternative += [x509.IPAddress(a) for a in ips]
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))  # a clock a little behind still accepts it
            .not_valid_after(min(now + validity, self.certificate.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return certificate, key

    def issue_to(
        self, files: LeafFiles, dns_names: Iterable[str], addresses: Iterable[IpAddress] = ()
    ) -> LeafFiles:
        """``issue`` and write the certificate and its key (0600) to ``files``."""
        certificate, key = self.issue(dns_names, addresses)
        files.certificate.parent.mkdir(parents=True, exist_ok=True)
        _write_private(files.key, key)
        partial = files.certificate.with_suffix(".partial")
        partial.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        partial.replace(files.certificate)
        return files

    def ensure(
        self, files: LeafFiles, dns_names: Iterable[str], addresses: Iterable[IpAddress] = ()
    ) -> tuple[LeafFiles, bool]:
        """The leaf in ``files`` if it is this CA's, for exactly these names and addresses, and not
        due for renewal; else a new one written there. Whether it was issued now."""
        names = sorted(name.lower().rstrip(".") for name in dns_names)
        ips = sorted(addresses, key=str)
        if files.exists():
            try:
                kept = files.read()
            except ValueError:
                kept = None
            if kept is not None and self._still_good(kept, names, ips):
                return files, False
        return self.issue_to(files, names, ips), True

    def _still_good(self, certificate: x509.Certificate, names: list[str], ips: list[IpAddress]) -> bool:
        try:
            alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return False
        left = certificate.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
        return (
            self.signed(certificate)
            and sorted(alternative.get_values_for_type(x509.DNSName)) == names
            and sorted(alternative.get_values_for_type(x509.IPAddress), key=str) == ips
            and left > RENEW_BEFORE
        )

    def signed(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` was issued by this CA (not by a CA since deleted and remade)."""
        try:
            certificate.verify_directly_issued_by(self.certificate)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    # Who made it, as mkcert names its CAs: several users of one machine each have their own.
    owner = f"{getpass.getuser()}@{socket.gethostname()}"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Postcards local cloud"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, owner),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Postcards local CA ({owner})"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(PERMITTED_DNS), *(x509.IPAddress(n) for n in PERMITTED_NETWORKS)],
        excluded_subtrees=None,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(constraints, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write ``key`` (PEM, unencrypted) to ``path`` through a file that is 0600 from its creation."""
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    partial.replace(path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
