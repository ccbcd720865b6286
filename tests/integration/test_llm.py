"""Generated answers from a real llama.cpp server (SmolLM2-135M): the protocol, streaming, the
citation mapping and the support check; and LLM servers that are down, slow or not one.

A 135M model writes poor prose, so these tests check what ragnotes does with a reply, not the
reply. Every LLM server failure must be a 50x naming the URL, never a 500 and never a hang.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ragnotes.answers.generated import parse
from ragnotes.answers.responses import Passage
from ragnotes.answers.support import is_supported
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.cli import main
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import free_port
from tests.integration.test_answer_api import BATCH, OFF_TOPIC, _sse
from tests.llm import MODEL_ALIAS, canned_server, silent_server

SHORT = 64  # tokens a reply may have: enough for two cited sentences, quick on two cores


def _client(settings: Settings, embedder: Embedder, **llm: Any) -> TestClient:
    updated = settings.model_copy(update={"llm_max_tokens": SHORT, **llm})
    return TestClient(create_app(updated, embedder))


@pytest.fixture(scope="module")
def llm_client(built_settings: Settings, embedder: Embedder, llm_url: str) -> Iterator[TestClient]:
    # Generous: on a loaded two-core machine a 135M model writes about one token a second.
    with _client(built_settings, embedder, llm_url=llm_url, llm_timeout=600) as client:
        yield client


def _check_citations(body: dict[str, Any]) -> None:
    """Every sentence cites given passages only, and `supported` is ragnotes' own check."""
    texts = {p["rank"]: p["text"] for p in body["passages"]}
    for s in body["answer"]["sentences"]:
        assert s["citations"] and set(s["citations"]) <= set(texts)
        assert s["supported"] == is_supported(s["text"], [texts[n] for n in s["citations"]])
        assert all(f"[{n}]" in body["answer"]["text"] for n in s["citations"])


def test_generated_answer_is_the_default_and_cites_given_passages(
    llm_client: TestClient,
) -> None:
    r = llm_client.post("/api/answer", json={"question": BATCH, "k": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    answer = body["answer"]
    assert answer["generator"] == "llm" and answer["model"] == MODEL_ALIAS
    assert answer["answerable"] is True and answer["sentences"]
    _check_citations(body)


def test_generated_answer_streams_deltas_then_the_checked_answer(
    llm_client: TestClient,
) -> None:
    r = llm_client.post(
        "/api/answer",
        json={"question": BATCH, "k": 2},
        headers={"Accept": "text/event-stream"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _sse(r.text)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and names.count("delta") >= 2, names
    body = events[-1][1]
    _check_citations(body)
    # The final sentences are the parse of exactly the text that was streamed.
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    shown = [Passage.model_validate(p) for p in body["passages"]]
    parsed = [(c.text, list(c.citations)) for c in parse(streamed, shown)]
    assert parsed == [(s["text"], s["citations"]) for s in body["answer"]["sentences"]]


def test_extractive_can_still_be_asked_for(llm_client: TestClient) -> None:
    answer = llm_client.post(
        "/api/answer", json={"question": BATCH, "generator": "extractive"}
    ).json()["answer"]
    assert answer["generator"] == "extractive" and answer["model"] is None


def test_off_topic_question_is_refused_without_asking_the_model(
    built_settings: Settings, embedder: Embedder
) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    with _client(built_settings, embedder, llm_url=down) as client:
        r = client.post("/api/answer", json={"question": OFF_TOPIC})
    assert r.status_code == 200 and r.json()["answer"]["answerable"] is False


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_down_server_gives_the_extractive_answer_with_a_notice(
    built_settings: Settings, embedder: Embedder, stream: bool
) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    headers = {"Accept": "text/event-stream"} if stream else {}
    with _client(built_settings, embedder, llm_url=down) as client:
        r = client.post("/api/answer", json={"question": BATCH}, headers=headers)
        extractive = client.post(
            "/api/answer", json={"question": BATCH, "generator": "extractive"}
        ).json()["answer"]
    assert r.status_code == 200, r.text
    body = dict(_sse(r.text))["answer"] if stream else r.json()
    answer = body["answer"]
    assert answer["generator"] == "extractive" and answer["sentences"]
    assert answer["sentences"] == extractive["sentences"]
    assert down in answer["notice"] and "RAGNOTES_LLM_URL" in answer["notice"]
    assert extractive["notice"] is None


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_down_server_is_503_naming_the_url_when_llm_is_asked_for(
    built_settings: Settings, embedder: Embedder, stream: bool
) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    headers = {"Accept": "text/event-stream"} if stream else {}
    with _client(built_settings, embedder, llm_url=down) as client:
        r = client.post(
            "/api/answer", json={"question": BATCH, "generator": "llm"}, headers=headers
        )
    assert r.status_code == 503, r.text
    detail = r.json()["detail"]
    assert down in detail and "RAGNOTES_LLM_URL" in detail


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_slow_server_is_504_after_the_timeout(
    built_settings: Settings, embedder: Embedder, stream: bool
) -> None:
    headers = {"Accept": "text/event-stream"} if stream else {}
    with (
        silent_server() as slow,
        _client(built_settings, embedder, llm_url=slow, llm_timeout=1) as client,
    ):
        r = client.post(
            "/api/answer", json={"question": BATCH, "generator": "llm"}, headers=headers
        )
    assert r.status_code == 504, r.text
    assert slow in r.json()["detail"] and "RAGNOTES_LLM_TIMEOUT" in r.json()["detail"]


@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (200, b"<html>not an API</html>", "RAGNOTES_LLM_URL"),
        (200, json.dumps({"choices": []}).encode(), "chat completion"),
        (404, json.dumps({"error": "model 'x' not found"}).encode(), "RAGNOTES_LLM_MODEL"),
        (401, json.dumps({"error": "bad key"}).encode(), "RAGNOTES_LLM_API_KEY"),
    ],
    ids=["html", "no-choices", "unknown-model", "bad-key"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_server_that_answers_garbage_is_502(
    built_settings: Settings, embedder: Embedder, status: int, body: bytes, hint: str, stream: bool
) -> None:
    headers = {"Accept": "text/event-stream"} if stream else {}
    with (
        canned_server(status, body) as url,
        _client(built_settings, embedder, llm_url=url) as client,
    ):
        r = client.post(
            "/api/answer", json={"question": BATCH, "generator": "llm"}, headers=headers
        )
    assert r.status_code == 502, r.text
    assert url in r.json()["detail"] and hint in r.json()["detail"]


def test_the_cli_says_what_is_wrong_in_one_line(
    built_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    for name, value in {
        "RAGNOTES_DATA_DIR": str(built_settings.data_dir),
        "RAGNOTES_LLM_URL": down,
    }.items():
        monkeypatch.setenv(name, value)
    # In a thread of its own, as from a shell: the CLI runs its own event loop.
    codes: list[int] = []
    args = ["answer", BATCH, "-k", "2"]
    thread = threading.Thread(target=lambda: codes.append(main([*args, "--generator", "llm"])))
    thread.start()
    thread.join(timeout=120)
    assert codes == [2]
    err = capsys.readouterr().err
    assert err.startswith("ragnotes: error: ") and down in err and len(err.splitlines()) == 1
    # Without asking for the LLM by name, the extractive answer comes with the notice.
    thread = threading.Thread(target=lambda: codes.append(main(args)))
    thread.start()
    thread.join(timeout=120)
    assert codes == [2, 0]
    out = capsys.readouterr().out
    assert out.index(down) < out.index("[1]") and "quoted from the passages instead" in out
