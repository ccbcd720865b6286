"""Re-indexing while serving: auth, 202/409, live pickup, staleness, watch mode, and queries under load."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served

TOKEN = "s3cret-token"
NOTES = {
    "serving.md": "# Serving\n\n## Batch\n\nNightly batch jobs precompute scores for every user.\n",
    "ranking.md": "# Ranking\n\nA ranker orders candidates by predicted engagement.\n",
}


def _settings(tmp_path: Path, token: str | None = TOKEN) -> Settings:
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    for name, text in NOTES.items():
        (notes / name).write_text(text)
    return Settings(
        data_dir=tmp_path / "data",
        notes_dir=str(notes),
        bundled_notes=False,
        readmes=False,
        admin_token=token,
    )


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def indexed(tmp_path: Path, embedder: Embedder) -> Settings:
    settings = _settings(tmp_path)
    index_sources(settings.sources(), embedder, settings.store())
    return settings


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reindex_needs_a_configured_token(tmp_path: Path, embedder: Embedder) -> None:
    settings = _settings(tmp_path, token=None)
    with TestClient(create_app(settings, embedder)) as client:
        r = client.post("/api/reindex", headers=_auth())
        assert r.status_code == 403 and "RAGNOTES_ADMIN_TOKEN" in r.json()["detail"]


@pytest.mark.parametrize(
    "headers", [{}, _auth("wrong"), {"Authorization": TOKEN}, {"Authorization": "Basic x"}]
)
def test_reindex_refuses_a_wrong_token(
    indexed: Settings, embedder: Embedder, headers: dict[str, str]
) -> None:
    with TestClient(create_app(indexed, embedder)) as client:
        r = client.post("/api/reindex", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert (
            client.post("/api/ask", json={"question": "batch"}).status_code == 200
        )  # queries stay open


def test_reindex_job_publishes_and_reports(indexed: Settings, embedder: Embedder) -> None:
    notes = Path(indexed.notes_dir)
    with TestClient(create_app(indexed, embedder)) as client:
        before = client.get("/api/index").json()
        assert before["changed_files"] == 0 and before["live"]["files"] == 2
        (notes / "drift.md").write_text(
            "# Drift\n\nThe zebrafish detector watches covariate shift.\n"
        )
        (notes / "serving.md").write_text(NOTES["serving.md"] + "\nAlso streaming.\n")
        status = client.get("/api/index").json()
        assert status["changed_files"] == 2 and status["changes"] == {
            "modified": 1,
            "deleted": 0,
            "added": 1,
        }
        stale = client.post(
            "/api/ask", json={"question": "nightly batch precompute", "k": 1}
        ).json()
        assert stale["passages"][0]["citation"]["stale"] is True

        r = client.post("/api/reindex", headers=_auth())
        assert r.status_code == 202
        job_id = r.json()["job_id"]
        _wait_for(lambda: client.get(f"/api/reindex/{job_id}").json()["state"] != "running")
        job = client.get(f"/api/reindex/{job_id}").json()
        assert job["state"] == "succeeded" and job["files"] == 3
        after = client.get("/api/index").json()
        assert after["live"]["build_id"] == job["build_id"] != before["live"]["build_id"]
        assert after["changed_files"] == 0
        hit = client.post(
            "/api/ask", json={"question": "zebrafish detector", "k": 1, "mode": "bm25"}
        ).json()
        assert hit["passages"][0]["citation"]["path"] == "drift.md"
        assert hit["passages"][0]["citation"]["stale"] is False
        assert client.get("/api/reindex/nope").status_code == 404


def test_second_reindex_while_running_is_409(indexed: Settings, embedder: Embedder) -> None:
    app = create_app(indexed, embedder)
    gate = threading.Event()
    reindexer = app.state.reindexer
    real_build = reindexer._build

    def held_build(progress):  # type: ignore[no-untyped-def]
        gate.wait(30)  # hold the job open so the second request sees it running
        return real_build(progress)

    reindexer._build = held_build
    with TestClient(app) as client:
        assert client.post("/api/reindex", headers=_auth()).status_code == 202
        second = client.post("/api/reindex", headers=_auth())
        assert second.status_code == 409 and "still running" in second.json()["detail"]
        assert client.get("/api/index").json()["job"]["state"] == "running"
        gate.set()
        assert reindexer.wait_idle(60)
        assert client.get("/api/index").json()["job"]["state"] == "succeeded"


def _build_process(others: set[int]) -> BaseProcess | None:
    """The server's build worker, found among this process's children as an operator would find
    it; `others` are the pids of workers other apps of the session started earlier."""
    children = multiprocessing.active_children()
    named = (p for p in children if p.name == "ragnotes-build-worker" and p.pid not in others)
    return next(named, None)


def test_killed_build_process_fails_the_job_and_the_next_one_recovers(
    indexed: Settings, embedder: Embedder
) -> None:
    others = {p.pid for p in multiprocessing.active_children() if p.pid is not None}
    app = create_app(indexed, embedder)
    with TestClient(app) as client:
        old = client.get("/healthz").json()["index"]["build_id"]
        _wait_for(lambda: _build_process(others) is not None)
        big = "\n\n".join(
            f"## Part {i}\n\n" + " ".join(f"w{i}x{j}" for j in range(40)) for i in range(400)
        )
        (Path(indexed.notes_dir) / "big.md").write_text(f"# Big\n\n{big}\n")
        job = client.post("/api/reindex", headers=_auth()).json()["job_id"]
        _wait_for(lambda: client.get(f"/api/reindex/{job}").json()["stage"] == "embed")
        worker = _build_process(others)
        assert worker is not None and worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        _wait_for(lambda: client.get(f"/api/reindex/{job}").json()["state"] != "running")
        failed = client.get(f"/api/reindex/{job}").json()
        assert failed["state"] == "failed" and "live index is untouched" in failed["error"]
        assert client.get("/healthz").json()["index"]["build_id"] == old
        assert client.post("/api/ask", json={"question": "batch"}).status_code == 200

        job = client.post("/api/reindex", headers=_auth()).json()["job_id"]
        _wait_for(
            lambda: client.get(f"/api/reindex/{job}").json()["state"] != "running", timeout=180
        )
        assert client.get(f"/api/reindex/{job}").json()["state"] == "succeeded"
        assert client.get("/healthz").json()["index"]["build_id"] != old


def test_the_build_worker_has_its_model_before_the_first_question(
    indexed: Settings, embedder: Embedder
) -> None:
    """Its start (imports, the model) ran beside the first questions and slowed them; the
    server now waits for it while it prepares its passages."""
    app = create_app(indexed, embedder)
    assert not app.state.build_worker.ready
    with TestClient(app) as client:
        assert app.state.build_worker.ready  # before any request was answered
        assert client.post("/api/ask", json={"question": "batch"}).status_code == 200


def test_a_build_worker_that_dies_loading_does_not_stop_the_server(
    indexed: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(indexed, embedder)

    def dies(timeout: float) -> bool:
        raise EOFError  # what its pipe gives when the process ends before saying "ready"

    app.state.build_worker.wait_ready = dies
    with TestClient(app) as client:
        assert client.post("/api/ask", json={"question": "batch"}).status_code == 200
    assert "the build worker is not ready" in caplog.text


def test_build_published_by_cli_is_picked_up(indexed: Settings, embedder: Embedder) -> None:
    with TestClient(create_app(indexed, embedder)) as client:
        old = client.get("/healthz").json()["index"]["build_id"]
        (Path(indexed.notes_dir) / "new.md").write_text(
            "# New\n\nQuokka features for cold start.\n"
        )
        new = index_sources(indexed.sources(), embedder, indexed.store())[0].build_id
        _wait_for(lambda: client.get("/healthz").json()["index"]["build_id"] == new)
        assert new != old


def test_watch_mode_reindexes_once_per_burst(indexed: Settings, embedder: Embedder) -> None:
    notes = Path(indexed.notes_dir)
    app = create_app(indexed, embedder, watch_notes=True)
    with TestClient(app) as client:
        old = client.get("/healthz").json()["index"]["build_id"]
        for i in range(5):  # a burst of saves
            (notes / f"burst{i}.md").write_text(f"# Burst {i}\n\nOcelot pattern number {i}.\n")
        (notes / "ranking.md").unlink()
        _wait_for(lambda: client.get("/healthz").json()["index"]["build_id"] != old)
        assert app.state.reindexer.wait_idle(60)
        jobs = [j for j in app.state.reindexer._jobs.values() if j.trigger == "watch"]
        assert len(jobs) == 1 and jobs[0].state == "succeeded"
        body = client.post(
            "/api/ask", json={"question": "ocelot pattern", "k": 10, "mode": "bm25"}
        ).json()
        assert {p["citation"]["path"] for p in body["passages"]} == {
            f"burst{i}.md" for i in range(5)
        }
        assert client.get("/api/index").json()["live"]["files"] == 6


@pytest.fixture
def live_server(indexed: Settings, embedder: Embedder) -> Iterator[str]:
    with served(create_app(indexed, embedder)) as base:
        yield base


def test_queries_during_reindex_see_exactly_one_build(live_server: str, indexed: Settings) -> None:
    old = httpx.get(f"{live_server}/healthz").json()["index"]["build_id"]
    (Path(indexed.notes_dir) / "pangolin.md").write_text(
        "# Pangolin\n\nPangolin sharding spreads embedding tables.\n"
    )
    results: list[tuple[int, str, bool]] = []
    errors: list[str] = []
    stop = threading.Event()

    def client_loop() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as http:
            while not stop.is_set():
                try:
                    r = http.get(
                        "/api/search", params={"q": "pangolin sharding", "k": 5, "mode": "bm25"}
                    )
                    body = r.json()
                    found = any(
                        p["citation"]["path"] == "pangolin.md" for p in body.get("passages", [])
                    )
                    results.append(
                        (r.status_code, body.get("index", {}).get("build_id", ""), found)
                    )
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=client_loop) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    job = httpx.post(f"{live_server}/api/reindex", headers=_auth()).json()["job_id"]
    _wait_for(lambda: httpx.get(f"{live_server}/api/reindex/{job}").json()["state"] != "running")
    new = httpx.get(f"{live_server}/api/reindex/{job}").json()["build_id"]
    _wait_for(lambda: any(b == new for _, b, _ in results[-8:]))
    stop.set()
    for t in threads:
        t.join()

    assert not errors
    assert all(status == 200 for status, _, _ in results)
    assert {b for _, b, _ in results} == {old, new}
    # Each response is wholly from one build: the old one never has the new note, the new one always does.
    assert all(found == (build == new) for _, build, found in results)
