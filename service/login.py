"""The read token (RAGNOTES_API_TOKEN): when it is set, reading needs it too.

API clients send it as `Authorization: Bearer <token>` (the admin token works as well); a browser
signs in once at /login, which sets an HttpOnly, SameSite=Strict cookie, so the page's own
requests carry it and no other site's requests do. The cookie holds an HMAC of the token, not the
token, and changing the token signs everyone out. Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ragnotes.service.limits import send_json_error
from ragnotes.service.security import CSP, bearer_matches, same
from ragnotes.service.settings import Settings

COOKIE = "ragnotes_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
# Reachable without the token: probes (a health check carries none), the page's static assets
# (public code, no notes), and the sign-in page itself.
OPEN_PATHS = ("/healthz", "/static/", "/login")
API_PREFIXES = ("/api/", "/mcp")  # answered with a 401, not sent to the sign-in page
_HERE = Path(__file__).resolve().parent
_API_HINT = (
    "this server needs its read token: send 'Authorization: Bearer <RAGNOTES_API_TOKEN>', "
    "or sign in at /login"
)


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the token itself never sits in it."""
    return hmac.new(token.encode(), b"ragnotes read session", hashlib.sha256).hexdigest()


def _cookie(headers: Headers, name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this server, never another site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


class ReadToken:
    """Let a request through when it carries the read (or admin) token or the session cookie.

    Without it, a page view is sent to /login and anything else gets a 401 naming the token.
    """

    def __init__(self, app: ASGIApp, token: str, admin_token: str | None) -> None:
        self.app = app
        self.tokens = [t for t in (token, admin_token) if t]
        self.session = session_value(token)

    def allowed(self, headers: Headers) -> bool:
        authorization = headers.get("authorization")
        return bearer_matches(authorization, self.tokens) or same(
            _cookie(headers, COOKIE), self.session
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        if self.allowed(Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD") and not path.startswith(API_PREFIXES):
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            await RedirectResponse(f"/login?next={quote(target)}", 303)(scope, receive, send)
            return
        await send_json_error(send, 401, _API_HINT, {"WWW-Authenticate": "Bearer"})


def install_read_token(app: FastAPI, settings: Settings) -> None:
    """When RAGNOTES_API_TOKEN is set: the /login page and the middleware that asks for it."""
    token = settings.api_token
    if not token:
        return
    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=True)
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}

    def login_form(next_url: str, message: str = "", status_code: int = 200) -> HTMLResponse:
        page = env.get_template("login.html").render(next=safe_next(next_url), message=message)
        return HTMLResponse(page, status_code, headers)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(next: str = "/") -> HTMLResponse:
        """The sign-in form: one field for the read token."""
        return login_form(next)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        """Check the token and set the session cookie; a wrong token shows the form again."""
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        given, next_url = fields.get("token", [""])[0], fields.get("next", ["/"])[0]
        if not same(given.strip(), token):
            return login_form(next_url, "That is not this server's read token.", 401)
        response = RedirectResponse(safe_next(next_url), 303)
        response.set_cookie(
            COOKIE,
            session_value(token),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    app.add_middleware(ReadToken, token=token, admin_token=settings.admin_token)
