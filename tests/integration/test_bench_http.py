"""The bench's own HTTP clients against a real server: every request answered, costs counted."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.bench_http import Client, many_clients, one_client, request_bytes
from ragnotes_eval.loopback import served

QUESTIONS = ["nightly precomputed recommendations", "feature store skew", "alerts on drift"]


@pytest.fixture(scope="module")
def base(built_settings: Settings, embedder: Embedder) -> Iterator[str]:
    with served(create_app(built_settings, embedder)) as url:
        yield url


def test_a_raw_request_gets_what_httpx_gets(base: str) -> None:
    client = Client(base)
    try:
        assert client.send(request_bytes(client.host, QUESTIONS[0], k=3)) == 200
        assert client.send(request_bytes(client.host, "", k=3)) == 422  # same connection
    finally:
        client.close()
    assert httpx.post(f"{base}/api/ask", json={"question": "", "k": 3}).status_code == 422


def test_one_client_and_many(base: str) -> None:
    embedded: list[str] = []
    one, floor = one_client(base, QUESTIONS, rounds=2, embed=embedded.append)
    assert (one["requests"], one["errors"]) == (6, 0)
    assert 0 < one["p50_ms"] <= one["p99_ms"]
    assert embedded == QUESTIONS + QUESTIONS * 2  # warm-up, then before each request
    assert 0 <= floor["p50_ms"] <= floor["p99_ms"] and floor["cpu_p50_ms"] >= 0
    ratio = one["own_floor_ratio"]
    assert 0 < ratio[50] <= ratio[99]  # each request over the floor measured just before it
    many = many_clients(base, QUESTIONS, clients=3, seconds=1.0, server_pid=os.getpid())
    assert many["errors"] == 0 and many["requests"] > 3
    # Both counted (here the server is this process, so its CPU, in /proc's clock ticks,
    # includes the clients').
    assert many["server_cpu_ms"] > 0 and many["client_cpu_ms"] > 0
