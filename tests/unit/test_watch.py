"""The notes watcher: one call per burst of saves, editor scratch files ignored (real watchdog)."""

from __future__ import annotations

import time
from pathlib import Path

from ragnotes.service.watch import NotesWatcher


def _watching(root: Path, debounce: float = 0.3) -> tuple[NotesWatcher, list[float]]:
    calls: list[float] = []
    watcher = NotesWatcher([root], lambda: calls.append(time.monotonic()), debounce=debounce)
    watcher.start()
    return watcher, calls


def _wait_for(calls: list[float], count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_burst_of_saves_is_one_call(tmp_path: Path) -> None:
    watcher, calls = _watching(tmp_path)
    try:
        for i in range(5):
            (tmp_path / f"note{i}.md").write_text(f"# Note {i}\n", encoding="utf-8")
        _wait_for(calls, 1)
        time.sleep(1.0)  # long after the debounce: nothing more comes
        assert len(calls) == 1
    finally:
        watcher.stop()


def test_editor_scratch_files_are_ignored(tmp_path: Path) -> None:
    watcher, calls = _watching(tmp_path)
    try:
        for name in (".note.md.swp", "note.md~", "draft.tmp", ".hidden"):
            (tmp_path / name).write_text("scratch", encoding="utf-8")
        time.sleep(1.5)
        assert calls == []
        (tmp_path / "note.md").write_text("# Note\n", encoding="utf-8")
        _wait_for(calls, 1)
        assert len(calls) == 1
    finally:
        watcher.stop()


def test_hidden_folders_and_attachments_are_not_watched(tmp_path: Path) -> None:
    (tmp_path / ".obsidian").mkdir()
    watcher, calls = _watching(tmp_path)
    try:
        (tmp_path / ".obsidian" / "workspace.json").write_text("{}", encoding="utf-8")
        (tmp_path / "diagram.png").write_bytes(b"\x89PNG")
        time.sleep(1.5)
        assert calls == []
    finally:
        watcher.stop()


def test_a_folder_added_while_watching_is_followed(tmp_path: Path) -> None:
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir()
    later.mkdir()
    roots = [first]
    calls: list[float] = []
    watcher = NotesWatcher(
        roots, lambda: calls.append(1.0), debounce=0.2, roots_now=lambda: roots, every=0.2
    )
    watcher.start()
    try:
        roots.append(later)  # `ragnotes notes add later` while the server runs
        time.sleep(1.0)
        (later / "new.md").write_text("# New\n", encoding="utf-8")
        _wait_for(calls, 1)
        assert len(calls) == 1
    finally:
        watcher.stop()
