"""`ragnotes serve --workers N`: N server processes answering on one port.

One process answers from one interpreter: its request threads share the interpreter lock, so the
Python half of every request (HTTP, BM25, fusion, passages, JSON) runs on one core at a time
however many there are, and only the model's runs overlap. Each worker is a whole app (model,
snapshot of the build, page) in its own process; this process accepts the connections and
deals them to the workers in turn (service/handoff.py), so keep-alive clients spread evenly
over them. The build's files are memory-mapped where they are large (the late-interaction
vectors), so the page cache holds them once for all workers, and every worker follows `CURRENT`
on its own, so a build published by `ragnotes index` reaches them all.

What lives in one process's memory cannot be shared: a re-index job started over HTTP would be
known only to the worker that took the request, and each worker would watch the notes and start
its own builds. So several workers serve reading only: `ragnotes index` (or a cron job) builds,
the workers pick the new build up.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import socket
import sys
import threading

from fastapi import FastAPI

from ragnotes.errors import ConfigError
from ragnotes.service.handoff import Dealer, HandedServer, channel_pair
from ragnotes.service.settings import Settings

# The settings the CLI resolved, for the workers, which start in fresh interpreters.
_SETTINGS_VARIABLE = "RAGNOTES_SERVE_WORKER_SETTINGS"
_STARTUP_FAILURE = 3  # a worker's exit code when its app could not start (uvicorn's too)
_SPAWN = multiprocessing.get_context("spawn")  # fresh interpreters: no threads forked mid-lock
_log = logging.getLogger("uvicorn.error")


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


def run_workers(settings: Settings, listener: socket.socket, count: int) -> int:
    """Serve with `count` worker processes until SIGINT or SIGTERM, this process dealing them
    the connections `listener` accepts (service/handoff.py); a worker that dies is started
    again."""
    os.environ[_SETTINGS_VARIABLE] = settings.model_dump_json()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    started = [_start() for _ in range(count)]
    workers = [worker for worker, _ in started]
    dealer = Dealer(listener, [channel for _, channel in started])
    dealer.start()
    failed = False
    while not stop.wait(0.5):
        for i, worker in enumerate(workers):
            if worker.is_alive():
                continue
            if worker.exitcode == _STARTUP_FAILURE:  # would fail the same way again
                failed = True
                stop.set()
                break
            _log.warning(
                "worker [%s] died (exit %s); starting another", worker.pid, worker.exitcode
            )
            workers[i], dealer.channels[i] = _start()
    dealer.stop()
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: uvicorn finishes the requests under way
    for worker in workers:
        worker.join()
    return 1 if failed else 0


def _start() -> tuple[multiprocessing.process.BaseProcess, socket.socket]:
    """A worker process, and this process's end of the channel its connections go through."""
    ours, its = channel_pair()
    worker = _SPAWN.Process(target=_serve, args=(its,))
    worker.start()
    its.close()  # the worker has its own copy; once it exits, sending to `ours` fails
    return worker, ours


def _serve(channel: socket.socket) -> None:
    """One worker process: uvicorn serving the connections that arrive on `channel`, with the
    app `worker_app` makes."""
    import uvicorn

    app = "ragnotes.service.workers:worker_app"
    config = uvicorn.Config(app, factory=True, log_level="info")
    server = HandedServer(config, channel)
    try:
        server.run()
    except KeyboardInterrupt:  # Ctrl+C reaches the whole process group, the worker too
        pass
    finally:
        if not server.started:  # the app could not load or start: no use starting it again
            sys.exit(_STARTUP_FAILURE)


def worker_app() -> FastAPI:
    """One worker's app, with the settings the CLI resolved (uvicorn calls this in each)."""
    from ragnotes.service.app import create_app

    settings = Settings.model_validate_json(os.environ[_SETTINGS_VARIABLE])
    return create_app(settings, request_threads=1)
