"""The running cloud's local faults, from tests: the control endpoint ``/_local/faults`` of its AWS
endpoint (what ``python -m local chaos`` uses too; see ``local.cloud.faults``)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from tests.local.chaos.experiment import Fault
from tests.local.cloud_support import RunningCloud


class LocalFaults:
    def __init__(self, cloud: RunningCloud) -> None:
        self.url = cloud.aws_endpoint_url.rstrip("/") + "/_local/faults"
        self._tls = ssl.create_default_context(cafile=cloud.ca_bundle)

    def _call(self, method: str, path: str = "", body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=self._tls) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def add(self, kind: str, **settings: Any) -> dict[str, Any]:
        status, body = self._call("POST", "", {"kind": kind, **settings})
        if status != 201:
            raise AssertionError(f"adding fault {kind} {settings}: {status} {body}")
        return dict(body)

    def list(self) -> list[dict[str, Any]]:
        status, body = self._call("GET")
        assert status == 200, (status, body)
        return list(body["faults"])

    def clear(self, fault_id: str | None = None) -> None:
        status, body = self._call("DELETE", f"/{fault_id}" if fault_id else "")
        assert status in (204, 404), (status, body)

    def fault(self, kind: str, description: str, **settings: Any) -> Fault:
        """A harness ``Fault`` that adds this local fault and clears it again."""
        added: dict[str, Any] = {}

        def inject() -> None:
            added.update(self.add(kind, **settings))

        def remove() -> None:
            if added:
                self.clear(added["id"])

        return Fault(kind, description, inject, remove, {"kind": kind, **settings})
