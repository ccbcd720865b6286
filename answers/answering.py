"""Answer a question in a few cited sentences: the one code path behind the API, the page, the CLI
and the MCP server.

Question to answer: search one snapshot and mark weak passages (answers/passages.py) → when
every passage is weak, say plainly that the notes do not answer → otherwise write the answer
from the passages that are not weak: sentences, lists and tables quoted as plain text
(answers/extractive.py, answers/quoting.py), or
written by an OpenAI-compatible server and checked against the passages they cite
(answers/generated.py). `[n]` always means the passage with rank n.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from anyio import to_thread

from ragnotes.answers import generated, llm
from ragnotes.answers.answer_schemas import (
    Answer,
    AnswerRequest,
    AnswerResponse,
    AnswerSentence,
    Generator,
)
from ragnotes.answers.context import around
from ragnotes.answers.extractive import DEFAULT_SELECTION, Drawn, Selection, extract
from ragnotes.answers.llm import LLMConfig, LLMError
from ragnotes.answers.passages import index_info, search_passages
from ragnotes.answers.quoting import quoted
from ragnotes.errors import ConfigError
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Searcher
from ragnotes.service.schemas import Passage

NOT_IN_NOTES = (
    "Your notes do not seem to answer this: no indexed passage is close enough to the question. "
    "The nearest passages are below, marked as weak."
)

SHOWN = 5  # passages an extractive answer may draw on (lists and tables; sentences: the best 3)
NO_PROSE = "No sentence of the best passages reads as an answer on its own; they are below."


@dataclass(frozen=True)
class Retrieved:
    """What an answer draws on: the response's passages, found once."""

    request: AnswerRequest
    generator: Generator
    passages: list[Passage]
    response: AnswerResponse  # the response with an empty answer, to fill in
    started: float
    searcher: Searcher  # the snapshot searched: a passage's neighbouring chunks come from it

    @property
    def answerable(self) -> bool:
        return any(not p.weak for p in self.passages)

    def drawn_on(self, most: int) -> list[Passage]:
        """The best passages that are not weak, at most `most`."""
        return [p for p in self.passages if not p.weak][:most]


def choose_generator(request: AnswerRequest, config: LLMConfig | None) -> Generator:
    """The generator asked for, else llm when a server is configured, else extractive."""
    if request.generator == "llm" and config is None:
        raise ConfigError(
            'generator "llm" needs an LLM server: set RAGNOTES_LLM_URL (and RAGNOTES_LLM_MODEL), '
            'or ask for "extractive"'
        )
    return request.generator or ("llm" if config is not None else "extractive")


def retrieve(
    searcher: Searcher,
    request: AnswerRequest,
    hashes: FileHashes | None,
    config: LLMConfig | None,
) -> Retrieved:
    """Search and build the passages; CPU work, so callers in an event loop run it in a thread."""
    started = time.perf_counter()
    generator = choose_generator(request, config)
    passages = search_passages(searcher, request, hashes)
    empty = Answer(text="", answerable=False, generator=generator, model=None, sentences=[])
    response = AnswerResponse(
        question=request.question,
        mode=request.mode,
        answer=empty,
        passages=passages,
        index=index_info(searcher.manifest),
        took_ms=0.0,
    )
    return Retrieved(request, generator, passages, response, started, searcher)


def finish(retrieved: Retrieved, answer: Answer) -> AnswerResponse:
    """The response with its answer and the time taken since the search began."""
    took = round((time.perf_counter() - retrieved.started) * 1000, 2)
    return retrieved.response.model_copy(update={"answer": answer, "took_ms": took})


def refusal(retrieved: Retrieved) -> Answer:
    """The plain "not in your notes" answer."""
    return Answer(
        text=NOT_IN_NOTES,
        answerable=False,
        generator=retrieved.generator,
        model=None,
        sentences=[],
    )


