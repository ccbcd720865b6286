"""POST /api/ask the short way: the same response, without FastAPI's work for each request.

FastAPI's handling of a request (its routing, the request object, reading and validating the
body, solving the route's dependencies) cost about 0.25-0.3 ms of one client's 4.5-5 ms
request on loopback, as much as BM25 does (eval/BENCHMARKS.md): it runs just before the model,
when its code is no longer in the CPU's caches. This middleware sits innermost, inside every
guard (host, cross-site, read token, body and rate limits), and answers a well-formed question
itself: the body read, parsed as FastAPI parses it, validated by the same `AskRequest`, searched
by the same `ask_response` on the same `CpuWork`, and serialised as the route does.

Everything else goes to FastAPI with the body as it arrived: another route or method, a body
that is not JSON or does not validate, and any error the search raises. So errors, their
status and their wording stay FastAPI's and the app's own handlers' (a failed search is run
again there, which only an error pays). The route stays declared in FastAPI, for the OpenAPI
schema and as that fallback; tests/integration/test_fast_ask.py checks that both give the same
bytes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragnotes.answers.passages import ask_response
from ragnotes.answers.requests import AskRequest
from ragnotes.service.cpu_work import CpuWork
from ragnotes.service.live import LiveIndex

PATH = "/api/ask"


def _json_body(scope: Scope) -> bool:
    """Whether the request says its body is JSON in the one plain way: `application/json`,
    with or without parameters. Other spellings FastAPI accepts go to FastAPI."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json"
    return False


class FastAsk:
    """Answers POST /api/ask when the question is well formed; hands anything else on."""

    def __init__(self, app: ASGIApp, live: LiveIndex, work: CpuWork) -> None:
        self.app = app
        self._live = live
        self._work = work
        self.answered = 0  # questions answered here rather than by FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
            or not _json_body(scope)
        ):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away (or the body limit answered already)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        answer = await self._answer(body)
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        self.answered += 1
        await Response(answer, media_type="application/json")(scope, receive, send)

    async def _answer(self, body: bytes) -> str | None:
        """The response body, or None for FastAPI to answer (and word any error)."""
        try:
            request = AskRequest.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # not JSON, or not a valid question
            return None
        live = self._live
        try:
            response = await self._work.run(
                lambda spare: ask_response(live.snapshot(), request, live.hashes, spare)
            )
        except Exception:  # FastAPI runs it again, and its handlers answer
            return None
        return response.model_dump_json()


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body already read, then what the client sends next."""
    pending: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
