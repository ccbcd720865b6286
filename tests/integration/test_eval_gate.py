"""The CI gate: hybrid retrieval on our eval set must not fall below the committed baseline.

One full index (bundled notes plus the curated READMEs synced from the local mirror) is built
per test session in a temporary data directory. Raising eval/baseline.json is a deliberate,
reviewed commit; a drop of more than TOLERANCE fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.manifest import load_manifest
from corpus.sync import sync_readmes
from eval.questions import load_questions
from eval.runner import run_questions
from eval.scoring import summarize
from index.embedding import Embedder
from index.pipeline import run_index
from index.searcher import Searcher
from service.cli import main
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "eval" / "baseline.json"
MIRROR = ROOT.parent / "shared" / "corpus" / "readmes"
TOLERANCE = 0.02
GATED = ("hit@5", "mrr@10")


@pytest.fixture(scope="session")
def full_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings whose data directory holds the full index, as `make run` would build it."""
    if not MIRROR.is_dir():
        pytest.skip(f"the README mirror {MIRROR} is absent, so the full index cannot be built")
    settings = Settings(data_dir=tmp_path_factory.mktemp("eval-data"))
    sync_readmes(load_manifest(), settings.readmes_dir, MIRROR)
    run_index(settings.sources(), embedder, settings.store(), target_tokens=settings.target_tokens)
    return settings


@pytest.fixture(scope="session")
def hybrid(full_index: Settings, embedder: Embedder) -> dict[str, float]:
    searcher = Searcher.load(full_index.store(), embedder)
    return summarize(run_questions(searcher, load_questions(), modes=("hybrid",))["hybrid"])


@pytest.mark.parametrize("metric", GATED)
def test_hybrid_holds_the_baseline(hybrid: dict[str, float], metric: str) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))["hybrid"][metric]
    assert hybrid[metric] >= baseline - TOLERANCE, (
        f"hybrid {metric} is {hybrid[metric]:.3f}, more than {TOLERANCE} below the baseline "
        f"{baseline:.3f} in {BASELINE.name}; run `ragnotes eval` to see which questions moved"
    )


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
    assert set(report["modes"]) == {"dense", "bm25", "hybrid"}
    for figures in report["modes"].values():
        assert {"hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@100", "p50_ms", "p95_ms"} <= set(
            figures
        )
    assert report["index"]["chunk_count"] > 0 and report["settings"]["fusion"]["method"]
    assert set(report["tiers"]["hybrid"]) == {"paraphrase", "keyword", "howto", "compare"}
    assert json.loads(out.read_text()) == report
