"""FIS experiments on a chaos-enabled local cloud, as a user runs them: templates made through FIS's
API (or the ones Terraform declared), experiments started, waited on and stopped through the edge;
and an experiment as a fault for the chaos harness (tests/local/chaos/experiment.py)."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.local.chaos.experiment import Fault
from tests.local.cloud_support import RunningCloud

TERMINAL = frozenset({"completed", "stopped", "failed"})


def eventually(check: Callable[[], Any], what: str, timeout_s: float = 60, every_s: float = 0.2) -> Any:
    """``check()``'s first truthy value, polled until ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        time.sleep(every_s)


class Fis:
    def __init__(self, cloud: RunningCloud) -> None:
        self.cloud = cloud
        self.client = cloud.client("fis")
        outputs = cloud.endpoints["terraform_outputs"]
        self.function_name = str(outputs["function_names"]["postcards"])
        self.function_arn = cloud.client("lambda").get_function(FunctionName=self.function_name)[
            "Configuration"
        ]["FunctionArn"]

    def template(
        self,
        action_id: str,
        parameters: dict[str, str],
        *,
        stop_alarm_arn: str | None = None,
        target: dict[str, Any] | None = None,
    ) -> str:
        """A template with one action on the API function (by ARN unless ``target`` says otherwise)."""
        stop = (
            [{"source": "aws:cloudwatch:alarm", "value": stop_alarm_arn}]
            if stop_alarm_arn
            else [{"source": "none"}]
        )
        answer = self.client.create_experiment_template(
            clientToken=uuid.uuid4().hex,
            description=f"{action_id} {parameters}",
            roleArn="arn:aws:iam::123456789012:role/fis-tests",
            stopConditions=stop,
            targets={
                "ApiFunction": target
                or {
                    "resourceType": "aws:lambda:function",
                    "resourceArns": [self.function_arn],
                    "selectionMode": "ALL",
                }
            },
            actions={
                "Fault": {
                    "actionId": action_id,
                    "parameters": parameters,
                    "targets": {"Functions": "ApiFunction"},
                }
            },
        )
        return str(answer["experimentTemplate"]["id"])

    def start(self, template_id: str) -> str:
        return str(self.client.start_experiment(experimentTemplateId=template_id)["experiment"]["id"])

    def state(self, experiment_id: str) -> dict[str, str]:
        return dict(self.client.get_experiment(id=experiment_id)["experiment"]["state"])

    def wait_for(self, experiment_id: str, *statuses: str, timeout_s: float = 60) -> dict[str, str]:
        return eventually(
            lambda: (state := self.state(experiment_id))["status"] in statuses and state,
            f"experiment {experiment_id} in {statuses}",
            timeout_s,
        )

    def stop(self, experiment_id: str) -> dict[str, str]:
        if self.state(experiment_id)["status"] not in TERMINAL:
            self.client.stop_experiment(id=experiment_id)
        return self.wait_for(experiment_id, *TERMINAL)

    def wait_until_injected(self, experiment_id: str, timeout_s: float = 90) -> None:
        """Invoke the API function until one invocation's log says the experiment's fault was
        injected: the executor, like AWS's extension, polls S3 for the configuration (every 1 s
        here), so a running experiment reaches invocations a moment later."""
        lambda_ = self.cloud.client("lambda")
        needle = f"AWS FIS fault injected ({experiment_id}/"

        def injected() -> bool:
            answer = lambda_.invoke(FunctionName=self.function_name, Payload=b"{}", LogType="Tail")
            return needle in base64.b64decode(answer.get("LogResult", "")).decode(errors="replace")

        eventually(injected, f"a fault of {experiment_id} in an invocation", timeout_s, every_s=0.1)

    def fault(self, name: str, description: str, template_id: str) -> Fault:
        """An experiment from ``template_id`` as the harness's fault: injected by starting it and
        waiting until an invocation shows it, removed by stopping it."""
        started: list[str] = []

        def inject() -> None:
            started.append(self.start(template_id))
            self.wait_for(started[-1], "running")
            self.wait_until_injected(started[-1])

        def remove() -> None:
            if started:
                self.stop(started[-1])

        template = self.client.get_experiment_template(id=template_id)["experimentTemplate"]
        settings = {"template_id": template_id, "actions": template["actions"], "experiments": started}
        return Fault(name, description, inject, remove, settings)
