"""An index an older ragnotes wrote is refused in one line saying to run `ragnotes index`, and
that command (incremental, no --full) rebuilds it.

The older build is today's build taken back one format: a manifest without its `format` field
(format 0) and chunk records without a field added since. Read as if current, that build would
fail somewhere inside; the format check refuses it first.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragnotes.errors import IndexMismatch
from ragnotes.index.embedding import Embedder
from ragnotes.index.manifest import FORMAT_VERSION
from ragnotes.index.searcher import Searcher
from ragnotes.service.app import create_app
from ragnotes.service.cli import main
from ragnotes.service.settings import Settings
from tests.conftest import fixture_settings


def _as_format_zero(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["format"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    rows = [json.loads(line) for line in (folder / "chunks.jsonl").read_text().splitlines()]
    lines = [json.dumps({k: v for k, v in row.items() if k != "part"}) for row in rows]
    (folder / "chunks.jsonl").write_text("\n".join(lines) + "\n")


@pytest.fixture
def old_settings(
    tmp_path: Path, built_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    shutil.copytree(built_settings.data_dir, tmp_path / "data")
    settings = fixture_settings(tmp_path / "data", Path(built_settings.notes_dir))
    _as_format_zero(settings.store().live_dir())
    for name, value in {
        "RAGNOTES_DATA_DIR": str(settings.data_dir),
        "RAGNOTES_NOTES_DIR": settings.notes_dir,
        "RAGNOTES_BUNDLED_NOTES": "false",
        "RAGNOTES_READMES": "false",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def test_an_older_format_is_refused_in_one_line_everywhere(
    old_settings: Settings, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(IndexMismatch) as refused:
        Searcher.load(old_settings.store(), embedder)
    message = str(refused.value)
    assert "\n" not in message and "older version of ragnotes" in message
    assert "run `ragnotes index`" in message

    capsys.readouterr()
    assert main(["ask", "drift"]) == 2
    assert capsys.readouterr().err.strip() == f"ragnotes: error: {message}"

    with TestClient(create_app(old_settings, embedder)) as client:
        response = client.get("/api/search", params={"q": "drift"})
    assert response.status_code == 503
    assert "run `ragnotes index`" in response.text


def test_ragnotes_index_rebuilds_an_older_format(
    old_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    old_build = old_settings.store().current_id()
    assert main(["index"]) == 0
    assert f"full rebuild: format changed (0 -> {FORMAT_VERSION})" in capsys.readouterr().err
    assert old_settings.store().current_id() != old_build
    assert main(["ask", "drift", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passages"]


# What a build of each format holds. A change here without a new FORMAT_VERSION would let this
# ragnotes misread older builds (or older ones misread new builds) instead of refusing them.
FORMATS = {
    1: {
        "files": [
            "bm25", "chunks.jsonl", "docs.jsonl", "manifest.json", "token_offsets.npy",
            "token_scales.npy", "tokens.npy", "vectors.faiss",
        ],
        "manifest": [
            "backend", "build_id", "built_at", "chunk_count", "chunker_version", "dense_index",
            "dim", "file_count", "fingerprint", "format", "late_interaction", "max_tokens",
            "model", "sources", "target_tokens", "vectors",
        ],
        "chunks": [
            "embed_text", "end_line", "heading", "id", "part", "path", "source", "start_line",
            "text", "title",
        ],
        "docs": ["commit", "file", "license", "path", "sha256", "source"],
    },
    # chunks carry their note's tags; a file inside the data dir is recorded relative to it
    2: {
        "files": [
            "bm25", "chunks.jsonl", "docs.jsonl", "manifest.json", "token_offsets.npy",
            "token_scales.npy", "tokens.npy", "vectors.faiss",
        ],
        "manifest": [
            "backend", "build_id", "built_at", "chunk_count", "chunker_version", "dense_index",
            "dim", "file_count", "fingerprint", "format", "late_interaction", "max_tokens",
            "model", "sources", "target_tokens", "vectors",
        ],
        "chunks": [
            "embed_text", "end_line", "heading", "id", "part", "path", "source", "start_line",
            "tags", "text", "title",
        ],
        "docs": ["commit", "file", "license", "path", "sha256", "source"],
    },
}  # fmt: skip


def test_a_change_to_what_a_build_holds_comes_with_a_new_format(built_settings: Settings) -> None:
    folder = built_settings.store().live_dir()

    def first_record(name: str) -> list[str]:
        return sorted(json.loads((folder / name).read_text().splitlines()[0]))

    holds = {
        "files": sorted(p.name for p in folder.iterdir()),
        "manifest": sorted(json.loads((folder / "manifest.json").read_text())),
        "chunks": first_record("chunks.jsonl"),
        "docs": first_record("docs.jsonl"),
    }
    assert holds == FORMATS.get(FORMAT_VERSION), (
        "what a build holds changed: bump FORMAT_VERSION in index/manifest.py and record the new "
        "format here (older builds are then refused with a message to re-index)"
    )
