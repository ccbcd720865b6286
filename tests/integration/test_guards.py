"""Private by default, over real uvicorn on loopback: what a web page elsewhere cannot do.

A DNS-rebinding page reaches 127.0.0.1 with its own name in `Host`; a cross-site form or fetch
carries its own `Origin`; a read token keeps the notes behind a sign-in.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from eval.loopback import served
from index.embedding import Embedder
from index.pipeline import run_index
from service.app import create_app
from service.login import COOKIE
from service.settings import Settings
from tests.conftest import FIXTURES, fixture_settings

ADMIN, READ = "admin-secret", "read-secret"
ASK = {"question": "nightly precomputed recommendations", "k": 1}
EVIL = "http://attacker.example"
# Every kind of route: the page, a note, the API (read and write), the docs, the assets.
ROUTES = [
    ("GET", "/"),
    ("GET", "/?q=batch"),
    ("GET", "/results?q=batch"),
    ("GET", "/notes/serving.md"),
    ("GET", "/api/search?q=batch"),
    ("POST", "/api/ask"),
    ("GET", "/api/index"),
    ("POST", "/api/reindex"),
    ("GET", "/api/reindex/some-job"),
    ("GET", "/healthz"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/static/search.js"),
]


def _request(base: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    body = {"json": ASK} if path == "/api/ask" else {}
    return httpx.request(method, base + path, timeout=60, **body, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A build of its own: the re-index below publishes into it."""
    notes = tmp_path_factory.mktemp("private-notes")
    shutil.copytree(FIXTURES / "notes", notes, dirs_exist_ok=True)
    settings = fixture_settings(tmp_path_factory.mktemp("private-data"), notes)
    run_index(settings.sources(), embedder, settings.store())
    return settings.model_copy(update={"allowed_hosts": "", "admin_token": ADMIN})


