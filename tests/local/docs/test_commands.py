"""Every runnable block of README.md and docs/ (doc_blocks.py: the convention) runs as documented:
``local`` blocks against the session's local cloud, ``build`` blocks in the repository. A doc that
lies fails here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.local.cloud_support import RunningCloud
from tests.local.docs.doc_blocks import ROOT, Block, all_blocks, rewrite

BLOCKS = all_blocks()
TIMEOUT_S = 180


def clean_environment(home: Path) -> dict[str, str]:
    """What a user's fresh shell has: no AWS settings of ours (a block must set what it needs), the
    venv not on PATH (a block names .venv/bin/ when it means it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCAL_"))}
    venv = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv)
    env["HOME"] = str(home)
    return env


def run(block: Block, script: str, cwd: Path, home: Path) -> None:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=clean_environment(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, (
        f"{block.id}: the documented commands exited {done.returncode}\n--- script ---\n{script}"
        f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
    )


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "local"], ids=lambda b: b.id)
def test_a_local_block_runs_on_the_local_cloud(block: Block, cloud: RunningCloud, tmp_path: Path) -> None:
    run(block, rewrite(block.script, cloud.endpoints), cwd=tmp_path, home=tmp_path)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "build"], ids=lambda b: b.id)
def test_a_build_block_runs_in_the_repository(block: Block, tmp_path: Path) -> None:
    run(block, block.script, cwd=ROOT, home=Path.home())
