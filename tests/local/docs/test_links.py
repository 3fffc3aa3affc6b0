"""Every relative link of README.md and docs/ reaches a file of the repository, and every #anchor a
heading of its page (GitHub's slugs), so a page that moves or renames a heading breaks no other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.local.docs.doc_blocks import ROOT, documents

LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)\)|!\[[^\]]*\]\((?P<image>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*$")
FENCE = re.compile(r"^(```|~~~)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def prose(path: Path) -> list[str]:
    """The page's lines outside fenced blocks."""
    kept, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return kept


def anchors(path: Path) -> set[str]:
    return {slug(m["text"]) for line in prose(path) if (m := HEADING.match(line))}


def links(path: Path) -> list[str]:
    return [m["target"] or m["image"] for line in prose(path) for m in LINK.finditer(line)]


def test_slugs_follow_github() -> None:
    assert slug("Terraform ↔ local cloud") == "terraform--local-cloud"
    assert slug("The local cloud (`make up`)") == "the-local-cloud-make-up"
    assert (
        slug("Why CloudFront's certificate lives in us-east-1")
        == "why-cloudfronts-certificate-lives-in-us-east-1"
    )


@pytest.mark.parametrize("page", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z]+:", target):  # https:, mailto: — not ours to check offline
            continue
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file {destination}")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading #{anchor} in {destination.relative_to(ROOT)}")
    assert broken == []
