"""What ``make up`` prints once it serves: the console among the URLs a person opens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from local import config as settings
from local.cloud.endpoints import Endpoints, Reported
from local.cloud.urls import print_urls


def test_the_console_is_printed_with_the_other_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cloud whose console serves on its port
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    config = settings.from_environment()
    reported = Reported(console_url="https://localhost:4600/", site_url="http://127.0.0.1:4590")

    # When the URLs are printed
    out = io.StringIO()
    print_urls(Endpoints.of(config, reported), out)

    # Then the console's line is there, by HTTPS
    lines = out.getvalue().splitlines()
    assert any(line.split() == ["console", "https://localhost:4600/"] for line in lines), lines
