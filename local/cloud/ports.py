"""Before anything starts: every fixed port is free, or the error names the part, its flag and its
``LOCAL_*`` variable (a port taken halfway through starting would leave a half-started cloud)."""

from __future__ import annotations

import errno
import socket

from local.cloud.errors import UpError
from local.config import Config


def check_ports_free(config: Config) -> None:
    names = {
        "edge": (config.ports.edge, socket.SOCK_STREAM),
        "controlplane": (config.ports.controlplane, socket.SOCK_STREAM),
        "container-api": (config.ports.container_api, socket.SOCK_STREAM),
        "apigateway": (config.ports.apigateway, socket.SOCK_STREAM),
        "site": (config.ports.site, socket.SOCK_STREAM),
        "https": (config.ports.https, socket.SOCK_STREAM),
        "xray-daemon": (config.ports.xray_daemon, socket.SOCK_DGRAM),
        "console": (config.ports.console, socket.SOCK_STREAM),
    }
    for name, (port, kind) in names.items():
        if port == 0:  # picked by the system when bound
            continue
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((config.host, port))
            except OSError as error:
                flag = f"--{name}-port"
                variable = f"LOCAL_{name.upper().replace('-', '_')}_PORT"
                if error.errno == errno.EACCES:  # below 1024 without the privilege to bind there
                    raise UpError(
                        f"port {port} ({name}) needs a privilege this user lacks (ports below 1024 "
                        f"usually do); choose another port with {flag} (or {variable})"
                    ) from error
                if error.errno != errno.EADDRINUSE:
                    raise
                raise UpError(
                    f"port {port} ({name}) on {config.host} is in use by another program; "
                    f"stop it or choose another port with {flag} (or {variable})"
                ) from error
