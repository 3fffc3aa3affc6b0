"""EventBridge in moto (5.2): scheduled rules match no event, as on AWS.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install()`` before it
serves. moto lets a rule with no event pattern (a scheduled rule) match every event sent to its
bus, and PutEvents then fails with a 500 on the rule's Lambda target. On AWS a scheduled rule never
matches an event; the local cloud's schedules (``local.services.events.schedules``) fire it.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.events.models import Rule

    send_to_targets = Rule.send_to_targets

    def send_when_matched(self: Any, event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.get_pattern():
            return  # a scheduled rule: events never match it
        send_to_targets(self, event, transform_input)

    Rule.send_to_targets = send_when_matched  # type: ignore[method-assign,assignment]
