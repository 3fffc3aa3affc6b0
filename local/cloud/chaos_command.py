"""``python -m local chaos FAULT [options]`` (``make chaos FAULT=…``): set a local fault on the
running cloud (``make up``), list them (``chaos list``) or clear them (``chaos clear [ID]``), through
the control endpoint of its AWS endpoint (``local.cloud.faults``). The cloud is found by the
endpoints.json of its state folder."""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from local import config as settings
from local.cloud.faults import KINDS, PATH

# Options -> the fault's settings (only those given are sent).
_SETTINGS = {
    "function": str,
    "percent": float,
    "delay_ms": float,
    "after_ms": float,
    "count": str,
    "error": str,
    "operations": str,
    "services": str,
}


def add_parser(commands: Any) -> None:
    chaos = commands.add_parser(
        "chaos",
        help="set, list or clear a local fault on the running cloud",
        description="Faults of the running local cloud (cleared by a new make up):\n"
        + "\n".join(f"  {kind}: {text}" for kind, text in KINDS.items())
        + "\n  list: the faults that are on\n  clear [ID]: clear one fault, or all",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chaos.add_argument("fault", choices=[*KINDS, "list", "clear"], metavar="FAULT")
    chaos.add_argument("id", nargs="?", help="with clear: the fault to clear (default: every one)")
    chaos.add_argument("--state-dir", type=Path, help="the running cloud's state folder")
    for name, kind in _SETTINGS.items():
        chaos.add_argument(f"--{name.replace('_', '-')}", type=kind, dest=name)


def run(args: argparse.Namespace) -> int:
    state_dir = args.state_dir.resolve() if args.state_dir else settings.from_environment().state_dir
    endpoints_file = state_dir / "endpoints.json"
    try:
        endpoints = json.loads(endpoints_file.read_text())
    except (OSError, ValueError):
        print(
            f"error: no running local cloud ({endpoints_file} is missing): start one with make up",
            file=sys.stderr,
        )
        return 1
    url = str(endpoints["aws_endpoint_url"]).rstrip("/") + PATH
    tls = ssl.create_default_context(cafile=endpoints.get("ca_bundle"))
    if args.fault == "list":
        status, body = _call("GET", url, None, tls)
        listed = body.get("faults", []) if status == 200 else []
        for fault in listed:
            print(f"{fault['id']}\t{fault['kind']}\t{json.dumps(fault['settings'])}")
        if status == 200 and not listed:
            print("no fault is on")
    elif args.fault == "clear":
        status, body = _call("DELETE", url + (f"/{args.id}" if args.id else ""), None, tls)
    else:
        given = {name: getattr(args, name) for name in _SETTINGS if getattr(args, name) is not None}
        status, body = _call("POST", url, {"kind": args.fault, **given}, tls)
        if status == 201:
            print(f"{body['id']}: {body['kind']} {json.dumps(body['settings'])}")
            print(f"    clear it with: python -m local chaos clear {body['id']}")
    if status >= 300:
        print(
            f"error: {status} {body.get('error', body) if isinstance(body, dict) else body}", file=sys.stderr
        )
        return 1
    return 0


def _call(method: str, url: str, body: Any, tls: ssl.SSLContext) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310  (the cloud's own https endpoint)
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60, context=tls) as answer:  # noqa: S310
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        return 599, f"the local cloud at {url} does not answer: {error}"
