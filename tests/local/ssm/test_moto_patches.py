"""The FIS extension's public SSM parameter in moto (``local.services.ssm.moto_patches``): it names a
local layer whose wrapper runs the runtime, so ``chaos_enabled = true`` applies unchanged."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.services.ssm import moto_patches

NAME = "/aws/service/fis/lambda-extension/AWS-FIS-extension-{}/1.x.x"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    moto_patches.install()
    with mock_aws():
        options = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        yield boto3.client("ssm", **options), boto3.client("lambda", **options)


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_the_parameter_names_a_local_layer_with_the_wrapper(
    clients: tuple[Any, Any], architecture: str
) -> None:
    ssm, lambda_ = clients

    # When the module's data source reads the parameter (twice: plan and apply)
    first = ssm.get_parameter(Name=NAME.format(architecture))["Parameter"]
    second = ssm.get_parameter(Name=NAME.format(architecture))["Parameter"]

    # Then both name one layer version that exists, for that architecture
    assert first["Value"] == second["Value"]
    assert first["Value"].endswith(f":layer:aws-fis-extension-{architecture}:1")
    name, version = first["Value"].split(":")[6:8]
    layer = lambda_.get_layer_version(LayerName=name, VersionNumber=int(version))
    assert layer["CompatibleArchitectures"] == [architecture]
    # And its content is the executable wrapper at /opt/aws-fis/bootstrap that runs its arguments
    content = moto_patches.layer_zip()
    assert layer["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo("aws-fis/bootstrap")
    assert (info.external_attr >> 16) & 0o111
    assert archive.read(info).decode().rstrip().endswith('exec "$@"')


def test_a_name_aws_does_not_publish_is_not_found(clients: tuple[Any, Any]) -> None:
    ssm, lambda_ = clients
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/aws/service/fis/lambda-extension/AWS-FIS-extension-sparc/1.x.x")
    assert lambda_.list_layers()["Layers"] == []
