"""The local CA: made once, kept with its key private, reused; signs only loopback names."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from local.tls import authority
from local.tls.authority import LeafFiles, LocalCA, NotPermitted
from tests.local.tls.tls_support import handshake, serve_once


def test_the_ca_is_made_once_with_a_private_key_and_reused(tmp_path: Path) -> None:
    # Given no CA yet
    folder = tmp_path / "ca"

    # When it is loaded twice
    first = LocalCA.load_or_create(folder)
    second = LocalCA.load_or_create(folder)

    # Then the second is the first, its key is readable by its owner only, its folder too
    assert second.fingerprint == first.fingerprint
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert first.bundle.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" not in first.bundle.read_bytes()


def test_the_default_folder_is_the_users_data_folder_outside_any_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(authority.CA_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert authority.default_directory() == (tmp_path / "data" / "postcards-local-ca").resolve()

    monkeypatch.setenv(authority.CA_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert authority.default_directory() == (tmp_path / "elsewhere").resolve()


def test_the_ca_is_constrained_to_localhost_and_loopback_addresses(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path)

    constraints = ca.certificate.extensions.get_extension_for_class(x509.NameConstraints)

    assert constraints.critical
    assert constraints.value.permitted_subtrees == [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    ]
    basic = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.value.ca
    assert basic.value.path_length == 0


@pytest.mark.parametrize("name", ["example.com", "localhost.example.com", "notlocalhost", "*.com"])
def test_the_ca_refuses_to_sign_other_names(tmp_path: Path, name: str) -> None:
    ca = LocalCA.load_or_create(tmp_path)
    with pytest.raises(NotPermitted):
        ca.issue([name])
    with pytest.raises(NotPermitted):
        ca.issue(["www.postcards.localhost"], [ipaddress.ip_address("192.168.1.10")])


def test_a_leaf_for_loopback_names_verifies_against_the_bundle(tmp_path: Path) -> None:
    # Given a leaf for a name under localhost and a loopback address
    ca = LocalCA.load_or_create(tmp_path / "ca")
    leaf = ca.issue_to(
        LeafFiles(tmp_path / "leaf.pem", tmp_path / "leaf.key"),
        ["www.postcards.localhost"],
        [ipaddress.ip_address("127.0.0.1")],
    )

    # When a client that trusts the bundle connects by that name
    with serve_once(leaf) as port:
        version = handshake(port, "www.postcards.localhost", ca.bundle)

    # Then the chain verifies; the leaf's key is private too
    assert version.startswith("TLSv1.")
    assert stat.S_IMODE(leaf.key.stat().st_mode) == 0o600
    assert ca.signed(leaf.read())


def test_a_certificate_outside_the_constraints_does_not_verify_even_if_the_key_signs_it(
    tmp_path: Path,
) -> None:
    # Given a leaf for a real site signed with the CA's key behind issue()'s back (a stolen key)
    ca = LocalCA.load_or_create(tmp_path / "ca")
    key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bank.example")]))
        .issuer_name(ca.certificate.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("bank.example")]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = LeafFiles(tmp_path / "forged.pem", tmp_path / "forged.key")
    files.certificate.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    # When a client that trusts the CA connects to it by that name
    with serve_once(files) as port, pytest.raises(ssl.SSLCertVerificationError, match="permitted"):
        handshake(port, "bank.example", ca.bundle)


def test_a_ca_made_again_does_not_vouch_for_leaves_of_the_old_one(tmp_path: Path) -> None:
    old = LocalCA.load_or_create(tmp_path / "old")
    certificate, _ = old.issue(["a.localhost"])
    new = LocalCA.load_or_create(tmp_path / "new")
    assert old.signed(certificate)
    assert not new.signed(certificate)


def test_a_kept_leaf_is_reused_for_the_same_names_and_replaced_for_others(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path / "ca")
    files = LeafFiles(tmp_path / "edge.pem", tmp_path / "edge.key")
    loopback = [ipaddress.ip_address("127.0.0.1")]

    first, issued = ca.ensure(files, ["localhost"], loopback)
    serial = first.read().serial_number
    again, issued_again = ca.ensure(files, ["LOCALHOST."], loopback)
    kept_serial = again.read().serial_number
    other, issued_other = ca.ensure(files, ["localhost", "edge.localhost"], loopback)

    assert issued
    assert not issued_again
    assert kept_serial == serial
    assert issued_other
    assert other.read().serial_number != serial
