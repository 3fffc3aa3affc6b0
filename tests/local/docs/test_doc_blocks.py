"""The docs' runnable blocks are found and rewritten for a test's cloud (no cloud needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local.docs.doc_blocks import DocBlockError, all_blocks, blocks_of, rewrite

ENDPOINTS = {
    "aws_endpoint_url": "https://127.0.0.1:51001",
    "controlplane_url": "http://127.0.0.1:51002",
    "container_api_url": "https://127.0.0.1:51003",
    "api_url": "http://127.0.0.1:51004/live",
    "site_url": "http://127.0.0.1:51005",
    "api_custom_domain_url": "https://api.postcards.localhost:51006",
    "ca_bundle": "/tmp/ca/ca.pem",
}


def a_doc(tmp_path: Path, text: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "docs" / "page.md"
    path.write_text(text)
    return path


def test_a_marked_block_is_found_with_its_kind_and_line_and_others_are_not(tmp_path: Path) -> None:
    path = a_doc(
        tmp_path, "# T\n\n```sh\nnot me\n```\n\n<!-- doc-test: local -->\n```sh\necho one\necho two\n```\n"
    )

    [block] = blocks_of(path, tmp_path)

    assert (block.kind, block.line, block.script) == ("local", 8, "echo one\necho two\n")
    assert block.id == "docs/page.md:8"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- doc-test: everywhere -->\n```sh\ntrue\n```\n", "unknown doc-test kind 'everywhere'"),
        ("<!-- doc-test: local -->\n\n```sh\ntrue\n```\n", "followed at once by a fenced block"),
        ("<!-- doc-test: local -->\n```python\nprint()\n```\n", "not 'python'"),
        ("<!-- doc-test: local -->\n```sh\ntrue\n", "never closes"),
    ],
)
def test_a_marker_that_cannot_run_is_an_error_not_skipped(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(DocBlockError, match=problem):
        blocks_of(a_doc(tmp_path, text), tmp_path)


def test_default_addresses_become_the_clouds() -> None:
    script = (
        "curl --cacert ~/.local/share/postcards-local-ca/ca.pem https://api.postcards.localhost:4443/v1/health\n"
        "aws --endpoint-url https://127.0.0.1:4566 lambda list-functions\n"
        "curl http://127.0.0.1:4590/config.json http://127.0.0.1:4580/_local/tls https://127.0.0.1:4570/stamps\n"
        ".venv/bin/aws s3 ls\n"
    )

    text = rewrite(script, ENDPOINTS, root=Path("/repo"))

    assert text == (
        "curl --cacert /tmp/ca/ca.pem https://api.postcards.localhost:51006/v1/health\n"
        "aws --endpoint-url https://127.0.0.1:51001 lambda list-functions\n"
        "curl http://127.0.0.1:51005/config.json http://127.0.0.1:51004/_local/tls https://127.0.0.1:51003/stamps\n"
        "/repo/.venv/bin/aws s3 ls\n"
    )


def test_every_runnable_block_of_the_docs_is_well_formed_and_there_are_some() -> None:
    blocks = all_blocks()

    assert {block.kind for block in blocks} == {"local", "build"}
    assert len([b for b in blocks if b.kind == "local"]) >= 5
    for block in blocks:
        if block.kind == "local":
            rewrite(block.script, ENDPOINTS)  # raises when a default address is left


def test_an_address_the_convention_does_not_know_is_refused() -> None:
    with pytest.raises(DocBlockError, match=r"127\.0\.0\.1:8080: not one of make up's default addresses"):
        rewrite("curl http://127.0.0.1:8080/\n", ENDPOINTS)
