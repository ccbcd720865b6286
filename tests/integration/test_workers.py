"""`ragnotes serve --workers 2`: two processes answering on one port, connections dealt to them
in turn, and what they refuse."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ragnotes.errors import ConfigError
from ragnotes.service.settings import Settings
from ragnotes.service.workers import check_workers
from ragnotes_eval.loopback import free_port
from tests.conftest import wait_healthy

ASK = {"question": "nightly precomputed recommendations", "k": 3}


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _children_named(pid: int, word: str) -> set[int]:
    found = set()
    for child in _children(pid):
        try:
            if word in Path(f"/proc/{child}/cmdline").read_text():
                found.add(child)
        except OSError:
            continue
    return found


def _connections(pid: int, port: int) -> int:
    """How many established TCP connections to local `port` process `pid` holds (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        count += local_port == port and state == "01" and inode in inodes  # 01: established
    return count


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "RAGNOTES_DATA_DIR": str(settings.data_dir),
        "RAGNOTES_NOTES_DIR": settings.notes_dir,
        "RAGNOTES_BUNDLED_NOTES": "false",
        "RAGNOTES_READMES": "false",
    }


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_two_workers_answer_on_one_port(built_settings: Settings, tmp_path: Path) -> None:
    port, log_path = free_port(), tmp_path / "server.log"
    command = [
        sys.executable,
        "-m",
        "ragnotes.service.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=_env(built_settings), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, log_path, seconds=120)
        answers = [httpx.post(f"{base}/api/ask", json=ASK, timeout=30) for _ in range(6)]
        assert [r.status_code for r in answers] == [200] * 6
        assert len({r.json()["passages"][0]["citation"]["heading"] for r in answers}) == 1
        # two worker processes; the server deals them connections in turn
        workers = _children(proc.pid) - _children_named(proc.pid, "resource_tracker")
        assert len(workers) == 2, workers
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            time.sleep(1)  # the workers take them up
            held = {pid: _connections(pid, port) for pid in workers}
        finally:
            for client in clients:
                client.close()
        assert sorted(held.values()) == [20, 20], held
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_several_workers_refuse_what_one_process_must_own(built_settings: Settings) -> None:
    check_workers(2, built_settings, watch=False)
    with pytest.raises(ConfigError, match="--watch needs one worker"):
        check_workers(2, built_settings, watch=True)
    admin = built_settings.model_copy(update={"admin_token": "secret"})
    check_workers(1, admin, watch=True)
    with pytest.raises(ConfigError, match="RAGNOTES_ADMIN_TOKEN"):
        check_workers(2, admin, watch=False)
    with pytest.raises(ConfigError, match="at least 1"):
        check_workers(0, built_settings, watch=False)


def _serve(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`ragnotes serve` with `args`, run to its end (these are the ones that refuse at once)."""
    command = [sys.executable, "-m", "ragnotes.service.cli", "serve", *args]
    return subprocess.run(command, env=_env(settings), capture_output=True, text=True, timeout=120)


def test_the_cli_says_so_in_one_line(built_settings: Settings) -> None:
    done = _serve(built_settings, "--workers", "2", "--watch")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ragnotes: error: --watch needs one worker (each would start its own re-index); drop "
        "--workers, or re-index from a separate `ragnotes index`, which every worker picks up"
    ]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_busy_port_is_one_line_before_serving(built_settings: Settings, workers: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = _serve(built_settings, "--port", str(port), "--workers", workers)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"ragnotes: error: cannot listen on 127.0.0.1:{port} (Address already in use); another "
        "server may be using that port: stop it, or choose another with --port"
    ]
