"""Sampling rules and the sampling decision, as X-Ray's centralized sampling makes it.

Follows https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html: rules are tried
in priority order (then by name); the first whose service name, service type, host, HTTP method and
URL path match (``*`` any characters, ``?`` one, case-insensitive) decides. Each rule lets its
*reservoir* of requests through every second, then samples ``fixed_rate`` of the rest. The
``Default`` rule always exists (1 request a second, then 5 %).

moto keeps no sampling rules, so the rules live here (CreateSamplingRule, what Terraform's
``aws_xray_sampling_rule`` calls, and the rest of their API), saved with the traces. The reservoir
is counted here for the whole local cloud: X-Ray splits it between the SDK clients asking for
targets, and locally there is one gateway and (per function) one Lambda service doing the asking.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

DEFAULT_RULE_NAME = "Default"
DEFAULT_PRIORITY = 10_000
TARGET_INTERVAL_S = 10


class SamplingRuleError(ValueError):
    """A rule X-Ray refuses (InvalidRequestException); ``missing`` when the rule does not exist."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing  # X-Ray still answers InvalidRequestException


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def wildcard_match(pattern: str, value: str) -> bool:
    return pattern == "*" or _wildcard(pattern).fullmatch(value) is not None


@dataclass
class SamplingRule:
    name: str
    arn: str
    priority: int
    fixed_rate: float
    reservoir_size: int
    service_name: str = "*"
    service_type: str = "*"
    host: str = "*"
    http_method: str = "*"
    url_path: str = "*"
    resource_arn: str = "*"
    version: int = 1
    attributes: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    modified_at: float = 0.0

    def matches(self, service: str, service_type: str, method: str, url_path: str, host: str) -> bool:
        # A rule with attributes needs request attributes to compare; none are passed here.
        return not self.attributes and all(
            wildcard_match(pattern, value)
            for pattern, value in (
                (self.service_name, service),
                (self.service_type, service_type),
                (self.http_method, method),
                (self.url_path, url_path),
                (self.host, host),
            )
        )

    def record(self) -> dict[str, Any]:
        """A SamplingRuleRecord."""
        rule = {
            "RuleName": self.name,
            "RuleARN": self.arn,
            "ResourceARN": self.resource_arn,
            "Priority": self.priority,
            "FixedRate": self.fixed_rate,
            "ReservoirSize": self.reservoir_size,
            "ServiceName": self.service_name,
            "ServiceType": self.service_type,
            "Host": self.host,
            "HTTPMethod": self.http_method,
            "URLPath": self.url_path,
            "Version": self.version,
            "Attributes": dict(self.attributes),
        }
        return {"SamplingRule": rule, "CreatedAt": self.created_at, "ModifiedAt": self.modified_at}


# API member -> (attribute, type); the SamplingRule and SamplingRuleUpdate shapes share them.
_FIELDS: dict[str, tuple[str, type]] = {
    "ResourceARN": ("resource_arn", str),
    "Priority": ("priority", int),
    "FixedRate": ("fixed_rate", float),
    "ReservoirSize": ("reservoir_size", int),
    "ServiceName": ("service_name", str),
    "ServiceType": ("service_type", str),
    "Host": ("host", str),
    "HTTPMethod": ("http_method", str),
    "URLPath": ("url_path", str),
    "Attributes": ("attributes", dict),
}


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """Attribute values from API members, with X-Ray's limits enforced."""
    checked: dict[str, Any] = {}
    for member, (attribute, kind) in _FIELDS.items():
        if member not in values:
            continue
        value = values[member]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise SamplingRuleError(f"{member} must be a {kind.__name__}")
        checked[attribute] = value
    if not 0.0 <= checked.get("fixed_rate", 0.0) <= 1.0:
        raise SamplingRuleError("FixedRate must be between 0 and 1")
    if checked.get("reservoir_size", 0) < 0:
        raise SamplingRuleError("ReservoirSize must not be negative")
    if not 1 <= checked.get("priority", 1) <= 9999:
        raise SamplingRuleError("Priority must be between 1 and 9999")
    return checked


