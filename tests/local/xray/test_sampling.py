"""Sampling: X-Ray's default (1 a second, then 5 %), the rule Terraform creates, and the rules API."""

from __future__ import annotations

import random

import pytest

from local.services.xray.sampling import Sampler, SamplingRuleError, SamplingRules, wildcard_match

REGION, ACCOUNT = "us-east-1", "123456789012"

# What terraform/modules/observability creates (aws_xray_sampling_rule.api).
TERRAFORM_RULE = {
    "RuleName": "postcards-api",
    "Priority": 1000,
    "Version": 1,
    "ReservoirSize": 1,
    "FixedRate": 0.1,
    "ServiceName": "*",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "/v1/*",
    "ResourceARN": "*",
}


class Clock:
    def __init__(self, now: float = 1_700_000_000.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Draws(random.Random):
    """A random source that returns the given draws in order."""

    def __init__(self, draws: list[float]) -> None:
        super().__init__()
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0)


def test_by_default_the_first_request_each_second_is_sampled_then_five_percent():
    # Given no rule but the Default, and draws just under and just over 5 %
    clock = Clock()
    sampler = Sampler(SamplingRules(REGION, ACCOUNT, clock), clock, Draws([0.049, 0.051, 0.5]))

    # When four requests come in one second, then one in the next second
    decisions = [sampler.decide("postcards/v1", "GET", "/v1/postcards", "api") for _ in range(4)]
    clock.now += 1
    decisions.append(sampler.decide("postcards/v1", "GET", "/v1/postcards", "api"))

    # Then the first of each second is sampled from the reservoir, the rest by the 5 % rate
    assert decisions == [True, True, False, False, True]
    (stats,) = sampler.summaries()
    assert stats["RuleName"] == "Default"
    assert (stats["RequestCount"], stats["SampledCount"], stats["BorrowCount"]) == (5, 3, 2)


def test_the_default_rate_is_five_percent_over_many_requests():
    clock = Clock()
    sampler = Sampler(SamplingRules(REGION, ACCOUNT, clock), clock, random.Random(7))

    sampled = sum(sampler.decide("svc", "GET", "/", "h") for _ in range(20_000))

    # 1 from the reservoir + 5 % of the other 19,999 (binomial: sd ~31)
    assert 900 <= sampled - 1 <= 1100


def test_the_terraform_rule_decides_for_its_paths_and_the_default_for_the_rest():
    clock = Clock()
    rules = SamplingRules(REGION, ACCOUNT, clock)
    rules.create(TERRAFORM_RULE)

    assert (
        rules.match("postcards/v1", "AWS::ApiGateway::Stage", "GET", "/v1/postcards", "api").name
        == "postcards-api"
    )
    assert rules.match("postcards/v1", "AWS::ApiGateway::Stage", "GET", "/health", "api").name == "Default"

    sampler = Sampler(rules, clock, Draws([0.09, 0.11]))
    assert [sampler.decide("postcards/v1", "POST", "/v1/postcards", "api") for _ in range(3)] == [
        True,
        True,
        False,
    ]


def test_rules_are_tried_by_priority_then_name():
    rules = SamplingRules(REGION, ACCOUNT, Clock())
    rules.create(TERRAFORM_RULE | {"RuleName": "b", "Priority": 5, "URLPath": "*"})
    rules.create(TERRAFORM_RULE | {"RuleName": "a", "Priority": 5, "URLPath": "*"})
    rules.create(
        TERRAFORM_RULE | {"RuleName": "first", "Priority": 1, "HTTPMethod": "DELETE", "URLPath": "*"}
    )

    assert [r.name for r in rules.ordered()] == ["first", "a", "b", "Default"]
    assert rules.match("s", "t", "GET", "/", "h").name == "a"
    assert rules.match("s", "t", "delete", "/", "h").name == "first"


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything", True),
        ("/v1/*", "/v1/postcards", True),
        ("/v1/*", "/v2/x", False),
        ("GET", "get", True),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a.c", "abc", False),
    ],
)
def test_wildcards_are_star_and_question_mark_case_insensitive(pattern, value, matches):
    assert wildcard_match(pattern, value) is matches


def test_the_rules_api_refuses_what_x_ray_refuses():
    rules = SamplingRules(REGION, ACCOUNT, Clock())
    rules.create(TERRAFORM_RULE)

    with pytest.raises(SamplingRuleError, match="already exists"):
        rules.create(TERRAFORM_RULE)
    with pytest.raises(SamplingRuleError, match="missing URLPath"):
        rules.create({k: v for k, v in TERRAFORM_RULE.items() if k != "URLPath"} | {"RuleName": "x"})
    with pytest.raises(SamplingRuleError, match="FixedRate"):
        rules.create(TERRAFORM_RULE | {"RuleName": "x", "FixedRate": 2})
    with pytest.raises(SamplingRuleError, match="Version"):
        rules.create(TERRAFORM_RULE | {"RuleName": "x", "Version": 2})
    with pytest.raises(SamplingRuleError, match="cannot be deleted"):
        rules.delete("Default")
    with pytest.raises(SamplingRuleError, match="Only FixedRate and ReservoirSize"):
        rules.update({"RuleName": "Default", "URLPath": "/x"})
    with pytest.raises(SamplingRuleError, match="does not exist") as missing:
        rules.delete("nope")
    assert missing.value.missing


def test_rules_are_updated_deleted_and_restored_from_a_snapshot():
    clock = Clock()
    rules = SamplingRules(REGION, ACCOUNT, clock)
    created = rules.create(TERRAFORM_RULE, [{"Key": "project", "Value": "postcards"}])
    clock.now += 5

    updated = rules.update({"RuleARN": created.arn, "FixedRate": 0.5})
    rules.update({"RuleName": "Default", "ReservoirSize": 3})

    assert updated.fixed_rate == 0.5
    assert updated.modified_at == clock.now
    assert updated.created_at == clock.now - 5
    assert created.arn == f"arn:aws:xray:{REGION}:{ACCOUNT}:sampling-rule/postcards-api"
    copy = SamplingRules(REGION, ACCOUNT, clock)
    copy.restore(rules.snapshot())
    assert [r.record() for r in copy.ordered()] == [r.record() for r in rules.ordered()]
    assert copy.tags[created.arn] == {"project": "postcards"}
    assert rules.delete(arn=created.arn).name == "postcards-api"
    assert [r.name for r in rules.ordered()] == ["Default"]


def test_sampling_targets_hand_the_reservoir_to_the_asking_sdk_and_count_its_statistics():
    clock = Clock()
    rules = SamplingRules(REGION, ACCOUNT, clock)
    rules.create(TERRAFORM_RULE)
    sampler = Sampler(rules, clock)

    answer = sampler.targets(
        [
            {
                "RuleName": "postcards-api",
                "ClientID": "c1",
                "Timestamp": clock.now,
                "RequestCount": 10,
                "SampledCount": 2,
                "BorrowCount": 1,
            },
            {
                "RuleName": "gone",
                "ClientID": "c1",
                "Timestamp": clock.now,
                "RequestCount": 1,
                "SampledCount": 0,
            },
        ]
    )

    (target,) = answer["SamplingTargetDocuments"]
    assert target == {
        "RuleName": "postcards-api",
        "FixedRate": 0.1,
        "ReservoirQuota": 1,
        "ReservoirQuotaTTL": clock.now + 10,
        "Interval": 10,
    }
    assert [u["RuleName"] for u in answer["UnprocessedStatistics"]] == ["gone"]
    (stats,) = sampler.summaries()
    assert (stats["RequestCount"], stats["SampledCount"], stats["BorrowCount"]) == (10, 2, 1)
