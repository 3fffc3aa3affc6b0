"""AWS's public parameter for the FIS Lambda extension, resolved to a local layer (runs inside moto).

``terraform/modules/fis_extension`` reads
``/aws/service/fis/lambda-extension/AWS-FIS-extension-<architecture>/1.x.x``, whose value on AWS is
the ARN of the extension layer AWS publishes in its own account
(https://docs.aws.amazon.com/fis/latest/userguide/actions-lambda-extension-arns.html). moto has no
such parameter, so ``chaos_enabled = true`` could not apply. Here the first read of a name under that
path publishes a local layer (in this account and region, as moto's Lambda serves layers) and answers
with its ARN, the way moto loads its other ``/aws/service/...`` trees on first use.

The layer holds ``aws-fis/bootstrap``, the ``AWS_LAMBDA_EXEC_WRAPPER`` the module sets. AWS's is the
extension: a Runtime API proxy that polls the fault configuration in S3. Locally the executor plays
that part (``local.services.lambda_.fis_extension``) and the wrapper only runs the runtime, so that a function
configured exactly as for AWS starts unchanged.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections import defaultdict
from typing import Any

PREFIX = "/aws/service/fis/lambda-extension/"
_NAME = re.compile(r"^/aws/service/fis/lambda-extension/AWS-FIS-extension-(x86_64|arm64)/1\.x\.x$")
LAYER_NAME = "aws-fis-extension-{architecture}"
WRAPPER = (
    '#!/bin/sh\n# Local stand-in for the AWS FIS extension: the executor injects the faults.\nexec "$@"\n'
)


def layer_zip() -> bytes:
    """The layer's content: the wrapper, executable, at aws-fis/bootstrap (/opt/aws-fis/bootstrap)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("aws-fis/bootstrap")
        info.external_attr = (0o100755 & 0xFFFF) << 16
        archive.writestr(info, WRAPPER)
    return buffer.getvalue()


_installed = False


def install() -> None:
    global _installed  # noqa: PLW0603 - patch once per process
    if _installed:
        return
    _installed = True
    from moto.ssm.models import ParameterDict

    original = ParameterDict._check_loading_status

    def check_loading_status(self: Any, key: str) -> None:
        original(self, key)
        name = str(key or "")
        if name.startswith(PREFIX) and not dict.__contains__(self, name):
            _load_fis_extension(self, name)

    ParameterDict._check_loading_status = check_loading_status  # type: ignore[method-assign]


def _load_fis_extension(parameters: Any, name: str) -> None:
    match = _NAME.match(name)
    if match is None:
        return  # a name AWS does not publish: ParameterNotFound, as on AWS
    from moto.awslambda.models import lambda_backends
    from moto.core.utils import utcnow
    from moto.ssm.models import Parameter

    architecture = match.group(1)
    backend = lambda_backends[parameters.account_id][parameters.region_name]
    layer_name = LAYER_NAME.format(architecture=architecture)
    existing = list(backend.list_layer_versions(layer_name)) if _has_layer(backend, layer_name) else []
    layer = (
        existing[-1]
        if existing
        else backend.publish_layer_version(
            {
                "LayerName": layer_name,
                "Description": "Local stand-in for the AWS FIS Lambda extension",
                "Content": {"ZipFile": base64.b64encode(layer_zip()).decode()},
                "CompatibleArchitectures": [architecture],
            }
        )
    )
    # defaultdict's own item access: ParameterDict's would come back here.
    defaultdict.__getitem__(parameters, name).append(
        Parameter(  # type: ignore[abstract]
            account_id=parameters.account_id,
            name=name,
            value=layer.arn,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=utcnow(),
            version=1,
            data_type="text",
        )
    )


def _has_layer(backend: Any, layer_name: str) -> bool:
    return layer_name in backend._layers._layers