@pytest.fixture(scope="module")
def server(own_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """No extra host names, an admin token, no read token, one CORS origin."""
    settings = own_settings.model_copy(update={"cors_origins": "https://notes.example"})
    with served(create_app(settings, embedder)) as base:
        yield base


@pytest.fixture(scope="module")
def token_server(own_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """The same with a read token and one extra host name."""
    settings = own_settings.model_copy(update={"api_token": READ, "allowed_hosts": "notes.lan"})
    with served(create_app(settings, embedder)) as base:
        yield base


def _port(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_rebound_host_is_refused_on_every_route(server: str, method: str, path: str) -> None:
    r = _request(server, method, path, headers={"Host": f"attacker.example:{_port(server)}"})
    assert r.status_code == 400
    assert "RAGNOTES_ALLOWED_HOSTS" in r.json()["detail"]
    assert "attacker.example" in r.json()["detail"]
    assert "passages" not in r.text and "serving" not in r.text.lower()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_loopback_names_work_with_their_port(server: str, host: str) -> None:
    r = _request(server, "GET", "/api/search?q=batch", headers={"Host": f"{host}:{_port(server)}"})
    assert r.status_code == 200 and r.json()["passages"]
    page = _request(server, "GET", "/notes/serving.md", headers={"Host": host})
    assert page.status_code == 200


def test_no_host_header_is_refused(server: str) -> None:
    """HTTP/1.0 allows leaving `Host` out (HTTP clients will not send that, so a raw socket)."""
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=60) as sock:
        sock.sendall(b"GET /api/index HTTP/1.0\r\n\r\n")
        reply = b"".join(iter(lambda: sock.recv(65536), b""))
    assert reply.startswith(b"HTTP/1.1 400") and b"RAGNOTES_ALLOWED_HOSTS" in reply


def test_an_added_name_works_and_others_still_fail(token_server: str) -> None:
    port, auth = _port(token_server), {"Authorization": f"Bearer {READ}"}
    lan = _request(token_server, "GET", "/api/index", headers={"Host": f"notes.lan:{port}", **auth})
    assert lan.status_code == 200
    other = _request(token_server, "GET", "/api/index", headers={"Host": "evil.lan", **auth})
    assert other.status_code == 400


def test_a_foreign_origin_cannot_reindex_even_with_the_admin_token(server: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}", "Origin": EVIL}
    r = _request(server, "POST", "/api/reindex", headers=headers)
    assert r.status_code == 403
    assert EVIL in r.json()["detail"] and "RAGNOTES_CORS_ORIGINS" in r.json()["detail"]
    assert httpx.get(f"{server}/api/index", timeout=60).json()["job"] is None  # nothing started
    for origin in ("null", "http://127.0.0.1", f"http://localhost:{_port(server)}"):
        refused = _request(server, "POST", "/api/ask", headers={"Origin": origin})
        assert refused.status_code == 403, origin  # another port or name is another origin


def test_the_servers_own_origin_and_a_cors_origin_may_write(server: str) -> None:
    assert _request(server, "POST", "/api/ask", headers={"Origin": server}).status_code == 200
    cors = _request(server, "POST", "/api/ask", headers={"Origin": "https://notes.example"})
    assert cors.status_code == 200
    assert cors.headers["access-control-allow-origin"] == "https://notes.example"
    headers = {"Authorization": f"Bearer {ADMIN}", "Origin": server}
    started = _request(server, "POST", "/api/reindex", headers=headers)
    assert started.status_code == 202
    _wait_until_done(server, started.json()["job_id"])


def _wait_until_done(base: str, job_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/api/reindex/{job_id}", timeout=60).json()["state"] != "running":
            return
        time.sleep(0.2)
    raise AssertionError("the re-index did not finish")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_api_bodies_must_be_declared_json(server: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = httpx.post(
        f"{server}/api/ask", content=b'{"question": "batch", "k": 1}', headers=headers, timeout=60
    )
    assert r.status_code == 415
    assert "application/json" in r.json()["detail"]
    assert (content_type or "no Content-Type") in r.json()["detail"]


def test_nothing_is_readable_cross_origin_unless_allowed(server: str) -> None:
    evil = httpx.get(f"{server}/api/search?q=batch", headers={"Origin": EVIL}, timeout=60)
    assert "access-control-allow-origin" not in evil.headers
    preflight = httpx.options(
        f"{server}/api/ask",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
        timeout=60,
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] != "/healthz"])
def test_the_read_token_guards_every_route_but_probes_and_assets(
    token_server: str, method: str, path: str
) -> None:
    bare = _request(token_server, method, path, follow_redirects=False)
    if path.startswith("/static/"):
        assert bare.status_code == 200
    elif method == "GET" and not path.startswith("/api/"):
        assert bare.status_code == 303 and bare.headers["location"].startswith("/login?next=")
    else:
        assert bare.status_code == 401 and "RAGNOTES_API_TOKEN" in bare.json()["detail"]
        assert bare.headers["www-authenticate"] == "Bearer"
    assert _request(token_server, "GET", "/healthz").status_code == 200


def test_bearer_tokens_read_and_only_the_admin_token_writes(token_server: str) -> None:
    def search(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return _request(token_server, "GET", "/api/search?q=batch", headers=headers).status_code

    assert (search(READ), search(ADMIN), search("wrong"), search(READ[:-1])) == (200, 200, 401, 401)
    read_write = _request(
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


def test_without_a_read_token_there_is_no_sign_in(server: str) -> None:
    assert httpx.get(f"{server}/login", timeout=60).status_code == 404
    assert httpx.get(f"{server}/", timeout=60).status_code == 200


def test_cookie_is_for_this_token_only(own_settings: Settings, embedder: Embedder) -> None:
    """A cookie from a server with another token does not read (a token change signs out)."""
    other = own_settings.model_copy(update={"api_token": "another-token"})
    with served(create_app(other, embedder)) as base, httpx.Client(base_url=base) as client:
        client.post("/login", data={"token": "another-token"})
        session = client.cookies[COOKIE]
    with served(create_app(own_settings.model_copy(update={"api_token": READ}), embedder)) as base:
        r = httpx.get(f"{base}/api/index", cookies={COOKIE: session}, timeout=60)
        assert r.status_code == 401
