"""``python -m local.controlplane``: moto's server on loopback, patched, with our routes in front.

Run as ``python -m local.controlplane --port 4567 --edge-url http://127.0.0.1:4566 [--snapshot F]
[--account-concurrency N]``
(``local.cloud.up`` does, and so does the Terraform apply test). In order: install the moto patches
(``patches``, the edge URL is where moto's Lambda invocations go), load the snapshot if there is one
(``snapshots``), serve moto behind our routes (``app``), and, when it starts empty, warm moto up in
the background (``warm_up``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
from pathlib import Path
from typing import Any

from local.controlplane import patches
from local.controlplane.app import ControlPlaneApp
from local.controlplane.snapshots import Snapshot
from local.controlplane.warm_up import warm_up
from local.services.lambda_.account_quota import DEFAULT_ACCOUNT_CONCURRENCY


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m local.controlplane", description="The local cloud's control plane (moto)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--edge-url", required=True, help="where moto's Lambda invocations are sent")
    parser.add_argument("--snapshot", type=Path, help="state file: loaded at start, written on request")
    parser.add_argument(
        "--account-concurrency",
        type=int,
        default=DEFAULT_ACCOUNT_CONCURRENCY,
        help="the account's Lambda concurrency quota Lambda's reservations are checked against",
    )
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    patches.install(args.edge_url, args.account_concurrency)
    snapshot = Snapshot(args.snapshot)
    loaded = snapshot.load()
    app = ControlPlaneApp(DomainDispatcherApplication(create_backend_app), snapshot)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    if not loaded:
        # Only a fresh control plane: a restored one is served at once while Terraform merely
        # confirms in the background, and warming up would compete with the data planes' start.
        own_url = f"http://{args.host}:{server.server_port}"
        threading.Thread(target=warm_up, args=(own_url,), name="warm-up", daemon=True).start()

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"control plane (moto) on http://{args.host}:{server.server_port}"
        + (f", state loaded from {args.snapshot}" if loaded else ", empty state"),
        flush=True,
    )
    gc.freeze()  # moto's models and the loaded state: kept out of every later full collection
    server.serve_forever()
