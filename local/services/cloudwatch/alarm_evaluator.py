"""The loop that evaluates every metric alarm in the control plane, as CloudWatch does each minute.

Each round reads the alarms (DescribeAlarms), fetches each one's datapoints over its evaluation range,
applies ``alarms.evaluate`` and, when the state changes, writes it back with the reason
(SetAlarmState: ``describe-alarms`` then shows it) and publishes the notification to the alarm's SNS
actions for the new state
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html). Before it
publishes, it asks whether CloudWatch may use the topic's encryption key
(``local.services.sns.delivery``): when not, as on AWS, no notification is sent and the failure shows
only in the alarm's history ("Failed to execute action ..."); every action run is recorded there too.
The control plane calls are injected, so the loop is tested with a clock and fakes; a failed call is
reported once and retried next round, never raised into ``make up``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.background import BackgroundTask
from local.services.cloudwatch import alarms
from local.services.cloudwatch.alarms import Evaluation, MetricAlarm
from local.services.sns.delivery import failed_action_summary

# CloudWatch evaluates standard alarms every minute and 10/30 s alarms every 10 s; locally every 10 s.
EVALUATION_INTERVAL_S = 10.0

DescribeAlarms = Callable[[], Awaitable[list[dict[str, Any]]]]
# (alarm, range start, range end) -> {period start: statistic value}
FetchDatapoints = Callable[[MetricAlarm, float, float], Awaitable[Mapping[float, float]]]
# (alarm name, state, reason, reason data JSON)
SetAlarmState = Callable[[str, str, str, str], Awaitable[None]]
# (topic ARN, subject, message)
Publish = Callable[[str, str, str], Awaitable[None]]
# topic ARN -> why CloudWatch cannot publish to it (its KMS key), or None
CheckAction = Callable[[str], Awaitable[str | None]]
# (alarm name, history item type, summary, history data JSON)
RecordHistory = Callable[[str, str, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Transition:
    alarm: str
    old_state: str
    evaluation: Evaluation


class AlarmEvaluator:
    def __init__(
        self,
        describe: DescribeAlarms,
        fetch: FetchDatapoints,
        set_state: SetAlarmState,
        publish: Publish,
        *,
        region: str,
        account_id: str,
        check_action: CheckAction | None = None,
        record_history: RecordHistory | None = None,
        clock: Callable[[], float] = time.time,
        interval_s: float = EVALUATION_INTERVAL_S,
    ) -> None:
        self.describe = describe
        self.fetch = fetch
        self.set_state = set_state
        self.publish = publish
        self.check_action = check_action
        self.record_history = record_history
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.interval_s = interval_s
        self._loop = BackgroundTask(self._run, "alarm-evaluator")
        self._reported: set[str] = set()

    async def evaluate_once(self) -> list[Transition]:
        """One round over every alarm; the state changes it made."""
        try:
            described = await self.describe()
        except Exception as error:  # the control plane restarting: next round
            self._report("describe", f"DescribeAlarms failed: {error!r}")
            return []
        transitions: list[Transition] = []
        now = self.clock()
        for item in described:
            alarm = MetricAlarm.from_describe(item)
            if alarm is None:
                self._report(
                    f"skip:{item.get('AlarmName')}",
                    f"alarm {item.get('AlarmName')!r} is not evaluated locally "
                    "(metric math, anomaly detection or an unknown comparison)",
                )
                continue
            transition = await self._evaluate(alarm, now)
            if transition is not None:
                transitions.append(transition)
        return transitions

    async def _evaluate(self, alarm: MetricAlarm, now: float) -> Transition | None:
        starts = alarms.evaluation_range(alarm, now)
        try:
            datapoints = await self.fetch(alarm, starts[-1], starts[0] + alarm.period)
            evaluation = alarms.evaluate(alarm, datapoints, now)
            if evaluation is None or evaluation.state == alarm.state:
                return None
            await self.set_state(
                alarm.name, evaluation.state, evaluation.reason, alarms.reason_data_json(evaluation)
            )
        except Exception as error:
            self._report(f"alarm:{alarm.name}", f"alarm {alarm.name!r} not evaluated: {error!r}")
            return None
        subject, message = alarms.alarm_message(
            alarm, alarm.state, evaluation, account_id=self.account_id, region=self.region, now=now
        )
        for action in alarm.actions_for(evaluation.state):
            if not action.startswith("arn:aws:sns:"):
                self._report(
                    f"action:{action}", f"alarm action {action} is not an SNS topic: not run locally"
                )
                continue
            await self._run_action(alarm.name, action, subject, message, now)
        return Transition(alarm.name, alarm.state, evaluation)

    async def _run_action(self, alarm: str, action: str, subject: str, message: str, now: float) -> None:
        """Publish to one SNS action unless CloudWatch could not use the topic's key; record it."""
        error = None
        if self.check_action is not None:
            try:
                error = await self.check_action(action)
            except Exception as failure:  # cannot tell: publish as before
                self._report(f"check:{action}", f"could not check {action}: {failure!r}")
        if error is None:
            try:
                await self.publish(action, subject, message)
            except Exception as failure:
                error = str(failure)
                self._report(f"publish:{action}", f"alarm notification to {action} failed: {failure!r}")
        else:
            self._report(
                f"denied:{alarm}:{action}", f"alarm {alarm!r}: {failed_action_summary(action, error)}"
            )
        if self.record_history is None:
            return
        data: dict[str, Any] = {
            "actionState": "Failed" if error else "Succeeded",
            "stateUpdateTimestamp": int(now * 1000),
            "notificationResource": action,
        }
        if error:
            data["error"] = error
        summary = failed_action_summary(action, error) if error else f"Successfully executed action {action}"
        try:
            await self.record_history(alarm, "Action", summary, json.dumps(data))
        except Exception as failure:
            self._report(f"history:{alarm}", f"alarm {alarm!r}: history not recorded: {failure!r}")

    def _report(self, key: str, message: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            print(f"cloudwatch: {message}", file=sys.stderr, flush=True)

    async def start(self) -> None:
        self._loop.start()

    async def reload(self) -> None:
        """Alarms are read afresh every round."""

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await self.evaluate_once()
            await asyncio.sleep(self.interval_s)