def render(sentences: list[AnswerSentence]) -> str:
    """The answer's text: sentences with their [n] markers run on in a paragraph; a list or a
    table on lines of its own, its markers after its last line."""
    paragraphs: list[list[str]] = [[]]
    for s in sentences:
        marked = f"{' '.join(s.text.split()) if s.kind == 'sentence' else s.text} " + "".join(
            f"[{n}]" for n in s.citations
        )
        if s.kind == "sentence":
            paragraphs[-1].append(marked)
        else:
            paragraphs += [[marked], []]
    return "\n".join(" ".join(p) for p in paragraphs if p)


def extractive_answer(retrieved: Retrieved, selection: Selection = DEFAULT_SELECTION) -> Answer:
    """Sentences, lists and tables quoted from the passages that are not weak, as plain text."""
    if not retrieved.answerable:
        return refusal(retrieved)
    contexts = {p.rank: around(retrieved.searcher, p) for p in retrieved.drawn_on(SHOWN)}
    drawn = [
        Drawn(p.rank, p.citation.heading, contexts[p.rank].text, contexts[p.rank].span)
        for p in retrieved.drawn_on(SHOWN)
        if not (p.part or "").startswith("code")  # a piece of a long code block: no prose
    ]
    picks = extract(retrieved.request.question, drawn, selection)
    sentences = quoted(picks, contexts)
    if not sentences:  # the passages are code or fragments
        return Answer(
            text=NO_PROSE, answerable=True, generator="extractive", model=None, sentences=[]
        )
    return Answer(
        text=render(sentences),
        answerable=True,
        generator="extractive",
        model=None,
        sentences=sentences,
    )


def sources(retrieved: Retrieved) -> list[generated.Source]:
    """The passages an LLM is shown, numbered by rank."""
    return [
        generated.Source(p.rank, p.citation.heading, p.text)
        for p in retrieved.drawn_on(generated.SHOWN)
    ]


def generated_answer(retrieved: Retrieved, reply: llm.Reply) -> Answer:
    """The model's reply, parsed, its citations checked against the passages it was shown."""
    claims = generated.parse(reply.text, sources(retrieved))
    sentences = [
        AnswerSentence(text=c.text, citations=list(c.citations), supported=c.supported)
        for c in claims
    ]
    return Answer(
        text=render(sentences),
        answerable=bool(sentences),
        generator="llm",
        model=reply.model,
        sentences=sentences,
    )


async def answer_question(
    searcher: Searcher,
    request: AnswerRequest,
    hashes: FileHashes | None,
    config: LLMConfig | None,
) -> AnswerResponse:
    """Search, then answer in the chosen generator's way: the whole response."""
    retrieved = await to_thread.run_sync(retrieve, searcher, request, hashes, config)
    if retrieved.generator == "extractive" or not retrieved.answerable:
        answer = await to_thread.run_sync(extractive_answer, retrieved)
        return finish(retrieved, answer)
    assert config is not None  # choose_generator said llm
    question = generated.messages(request.question, sources(retrieved))
    try:
        reply = await llm.complete(config, question)
    except LLMError as exc:
        if request.generator == "llm":
            raise  # asked for by name: the caller hears that the server failed
        return finish(retrieved, await to_thread.run_sync(fallback, retrieved, exc))
    return finish(retrieved, generated_answer(retrieved, reply))


def fallback(retrieved: Retrieved, exc: LLMError) -> Answer:
    """The extractive answer, with a notice saying why the LLM's is not there."""
    notice = f"The LLM did not answer: {exc}. The answer below is quoted from the passages instead."
    return extractive_answer(retrieved).model_copy(update={"notice": notice})


async def stream_generated(
    retrieved: Retrieved, config: LLMConfig
) -> AsyncIterator[str | AnswerResponse]:
    """The model's text as it arrives, then the whole response, parsed and checked."""
    parts, model = [], config.model
    async for delta, named in llm.stream(
        config, generated.messages(retrieved.request.question, sources(retrieved))
    ):
        model = named or model
        if delta:
            parts.append(delta)
            yield delta
    yield finish(retrieved, generated_answer(retrieved, llm.Reply("".join(parts), model)))