class SamplingRules:
    def __init__(self, region: str, account_id: str, clock: Callable[[], float] = time.time) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self._rules: dict[str, SamplingRule] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.last_modified = clock()
        self._add_default()

    def arn(self, name: str) -> str:
        return f"arn:aws:xray:{self.region}:{self.account_id}:sampling-rule/{name}"

    def _add_default(self) -> None:
        now = self.clock()
        self._rules[DEFAULT_RULE_NAME] = SamplingRule(
            DEFAULT_RULE_NAME,
            self.arn(DEFAULT_RULE_NAME),
            DEFAULT_PRIORITY,
            0.05,
            1,
            created_at=now,
            modified_at=now,
        )
        self.tags.setdefault(self.arn(DEFAULT_RULE_NAME), {})

    def ordered(self) -> list[SamplingRule]:
        return sorted(self._rules.values(), key=lambda r: (r.priority, r.name))

    def match(self, service: str, service_type: str, method: str, url_path: str, host: str) -> SamplingRule:
        for rule in self.ordered():
            if rule.matches(service, service_type, method, url_path, host):
                return rule
        return self._rules[DEFAULT_RULE_NAME]

    def get(self, name: str | None = None, arn: str | None = None) -> SamplingRule:
        for rule in self._rules.values():
            if (name is not None and rule.name == name) or (arn is not None and rule.arn == arn):
                return rule
        raise SamplingRuleError(f"Sampling rule {name or arn} does not exist", missing=True)

    def create(self, values: dict[str, Any], tags: list[dict[str, str]] | None = None) -> SamplingRule:
        name = values.get("RuleName")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            raise SamplingRuleError("RuleName must be 1-32 characters")
        if name in self._rules:
            raise SamplingRuleError(f"Sampling rule {name} already exists")
        missing = [
            m
            for m in (
                "ResourceARN",
                "Priority",
                "FixedRate",
                "ReservoirSize",
                "ServiceName",
                "ServiceType",
                "Host",
                "HTTPMethod",
                "URLPath",
                "Version",
            )
            if m not in values
        ]
        if missing:
            raise SamplingRuleError(f"SamplingRule is missing {', '.join(missing)}")
        if values["Version"] != 1:
            raise SamplingRuleError("Version must be 1")
        now = self.clock()
        rule = SamplingRule(
            name=name,
            arn=self.arn(name),
            priority=0,
            fixed_rate=0.0,
            reservoir_size=0,
            created_at=now,
            modified_at=now,
        )
        for attribute, value in _checked(values).items():
            setattr(rule, attribute, value)
        self._rules[name] = rule
        self.tags[rule.arn] = {t["Key"]: t["Value"] for t in tags or ()}
        self.last_modified = now
        return rule

    def update(self, values: dict[str, Any]) -> SamplingRule:
        rule = self.get(values.get("RuleName"), values.get("RuleARN"))
        changes = _checked(values)
        if rule.name == DEFAULT_RULE_NAME and set(changes) - {"fixed_rate", "reservoir_size"}:
            raise SamplingRuleError("Only FixedRate and ReservoirSize of the Default rule can change")
        for attribute, value in changes.items():
            setattr(rule, attribute, value)
        rule.modified_at = self.last_modified = self.clock()
        return rule

    def delete(self, name: str | None = None, arn: str | None = None) -> SamplingRule:
        rule = self.get(name, arn)
        if rule.name == DEFAULT_RULE_NAME:
            raise SamplingRuleError("The Default rule cannot be deleted")
        del self._rules[rule.name]
        self.tags.pop(rule.arn, None)
        self.last_modified = self.clock()
        return rule

    def snapshot(self) -> dict[str, Any]:
        return {"rules": [asdict(r) for r in self._rules.values()], "tags": self.tags}

    def restore(self, snapshot: dict[str, Any]) -> None:
        self._rules = {r["name"]: SamplingRule(**r) for r in snapshot.get("rules", ())}
        self.tags = {arn: dict(tags) for arn, tags in snapshot.get("tags", {}).items()}
        if DEFAULT_RULE_NAME not in self._rules:
            self._add_default()


@dataclass
class RuleStatistics:
    """Counts of the current window, for GetSamplingStatisticSummaries."""

    window_start: float
    requests: int = 0
    sampled: int = 0
    borrowed: int = 0


class Sampler:
    """The decision for requests the local cloud itself traces (the gateway's stages, Lambda)."""

    def __init__(
        self,
        rules: SamplingRules,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.rules = rules
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 (sampling, not secrets)
        self._reservoir: dict[str, tuple[int, int]] = {}  # rule name -> (second, requests let through)
        self.statistics: dict[str, RuleStatistics] = {}

    def decide(self, service: str, method: str, url_path: str, host: str, service_type: str = "*") -> bool:
        rule = self.rules.match(service, service_type, method, url_path, host)
        now = self.clock()
        second = int(now)
        window, used = self._reservoir.get(rule.name, (second, 0))
        if window != second:
            used = 0
        borrowed = used < rule.reservoir_size
        sampled = borrowed or self.rng.random() < rule.fixed_rate
        self._reservoir[rule.name] = (second, used + 1 if borrowed else used)
        self.count(rule.name, 1, int(sampled), int(borrowed))
        return sampled

    def count(self, rule_name: str, requests: int, sampled: int, borrowed: int) -> None:
        now = self.clock()
        stats = self.statistics.get(rule_name)
        if stats is None or now - stats.window_start >= TARGET_INTERVAL_S:
            stats = self.statistics[rule_name] = RuleStatistics(now - now % TARGET_INTERVAL_S)
        stats.requests += requests
        stats.sampled += sampled
        stats.borrowed += borrowed

    def targets(self, documents: list[dict[str, Any]]) -> dict[str, Any]:
        """GetSamplingTargets: take an SDK's statistics, hand it each rule's whole reservoir."""
        now = self.clock()
        targets: list[dict[str, Any]] = []
        unprocessed: list[dict[str, Any]] = []
        for document in documents:
            name = document.get("RuleName")
            try:
                rule = self.rules.get(name if isinstance(name, str) else None)
            except SamplingRuleError as error:
                unprocessed.append({"RuleName": name, "ErrorCode": "400", "Message": str(error)})
                continue
            self.count(
                rule.name,
                int(document.get("RequestCount", 0)),
                int(document.get("SampledCount", 0)),
                int(document.get("BorrowCount", 0)),
            )
            targets.append(
                {
                    "RuleName": rule.name,
                    "FixedRate": rule.fixed_rate,
                    "ReservoirQuota": rule.reservoir_size,
                    "ReservoirQuotaTTL": now + TARGET_INTERVAL_S,
                    "Interval": TARGET_INTERVAL_S,
                }
            )
        return {
            "SamplingTargetDocuments": targets,
            "LastRuleModification": self.rules.last_modified,
            "UnprocessedStatistics": unprocessed,
        }

    def summaries(self) -> list[dict[str, Any]]:
        return [
            {
                "RuleName": name,
                "Timestamp": stats.window_start,
                "RequestCount": stats.requests,
                "BorrowCount": stats.borrowed,
                "SampledCount": stats.sampled,
            }
            for name, stats in self.statistics.items()
        ]
