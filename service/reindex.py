"""Running a build for a person: `ragnotes index` in the foreground, or a server's re-index job.

Both make the same build (`index_sources` with the settings' sources and `BuildOptions`).
`index_with_progress` runs it in this process with a progress bar and a summary line. A server
runs it as a `Reindexer` job: one at a time, in a `BuildWorker` child process, because a build
in a thread of the server would share the interpreter lock with query threads and every model
call in a query would wait behind it. Queries keep being answered from the live build until
the new one is published, then LiveIndex swaps to it. Jobs triggered while one runs are refused
over HTTP (409) and coalesced into one follow-up run for the file watcher (service/watch.py).

The worker is spawned with its own copy of the model when the server starts (when re-indexing
is possible) and reused for every job. Messages on its pipe: "build" and "stop" in; ("ready",)
once the model is loaded, ("progress", stage, done, total), ("done", BuildResult) and
("error", RagnotesError) out. If the worker dies, the job fails with a clear message, the live
index keeps serving, and the next job starts a fresh worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from tqdm import tqdm

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR, Discovery
from ragnotes.corpus.notes_folders import NotesFolders, refuse_drops
from ragnotes.errors import BuildFailed, NotFoundError, RagnotesError, ReindexRunning
from ragnotes.index.build import BuildResult, index_sources, live_notes
from ragnotes.index.embedding import Embedder, Progress
from ragnotes.index.vector_cache import FanOut
from ragnotes.service.live import LiveIndex
from ragnotes.service.settings import Settings

log = logging.getLogger(__name__)
JobState = Literal["running", "succeeded", "failed"]
MAX_LISTED_SKIPS = 20
_PRIORITY = 19  # the worker's nice value: queries win the CPU whenever both want it


def build_configured(
    settings: Settings,
    embedder: Embedder,
    progress: Progress | None = None,
    full: bool = False,
    prune: bool = False,
    fan_out: FanOut | None = None,
) -> tuple[BuildResult, Discovery]:
    """The build `settings` describe, published; its notes folders are recorded in the data dir.

    A build that would drop the notes of a folder the live build holds, not taken out with
    `ragnotes notes remove`, is refused unless `prune` says to drop them. With `fan_out`, the
    missing vectors are computed there (`ragnotes index --ray`).
    """
    options = settings.build_options(full=full)
    state = NotesFolders.read(settings.data_dir)
    sources = settings.sources()
    if not prune:
        refuse_drops(live_notes(settings.store()), sources.notes_roots, state.removed)
    result, found = index_sources(sources, embedder, settings.store(), options, progress, fan_out)
    extra = [root for root in sources.notes_roots if root != BUNDLED_NOTES_DIR]
    state.built(extra).write(settings.data_dir)
    return result, found


def summary_line(result: BuildResult) -> str:
    """One line: files, chunks, seconds, chunks per second."""
    rate = result.chunks / result.seconds if result.seconds > 0 else 0.0
    return (
        f"indexed {result.files} files into {result.chunks} chunks in {result.seconds:.1f} s "
        f"({rate:.0f} chunks/s; {result.embedded} embedded, {result.chunks - result.embedded} from cache; "
        f"{result.reused_files} files unchanged) -> build {result.build_id}"
    )


_STAGE_BARS = {
    "chunk": ("chunking", "file"),
    "embed": ("embedding", "chunk"),
    "write": ("writing", "build"),
}


def index_with_progress(
    settings: Settings, full: bool = False, prune: bool = False, fan_out: FanOut | None = None
) -> int:
    """`ragnotes index`: build with a progress bar per stage, name what was skipped, print a
    summary. With `fan_out`, the embedding runs there (`ragnotes index --ray`)."""
    embedder = settings.load_embedder()
    bar: tqdm | None = None
    shown = ""

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar, shown
        if stage != shown:
            if bar is not None:
                bar.close()
            desc, unit = _STAGE_BARS.get(stage, (stage, "step"))
            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None)
            shown = stage
        assert bar is not None
        bar.update(done - bar.n)

    try:
        result, found = build_configured(settings, embedder, progress, full, prune, fan_out)
    finally:
        if bar is not None:
            bar.close()
    _print_left_out(found)
    if result.full_reason and result.full_reason != "no previous build":
        print(f"full rebuild: {result.full_reason}", file=sys.stderr)
    print(summary_line(result))
    return 0


def _print_left_out(found: Discovery) -> None:
    if found.passed_over:
        print(
            f"passed over {found.passed_over} attachments and ignored files of the notes folders",
            file=sys.stderr,
        )
    for skip in found.skipped[:MAX_LISTED_SKIPS]:
        print(f"skipped {skip.file}: {skip.reason}", file=sys.stderr)
    if len(found.skipped) > MAX_LISTED_SKIPS:
        more = len(found.skipped) - MAX_LISTED_SKIPS
        print(f"... and {more} more skipped files", file=sys.stderr)
    if found.missing_repos:
        print(
            f"{len(found.missing_repos)} curated repos are not synced and were left out; "
            "run `ragnotes readmes sync` to add them",
            file=sys.stderr,
        )


@dataclass(frozen=True)
class JobStatus:
    """A re-index job as reported by GET /api/index and /api/reindex/{id}."""

    id: str
    trigger: str
    state: JobState
    stage: str
    done: int
    total: int
    started_at: float
    finished_at: float | None = None
    build_id: str | None = None
    files: int | None = None
    chunks: int | None = None
    embedded: int | None = None
    error: str | None = None


class ReindexJobs(Protocol):
    """What the HTTP routes and the file watcher ask of re-index jobs: a `Reindexer` in this
    process, or one shared by every replica of a Ray deployment (service/ray_jobs.py)."""

    def start(self, trigger: str = "http") -> JobStatus: ...

    def request(self, trigger: str) -> None: ...

    def status(self, job_id: str) -> JobStatus: ...

    def latest(self) -> JobStatus | None: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...


class Reindexer:
    """Starts builds in a background thread and tracks the latest job; `live`, when given, is
    refreshed as soon as a build is published."""

    def __init__(
        self, build: Callable[[Progress], BuildResult], live: LiveIndex | None = None
    ) -> None:
        self._build = build
        self._live = live
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._running: str | None = None
        self._again: str | None = None  # a trigger that arrived while a job ran
        self._idle = threading.Event()
        self._idle.set()

    def start(self, trigger: str = "http") -> JobStatus:
        """Start a job now; ReindexRunning when one is already running."""
        with self._lock:
            if self._running is not None:
                raise ReindexRunning(
                    f"re-index job {self._running} is still running; wait for it to finish"
                )
            return self._launch(trigger)

    def request(self, trigger: str) -> None:
        """Start a job, or run one more right after the current job (coalescing bursts)."""
        with self._lock:
            if self._running is None:
                self._launch(trigger)
            else:
                self._again = trigger

    def _launch(self, trigger: str) -> JobStatus:
        job = JobStatus(uuid.uuid4().hex[:12], trigger, "running", "discover", 0, 0, time.time())
        self._jobs[job.id] = job
        self._running = job.id
        self._idle.clear()
        threading.Thread(
            target=self._run, args=(job.id,), name=f"reindex-{job.id}", daemon=True
        ).start()
        return job

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def _run(self, job_id: str) -> None:
        try:
            result = self._build(
                lambda stage, done, total: self._update(job_id, stage=stage, done=done, total=total)
            )
            if self._live is not None:
                self._live.refresh()
            self._update(
                job_id,
                state="succeeded",
                stage="published",
                build_id=result.build_id,
                files=result.files,
                chunks=result.chunks,
                embedded=result.embedded,
                finished_at=time.time(),
            )
        except RagnotesError as exc:
            self._update(job_id, state="failed", error=str(exc), finished_at=time.time())
        except Exception as exc:  # a bug must not kill the server; the live index keeps serving
            log.exception("re-index job %s failed", job_id)
            self._update(
                job_id, state="failed", error=f"internal error: {exc}", finished_at=time.time()
            )
        finally:
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._running = None
            again, self._again = self._again, None
            if again is not None:
                self._launch(again)
            else:
                self._idle.set()

    def status(self, job_id: str) -> JobStatus:
        """One job's status; NotFoundError for an unknown id."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no re-index job {job_id!r}")
        return job

    def latest(self) -> JobStatus | None:
        """The running job, else the most recent one."""
        with self._lock:
            if self._running is not None:
                return self._jobs[self._running]
            return max(self._jobs.values(), key=lambda j: j.started_at, default=None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job runs or is queued (for tests and shutdown)."""
        return self._idle.wait(timeout)


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
