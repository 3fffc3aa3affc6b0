"""Chaos experiments on the session's local cloud (tests/local/conftest.py): the API (``api``, from
tests/local/api), its local faults (``faults``, all cleared after each test), FIS on the chaos-enabled cloud
(``chaos_api``, ``fis``: the experiments in test_fis_*.py) and how long each
measurement runs (``chaos_scale``: 1 in ``make test``; ``make chaos`` sets CHAOS_SCALE for longer
runs)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Shared fixtures: the API (tests/local/api), and the site with its browser fixtures (Chromium, a
# watched page per test: tests/local/cloudfront).
from tests.local.api.conftest import Api, api  # noqa: F401
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.measure import LoadShape
from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.conftest import (  # noqa: F401
    browser,
    new_page,
    page,
    playwright,
    site,
    site_page,
    watch,
)
from tests.local.fis.support import Fis


@pytest.fixture(scope="session")
def chaos_scale() -> float:
    """How much longer than the short run each phase's load is (CHAOS_SCALE, default 1)."""
    scale = float(os.environ.get("CHAOS_SCALE", "1"))
    if not 1 <= scale <= 20:
        raise pytest.UsageError(f"CHAOS_SCALE must be between 1 and 20, not {scale}")
    return scale


@pytest.fixture
def load_shape(chaos_scale: float) -> LoadShape:
    """A phase's load: a few clients (below the API function's reserved concurrency, so that
    Lambda's own throttles do not blur the fault's effect), bounded in count and time."""
    return LoadShape(clients=3, operations=24, seconds=20).scaled(chaos_scale)


@pytest.fixture
def faults(cloud: RunningCloud) -> Iterator[LocalFaults]:
    local = LocalFaults(cloud)
    yield local
    local.clear()  # whatever a failed test left on


@pytest.fixture(scope="session")
def chaos_api(chaos_cloud: RunningCloud) -> Api:
    """The API on the chaos-enabled cloud (the FIS experiments, tests/local/chaos/test_fis_*.py)."""
    return Api(chaos_cloud)


@pytest.fixture(scope="session")
def fis(chaos_cloud: RunningCloud) -> Fis:
    return Fis(chaos_cloud)
