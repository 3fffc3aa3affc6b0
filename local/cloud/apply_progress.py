"""Following ``terraform apply -json`` (Terraform's machine-readable UI, v1): what the plan holds, what
is done, and when everything the local data planes read exists while the rest is still being applied.

Some resources cost the AWS provider fixed waits that no endpoint can shorten: an S3 lifecycle
configuration is read back until it matches for ~55 s, a Route53 change waits ~15 s before its first
poll. The local data planes read neither (no lifecycle expiry runs locally, and *.localhost names are
not resolved through Route53), so a first ``make up`` may serve before they are done; whatever depends
on them (a certificate validated through DNS records, say) is still waited for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.terraform_state import TerraformState

# Resource types the local data planes never read; see the module docstring.
DEFERRABLE_TYPES = frozenset({"aws_s3_bucket_lifecycle_configuration", "aws_route53_record"})

# "<address>: Creation complete after 1s [id=...]"; an address may hold spaces (for_each keys).
_COMPLETE = re.compile(
    r"^(?P<address>.+?): (?P<what>Creation|Modifications|Destruction) complete after (?P<after>(\d+m)?\d+s)"
)


def deferrable_type(resource: Mapping[str, Any]) -> bool:
    """The default: a planned change may finish after serving when its resource type is deferrable."""
    return resource.get("resource_type") in DEFERRABLE_TYPES


@dataclass
class ApplyProgress:
    """The state of one apply, fed its JSON messages in order."""

    deferrable: Callable[[Mapping[str, Any]], bool] = deferrable_type
    served_outputs: tuple[str, ...] = ()  # root outputs the data planes read from the state
    planned: dict[str, str] = field(default_factory=dict)  # address -> action
    deferred: set[str] = field(default_factory=set)  # planned addresses that may finish later
    reads: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    output_actions: dict[str, str] | None = None  # output -> planned action, once the plan says
    plan_complete: bool = False
    summary: str = ""  # "Apply complete! Resources: ..."
    changes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # changes Terraform reported as errored

    def feed(self, message: Mapping[str, Any]) -> str | None:
        """Take one message; return a progress line worth showing, if any."""
        kind = message.get("type")
        if kind == "planned_change":
            change = message.get("change") or {}
            resource = change.get("resource") or {}
            address = resource.get("addr", "")
            self.planned[address] = change.get("action", "")
            if str(resource.get("resource", "")).startswith("data."):
                self.reads.add(address)  # a data source read during the apply: never in the state
            elif self.deferrable(resource):
                self.deferred.add(address)
        elif kind == "change_summary":
            changes = message.get("changes") or {}
            if changes.get("operation") == "apply":
                self.summary = str(message.get("@message", ""))
                self.changes = {k: v for k, v in changes.items() if isinstance(v, int)}
            else:
                self.plan_complete = True
        elif kind == "outputs" and not self.summary:  # the plan's (the apply's last one has values)
            outputs = message.get("outputs") or {}
            self.output_actions = {name: str(item.get("action", "")) for name, item in outputs.items()}
        elif kind == "apply_complete":
            hook = message.get("hook") or {}
            self.done.add((hook.get("resource") or {}).get("addr", ""))
            if (match := _COMPLETE.search(str(message.get("@message", "")))) is not None:
                return f"{match['address']}: {match['what'].lower()} complete ({match['after']})"
        elif kind == "apply_errored":
            hook = message.get("hook") or {}
            self.failed.add((hook.get("resource") or {}).get("addr", ""))
        elif kind == "diagnostic" and message.get("@level") == "error":
            diagnostic = message.get("diagnostic") or {}
            where = diagnostic.get("address")
            text = f"Error: {diagnostic.get('summary', '')}" + (f" ({where})" if where else "")
            if diagnostic.get("detail"):
                text += f"\n{diagnostic['detail']}"
            self.errors.append(text)
        return None

    @property
    def changed(self) -> bool:
        return any(self.changes.get(kind, 0) for kind in ("add", "change", "remove", "import"))

    def pending(self) -> list[str]:
        """Planned changes not yet complete, in plan order."""
        return [address for address in self.planned if address not in self.done]

    def may_serve_early(self) -> bool:
        """Only an apply that creates things may serve before it ends: a change to something that
        exists, or to an output the data planes read, is only seen in the state when it is written,
        which Terraform does not announce. (A first ``make up`` creates everything.)"""
        if not self.plan_complete or not self.deferred or self.failed or self.errors:
            return False  # an apply that already failed somewhere is reported whole, at its end
        if any(action not in {"create", "read"} for action in self.planned.values()):
            return False
        if self.output_actions is None:
            return not self.served_outputs
        actions = self.output_actions
        return all(actions.get(name, "noop") in {"create", "noop"} for name in self.served_outputs)

    def waiting_for(self) -> list[str]:
        """Planned changes that must be complete before serving."""
        return [address for address in self.pending() if address not in self.deferred]

    def served_by(self, state: Mapping[str, Any]) -> bool:
        """The state document (as written so far) holds every completed change serving needs, and
        the outputs the data planes read."""
        present = {instance.address for instance in TerraformState.from_document(state).instances}
        needed = [a for a in self.planned if a not in self.deferred and a not in self.reads]
        if any(address not in present for address in needed):
            return False
        outputs = state.get("outputs") or {}
        created = [name for name in self.served_outputs if (self.output_actions or {}).get(name) == "create"]
        return all(name in outputs for name in created)
