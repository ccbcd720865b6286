"""Every place that prints a citation names its lines the same way: "line 8" for one line,
"lines 8-12" for several (the page, the CLI's answers, the MCP tools' text)."""

from __future__ import annotations

from ragnotes.answers.printing import answer_lines
from ragnotes.answers.responses import AnswerResponse, line_span
from ragnotes.service.mcp_tools import FileText, file_text


def test_one_line_and_several() -> None:
    assert line_span(8, 8) == "line 8"
    assert line_span(8, 12) == "lines 8-12"


def _response(start: int, end: int) -> AnswerResponse:
    citation = {
        "source": "notes",
        "path": "serving.md",
        "title": "Serving",
        "heading": "Serving > Batch",
        "start_line": start,
        "end_line": end,
        "url": f"/notes/serving.md#L{start}-L{end}",
    }
    sentence = {
        "text": "Batch inference suits scores needed hours ahead.",
        "citations": [1],
        "supported": True,
        "kind": "sentence",
        "start_line": start,
        "end_line": end,
    }
    return AnswerResponse.model_validate(
        {
            "question": "when to prefer batch inference",
            "mode": "hybrid",
            "answer": {
                "text": sentence["text"],
                "answerable": True,
                "generator": "extractive",
                "model": None,
                "sentences": [sentence],
            },
            "passages": [{"rank": 1, "score": 1.0, "text": "Batch.", "citation": citation}],
            "index": {
                "build_id": "b",
                "built_at": "2026-12-07T00:00:00Z",
                "model": "m",
                "files": 1,
                "chunks": 1,
            },
            "took_ms": 1.0,
        }
    )


def test_the_printed_answer_names_one_line_as_one() -> None:
    printed = "\n".join(answer_lines(_response(8, 8)))
    assert "serving.md, line 8 " in printed and "lines 8-8" not in printed
    printed = "\n".join(answer_lines(_response(8, 12)))
    assert "serving.md, lines 8-12 " in printed


def test_the_mcp_get_header_names_one_line_as_one() -> None:
    one = FileText(
        source="notes",
        path="serving.md",
        start_line=5,
        end_line=5,
        total_lines=10,
        url="/notes/serving.md#L5-L5",
        stale=False,
        text="Batch inference.",
    )
    assert file_text(one).startswith("notes: serving.md, line 5 of 10")
