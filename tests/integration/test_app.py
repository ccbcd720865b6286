"""HTTP API over TestClient (with lifespan): answers, citations and every kind of bad input."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragnotes.answers import highlight
from ragnotes.answers.warm import prepare_build
from ragnotes.index.embedding import Embedder
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Searcher
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from tests.conftest import fixture_settings


def test_ask_returns_cited_passages(client: TestClient) -> None:
    r = client.post(
        "/api/ask", json={"question": "how do I spot a feature whose distribution shifted?", "k": 2}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["question"] and body["took_ms"] >= 0
    assert set(body["index"]) >= {"build_id", "built_at", "model"}
    top = body["passages"][0]
    assert top["rank"] == 1 and "population stability index" in top["text"]
    c = top["citation"]
    assert (c["source"], c["path"], c["heading"]) == (
        "notes",
        "monitoring.md",
        "Monitoring > Drift",
    )
    assert (c["start_line"], c["end_line"]) == (9, 10)
    assert c["url"] == "/notes/monitoring.md#L9-L10"


def test_get_search_matches_post(client: TestClient) -> None:
    post = client.post(
        "/api/ask", json={"question": "rolling click counts", "k": 3, "mode": "bm25"}
    ).json()
    get = client.get(
        "/api/search", params={"q": "rolling click counts", "k": 3, "mode": "bm25"}
    ).json()
    assert [p["citation"] for p in post["passages"]] == [p["citation"] for p in get["passages"]]


def test_healthz_names_the_build(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["index"]["chunks"] > 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n\t "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "ok", "k": 0}, "k"),
        ({"question": "ok", "k": 51}, "k"),
        ({"question": "ok", "k": "many"}, "k"),
        ({"question": "ok", "mode": "semantic"}, "mode"),
        ({"k": 5}, "question"),
        ({"question": 42}, "question"),
    ],
)
def test_bad_json_fields_are_422_naming_the_field(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    r = client.post("/api/ask", json=payload)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"{field}:")


@pytest.mark.parametrize("raw", ['{"question": ', "not json at all", "[1, 2]", ""])
def test_malformed_json_is_422(client: TestClient, raw: str) -> None:
    r = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "body" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "ok", "k": "0"}, "k"),
        ({"q": "ok", "mode": "x"}, "mode"),
        ({}, "q"),
    ],
)
def test_bad_query_params_are_422(client: TestClient, params: dict[str, str], field: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"{field}:")


def test_unknown_source_filter_is_400(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "drift", "source": "nobody/nothing"})
    assert r.status_code == 400 and "unknown source" in r.json()["detail"]


def test_no_index_is_503_saying_what_to_run(tmp_path: Path, embedder: Embedder) -> None:
    settings = fixture_settings(tmp_path / "data", tmp_path)
    with TestClient(create_app(settings, embedder)) as fresh:
        r = fresh.post("/api/ask", json={"question": "anything"})
        assert r.status_code == 503 and "ragnotes index" in r.json()["detail"]
        health = fresh.get("/healthz").json()
        assert health["status"] == "no_index" and "ragnotes index" in health["detail"]


def test_openapi_describes_every_field(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("Citation", "Passage", "IndexInfo", "AskResponse", "AskRequest"):
        for field, spec in schemas[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} lacks a description"


def test_passages_are_prepared_before_the_first_request(
    built_settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread preparing them beside the first requests made each wait for the interpreter
    lock (service/app.py); the server starts once they are parsed, however long that takes."""
    finished = threading.Event()

    def slowly(searcher: Searcher, hashes: FileHashes, stop: threading.Event | None = None) -> int:
        time.sleep(0.5)
        done = prepare_build(searcher, hashes, stop)
        finished.set()
        return done

    monkeypatch.setattr("ragnotes.service.app.prepare_build", slowly)
    highlight._words.cache_clear()
    app = create_app(built_settings, embedder)
    with TestClient(app) as client:
        assert finished.is_set()
        searcher = app.state.live.snapshot()
        chunks = searcher.chunks
        assert highlight._words.cache_info().currsize == min(len(chunks), highlight.PREPARED)
        assert app.state.live.hashes.hashed == len(searcher.docs)  # every cited file hashed once
        assert client.get("/healthz").status_code == 200
