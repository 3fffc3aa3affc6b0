"""Unchanged inputs rebuild nothing; a changed input rebuilds exactly what depends on it."""

from __future__ import annotations

import pytest

from tests.build.artifacts import FUNCTIONS, manifest, snapshot, statuses
from tests.build.conftest import ARCHES, Built, build_ok


@pytest.mark.parametrize("arch", ARCHES)
def test_second_run_rewrites_nothing(built: Built, arch: str) -> None:
    # given a finished build
    before = snapshot(built.out(arch))
    # when build.sh runs again on the same inputs
    result = build_ok(built.tree, arch)
    # then it reports every artifact up to date and no output file was rewritten
    reported = statuses(result.stdout)
    assert reported, result.stdout
    assert set(reported.values()) == {"up to date"}, result.stdout
    assert set(reported) == {f"{name}.zip" for name in manifest(built.out(arch))["artifacts"]} | {
        "manifest.json"
    }
    assert snapshot(built.out(arch)) == before


def test_changed_shared_code_rebuilds_every_function_but_not_the_layer(derived: Built) -> None:
    # given a change to the code every function ships
    settings = derived.tree / "functions" / "common" / "settings.py"
    settings.write_text(settings.read_text() + "\n# changed\n")
    layer_before = snapshot(derived.out("arm64"))["layer.zip"]
    # when building again
    result = build_ok(derived.tree, "arm64")
    # then each function zip is rebuilt, the layer is not, and the manifest follows
    reported = statuses(result.stdout)
    functions = [name for name in manifest(derived.out("arm64"))["artifacts"] if name != "layer"]
    assert all(reported[f"{name}.zip"] == "built" for name in functions), result.stdout
    assert reported["layer.zip"] == "up to date"
    assert snapshot(derived.out("arm64"))["layer.zip"] == layer_before
    assert reported["manifest.json"] == ("written" if functions else "up to date")


def test_changed_requirements_rebuild_the_layer_to_the_same_bytes(derived: Built) -> None:
    # given a change to layer/requirements.txt that does not change what is installed
    requirements = derived.tree / "layer" / "requirements.txt"
    requirements.write_text(requirements.read_text() + "# reviewed\n")
    layer_before = (derived.out("x86_64") / "layer.zip").read_bytes()
    # when building again
    result = build_ok(derived.tree, "x86_64")
    # then the layer alone is rebuilt, to identical bytes, and the manifest stays as it was
    reported = statuses(result.stdout)
    assert reported.pop("layer.zip") == "built"
    assert set(reported.values()) == {"up to date"}, result.stdout
    assert (derived.out("x86_64") / "layer.zip").read_bytes() == layer_before


def test_a_damaged_artifact_is_rebuilt(derived: Built) -> None:
    # given an artifact whose bytes changed after the build (not its inputs)
    artifact = derived.out("x86_64") / f"{FUNCTIONS[0]}.zip"
    expected = artifact.read_bytes()
    artifact.write_bytes(expected[:100])
    # when building again
    result = build_ok(derived.tree, "x86_64")
    # then it alone is rebuilt, as it was
    reported = statuses(result.stdout)
    assert reported.pop(artifact.name) == "built"
    assert set(reported.values()) == {"up to date"}, result.stdout
    assert artifact.read_bytes() == expected


def test_a_removed_function_leaves_no_artifact_behind(derived: Built) -> None:
    # given a function that was built, then deleted from functions/
    probe = derived.tree / "functions" / "probe"
    probe.mkdir()
    (probe / "__init__.py").write_text("")
    (probe / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n")
    build_ok(derived.tree, "arm64")
    assert "probe" in manifest(derived.out("arm64"))["artifacts"]
    (probe / "handler.py").unlink()
    (probe / "__init__.py").unlink()
    probe.rmdir()
    # when building again
    result = build_ok(derived.tree, "arm64")
    # then its zip is gone and the manifest no longer names it
    assert statuses(result.stdout)["probe.zip"] == "removed"
    assert not (derived.out("arm64") / "probe.zip").exists()
    assert "probe" not in manifest(derived.out("arm64"))["artifacts"]
