"""The rate limiter's token bucket, on an injected clock."""

from __future__ import annotations

import pytest

from ragnotes.service.limits import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_a_minutes_worth_at_once_then_waits() -> None:
    clock = Clock()
    bucket = TokenBucket(60, clock)  # one a second
    assert [bucket.take("a") for _ in range(60)] == [0.0] * 60
    assert bucket.take("a") == pytest.approx(1.0)
    clock.now += 0.25
    assert bucket.take("a") == pytest.approx(0.75)
    clock.now += 0.75
    assert bucket.take("a") == 0.0


def test_tokens_refill_evenly_and_never_above_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(6, clock)  # one every 10 s
    for _ in range(6):
        bucket.take("a")
    clock.now += 25  # two and a half tokens back
    assert [bucket.take("a") for _ in range(2)] == [0.0, 0.0]
    assert bucket.take("a") == pytest.approx(5.0)
    clock.now += 3600  # a long idle refills to six, not more
    assert sum(bucket.take("a") == 0.0 for _ in range(10)) == 6


def test_clients_have_their_own_buckets() -> None:
    bucket = TokenBucket(1, Clock())
    assert bucket.take("10.0.0.1") == 0.0
    assert bucket.take("10.0.0.1") == pytest.approx(60.0)
    assert bucket.take("10.0.0.2") == 0.0


def test_idle_clients_are_forgotten() -> None:
    clock = Clock()
    bucket = TokenBucket(60, clock)
    bucket.take("old")
    clock.now += 61
    bucket.take("new")
    assert set(bucket._buckets) == {"new"}


def test_a_rate_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
