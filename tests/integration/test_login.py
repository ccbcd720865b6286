"""The read token over real uvicorn on loopback: with RAGNOTES_API_TOKEN set, every route but the
probes and assets needs it, as a bearer token or the cookie that signing in sets."""

from __future__ import annotations

import httpx
import pytest

from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.login import COOKIE
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from tests.integration.conftest import ADMIN, EVIL, READ, ROUTES, send


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] != "/healthz"])
def test_the_read_token_guards_every_route_but_probes_and_assets(
    token_server: str, method: str, path: str
) -> None:
    bare = send(token_server, method, path, follow_redirects=False)
    if path.startswith("/static/"):
        assert bare.status_code == 200
    elif method == "GET" and not path.startswith("/api/"):
        assert bare.status_code == 303 and bare.headers["location"].startswith("/login?next=")
    else:
        assert bare.status_code == 401 and "RAGNOTES_API_TOKEN" in bare.json()["detail"]
        assert bare.headers["www-authenticate"] == "Bearer"
    assert send(token_server, "GET", "/healthz").status_code == 200


def test_bearer_tokens_read_and_only_the_admin_token_writes(token_server: str) -> None:
    def search(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return send(token_server, "GET", "/api/search?q=batch", headers=headers).status_code

    assert (search(READ), search(ADMIN), search("wrong"), search(READ[:-1])) == (200, 200, 401, 401)
    read_write = send(
        token_server, "POST", "/api/reindex", headers={"Authorization": f"Bearer {READ}"}
    )
    assert read_write.status_code == 401 and "RAGNOTES_ADMIN_TOKEN" in read_write.text


def test_signing_in_sets_a_strict_httponly_cookie_that_reads(token_server: str) -> None:
    with httpx.Client(base_url=token_server, timeout=60) as client:
        form = client.get("/login", params={"next": "/notes/serving.md"})
        assert form.status_code == 200 and 'name="token"' in form.text
        assert "script-src 'self'" in form.headers["content-security-policy"]
        wrong = client.post("/login", data={"token": "guess", "next": "/"})
        assert wrong.status_code == 401 and COOKIE not in client.cookies
        right = client.post("/login", data={"token": READ, "next": "/notes/serving.md"})
        assert right.status_code == 303 and right.headers["location"] == "/notes/serving.md"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and READ not in cookie
        assert client.get("/notes/serving.md").status_code == 200
        assert client.get("/api/search", params={"q": "batch"}).json()["passages"]
        assert client.get("/", params={"q": "batch"}).status_code == 200


def test_sign_in_stays_on_this_server_and_refuses_foreign_forms(token_server: str) -> None:
    with httpx.Client(base_url=token_server, timeout=60) as client:
        away = client.post("/login", data={"token": READ, "next": "//attacker.example/"})
        assert away.status_code == 303 and away.headers["location"] == "/"
        forged = client.post("/login", data={"token": READ}, headers={"Origin": EVIL})
        assert forged.status_code == 403


def test_without_a_read_token_there_is_no_sign_in(guarded_server: str) -> None:
    assert httpx.get(f"{guarded_server}/login", timeout=60).status_code == 404
    assert httpx.get(f"{guarded_server}/", timeout=60).status_code == 200


def test_cookie_is_for_this_token_only(guarded_settings: Settings, embedder: Embedder) -> None:
    """A cookie from a server with another token does not read (a token change signs out)."""
    other = guarded_settings.model_copy(update={"api_token": "another-token"})
    with served(create_app(other, embedder)) as base, httpx.Client(base_url=base) as client:
        client.post("/login", data={"token": "another-token"})
        session = client.cookies[COOKIE]
    with served(
        create_app(guarded_settings.model_copy(update={"api_token": READ}), embedder)
    ) as base:
        r = httpx.get(f"{base}/api/index", cookies={COOKIE: session}, timeout=60)
        assert r.status_code == 401
