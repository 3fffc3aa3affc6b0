"""Our X-Ray provider against the X-Ray SDK itself: the same handler, traced by each in a fresh
interpreter as on Lambda, sends the same documents (ids, times and request ids aside), but for the
differences ``common/xray.py`` and ``common/xray_botocore.py`` list. aws-xray-sdk is a dev
dependency for this reading only; the layer does not ship it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("xray_fidelity_calls.py")
VARYING = {"id", "start_time", "end_time", "parent_id"}


def documents_sent_by(provider: str, tmp_path: Path) -> list[dict[str, Any]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
        "LAMBDA_TASK_ROOT": str(tmp_path),  # on Lambda: tracing on (and the SDK's Lambda mode)
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "postcards",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), provider],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sent: list[dict[str, Any]] = json.loads(done.stdout.splitlines()[-1])
    assert {json.dumps(s["header"], sort_keys=True) for s in sent} == {'{"format": "json", "version": 1}'}
    return [s["document"] for s in sent]


def comparable(document: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The document without what differs from run to run; parents named by position, exceptions
    by type, stacks by their frames' labels."""
    shown = {key: value for key, value in document.items() if key not in VARYING}
    shown["parent"] = ids.get(document["parent_id"], document["parent_id"])
    if "aws" in shown:
        shown["aws"] = {k: v for k, v in shown["aws"].items() if k not in ("request_id", "id_2")}
    cause = shown.get("cause")
    if isinstance(cause, dict):
        shown["cause"] = [
            {
                **{k: v for k, v in e.items() if k not in ("id", "stack")},
                "labels": [f["label"] for f in e["stack"]],
            }
            for e in cause["exceptions"]
        ]
    elif isinstance(cause, str):
        shown["cause"] = "refers to " + ids[cause]
    return shown


def normalised(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {d["id"]: f"#{n}" for n, d in enumerate(documents)}
    for n, document in enumerate(documents):
        for e in (
            document.get("cause", {}).get("exceptions", []) if isinstance(document.get("cause"), dict) else ()
        ):
            ids[e["id"]] = f"exception of #{n}"
    return [comparable(d, ids) for d in documents]


def test_our_documents_are_the_x_ray_sdks_but_for_the_listed_differences(tmp_path: Path) -> None:
    # Given the same traced handler (our code, AWS calls that succeed and fail, an error that escapes)
    sdk = normalised(documents_sent_by("sdk", tmp_path))
    ours = normalised(documents_sent_by("ours", tmp_path))

    # Then each document is the SDK's, in the same order under the same parents, except that ours
    # record the calls' retries (botocore's count)
    assert [d["name"] for d in ours] == [d["name"] for d in sdk]
    for our, theirs in zip(ours, sdk, strict=True):
        if "aws" in our:
            assert our["aws"].pop("retries") == 0
        assert our == theirs
