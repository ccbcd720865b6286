"""The one bearer-token check every transport uses (admin routes, the read token, /mcp)."""

from __future__ import annotations

import pytest

from ragnotes.service.security import bearer_matches

TOKENS = ["read-token", "admin-token"]


@pytest.mark.parametrize(
    "authorization", ["Bearer read-token", "bearer admin-token", "BEARER  read-token "]
)
def test_a_bearer_header_with_any_of_the_tokens_matches(authorization: str) -> None:
    assert bearer_matches(authorization, TOKENS)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "read-token",
        "Basic read-token",
        "Bearer",
        "Bearer read-toke",
        "Bearer read-tokenX",
    ],
)
def test_anything_else_does_not(authorization: str | None) -> None:
    assert not bearer_matches(authorization, TOKENS)


def test_no_tokens_match_nothing() -> None:
    assert not bearer_matches("Bearer ", [])
    assert not bearer_matches("Bearer read-token", [])
