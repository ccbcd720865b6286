"""Read a BEIR-format dataset: corpus.jsonl, queries.jsonl and qrels/test.tsv.

Each corpus line is {"_id", "title", "text"}; each query line {"_id", "text"}; the qrels are
`query-id<TAB>corpus-id<TAB>score` with a header row. Only queries that have judgments are
kept, as BEIR's own evaluation does. A missing or malformed file is a ConfigError naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragnotes.errors import ConfigError
from ragnotes_eval.jsonl import read_objects


@dataclass(frozen=True)
class BeirDoc:
    """One corpus document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class BeirDataset:
    """A corpus, its test queries and graded relevance judgments (query id -> doc id -> gain)."""

    name: str
    docs: tuple[BeirDoc, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ConfigError(f"{folder} is not a BEIR dataset: {name} is missing")
    return path


def _objects(path: Path) -> Iterator[dict[str, Any]]:
    for where, row in read_objects(path):
        if "_id" not in row:
            raise ConfigError(f'{where}: expected an "_id" field')
        yield row


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        fields = line.split("\t")
        if number == 1 and not fields[-1].strip().lstrip("-").isdigit():
            continue  # the header row
        if not line.strip():
            continue
        if len(fields) != 3 or not fields[2].strip().lstrip("-").isdigit():
            raise ConfigError(f"{path} line {number}: expected query-id, corpus-id, score")
        qrels.setdefault(fields[0].strip(), {})[fields[1].strip()] = int(fields[2])
    return qrels


def load_beir(folder: Path) -> BeirDataset:
    """The dataset in `folder`, with the test qrels."""
    if not folder.is_dir():
        raise ConfigError(f"the BEIR folder {folder} does not exist")
    docs = tuple(
        BeirDoc(str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or ""))
        for row in _objects(_file(folder, "corpus.jsonl"))
    )
    queries = {
        str(row["_id"]): str(row.get("text") or "")
        for row in _objects(_file(folder, "queries.jsonl"))
    }
    qrels = _qrels(_file(folder, "qrels/test.tsv"))
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    if not docs or not judged:
        raise ConfigError(f"{folder}: no documents, or no queries with test judgments")
    return BeirDataset(folder.resolve().name, docs, judged, qrels)
