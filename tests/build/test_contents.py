"""What the function zips and the manifest hold."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from tests.build.artifacts import FUNCTIONS, is_bytecode, manifest, names, statuses
from tests.build.conftest import ARCHES, RUNTIME, Built, build_ok

# Issue 3's budgets, whole zips, in decimal units (the stricter reading of "KB" and "MB").
FUNCTION_ZIP_BUDGET = 50 * 1000
LAYER_ZIP_BUDGET = 15 * 1000 * 1000


def _shipped_common(tree: Path) -> list[str]:
    common = tree / "functions" / "common"
    return sorted(
        f"common/{p.relative_to(common)}" for p in common.rglob("*.py") if "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("arch", ARCHES)
def test_manifest_describes_every_artifact(built: Built, arch: str) -> None:
    out = built.out(arch)
    data = manifest(out)
    # then it names the target, every function of the contract and the layer
    assert data["runtime"] == RUNTIME
    assert data["architecture"] == arch
    assert sorted(data["artifacts"]) == sorted([*FUNCTIONS, "layer"])
    # and each entry's hashes and size are those of the file it points to
    for name, artifact in data["artifacts"].items():
        content = (out / artifact["path"]).read_bytes()
        assert artifact["path"] == f"{name}.zip"
        assert artifact["sha256"] == hashlib.sha256(content).hexdigest()
        assert artifact["base64sha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
        assert artifact["size"] == len(content)


@pytest.mark.parametrize("arch", ARCHES)
def test_function_zips_hold_the_function_and_common_only(built: Built, arch: str) -> None:
    for function in FUNCTIONS:
        entries = names(built.out(arch) / f"{function}.zip")
        assert {e.split("/")[0] for e in entries} == {function, "common"}
        assert f"{function}/handler.py" in entries
        common = _shipped_common(built.tree)
        assert sorted(e for e in entries if e.startswith("common/") and not e.endswith("/")) == common
        assert not [e for e in entries if "/tests/" in e]


@pytest.mark.parametrize("arch", ARCHES)
def test_function_zips_hold_source_only(built: Built, arch: str) -> None:
    # The layer ships bytecode; the functions do not (README, "Decisions"): no .pyc, no __pycache__.
    for function in FUNCTIONS:
        entries = names(built.out(arch) / f"{function}.zip")
        assert [e for e in entries if is_bytecode(e)] == [], function
        assert any(e.endswith(".py") for e in entries), function


@pytest.mark.parametrize("arch", ARCHES)
def test_artifacts_fit_their_size_budgets(built: Built, arch: str) -> None:
    # Budgets of issue 3: small function zips deploy in seconds; the layer stays far below
    # Lambda's 50 MB (zipped) / 250 MB (unzipped) limits.
    artifacts = manifest(built.out(arch))["artifacts"]
    assert artifacts["layer"]["size"] <= LAYER_ZIP_BUDGET
    for function in FUNCTIONS:
        assert artifacts[function]["size"] <= FUNCTION_ZIP_BUDGET, function


def test_tests_caches_and_dotfiles_never_ship(derived: Built) -> None:
    # given a function (with a subpackage) next to tests, stale bytecode caches (of its modules, of
    # a deleted one, of another Python) and editor files, and such files in the shared code too
    probe = derived.tree / "functions" / "probe"
    junk = {
        "probe/tests/test_handler.py": "def test(): pass\n",
        "probe/tests/__init__.py": "",
        "probe/test_quick.py": "",
        "probe/handler_test.py": "",
        "probe/conftest.py": "",
        "probe/__pycache__/handler.cpython-313.pyc": "stale",
        "probe/__pycache__/handler.cpython-312.pyc": "",
        "probe/__pycache__/deleted.cpython-313.pyc": "",
        "probe/helpers/__pycache__/util.cpython-313.pyc": "",
        "probe/handler.pyc": "",
        "probe/.DS_Store": "",
        "probe/.mypy_cache/x.json": "",
        "common/__pycache__/aws.cpython-313.pyc": "",
        "common/test_common.py": "",
        "common/.settings.py.swp": "",
    }
    wanted = {
        "probe/__init__.py": "",
        "probe/handler.py": "def lambda_handler(event, context):\n    return event\n",
        "probe/helpers/__init__.py": "",
        "probe/helpers/util.py": "VALUE = 1\n",
        "probe/templates/page.html": "<p>shipped data files are kept</p>\n",
    }
    common = _shipped_common(derived.tree)
    for name, text in {**junk, **wanted}.items():
        path = derived.tree / "functions" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert probe.is_dir()
    # when building
    result = build_ok(derived.tree, "arm64")
    # then the probe zip holds its code and data plus common, and nothing else
    files = [e for e in names(derived.out("arm64") / "probe.zip") if not e.endswith("/")]
    assert sorted(files) == sorted([*wanted, *common])
    # and junk in common/ is no input: the other functions are not rebuilt
    reported = statuses(result.stdout)
    assert reported["probe.zip"] == "built"
    assert all(reported[f"{function}.zip"] == "up to date" for function in FUNCTIONS), result.stdout
