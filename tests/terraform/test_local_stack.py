"""``local.cloud.stack.Stack`` drives a real terraform on a small root of its own (one local module and
``terraform_data`` resources, which need no provider download): Terraform's data folder is shared
between state folders and initialised once per set of init inputs, the apply's progress names
every resource, and a first apply says when it can serve while a slow resource is still pending."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from local.cloud.stack import Stack, StackError
from local.config import Config

MODULE = 'resource "terraform_data" "each" {\n  for_each = toset(["a b", "c"])\n  input    = each.key\n}\n'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project folder whose terraform/ root takes the variables the local cloud passes."""
    project = tmp_path / "project"
    (project / "terraform" / "modules" / "things").mkdir(parents=True)
    names = Stack(Config(root=project)).variables()
    declarations = "".join(f'variable "{name}" {{\n  type = string\n}}\n' for name in names)
    (project / "terraform" / "main.tf").write_text(
        declarations + 'module "things" {\n  source = "./modules/things"\n}\n'
    )
    (project / "terraform" / "modules" / "things" / "main.tf").write_text(MODULE)
    return project


def _stack(root: Path, state: str, cache: Path, said: list[str]) -> Stack:
    config = Config(root=root, state_dir=root.parent / state, cache_dir=cache)
    return Stack(config, said.append)


def test_a_new_state_folder_reuses_the_initialised_data_folder(root: Path, tmp_path: Path) -> None:
    # Given one cloud's state folder whose apply initialised Terraform,
    cache = tmp_path / "cache"
    said: list[str] = []
    first = _stack(root, "state-a", cache, said)
    first.apply()
    assert said.count("    terraform init") == 1

    # when a cloud with a fresh state folder applies the same root,
    said.clear()
    second = _stack(root, "state-b", cache, said)
    applied = second.apply()

    # then it runs no init, and its apply (from the shared data folder) creates everything anew.
    assert "    terraform init" not in said
    assert applied.changed
    assert "Resources: 2 added" in applied.summary
    assert second.init(second._terraform()) == first.init(first._terraform())


def test_a_changed_root_gets_a_data_folder_of_its_own(root: Path, tmp_path: Path) -> None:
    # Given an initialised root,
    cache = tmp_path / "cache"
    said: list[str] = []
    stack = _stack(root, "state", cache, said)
    before = stack.init(stack._terraform())

    # when one of its modules changes,
    module = root / "terraform" / "modules" / "things" / "main.tf"
    module.write_text(MODULE.replace('"c"', '"d"'))
    said.clear()
    after = stack.init(stack._terraform())

    # then init runs again into another folder; the first one stays as it was for clouds using it.
    assert said == ["    terraform init"]
    assert after != before
    assert (before / "init.sha256").is_file()


def test_progress_names_resources_whose_keys_hold_spaces(root: Path, tmp_path: Path) -> None:
    # Given a root with a for_each key that holds a space, when it is applied, then the progress
    # lines name that resource too (Terraform quotes such keys in its addresses).
    said: list[str] = []
    _stack(root, "state", tmp_path / "cache", said).apply()
    created = [line.strip() for line in said if "creation complete" in line]
    assert any(line.startswith('module.things.terraform_data.each["a b"]:') for line in created), said
    assert any(line.startswith('module.things.terraform_data.each["c"]:') for line in created), said


