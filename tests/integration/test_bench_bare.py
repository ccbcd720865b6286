"""The bench's bare routes: served in a subprocess, the model's run behind one of them."""

from __future__ import annotations

from pathlib import Path

import httpx

from ragnotes.service.settings import Settings
from ragnotes_eval.bench import _bare_lines
from ragnotes_eval.bench_bare import serve_bare
from ragnotes_eval.bench_http import one_client

QUESTIONS = ["nightly precomputed recommendations", "feature store skew"]


def test_bare_routes_answer_and_only_the_model_route_embeds(
    built_settings: Settings, tmp_path: Path
) -> None:
    bare = {}
    for name, model in (("http", False), ("model", True)):
        log = tmp_path / f"{name}.log"
        with serve_bare(model, log, built_settings.data_dir) as (base_url, pid):
            assert pid > 0
            answer = httpx.post(f"{base_url}/api/ask", json={"question": QUESTIONS[0], "k": 5})
            assert answer.status_code == 200
            # The question's content words each give a late-interaction row, and only when the
            # model runs.
            assert (answer.json()["rows"] > 0) == model
            embedded: list[str] = []
            found, floor = one_client(base_url, QUESTIONS, rounds=2, embed=embedded.append)
            assert (found["requests"], found["errors"]) == (4, 0)
            assert set(found["passes"]) == {"first", "later"}  # each pass's own p50 and p99
            bare[name] = {"one_client": found, "floor": {**floor, "p50_ms": 2.0}}
        assert "POST /api/ask" in log.read_text()  # uvicorn's access log, as the real server's
    line = _bare_lines(bare, 2.0)[0]
    assert "HTTP alone p50" in line and "the model's run behind it" in line
    assert _bare_lines({}, 2.0) == []
