"""`ragnotes serve` as a real process on a loopback port, queried over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import free_port
from tests.conftest import wait_healthy


@pytest.fixture(scope="module")
def server(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "server.log"
    env = {
        **os.environ,
        "RAGNOTES_DATA_DIR": str(built_settings.data_dir),
        "RAGNOTES_NOTES_DIR": built_settings.notes_dir,
        "RAGNOTES_BUNDLED_NOTES": "false",
        "RAGNOTES_READMES": "false",
    }
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ragnotes.service.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, log_path, seconds=60)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_ask_over_real_http(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        json={"question": "nightly precomputed recommendations", "k": 3},
        timeout=30,
    )
    assert r.status_code == 200
    citation = r.json()["passages"][0]["citation"]
    assert (citation["path"], citation["heading"]) == (
        "serving.md",
        "Serving notes > Batch scoring",
    )


def test_bad_input_over_real_http_is_422(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        content=b"{oops",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 422
