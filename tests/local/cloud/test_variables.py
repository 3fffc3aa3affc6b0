"""``python -m local up --var/--var-file/--clear-vars`` (``local.cloud.variables``): any variable the
root declares, checked before anything starts, kept with the state for the next run, and applied by
a real terraform on a small root of its own (``terraform_data`` needs no provider)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.cli import config_from, main, parser
from local.cloud.errors import UpError
from local.cloud.stack import Stack
from local.cloud.variables import UserVariables, parse_assignment, settle
from local.config import Config, VariableRequest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project whose terraform/ root declares the local cloud's variables and two of a user's."""
    project = tmp_path / "project"
    (project / "terraform").mkdir(parents=True)
    local_names = Stack(Config(root=project)).local_variables()
    declarations = "".join(f'variable "{name}" {{\n  type = string\n}}\n' for name in local_names)
    (project / "terraform" / "main.tf").write_text(
        declarations
        + 'variable "chaos_enabled" {\n  type    = bool\n  default = false\n}\n'
        + 'variable "chaos_delay_ms" {\n  type    = number\n  default = 1500\n}\n'
        + 'output "chosen" {\n  value = { enabled = var.chaos_enabled, delay = var.chaos_delay_ms }\n}\n'
    )
    return project


def _settle(root: Path, **request: object) -> UserVariables:
    return settle(VariableRequest(**request), root.parent / "state" / "terraform", root / "terraform")  # type: ignore[arg-type]


def test_values_are_kept_for_the_next_run_and_cleared_on_request(root: Path) -> None:
    # Given a first run that sets a variable
    _settle(root, values=(("chaos_enabled", "true"),))

    # When a second run sets another, and a third sets nothing
    _settle(root, values=(("chaos_delay_ms", "3000"),))
    third = _settle(root)

    # Then the third applies both; a run with --clear-vars forgets them before its own
    assert third.values == {"chaos_enabled": "true", "chaos_delay_ms": "3000"}
    assert _settle(root, clear=True, values=(("chaos_delay_ms", "10"),)).values == {"chaos_delay_ms": "10"}
    assert _settle(root).values == {"chaos_delay_ms": "10"}


def test_an_unknown_variable_is_refused_with_the_closest_name_and_nothing_kept(root: Path) -> None:
    _settle(root, values=(("chaos_enabled", "true"),))

    with pytest.raises(UpError, match=r"no variable chaos_enable \(did you mean chaos_enabled\?\)"):
        _settle(root, values=(("chaos_enable", "true"),))

    # Then what was kept before is unchanged
    assert _settle(root).values == {"chaos_enabled": "true"}


def test_the_variables_the_local_cloud_wires_cannot_be_set(root: Path) -> None:
    with pytest.raises(UpError, match="local_endpoint: set by the local cloud itself"):
        _settle(root, values=(("local_endpoint", "http://elsewhere"),))


@pytest.mark.parametrize("text", ["chaos_enabled", "=true", "9lives=1", "a b=c"])
def test_malformed_assignments_say_the_expected_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="expected NAME=VALUE"):
        parse_assignment(text)


def test_a_value_may_contain_equals_signs() -> None:
    assert parse_assignment("alarm_email=a=b@example.com") == ("alarm_email", "a=b@example.com")


def test_the_command_line_refuses_a_malformed_var(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["up", "--var", "chaos_enabled"])
    assert exit_.value.code == 2
    assert "expected NAME=VALUE, e.g. --var chaos_enabled=true" in capsys.readouterr().err


def test_the_command_line_collects_repeated_vars_a_file_and_clear(tmp_path: Path) -> None:
    args = parser().parse_args(
        ["up", "--var", "a=1", "--var", "b=x=y", "--var-file", str(tmp_path / "my.tfvars"), "--clear-vars"]
    )
    request = config_from(args).variables
    assert request == VariableRequest((("a", "1"), ("b", "x=y")), (tmp_path / "my.tfvars").resolve(), True)


def test_var_file_names_are_checked_in_tfvars_and_json(root: Path, tmp_path: Path) -> None:
    tfvars = tmp_path / "chaos.tfvars"
    tfvars.write_text("chaos_enabled = true\nnested = {\n  inner = 1\n}\n")
    with pytest.raises(UpError, match="no variable nested"):
        _settle(root, var_file=tfvars)
    as_json = tmp_path / "chaos.tfvars.json"
    as_json.write_text(json.dumps({"chaos_delay_ms": 20}))
    assert _settle(root, var_file=as_json).var_file_name == "chaos.tfvars.json"
    not_json = tmp_path / "broken.tfvars.json"
    not_json.write_text("{")
    with pytest.raises(UpError, match="not JSON"):
        _settle(root, var_file=not_json)
    with pytest.raises(UpError, match=r"Terraform reads \.tfvars or \.tfvars\.json files"):
        _settle(root, var_file=tmp_path / "vars.txt")


@pytest.mark.slow
def test_terraform_applies_the_kept_file_and_values_a_var_winning(root: Path, tmp_path: Path) -> None:
    # Given a var file and a --var for one of its variables, kept by a first run
    var_file = tmp_path / "chaos.tfvars"
    var_file.write_text("chaos_enabled = true\nchaos_delay_ms = 2000\n")
    _settle(root, var_file=var_file, values=(("chaos_delay_ms", "4000"),))
    var_file.unlink()  # the kept copy is what later runs read

    # When a later run applies with nothing on its command line
    config = Config(root=root, state_dir=root.parent / "state", cache_dir=tmp_path / "cache")
    stack = Stack(config, lambda _: None)
    _settle(root)
    applied = stack.apply()

    # Then Terraform got both, the --var over the file, and a changed value changes the inputs
    assert applied.outputs["chosen"] == {"enabled": True, "delay": 4000}
    assert stack.unchanged_since_last_apply()
    _settle(root, values=(("chaos_delay_ms", "5000"),))
    assert not stack.unchanged_since_last_apply()
