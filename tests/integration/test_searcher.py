"""A real index (real model, FAISS, bm25s) over the fixture notes finds the right passage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragnotes.answers.passages import source_filter, tag_filter
from ragnotes.answers.requests import AskRequest
from ragnotes.errors import IndexMismatch
from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.service.reindex import build_configured
from ragnotes.service.settings import Settings


@pytest.fixture(scope="module")
def searcher(built_settings: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(built_settings.store(), embedder)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_question_finds_the_passage_with_its_citation(searcher: Searcher, mode: str) -> None:
    hits = searcher.search("when is precomputing predictions overnight the right choice?", 3, mode)  # type: ignore[arg-type]
    if mode == "bm25":
        hits = searcher.search("nightly batch scoring", 3, "bm25")
    top = hits[0].chunk
    assert (top.path, top.heading, top.start_line, top.end_line) == (
        "serving.md",
        "Serving notes > Batch scoring",
        11,
        12,
    )


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_one_search_embeds_the_question_once_and_gives_every_hit_its_cosine(
    searcher: Searcher, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer judges hits by their raw cosine, in bm25 mode too: the search gives it, running
    the model once, so nothing has to search again."""
    question = "nightly batch scoring"
    cosines = {h.chunk.id: h.dense_score for h in searcher.search(question, 50, "dense")}
    runs: list[str] = []
    for name in ("embed_query", "embed_query_with_late_interaction"):
        real = getattr(searcher.embedder, name)
        monkeypatch.setattr(searcher.embedder, name, lambda q, real=real: runs.append(q) or real(q))
    hits = searcher.search(question, 3, mode, cosines=True)  # type: ignore[arg-type]
    assert runs == [question]
    assert hits and [h.dense_score for h in hits] == [cosines[h.chunk.id] for h in hits]
    assert all((h.dense_rank is None) == (mode == "bm25") for h in hits)
    if mode == "bm25":  # ranking alone (the eval's latency) runs no model at all
        assert searcher.search(question, 3, "bm25")[0].dense_score is None and len(runs) == 1


def test_exact_term_found_by_hybrid(searcher: Searcher) -> None:
    top = searcher.search("PSI", 1)[0].chunk
    assert top.path == "monitoring.md" and top.heading == "Monitoring > Drift"
    assert "population stability index" in top.text


def test_html_and_badges_not_indexed(searcher: Searcher) -> None:
    texts = " ".join(c.text + c.embed_text for c in searcher.chunks)
    assert "img.shields.io" not in texts and "<p" not in texts and "private comment" not in texts


def test_bad_files_skipped_and_rest_indexed(searcher: Searcher) -> None:
    assert {c.path for c in searcher.chunks} == {"serving.md", "monitoring.md"}
    assert searcher.manifest.file_count == 2


def test_manifest_records_what_built_it(searcher: Searcher, embedder: Embedder) -> None:
    m = searcher.manifest
    assert m.model == embedder.name and m.dim == 384 and m.chunk_count == len(searcher.chunks)
    assert len(m.fingerprint) == 64 and m.chunker_version


def test_index_from_another_model_is_refused(built_settings: Settings, embedder: Embedder) -> None:
    store = built_settings.store()
    folder = store.live_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    original = json.dumps(manifest)
    manifest["model"] = "some-other-model"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    try:
        with pytest.raises(IndexMismatch, match="re-index"):
            Searcher.load(store, embedder)
    finally:
        (folder / "manifest.json").write_text(original)


def test_above_the_threshold_the_build_is_approximate_and_still_finds_the_passage(
    built_settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    settings = built_settings.model_copy(update={"data_dir": tmp_path, "approximate_above": 1})
    build_configured(settings, embedder)
    searcher = Searcher.load(settings.store(), embedder)
    spec = searcher.manifest.dense_index
    assert spec is not None and spec.kind == "ivf" and spec.recall_at_10 >= 0.98
    assert searcher.dense.nprobe == spec.nprobe  # restored on load, not faiss's default of 1
    exact = Searcher.load(built_settings.store(), embedder)
    question = "when should I prefer batch inference over online inference?"
    for mode in ("dense", "hybrid"):
        found = [h.chunk.id for h in searcher.search(question, 3, mode)]
        assert found == [h.chunk.id for h in exact.search(question, 3, mode)]
    only_one = searcher.search(question, 5, "dense", where=lambda c: c.path == "monitoring.md")
    assert only_one and all(h.chunk.path == "monitoring.md" for h in only_one)


def test_equal_filters_share_one_mask_per_build_and_search_only_what_it_allows(
    searcher: Searcher,
) -> None:
    notes = source_filter("notes", searcher)
    assert notes is not None
    mask = searcher.allowed(notes)
    assert mask.tolist() == [c.source == "notes" for c in searcher.chunks] and any(mask)
    assert searcher.allowed(source_filter("notes", searcher)) is mask  # equal: computed once
    assert not mask.flags.writeable  # shared by requests, so no request can change it
    tagged = tag_filter(AskRequest(question="x", tag=sorted(searcher.tags)[0]), searcher)[1]
    assert tagged is not None and searcher.allowed(tagged) is not mask
    for mode in ("hybrid", "dense", "bm25"):
        hits = searcher.search("batch scoring drift", 50, mode, where=tagged)  # type: ignore[arg-type]
        assert hits and all(tagged(h.chunk) for h in hits)
