"""The server a load test runs against: `ragnotes serve` in a subprocess, on a copy of the index.

The live build, the vector cache and the synced READMEs are copied into a scratch data
directory, so the re-index a load test triggers publishes there and never into the user's data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ragnotes.errors import ConfigError
from ragnotes.index.store import MANIFEST, BuildStore
from ragnotes.service.bind import is_loopback
from ragnotes_eval.loopback import free_port, module_command

STARTUP_SECONDS = 180.0


@dataclass(frozen=True)
class Server:
    """A started server: where it answers, and the token it accepts for re-indexing."""

    base_url: str
    token: str
    notes_dir: Path  # a notes folder the server indexes, empty at first
    log: Path  # the server's output
    pid: int = 0  # the server process, for reading its memory


def copy_index(source: Path, target: Path) -> str:
    """Copy `source`'s live build, vector cache and READMEs into `target`; the build id."""
    build_id = BuildStore(source).current_id()
    build = source / "builds" / (build_id or "")
    if build_id is None or not (build / MANIFEST).is_file():
        raise ConfigError(f"no index in {source}; run `make index` (or `ragnotes index`) first")
    shutil.copytree(build, target / "builds" / build_id)
    for folder in ("cache", "readmes"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, target / folder)
    if (source / "models").is_dir():  # the ONNX export: shared, so the copy need not redo it
        (target / "models").symlink_to((source / "models").resolve())
    (target / "CURRENT").write_text(build_id, encoding="utf-8")
    return build_id


def wait_until_up(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Return once `/healthz` at `base_url` names an index; a clear error if `proc` exits first
    or the server cannot serve its index."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            health = httpx.get(f"{base_url}/healthz", timeout=2).json()
        except (httpx.TransportError, ValueError):
            time.sleep(0.25)
            continue
        if health.get("index"):
            return
        # Up, but the copied build cannot be served (e.g. made by an older chunker): say so now.
        detail = health.get("detail") or "no index is loaded; run `make index`"
        raise ConfigError(f"the index in the data directory cannot be served: {detail}")
    tail = log.read_text(errors="replace")[-2000:]
    raise ConfigError(f"the server did not come up on {base_url}; its log ends:\n{tail}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process: SIGTERM, so it finishes what is under way; killed if it hangs."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def serve_copy(
    data_dir: Path, scratch: Path, host: str, token: str, workers: int = 1
) -> Iterator[Server]:
    """Serve a copy of `data_dir` on a free port of loopback `host` until the block ends, with
    `workers` server processes (more than one serve reading only: no admin token)."""
    if not is_loopback(host):
        raise ConfigError(f"the load test only targets loopback addresses, not {host}")
    data, notes = scratch / "data", scratch / "notes"
    notes.mkdir(parents=True)
    copy_index(data_dir, data)
    port = free_port(host)
    extra_notes = [p for p in os.environ.get("RAGNOTES_NOTES_DIR", "").split(os.pathsep) if p]
    env = {
        **os.environ,
        "RAGNOTES_DATA_DIR": str(data),
        "RAGNOTES_NOTES_DIR": os.pathsep.join([*extra_notes, str(notes)]),
        "RAGNOTES_ADMIN_TOKEN": token if workers == 1 else "",
        "RAGNOTES_RATE_LIMIT": "0",  # the load is the point; a limit would turn it into 429s
    }
    log_path = scratch / "server.log"
    with open(log_path, "wb") as log:
        serve = ["serve", "--host", host, "--port", str(port), "--workers", str(workers)]
        command = module_command("ragnotes.service.cli", *serve)
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            base_url = (
                f"http://[{host.strip('[]')}]:{port}" if ":" in host else f"http://{host}:{port}"
            )
            wait_until_up(base_url, proc, log_path)
            yield Server(base_url, token, notes, log_path, proc.pid)
        finally:
            stop(proc)
