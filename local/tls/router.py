"""Which certificate, policy and service a TLS connection gets, by the name it asked for (SNI).

A ``TlsSite`` is one certificate with the names it serves (exact, or ``*.`` wildcards of one label,
as certificates match: RFC 6125 6.4.3) and the protocol that serves them. The router is mutable:
its owner swaps in a new table when what Terraform deployed changes, and every listener that shares
it follows at once.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


@dataclass(frozen=True)
class TlsSite:
    names: tuple[str, ...]
    context: ssl.SSLContext
    protocol: ProtocolFactory
    description: str  # what it is, for the log and the admin view


class TlsRouter:
    def __init__(self) -> None:
        self._exact: dict[str, TlsSite] = {}
        self._wildcards: dict[str, TlsSite] = {}  # the part after "*."
        self.default: TlsSite | None = None
        self.sites: tuple[TlsSite, ...] = ()

    def replace(self, sites: Iterable[TlsSite], default: TlsSite | None) -> None:
        """Serve ``sites`` from now on; a name no site has (or no name at all) gets ``default``."""
        exact: dict[str, TlsSite] = {}
        wildcards: dict[str, TlsSite] = {}
        listed = tuple(sites)
        for site in listed:
            for given in site.names:
                name = given.lower().rstrip(".")
                if name.startswith("*."):
                    wildcards.setdefault(name[2:], site)
                else:
                    exact.setdefault(name, site)
        self._exact, self._wildcards, self.default, self.sites = exact, wildcards, default, listed

    def choose(self, server_name: str | None) -> TlsSite | None:
        if server_name is None:
            return self.default
        found = self._exact.get(server_name)
        if found is None and "." in server_name:
            found = self._wildcards.get(server_name.split(".", 1)[1])
        return found or self.default

    def single(self, site: TlsSite) -> TlsRouter:
        """This router serving ``site`` for every name (a listener with one certificate)."""
        self.replace([site], site)
        return self
