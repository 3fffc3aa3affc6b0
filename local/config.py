"""Settings of one local cloud: ports, folders and the executor's knobs.

Every value has a default that works on a laptop, an environment variable (``LOCAL_*``) and a flag of
``python -m local up``; flags win over the environment. Tests start a second cloud beside a running
``make up`` by giving other ports and another state folder.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from local.services.lambda_.account_quota import DEFAULT_ACCOUNT_CONCURRENCY
from local.tls.authority import default_directory as default_ca_directory

ConsoleLogs = Literal["all", "function", "none"]

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account


def host_architecture() -> str:
    """Lambda's name for the host's instruction set (the local cloud runs what the host runs)."""
    machine = platform.machine().lower()
    return "arm64" if machine in {"arm64", "aarch64"} else "x86_64"


@dataclass(frozen=True)
class Ports:
    edge: int = 4566
    controlplane: int = 4567
    container_api: int = 4570
    apigateway: int = 4580
    site: int = 4590
    # One HTTPS port for every name Terraform gave a certificate (443 where the user may bind it).
    https: int = 4443
    # UDP: the X-Ray daemon's address, as on Lambda (AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000).
    xray_daemon: int = 2000
    # The local console (traces, service map, environments, logs, metrics, alarms), HTTPS only.
    console: int = 4600


@dataclass(frozen=True)
class ExecutorSettings:
    # Lambda keeps an idle environment for minutes; locally we reap sooner to give memory back.
    idle_timeout_s: float = 300.0
    # Lambda's on-demand init phase may take 10 s before it is cut short.
    init_timeout_s: float = 10.0
    # The account's concurrency quota: 1000 like an established account (10 like a new one). The
    # control plane checks reservations against it and the executor throttles at it; environments
    # are processes here, and what a laptop holds is bounded by the functions' reservations and by
    # the bounded load loops, not by this quota.
    account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    # Delays before the two retries of a failed asynchronous invocation (Lambda: ~1 and ~2 minutes).
    async_retry_delays_s: tuple[float, ...] = (1.0, 2.0)
    # How long an asynchronous event may wait for capacity when throttled (Lambda: up to 6 hours).
    async_max_event_age_s: float = 6 * 3600.0
    # Kill an environment whose memory exceeds the function's MemorySize (else only report it).
    enforce_memory: bool = True
    # How often the FIS extension's part re-reads a function's fault configuration in S3 (AWS's
    # extension polls up to every 60 s; short here so that an experiment shows at once).
    fis_poll_interval_s: float = 1.0


@dataclass(frozen=True)
class VariableRequest:
    """Root module variables one ``python -m local up`` sets (``--var``, ``--var-file``,
    ``--clear-vars``); ``local.cloud.variables`` keeps them with the state."""

    values: tuple[tuple[str, str], ...] = ()
    var_file: Path | None = None
    clear: bool = False


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    root: Path = ROOT
    # Per-cloud state: lock, endpoints.json, Terraform state, the control plane's snapshot.
    state_dir: Path = ROOT / ".local"
    # Shareable caches: the Lambda runtime libraries and extracted code. Safe to share between clouds.
    cache_dir: Path = ROOT / ".local" / "cache"
    # The local certificate authority: once per user, outside any clone (local.tls.authority).
    ca_dir: Path = field(default_factory=default_ca_directory)
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT_ID
    architecture: str = field(default_factory=host_architecture)
    domain_name: str = "postcards.localhost"
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    console_logs: ConsoleLogs = "all"
    # Apply terraform/ at start (off: an empty control plane, e.g. for the executor's own tests).
    apply_terraform: bool = True
    # Keep the control plane's state between runs (re-up is then a no-change apply); off: start empty.
    persist: bool = True
    # Forget the previous run's state at start (then persist as usual).
    fresh: bool = False
    # Terraform variables given on the command line (added to those kept from earlier runs).
    variables: VariableRequest = field(default_factory=VariableRequest)

    @property
    def edge_url(self) -> str:
        """The edge by plain HTTP: the local cloud's own clients, in this process and moto's."""
        return f"http://{self.host}:{self.ports.edge}"

    @property
    def aws_endpoint_url(self) -> str:
        """The edge by HTTPS: what Terraform, the functions, the aws CLI and the browser use."""
        return f"https://{self.host}:{self.ports.edge}"

    @property
    def controlplane_url(self) -> str:
        return f"http://{self.host}:{self.ports.controlplane}"

    @property
    def container_api_url(self) -> str:
        """The container API stand-in, over HTTPS (the site calls it from an https page)."""
        return f"https://{self.host}:{self.ports.container_api}"

    def https_url(self, name: str) -> str:
        """``https://<name>[:port]``: a name the HTTPS listener serves."""
        port = "" if self.ports.https == 443 else f":{self.ports.https}"
        return f"https://{name}{port}"

    @property
    def tls_dir(self) -> Path:
        """This cloud's leaves (ACM's, the edge's, execute-api's), reused by its next run."""
        return self.state_dir / "tls"

    @property
    def endpoints_file(self) -> Path:
        return self.state_dir / "endpoints.json"

    @property
    def terraform_dir(self) -> Path:
        return self.state_dir / "terraform"

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / self.architecture

    def with_ports(self, **ports: int) -> Config:
        return replace(self, ports=replace(self.ports, **ports))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError as error:
        raise SystemExit(f"error: {name}={raw!r} is not an integer") from error


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError as error:
        raise SystemExit(f"error: {name}={raw!r} is not a number") from error


