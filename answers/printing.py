"""An answer as the command line and the MCP tools print it: the sentences with their [n] (lists
and tables as such), then the passages it cites."""

from __future__ import annotations

import textwrap

from ragnotes.answers.responses import AnswerResponse, AnswerSentence, line_span

UNSUPPORTED = "(not backed by the cited passage)"


def _block_lines(s: AnswerSentence) -> list[str]:
    """A list one item a line (its number or a dash), a table one row a line."""
    if s.kind == "list":
        marks = [f"{n}." if n else "-" for n in s.numbers] if s.numbers else ["-"] * len(s.items)
        return [
            textwrap.fill(item, 100, initial_indent=f"  {m} ", subsequent_indent=" " * (len(m) + 3))
            for m, item in zip(marks, s.items, strict=True)
        ]
    widths = [max(len(c) for c in col) for col in zip(s.header, *s.rows, strict=False)]
    rows = [s.header, *s.rows] if s.header else s.rows
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]


def answer_lines(response: AnswerResponse) -> list[str]:
    """The answer, one sentence a paragraph and lists and tables as such, unsupported ones
    marked, then each passage cited."""
    answer = response.answer
    how = answer.generator + (f", {answer.model}" if answer.model else "")
    lines = [f"{response.question}  [{how}, {response.took_ms:.0f} ms]", ""]
    if answer.notice:
        lines += [textwrap.fill(answer.notice, 100), ""]
    if not answer.sentences:
        lines += [textwrap.fill(answer.text, 100), ""]
    for s in answer.sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        where = ""
        if s.start_line is not None and s.end_line is not None:
            where = f" ({line_span(s.start_line, s.end_line)})"
        if s.kind != "sentence":
            lines += [*_block_lines(s), f"  {marks}{where}", ""]
            continue
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
            lines.append(
                f"    {c.source}: {c.path}, {line_span(c.start_line, c.end_line)}  {c.url}"
            )
    return lines


def print_answer(response: AnswerResponse) -> None:
    print("\n".join(answer_lines(response)))
