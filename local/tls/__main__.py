"""``python -m local.tls trust|untrust [--ca-dir DIR] [--home DIR]`` (``make trust``, ``make untrust``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from local.tls import trust
from local.tls.authority import LocalCA, default_directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.tls", description=__doc__)
    parser.add_argument("command", choices=("trust", "untrust"))
    parser.add_argument("--ca-dir", type=Path, default=None, help="the CA's folder (default: as make up)")
    parser.add_argument("--home", type=Path, default=Path.home(), help="whose NSS databases (default: yours)")
    args = parser.parse_args(argv)
    folder = args.ca_dir or default_directory()
    try:
        if args.command == "trust":
            ca = LocalCA.load_or_create(folder)
            databases = trust.trust(ca, args.home)
            add, _ = trust.os_store_commands(ca)
            print(f"The local CA ({ca.bundle}) is trusted by Chromium and Firefox for {args.home}:")
            for database in databases:
                print(f"  {database}")
            print(
                f"\nRestart the browser. For the operating system's store (curl, Python, ...) too:\n  {add}"
            )
            return 0
        existing = LocalCA.load(folder)
        if existing is None:
            print(f"No local CA in {folder}: nothing to remove.")
            return 0
        databases = trust.untrust(existing, args.home)
        _, remove = trust.os_store_commands(existing)
        print(f"The local CA is no longer trusted by {len(databases)} NSS database(s) for {args.home}.")
        print(f"If you added it to the operating system's store:\n  {remove}")
        print(f"To forget it altogether (the next make up makes a new one):\n  rm -r {folder}")
        return 0
    except trust.TrustError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
