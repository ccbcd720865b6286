"""POST /api/answer and GET /api/answer: a cited answer, whole (JSON) or streamed (server-sent
events, with `Accept: text/event-stream`).

The stream sends `delta` events (`{"text": ...}`, the answer's text as it is written), then one
`answer` event holding the whole response, exactly what the JSON form returns. An LLM server
that fails before its first words gives what the JSON form gives: the extractive answer with a
`notice` naming the server and the setting to check, or, when `generator: "llm"` was asked for
by name, the HTTP error (502/503/504); one that fails after them ends the stream with an `error`
event (`{"detail": ...}`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from sse_starlette import EventSourceResponse

from ragnotes.answers.answer_schemas import AnswerRequest, AnswerResponse, Generator
from ragnotes.answers.answering import (
    Retrieved,
    answer_question,
    extractive_answer,
    fallback,
    finish,
    retrieve,
    stream_generated,
)
from ragnotes.answers.llm import LLMConfig, LLMError
from ragnotes.service.live import LiveIndex
from ragnotes.service.schemas import (
    ModeField,
    Question,
    SourceFilter,
    TagFilter,
    TopK,
    error_responses,
)

_ERRORS = error_responses(400, 413, 422, 429, 502, 503, 504)
_STREAM = {"text/event-stream": {"schema": {"type": "string"}}}
_DESCRIPTION = (
    "With `Accept: text/event-stream` the answer streams as server-sent events: `delta` events "
    '(`{"text": "..."}`) as the answer is written, then one `answer` event with the whole '
    "response (this schema), or an `error` event if the LLM server fails part-way."
)


def _event(name: str, payload: dict[str, Any] | str) -> dict[str, str]:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return {"event": name, "data": data}


async def _whole(events: AsyncIterator[str | AnswerResponse]) -> AsyncIterator[dict[str, str]]:
    try:
        async for item in events:
            if isinstance(item, str):
                yield _event("delta", {"text": item})
            else:
                yield _event("answer", item.model_dump_json())
    except LLMError as exc:
        yield _event("error", {"detail": str(exc)})


async def _llm_events(
    retrieved: Retrieved, config: LLMConfig
) -> AsyncIterator[str | AnswerResponse]:
    """The LLM's stream, its first part already awaited so a dead server fails the request."""
    events = stream_generated(retrieved, config)
    first = await anext(events)

    async def rest() -> AsyncIterator[str | AnswerResponse]:
        yield first
        async for item in events:
            yield item

    return rest()


async def _streamed(live: LiveIndex, body: AnswerRequest, config: LLMConfig | None) -> Response:
    searcher = live.snapshot()
    retrieved = await to_thread.run_sync(retrieve, searcher, body, live.hashes, config)
    answer = None
    if retrieved.generator == "llm" and retrieved.answerable and config is not None:
        try:
            return EventSourceResponse(_whole(await _llm_events(retrieved, config)))
        except LLMError as exc:
            if body.generator == "llm":
                raise  # asked for by name: the server's failure is the HTTP error
            answer = await to_thread.run_sync(fallback, retrieved, exc)
    if answer is None:
        answer = await to_thread.run_sync(extractive_answer, retrieved)
    whole = finish(retrieved, answer)

    async def once() -> AsyncIterator[str | AnswerResponse]:
        yield whole.answer.text
        yield whole

    return EventSourceResponse(_whole(once()))


async def _respond(
    live: LiveIndex, config: LLMConfig | None, body: AnswerRequest, request: Request
) -> Response:
    """The whole answer as JSON, or streamed when the client asks for server-sent events."""
    if "text/event-stream" in request.headers.get("accept", ""):
        return await _streamed(live, body, config)
    response = await answer_question(live.snapshot(), body, live.hashes, config)
    return Response(response.model_dump_json(), media_type="application/json")


def answer_router(live: LiveIndex, config: LLMConfig | None) -> APIRouter:
    """The /api/answer routes, answering from `live` and, when configured, the LLM server."""
    router = APIRouter(tags=["answer"])

    @router.post(
        "/api/answer",
        response_model=AnswerResponse,
        responses={**_ERRORS, 200: {"content": _STREAM}},
        description=_DESCRIPTION,
    )
    async def answer_post(body: AnswerRequest, request: Request) -> Response:
        """Answer a question in a few sentences, each citing the passages that back it."""
        return await _respond(live, config, body, request)

    @router.get(
        "/api/answer",
        response_model=AnswerResponse,
        responses={**_ERRORS, 200: {"content": _STREAM}},
        description=_DESCRIPTION,
    )
    async def answer_get(
        request: Request,
        q: Annotated[Question, Query(description="The question.")],
        k: Annotated[TopK, Query()] = 5,
        mode: Annotated[ModeField, Query()] = "hybrid",
        source: Annotated[SourceFilter, Query()] = None,
        tag: Annotated[TagFilter, Query()] = None,
        generator: Annotated[
            Generator | None, Query(description="extractive or llm; unset: llm when configured.")
        ] = None,
    ) -> Response:
        """The same as POST /api/answer, as a URL."""
        body = AnswerRequest(
            question=q, k=k, mode=mode, source=source, tag=tag, generator=generator
        )
        return await _respond(live, config, body, request)

    return router
