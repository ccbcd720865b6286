"""Request and response models of /api/answer; /docs is generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ragnotes.index.searcher import Mode
from ragnotes.service.schemas import AskRequest, IndexInfo, Passage

Generator = Literal["extractive", "llm"]


class AnswerRequest(AskRequest):
    """A question to answer in a few cited sentences, with the passages they come from."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "when should I prefer batch inference over online inference?",
                    "k": 5,
                    "generator": "extractive",
                }
            ]
        }
    )

    generator: Generator | None = Field(
        default=None,
        description="extractive: sentences taken verbatim from the passages (no model at all); llm: written by the OpenAI-compatible server at RAGNOTES_LLM_URL. "
        "null: llm when RAGNOTES_LLM_URL is set, else extractive; when that server fails, the "
        "extractive answer with a `notice` saying why. Asking for llm explicitly makes a failing "
        "server an error instead: 502 (an error or a reply that is not a chat completion), 503 "
        "(nothing answers at the URL), 504 (slower than RAGNOTES_LLM_TIMEOUT).",
    )


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
