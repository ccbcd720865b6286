"""Servers on a free loopback port, for the benchmarks and the tests (which may import eval/, while
eval/ may not import tests/): a free port to hand a `ragnotes serve` process, and an app under
real uvicorn in a thread."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

STARTUP_SECONDS = 60.0


def _socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.bind((host.strip("[]"), 0))
    return sock


def module_command(module: str, *args: str) -> list[str]:
    """The command that runs `module` in this interpreter, importing the code this process
    imports. `-P` keeps the working directory off the child's import path: run from a clone,
    the clone's own `ragnotes/` folder would otherwise stand in for the installed package (a
    wheel's, or a copy on PYTHONPATH) in the child alone."""
    return [sys.executable, "-P", "-m", module, *args]


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on now (a server started later takes it)."""
    with _socket(host) as sock:
        return int(sock.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` (lifespan included) under real uvicorn in a thread on 127.0.0.1; yields its base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing it and listening on it.
    """
    sock = _socket("127.0.0.1")
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        if not server.started:
            raise RuntimeError(f"uvicorn did not start within {STARTUP_SECONDS:g} s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
