"""The FastAPI application: built by `create_app`, with no state outside it.

Domain errors become HTTP responses in one place (service/http_errors.py); validation problems
are 422s that name the field; nothing a client sends produces a 500.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, FastAPI, Query, Response
from threadpoolctl import threadpool_limits

from ragnotes.answers.passages import ask_response, index_info
from ragnotes.answers.requests import AskRequest, ModeField, Question, SourceFilter, TagFilter, TopK
from ragnotes.answers.responses import AskResponse
from ragnotes.answers.warm import prepare_build
from ragnotes.errors import IndexNotFound, RagnotesError
from ragnotes.index.embedding import Embedder
from ragnotes.service.admin import admin_router
from ragnotes.service.answer_api import answer_router
from ragnotes.service.build_worker import BuildWorker
from ragnotes.service.cpu_work import CpuWork
from ragnotes.service.guards import CrossSiteCheck, HostCheck
from ragnotes.service.http_errors import install_error_handlers
from ragnotes.service.limits import install_limits
from ragnotes.service.live import LiveIndex
from ragnotes.service.login import install_read_token
from ragnotes.service.mcp_server import mount_mcp
from ragnotes.service.reindex import Reindexer, ReindexJobs
from ragnotes.service.schemas import Health, error_responses
from ragnotes.service.settings import Settings
from ragnotes.service.watch import NotesWatcher
from ragnotes.service.web import install_page

# Worker threads for requests (see lifespan): the cores this process may run on.
REQUEST_THREADS = max(
    2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
)
log = logging.getLogger(__name__)
_PREPARE_AT_START_S = 30.0  # past this (a slow disk, a huge vault), the server starts anyway
_WORKER_AT_START_S = 30.0  # past this, the build worker goes on loading beside the requests
_ASK_ERRORS = error_responses(400, 403, 413, 415, 422, 429, 503)
_SEARCH_ERRORS = error_responses(400, 422, 429, 503)


def _json(response: AskResponse) -> Response:
    """The response, serialised once by its own model: it was built valid, so FastAPI need not
    validate and encode it a second time."""
    return Response(response.model_dump_json(), media_type="application/json")


def search_router(live: LiveIndex, request_threads: int) -> APIRouter:
    """POST /api/ask and GET /api/search: cited passages from one snapshot of `live`, their
    work run as `CpuWork` decides for `request_threads`."""
    router = APIRouter(tags=["search"])
    work = CpuWork(request_threads)

    async def respond(request: AskRequest) -> Response:
        return _json(await work.run(lambda: ask_response(live.snapshot(), request, live.hashes)))

    @router.post("/api/ask", response_model=AskResponse, responses=_ASK_ERRORS)
    async def ask(request: AskRequest) -> Response:
        """Answer a question with the best cited passages."""
        return await respond(request)

    @router.get("/api/search", response_model=AskResponse, responses=_SEARCH_ERRORS)
    async def search(
        q: Annotated[Question, Query(description="The question.")],
        k: Annotated[TopK, Query()] = 5,
        mode: Annotated[ModeField, Query()] = "hybrid",
        source: Annotated[SourceFilter, Query()] = None,
        tag: Annotated[TagFilter, Query()] = None,
    ) -> Response:
        """The same as POST /api/ask, as a URL."""
        return await respond(AskRequest(question=q, k=k, mode=mode, source=source, tag=tag))

    return router


@dataclass
class _Background:
    """What runs beside the requests, started and stopped with the server: the live index's
    watcher, the build worker and the notes watcher."""

    live: LiveIndex
    worker: BuildWorker
    reindexer: ReindexJobs
    watcher: NotesWatcher | None
    start_worker: bool  # the model loads in the worker at start, not on the first re-index
    request_threads: int

    def _wait_for_worker(self) -> None:
        """Wait, at most `_WORKER_AT_START_S`, for the build worker's model; serve anyway. With
        no index loaded there are no questions to keep it from, and it may be exporting the
        model (about 12 s the first time): the server starts at once."""
        try:
            self.live.snapshot()
        except RagnotesError:
            return
        try:
            ready = self.worker.wait_ready(timeout=_WORKER_AT_START_S)
        except (EOFError, OSError):  # it died loading: the first re-index starts another
            ready = False
        if not ready:
            log.warning("the build worker is not ready; the server starts without waiting")

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        # Every API request is CPU work (the model, FAISS, BM25, re-ranking) on a worker thread.
        # More threads than cores only fight over the GIL and the caches, and numpy's BLAS pool
        # would split a product over cores the requests already use (when the re-ranking still
        # multiplied floats with numpy: 157 against 209 queries/s for 8 threads searching in
        # process; it now runs in ONNX Runtime, and numpy's only where that cannot). With as
        # many request threads as cores instead of anyio's 40, 8 HTTP clients went from
        # 145-152 to 167-194 queries/s (eval/BENCHMARKS.md).
        blas = threadpool_limits(1, user_api="blas")
        to_thread.current_default_thread_limiter().total_tokens = self.request_threads
        self.live.refresh()
        if self.start_worker:  # its model loads on the other core while this one prepares
            self.worker.start()
        # Before the first request rather than beside it: a thread preparing passages in pure
        # Python holds the interpreter lock until it is taken from it every 5 ms, and a request
        # waits that long each time it takes the lock back (after the model, a socket write),
        # so the first requests took 100-160 ms instead of 5 for the 0.7 s this takes here
        # (eval/BENCHMARKS.md). A build loaded later is still prepared beside the requests.
        self.live.wait_prepared(timeout=_PREPARE_AT_START_S)
        if self.start_worker:
            # The same for the build worker's start: niced, it still took the idle core and
            # the memory bus for its imports and model while the first requests ran: in the
            # first pass over the bench's 92 questions, 2-15 took over 2.5 times the floor,
            # against 0-2 after (eval/BENCHMARKS.md). It loads while the passages are prepared,
            # so it is ready by now or soon, and re-indexing needs it anyway.
            self._wait_for_worker()
        # What is loaded by now (modules, schemas, the build) lives as long as the server: left
        # to the collector, each full collection walked all of it, a pause of 66-108 ms every
        # few hundred requests (eval/BENCHMARKS.md). Frozen, a collection walks only what
        # requests made since.
        gc.freeze()
        self.live.start_watching()
        if self.watcher is not None:
            self.watcher.start()
        async with app.state.mcp_sessions():
            yield
        if self.watcher is not None:
            self.watcher.stop()
        self.reindexer.wait_idle(timeout=60)
        self.worker.close()
        self.live.stop()
        blas.restore_original_limits()
        gc.unfreeze()  # collectable again: a process that makes another app (tests) frees this


def _background(
    settings: Settings,
    embedder: Embedder | None,
    watch_notes: bool,
    request_threads: int,
    jobs: ReindexJobs | None,
) -> _Background:
    live = LiveIndex(
        settings.store(),
        embedder or settings.load_embedder(),
        prepare=lambda searcher, stop: prepare_build(searcher, live.hashes, stop),
    )
    worker = BuildWorker(settings)
    reindexer: ReindexJobs = jobs or Reindexer(worker.build, live)
    watcher = None
    if watch_notes:
        request = lambda: reindexer.request("watch")  # noqa: E731
        watcher = NotesWatcher(settings.notes_roots(), request, roots_now=settings.notes_roots)
    start_worker = jobs is None and (bool(settings.admin_token) or watcher is not None)
    return _Background(live, worker, reindexer, watcher, start_worker, request_threads)


def health_router(live: LiveIndex) -> APIRouter:
    """GET /healthz: whether the server can answer questions, and from which build."""
    router = APIRouter(tags=["status"])

    @router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz(response: Response) -> Health:
        """Whether an index is loaded, and which; 503 when the server cannot answer questions."""
        # async: it only reads what is in memory, so it skips the hand-off to a request thread
        try:
            searcher = live.snapshot()
        except RagnotesError as exc:
            response.status_code = 503  # Docker's HEALTHCHECK and load balancers read the status
            missing = isinstance(exc, IndexNotFound)
            return Health(status="no_index" if missing else "error", detail=str(exc))
        problem = live.problem  # still answering from memory: healthy, but say what is wrong
        return Health(
            status="degraded" if problem else "ok",
            index=index_info(searcher.manifest),
            detail=problem,
        )

    return router


def create_app(
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    *,
    watch_notes: bool = False,
    request_threads: int = REQUEST_THREADS,
    jobs: ReindexJobs | None = None,
) -> FastAPI:
    """The app; the model loads once here, the index when the app starts. `request_threads`
    run requests' CPU work: as many as the cores, unless other workers share them.

    `jobs` runs re-indexing elsewhere (one build for every replica of a Ray deployment); by
    default this app runs its own, in a `BuildWorker` child process.
    """
    settings = settings or Settings()
    background = _background(settings, embedder, watch_notes, request_threads, jobs)
    live, reindexer = background.live, background.reindexer
    app = FastAPI(
        title="ragnotes",
        summary="Cited passages from your ML system design notes and curated READMEs.",
        version="0.1.0",
        lifespan=background.lifespan,
    )
    app.state.live = live
    app.state.settings = settings
    app.state.reindexer = reindexer
    app.state.build_worker = background.worker
    install_error_handlers(app)
    # Middleware added first runs last. Inside the limits and CORS (so a CORS preflight, which
    # carries no token, is answered first): the read token, then the cross-site check.
    app.add_middleware(CrossSiteCheck, cors_origins=settings.cors_origin_list())
    install_read_token(app, settings)
    install_limits(app, cors_origins=settings.cors_origin_list(), rate_limit=settings.rate_limit)
    # Routes are matched in order, so the most asked come first: 97-110 against 118-119 us of
    # CPU for a canned /api/ask through the whole stack (eval/BENCHMARKS.md).
    app.include_router(search_router(live, request_threads))
    app.include_router(admin_router(live, reindexer, settings))
    app.include_router(answer_router(live, settings.llm()))
    app.state.mcp_sessions = mount_mcp(app, live, settings)  # /mcp, only when a token is set
    app.include_router(health_router(live))
    install_page(app, live, settings)
    # Outermost: a request by a name the server is not meant to have gets nothing else.
    app.add_middleware(HostCheck, allowed_hosts=settings.allowed_host_list())
    return app
