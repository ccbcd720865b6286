"""An answer as the command line prints it: the sentences with their [n], then the sources."""

from __future__ import annotations

import textwrap

from service.answer_schemas import AnswerResponse

UNSUPPORTED = "(not backed by the cited passage)"


def answer_lines(response: AnswerResponse) -> list[str]:
    """The answer, one sentence a paragraph, unsupported ones marked, then each cited source."""
    answer = response.answer
    how = answer.generator + (f", {answer.model}" if answer.model else "")
    lines = [f"{response.question}  [{how}, {response.took_ms:.0f} ms]", ""]
    if not answer.sentences:
        lines += [textwrap.fill(answer.text, 100), ""]
    for s in answer.sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        text = " ".join(s.text.split()) + f" {marks}"
        if not s.supported:
            text += f" {UNSUPPORTED}"
        lines += [textwrap.fill(text, 100, subsequent_indent="  "), ""]
    cited = {n for s in answer.sentences for n in s.citations}
    for p in response.passages:
        if p.rank in cited or not answer.sentences:
            c = p.citation
            weak = "  (weak)" if p.weak else ""
            lines.append(f"[{p.rank}] {c.heading}{weak}")
            lines.append(f"    {c.source}: {c.path}, lines {c.start_line}-{c.end_line}  {c.url}")
    return lines


def print_answer(response: AnswerResponse) -> None:
    print("\n".join(answer_lines(response)))
