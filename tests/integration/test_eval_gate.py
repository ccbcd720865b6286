"""The CI gate: hybrid retrieval on each split of our eval set must hold the committed baseline.

One full index (bundled notes plus the curated READMEs synced from the local mirror) is built
per test session in a temporary data directory. Both splits are gated with strict labels: dev,
which changes are chosen on, and test, which nobody tunes on. Raising eval/baseline.json is a
deliberate, reviewed commit; a drop of more than TOLERANCE fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.service.cli import main
from ragnotes.service.settings import Settings
from ragnotes_eval.questions import SPLITS, Split, load_questions, normalize, split_dir
from ragnotes_eval.runner import run_questions
from ragnotes_eval.scoring import summarize

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "eval" / "baseline.json"
TOLERANCE = 0.02
GATED = ("hit@5", "mrr@10")


@pytest.fixture(scope="session")
def searcher(full_index: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(full_index.store(), embedder)


@pytest.fixture(scope="session")
def hybrid(searcher: Searcher) -> dict[Split, dict[str, float]]:
    return {
        split: summarize(
            run_questions(searcher, load_questions(split_dir(split), strict=True), ("hybrid",))[
                "hybrid"
            ]
        )
        for split in SPLITS
    }


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("metric", GATED)
def test_hybrid_holds_the_baseline(
    hybrid: dict[Split, dict[str, float]], split: Split, metric: str
) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))[split]["hybrid"][metric]
    measured = hybrid[split][metric]
    assert measured >= baseline - TOLERANCE, (
        f"{split} hybrid {metric} is {measured:.3f}, more than {TOLERANCE} below the baseline "
        f"{baseline:.3f} in {BASELINE.name}; run `ragnotes eval` to see which questions moved"
    )


@pytest.mark.parametrize("split", SPLITS)
def test_every_anchor_is_in_an_indexed_passage(searcher: Searcher, split: Split) -> None:
    """A label can only be found if one passage of its file holds an anchor whole."""
    passages: dict[tuple[str, str], list[str]] = {}
    for chunk in searcher.chunks:
        passages.setdefault((chunk.source, chunk.path), []).append(normalize(chunk.text))
    for q in load_questions(split_dir(split), strict=True):
        texts = passages.get((q.source, q.path), [])
        for anchor in q.anchors:
            assert any(normalize(anchor) in t for t in texts), f"{q.id}: {anchor!r} in no passage"


def test_eval_command_prints_the_report_shape(
    full_index: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(full_index.data_dir))
    out = tmp_path / "report.json"
    assert main(["eval", "--json", "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["labels"] == "strict" and set(report["splits"]) == {"dev", "test"}
    for split in report["splits"].values():
        assert set(split["modes"]) == {"dense", "bm25", "hybrid"}
        for figures in split["modes"].values():
            assert {"hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@100", "p50_ms"} <= set(figures)
        assert set(split["tiers"]["hybrid"]) == {"paraphrase", "keyword", "howto", "compare"}
        assert all(rank is None or 1 <= rank <= 100 for rank in split["ranks"]["hybrid"].values())
    assert report["index"]["chunk_count"] > 0 and report["settings"]["fusion"]["method"]
    assert report["form"] in ("int8 s8", "int8 u8")
    assert json.loads(out.read_text()) == report


def test_eval_prints_dev_and_test_side_by_side(
    full_index: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(full_index.data_dir))
    monkeypatch.setenv("RAGNOTES_INT8_FORM", "u8")  # the same vectors on any CPU; it says so
    assert main(["eval"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("cpu: ") and "cores" in lines[0]  # where the figures came from
    assert lines[1].startswith("vectors: all-MiniLM-L6-v2+onnx-int8.")
    assert lines[1].endswith("(the model run as int8 u8)")
    lines = lines[3:]
    assert lines[0].startswith("strict labels; dev ") and "test" in lines[0]
    assert lines[3].split()[:3] == ["dev", "test", "dev"]
    assert [line.split()[0] for line in lines[4:7]] == ["dense", "bm25", "hybrid"]
