"""The one place moto is patched: each service's ``moto_patches``, installed in a fixed order.

Code that runs inside moto lives in ``local/services/<service>/moto_patches.py`` (moto's and
LocalStack's habit), and only this module installs it, before the control plane serves its first
request (moto builds a service's routes at that service's first request, so added routes land).
The order:

- moto's server itself: the list of its service modules, which it reads from its package folder (a
  directory listing and ~170 ``isdir`` calls, about 1 ms) at every request to tell which service a
  request is for, is read once (``_module_list_once``);
0. IAM: requests signed with a role's temporary credentials are evaluated (moto's auth hook);
1. Lambda: it sets the edge URL that every invocation moto makes is sent to (``invoke_async``),
   so it comes before any service that invokes a function;
2. S3: notifications, delivered through Lambda's ``invoke_async``;
3. EventBridge, CloudFront, API Gateway, CloudWatch, Route 53: model fixes and AWS's refusals, which
   depend on nothing else;
4. SSM (the FIS extension's public parameter publishes a Lambda layer) and CloudFormation
   (``AWS::FIS::ExperimentTemplate`` in moto's FIS), for ``chaos_enabled = true``.
"""

from __future__ import annotations

from local.services.apigateway import moto_patches as apigateway
from local.services.cloudformation import moto_patches as cloudformation
from local.services.cloudfront import moto_patches as cloudfront
from local.services.cloudwatch import moto_patches as cloudwatch
from local.services.events import moto_patches as events
from local.services.iam import moto_patches as iam
from local.services.lambda_ import moto_patches as lambda_
from local.services.lambda_.account_quota import DEFAULT_ACCOUNT_CONCURRENCY
from local.services.route53 import moto_patches as route53
from local.services.s3 import moto_patches as s3
from local.services.ssm import moto_patches as ssm

_installed = False


def install(edge_url: str, account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY) -> None:
    """Patch moto in this process (once: patching twice would wrap moto's methods twice);
    invocations moto makes go to the edge at ``edge_url``; Lambda enforces the account's concurrency
    quota ``account_concurrency``."""
    global _installed  # noqa: PLW0603 - patch once per process
    if _installed:
        return
    _installed = True
    _module_list_once()
    iam.install()
    lambda_.install(edge_url, account_concurrency)
    s3.install()
    events.install()
    cloudfront.install()
    apigateway.install()
    cloudwatch.install()
    route53.install()
    ssm.install()
    cloudformation.install()


def _module_list_once() -> None:
    """moto's package folder does not change while it runs: list its service modules once."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # werkzeug_app looks it up on the module per call
