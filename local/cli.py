"""Command line of the local cloud: ``python -m local up [options]`` (``make up`` runs it) and
``python -m local chaos FAULT [options]`` (``local.cloud.chaos_command``).

Every option also has a ``LOCAL_*`` environment variable (see ``local.config``); options win.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from local import config as settings
from local.cloud import chaos_command
from local.cloud.variables import parse_assignment


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m local", description="The Postcards local cloud.")
    commands = root.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up",
        help="start the local cloud and apply terraform/ to it; Ctrl-C stops it",
        description="Start moto (control plane), the AWS endpoint, the Lambda executor, the API Gateway "
        "data plane, schedules, the site and the container API stand-in; apply terraform/; print the URLs.",
    )
    up.add_argument("--host", help="address every server listens on (default 127.0.0.1)")
    for name in (
        "edge",
        "controlplane",
        "container-api",
        "apigateway",
        "site",
        "https",
        "xray-daemon",
        "console",
    ):
        up.add_argument(f"--{name}-port", type=int, metavar="PORT")
    up.add_argument("--state-dir", type=Path, help="state folder (lock, endpoints.json, Terraform state)")
    up.add_argument("--cache-dir", type=Path, help="cache folder (Lambda runtime, extracted code)")
    up.add_argument(
        "--ca-dir",
        type=Path,
        help="the local certificate authority's folder (default: $LOCAL_CA_DIR, else "
        "${XDG_DATA_HOME:-~/.local/share}/postcards-local-ca)",
    )
    up.add_argument("--no-terraform", action="store_true", help="start with an empty control plane")
    up.add_argument(
        "--fresh",
        action="store_true",
        help="forget the previous run's control plane and Terraform state (everything is created again)",
    )
    up.add_argument(
        "--console-logs",
        choices=("all", "function", "none"),
        help="function logs on the console: all lines, only the function's own, or none",
    )
    up.add_argument("--idle-timeout", type=float, metavar="SECONDS", help="reap idle environments after this")
    up.add_argument(
        "--account-concurrency",
        type=_positive,
        metavar="N",
        help="the account's Lambda concurrency quota (default 1000, an established account's; 10 is a "
        "new account's): reservations are refused below Lambda's unreserved minimum, invocations "
        "throttled above it",
    )
    # The old name of --account-concurrency (deprecated).
    up.add_argument("--concurrency-limit", type=_positive, metavar="N", help=argparse.SUPPRESS)
    up.add_argument("--no-memory-limit", action="store_true", help="report memory only, never kill for it")
    up.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable of terraform/ (repeatable), e.g. --var chaos_enabled=true; kept for later runs",
    )
    up.add_argument(
        "--var-file", type=Path, metavar="PATH", help="a .tfvars or .tfvars.json file; kept for later runs"
    )
    up.add_argument(
        "--clear-vars", action="store_true", help="forget the variables kept from earlier runs (before --var)"
    )
    chaos_command.add_parser(commands)
    return root


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {raw!r}")
    return value


def config_from(args: argparse.Namespace) -> settings.Config:
    """The cloud's settings from the environment and ``args``; ValueError for a malformed --var."""
    config = settings.from_environment()
    ports = {
        field: getattr(args, f"{field}_port")
        for field in (
            "edge",
            "controlplane",
            "container_api",
            "apigateway",
            "site",
            "https",
            "xray_daemon",
            "console",
        )
        if getattr(args, f"{field}_port") is not None
    }
    config = config.with_ports(**ports)
    executor = config.executor
    if args.idle_timeout is not None:
        executor = replace(executor, idle_timeout_s=args.idle_timeout)
    if args.concurrency_limit is not None:
        print("warning: --concurrency-limit is deprecated; use --account-concurrency", file=sys.stderr)
        executor = replace(executor, account_concurrency=args.concurrency_limit)
    if args.account_concurrency is not None:
        executor = replace(executor, account_concurrency=args.account_concurrency)
    if args.no_memory_limit:
        executor = replace(executor, enforce_memory=False)
    return replace(
        config,
        host=args.host or config.host,
        state_dir=args.state_dir.resolve() if args.state_dir else config.state_dir,
        cache_dir=args.cache_dir.resolve() if args.cache_dir else config.cache_dir,
        ca_dir=args.ca_dir.resolve() if args.ca_dir else config.ca_dir,
        apply_terraform=not args.no_terraform,
        fresh=args.fresh,
        console_logs=args.console_logs or config.console_logs,
        executor=executor,
        variables=settings.VariableRequest(
            values=tuple(parse_assignment(text) for text in args.var),
            var_file=args.var_file.resolve() if args.var_file else None,
            clear=args.clear_vars,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    command_line = parser()
    args = command_line.parse_args(argv)
    if args.command == "up":
        from local.cloud.up import up

        try:
            config = config_from(args)
        except ValueError as error:
            command_line.error(str(error))
        return up(config)
    if args.command == "chaos":
        return chaos_command.run(args)
    return 2
