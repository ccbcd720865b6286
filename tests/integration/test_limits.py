"""Request limits over HTTP: body size (declared and streamed), CORS, the rate limit, the bind check."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.cli import main
from ragnotes.service.limits import MAX_BODY_BYTES
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served

ASK = {"question": "nightly precomputed recommendations", "k": 1}
JSON = {"content-type": "application/json"}


def _client(settings: Settings, embedder: Embedder, **changes: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes), embedder))


def _padded_ask(size: int) -> bytes:
    """A valid /api/ask body of exactly `size` bytes (padding is JSON whitespace)."""
    body = b'{"question": "nightly batch", "k": 1}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_body_at_the_limit_is_answered(client: TestClient) -> None:
    r = client.post("/api/ask", content=_padded_ask(MAX_BODY_BYTES), headers=JSON)
    assert r.status_code == 200


def test_a_body_over_the_limit_is_413_naming_it(client: TestClient) -> None:
    r = client.post("/api/ask", content=_padded_ask(MAX_BODY_BYTES + 1), headers=JSON)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert "64 KB" in r.json()["detail"] and "shorter question" in r.json()["detail"]


@pytest.fixture(scope="module")
def live_server(built_settings: Settings, embedder: Embedder) -> Iterator[str]:
    with served(create_app(built_settings, embedder)) as base:
        yield base


def test_a_chunked_body_is_cut_off_at_the_limit(live_server: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "nightly batch", "k": 1'
        for _ in range(100):  # 100 KB of whitespace, with no Content-Length
            yield b" " * 1024
        yield b"}"

    with httpx.Client(base_url=live_server, timeout=30) as http:
        r = http.post("/api/ask", content=chunks(), headers=JSON)
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in r.request.headers
        assert r.status_code == 413 and "64 KB" in r.json()["detail"]
        # The server still answers the next request normally.
        assert http.post("/api/ask", json=ASK).status_code == 200


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/healthz", headers={"Origin": "https://notes.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_only_the_configured_origins(
    built_settings: Settings, embedder: Embedder
) -> None:
    origins = "https://notes.example, http://localhost:3000/"
    with _client(built_settings, embedder, cors_origins=origins) as client:
        r = client.post("/api/ask", json=ASK, headers={"Origin": "https://notes.example"})
        assert r.headers["access-control-allow-origin"] == "https://notes.example"
        preflight = client.options(
            "/api/ask",
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
        other = client.post("/api/ask", json=ASK, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_rate_limit_answers_429_with_retry_after(
    built_settings: Settings, embedder: Embedder
) -> None:
    with _client(built_settings, embedder, rate_limit=2) as client:
        assert [client.post("/api/ask", json=ASK).status_code for _ in range(2)] == [200, 200]
        r = client.get("/api/search", params={"q": "batch"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) == 30  # two a minute: the next token in 30 s
        assert "2 a minute" in r.json()["detail"] and "RAGNOTES_RATE_LIMIT" in r.json()["detail"]
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_no_rate_limit_by_default(client: TestClient) -> None:
    assert all(client.get("/api/index").status_code == 200 for _ in range(30))


def test_serve_refuses_a_public_address_until_told_who_may_read_it() -> None:
    unset = ("RAGNOTES_ADMIN_TOKEN", "RAGNOTES_API_TOKEN", "RAGNOTES_ALLOWED_HOSTS")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["RAGNOTES_ADMIN_TOKEN"] = "an-admin-token"  # writes guarded is not enough: reads too
    run = subprocess.run(
        [sys.executable, "-m", "ragnotes.service.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "0.0.0.0" in lines[0]
    assert "RAGNOTES_ALLOWED_HOSTS" in lines[0] and "RAGNOTES_API_TOKEN" in lines[0]


def test_a_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_RATE_LIMIT", "-5")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ragnotes: error: invalid RAGNOTES_RATE_LIMIT")
