"""What keeps other web sites out of a local server, as pure ASGI middleware.

Loopback is no boundary against the browser on the same machine: a page elsewhere can point its
own domain at 127.0.0.1 (DNS rebinding) and read the answers as same-origin, or post forms and
`fetch` requests at the server. So:

- `HostCheck`: only the names the server is meant to be reached by (RAGNOTES_ALLOWED_HOSTS
  adds to localhost, 127.0.0.1 and [::1]); a rebound domain carries its own name in `Host`.
- `CrossSiteCheck`: a request that changes state is refused when it carries an `Origin` that is
  neither this server nor one of RAGNOTES_CORS_ORIGINS, whatever token it has; and a body sent to
  the API must be declared JSON, which a cross-site HTML form cannot do without a preflight.

Reading cross-origin stays closed by the browser unless CORS allows it (service/limits.py).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragnotes.service.limits import send_json_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_PREFIXES = ("/api/", "/mcp")  # endpoints whose bodies are JSON
_PASSED = "ragnotes.host_ok"


class HostCheck:
    """Starlette's TrustedHostMiddleware decides; its bare "Invalid host header" is replaced by
    a 400 that says which names are allowed and which setting adds one."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self._trusted = TrustedHostMiddleware(self._passed, allowed_hosts, www_redirect=False)

    async def _passed(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_PASSED] = True  # the same dict the outer call holds: it now knows the host was fine
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._trusted(scope, receive, send)
            return

        async def send_refusal(message: Message) -> None:
            if scope.get(_PASSED):
                await send(message)
            elif message["type"] == "http.response.start":
                await send_json_error(send, 400, self._detail(scope))

        await self._trusted(scope, receive, send_refusal)

    def _detail(self, scope: Scope) -> str:
        host = Headers(scope=scope).get("host", "")
        return (
            f"this server does not answer to the host name {host!r} (allowed: "
            f"{', '.join(self.allowed_hosts)}); a page on another site may be trying to read "
            "it. To reach it by that name, add it to RAGNOTES_ALLOWED_HOSTS on the server "
            "(names separated by ',')"
        )


def foreign_origin(origin: str, headers: Headers, cors_origins: list[str]) -> bool:
    """True unless `origin` is this server as the client reached it, or a CORS origin."""
    origin = origin.lower().rstrip("/")
    own = origin.partition("://")[2] == headers.get("host", "").lower()
    return not own and origin not in {o.lower() for o in cors_origins}


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _has_body(headers: Headers) -> bool:
    return "transfer-encoding" in headers or headers.get("content-length", "0") not in ("", "0")


class CrossSiteCheck:
    """403 for a state-changing request from a foreign `Origin`; 415 for a non-JSON API body."""

    def __init__(self, app: ASGIApp, cors_origins: list[str]) -> None:
        self.app = app
        self.cors_origins = cors_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and foreign_origin(origin, headers, self.cors_origins):
            detail = (
                f"requests from {origin} may not change anything on this server; if that page "
                "is yours, add its origin to RAGNOTES_CORS_ORIGINS on the server"
            )
            await send_json_error(send, 403, detail)
            return
        media = _media_type(headers)
        json_body = media == "application/json" or media.endswith("+json")
        if scope["path"].startswith(JSON_PREFIXES) and _has_body(headers) and not json_body:
            detail = (
                f"the body must be JSON sent with 'Content-Type: application/json' "
                f"(got {media or 'no Content-Type'})"
            )
            await send_json_error(send, 415, detail)
            return
        await self.app(scope, receive, send)
