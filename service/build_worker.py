"""A server's builds run in a child process, `BuildWorker`, not in a thread of the server.

A build in a thread would share the interpreter lock with the query threads, and every model call
in a query would wait behind it. The worker is spawned with its own copy of the model when the
server starts (when re-indexing is possible), niced so queries win the CPU, and reused for every
job (service/reindex.py `Reindexer` runs them one at a time). Messages on its pipe: "build" and
"stop" in; ("ready",) once the model is loaded, ("progress", stage, done, total), ("done",
BuildResult) and ("error", RagnotesError) out. If the worker dies, the job fails with a clear
message, the live index keeps serving, and the next job starts a fresh worker.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from typing import Any

from ragnotes.errors import BuildFailed, RagnotesError
from ragnotes.index.build import BuildResult
from ragnotes.index.embedding import Progress
from ragnotes.service.reindex import build_configured
from ragnotes.service.settings import Settings

_PRIORITY = 19  # the worker's nice value: queries win the CPU whenever both want it


def _worker_main(conn: Any, settings_data: dict[str, Any]) -> None:
    """The child: load the model once, then run builds on request."""
    with contextlib.suppress(OSError):
        os.nice(_PRIORITY)
    settings = Settings(**settings_data)
    embedder = settings.load_embedder()
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message != "build":
            return
        try:
            result, _ = build_configured(
                settings,
                embedder,
                lambda stage, done, total: conn.send(("progress", stage, done, total)),
            )
            conn.send(("done", result))
        except RagnotesError as exc:
            conn.send(("error", exc))
        except Exception as exc:  # report, keep serving later jobs
            conn.send(("error", BuildFailed(f"the build failed unexpectedly: {exc!r}")))


class BuildWorker:
    """The server's handle on the build process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self._ready = False

    def start(self) -> None:
        """Spawn the worker if it is not running (the model loads there in the background)."""
        if self._process is not None and self._process.is_alive():
            return
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_worker_main,
            args=(child, self._settings.model_dump()),
            name="ragnotes-build-worker",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent
        self._ready = False

    @property
    def ready(self) -> bool:
        """Whether the worker has said its model is loaded (without waiting for it)."""
        return self._ready

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Start the worker if needed and wait until its model is loaded."""
        with self._lock:
            self.start()
            return self._await_ready(timeout)

    def _await_ready(self, timeout: float | None) -> bool:
        if not self._ready and self._conn.poll(timeout):
            self._ready = self._conn.recv() == ("ready",)
        return self._ready

    def build(self, progress: Progress) -> BuildResult:
        """Run one build in the worker and return its result, or raise its error."""
        with self._lock:
            self.start()
            try:
                self._await_ready(None)
                self._conn.send("build")
                while True:
                    message = self._conn.recv()
                    if message[0] == "progress":
                        progress(*message[1:])
                    elif message[0] == "done":
                        result: BuildResult = message[1]
                        return result
                    else:
                        raise message[1]
            except (EOFError, OSError) as exc:
                self._stop_process()
                raise BuildFailed(
                    "the build process stopped before finishing; the live index is untouched "
                    "and the next re-index starts a new one"
                ) from exc

    def _stop_process(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        self._process = None

    def close(self) -> None:
        """Stop the worker (waiting for a running build to finish first)."""
        with self._lock:
            if self._process is None:
                return
            with contextlib.suppress(OSError):
                self._conn.send("stop")
            self._process.join(timeout=10)
            self._stop_process()
