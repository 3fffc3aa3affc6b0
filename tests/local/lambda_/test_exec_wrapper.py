"""``AWS_LAMBDA_EXEC_WRAPPER``: the runtime starts through the script it names, a layer's ``/opt``
path being the environment's layer folder (the FIS extension layer's aws-fis/bootstrap)."""

from __future__ import annotations

from pathlib import Path

from local.services.lambda_.environment import _exec_wrapper


def test_an_opt_path_names_the_layer_folder(tmp_path: Path) -> None:
    wrapper = tmp_path / "aws-fis" / "bootstrap"
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\nexec "$@"\n')
    wrapper.chmod(0o755)

    assert _exec_wrapper("/opt/aws-fis/bootstrap", tmp_path) == wrapper


def test_no_variable_or_no_executable_file_starts_the_runtime_itself(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not executable")
    (tmp_path / "plain").chmod(0o644)

    assert _exec_wrapper(None, tmp_path) is None
    assert _exec_wrapper("/opt/missing", tmp_path) is None
    assert _exec_wrapper("/opt/plain", tmp_path) is None
