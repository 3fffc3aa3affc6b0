"""The control plane: moto server on loopback, plus the few things the local cloud needs from it.

Run as ``python -m local.controlplane --port 4567 --edge-url http://127.0.0.1:4566 [--snapshot F]``
(``local.cloud.up`` does). It serves moto's own WSGI application unchanged and adds, in front of it:

- ``GET /_local/lambda/code/<region>/<account>/<function>?Qualifier=<version>`` and
  ``GET /_local/lambda/layers/<region>/<account>/<layer>/<version>``: the zips moto holds. The edge
  puts these URLs into ``GetFunction``'s ``Code.Location`` and ``GetLayerVersion``'s
  ``Content.Location``, where AWS puts a presigned download URL, and the executor downloads from them.
- Lambda's provisioned concurrency API (``/2019-09-30/functions/<fn>/provisioned-concurrency``),
  which moto lacks, so the same Terraform (``aws_lambda_provisioned_concurrency_config``) applies here;
  the executor reads it back to pre-warm environments.
- ``POST /_local/snapshot``: pickle moto's state (and ours) to a file, loaded again at the next start,
  so that a re-``make up`` finds what Terraform created and Terraform sees no changes.
- ``GET /_local/health``.

When it starts empty it also sends each service the root module uses one read-only request
(``warm_up``), so moto's per-service set-up is done while Terraform still plans, not in the apply's
first wave.

It also patches moto's in-process Lambda invocation (S3 notifications, and anything else moto would
run in Docker) into asynchronous invocations through the edge: see ``local.services.s3.moto_patches``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import io
import json
import logging
import os
import pickle
import re
import signal
import sys
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from local import moto_fidelity
from local.services.s3 import moto_patches as s3_notifications

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_CODE = re.compile(r"^/_local/lambda/code/(?P<region>[^/]+)/(?P<account>\d{12})/(?P<name>[^/]+)$")
_LAYER = re.compile(
    r"^/_local/lambda/layers/(?P<region>[^/]+)/(?P<account>\d{12})/(?P<name>[^/]+)/(?P<version>\d+)$"
)
_PROVISIONED = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")
_CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/")


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


class ProvisionedConcurrency:
    """Provisioned concurrency configurations, keyed by (account, region, function, qualifier).

    Configurations are READY at once: the executor starts the environments when it reads them.
    """

    def __init__(self) -> None:
        self.configs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def handle(self, environ: Environ, name: str, account: str, region: str) -> Reply:
        method = environ["REQUEST_METHOD"]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        name, arn_qualifier = _split_function_name(name)
        function = _function(account, region, name, None)
        if method == "GET" and query.get("List"):
            return self._list(account, region, function)
        qualifier = (query.get("Qualifier") or [arn_qualifier or ""])[0]
        if not qualifier or qualifier == "$LATEST":
            raise Refusal(
                Reply.lambda_error(
                    400,
                    "InvalidParameterValueException",
                    "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
                )
            )
        _function(account, region, name, qualifier)  # the version or alias must exist
        key = (account, region, function.function_name, qualifier)
        if method == "PUT":
            return self._put(environ, key, function)
        with self.lock:
            config = self.configs.get(key)
            if method == "DELETE" and config is not None:
                del self.configs[key]
        if config is None:
            raise Refusal(
                Reply.lambda_error(
                    404,
                    "ProvisionedConcurrencyConfigNotFoundException",
                    "No Provisioned Concurrency Config found for this function",
                )
            )
        return Reply(204, b"") if method == "DELETE" else Reply.json(200, config)

    def _put(self, environ: Environ, key: tuple[str, str, str, str], function: Any) -> Reply:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            requested = int(body["ProvisionedConcurrentExecutions"])
        except (ValueError, KeyError, TypeError):
            requested = 0
        if requested < 1:
            raise Refusal(
                Reply.lambda_error(
                    400,
                    "InvalidParameterValueException",
                    "ProvisionedConcurrentExecutions must be an integer >= 1",
                )
            )
        reserved = function.reserved_concurrency
        if reserved is not None and requested > int(reserved):
            raise Refusal(
                Reply.lambda_error(
                    400,
                    "InvalidParameterValueException",
                    "Requested Provisioned Concurrency should not be greater than the "
                    "reservedConcurrentExecution for function",
                )
            )
        config = {
            "RequestedProvisionedConcurrentExecutions": requested,
            "AvailableProvisionedConcurrentExecutions": requested,
            "AllocatedProvisionedConcurrentExecutions": requested,
            "Status": "READY",
            "LastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
        }
        with self.lock:
            self.configs[key] = config
        return Reply.json(202, config)

    def _list(self, account: str, region: str, function: Any) -> Reply:
        with self.lock:
            items = [
                {"FunctionArn": f"{function.function_arn}:{qualifier}", **config}
                for (a, r, name, qualifier), config in self.configs.items()
                if (a, r, name) == (account, region, function.function_name)
            ]
        return Reply.json(200, {"ProvisionedConcurrencyConfigs": items})


class Snapshot:
    """moto's state (every backend in use) and ours, pickled to one file.

    Everything goes into one ``pickle.dump`` so that objects shared between services (a Lambda
    function's logs backend, say) stay shared after loading.
    """

    def __init__(self, path: Path | None, provisioned: ProvisionedConcurrency) -> None:
        self.path = path
        self.provisioned = provisioned
        self.meta: dict[str, Any] = {}

    def load(self) -> bool:

        if self.path is None or not self.path.exists():
            return False
        try:
            with self.path.open("rb") as file:
                document = pickle.load(file)  # noqa: S301 (our own file, written by save())
            import moto

            if document.get("moto_version") != moto.__version__:
                raise ValueError(
                    f"written by moto {document.get('moto_version')}, this is {moto.__version__}"
                )
            saved_backends = document["backends"]
            for live, saved in zip(_live_backend_dicts(saved_backends), saved_backends.values(), strict=True):
                live.update(saved)
                if live not in _in_use():
                    _in_use().append(live)
            self.provisioned.configs = document["provisioned"]
            self.meta = document.get("meta", {})
        except Exception as error:  # a stale or broken snapshot only costs a fresh start
            print(f"control plane: ignoring snapshot {self.path}: {error!r}", file=sys.stderr, flush=True)
            self.meta = {}
            return False
        return True

    def save(self, meta: dict[str, Any]) -> int:
        import moto
        from moto.core.base_backend import backend_lock

        if self.path is None:
            raise ValueError("no --snapshot path given")
        with backend_lock, self.provisioned.lock:
            backends = {_backend_key(b): dict(b) for b in _in_use()}
            buffer = io.BytesIO()
            document = {
                "moto_version": moto.__version__,
                "backends": backends,
                "provisioned": dict(self.provisioned.configs),
                "meta": meta,
            }
            try:
                _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(document)
            except Exception as error:
                raise ValueError(f"{error!r} at {_unpicklable_path(document)}") from error
            data = buffer.getvalue()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.replace(self.path)
        self.meta = meta
        return len(data)


class _StatePickler(pickle.Pickler):
    """pickle, plus the two kinds of object moto's state holds that plain pickle refuses."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, weakref.WeakValueDictionary):
            # moto indexes Lambda functions by ARN weakly; the values are pickled (strongly) elsewhere
            # in the same dump, so the rebuilt weak references stay alive.
            return (weakref.WeakValueDictionary, (dict(obj),))
        if isinstance(obj, _LOCK_TYPES):
            # Locks (and what holds nothing but locks) start unlocked, as after a restart.
            return (_new_lock, (type(obj) is _RLOCK_TYPE,))
        if type(obj).__module__.startswith("cryptography."):
            return _reduce_cryptography(obj)
        factory = getattr(obj, "default_factory", None)
        if isinstance(obj, defaultdict) and "<locals>" in getattr(factory, "__qualname__", ""):
            # A defaultdict whose factory is a lambda (``lambda: {}``): rebuild it with a factory that
            # copies one value the lambda made, which is what such pure factories do.
            sample = factory() if callable(factory) else None
            return (_defaultdict, (functools.partial(copy.deepcopy, sample), dict(obj)))
        return NotImplemented


_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK_TYPE)


