"""Applying the one ``terraform/`` root to the local cloud, with python-terraform.

Same root module as for AWS; only the environment and a few variables differ (docs/architecture.md,
"Terraform <-> local cloud"): ``AWS_ENDPOINT_URL`` is the edge, credentials are test/test, and the
state lives under the local cloud's state folder, never next to the AWS state. Terraform's data folder
(``TF_DATA_DIR``: what ``init`` installs, no state) lives in the cache, one per set of init inputs, so
``init`` runs only when the root's files or the provider installation changed, even for a new state
folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from python_terraform import IsFlagged, Terraform

from local.cloud.apply_progress import ApplyProgress, deferrable_type
from local.cloud.variables import UserVariables
from local.config import Config
from local.services.lambda_ import account_quota
from local.tls.authority import bundle_of

# Concurrency of the local stack's functions (terraform/'s reserved_concurrency and
# provisioned_concurrency maps). AWS's defaults reserve none for the API function (on a fresh account
# every reservation eats a small quota: issue #15); locally the account quota is ours, so the API
# function gets a ceiling the site's Lambda lab shows (a burst wider than 4 is throttled) and
# `make load` pushes past, and one environment initialised ahead of traffic.
LOCAL_RESERVED_CONCURRENCY: Final = {"postcards": 4, "thumbnails": 2, "housekeeping": 1}
LOCAL_PROVISIONED_CONCURRENCY: Final = {"postcards": 1}  # within postcards' reservation


def local_concurrency(account_concurrency: int) -> tuple[dict[str, int], dict[str, int]]:
    """(reserved, provisioned) for the local stack under the account's quota: the lab's when the
    quota leaves Lambda's unreserved minimum beside them (>= 107), else none at all, as the shipped
    defaults reserve none for a fresh account (at a quota of 10 nothing can be reserved, and the
    provisioned environment of an unreserved function would come from the unreserved pool too)."""
    left = account_quota.unreserved(account_concurrency, LOCAL_RESERVED_CONCURRENCY.values())
    if left >= account_quota.unreserved_minimum(account_concurrency):
        return dict(LOCAL_RESERVED_CONCURRENCY), dict(LOCAL_PROVISIONED_CONCURRENCY)
    return {}, {}


# How long to look for a completed change in the state file: Terraform writes it right after saying
# the change is complete (and with no announcement of its own).
_STATE_WRITE_WAIT_S = 2.0


class StackError(Exception):
    """Terraform failed; the message carries its error output."""


@dataclass(frozen=True)
class Applied:
    outputs: dict[str, Any]
    changed: bool  # false: Terraform found nothing to do
    summary: str  # Terraform's "Apply complete! Resources: ..." line


class Stack:
    def __init__(self, config: Config, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.say = say
        self.root = config.root / "terraform"
        self.folder = config.terraform_dir
        self.state_file = self.folder / "terraform.tfstate"
        # What the data planes read: a whole copy of the state, taken when it was complete enough
        # to serve (Terraform rewrites its own file in place, so a reader could see it half written).
        self.served_state = self.folder / "served.tfstate"
        self.applied_stamp = self.folder / "applied.sha256"
        self.plugin_cache = config.cache_dir / "terraform" / "plugins"
        self._process: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        self._starting = threading.Lock()  # cancel() vs starting a terraform command

    def cancel(self) -> None:
        """Interrupt a running terraform command (it stops as after Ctrl-C and saves its state), and
        start no other."""
        with self._starting:
            self._cancelled = True
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def variables(self) -> dict[str, str]:
        """The ``-var`` values: the local cloud's own, then those the user set (``local.cloud.variables``)."""
        return {**self.local_variables(), **UserVariables.load(self.folder).values}

    def var_file(self) -> Path | None:
        """The var file the user gave (``--var-file``), kept in the state folder."""
        return UserVariables.load(self.folder).var_file(self.folder)

    def local_variables(self) -> dict[str, str]:
        config = self.config
        reserved, provisioned = local_concurrency(config.executor.account_concurrency)
        return {
            "local_endpoint": config.aws_endpoint_url,
            "domain_name": config.domain_name,
            "architecture": config.architecture,
            "container_api_url": config.container_api_url,
            "region": config.region,
            # Browsers reach the site and the API by name on the HTTPS port (*.localhost resolves to
            # loopback), so CORS origins and config.json name what a browser can open.
            "public_site_url": config.https_url(f"www.{config.domain_name}"),
            "public_api_url": config.https_url(f"api.{config.domain_name}"),
            # Maps: Terraform reads a -var value of a non-string type as an expression (JSON is one);
            # each replaces the root's default whole.
            # The quota the control plane enforces, so that the root's plan-time check (Lambda keeps
            # min(100, quota) unreserved) answers before the control plane would refuse.
            "lambda_concurrency_quota": str(config.executor.account_concurrency),
            "reserved_concurrency": json.dumps(reserved, separators=(",", ":")),
            "provisioned_concurrency": json.dumps(provisioned, separators=(",", ":")),
        }

    def environment(self) -> dict[str, str]:
        """What Terraform's environment must hold (``prepare_environment`` puts it in ours)."""
        env = {
            "AWS_ENDPOINT_URL": self.config.aws_endpoint_url,
            # The provider verifies the edge's certificate with the local CA (custom_ca_bundle).
            "AWS_CA_BUNDLE": str(bundle_of(self.config.ca_dir)),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.config.region,
            "AWS_DEFAULT_REGION": self.config.region,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",  # no version check with HashiCorp: make up talks to loopback only
        }
        cli_config = self._cli_config()
        if cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        if not os.environ.get("TF_PROVIDER_MIRROR") and not os.environ.get("TF_PLUGIN_CACHE_DIR"):
            # From the registry, every new data folder (any change to the root's files makes one)
            # would download the AWS provider again (~100 MB; ~600 MB unpacked): one copy is kept
            # here and linked into each. (A filesystem mirror is linked from directly.)
            plugins = self.plugin_cache
            plugins.mkdir(parents=True, exist_ok=True)  # Terraform requires it to exist
            env["TF_PLUGIN_CACHE_DIR"] = str(plugins)
        return env

    def prepare_environment(self) -> None:
        """Point this process's environment at the local cloud (python-terraform passes it on).

        Called once at start, before any thread: a profile or real credentials in the caller's
        environment must never reach Terraform, and nothing in ``make up`` talks to AWS.
        """
        environment = self.environment()
        for name in [k for k in os.environ if k.startswith(("AWS_", "TF_VAR_")) or k == "TF_CLI_CONFIG_FILE"]:
            del os.environ[name]
        os.environ.update(environment)

    def _cli_config(self) -> Path | None:
        """Provider installation: a filesystem mirror from TF_PROVIDER_MIRROR, else the caller's
        TF_CLI_CONFIG_FILE (the Makefile's) or build/terraform.rc when it exists, else the registry."""
        mirror = os.environ.get("TF_PROVIDER_MIRROR")
        if mirror:
            path = self.folder / "terraform.rc"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                "provider_installation {\n"
                f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
                '    include = ["registry.terraform.io/*/*"]\n  }\n'
                '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
            )
            return path
        configured = os.environ.get("TF_CLI_CONFIG_FILE")
        if configured and Path(configured).is_file():
            return Path(configured)
        made = self.config.root / "build" / "terraform.rc"  # what `make` last wrote
        return made if made.is_file() else None

    def _terraform(self) -> Terraform:
        if shutil.which("terraform") is None:
            raise StackError("terraform is not on PATH (https://developer.hashicorp.com/terraform/install)")
        return Terraform(working_dir=str(self.root), state=str(self.state_file))

    def _run(
        self,
        terraform: Terraform,
        command: str,
        data_dir: Path,
        *args: str,
        on_line: Callable[[str], None] | None = None,
        **options: Any,
    ) -> tuple[int, list[str]]:
        """Run a terraform command with ``data_dir`` as its data folder, handing each output line to
        ``on_line`` as it comes; its exit status and lines.

        python-terraform builds the command line; we run it ourselves because its own runner only
        returns the output at the end (and cannot run asynchronously without passing a bogus flag).
        """
        argv = terraform.generate_cmd_string(command, *args, no_color=IsFlagged, **options)
        lines = []
        with self._starting:
            if self._cancelled:
                raise StackError(f"terraform {command} not started: stopping")
            # A session of its own: the terminal's Ctrl-C reaches `make up`, which then interrupts
            # Terraform exactly once (cancel()); a second interrupt would make it quit without its state.
            process = subprocess.Popen(  # noqa: S603 - terraform and our own options, no shell
                argv,
                cwd=self.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TF_DATA_DIR": str(data_dir)},
                start_new_session=True,
            )
            self._process = process
        with process:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip()
                lines.append(line)
                if on_line is not None:
                    on_line(line)
        self._process = None
        terraform.temp_var_files.clean_up()
        return process.returncode, lines

    def _init_fingerprint(self) -> str:
        """What ``terraform init`` reads: the root's and modules' .tf and .hcl files (the provider
        lock file too) and the provider installation settings (the CLI config file's content)."""
        digest = hashlib.sha256()
        for path in sorted(self.root.rglob("*")):
            if (
                path.is_file()
                and path.suffix in {".tf", ".hcl"}
                and "tests" not in path.relative_to(self.root).parts
            ):
                digest.update(str(path.relative_to(self.root)).encode())
                digest.update(path.read_bytes())
        cli_config = self._cli_config()
        digest.update(cli_config.read_bytes() if cli_config is not None else b"registry")
        return digest.hexdigest()

    def init(self, terraform: Terraform) -> Path:
        """The data folder for the root as it is now, initialised by ``terraform init`` if not yet.

        Shared by every state folder (a new --state-dir, each test's cloud): one per fingerprint of
        init's inputs, so only a change to them runs init again. One lock for every init keeps two
        clouds starting at once from initialising the same folder, or filling the plugin cache,
        together.
        """
        fingerprint = self._init_fingerprint()
        data_dir = self.config.cache_dir / "terraform" / fingerprint[:16]
        stamp = data_dir / "init.sha256"
        data_dir.mkdir(parents=True, exist_ok=True)
        with (data_dir.parent / "init.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (stamp.is_file() and stamp.read_text() == fingerprint):
                self.say("    terraform init")
                status, lines = self._run(terraform, "init", data_dir, input=False, upgrade=False)
                if status != 0:
                    raise StackError("terraform init failed:\n" + "\n".join(lines[-60:]))
                stamp.write_text(fingerprint)
        return data_dir

    def apply(
        self,
        on_ready: Callable[[list[str]], None] | None = None,
        served_outputs: Iterable[str] = (),
        deferrable: Callable[[Mapping[str, Any]], bool] = deferrable_type,
    ) -> Applied:
        """init (when needed), apply with the local variables, publish the state and read the outputs.

        With ``on_ready``, an apply that only creates may call it before it ends, once every change
        the data planes need is complete and in the state (``local.cloud.apply_progress``), with the
        addresses still pending; the state is published for the data planes then, and again at the
        end. ``served_outputs`` names root outputs the data planes read, which must be in it too;
        ``deferrable`` says which planned changes may finish after serving.
        """
        self._refuse_backend_override()
        terraform = self._terraform()
        self.folder.mkdir(parents=True, exist_ok=True)
        data_dir = self.init(terraform)
        self.say("    terraform apply")
        variables = [f"{name}={value}" for name, value in self.variables().items()]
        var_file = self.var_file()
        progress = ApplyProgress(deferrable, tuple(served_outputs))
        ready = on_ready is None

        def follow(line: str) -> None:
            nonlocal ready
            try:
                message = json.loads(line)
            except ValueError:
                return  # not Terraform's JSON (a crash trace, say): kept in the lines for the error
            if not isinstance(message, dict):
                return
            if (shown := progress.feed(message)) is not None:
                self.say(f"      {shown}")
            # Terraform writes the state right after a change completes, so that is when to look.
            if (
                not ready
                and message.get("type") == "apply_complete"
                and progress.may_serve_early()
                and not progress.waiting_for()
            ):
                ready = self._publish_when_served(progress)
                if ready and on_ready is not None:
                    on_ready(progress.pending())

        status, lines = self._run(
            terraform,
            "apply",
            data_dir,
            on_line=follow,
            json=IsFlagged,
            auto_approve=IsFlagged,
            input=False,
            state=str(self.state_file),
            var_file=str(var_file) if var_file else None,  # before -var: a --var wins over the file
            var=variables,
            parallelism=20,
        )
        if status != 0:
            details = progress.errors or [line for line in lines[-60:] if not line.startswith("{")]
            raise StackError("terraform apply failed:\n" + "\n".join(details))
        self.applied_stamp.write_text(self.inputs_fingerprint())
        self.publish_state()
        return Applied(self.outputs(), progress.changed, progress.summary)

    def publish_state(self) -> None:
        """Give the data planes the state as it is now (between Terraform runs: a whole file)."""
        if self.state_file.is_file():
            self._publish(self.state_file.read_bytes())

    def _publish(self, content: bytes) -> None:
        partial = self.served_state.with_suffix(".partial")
        partial.write_bytes(content)
        partial.replace(self.served_state)

    def _publish_when_served(self, progress: ApplyProgress) -> bool:
        """Publish the state file once it holds what ``progress`` needs; false if it does not within
        a moment (an output the data planes read may only be written with a later change)."""
        deadline = time.monotonic() + _STATE_WRITE_WAIT_S
        while True:
            try:
                content = self.state_file.read_bytes()
                if progress.served_by(json.loads(content)):
                    self._publish(content)
                    return True
            except (OSError, ValueError):
                pass  # not there yet, or being rewritten
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def _refuse_backend_override(self) -> None:
        """``make tf-init BACKEND_CONFIG=…`` writes terraform/backend_override.tf for AWS deploys.
        Terraform would read it here too and keep the local cloud's state in that backend (the team's
        S3 bucket), not under the state folder: stop before anything is written there."""
        override = self.root / "backend_override.tf"
        if override.exists():
            raise StackError(
                f"{override.relative_to(self.config.root)} (from make tf-init BACKEND_CONFIG=...) would "
                "send the local cloud's Terraform state to that S3 backend. Move it aside while the "
                "local cloud runs (make tf-init BACKEND_CONFIG=... writes it again for AWS), or use "
                "--no-terraform."
            )

    def inputs_fingerprint(self) -> str:
        """Everything an apply depends on besides the control plane: terraform/ (code, OpenAPI, the
        CloudFront function), site/, the build manifest (artifact hashes), the variables, the state."""
        digest = hashlib.sha256()
        folders = [self.root, self.config.root / "site"]
        for folder in folders:
            for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                relative = path.relative_to(folder).parts
                if path.is_file() and not {"tests", ".terraform"} & set(relative):
                    digest.update(f"{folder.name}/{path.relative_to(folder)}".encode())
                    digest.update(path.read_bytes())
        manifest = self.config.build_dir / "manifest.json"
        digest.update(manifest.read_bytes() if manifest.is_file() else b"no manifest")
        var_file = self.var_file()
        digest.update(var_file.read_bytes() if var_file else b"no var file")
        digest.update(json.dumps([self.variables(), self.state_identity()], sort_keys=True).encode())
        return digest.hexdigest()

    def unchanged_since_last_apply(self) -> bool:
        """True when an apply now would have the same inputs as the last successful one."""
        try:
            return self.applied_stamp.read_text() == self.inputs_fingerprint()
        except OSError:
            return False

    def outputs(self, *, served: bool = False) -> dict[str, Any]:
        """The root module's non-sensitive outputs, read from the state Terraform just wrote (what
        ``terraform output -json`` prints, without a second Terraform start); ``served``: from the
        copy published for the data planes, for while Terraform still rewrites its own file."""
        path = self.served_state if served else self.state_file
        try:
            document = json.loads(path.read_text()).get("outputs") or {}
        except (OSError, ValueError) as error:
            raise StackError(f"cannot read the outputs from {path}: {error}") from error
        return {name: item.get("value") for name, item in document.items() if not item.get("sensitive")}

    def state_identity(self) -> dict[str, Any]:
        """The state's lineage and serial: which control-plane snapshot it belongs to."""
        try:
            document = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return {"lineage": document.get("lineage"), "serial": document.get("serial")}

    def forget(self) -> None:
        """Drop the local state (the control plane starts empty: everything is to be created)."""
        for path in (
            self.state_file,
            self.state_file.with_name("terraform.tfstate.backup"),
            self.served_state,
            self.applied_stamp,
        ):
            path.unlink(missing_ok=True)
