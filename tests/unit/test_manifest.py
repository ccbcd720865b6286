"""The build manifest: one reader, one writer, one compatibility check, same bytes on disk."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ragnotes.errors import IndexCorrupt, IndexMismatch
from ragnotes.index.ann import DenseSpec
from ragnotes.index.chunking import CHUNKER_VERSION
from ragnotes.index.embedding import Embedder
from ragnotes.index.late_interaction import LATE_INTERACTION_VERSION
from ragnotes.index.manifest import FORMAT_VERSION, Manifest

# A manifest as ragnotes wrote it before the record existed (json.dump of a dict, indent 2).
WRITTEN = {
    "format": FORMAT_VERSION,
    "build_id": "20261126T101010000000Z-abcdef",
    "built_at": "2026-11-26T10:10:10+00:00",
    "model": "all-MiniLM-L6-v2",
    "backend": "onnx",
    "vectors": "all-MiniLM-L6-v2+onnx-int8.4",
    "dim": 384,
    "chunker_version": "6",
    "target_tokens": 256,
    "max_tokens": 256,
    "file_count": 2,
    "chunk_count": 7,
    "fingerprint": "f" * 64,
    "sources": ["notes", "owner/name"],
    "dense_index": {"kind": "flat", "nlist": 0, "nprobe": 0, "recall_at_10": 1.0},
    "late_interaction": 2,
}


def _write(folder: Path, data: object) -> Path:
    (folder / "manifest.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


def _current(embedder: Embedder) -> Manifest:
    made = Manifest.new(
        embedder, build_id="b1", file_count=1, chunk_count=1, target_tokens=256, sources=("notes",)
    )
    return replace(made, late_interaction=LATE_INTERACTION_VERSION)


def test_a_manifest_read_and_written_again_is_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    original = _write(tmp_path / "old", WRITTEN)
    manifest = Manifest.read(original)
    assert manifest.dense_index == DenseSpec("flat") and manifest.sources == ("notes", "owner/name")
    (tmp_path / "new").mkdir()
    manifest.write(tmp_path / "new")
    assert (tmp_path / "new" / "manifest.json").read_bytes() == (
        original / "manifest.json"
    ).read_bytes()


def test_a_manifest_from_before_the_format_field_reads_as_format_zero_of_torch(
    tmp_path: Path,
) -> None:
    older = {k: v for k, v in WRITTEN.items() if k not in ("format", "backend", "vectors")}
    manifest = Manifest.read(_write(tmp_path, older))
    assert (manifest.format, manifest.backend, manifest.vectors) == (0, "torch", WRITTEN["model"])


def test_an_older_manifest_missing_a_field_is_refused_as_an_older_format(tmp_path: Path) -> None:
    older = {k: v for k, v in WRITTEN.items() if k not in ("format", "chunk_count")}
    with pytest.raises(IndexMismatch, match=r"older version of ragnotes.*run `ragnotes index`"):
        Manifest.read(_write(tmp_path, older))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[1, 2]", "not a build manifest"),
        ("{not json", "cannot be read"),
        (json.dumps({**WRITTEN, "dim": "wide"}), "garbles"),
        (json.dumps({k: v for k, v in WRITTEN.items() if k != "model"}), "lacks"),
    ],
)
def test_a_damaged_manifest_is_named(tmp_path: Path, content: str, says: str) -> None:
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(IndexCorrupt, match=says):
        Manifest.read(tmp_path)


def test_a_build_made_now_fits_the_embedder_that_made_it(embedder: Embedder) -> None:
    manifest = _current(embedder)
    assert manifest.format == FORMAT_VERSION and manifest.chunker_version == CHUNKER_VERSION
    assert manifest.compatible_with(embedder, target_tokens=256, late_interaction=True) is None


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"format": 0}, "format"),
        ({"model": "another-model"}, "model"),
        ({"backend": "torch"}, "backend"),
        ({"vectors": "another-export"}, "vectors"),
        ({"dim": 768}, "dim"),
        ({"chunker_version": "0"}, "chunker_version"),
        ({"target_tokens": 120}, "target_tokens"),
        ({"late_interaction": None}, "late_interaction"),
    ],
)
def test_the_first_setting_that_differs_is_named(
    embedder: Embedder, change: dict[str, object], setting: str
) -> None:
    built = replace(_current(embedder), **change)  # type: ignore[arg-type]
    mismatch = built.compatible_with(embedder, target_tokens=256, late_interaction=True)
    assert mismatch is not None and mismatch.setting == setting
    assert mismatch.reason() == f"{setting} changed ({change[setting]!r} -> {mismatch.now!r})"


def test_chunk_size_and_late_interaction_matter_only_when_asked(embedder: Embedder) -> None:
    built = replace(_current(embedder), target_tokens=120, late_interaction=None)
    assert built.compatible_with(embedder) is None  # a server reads any chunk size, any rows


def test_a_mismatch_says_how_to_rebuild(embedder: Embedder) -> None:
    model = replace(_current(embedder), model="another-model").compatible_with(embedder)
    older = replace(_current(embedder), format=0).compatible_with(embedder)
    newer = replace(_current(embedder), format=FORMAT_VERSION + 1).compatible_with(embedder)
    assert model is not None and older is not None and newer is not None
    assert "model 'another-model'" in str(model.error()) and "--full" in str(model.error())
    assert "an older version of ragnotes (build format 0" in str(older.error())
    assert "another version of ragnotes" in str(newer.error())
    assert all("\n" not in str(m.error()) for m in (model, older, newer))
