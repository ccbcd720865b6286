"""The rate limiter's token bucket, on an injected clock, and where the server may listen."""

from __future__ import annotations

import pytest

from corpus.errors import ConfigError
from service.bind import check_bind, is_loopback
from service.limits import TokenBucket
from service.settings import Settings


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


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, "", None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "example.org"])
def test_other_hosts_need_allowed_names_or_a_read_token(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(
        ConfigError, match=r"RAGNOTES_ALLOWED_HOSTS.*RAGNOTES_API_TOKEN.*127\.0\.0\.1"
    ):
        check_bind(host, "", None)
    with pytest.raises(ConfigError):
        check_bind(host, " ", "")
    check_bind(host, "notes.lan", None)
    check_bind(host, "", "a-read-token")


@pytest.mark.parametrize(
    ("entries", "names"),
    [
        ("", []),
        ("notes.lan", ["notes.lan"]),
        (" Notes.LAN:8000 , 10.0.0.5 ", ["notes.lan", "10.0.0.5"]),
        ("fe80::1,[fe80::2]:8000", ["[fe80::1]", "[fe80::2]"]),
        ("*.example.org", ["*.example.org"]),
    ],
)
def test_allowed_hosts_are_names_without_ports(entries: str, names: list[str]) -> None:
    allowed = Settings(allowed_hosts=entries).allowed_host_list()
    assert allowed == ["localhost", "127.0.0.1", "[::1]", *names]
