"""The local FIS: experiments started from the templates in moto's FIS, run on real invocations.

moto keeps FIS templates and experiments as records and runs nothing. Here the experiment operations
(StartExperiment, GetExperiment, ListExperiments, StopExperiment, ListExperimentResolvedTargets)
are served by this service, which reads the template from moto and runs the experiment
(``local.services.fis.experiments``); template operations stay moto's. Experiments live as long as
the cloud runs (a restart forgets them; the fault configurations they wrote expire on their own).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

from local.control_client import ControlPlaneClient, ControlPlaneError
from local.services.cloudwatch.control import CloudWatchCalls
from local.services.fis.experiments import Calls, Experiment


class FisError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Fis:
    def __init__(
        self, client: ControlPlaneClient, region: str, account_id: str, *, stop_check_interval_s: float = 1.0
    ) -> None:
        self.client = client
        self.region = region
        self.account_id = account_id
        self.stop_check_interval_s = stop_check_interval_s
        self.experiments: dict[str, Experiment] = {}
        self._by_token: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls = Calls(
            list_functions=self._list_functions,
            list_tags=self._list_tags,
            get_configuration=self._get_configuration,
            put_object=self._put_object,
            delete_object=self._delete_object,
            alarm_states=self._alarm_states,
        )
        self._cloudwatch = CloudWatchCalls(client)

    # --- operations -----------------------------------------------------------------------------

    async def start_experiment(self, body: dict[str, Any]) -> Experiment:
        token = str(body.get("clientToken") or uuid.uuid4())
        if token in self._by_token:  # idempotent, as FIS's clientToken makes it
            return self.experiments[self._by_token[token]]
        template_id = body.get("experimentTemplateId")
        if not template_id:
            raise FisError(400, "ValidationException", "experimentTemplateId is required")
        template = await self._template(str(template_id))
        experiment_id = "EXP" + uuid.uuid4().hex[:14].upper()  # FIS's ids: EXP + 14 characters
        options = dict(template.get("experimentOptions") or {})
        options.setdefault("accountTargeting", "single-account")
        options.setdefault("emptyTargetResolutionMode", "fail")
        options["actionsMode"] = (body.get("experimentOptions") or {}).get("actionsMode", "run-all")
        experiment = Experiment(
            id=experiment_id,
            arn=f"arn:aws:fis:{self.region}:{self.account_id}:experiment/{experiment_id}",
            template_id=str(template_id),
            role_arn=str(template.get("roleArn", "")),
            targets=json.loads(json.dumps(template.get("targets") or {})),
            actions=json.loads(json.dumps(template.get("actions") or {})),
            stop_conditions=list(template.get("stopConditions") or []),
            tags={**(template.get("tags") or {}), **(body.get("tags") or {})},
            options=options,
            creation_time=time.time(),
        )
        self.experiments[experiment.id] = experiment
        self._by_token[token] = experiment.id
        task = asyncio.create_task(
            experiment.run(self.calls, stop_check_interval_s=self.stop_check_interval_s)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return experiment

    def get_experiment(self, experiment_id: str) -> Experiment:
        experiment = self.experiments.get(experiment_id)
        if experiment is None:
            raise FisError(404, "ResourceNotFoundException", f"Experiment {experiment_id} not found.")
        return experiment

    def list_experiments(self, template_id: str | None = None) -> list[Experiment]:
        found = list(self.experiments.values())
        return [e for e in found if template_id is None or e.template_id == template_id]

    def stop_experiment(self, experiment_id: str) -> Experiment:
        experiment = self.get_experiment(experiment_id)
        experiment.request_stop()
        return experiment

    async def close(self) -> None:
        """Stop every running experiment (their fault configurations are deleted) and wait."""
        for experiment in self.experiments.values():
            experiment.request_stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- control-plane calls ----------------------------------------------------------------------

    async def _template(self, template_id: str) -> dict[str, Any]:
        status, raw = await self.client.rest_call("fis", "GET", f"/experimentTemplates/{quote(template_id)}")
        if status == 404:
            raise FisError(404, "ResourceNotFoundException", f"Experiment template {template_id} not found.")
        if status != 200:
            raise FisError(502, "ServiceException", f"reading template {template_id}: {raw[:200]!r}")
        return dict(json.loads(raw)["experimentTemplate"])

    async def _list_functions(self) -> list[dict[str, Any]]:
        functions: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            query = {"Marker": marker} if marker else None
            answer = await self.client.lambda_api("GET", "/2015-03-31/functions/", query)
            functions.extend(answer.get("Functions") or [])
            marker = answer.get("NextMarker")
            if not marker:
                return functions

    async def _list_tags(self, arn: str) -> dict[str, str]:
        answer = await self.client.lambda_api("GET", f"/2017-03-31/tags/{quote(arn, safe='')}")
        return dict(answer.get("Tags") or {})

    async def _get_configuration(self, name: str, qualifier: str | None) -> dict[str, Any] | None:
        query = {"Qualifier": qualifier} if qualifier else None
        try:
            path = f"/2015-03-31/functions/{quote(name, safe='')}/configuration"
            return dict(await self.client.lambda_api("GET", path, query))
        except ControlPlaneError as error:
            if error.status == 404:
                return None
            raise

    async def _put_object(self, bucket: str, key: str, body: bytes) -> None:
        status, raw = await self.client.rest_call(
            "s3", "PUT", f"/{bucket}/{quote(key)}", data=body, headers={"Content-Type": "application/json"}
        )
        if status != 200:
            raise FisError(502, "ServiceException", f"writing s3://{bucket}/{key}: {status} {raw[:200]!r}")

    async def _delete_object(self, bucket: str, key: str) -> None:
        await self.client.rest_call("s3", "DELETE", f"/{bucket}/{quote(key)}")

    async def _alarm_states(self, arns: list[str]) -> dict[str, str]:
        return {
            str(alarm.get("AlarmArn")): str(alarm.get("StateValue"))
            for alarm in await self._cloudwatch.describe_alarms()
            if alarm.get("AlarmArn") in arns
        }
