"""The answer as the page shows it: sentences rendered, each [n] a link to passage n on the page.

`[n]` always means the passage with rank n (answers/answering.py), and the page gives passage n
the id `p<n>`, so a citation is a plain in-page link that works without JavaScript; from there
the passage's own link opens its exact lines. service/static/search.js builds the same markup
when a generated answer streams in.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup, escape

from ragnotes.answers.responses import Answer, Passage, line_span
from ragnotes.service.render import inline_html


@dataclass(frozen=True)
class CitedSentence:
    """One unit of the answer (a sentence, a list or a table), rendered, with the passages it
    cites."""

    html: Markup
    citations: tuple[tuple[int, str], ...]  # (rank, what the passage is: for the link's title)
    supported: bool
    kind: str = "sentence"
    items: tuple[tuple[int, str], ...] = ()  # a list's items with their numbers (0: a bullet)
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Group:
    """A run of sentences shown as one paragraph, or one list or table."""

    kind: str  # "sentences", "list" or "table"
    sentences: tuple[CitedSentence, ...]


@dataclass(frozen=True)
class AnswerView:
    """The answer block above the passages."""

    answerable: bool
    text: str  # what to say when there are no sentences (not in your notes, or no prose)
    sentences: tuple[CitedSentence, ...]
    by: str  # "Extractive: sentences from your notes", or "Written by <model>"

    @property
    def groups(self) -> list[Group]:
        """Runs of sentences as paragraphs; each list or table on its own."""
        out: list[Group] = []
        for s in self.sentences:
            if s.kind == "sentence" and out and out[-1].kind == "sentences":
                out[-1] = Group("sentences", (*out[-1].sentences, s))
            else:
                out.append(Group("sentences" if s.kind == "sentence" else s.kind, (s,)))
        return out


def _title(p: Passage) -> str:
    c = p.citation
    return f"{c.heading} ({c.path}, {line_span(c.start_line, c.end_line)})"


def answer_view(answer: Answer, passages: list[Passage]) -> AnswerView:
    """The page's view of an answer drawn on `passages`."""
    by_rank = {p.rank: p for p in passages}
    sentences = tuple(
        CitedSentence(
            # extractive text is plain already; a model's Markdown is rendered
            html=inline_html(s.text) if answer.generator == "llm" else escape(s.text),
            citations=tuple((n, _title(by_rank[n])) for n in s.citations if n in by_rank),
            supported=s.supported,
            kind=s.kind,
            items=tuple(zip(s.numbers or [0] * len(s.items), s.items, strict=True)),
            header=tuple(s.header),
            rows=tuple(tuple(r) for r in s.rows),
        )
        for s in answer.sentences
    )
    if not sentences:
        by = ""  # the plain text says it all
    elif answer.generator == "llm":
        by = f"Written by {answer.model or 'the LLM'}; every sentence checked against what it cites"
    else:
        by = "Quoted from the passages below"
    return AnswerView(answer.answerable, answer.text, sentences, by)


def stream_url(question: str, source: str, k: int) -> str:
    """Where search.js streams a generated answer from (GET /api/answer, as server-sent events)."""
    params = {"q": question, "k": str(k), **({"source": source} if source else {})}
    return f"/api/answer?{urlencode(params)}"
