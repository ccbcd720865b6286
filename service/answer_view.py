"""The answer as the page shows it: sentences rendered, each [n] a link to passage n on the page.

`[n]` always means the passage with rank n (service/answering.py), and the page gives passage n
the id `p<n>`, so a citation is a plain in-page link that works without JavaScript; from there
the passage's own link opens its exact lines. service/static/search.js builds the same markup
when a generated answer streams in.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup

from index.freshness import FileHashes
from index.searcher import Searcher
from service.answer_schemas import Answer, AnswerRequest, AnswerResponse
from service.answering import answer_question
from service.llm import LLMConfig
from service.render import inline_html
from service.schemas import Passage


@dataclass(frozen=True)
class CitedSentence:
    """One sentence of the answer, rendered, with the passages it cites."""

    html: Markup
    citations: tuple[tuple[int, str], ...]  # (rank, what the passage is: for the link's title)
    supported: bool


@dataclass(frozen=True)
class AnswerView:
    """The answer block above the passages."""

    answerable: bool
    text: str  # what to say when there are no sentences (not in your notes, or no prose)
    sentences: tuple[CitedSentence, ...]
    by: str  # "Extractive: sentences from your notes", or "Written by <model>"


def _title(p: Passage) -> str:
    c = p.citation
    return f"{c.heading} ({c.path}, lines {c.start_line}-{c.end_line})"


def answer_view(answer: Answer, passages: list[Passage]) -> AnswerView:
    """The page's view of an answer drawn on `passages`."""
    by_rank = {p.rank: p for p in passages}
    sentences = tuple(
        CitedSentence(
            html=inline_html(s.text),
            citations=tuple((n, _title(by_rank[n])) for n in s.citations if n in by_rank),
            supported=s.supported,
        )
        for s in answer.sentences
    )
    if not sentences:
        by = ""  # the plain text says it all
    elif answer.generator == "llm":
        by = f"Written by {answer.model or 'the LLM'}; every sentence checked against what it cites"
    else:
        by = "Sentences taken from the passages below"
    return AnswerView(answer.answerable, answer.text, sentences, by)


def stream_url(question: str, source: str, k: int) -> str:
    """Where search.js streams a generated answer from (GET /api/answer, as server-sent events)."""
    params = {"q": question, "k": str(k), **({"source": source} if source else {})}
    return f"/api/answer?{urlencode(params)}"


@dataclass(frozen=True)
class PageAnswer:
    """What a search puts on the page: the response, its extractive answer, and where a
    generated answer streams from when an LLM is configured."""

    response: AnswerResponse
    view: AnswerView
    stream: str | None


async def page_answer(
    searcher: Searcher, request: AnswerRequest, hashes: FileHashes | None, config: LLMConfig | None
) -> PageAnswer:
    """Search and answer extractively, at once; with an LLM configured, search.js then streams
    the generated answer in its place (the extractive one stays for pages without JavaScript).
    """
    quick = request.model_copy(update={"generator": "extractive"})
    response = await answer_question(searcher, quick, hashes, config)
    view = answer_view(response.answer, response.passages)
    writes = config is not None and response.answer.answerable
    url = stream_url(request.question, request.source or "", request.k) if writes else None
    return PageAnswer(response, view, url)
