"""Re-index when notes change: one call per burst of file events under the notes folders.

`ragnotes serve --watch` passes `Reindexer.request`, which coalesces a burst that arrives while
a build runs into one more build right after it. What a build never reads is not watched: hidden
files and folders (an Obsidian vault's `.obsidian/` is written whenever a pane moves), editor
scratch files and attachments. `follow` starts watching folders added to the notes folders
while the server runs (`ragnotes notes add`, `index --notes`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ragnotes.corpus.documents import ATTACHMENT_SUFFIXES


class NotesWatcher:
    """Calls `on_change` once per burst of file events under the notes folders."""

    def __init__(
        self,
        roots: Sequence[Path],
        on_change: Callable[[], None],
        debounce: float = 1.0,
        roots_now: Callable[[], Sequence[Path]] | None = None,
        every: float = 5.0,
    ) -> None:
        self._roots = [r for r in roots if r.is_dir()]
        self._scheduled: set[Path] = set()
        self._roots_now = roots_now  # asked every `every` seconds for folders to follow
        self._every = every
        self._stopped = threading.Event()
        self._handler: object | None = None
        self._on_change = on_change
        self._debounce = debounce
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._observer: object | None = None

    def _event(self, path: str) -> None:
        file = Path(path)
        hidden = any(part.startswith(".") for part in self._inside(file))
        if hidden or file.name.endswith(("~", ".swp", ".tmp")):
            return  # editor scratch files, hidden folders
        if file.suffix.lower() in ATTACHMENT_SUFFIXES:
            return  # never indexed
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._debounce, self._on_change)
            self._timer.daemon = True
            self._timer.start()

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory and event.event_type == "modified":
                    return  # only says an entry changed, and that entry has its own event
                if event.event_type in ("created", "modified", "deleted", "moved"):
                    watcher._event(str(event.src_path))
                    if getattr(event, "dest_path", ""):
                        watcher._event(str(event.dest_path))

        observer = Observer()
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._handler = Handler()
        self.follow(self._roots)
        if self._roots_now is not None:
            threading.Thread(target=self._poll, name="ragnotes-notes-folders", daemon=True).start()

    def _poll(self) -> None:
        while not self._stopped.wait(self._every) and self._roots_now is not None:
            try:
                self.follow(self._roots_now())
            except Exception:  # a damaged state file: the build that reads it says so
                continue

    def _inside(self, file: Path) -> tuple[str, ...]:
        """The parts of `file` below the notes folder holding it."""
        for root in self._roots:
            if file.is_relative_to(root):
                return file.relative_to(root).parts
        return file.parts[-1:]

    def follow(self, roots: Sequence[Path]) -> None:
        """Watch each of `roots` not yet watched (a started watcher; folders that exist)."""
        for root in roots:
            if root in self._scheduled or not root.is_dir() or self._observer is None:
                continue
            self._observer.schedule(self._handler, str(root), recursive=True)  # type: ignore[attr-defined]
            self._scheduled.add(root)
            if root not in self._roots:
                self._roots.append(root)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()  # type: ignore[attr-defined]
            self._observer.join(timeout=5)  # type: ignore[attr-defined]
