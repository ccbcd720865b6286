"""POST /api/ask answered by service/fast_ask.py gives what FastAPI's route gives, byte for byte
but the time taken; whatever it does not answer, FastAPI does, as before. Real uvicorn, the
real model and a real build of the fixture notes; the same app is served once as shipped and
once without the middleware, and each request goes to both."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ragnotes.answers.requests import AskRequest
from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes.service.app import create_app
from ragnotes.service.fast_ask import FastAsk
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served

JSON = {"content-type": "application/json"}
# Bodies the middleware answers itself.
ANSWERED = [
    {"question": "when to prefer batch inference"},
    {"question": "nightly precomputed recommendations", "k": 3},
    {"question": "feature store freshness", "k": 10, "mode": "bm25"},
    {"question": "feature store freshness", "k": 2, "mode": "dense"},
    {"question": "model serving latency", "source": "notes"},
    {"question": "model serving latency", "tag": "serving"},
    {"question": "#serving latency budgets"},
    {"question": "a question about nothing in these notes, croissants"},
]
# Requests it hands to FastAPI: (body bytes, headers); each must get FastAPI's own answer.
HANDED_ON = [
    (b'{"question": "batch inference"', JSON),  # not JSON
    (b"", JSON),
    (b'["batch inference"]', JSON),
    (b'{"k": 3}', JSON),
    (b'{"question": "   "}', JSON),
    (b'{"question": "batch", "k": 0}', JSON),
    (b'{"question": "batch", "mode": "fuzzy"}', JSON),
    (b'{"question": "batch", "tag": "no-such-tag"}', JSON),  # valid, then the search refuses
    (b'{"question": "batch", "source": "nobody/nothing"}', JSON),
    (b'{"question": "batch"}', {"content-type": "text/plain"}),
    (b'{"question": "batch"}', {"content-type": "application/vnd.ragnotes+json"}),
    (b'{"question": "batch"}', {}),
]


@pytest.fixture(scope="module")
def servers(built_settings: Settings, embedder: Embedder) -> Iterator[tuple[str, str, FastAsk]]:
    """The app as shipped, the app without the middleware, and the shipped app's middleware."""
    shipped, plain = create_app(built_settings, embedder), create_app(built_settings, embedder)
    plain.user_middleware = [m for m in plain.user_middleware if m.cls is not FastAsk]
    with served(shipped) as fast_base, served(plain) as plain_base:
        httpx.get(fast_base + "/healthz", timeout=60)  # builds the middleware stack
        stack: Any = shipped.middleware_stack
        while not isinstance(stack, FastAsk):
            stack = stack.app
        yield fast_base, plain_base, stack


def _both(
    servers: tuple[str, str, FastAsk], body: bytes, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    fast, plain, _ = servers
    sent = [
        httpx.post(base + "/api/ask", content=body, headers=headers, timeout=60)
        for base in (fast, plain)
    ]
    return sent[0], sent[1]


def _without_time(response: httpx.Response) -> Any:
    body = response.json()
    if isinstance(body, dict):
        body.pop("took_ms", None)
    return body


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}


@pytest.mark.parametrize("question", ANSWERED, ids=lambda q: json.dumps(q)[:60])
def test_a_well_formed_question_gets_the_routes_response(
    servers: tuple[str, str, FastAsk], question: dict[str, Any]
) -> None:
    before = servers[2].answered
    fast, plain = _both(servers, json.dumps(question).encode(), JSON)
    assert servers[2].answered == before + 1  # the middleware answered, not FastAPI
    assert fast.status_code == plain.status_code == 200
    assert _headers(fast) == _headers(plain)
    assert _without_time(fast) == _without_time(plain)
    assert fast.json()["passages"], "the fixture notes answer something"


@pytest.mark.parametrize(("body", "headers"), HANDED_ON, ids=lambda v: repr(v)[:50])
def test_anything_else_is_answered_by_fastapi_as_before(
    servers: tuple[str, str, FastAsk], body: bytes, headers: dict[str, str]
) -> None:
    before = servers[2].answered
    fast, plain = _both(servers, body, headers)
    assert servers[2].answered == before
    assert fast.status_code == plain.status_code
    assert _without_time(fast) == _without_time(plain)  # an error's wording too
    assert _headers(fast) == _headers(plain)


def test_other_methods_and_a_body_over_the_limit_are_not_its_business(
    servers: tuple[str, str, FastAsk],
) -> None:
    fast, plain, middleware = servers
    before = middleware.answered
    for method in ("GET", "PUT"):
        answers = [httpx.request(method, b + "/api/ask", timeout=60) for b in (fast, plain)]
        assert answers[0].status_code == answers[1].status_code == 405
    huge = json.dumps({"question": "x" * 70_000}).encode()
    assert _both(servers, huge, JSON)[0].status_code == 413
    assert middleware.answered == before


class _Recording(Executor):
    """A one-thread executor that remembers which thread ran each call."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1)
        self.threads: list[int] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        def run() -> Any:
            self.threads.append(threading.get_ident())
            return fn(*args, **kwargs)

        return self._pool.submit(run)


def test_a_spare_thread_scores_bm25_and_the_hits_are_the_same(
    built_settings: Settings, embedder: Embedder
) -> None:
    searcher = Searcher.load(BuildStore(built_settings.data_dir), embedder)
    spare = _Recording()
    for question in ANSWERED:
        request = AskRequest.model_validate(question)
        alone = searcher.search(request.question, request.k, request.mode, cosines=True)
        shared = searcher.search(
            request.question, request.k, request.mode, cosines=True, spare=spare
        )
        assert shared == alone
    hybrid = sum(AskRequest.model_validate(q).mode == "hybrid" for q in ANSWERED)
    assert len(spare.threads) == hybrid  # BM25 once a hybrid search, and only then
    assert threading.get_ident() not in spare.threads
