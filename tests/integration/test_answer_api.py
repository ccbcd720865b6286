"""/api/answer without an LLM: extractive answers, "not in your notes", streaming, errors, docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ragnotes.answers.units import plain

BATCH = "when is batch scoring the right call?"
OFF_TOPIC = "what is the capital of France?"


def _sse(body: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a server-sent event stream."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_extractive_answer_cites_the_lines_it_quotes(
    client: TestClient, fixture_notes: Path
) -> None:
    r = client.post("/api/answer", json={"question": BATCH, "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    answer, passages = body["answer"], {p["rank"]: p for p in body["passages"]}
    assert answer["answerable"] is True and answer["generator"] == "extractive"
    assert 1 <= len(answer["sentences"]) <= 8
    assert any("inputs are known ahead of time" in s["text"] for s in answer["sentences"])
    for s in answer["sentences"]:
        assert s["citations"] and s["supported"] is True
        for n in s["citations"]:
            assert f"[{n}]" in answer["text"]
            lines = (fixture_notes / passages[n]["citation"]["path"]).read_text().split("\n")
            quoted = plain("\n".join(lines[s["start_line"] - 1 : s["end_line"]]))
            for text in s["items"] or [s["text"]]:
                assert " ".join(text.split()) in quoted
    assert not passages[answer["sentences"][0]["citations"][0]]["weak"]


def test_answer_passages_are_the_ask_passages(client: TestClient) -> None:
    ask = client.post("/api/ask", json={"question": BATCH, "k": 3}).json()
    answer = client.post("/api/answer", json={"question": BATCH, "k": 3}).json()
    assert answer["passages"] == ask["passages"]
    assert answer["index"] == ask["index"]


def test_off_topic_question_is_not_in_your_notes(client: TestClient) -> None:
    body = client.post("/api/answer", json={"question": OFF_TOPIC}).json()
    assert body["answer"]["answerable"] is False
    assert body["answer"]["sentences"] == []
    assert "notes do not" in body["answer"]["text"]
    assert body["passages"] and all(p["weak"] for p in body["passages"])
    ask = client.post("/api/ask", json={"question": OFF_TOPIC}).json()
    assert all(p["weak"] for p in ask["passages"])


def test_get_mirrors_post(client: TestClient) -> None:
    post = client.post("/api/answer", json={"question": BATCH, "k": 2}).json()
    get = client.get("/api/answer", params={"q": BATCH, "k": 2}).json()
    assert get["answer"] == post["answer"] and get["passages"] == post["passages"]


def test_extractive_answer_streams_as_server_sent_events(client: TestClient) -> None:
    whole = client.post("/api/answer", json={"question": BATCH, "k": 3}).json()
    r = client.post(
        "/api/answer",
        json={"question": BATCH, "k": 3},
        headers={"Accept": "text/event-stream"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _sse(r.text)
    assert [name for name, _ in events] == ["delta", "answer"]
    assert events[0][1]["text"] == whole["answer"]["text"]
    assert events[1][1]["answer"] == whole["answer"]


def test_llm_without_a_server_is_400_saying_what_to_set(client: TestClient) -> None:
    r = client.post("/api/answer", json={"question": BATCH, "generator": "llm"})
    assert r.status_code == 400 and "RAGNOTES_LLM_URL" in r.json()["detail"]


def test_bad_generator_is_422_naming_the_field(client: TestClient) -> None:
    r = client.post("/api/answer", json={"question": BATCH, "generator": "gpt"})
    assert r.status_code == 422 and "generator" in r.json()["detail"]


def test_openapi_describes_every_answer_field(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("AnswerRequest", "AnswerResponse", "Answer", "AnswerSentence", "Passage"):
        for field, spec in schemas[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} lacks a description"
