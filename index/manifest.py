"""The build manifest: what a build holds and how it was made, written last into its folder.

One record with one writer (`Manifest.write`), one reader (`Manifest.read`) and one check that a
build fits the model and chunker at hand (`Manifest.compatible_with`). Vectors from two models,
or chunks from two chunkers, must never mix in one index: a build that does not fit is refused
with a message saying how to rebuild it, never misread.

The JSON keeps the field order of the record, so a manifest read and written again is the same
bytes. Builds older than a field read as its stated default and are then refused by the format
check, which always comes first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragnotes.errors import IndexMismatch
from ragnotes.index.ann import DenseSpec
from ragnotes.index.chunking import CHUNKER_VERSION
from ragnotes.index.late_interaction import LATE_INTERACTION_VERSION
from ragnotes.index.store import MANIFEST, damaged, fsync_path, load_part

if TYPE_CHECKING:
    from ragnotes.index.embedding import Embedder

# What a build's files hold: bump it with any change to chunks.jsonl, docs.jsonl, the manifest's
# fields or the set of files. A build of another format is then refused with one line saying to
# run `ragnotes index` (which rebuilds in full), never misread;
# tests/integration/test_format_upgrade.py fails when the records change and this number does not.
# 2: chunks carry their note's tags; docs record a file inside the data dir relative to it.
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Mismatch:
    """The first setting in which a build differs from what is asked of it now."""

    setting: str
    built: object
    now: object

    def reason(self) -> str:
        """Why a build cannot be reused, as the index command prints it."""
        return f"{self.setting} changed ({self.built!r} -> {self.now!r})"

    def error(self) -> IndexMismatch:
        """Why a build cannot be served, in one line saying how to rebuild it."""
        if self.setting == "format":
            return _format_error(self.built)
        return IndexMismatch(
            f"the index was built with {self.setting} {self.built!r} but this server uses "
            f"{self.now!r}; re-index with `ragnotes index --full`"
        )


def _format_error(built: object) -> IndexMismatch:
    older = isinstance(built, int) and built < FORMAT_VERSION
    return IndexMismatch(
        f"the index was made by {'an older' if older else 'another'} version of ragnotes "
        f"(build format {built!r}, this one reads {FORMAT_VERSION!r}); "
        "run `ragnotes index` to rebuild it"
    )


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """One build's identity, the model and chunker that made it, and its size."""

    format: int = FORMAT_VERSION
    build_id: str
    built_at: str  # ISO 8601, UTC
    model: str
    backend: str  # "onnx" or "torch"
    vectors: str  # the model and backend, as the vector cache keys them
    dim: int
    chunker_version: str
    target_tokens: int | None  # None: whole documents (no chunking target)
    max_tokens: int | None
    file_count: int
    chunk_count: int
    fingerprint: str  # corpus.documents.fingerprint of the documents built from
    sources: tuple[str, ...]
    dense_index: DenseSpec | None = None  # None only in builds older than the IVF index
    late_interaction: int | None = None  # LATE_INTERACTION_VERSION when the build keeps it

    @classmethod
    def new(
        cls,
        embedder: Embedder,
        *,
        build_id: str,
        file_count: int,
        chunk_count: int,
        target_tokens: int | None,
        chunker_version: str = CHUNKER_VERSION,
        fingerprint: str = "",
        sources: tuple[str, ...] = (),
    ) -> Manifest:
        """The manifest of a build made now by `embedder` (dense index and late-interaction vectors to come)."""
        return cls(
            build_id=build_id,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            model=embedder.name,
            backend=embedder.backend,
            vectors=embedder.vectors_id,
            dim=embedder.dim,
            chunker_version=chunker_version,
            target_tokens=target_tokens,
            max_tokens=embedder.max_tokens,
            file_count=file_count,
            chunk_count=chunk_count,
            fingerprint=fingerprint,
            sources=sources,
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest as written: the record's fields, in order."""
        data = asdict(self)
        data["sources"] = list(self.sources)
        return data

    def write(self, folder: Path) -> None:
        """Write manifest.json into `folder` and flush it: the last file of a build."""
        with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(folder)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of the build in `folder`; IndexCorrupt when it is not one."""
        data = load_part(folder, MANIFEST, lambda path: json.loads(path.read_text("utf-8")))
        if not isinstance(data, dict) or "build_id" not in data:
            raise damaged(folder, f"{MANIFEST} is not a build manifest")
        try:
            return cls.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            if data.get("format", 0) != FORMAT_VERSION:
                raise _format_error(data.get("format", 0)) from exc
            raise damaged(folder, f"{MANIFEST} lacks or garbles {exc}") from exc

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """The record from its JSON; a missing or ill-typed required field raises."""
        # Builds from before the manifest said its format are format 0; before the onnx backend,
        # torch, whose vectors the cache keyed by the model name alone.
        backend = str(data.get("backend", "torch"))
        vectors = data.get("vectors", data["model"] if backend == "torch" else "")
        spec = data.get("dense_index")
        return cls(
            format=int(data.get("format", 0)),
            build_id=str(data["build_id"]),
            built_at=str(data["built_at"]),
            model=str(data["model"]),
            backend=backend,
            vectors=str(vectors),
            dim=int(data["dim"]),
            chunker_version=str(data["chunker_version"]),
            target_tokens=_optional_int(data.get("target_tokens")),
            max_tokens=_optional_int(data.get("max_tokens")),
            file_count=int(data["file_count"]),
            chunk_count=int(data["chunk_count"]),
            fingerprint=str(data.get("fingerprint", "")),
            sources=tuple(str(s) for s in data.get("sources", ())),
            dense_index=None if spec is None else DenseSpec(**spec),
            late_interaction=_optional_int(data.get("late_interaction")),
        )

    def compatible_with(
        self,
        embedder: Embedder,
        target_tokens: int | None = None,
        late_interaction: bool = False,
    ) -> Mismatch | None:
        """The first setting in which this build differs from what `embedder` makes, else None.

        With `target_tokens`, the chunks must have been packed to that size; with
        `late_interaction`, the build must hold late interaction in its current format.
        """
        expected: dict[str, object] = {
            "format": FORMAT_VERSION,
            "model": embedder.name,
            "backend": embedder.backend,
            "vectors": embedder.vectors_id,
            "dim": embedder.dim,
            "chunker_version": CHUNKER_VERSION,
        }
        if target_tokens is not None:
            expected["target_tokens"] = target_tokens
        if late_interaction:
            expected["late_interaction"] = LATE_INTERACTION_VERSION
        for setting, now in expected.items():
            built = getattr(self, setting)
            if built != now:
                return Mismatch(setting, built, now)
        return None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
