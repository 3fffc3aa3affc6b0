"""IAM in moto (5.2): requests signed with a role's temporary credentials are evaluated.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install()`` first.
moto can enforce IAM (``INITIAL_NO_AUTH_ACTION_COUNT``), but then for every caller, Terraform and
the tests included, and it evaluates actions only: most services pass the resource ``"*"`` and
conditions are ignored (moto/iam/access_control.py: "TODO add support for the Resource and Condition
parts"). Here moto's one hook (``_authenticate_and_authorize_action``) is replaced:

- a request signed with the administrator key (or any key STS did not issue) passes, as before;
- a request signed with a key moto's STS issued (AssumeRole: what the executor gives each function)
  is evaluated against the role's inline and attached policies (``local.services.iam.evaluation``)
  for the actions and resources it stands for (``local.services.iam.requests``), and a denied one
  gets AWS's AccessDenied with AWS's message naming the assumed-role ARN.

``credentials_of`` tells the S3 POST policy check the secret of the key that signed a form.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from local.config import DEFAULT_ACCOUNT_ID
from local.services.iam.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, Credentials
from local.services.iam.evaluation import Decision, Request, decide, denial_message
from local.services.iam.requests import dynamodb_requests, s3_requests, sqs_requests, ssm_requests

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class Denied(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def assumed_role(access_key_id: str) -> Any | None:
    """moto's AssumedRole for a temporary key (``role_arn``, ``session_name``, secret, token), if any."""
    from moto.sts.models import sts_backends

    return sts_backends[DEFAULT_ACCOUNT_ID]["aws"].get_assumed_role_from_access_key(access_key_id)


def credentials_of(access_key_id: str) -> Credentials | None:
    if access_key_id == ADMIN_ACCESS_KEY_ID:
        return Credentials(ADMIN_SECRET_ACCESS_KEY)
    role = assumed_role(access_key_id)
    if role is None:
        return None
    return Credentials(role.secret_access_key, role.session_token)


def role_policies(role_name: str) -> list[dict[str, Any]]:
    """The role's inline policies and the default versions of its attached managed policies."""
    from moto.iam.models import iam_backends

    backend = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    documents: list[Any] = []
    for name in backend.list_role_policies(role_name):
        documents.append(backend.get_role_policy(role_name, name)[1])
    attached, _ = backend.list_attached_role_policies(role_name)
    for policy in attached:
        version = next(v for v in policy.versions if v.is_default)
        documents.append(version.document)
    return [json.loads(unquote(d)) if isinstance(d, str) else d for d in documents]


def authorize(access_key_id: str, requests: list[Request]) -> None:
    """Raise ``Denied`` unless the role behind a temporary key may make every one of ``requests``."""
    role = assumed_role(access_key_id)
    if role is None:
        return  # the administrator: not evaluated
    role_name = role.role_arn.split("/")[-1]
    principal = f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/{role_name}/{role.session_name}"
    policies = role_policies(role_name)
    for request in requests:
        decision = decide(policies, request)
        if decision is not Decision.ALLOW:
            # S3's message quotes the resource; DynamoDB's does not.
            quoted = request.action.startswith("s3:")
            raise Denied(denial_message(principal, request, decision, quote_resource=quoted))


def install() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import JsonRESTError
    from moto.s3.exceptions import S3AccessDeniedError

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        presigned = self.querystring.get("X-Amz-Credential")  # a presigned URL's query
        if isinstance(presigned, list):
            presigned = presigned[0]
        match = _CREDENTIAL.search(self.headers.get("Authorization") or "") or _CREDENTIAL.search(
            "Credential=" + unquote(presigned or "")
        )
        if match is None:
            return
        access_key, region, service = match.groups()
        if assumed_role(access_key) is None:
            return
        operation = self._get_action()
        if service == "s3":
            requests = s3_requests(
                operation,
                resource,
                query=self.querystring,
                body=self.raw_body,
                deleting_keys=self.method == "POST" and self.is_delete_keys(),
            )
        elif service == "dynamodb":
            requests = dynamodb_requests(operation, self.raw_body, region=region, account=DEFAULT_ACCOUNT_ID)
        elif service == "ssm":
            requests = ssm_requests(operation, self.raw_body, region=region, account=DEFAULT_ACCOUNT_ID)
        elif service == "sqs":
            requests = sqs_requests(
                operation, self.raw_body, query=self.querystring, region=region, account=DEFAULT_ACCOUNT_ID
            )
        else:
            requests = [Request(f"{service}:{operation}", resource)]
        try:
            authorize(access_key, requests)
        except Denied as denied:
            if service == "s3":
                error = S3AccessDeniedError()
                error.message = denied.message
                raise error from None
            raise JsonRESTError("AccessDeniedException", denied.message) from None

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize  # type: ignore[method-assign]
