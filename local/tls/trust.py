"""``make trust`` / ``make untrust``: the local CA in (or out of) the user's NSS databases, which
Chromium (``~/.pki/nssdb``) and Firefox (each profile's) read, with Debian's ``certutil``
(libnss3-tools); and the one command that does the same for the operating system's store, printed,
since it needs root.

``python -m local.tls trust|untrust [--ca-dir DIR] [--home DIR]``: ``--home`` is whose databases (the
tests trust the CA in a fresh HOME of their own, exactly this way).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from local.tls.authority import LocalCA

# Chromium's trust for a server-auth root: "C" (a trusted CA for TLS), nothing for mail and code.
TRUST_FLAGS = "C,,"


class TrustError(Exception):
    """certutil is missing or failed; the message says what to do."""


def nickname(ca: LocalCA) -> str:
    """The CA's name in the NSS database: its subject and fingerprint, so ``untrust`` removes this
    CA and no other (another clone's user, an older CA of this user)."""
    return f"Postcards local CA {ca.fingerprint[:16]}"


def nss_databases(home: Path) -> Iterator[Path]:
    """Chromium's shared database (made if missing) and every Firefox profile's (deb and snap)."""
    yield home / ".pki" / "nssdb"
    for profiles in (
        home / ".mozilla" / "firefox",
        home / "snap" / "firefox" / "common" / ".mozilla" / "firefox",
    ):
        if profiles.is_dir():
            yield from sorted(p for p in profiles.iterdir() if (p / "cert9.db").is_file())


def trust(ca: LocalCA, home: Path) -> list[Path]:
    """Add ``ca`` to every NSS database under ``home``; the databases it is in now."""
    certutil = _certutil()
    added = []
    for database in nss_databases(home):
        if not (database / "cert9.db").is_file():
            database.mkdir(parents=True, exist_ok=True, mode=0o700)
            _run(certutil, "-N", "-d", f"sql:{database}", "--empty-password")
        _run(certutil, "-D", "-d", f"sql:{database}", "-n", nickname(ca), check=False)  # once, not twice
        _run(
            certutil,
            "-A",
            "-d",
            f"sql:{database}",
            "-n",
            nickname(ca),
            "-t",
            TRUST_FLAGS,
            "-i",
            str(ca.bundle),
        )
        added.append(database)
    return added


def untrust(ca: LocalCA, home: Path) -> list[Path]:
    """Remove ``ca`` from every NSS database under ``home`` that has it; those databases."""
    certutil = _certutil()
    removed = []
    for database in nss_databases(home):
        if (database / "cert9.db").is_file() and _run(
            certutil, "-D", "-d", f"sql:{database}", "-n", nickname(ca), check=False
        ):
            removed.append(database)
    return removed


def os_store_commands(ca: LocalCA) -> tuple[str, str]:
    """The command that adds the CA to this operating system's store, and the one that removes it."""
    bundle = ca.bundle
    if platform.system() == "Darwin":
        keychain = "/Library/Keychains/System.keychain"
        return (
            f"sudo security add-trusted-cert -d -r trustRoot -k {keychain} {bundle}",
            f"sudo security remove-trusted-cert -d {bundle}",
        )
    if Path("/etc/debian_version").exists() or shutil.which("update-ca-certificates"):
        target = "/usr/local/share/ca-certificates/postcards-local-ca.crt"
        return (
            f"sudo cp {bundle} {target} && sudo update-ca-certificates",
            f"sudo rm {target} && sudo update-ca-certificates --fresh",
        )
    return (f"sudo trust anchor --store {bundle}", f"sudo trust anchor --remove {bundle}")


def _certutil() -> str:
    found = shutil.which("certutil")
    if found is None:
        raise TrustError(
            "certutil is missing: `sudo apt-get install libnss3-tools` (make trust installs it when it may)"
        )
    return found


def _run(*argv: str, check: bool = True) -> bool:
    # certutil with paths this module builds (no shell, no user input in the argv)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if check and done.returncode != 0:
        raise TrustError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.returncode == 0
