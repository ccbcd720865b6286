"""The load test, run small against the fixture index: no request fails and the re-index lands."""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ragnotes.errors import ConfigError
from ragnotes.service.settings import Settings
from ragnotes_eval.load import run_load
from ragnotes_eval.load_server import copy_index


def _args(out: Path, host: str = "127.0.0.1") -> argparse.Namespace:
    return argparse.Namespace(clients=5, seconds=3.0, host=host, out=out)


def test_a_small_load_run_has_no_errors_and_the_reindex_lands(
    built_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server it starts must see the same sources the fixture build was made from.
    monkeypatch.setenv("RAGNOTES_NOTES_DIR", built_settings.notes_dir)
    monkeypatch.setenv("RAGNOTES_BUNDLED_NOTES", "false")
    monkeypatch.setenv("RAGNOTES_READMES", "false")
    live_before = built_settings.store().current_id()

    # In its own thread, as from a terminal: the browser tests' session-scoped Playwright keeps
    # an event loop running in this one, and the load client starts its own with asyncio.run.
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(run_load, built_settings.data_dir, _args(tmp_path / "load.json"))
        assert done.result() == 0

    report = json.loads((tmp_path / "load.json").read_text())
    assert report["requests"] > 0 and report["errors"] == 0
    assert report["reindex"]["landed"] and report["reindex"]["searchable"]
    assert report["build_before"] == live_before
    assert report["build_after"] == report["reindex"]["build_id"] != live_before
    assert built_settings.store().current_id() == live_before  # the fixture's data is untouched


def test_it_refuses_a_non_loopback_host(built_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        run_load(built_settings.data_dir, _args(tmp_path / "x.json", host="0.0.0.0"))


def test_it_says_to_build_an_index_first(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make index"):
        copy_index(tmp_path / "empty", tmp_path / "copy")