def test_a_backend_override_for_aws_stops_the_local_apply_before_anything_is_written(
    root: Path, tmp_path: Path
) -> None:
    # Given the backend override make tf-init BACKEND_CONFIG=... leaves for AWS deploys
    (root / "terraform" / "backend_override.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    stack = _stack(root, "state", tmp_path / "cache", [])

    # When the local cloud applies the root
    with pytest.raises(StackError) as refused:
        stack.apply()

    # Then it refuses, naming the file and what to do, and no state or data folder was made
    assert "terraform/backend_override.tf" in str(refused.value)
    assert "Move it aside" in str(refused.value)
    assert not stack.state_file.exists()
    assert not (tmp_path / "cache").exists()


# A resource that stays "creating" until the test lets it go (a stand-in for the AWS provider's fixed
# waits): its provisioner waits for a file, for at most 60 s.
FIRST = """
resource "terraform_data" "first" {
  input = "c"
}
output "quick" {
  value = terraform_data.first.output
}
"""
GATED = (
    FIRST
    + """
resource "terraform_data" "second" {
  input = terraform_data.first.output
}
resource "terraform_data" "slow" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = "for i in $(seq 1 1200); do [ -e release ] && exit 0; sleep 0.05; done; exit 1"
  }
}
"""
)


def _slow(resource: Mapping[str, Any]) -> bool:
    return resource.get("resource_name") == "slow"


def _applied_first(root: Path, tmp_path: Path) -> tuple[Stack, Path]:
    """The root with only "first" and the output the data planes read, applied."""
    module = root / "terraform" / "modules" / "things" / "main.tf"
    module.write_text(FIRST)
    root_file = root / "terraform" / "main.tf"
    root_file.write_text(root_file.read_text() + 'output "quick" {\n  value = module.things.quick\n}\n')
    stack = _stack(root, "state", tmp_path / "cache", [])
    stack.apply(served_outputs=["quick"], deferrable=_slow)
    return stack, module


def test_an_apply_that_only_creates_says_when_it_can_serve_before_a_deferrable_change_is_done(
    root: Path, tmp_path: Path
) -> None:
    # Given an applied root that gains a resource and a slow one that may finish after serving
    # (it waits to be released); the output the data planes read stays as it is
    stack, module = _applied_first(root, tmp_path)
    module.write_text(GATED)
    seen: dict[str, Any] = {}

    def on_ready(pending: list[str]) -> None:
        seen["pending"] = pending
        seen["served"] = json.loads(stack.served_state.read_text())
        (root / "terraform" / "release").touch()  # only now may the slow resource finish

    # When it is applied
    applied = stack.apply(on_ready, served_outputs=["quick"], deferrable=_slow)

    # Then it was ready while only the slow resource was pending: the state published for the data
    # planes held the rest and the output they read; at the end, the whole state is published.
    assert seen["pending"] == ["module.things.terraform_data.slow"]
    served = {f"{r['module']}.{r['type']}.{r['name']}" for r in seen["served"]["resources"]}
    assert {"module.things.terraform_data.first", "module.things.terraform_data.second"} <= served
    assert seen["served"]["outputs"]["quick"]["value"] == "c"
    assert "Resources: 2 added" in applied.summary
    assert json.loads(stack.served_state.read_text()) == json.loads(stack.state_file.read_text())


def test_an_apply_that_changes_what_exists_serves_only_when_done(root: Path, tmp_path: Path) -> None:
    # Given an applied root with a deferrable resource
    stack, module = _applied_first(root, tmp_path)
    module.write_text(GATED)
    (root / "terraform" / "release").touch()
    stack.apply(served_outputs=["quick"], deferrable=_slow)

    # When a change replaces what exists (the data planes could not tell its new state from the old)
    module.write_text(GATED.replace('input = "c"', 'input = "d"'))
    calls: list[list[str]] = []
    applied = stack.apply(calls.append, served_outputs=["quick"], deferrable=_slow)

    # Then it never says it can serve early; it just ends
    assert calls == []
    assert applied.changed
    assert stack.outputs()["quick"] == "d"


def test_providers_from_the_registry_are_kept_once_for_every_data_folder(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no provider mirror and no plugin cache of the caller's
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.delenv("TF_PLUGIN_CACHE_DIR", raising=False)
    stack = _stack(root, "state", tmp_path / "cache", [])

    # Then Terraform gets a plugin cache in the local cloud's cache (each data folder links to it)
    cache = Path(stack.environment()["TF_PLUGIN_CACHE_DIR"])
    assert cache == tmp_path / "cache" / "terraform" / "plugins"
    assert cache.is_dir()

    # Given a mirror, providers are linked from it; given the caller's own cache, it is left as is
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(tmp_path / "mirror"))
    assert "TF_PLUGIN_CACHE_DIR" not in stack.environment()
    monkeypatch.delenv("TF_PROVIDER_MIRROR")
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "mine"))
    assert "TF_PLUGIN_CACHE_DIR" not in stack.environment()
