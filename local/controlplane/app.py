"""The control plane's WSGI application: moto's own, unchanged, behind the few routes we add.

- ``GET /_local/lambda/code/<region>/<account>/<function>?Qualifier=<version>`` and
  ``GET /_local/lambda/layers/<region>/<account>/<layer>/<version>``: the zips moto holds. The edge
  puts these URLs into ``GetFunction``'s ``Code.Location`` and ``GetLayerVersion``'s
  ``Content.Location``, where AWS puts a presigned download URL, and the executor downloads from them.
- ``GET /_local/sns/cloudwatch-delivery?TopicArn=<arn>``: ``{"error": ...}``, why CloudWatch alarms
  could not publish to the topic (its KMS key), or null; the alarm loop asks before it publishes.
- ``POST /_local/cloudwatch/alarm-history``: add an item to an alarm's history (JSON: Region,
  AccountId, AlarmName, HistoryItemType, HistorySummary, HistoryData), which DescribeAlarmHistory
  answers; the alarm loop records there each action it ran or could not run.
- ``POST /_local/snapshot``: save moto's state (``snapshots``); the JSON body is the snapshot's meta.
- ``GET /_local/health``: up, and the meta of the snapshot loaded or last saved.

Everything else is moto's (with the patches ``patches`` installs, which add AWS APIs moto lacks
inside moto itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from local.controlplane.snapshots import Snapshot

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_CODE = re.compile(r"^/_local/lambda/code/(?P<region>[^/]+)/(?P<account>\d{12})/(?P<name>[^/]+)$")
_LAYER = re.compile(
    r"^/_local/lambda/layers/(?P<region>[^/]+)/(?P<account>\d{12})/(?P<name>[^/]+)/(?P<version>\d+)$"
)
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Error"}


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, document: Any) -> Reply:
        return cls(status, json.dumps(document).encode())

    @classmethod
    def lambda_error(cls, status: int, error_type: str, message: str) -> Reply:
        """Lambda's REST-JSON error: the code in x-amzn-ErrorType, the message in the body."""
        body = json.dumps({"Type": "User", "message": message}).encode()
        return cls(status, body, headers=(("x-amzn-ErrorType", error_type),))


class Refusal(Exception):
    """A request the control plane answers with an error (raised to keep handlers flat)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class ControlPlaneApp:
    """WSGI: our routes first, then moto."""

    def __init__(self, moto_app: WsgiApp, snapshot: Snapshot) -> None:
        self.moto_app = moto_app
        self.snapshot = snapshot

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_local/"):
            return self.moto_app(environ, start_response)
        service_route = _SERVICE_ROUTES.get((environ["REQUEST_METHOD"], path))
        try:
            reply = service_route(environ) if service_route is not None else self._local(environ, path)
        except Refusal as refusal:
            reply = refusal.reply
        headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
        start_response(
            f"{reply.status} {_REASONS.get(reply.status, 'Status')}", headers + list(reply.headers)
        )
        return [reply.body]

    def _local(self, environ: Environ, path: str) -> Reply:
        if path == "/_local/health":
            return Reply.json(200, {"status": "ok", "snapshot": self.snapshot.meta})
        if path == "/_local/snapshot" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            meta = json.loads(environ["wsgi.input"].read(length) or b"{}")
            try:
                size = self.snapshot.save(meta)
            except Exception as error:  # report why instead of a bare 500
                return Reply.json(500, {"error": repr(error)})
            return Reply.json(200, {"path": str(self.snapshot.path), "bytes": size})
        if (match := _CODE.match(path)) is not None:
            qualifier = (parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier") or [None])[0]
            function = _function(match["account"], match["region"], match["name"], qualifier)
            return Reply(200, function.code_bytes, "application/zip")
        if (match := _LAYER.match(path)) is not None:
            return Reply(
                200,
                _layer_zip(match["account"], match["region"], match["name"], match["version"]),
                "application/zip",
            )
        return Reply.json(404, {"error": f"no route {path}"})


def _cloudwatch_delivery(environ: Environ) -> Reply:
    from local.services.sns.moto_patches import cloudwatch_publish_error_for

    topic = (parse_qs(environ.get("QUERY_STRING", "")).get("TopicArn") or [""])[0]
    parts = topic.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        return Reply.json(400, {"error": f"not an SNS topic ARN: {topic!r}"})
    return Reply.json(200, {"error": cloudwatch_publish_error_for(parts[4], parts[3], topic)})


def _alarm_history(environ: Environ) -> Reply:
    from local.services.cloudwatch.moto_patches import record_history

    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        item = json.loads(environ["wsgi.input"].read(length) or b"{}")
        found = record_history(
            str(item["AccountId"]),
            str(item["Region"]),
            str(item["AlarmName"]),
            item_type=str(item["HistoryItemType"]),
            summary=str(item["HistorySummary"]),
            data=str(item.get("HistoryData", "{}")),
        )
    except (ValueError, KeyError, TypeError) as error:
        return Reply.json(400, {"error": repr(error)})
    return Reply.json(200, {}) if found else Reply.json(404, {"error": f"no alarm {item['AlarmName']!r}"})


# The routes the alarm loop asks of moto's SNS, KMS and CloudWatch.
_SERVICE_ROUTES: dict[tuple[str, str], Callable[[Environ], Reply]] = {
    ("GET", "/_local/sns/cloudwatch-delivery"): _cloudwatch_delivery,
    ("POST", "/_local/cloudwatch/alarm-history"): _alarm_history,
}


def _function(account: str, region: str, name: str, qualifier: str | None) -> Any:
    """moto's function (version), or a Refusal with Lambda's 404."""
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import lambda_backends

    try:
        return lambda_backends[account][region].get_function(name, qualifier)
    except UnknownFunctionException:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}" + (f":{qualifier}" if qualifier else "")
        raise Refusal(
            Reply.lambda_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        ) from None


def _layer_zip(account: str, region: str, name: str, version: str) -> bytes:
    from moto.awslambda.models import lambda_backends

    try:
        layer = lambda_backends[account][region].get_layer_version(name, version)
    except Exception:  # moto raises different errors for a missing layer and a missing version
        layer = None
    if layer is None:
        raise Refusal(Reply.json(404, {"error": f"no layer {name}:{version}"}))
    return bytes(layer.code_bytes)
