"""Request limits, as pure ASGI middleware: body size, a per-client rate, and CORS when asked for.

Both limits answer before the app does any work, with the same JSON `{"detail": ...}` body the
app's own errors have. The body limit counts bytes as they arrive, so a chunked upload without a
Content-Length is cut off at the limit rather than read whole first.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
# Probes and the page's own assets never count against a client's rate.
RATE_EXEMPT_PREFIXES = ("/healthz", "/static/")
_BODY_TOO_LARGE = (
    f"the request body is over the {MAX_BODY_BYTES // 1024} KB limit; send a shorter question "
    '(questions are at most 2000 characters), e.g. {"question": "...", "k": 5}'
)


async def send_json_error(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Answer with `{"detail": ...}` without involving the app."""
    body = json.dumps({"detail": detail}).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length before we see it
    return None


class _BodyCounter:
    """One request's receive/send pair that stops the body at the limit and answers 413."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        self.received = 0
        self.started = False
        self.rejected = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or self.rejected:
            return message
        self.received += len(message.get("body", b""))
        if self.received <= MAX_BODY_BYTES:
            return message
        self.rejected = True
        if not self.started:
            self.started = True
            await send_json_error(self._send, 413, _BODY_TOO_LARGE)
        # The app sees a client that went away, and whatever it answers is dropped below.
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.rejected:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class BodyLimit:
    """Refuse request bodies over MAX_BODY_BYTES with a 413 that names the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > MAX_BODY_BYTES:
            await send_json_error(send, 413, _BODY_TOO_LARGE)
            return
        counter = _BodyCounter(receive, send)
        await self.app(scope, counter.receive, counter.send)


class TokenBucket:
    """Token buckets per client: `per_minute` requests a minute, refilled evenly, bursts up to that.

    The clock is injected so the arithmetic is testable without sleeping. Buckets left idle long
    enough to be full again are forgotten, so memory follows the clients of the last minute.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, time of last take)
        self._next_sweep = clock() + 60.0

    def take(self, key: str) -> float:
        """Spend one token of `key`'s; 0.0 when allowed, else the seconds until one is free."""
        now = self._clock()
        self._sweep(now)
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.per_second

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        refill_time = self.capacity / self.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_time}
        self._next_sweep = now + 60.0


class RateLimit:
    """Answer 429 with Retry-After once a client IP is over its per-minute rate."""

    def __init__(self, app: ASGIApp, bucket: TokenBucket) -> None:
        self.app = app
        self.bucket = bucket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(RATE_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.bucket.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        detail = (
            f"too many requests: this server allows {self.bucket.capacity:.0f} a minute per "
            f"client (RAGNOTES_RATE_LIMIT); retry in {retry_after} s"
        )
        await send_json_error(send, 429, detail, {"Retry-After": str(retry_after)})


def install_limits(app: FastAPI, *, cors_origins: list[str], rate_limit: int) -> None:
    """Add the body limit, the rate limit when `rate_limit` > 0, and CORS for `cors_origins`."""
    app.add_middleware(BodyLimit)
    if rate_limit > 0:
        app.add_middleware(RateLimit, bucket=TokenBucket(rate_limit))
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