def from_environment() -> Config:
    """Defaults overridden by LOCAL_* environment variables (the CLI's flags override these)."""
    state_dir = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local").resolve()
    cache_dir = Path(os.environ.get("LOCAL_CACHE_DIR") or ROOT / ".local" / "cache").resolve()
    defaults = Ports()
    ports = Ports(
        edge=_env_int("LOCAL_EDGE_PORT", defaults.edge),
        controlplane=_env_int("LOCAL_CONTROLPLANE_PORT", defaults.controlplane),
        container_api=_env_int("LOCAL_CONTAINER_API_PORT", defaults.container_api),
        apigateway=_env_int("LOCAL_APIGATEWAY_PORT", defaults.apigateway),
        site=_env_int("LOCAL_SITE_PORT", defaults.site),
        https=_env_int("LOCAL_HTTPS_PORT", defaults.https),
        xray_daemon=_env_int("LOCAL_XRAY_DAEMON_PORT", defaults.xray_daemon),
        console=_env_int("LOCAL_CONSOLE_PORT", defaults.console),
    )
    executor_defaults = ExecutorSettings()
    executor = ExecutorSettings(
        idle_timeout_s=_env_float("LOCAL_LAMBDA_IDLE_TIMEOUT", executor_defaults.idle_timeout_s),
        init_timeout_s=_env_float("LOCAL_LAMBDA_INIT_TIMEOUT", executor_defaults.init_timeout_s),
        account_concurrency=_env_int(
            "LOCAL_ACCOUNT_CONCURRENCY",
            _env_int("LOCAL_LAMBDA_CONCURRENCY", executor_defaults.account_concurrency),  # the old name
        ),
        enforce_memory=os.environ.get("LOCAL_LAMBDA_ENFORCE_MEMORY", "1") not in {"0", "false", "no"},
        fis_poll_interval_s=_env_float("LOCAL_FIS_POLL_INTERVAL", executor_defaults.fis_poll_interval_s),
    )
    console = os.environ.get("LOCAL_CONSOLE_LOGS", "all")
    if console not in ("all", "function", "none"):
        raise SystemExit(f"error: LOCAL_CONSOLE_LOGS={console!r}: expected all, function or none")
    return Config(
        host=os.environ.get("LOCAL_HOST", "127.0.0.1"),
        ports=ports,
        state_dir=state_dir,
        cache_dir=cache_dir,
        ca_dir=default_ca_directory(),
        executor=executor,
        console_logs=console,  # type: ignore[arg-type]
        persist=os.environ.get("LOCAL_PERSIST", "1") not in {"0", "false", "no"},
    )
