"""A client for any OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, LM Studio, OpenAI).

Only `POST {url}/chat/completions` is used, whole or streamed (server-sent events). Every way
the server can fail becomes an LLMError whose message names the URL and what to check:
unreachable (503), too slow (504), an error status or a body that is not a chat completion
(502). A reply never waits longer than the timeout for the server's next bytes, and a whole
reply never takes longer than `timeout` times `_TOTAL_FACTOR`.

httpx comes with the `llm` extra (pip install 'ragnotes[llm]') and is imported only when an
answer is generated, so the plain install and the server without an LLM never load it.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from ragnotes.errors import ConfigError, RagnotesError

if TYPE_CHECKING:
    import httpx

Messages = list[dict[str, str]]
_TOTAL_FACTOR = 4  # a streamed reply may run this many timeouts in all
MAX_TOKENS = 400


class LLMError(RagnotesError):
    """The LLM server behind generated answers failed; the message names its URL."""


class LLMUnreachable(LLMError):
    """Nothing answers at the configured LLM URL (HTTP 503)."""


class LLMTimeout(LLMError):
    """The LLM server did not answer in time (HTTP 504)."""


class LLMBadReply(LLMError):
    """The LLM server answered with an error status or a body that is not a chat completion
    (HTTP 502)."""


@dataclass(frozen=True)
class LLMConfig:
    """Where the LLM server is and how long to wait for it."""

    url: str  # base URL, such as http://localhost:11434/v1
    model: str = ""
    api_key: str | None = None
    timeout: float = 60.0
    max_tokens: int = MAX_TOKENS  # the longest reply asked for

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/chat/completions"


@dataclass(frozen=True)
class Reply:
    """The model's text and the model name the server gave."""

    text: str
    model: str


def _payload(config: LLMConfig, messages: Messages, stream: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "messages": messages,
        "stream": stream,
        "temperature": 0,
        "max_tokens": config.max_tokens,
    }
    if config.model:  # servers of one model (llama.cpp) need none and name theirs in the reply
        payload["model"] = config.model
    return payload


def _headers(config: LLMConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}


def _bad(config: LLMConfig, what: str) -> LLMBadReply:
    return LLMBadReply(
        f"the LLM server at {config.url} {what}; check that RAGNOTES_LLM_URL is the /v1 base URL "
        f"of an OpenAI-compatible server and that RAGNOTES_LLM_MODEL ({config.model or 'unset'}) "
        "is a model it serves"
    )


def _check_status(config: LLMConfig, response: httpx.Response, body: str) -> None:
    if response.status_code in (401, 403):
        raise LLMBadReply(
            f"the LLM server at {config.url} refused the request (HTTP {response.status_code}); "
            "check RAGNOTES_LLM_API_KEY"
        )
    if response.status_code >= 300:
        raise _bad(config, f"answered HTTP {response.status_code}: {body[:200]!r}")


def check_client() -> None:
    """Refuse, in one line, an LLM configured where httpx is not installed."""
    if importlib.util.find_spec("httpx") is None:
        raise ConfigError(
            "RAGNOTES_LLM_URL is set, but generated answers need the llm extra: "
            "pip install 'ragnotes[llm]'"
        )


@asynccontextmanager
async def _failures(config: LLMConfig) -> AsyncIterator[None]:
    """Turn transport failures into LLMErrors that say what to check."""
    import httpx

    try:
        yield
    except (httpx.TimeoutException, TimeoutError) as exc:
        raise LLMTimeout(
            f"the LLM server at {config.url} did not answer within {config.timeout:g} s; check "
            "that it is not overloaded, use a smaller model, or raise RAGNOTES_LLM_TIMEOUT"
        ) from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise LLMUnreachable(
            f"no LLM server answers at {config.url} ({exc}); check that it is running and that "
            "RAGNOTES_LLM_URL is its base URL, such as http://localhost:11434/v1"
        ) from exc
    except httpx.HTTPError as exc:
        raise LLMUnreachable(
            f"the connection to the LLM server at {config.url} failed ({exc}); check that it is "
            "running and reachable"
        ) from exc


def _message_text(config: LLMConfig, body: str) -> Reply:
    try:
        data = json.loads(body)
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _bad(
            config, f"answered something that is not a chat completion: {body[:200]!r}"
        ) from None
    if not isinstance(text, str):
        raise _bad(config, "answered a chat completion without text")
    return Reply(text, str(data.get("model") or config.model))


async def complete(config: LLMConfig, messages: Messages) -> Reply:
    """The whole reply to `messages`."""
    import httpx

    timeout = httpx.Timeout(config.timeout)
    async with _failures(config), httpx.AsyncClient(timeout=timeout) as client:
        with anyio.fail_after(config.timeout):
            response = await client.post(
                config.endpoint,
                json=_payload(config, messages, False),
                headers=_headers(config),
            )
        _check_status(config, response, response.text)
        return _message_text(config, response.text)


def _delta(config: LLMConfig, data: str) -> tuple[str, str | None]:
    """The text of one streamed chunk, and the model it names."""
    try:
        chunk = json.loads(data)
        choices = chunk.get("choices") or [{}]
        text = (choices[0].get("delta") or {}).get("content") or ""
        model = chunk.get("model")
    except (ValueError, AttributeError, TypeError):
        raise _bad(
            config, f"streamed something that is not a chat completion chunk: {data[:200]!r}"
        ) from None
    return str(text), model if isinstance(model, str) else None


async def stream(config: LLMConfig, messages: Messages) -> AsyncIterator[tuple[str, str | None]]:
    """The reply as it arrives: (text delta, model name or None).

    The server is asked and its status checked before the first delta is yielded, so a server
    that is down or refuses fails before anything was streamed.
    """
    import httpx

    deadline = time.monotonic() + config.timeout * _TOTAL_FACTOR
    timeout = httpx.Timeout(config.timeout)
    async with _failures(config), httpx.AsyncClient(timeout=timeout) as client:
        request = client.build_request(
            "POST", config.endpoint, json=_payload(config, messages, True), headers=_headers(config)
        )
        response = await client.send(request, stream=True)
        try:
            if response.status_code >= 300:
                body = (await response.aread()).decode(errors="replace")
                _check_status(config, response, body)
            chunks = 0
            async for line in response.aiter_lines():
                if time.monotonic() > deadline:
                    raise TimeoutError  # each part came in time, but the whole reply did not
                if line.startswith("data:") and line[5:].strip() != "[DONE]":
                    chunks += 1
                    yield _delta(config, line[5:].strip())
            if not chunks:
                raise _bad(config, "streamed no chat completion chunks (no `data:` lines)")
        finally:
            await response.aclose()
