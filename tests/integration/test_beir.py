"""BEIR runs on a tiny dataset through the real chunking, model, FAISS and bm25s; user mistakes are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragnotes.errors import ConfigError
from ragnotes.index.embedding import Embedder
from ragnotes.service.cli import main
from ragnotes_eval.beir import (
    beir_documents,
    chunked_searcher,
    rank_documents,
    run_beir,
    whole_doc_searcher,
)
from ragnotes_eval.beir_data import load_beir
from ragnotes_eval.scoring import summarize

DOCS = [
    (
        "d1",
        "Gradient boosting",
        "Boosted trees fit each new tree to the residuals of the ensemble.",
    ),
    ("d2", "Feature stores", "A feature store serves the same features online and offline."),
    ("d3", "Position bias", "Users click top results more, whatever their relevance."),
]
QUERIES = [("q1", "trees fitted to residuals"), ("q2", "same features for training and serving")]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n"


def _write(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": i, "title": t, "text": x, "metadata": {}} for i, t, x in DOCS]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    queries = [{"_id": i, "text": t} for i, t in QUERIES]
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (folder / "qrels" / "test.tsv").write_text(QRELS)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("beir") / "tiny")


def test_loader_reads_graded_qrels(tiny: Path) -> None:
    dataset = load_beir(tiny)
    assert dataset.name == "tiny" and [d.id for d in dataset.docs] == ["d1", "d2", "d3"]
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    documents = beir_documents(dataset, tiny / "corpus.jsonl")
    assert documents[0].text.startswith("# Gradient boosting\n\nBoosted trees")


@pytest.mark.parametrize("whole", [False, True])
def test_chunked_and_whole_documents_find_the_judged_doc(
    tiny: Path, tmp_path: Path, embedder: Embedder, whole: bool
) -> None:
    dataset = load_beir(tiny)
    if whole:
        searcher = whole_doc_searcher(dataset, embedder, tmp_path)
    else:
        documents = beir_documents(dataset, tiny / "corpus.jsonl")
        searcher = chunked_searcher(documents, embedder, tmp_path, 256)
    for mode, outcomes in run_beir(searcher, dataset).items():
        assert summarize(outcomes)["ndcg@10"] == 1.0, mode
        assert [o.ideal for o in outcomes] == [(1.0,), (2.0,)]


def test_second_chunked_run_reuses_the_build(
    tiny: Path, tmp_path: Path, embedder: Embedder
) -> None:
    documents = beir_documents(load_beir(tiny), tiny / "corpus.jsonl")
    first = chunked_searcher(documents, embedder, tmp_path, 256).build_id
    assert chunked_searcher(documents, embedder, tmp_path, 256).build_id == first
    assert chunked_searcher(documents, embedder, tmp_path, 128).build_id != first


def test_documents_ranked_by_their_best_passage() -> None:
    class _Chunk:
        def __init__(self, path: str) -> None:
            self.path = path

    class _Hit:
        def __init__(self, path: str) -> None:
            self.chunk = _Chunk(path)

    hits = [_Hit(p) for p in ["b", "a", "b", "c", "a"]]
    assert rank_documents(hits, 2) == ["b", "a"]  # type: ignore[arg-type]


def test_eval_beir_from_the_command_line(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path / "data"))
    assert main(["eval", "--beir", str(tiny), "--whole-docs", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["modes"]) == {"dense", "bm25", "hybrid"}
    assert report["modes"]["hybrid"]["ndcg@10"] == 1.0 and report["settings"]["whole_docs"]
    assert (tmp_path / "data" / "beir" / "tiny-whole-docs-report.json").is_file()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "does not exist"),
        (lambda d: d.mkdir(), "corpus.jsonl is missing"),
        (lambda d: (d.mkdir(), (d / "corpus.jsonl").write_text("{oops\n")), "not valid JSON"),
    ],
)
def test_beir_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: object, message: str
) -> None:
    folder = tmp_path / "ds"
    setup(folder)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        load_beir(folder)
    assert main(["eval", "--beir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ragnotes: error:") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--whole-docs"], "add --beir DIR"), (["--beir", "x", "--judged"], "not to a BEIR dataset")],
)
def test_options_that_do_not_fit_are_one_line_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *argv]) == 2
    assert message in capsys.readouterr().err


def test_eval_without_an_index_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path))
    assert main(["eval"]) == 2
    assert "no index has been built yet" in capsys.readouterr().err
