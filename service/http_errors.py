"""Errors as HTTP responses, in one place: each domain error's status code, and 422s that name
the field. The errors only HTTP raises live here too.

    RagnotesError (ragnotes/errors.py)
    ├── Unauthorized     an admin request without the right bearer token (401)
    └── AdminDisabled    an admin request while no admin token is configured (403)
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ragnotes.answers.llm import LLMBadReply, LLMTimeout, LLMUnreachable
from ragnotes.errors import (
    ConfigError,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    NotFoundError,
    RagnotesError,
    ReindexRunning,
)


class Unauthorized(RagnotesError):
    """An admin request without the right bearer token."""


class AdminDisabled(RagnotesError):
    """An admin request while no admin token is configured."""


_STATUS: list[tuple[type[RagnotesError], int]] = [
    (IndexNotFound, 503),
    (IndexMismatch, 503),
    (IndexCorrupt, 503),
    (ReindexRunning, 409),
    (Unauthorized, 401),
    (AdminDisabled, 403),
    (NotFoundError, 404),
    (LLMUnreachable, 503),
    (LLMTimeout, 504),
    (LLMBadReply, 502),
    (ConfigError, 400),
]


def _status_for(exc: RagnotesError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)


def _field_messages(exc: RequestValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query")]
        where = ".".join(loc) or "body"
        msg = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            where, msg = (
                "body",
                'is not valid JSON; send {"question": "...", "k": 5, "mode": "hybrid"}',
            )
        messages.append(f"{where}: {msg}")
    return messages


def install_error_handlers(app: FastAPI) -> None:
    """A domain error as `{"detail": ...}` with its status; a bad field as a 422 naming it."""

    @app.exception_handler(RagnotesError)
    async def domain_error(_: Request, exc: RagnotesError) -> JSONResponse:
        status = _status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = _field_messages(exc)
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(messages), "errors": errors}, status_code=422)