def _new_lock(reentrant: bool) -> Any:
    return threading.RLock() if reentrant else threading.Lock()


def _unpicklable_path(obj: Any, path: str = "state", depth: int = 0) -> str:
    """Where in ``obj`` pickling fails (for the error message), e.g. state['acm']...._key."""
    children: list[tuple[str, Any]] = []
    if isinstance(obj, dict):
        children = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, list | tuple | set):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__"):
        children = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
    for child_path, child in children:
        try:
            _StatePickler(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(child)
        except Exception:
            return _unpicklable_path(child, child_path, depth + 1) if depth < 12 else child_path
    return f"{path} ({type(obj).__name__})"


def _reduce_cryptography(obj: Any) -> Any:
    """ACM's keys and certificates (pyca/cryptography objects in Rust) travel as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "private_bytes"):
        pem = obj.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return (_load_private_key, (pem,))
    if isinstance(obj, x509.Certificate):
        return (_load_certificate, (obj.public_bytes(serialization.Encoding.PEM),))
    return NotImplemented


def _load_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None)


def _load_certificate(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def _defaultdict(factory: Callable[[], Any], items: dict[Any, Any]) -> defaultdict[Any, Any]:
    return defaultdict(factory, items)


def _in_use() -> list[Any]:
    """moto's list of the backends that hold state (BackendDict._instances)."""
    from moto.core.base_backend import BackendDict

    instances: list[Any] = BackendDict._instances  # type: ignore[misc]
    return instances


def _backend_key(backend_dict: Any) -> str:
    cls = backend_dict.backend
    return f"{cls.__module__}:{cls.__qualname__}:{backend_dict.service_name}"


def _live_backend_dicts(saved: dict[str, Any]) -> Iterable[Any]:
    """The module-level BackendDict each saved entry belongs to (importing its module)."""
    import importlib

    from moto.core.base_backend import BackendDict

    for key in saved:
        module_name, qualname, service = key.split(":")
        module = importlib.import_module(module_name)
        matches = [
            value
            for value in vars(module).values()
            if isinstance(value, BackendDict)
            and value.backend.__qualname__ == qualname
            and value.service_name == service
        ]
        if len(matches) != 1:
            raise ValueError(f"cannot find moto's backend {key}")
        yield matches[0]


class ControlPlaneApp:
    """WSGI: our routes first, then moto."""

    def __init__(self, moto_app: WsgiApp, provisioned: ProvisionedConcurrency, snapshot: Snapshot) -> None:
        self.moto_app = moto_app
        self.provisioned = provisioned
        self.snapshot = snapshot

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        reply: Reply | None = None
        try:
            if path.startswith("/_local/"):
                reply = self._local(environ, path)
            elif (match := _PROVISIONED.match(path)) is not None:
                from moto.core import DEFAULT_ACCOUNT_ID

                reply = self.provisioned.handle(environ, match["name"], DEFAULT_ACCOUNT_ID, _region(environ))
        except Refusal as refusal:
            reply = refusal.reply
        if reply is None:
            return self.moto_app(environ, start_response)
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


def _layer_zip(account: str, region: str, name: str, version: str) -> bytes:
    from moto.awslambda.models import lambda_backends

    try:
        layer = lambda_backends[account][region].get_layer_version(name, version)
    except Exception:  # moto raises different errors for a missing layer and a missing version
        layer = None
    if layer is None:
        raise Refusal(Reply.json(404, {"error": f"no layer {name}:{version}"}))
    return bytes(layer.code_bytes)


_REASONS = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request", 404: "Not Found", 500: "Error"}


def _region(environ: Environ) -> str:
    match = _CREDENTIAL_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match["region"] if match else os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def _split_function_name(name: str) -> tuple[str, str | None]:
    """``name``, ``name:qualifier`` or an ARN -> (name, qualifier or None)."""
    parts = name.split(":")
    if name.startswith("arn:"):
        return parts[6], parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
        return parts[2], parts[3] if len(parts) > 3 else None
    return parts[0], parts[1] if len(parts) > 1 else None


def _route_moto_invocations() -> None:
    """Anything else in moto that runs a function (SNS, EventBridge targets...) goes to the executor."""
    from moto.awslambda.models import LambdaFunction

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str:
        arn = self.function_arn if self.version == "$LATEST" else f"{self.function_arn}:{self.version}"
        s3_notifications.invoke_async(arn, json.loads(body) if body else {})
        return ""

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


def _install_data_plane_patches() -> None:
    """Fixes the API Gateway data plane needs in moto's own models (local.services.apigateway owns them)."""
    try:
        from local.services.apigateway import moto_patches
    except ImportError:
        return
    moto_patches.install()


# One read-only request per service the root module's resources call. moto does much of a
# service's set-up on its first request: it builds the service's app (under the one lock every other
# request waits on), then its request router and its backend. A Terraform apply sends its first
# request to every service within the same second, on a machine busy starting the rest of the local
# cloud, so they queue behind each other; sending them while Terraform still loads its provider and
# plans takes that queue off the apply. A service missing here is still set up on first use.
WARM_UP_CALLS = (
    ("sts", "get_caller_identity"),
    ("s3", "list_buckets"),
    ("iam", "list_roles"),
    ("lambda", "list_functions"),
    ("route53", "list_hosted_zones"),
    ("acm", "list_certificates"),
    ("cloudfront", "list_distributions"),
    ("apigateway", "get_rest_apis"),
    ("dynamodb", "list_tables"),
    ("sqs", "list_queues"),
    ("sns", "list_topics"),
    ("logs", "describe_log_groups"),
    ("cloudwatch", "describe_alarms"),
    ("events", "list_rules"),
)


def warm_up(url: str, calls: Iterable[tuple[str, str]] = WARM_UP_CALLS) -> None:
    """Send ``calls`` (service, read-only operation) to the control plane at ``url`` with boto3, as
    Terraform's first requests arrive; a failure is reported and only costs the speed-up."""
    from local.aws_clients import control_plane_client

    started = time.monotonic()
    warmed = []
    for service, operation in calls:
        try:
            getattr(control_plane_client(service, url, "us-east-1"), operation)()
            warmed.append(service)
        except Exception as error:  # reported; the request Terraform sends is served regardless
            print(f"control plane: warm-up of {service} failed: {error!r}", file=sys.stderr, flush=True)
    print(
        f"control plane: {len(warmed)} services warmed up in {time.monotonic() - started:.1f} s", flush=True
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.controlplane", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--edge-url", required=True, help="where moto's Lambda invocations are sent")
    parser.add_argument("--snapshot", type=Path, help="state file: loaded at start, written on request")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    s3_notifications.install(args.edge_url)
    _route_moto_invocations()
    moto_fidelity.install()
    _install_data_plane_patches()
    provisioned = ProvisionedConcurrency()
    snapshot = Snapshot(args.snapshot, provisioned)
    loaded = snapshot.load()
    app = ControlPlaneApp(DomainDispatcherApplication(create_backend_app), provisioned, snapshot)
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
    server.serve_forever()
