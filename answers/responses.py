"""What ragnotes answers: cited passages, and an answer citing them; the response models of
/api/ask and /api/answer, also what the page, the MCP tools and the CLI show; /docs is generated
from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ragnotes.answers.requests import Generator
from ragnotes.index.searcher import Mode


def line_span(start: int, end: int) -> str:
    """How a citation names its lines wherever ragnotes prints one: "line 8", "lines 8-12"."""
    return f"line {start}" if start == end else f"lines {start}-{end}"


class Citation(BaseModel):
    """Exactly where a passage comes from."""

    source: str = Field(description='"notes", or the curated repo as "owner/name".')
    path: str = Field(description="The file's path inside its notes folder or repo.")
    title: str = Field(
        description="The document's title (front matter, first heading, or file name)."
    )
    heading: str = Field(
        description='Heading breadcrumb, e.g. "Batch vs online inference > When to prefer batch inference".'
    )
    start_line: int = Field(description="First cited line in the file, 1-based.")
    end_line: int = Field(description="Last cited line in the file, 1-based, inclusive.")
    url: str = Field(
        description="READMEs: GitHub permalink pinned to the commit with line anchors. Notes: ragnotes' own /notes/ page with line anchors."
    )
    license: str | None = Field(
        default=None, description="The curated repo's license; null for notes."
    )
    stale: bool = Field(
        default=False, description="True when the source file changed after this index was built."
    )
    tags: list[str] = Field(
        default_factory=list, description="The note's tags (front matter and inline #tags)."
    )


class Passage(BaseModel):
    """One cited passage."""

    rank: int = Field(description="1 for the best passage.")
    score: float = Field(
        description="Fused score (hybrid), cosine similarity (dense) or BM25 score (bm25); only comparable within one response."
    )
    text: str = Field(
        description="The passage as a reader should see it (Markdown, without HTML or images)."
    )
    part: str | None = Field(
        default=None,
        description='Set when a code block or table was too large for one passage, e.g. "table, part 2 of 3".',
    )
    citation: Citation = Field(
        description="Where the passage comes from, with a link to its exact lines."
    )
    best_sentence: str | None = Field(
        default=None,
        description="The sentence of `text` that best answers the question (the most distinct question words, lightly stemmed), exactly as it appears in `text`; null when no sentence shares a word with the question.",
    )
    weak: bool = Field(
        default=False,
        description="True when the passage bears too little on the question to answer from (low raw similarity and few of the question's words); when every passage is weak, the notes do not answer the question.",
    )


class IndexInfo(BaseModel):
    """Which build answered."""

    build_id: str = Field(
        description="Identifier of the build (time it was made plus a random suffix)."
    )
    built_at: str = Field(description="ISO 8601 time the build was made (UTC).")
    model: str = Field(description="Embedding model the build was made with.")
    files: int = Field(description="Source files in the build.")
    chunks: int = Field(description="Passages in the build.")


class AskResponse(BaseModel):
    """Cited passages, best first."""

    question: str = Field(
        description="The question as understood (surrounding whitespace removed)."
    )
    mode: Mode = Field(description="The retrieval mode used.")
    passages: list[Passage] = Field(description="Cited passages, best first.")
    index: IndexInfo = Field(description="The build that answered.")
    took_ms: float = Field(description="Time spent answering on the server, in milliseconds.")


UnitKind = Literal["sentence", "list", "table"]


class AnswerSentence(BaseModel):
    """One unit of the answer (a sentence, a list or a table) and the passages that back it."""

    text: str = Field(
        description="The unit as plain text, without its [n] markers and without Markdown "
        "(emphasis, backticks, link targets and table pipes left out). A list is one item a "
        'line ("- item", or "3. item" when numbered); a table one row a line ("column: cell; '
        'column: cell"). Extractive: every sentence, item and cell appears in the cited lines.'
    )
    citations: list[int] = Field(
        description="Ranks of the passages the sentence cites: [n] is the passage with rank n. "
        "Never empty, and only passages of this response."
    )
    supported: bool = Field(
        description="Whether the cited passages back the unit, as ragnotes checks it (not the "
        "model). Extractive: its sentences, items and cells appear in the cited passage as "
        "plain text. Generated: most of its words, and every number, name and term in it, "
        "appear in them."
    )
    kind: UnitKind = Field(
        default="sentence", description="What the unit is: a sentence, a list or a table."
    )
    items: list[str] = Field(
        default_factory=list, description="A list's items (plain text), in order."
    )
    numbers: list[int] = Field(
        default_factory=list,
        description="A numbered list's item numbers (0 for an item of a list nested in it); empty for bullets.",
    )
    header: list[str] = Field(default_factory=list, description="A table's column names.")
    rows: list[list[str]] = Field(default_factory=list, description="A table's rows of cells.")
    start_line: int | None = Field(
        default=None,
        description="Extractive: the first line of the cited file the unit is quoted from.",
    )
    end_line: int | None = Field(
        default=None, description="Extractive: the last line of the cited file it is quoted from."
    )


class Answer(BaseModel):
    """The answer: a few sentences, each citing passages by rank."""

    text: str = Field(
        description="The answer to show, as plain text: sentences followed by their [n] markers "
        "run on in a paragraph (line breaks inside a sentence shown as spaces); a list or table "
        "on lines of its own, one item or row a line, its markers after the last. When "
        "`answerable` is false, a plain statement that the notes do not answer the question."
    )
    answerable: bool = Field(
        description="False when nothing indexed answers the question (every passage is weak); "
        "the answer then has no sentences."
    )
    generator: Generator = Field(description="What wrote the answer.")
    model: str | None = Field(
        description="The LLM that wrote it, as its server names it; null for extractive answers."
    )
    sentences: list[AnswerSentence] = Field(description="The answer's sentences, in order.")
    notice: str | None = Field(
        default=None,
        description="Set when the LLM server failed and the answer is the extractive one "
        "instead: what went wrong, naming the server's URL and the setting to check. Only when "
        '`generator` was left unset; asking for "llm" explicitly makes a failing server an '
        "error (502 bad reply, 503 unreachable, 504 too slow).",
    )


class AnswerResponse(BaseModel):
    """A cited answer and the passages it draws on."""

    question: str = Field(
        description="The question as understood (surrounding whitespace removed)."
    )
    mode: Mode = Field(description="The retrieval mode used.")
    answer: Answer = Field(description="The answer, citing `passages` by rank.")
    passages: list[Passage] = Field(
        description="The passages the answer draws on, best first; the same objects /api/ask "
        "returns."
    )
    index: IndexInfo = Field(description="The build that answered.")
    took_ms: float = Field(
        description="Time spent answering on the server, in milliseconds (the LLM included)."
    )
