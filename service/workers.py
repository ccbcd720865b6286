"""`ragnotes serve --workers N`: N server processes answering on one socket.

One process answers from one interpreter: its request threads share the interpreter lock, so the
Python half of every request (HTTP, BM25, fusion, passages, JSON) runs on one core at a time
however many there are, and only the model's runs overlap. Each worker is a whole app (model,
snapshot of the build, page) in its own process; uvicorn hands each new connection to one of
them. The build's files are memory-mapped where they are large (the late-interaction vectors), so
the page cache holds them once for all workers, and every worker follows `CURRENT` on its own,
so a build published by `ragnotes index` reaches them all.

What lives in one process's memory cannot be shared: a re-index job started over HTTP would be
known only to the worker that took the request, and each worker would watch the notes and start
its own builds. So several workers serve reading only: `ragnotes index` (or a cron job) builds,
the workers pick the new build up.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from ragnotes.errors import ConfigError
from ragnotes.service.settings import Settings

# The settings the CLI resolved, for the workers, which start in fresh interpreters.
_SETTINGS_VARIABLE = "RAGNOTES_SERVE_WORKER_SETTINGS"


def check_workers(workers: int, settings: Settings, watch: bool) -> None:
    """Refuse what several workers cannot do, in one line each."""
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    if workers == 1:
        return
    if watch:
        raise ConfigError(
            "--watch needs one worker (each would start its own re-index); drop --workers, or "
            "re-index from a separate `ragnotes index`, which every worker picks up"
        )
    if settings.admin_token:
        raise ConfigError(
            "re-indexing over HTTP (RAGNOTES_ADMIN_TOKEN) needs one worker: a job is known only "
            "to the worker that started it; unset it with --workers, and re-index with "
            "`ragnotes index`, which every worker picks up"
        )


def run_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes until interrupted."""
    import uvicorn

    os.environ[_SETTINGS_VARIABLE] = settings.model_dump_json()
    uvicorn.run(
        "ragnotes.service.workers:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def worker_app() -> FastAPI:
    """One worker's app, with the settings the CLI resolved (uvicorn calls this in each)."""
    from ragnotes.service.app import create_app

    settings = Settings.model_validate_json(os.environ[_SETTINGS_VARIABLE])
    return create_app(settings, request_threads=1)
