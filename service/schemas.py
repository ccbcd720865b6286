"""The transport's own models: health and error bodies, and the OpenAPI `responses=` naming them.

What a question and its answer look like is the answer domain's (answers/requests.py,
answers/responses.py); /docs is generated from both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ragnotes.answers.responses import IndexInfo


class Health(BaseModel):
    """Whether an index is loaded, and which."""

    status: Literal["ok", "degraded", "no_index", "error"] = Field(
        description="ok; degraded: answering from a loaded build while something on disk is "
        "wrong; no_index: nothing built yet; error: the build cannot be loaded (HTTP 503)"
    )
    index: IndexInfo | None = None
    detail: str | None = Field(default=None, description="What is wrong, and what to do.")


class ErrorBody(BaseModel):
    """An error a client can act on."""

    detail: str


class FieldError(BaseModel):
    """One field that failed validation."""

    loc: list[str | int] = Field(description='Where, e.g. ["body", "k"] or ["query", "q"].')
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description='The kind of error, e.g. "less_than_equal".')


class ValidationErrorBody(BaseModel):
    """A request that failed validation: one readable line, then each field."""

    detail: str = Field(description='Every problem as "field: message", joined by "; ".')
    errors: list[FieldError]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses (422 carries the field errors)."""
    return {code: {"model": ValidationErrorBody if code == 422 else ErrorBody} for code in codes}
