"""Where builds live on disk, and the pointer that says which one is live.

    DATA_DIR/builds/<build id>/   one build's files (index/write.py), manifest.json last
    DATA_DIR/builds/.tmp-*        builds in progress (never read; swept by the next build)
    DATA_DIR/CURRENT              the live build id, replaced atomically with os.replace

A build directory is complete exactly when its manifest.json exists: the manifest is written
last and the directory is renamed into place before the pointer moves. Its parts are read here
too (`load_part`), docs.jsonl, the indexed files, as `DocInfo` records (`read_docs`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ragnotes.errors import IndexCorrupt, IndexNotFound, ReindexRunning

MANIFEST = "manifest.json"
T = TypeVar("T")
# What a damaged file raises from json, faiss (RuntimeError) or bm25s, or a record missing fields.
_READ_ERRORS = (OSError, ValueError, TypeError, KeyError, RuntimeError)


def damaged(folder: Path, what: str) -> IndexCorrupt:
    """The error for a build that cannot be served, naming it and saying how to replace it."""
    return IndexCorrupt(
        f"build {folder.name} is damaged: {what}; run `ragnotes index` to build a new one"
    )


def load_part(folder: Path, name: str, load: Callable[[Path], T]) -> T:
    """One file of a build read by `load`; any failure is IndexCorrupt naming the build and file."""
    try:
        return load(folder / name)
    except _READ_ERRORS as exc:
        raise damaged(folder, f"{name} cannot be read ({exc})") from exc


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of one of a build's JSON-lines files."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class DocInfo:
    """One indexed file as a build's docs.jsonl records it; `file` is absolute once read."""

    source: str
    path: str
    file: str
    sha256: str
    commit: str | None
    license: str | None


def read_docs(path: Path, data_dir: Path) -> dict[tuple[str, str], DocInfo]:
    """A build's docs.jsonl by (source, path); a relative file is inside the data dir."""
    docs = {}
    for row in read_jsonl(path):
        file = Path(row["file"])
        absolute = file if file.is_absolute() else data_dir.absolute() / file
        docs[(row["source"], row["path"])] = DocInfo(**{**row, "file": str(absolute)})
    return docs


def fsync_path(path: Path) -> None:
    """Flush a file or directory to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, text: str) -> None:
    """Write a file through a temporary name and os.replace, so readers see old or new."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


class BuildStore:
    """The builds folder and the live pointer inside one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.builds_dir = data_dir / "builds"
        self.pointer = data_dir / "CURRENT"

    def current_id(self) -> str | None:
        """The live build id, or None when nothing was ever published."""
        try:
            value = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def build_dir(self, build_id: str) -> Path:
        return self.builds_dir / build_id

    def live_dir(self) -> Path:
        """The live build's folder; IndexNotFound when there is none."""
        build_id = self.current_id()
        if build_id is None:
            raise IndexNotFound("no index has been built yet; run `ragnotes index` first")
        folder = self.build_dir(build_id)
        if not folder.is_dir():
            raise damaged(folder, f"{self.pointer} names it, but {folder} does not exist")
        if not (folder / MANIFEST).is_file():
            raise damaged(folder, f"{MANIFEST} is missing from {folder}")
        return folder

    def new_tmp_dir(self, build_id: str) -> Path:
        self.builds_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.builds_dir / f".tmp-{build_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return tmp

    def commit(self, tmp: Path, build_id: str) -> Path:
        """Move a finished build into place and point CURRENT at it."""
        final = self.build_dir(build_id)
        os.rename(tmp, final)
        fsync_path(self.builds_dir)
        write_durably(self.pointer, build_id + "\n")
        return final

    def finished_ids(self) -> list[str]:
        """Complete builds, oldest first (ids sort by time)."""
        if not self.builds_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.builds_dir.iterdir()
            if not p.name.startswith(".") and (p / MANIFEST).is_file()
        )

    def prune(self, keep: int = 3) -> list[str]:
        """Remove leftovers of dead builds and all but the newest `keep` builds (never the live one)."""
        removed = []
        live = self.current_id()
        if self.builds_dir.is_dir():
            for p in self.builds_dir.iterdir():
                if p.name.startswith(".tmp-") or (
                    not p.name.startswith(".") and not (p / MANIFEST).exists()
                ):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p.name)
        for build_id in self.finished_ids()[:-keep] if keep > 0 else []:
            if build_id != live:
                shutil.rmtree(self.build_dir(build_id), ignore_errors=True)
                removed.append(build_id)
        return removed

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[None]:
        """One build at a time per data directory, across processes."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".build.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise ReindexRunning(
                    "another re-index is running on this data directory; wait for it to finish"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
