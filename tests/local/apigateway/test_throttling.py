"""Stage throttling's token buckets."""

from __future__ import annotations

from local.services.apigateway.models import Throttle
from local.services.apigateway.throttling import TokenBucket, bucket_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_requests_are_refused_until_tokens_refill() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)

    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token at 2/s
    assert [bucket.try_acquire() for _ in range(2)] == [True, False]
    clock.now += 100  # refills to the burst size, no more
    assert sum(bucket.try_acquire() for _ in range(10)) == 3


def test_method_settings_override_the_stage_default() -> None:
    throttling = {"*/*": Throttle(10, 5), "/v1/postcards/POST": Throttle(1, 1)}

    post = bucket_for(throttling, "/v1/postcards", "POST")
    get = bucket_for(throttling, "/v1/postcards", "GET")

    assert post is not None
    assert get is not None
    assert post.burst == 1
    assert get.burst == 5


def test_no_settings_or_negative_limits_mean_no_throttling() -> None:
    assert bucket_for({}, "/v1", "GET") is None
    assert bucket_for({"*/*": Throttle(-1, -1)}, "/v1", "GET") is None


def test_root_resource_method_settings_key() -> None:
    bucket = bucket_for({"/GET": Throttle(1, 7)}, "/", "GET")

    assert bucket is not None
    assert bucket.burst == 7
