"""Incremental builds equal full rebuilds; failures mid-build leave the live index serving."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragnotes.corpus.documents import Sources
from ragnotes.errors import BuildFailed
from ragnotes.index import build as build_module
from ragnotes.index import write as write_module
from ragnotes.index.build import BuildOptions, BuildResult, index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes.service.app import create_app
from tests.conftest import fixture_settings

NOTES = {
    "alpha.md": "# Alpha\n\n## Batch\n\nNightly batch jobs precompute scores for every user.\n\n## Online\n\nOnline models score each request.\n",
    "beta.md": "# Beta\n\nFeature stores keep offline and online features consistent.\n",
    "gamma.md": "# Gamma\n\nHNSW graphs give fast approximate nearest neighbour search.\n",
    "delta.md": "# Delta\n\nInterleaving compares two rankers with fewer users than an A/B test.\n",
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _sources(root: Path) -> Sources:
    return Sources((root,), None, ())


def _rows(searcher: Searcher) -> list[tuple[str, str, str, int, int, str]]:
    return [(c.id, c.source, c.path, c.start_line, c.end_line, c.text) for c in searcher.chunks]


def _indexed(
    tmp_path: Path, embedder: Embedder, data: str = "data"
) -> tuple[Path, BuildStore, BuildResult]:
    """A notes folder holding NOTES, and a data directory with one published build of it."""
    notes = tmp_path / "notes"
    notes.mkdir()
    _write(notes, NOTES)
    store = BuildStore(tmp_path / data)
    first, _ = index_sources(_sources(notes), embedder, store)
    return notes, store, first


def test_incremental_build_equals_full_rebuild(tmp_path: Path, embedder: Embedder) -> None:
    notes, store, first = _indexed(tmp_path, embedder, "incremental")
    assert first.embedded == first.chunks

    _write(notes, {"epsilon.md": "# Epsilon\n\nCold start needs popularity priors.\n"})  # add
    (notes / "alpha.md").write_text(
        NOTES["alpha.md"].replace("every user", "every active user")
    )  # edit
    (notes / "beta.md").unlink()  # delete
    (notes / "moved").mkdir()
    (notes / "gamma.md").rename(notes / "moved" / "gamma.md")  # rename: same text, new place
    second, _ = index_sources(_sources(notes), embedder, store)
    # Only the added note and the edited section are new text; the renamed note reuses its vector.
    assert second.embedded == 2
    assert second.reused_files == 1  # delta.md is untouched

    fresh = BuildStore(tmp_path / "full")
    full, _ = index_sources(_sources(notes), embedder, fresh, BuildOptions(full=True))
    assert full.embedded == full.chunks == second.chunks

    inc, ref = Searcher.load(store, embedder), Searcher.load(fresh, embedder)
    assert _rows(inc) == _rows(ref)
    assert {c.path for c in inc.chunks} == {"alpha.md", "delta.md", "epsilon.md", "moved/gamma.md"}
    assert not any("every user" in c.text for c in inc.chunks)
    for query in ("precompute scores nightly", "approximate neighbours graph", "popularity priors"):
        for mode in ("hybrid", "dense", "bm25"):
            a = [(h.chunk.id, round(h.score, 5)) for h in inc.search(query, 3, mode)]  # type: ignore[arg-type]
            b = [(h.chunk.id, round(h.score, 5)) for h in ref.search(query, 3, mode)]  # type: ignore[arg-type]
            assert a == b


class _Renamed(Embedder):
    """The same network under another name: the cache and the manifest must treat it as a new model."""

    def __init__(self, inner: Embedder, name: str) -> None:
        self.__dict__.update(inner.__dict__)
        self.name = name


def test_model_or_chunker_change_forces_full_rebuild(tmp_path: Path, embedder: Embedder) -> None:
    notes, store, _ = _indexed(tmp_path, embedder)
    other = _Renamed(embedder, "renamed-model")
    second, _ = index_sources(_sources(notes), other, store)
    assert second.full_reason is not None and "model" in second.full_reason
    assert second.reused_files == 0 and second.embedded == second.chunks
    third, _ = index_sources(_sources(notes), other, store, BuildOptions(target_tokens=120))
    assert third.full_reason is not None and "target_tokens" in third.full_reason
    assert third.reused_files == 0


def test_crash_while_embedding_keeps_live_index_and_next_run_recovers(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes, store, first = _indexed(tmp_path, embedder)
    _write(
        notes,
        {f"new{i}.md": f"# New {i}\n\nFresh text number {i} about drift.\n" for i in range(3)},
    )

    calls = {"n": 0}
    real_embed = embedder.embed_with_late_interaction

    def failing_embed(texts, batch_size=64, progress=None):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("simulated crash while embedding")
        return real_embed(texts, batch_size, progress)

    monkeypatch.setattr(
        build_module, "embed_with_cache", _one_batch_then(build_module.embed_with_cache)
    )
    monkeypatch.setattr(embedder, "embed_with_late_interaction", failing_embed)
    with pytest.raises(RuntimeError, match="simulated crash"):
        index_sources(_sources(notes), embedder, store)
    monkeypatch.undo()

    assert store.current_id() == first.build_id
    assert Searcher.load(store, embedder).build_id == first.build_id
    assert store.finished_ids() == [first.build_id]
    second, _ = index_sources(_sources(notes), embedder, store)
    assert second.embedded == 2  # the vector finished before the crash was kept
    assert store.current_id() == second.build_id


def _one_batch_then(real):  # type: ignore[no-untyped-def]
    """embed_with_cache that embeds one text per call, so a crash lands between batches."""

    def wrapped(
        texts, embedder, cache, progress=None, reuse=True, late_interaction=False, fan_out=None
    ):  # type: ignore[no-untyped-def]
        from ragnotes.index.vector_cache import text_key

        known = cache.get_many([text_key(t) for t in texts])
        for text in texts:
            if text_key(text) not in known:
                real([text], embedder, cache, None, reuse, late_interaction, fan_out)
        return real(texts, embedder, cache, progress, reuse, late_interaction, fan_out)

    return wrapped


def test_disk_full_while_writing_leaves_no_trace(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes, store, first = _indexed(tmp_path, embedder)
    _write(notes, {"more.md": "# More\n\nAnother note.\n"})

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write_module.faiss, "write_index", disk_full)
    with pytest.raises(BuildFailed, match="no space left on device"):
        index_sources(_sources(notes), embedder, store)
    monkeypatch.undo()
    assert store.current_id() == first.build_id
    assert sorted(p.name for p in store.builds_dir.iterdir()) == [first.build_id]
    second, _ = index_sources(_sources(notes), embedder, store)
    assert store.current_id() == second.build_id


def test_killed_build_process_leaves_live_index_and_next_run_recovers(
    tmp_path: Path, embedder: Embedder
) -> None:
    notes, store, first = _indexed(tmp_path, embedder)
    data = store.data_dir
    # Enough new text that the child is still embedding when it is killed.
    big = "\n\n".join(
        f"## Part {i}\n\n" + " ".join(f"word{i}x{j}" for j in range(40)) for i in range(300)
    )
    _write(notes, {"big.md": f"# Big\n\n{big}\n"})
    env = {**os.environ, "RAGNOTES_DATA_DIR": str(data)}
    cmd = [
        sys.executable,
        "-m",
        "ragnotes.service.cli",
        "index",
        "--no-bundled",
        "--no-readmes",
        "--notes",
        str(notes),
    ]
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = data / "cache" / "vectors.sqlite-wal"
    for _ in range(600):
        if cache.exists() and cache.stat().st_size > 0:
            break
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # Leftovers a kill during the write step would leave behind.
    (store.builds_dir / ".tmp-dead").mkdir()
    (store.builds_dir / "20000101T000000000000Z-halfway").mkdir()

    assert store.current_id() == first.build_id
    with TestClient(create_app(fixture_settings(data, notes), embedder)) as client:  # next start
        assert client.get("/healthz").json()["index"]["build_id"] == first.build_id
        assert client.post("/api/ask", json={"question": "nightly batch"}).status_code == 200
    second, _ = index_sources(_sources(notes), embedder, store)
    assert store.current_id() == second.build_id
    assert second.embedded < second.chunks  # work finished before the kill was kept
    assert sorted(p.name for p in store.builds_dir.iterdir()) == sorted(
        [first.build_id, second.build_id]
    )


def test_only_the_last_three_builds_are_kept(tmp_path: Path, embedder: Embedder) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    store = BuildStore(tmp_path / "data")
    ids = []
    for i in range(5):
        _write(notes, {"n.md": f"# N\n\nversion {i}\n"})
        ids.append(index_sources(_sources(notes), embedder, store)[0].build_id)
    assert store.finished_ids() == ids[-3:]
    assert store.current_id() == ids[-1]
    shutil.rmtree(notes)
