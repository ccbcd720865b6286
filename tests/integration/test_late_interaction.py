"""Late interaction on a real build: its vectors stored, aligned, cached and used to re-rank."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ragnotes.index.embedding import Embedder, load_embedder
from ragnotes.index.late_interaction import (
    CODES_FILE,
    DEFAULT_LATE_INTERACTION,
    LATE_INTERACTION_VERSION,
    NO_LATE_INTERACTION,
    LateInteractionIndex,
    maxsim,
    mix_late_interaction,
)
from ragnotes.index.searcher import Searcher
from ragnotes.service.reindex import build_configured
from ragnotes.service.settings import Settings

QUESTION = "when should I prefer batch inference over online inference?"


@pytest.fixture(scope="module")
def searcher(built_settings: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(built_settings.store(), embedder)


def _index(searcher: Searcher) -> LateInteractionIndex:
    return LateInteractionIndex.load(searcher.folder, len(searcher.chunks))


def test_build_keeps_the_rows_of_each_chunk_in_chunk_order(
    searcher: Searcher, embedder: Embedder
) -> None:
    assert searcher.manifest.late_interaction == LATE_INTERACTION_VERSION
    assert searcher.late_interaction is not None
    rows_index = _index(searcher)
    assert len(rows_index) == len(searcher.chunks)
    for i, chunk in enumerate(searcher.chunks):
        _, fresh = embedder.embed_query_with_late_interaction(chunk.embed_text)
        kept = rows_index.chunk(i)
        assert kept.shape == fresh.shape, chunk.id
        # Row for row the same token, within int8 rounding.
        cosines = np.sum(kept * fresh, axis=1) / np.linalg.norm(kept, axis=1)
        assert cosines.min() > 0.999, chunk.id


def test_hybrid_search_is_the_fused_ranking_re_ranked_by_maxsim(
    searcher: Searcher, embedder: Embedder
) -> None:
    plain = NO_LATE_INTERACTION
    depth = DEFAULT_LATE_INTERACTION.depth
    fused = searcher.search(QUESTION, depth + 5, "hybrid", late_interaction=plain)
    _, query_rows = embedder.embed_query_with_late_interaction(QUESTION)
    rows_index = _index(searcher)
    head = fused[:depth]
    scores = [maxsim(query_rows, rows_index.chunk(searcher.chunks.index(h.chunk))) for h in head]
    ids = {h.chunk.id: searcher.chunks.index(h.chunk) for h in fused}
    expected = mix_late_interaction([(ids[h.chunk.id], h.score) for h in fused], scores)
    got = searcher.search(QUESTION, depth + 5, "hybrid")
    assert [searcher.chunks.index(h.chunk) for h in got] == [c for c, _ in expected]
    assert [h.score for h in got] == pytest.approx([s for _, s in expected], abs=1e-5)
    # Only the head moves, and asking for fewer passages gives the top of the same list.
    assert {h.chunk.id for h in got[:depth]} == {h.chunk.id for h in head}
    assert [h.chunk.id for h in got[depth:]] == [h.chunk.id for h in fused[depth:]]
    assert [h.chunk.id for h in searcher.search(QUESTION, 3)] == [h.chunk.id for h in got[:3]]
    # Dense and BM25 alone are the retrievers as they are: no re-ranking.
    for mode in ("dense", "bm25"):
        a = searcher.search(QUESTION, 5, mode)  # type: ignore[arg-type]
        b = searcher.search(QUESTION, 5, mode, late_interaction=plain)  # type: ignore[arg-type]
        assert [h.chunk.id for h in a] == [h.chunk.id for h in b]


def test_rows_come_from_the_cache_on_a_rebuild(
    built_settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    settings = built_settings.model_copy(update={"data_dir": tmp_path})
    first, _ = build_configured(settings, embedder)
    rows = (settings.store().live_dir() / CODES_FILE).read_bytes()
    shutil.rmtree(tmp_path / "builds")
    (tmp_path / "CURRENT").unlink()
    again, _ = build_configured(settings, embedder)
    assert first.embedded == first.chunks and again.embedded == 0
    assert (settings.store().live_dir() / CODES_FILE).read_bytes() == rows


def test_without_late_interaction_no_rows_are_kept_and_turning_it_on_rebuilds(
    built_settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    settings = built_settings.model_copy(update={"data_dir": tmp_path, "late_interaction": False})
    build_configured(settings, embedder)
    folder = settings.store().live_dir()
    assert json.loads((folder / "manifest.json").read_text())["late_interaction"] is None
    assert not (folder / CODES_FILE).exists()
    plain = Searcher.load(settings.store(), embedder)
    assert plain.late_interaction is None
    assert plain.search(QUESTION, 1)[0].chunk.path == "serving.md"

    result, _ = build_configured(settings.model_copy(update={"late_interaction": True}), embedder)
    assert result.full_reason == f"late_interaction changed (None -> {LATE_INTERACTION_VERSION})"
    assert Searcher.load(settings.store(), embedder).late_interaction is not None


def test_torch_backend_gives_the_same_late_interaction_vectors(
    embedder: Embedder, tmp_path: Path
) -> None:
    torch_embedder = load_embedder(backend="torch", cache_dir=tmp_path)
    text = "Batch scoring: a nightly job writes every user's top items to a key-value store."
    vector, rows = torch_embedder.embed_query_with_late_interaction(text)
    onnx_vector, onnx_rows = embedder.embed_query_with_late_interaction(text)
    assert vector.shape == onnx_vector.shape and rows.shape == onnx_rows.shape
    assert np.allclose(vector, torch_embedder.embed_query(text), atol=1e-5)
    assert float(np.sum(rows * onnx_rows, axis=1).mean()) > 0.95  # int8 model against fp32
