"""The fault configuration FIS writes to S3 for the Lambda extension, and reads back.

On AWS, starting an experiment with ``aws:lambda:*`` actions makes FIS read each target function's
``AWS_FIS_CONFIGURATION_LOCATION`` (``arn:aws:s3:::<bucket>/<prefix>/``) and write the fault there;
the extension layer polls that location and injects the fault into the invocations
(https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html). The objects' format is
the extension's own and not documented, so this one is ours: one JSON object per (experiment, action,
function), under ``<prefix>/<function name>/``, naming the action, its parameters, the qualifier it
applies to and its end (an object left behind by a stopped cloud expires on its own).

``local.services.fis`` writes them; ``local.services.lambda_.fis_extension`` (the extension's part)
reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

LOCATION_VARIABLE = "AWS_FIS_CONFIGURATION_LOCATION"

ADD_DELAY = "aws:lambda:invocation-add-delay"
INVOCATION_ERROR = "aws:lambda:invocation-error"
HTTP_RESPONSE = "aws:lambda:invocation-http-integration-response"
LAMBDA_ACTIONS = frozenset({ADD_DELAY, INVOCATION_ERROR, HTTP_RESPONSE})


@dataclass(frozen=True)
class Location:
    bucket: str
    prefix: str  # without a trailing slash

    @classmethod
    def parse(cls, value: str) -> Location:
        """``arn:aws:s3:::bucket/prefix/`` (what the fis_extension module sets), or ValueError."""
        if not value.startswith("arn:aws:s3:::") or "/" not in value.removeprefix("arn:aws:s3:::"):
            raise ValueError(f"{LOCATION_VARIABLE}={value!r}: expected arn:aws:s3:::<bucket>/<prefix>/")
        bucket, _, prefix = value.removeprefix("arn:aws:s3:::").partition("/")
        return cls(bucket, prefix.strip("/"))

    def folder(self, function_name: str) -> str:
        """The key prefix of one function's fault configurations."""
        return f"{self.prefix}/{function_name}/" if self.prefix else f"{function_name}/"


@dataclass(frozen=True)
class FaultConfiguration:
    experiment_id: str
    action_name: str
    action_id: str
    function_name: str
    qualifier: str | None  # None: every invocation of the function; else only this version or alias
    parameters: dict[str, str]
    start_time: float  # epoch seconds
    end_time: float

    def key(self, location: Location) -> str:
        return f"{location.folder(self.function_name)}{self.experiment_id}-{self.action_name}.json"

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "experimentId": self.experiment_id,
                "actionName": self.action_name,
                "actionId": self.action_id,
                "functionName": self.function_name,
                "qualifier": self.qualifier,
                "parameters": self.parameters,
                "startTime": self.start_time,
                "endTime": self.end_time,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> FaultConfiguration:
        document: dict[str, Any] = json.loads(raw)
        return cls(
            experiment_id=str(document["experimentId"]),
            action_name=str(document["actionName"]),
            action_id=str(document["actionId"]),
            function_name=str(document["functionName"]),
            qualifier=document.get("qualifier"),
            parameters={str(k): str(v) for k, v in (document.get("parameters") or {}).items()},
            start_time=float(document["startTime"]),
            end_time=float(document["endTime"]),
        )

    def active(self, now: float) -> bool:
        return self.start_time <= now < self.end_time

    @property
    def percentage(self) -> float:
        """``invocationPercentage`` (1-100; FIS's default is 100)."""
        return float(self.parameters.get("invocationPercentage", "100"))

    @property
    def prevent_execution(self) -> bool:
        return self.parameters.get("preventExecution", "false").lower() == "true"
