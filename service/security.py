"""What every transport checks or sends the same way: bearer tokens, and the page's policy.

A token is compared in constant time, whoever asks: the admin routes (service/admin.py), the read
token's middleware and sign-in (service/login.py) and /mcp (service/mcp_server.py). `CSP` is the
Content-Security-Policy of every HTML response (the page, the note view and the sign-in form):
only this server's own scripts and styles.
"""

from __future__ import annotations

import hmac

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def same(given: str, expected: str) -> bool:
    """Whether two secrets are equal, in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer_matches(authorization: str | None, tokens: list[str]) -> bool:
    """True when an `Authorization` header's value is `Bearer <token>` for one of `tokens`."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and any(same(given.strip(), t) for t in tokens)
