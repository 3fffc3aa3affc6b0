"""Lambda in moto (5.2), made to answer as AWS does where the local cloud would show the difference.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install(edge_url)``
before it serves. Without these, Terraform's second plan proposes the same update again (a
re-``make up`` is never a no-change apply), or the resource cannot be applied at all.

- Invocations: moto runs a function it invokes itself (SNS, EventBridge targets, S3 notifications)
  in Docker. Here they are asynchronous invocations (``X-Amz-Invocation-Type: Event``) through the
  edge, which the executor queues, runs and retries like any other event (``invoke_async``).
- GetFunction leaves out ``Concurrency`` when the reserved concurrency is 0 (a function switched
  off), so a reader would think it unlimited.
- Event invoke configurations ignore the ``Qualifier``, and Put appends while Get answers the first
  one ever stored: they are kept per qualifier here (``$LATEST`` when none is given), Put replaces
  and Update merges, as on AWS; the executor reads the alias's to decide retries and destinations.
  https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
- Provisioned concurrency (``/2019-09-30/functions/<fn>/provisioned-concurrency``) is missing, so
  ``aws_lambda_provisioned_concurrency_config`` could not apply: it is added to moto's Lambda API
  (moto's router already knows the operations from botocore's model). Configurations are READY at
  once; the executor starts the environments when it reads them back.
  https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html
- The account's concurrency quota (``python -m local up --account-concurrency``): PutFunctionConcurrency
  and PutProvisionedConcurrencyConfig are refused, as on AWS, when they would leave less than the
  unreserved minimum (``account_quota``); moto checks only with MOTO_LAMBDA_CONCURRENCY_QUOTA set,
  against a fixed 100 and ignoring provisioned concurrency. GetAccountSettings (missing in moto)
  answers the quota and what is unreserved.
  https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html

Both kinds of configuration are kept on moto's function (its ``$LATEST``), so they are saved with
moto's state in a snapshot and go away with the function, as on AWS.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from local.invoke import InvokeError
from local.services.lambda_ import account_quota
from local.services.lambda_.functions import split_function_name

# (status, headers, body): what moto's responders return; moto reads the status from the headers.
Served = tuple[int, dict[str, Any], str]

# One sender thread pool per control-plane process: the caller (S3, SNS...) returns at once, as on AWS.
_senders = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-event")
_edge: dict[str, str] = {"url": ""}  # set by install()
_account: dict[str, int] = {"concurrency": account_quota.DEFAULT_ACCOUNT_CONCURRENCY}  # set by install()


def install(edge_url: str, account_concurrency: int = account_quota.DEFAULT_ACCOUNT_CONCURRENCY) -> None:
    """Patch moto's Lambda (in this process); invocations moto makes go to ``edge_url``; the account's
    concurrency quota is ``account_concurrency``."""
    _edge["url"] = edge_url.rstrip("/")
    _account["concurrency"] = account_concurrency
    _route_invocations_to_the_edge()
    _keep_zero_concurrency()
    _event_invoke_configs_per_qualifier()
    _provisioned_concurrency_api()
    _enforce_the_account_quota()
    _account_settings_api()


def invoke_async(function_arn: str, event: Any, trace_header: str | None = None) -> None:
    """Queue an ``Event`` invocation of ``function_arn`` (qualified or not) through the edge;
    ``trace_header``: the X-Amzn-Trace-Id the invoking service passes on (S3 does)."""
    _senders.submit(_post_event, function_arn, json.dumps(event).encode(), trace_header)


def _post_event(function_arn: str, body: bytes, trace_header: str | None = None) -> None:
    url = f"{_edge['url']}/2015-03-31/functions/{quote(function_arn, safe='')}/invocations"
    if not url.startswith("http"):
        raise ValueError(f"not an http URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=body,
        method="POST",
        headers={
            "X-Amz-Invocation-Type": "Event",
            "Content-Type": "application/json",
            **({"X-Amzn-Trace-Id": trace_header} if trace_header else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
            response.read()
    except (urllib.error.URLError, OSError) as error:
        # The service that sent the event gives its sender no feedback either: say so loudly.
        print(f"event for {function_arn} not delivered: {error}", file=sys.stderr, flush=True)


def _route_invocations_to_the_edge() -> None:
    from moto.awslambda.models import LambdaFunction

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str:
        arn = self.function_arn if self.version == "$LATEST" else f"{self.function_arn}:{self.version}"
        invoke_async(arn, json.loads(body) if body else {})
        return ""

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


def _keep_zero_concurrency() -> None:
    """GetFunction's ``Concurrency``: also 0 (moto leaves out a falsy one), and the function's own for
    every version and alias. Reserved concurrency belongs to the function, not to a version; moto
    keeps it on the $LATEST object only, so a version published before PutFunctionConcurrency (as
    Terraform's create-with-publish does) would report none and run unthrottled.
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    """
    from moto.awslambda.models import LambdaFunction, lambda_backends

    get_code = LambdaFunction.get_code

    def get_code_with_the_functions_concurrency(self: Any) -> dict[str, Any]:
        document = get_code(self)
        reserved = self.reserved_concurrency
        if self.version != "$LATEST":
            storage = lambda_backends[self.account_id][self.region]._lambdas
            latest = storage._functions.get(self.function_name, {}).get("latest")
            reserved = latest.reserved_concurrency if latest is not None else reserved
        document.pop("Concurrency", None)
        if reserved is not None:
            document["Concurrency"] = {"ReservedConcurrentExecutions": int(reserved)}
        return document

    LambdaFunction.get_code = get_code_with_the_functions_concurrency  # type: ignore[method-assign]


def _json(status: int, document: Any) -> Served:
    body = json.dumps(document) if document is not None else ""
    return status, {"status": status, "Content-Type": "application/json"}, body


def _event_invoke_configs_per_qualifier() -> None:
    from moto.awslambda.exceptions import UnknownEventConfig
    from moto.awslambda.models import EventInvokeConfig
    from moto.awslambda.responses import LambdaResponse

    def target(response: Any, segments_after_name: int = 1) -> tuple[Any, str, dict[str, Any]]:
        """(the function, the qualifier, its stored configurations) of a request."""
        name = unquote(response.path.rsplit("/", segments_after_name + 1)[1])
        qualifier = response.querystring.get("Qualifier", [None])[0] or "$LATEST"
        function = response.backend.get_function(name)
        return function, qualifier, function.__dict__.setdefault("local_event_invoke_configs", {})

    def store(response: Any, merge: bool) -> Served:
        function, qualifier, configs = target(response)
        given = dict(response.json_body)
        if merge and qualifier in configs:
            given = {**configs[qualifier].config, **given}
        # LastModified is this configuration's, in epoch seconds as REST-JSON timestamps go (moto's
        # own answer carries the function's as a string, which the AWS SDK for Go refuses).
        config = EventInvokeConfig(f"{function.function_arn}:{qualifier}", time.time(), given)  # type: ignore[arg-type]
        configs[qualifier] = config
        return _json(200, config.response())

    def get(self: Any) -> Served:
        function, qualifier, configs = target(self)
        if qualifier not in configs:
            raise UnknownEventConfig(f"{function.function_arn}:{qualifier}")
        return _json(200, configs[qualifier].response())

    def delete(self: Any) -> Served:
        function, qualifier, configs = target(self)
        if configs.pop(qualifier, None) is None:
            raise UnknownEventConfig(f"{function.function_arn}:{qualifier}")
        return _json(204, None)

    def list_all(self: Any) -> Served:
        _, _, configs = target(self, segments_after_name=2)
        return _json(200, {"FunctionEventInvokeConfigs": [c.response() for c in configs.values()]})

    def put(self: Any) -> Served:
        return store(self, merge=False)

    def update(self: Any) -> Served:
        return store(self, merge=True)

    patched: Any = LambdaResponse  # moto types these as ActionResult / str; a tuple is served alike
    patched.put_function_event_invoke_config = put
    patched.update_function_event_invoke_config = update
    patched.get_function_event_invoke_config = get
    patched.delete_function_event_invoke_config = delete
    patched.list_function_event_invoke_configs = list_all


_PROVISIONED_URL = (
    r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"
)
_PROVISIONED_NAME = re.compile(r"/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")


def _provisioned_concurrency_api() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    # Read when moto builds Lambda's app, at the first Lambda request: after install().
    urls.url_paths[_PROVISIONED_URL] = LambdaResponse.dispatch
    patched: Any = LambdaResponse  # moto's router names the operations; these serve them
    patched.put_provisioned_concurrency_config = _put_provisioned
    patched.get_provisioned_concurrency_config = _get_provisioned
    patched.delete_provisioned_concurrency_config = _delete_provisioned
    patched.list_provisioned_concurrency_configs = _list_provisioned


def _lambda_error(status: int, error_type: str, message: str) -> Exception:
    """Lambda's REST-JSON error, which moto's responder turns into the reply."""
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(error_type, message)
    error.code = status
    return error


def _provisioned_target(response: Any, *, any_qualifier: bool = False) -> tuple[Any, str, dict[str, Any]]:
    """(the function's $LATEST, the qualifier, the function's configurations by qualifier)."""
    match = _PROVISIONED_NAME.search(response.path)
    if match is None:
        raise _lambda_error(404, "ResourceNotFoundException", f"no function in {response.path}")
    try:
        name, qualifier = split_function_name(
            unquote(match["name"]), response.querystring.get("Qualifier", [None])[0]
        )
    except InvokeError as error:
        raise _lambda_error(error.status_code, error.error_type, error.message) from None
    function = response.backend.get_function(name)  # ResourceNotFoundException when missing
    configs: dict[str, Any] = function.__dict__.setdefault("local_provisioned_concurrency", {})
    if any_qualifier:
        return function, "", configs
    if not qualifier or qualifier == "$LATEST":
        raise _lambda_error(
            400,
            "InvalidParameterValueException",
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        )
    response.backend.get_function(name, qualifier)  # the version or alias must exist
    return function, qualifier, configs


def _put_provisioned(self: Any) -> Served:
    function, qualifier, configs = _provisioned_target(self)
    try:
        requested = int(json.loads(self.body or "{}")["ProvisionedConcurrentExecutions"])
    except (ValueError, KeyError, TypeError):
        requested = 0
    if requested < 1:
        raise _lambda_error(
            400, "InvalidParameterValueException", "ProvisionedConcurrentExecutions must be an integer >= 1"
        )
    reserved = function.reserved_concurrency
    if reserved is not None and requested > int(reserved):
        raise _lambda_error(
            400,
            "InvalidParameterValueException",
            "Requested Provisioned Concurrency should not be greater than the "
            "reservedConcurrentExecution for function",
        )
    if reserved is None:  # taken from the unreserved pool
        before = _allocation(function)
        after = before - _requested(configs.get(qualifier)) + requested
        _check_unreserved(self.backend, function, before, after, "ConcurrentExecutions")
    configs[qualifier] = {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": requested,
        "AllocatedProvisionedConcurrentExecutions": requested,
        "Status": "READY",
        "LastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
    }
    return _json(202, configs[qualifier])


def _stored_provisioned(configs: dict[str, Any], qualifier: str) -> dict[str, Any]:
    if qualifier not in configs:
        raise _lambda_error(
            404,
            "ProvisionedConcurrencyConfigNotFoundException",
            "No Provisioned Concurrency Config found for this function",
        )
    config: dict[str, Any] = configs[qualifier]
    return config


def _get_provisioned(self: Any) -> Served:
    _, qualifier, configs = _provisioned_target(self)
    return _json(200, _stored_provisioned(configs, qualifier))


def _delete_provisioned(self: Any) -> Served:
    _, qualifier, configs = _provisioned_target(self)
    _stored_provisioned(configs, qualifier)
    del configs[qualifier]
    return _json(204, None)


def _list_provisioned(self: Any) -> Served:
    function, _, configs = _provisioned_target(self, any_qualifier=True)
    items = [
        {"FunctionArn": f"{function.function_arn}:{qualifier}", **config}
        for qualifier, config in list(configs.items())
    ]
    return _json(200, {"ProvisionedConcurrencyConfigs": items})


def _requested(config: dict[str, Any] | None) -> int:
    return int(config["RequestedProvisionedConcurrentExecutions"]) if config else 0


def _allocation(function: Any) -> int:
    """What a function takes from the account's quota: its reservation, else its provisioned total."""
    if function.reserved_concurrency is not None:
        return int(function.reserved_concurrency)
    configs = function.__dict__.get("local_provisioned_concurrency", {})
    return sum(_requested(config) for config in configs.values())


def _others(backend: Any, function: Any) -> list[int]:
    return [_allocation(f) for f in backend.list_functions() if f.function_name != function.function_name]


def _check_unreserved(backend: Any, function: Any, before: int, after: int, parameter: str) -> None:
    quota = _account["concurrency"]
    minimum = account_quota.below_minimum(quota, _others(backend, function), before, after)
    if minimum is not None:
        raise _lambda_error(
            400, "InvalidParameterValueException", account_quota.refusal_message(parameter, minimum)
        )


def _enforce_the_account_quota() -> None:
    from moto.awslambda.models import LambdaBackend

    def put_function_concurrency(self: Any, function_name: str, reserved_concurrency: str) -> str:
        function = self.get_function(function_name)
        after = int(reserved_concurrency)
        _check_unreserved(self, function, _allocation(function), after, "ReservedConcurrentExecutions")
        function.reserved_concurrency = after
        return function.reserved_concurrency

    LambdaBackend.put_function_concurrency = put_function_concurrency  # type: ignore[method-assign]


_ACCOUNT_SETTINGS_URL = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
# Lambda's documented defaults for the code-size quotas (not enforced locally).
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
_CODE_LIMITS = {
    "TotalCodeSize": 80 * 1024**3,
    "CodeSizeUnzipped": 250 * 1024**2,
    "CodeSizeZipped": 50 * 1024**2,
}


def _account_settings_api() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    def get_account_settings(self: Any) -> Served:
        functions = list(self.backend.list_functions())
        quota = _account["concurrency"]
        return _json(
            200,
            {
                "AccountLimit": {
                    **_CODE_LIMITS,
                    "ConcurrentExecutions": quota,
                    "UnreservedConcurrentExecutions": account_quota.unreserved(
                        quota, [_allocation(f) for f in functions]
                    ),
                },
                "AccountUsage": {
                    "TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
                    "FunctionCount": len(functions),
                },
            },
        )

    urls.url_paths[_ACCOUNT_SETTINGS_URL] = LambdaResponse.dispatch
    patched: Any = LambdaResponse
    patched.get_account_settings = get_account_settings
