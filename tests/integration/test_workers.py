"""`ragnotes serve --workers 2`: two processes answering on one port, and what they refuse."""

from __future__ import annotations

import os
import subprocess
import sys
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
        # uvicorn's supervisor has started its two worker processes
        assert len(_children(proc.pid)) >= 2, _children(proc.pid)
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


def test_the_cli_says_so_in_one_line(built_settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ragnotes.service.cli", "serve", "--workers", "2", "--watch"],
        env=_env(built_settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ragnotes: error: --watch needs one worker (each would start its own re-index); drop "
        "--workers, or re-index from a separate `ragnotes index`, which every worker picks up"
    ]
