"""Private by default, over real uvicorn on loopback: what a web page elsewhere cannot do.

A DNS-rebinding page reaches 127.0.0.1 with its own name in `Host`; a cross-site form or fetch
carries its own `Origin`. (The read token that keeps the notes behind a sign-in: test_login.py.)
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.conftest import ADMIN, EVIL, READ, ROUTES, send


def _port(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_rebound_host_is_refused_on_every_route(
    guarded_server: str, method: str, path: str
) -> None:
    r = send(
        guarded_server, method, path, headers={"Host": f"attacker.example:{_port(guarded_server)}"}
    )
    assert r.status_code == 400
    assert "RAGNOTES_ALLOWED_HOSTS" in r.json()["detail"]
    assert "attacker.example" in r.json()["detail"]
    assert "passages" not in r.text and "serving" not in r.text.lower()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_loopback_names_work_with_their_port(guarded_server: str, host: str) -> None:
    r = send(
        guarded_server,
        "GET",
        "/api/search?q=batch",
        headers={"Host": f"{host}:{_port(guarded_server)}"},
    )
    assert r.status_code == 200 and r.json()["passages"]
    page = send(guarded_server, "GET", "/notes/serving.md", headers={"Host": host})
    assert page.status_code == 200


def test_no_host_header_is_refused(guarded_server: str) -> None:
    """HTTP/1.0 allows leaving `Host` out (HTTP clients will not send that, so a raw socket)."""
    with socket.create_connection(("127.0.0.1", _port(guarded_server)), timeout=60) as sock:
        sock.sendall(b"GET /api/index HTTP/1.0\r\n\r\n")
        reply = b"".join(iter(lambda: sock.recv(65536), b""))
    assert reply.startswith(b"HTTP/1.1 400") and b"RAGNOTES_ALLOWED_HOSTS" in reply


def test_an_added_name_works_and_others_still_fail(token_server: str) -> None:
    port, auth = _port(token_server), {"Authorization": f"Bearer {READ}"}
    lan = send(token_server, "GET", "/api/index", headers={"Host": f"notes.lan:{port}", **auth})
    assert lan.status_code == 200
    other = send(token_server, "GET", "/api/index", headers={"Host": "evil.lan", **auth})
    assert other.status_code == 400


def test_a_foreign_origin_cannot_reindex_even_with_the_admin_token(guarded_server: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}", "Origin": EVIL}
    r = send(guarded_server, "POST", "/api/reindex", headers=headers)
    assert r.status_code == 403
    assert EVIL in r.json()["detail"] and "RAGNOTES_CORS_ORIGINS" in r.json()["detail"]
    assert (
        httpx.get(f"{guarded_server}/api/index", timeout=60).json()["job"] is None
    )  # nothing started
    for origin in ("null", "http://127.0.0.1", f"http://localhost:{_port(guarded_server)}"):
        refused = send(guarded_server, "POST", "/api/ask", headers={"Origin": origin})
        assert refused.status_code == 403, origin  # another port or name is another origin


def test_the_servers_own_origin_and_a_cors_origin_may_write(guarded_server: str) -> None:
    assert (
        send(guarded_server, "POST", "/api/ask", headers={"Origin": guarded_server}).status_code
        == 200
    )
    cors = send(guarded_server, "POST", "/api/ask", headers={"Origin": "https://notes.example"})
    assert cors.status_code == 200
    assert cors.headers["access-control-allow-origin"] == "https://notes.example"
    headers = {"Authorization": f"Bearer {ADMIN}", "Origin": guarded_server}
    started = send(guarded_server, "POST", "/api/reindex", headers=headers)
    assert started.status_code == 202
    _wait_until_done(guarded_server, started.json()["job_id"])


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
def test_api_bodies_must_be_declared_json(guarded_server: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = httpx.post(
        f"{guarded_server}/api/ask",
        content=b'{"question": "batch", "k": 1}',
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 415
    assert "application/json" in r.json()["detail"]
    assert (content_type or "no Content-Type") in r.json()["detail"]


def test_nothing_is_readable_cross_origin_unless_allowed(guarded_server: str) -> None:
    evil = httpx.get(f"{guarded_server}/api/search?q=batch", headers={"Origin": EVIL}, timeout=60)
    assert "access-control-allow-origin" not in evil.headers
    preflight = httpx.options(
        f"{guarded_server}/api/ask",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
        timeout=60,
    )
    assert "access-control-allow-origin" not in preflight.headers
