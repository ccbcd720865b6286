"""A damaged live build: 503s that say what is broken, a server that keeps its loaded copy,
and `ragnotes index` publishing a good build that the running server then answers from."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragnotes.errors import BuildFailed
from ragnotes.index import vector_cache
from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.index.late_interaction import CODES_FILE
from ragnotes.index.searcher import Searcher
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from tests.conftest import fixture_settings
from tests.integration.test_reindex import _wait_for

QUESTION = {"question": "when should I prefer batch inference over online inference?"}


@pytest.fixture
def settings(tmp_path: Path, built_settings: Settings) -> Settings:
    """Private copies of the session's notes and build (the shared ones are never damaged)."""
    shutil.copytree(built_settings.data_dir, tmp_path / "data")
    shutil.copytree(built_settings.notes_dir, tmp_path / "notes")
    return fixture_settings(tmp_path / "data", tmp_path / "notes")


def _truncate_mid_line(folder: Path) -> str:
    path = folder / "chunks.jsonl"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "chunks.jsonl"


def _truncate_whole_lines(folder: Path) -> str:
    path = folder / "chunks.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))
    return "chunks.jsonl"


def _garbage_vectors(folder: Path) -> str:
    (folder / "vectors.faiss").write_bytes(b"\x13\x37garbage" * 4096)
    return "vectors.faiss"


def _truncated_late_interaction_rows(folder: Path) -> str:
    path = folder / CODES_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return CODES_FILE


def _no_manifest(folder: Path) -> str:
    (folder / "manifest.json").unlink()
    return "manifest.json"


def _pointer_to_nowhere(folder: Path) -> str:
    (folder.parent.parent / "CURRENT").write_text("20990101T000000000000Z-gone\n")
    return "does not exist"


DAMAGE: dict[str, Callable[[Path], str]] = {
    "truncated chunks.jsonl": _truncate_mid_line,
    "chunks.jsonl cut at a line": _truncate_whole_lines,
    "garbage vectors.faiss": _garbage_vectors,
    "truncated late-interaction vectors": _truncated_late_interaction_rows,
    "missing manifest.json": _no_manifest,
    "CURRENT names a missing build": _pointer_to_nowhere,
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_build_is_503_naming_it_and_index_recovers(
    settings: Settings, embedder: Embedder, damage: str
) -> None:
    store = settings.store()
    good = Searcher.load(store, embedder)
    clue = DAMAGE[damage](good.folder)
    broken_id = store.current_id()
    with TestClient(create_app(settings, embedder)) as client:
        ask = client.post("/api/ask", json=QUESTION)
        health = client.get("/healthz")
        for response in (ask, health):
            assert response.status_code == 503
            detail = response.json()["detail"]
            assert f"build {broken_id}" in detail and clue in detail
            assert "run `ragnotes index`" in detail
        assert health.json()["status"] == "error"

        result, _ = index_sources(settings.sources(), embedder, store)
        _wait_for(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/healthz").json()["index"]["build_id"] == result.build_id
        assert client.post("/api/ask", json=QUESTION).status_code == 200
    # Nothing from the damaged build leaked into the new one: it equals the build before the damage.
    rebuilt = Searcher.load(store, embedder)
    assert [c.id for c in rebuilt.chunks] == [c.id for c in good.chunks]
    assert result.embedded == 0  # every vector came from the cache, which the damage never touched


def test_damage_under_a_running_server_keeps_the_loaded_copy(
    settings: Settings, embedder: Embedder
) -> None:
    store = settings.store()
    with TestClient(create_app(settings, embedder)) as client:
        served = client.get("/healthz").json()["index"]["build_id"]
        folder = store.build_dir(served)
        _truncate_mid_line(folder)
        _garbage_vectors(folder)
        _wait_for(lambda: client.get("/healthz").json()["status"] == "degraded")
        health = client.get("/healthz")
        assert health.status_code == 200  # still answering: a restart would only make it worse
        assert f"build {served} changed on disk" in health.json()["detail"]
        assert "chunks.jsonl" in health.json()["detail"]
        answer = client.post("/api/ask", json=QUESTION)
        assert answer.status_code == 200 and answer.json()["index"]["build_id"] == served

        (store.data_dir / "CURRENT").write_text("20990101T000000000000Z-gone\n")
        _wait_for(lambda: "still serving build" in (client.get("/healthz").json()["detail"] or ""))
        assert client.post("/api/ask", json=QUESTION).status_code == 200

        result, _ = index_sources(settings.sources(), embedder, store)
        assert result.full_reason is not None and "unusable" in result.full_reason
        _wait_for(lambda: client.get("/healthz").json()["status"] == "ok")
        assert client.get("/healthz").json()["index"]["build_id"] == result.build_id


def test_full_disk_under_the_vector_cache_fails_the_build_cleanly(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = settings.store()
    live = store.current_id()
    (Path(settings.notes_dir) / "extra.md").write_text("# Extra\n\nA note never embedded before.\n")

    def disk_full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(vector_cache.VectorCache, "put_many", disk_full)
    with pytest.raises(BuildFailed, match=r"database or disk is full.*live index is untouched"):
        index_sources(settings.sources(), embedder, store)
    assert store.current_id() == live and store.finished_ids() == [live]
