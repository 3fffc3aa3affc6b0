"""``local.stack.Stack`` drives a real terraform on a small root of its own (one local module and
``terraform_data`` resources, which need no provider download): Terraform's data folder is shared
between state folders and initialised once per set of init inputs, and the apply's progress names
every resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.config import Config
from local.stack import Stack, StackError

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
