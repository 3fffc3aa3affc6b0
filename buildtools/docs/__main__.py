"""`python -m buildtools.docs [--check]`: regenerate every generated part of the docs, or, with
--check, change nothing and fail naming each stale file (make lint)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from buildtools.docs.cost import FIGURES, cost_page
from buildtools.docs.generated import DocsError, Generated, regenerate
from buildtools.docs.terraform_readme import module_readmes

ROOT = Path(__file__).resolve().parents[2]


def everything(root: Path) -> list[Generated]:
    parts = module_readmes(root / "terraform")
    if (root / FIGURES).exists():  # a repository without measured figures has no cost page
        parts.append(cost_page(root))
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m buildtools.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a generated part is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    try:
        stale = regenerate(everything(args.root), check=args.check)
    except DocsError as error:
        print(f"docs: {error}", file=sys.stderr)
        return 1
    for path in stale:
        verb = "is stale" if args.check else "updated"
        print(f"{path.relative_to(args.root)}: {verb}", file=sys.stderr if args.check else sys.stdout)
    if args.check and stale:
        print("docs: run `make docs` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
