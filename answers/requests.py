"""What a question to ragnotes says: the request models of /api/ask and /api/answer, also built
by the page, the MCP tools and the CLI; /docs is generated from these."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ragnotes.index.searcher import Mode

MAX_QUESTION_CHARS = 2000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain some text, not only whitespace")
    return value.strip()


Question = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="What you want to know, in your own words.",
        json_schema_extra={"pattern": r"\S"},  # documented only: _not_blank words the error
    ),
    AfterValidator(_not_blank),
]
TopK = Annotated[int, Field(ge=1, le=50, description="How many passages to return (1 to 50).")]
ModeField = Annotated[
    Mode,
    Field(
        description="hybrid (dense + BM25, fused; the default), dense (embeddings only) or bm25 (keywords only)."
    ),
]
SourceFilter = Annotated[
    str | None,
    Field(
        max_length=200,
        description='Only passages from "notes", from "readmes" (every curated repo), or from one repo as "owner/name".',
    ),
]
TagFilter = Annotated[
    str | None,
    Field(
        max_length=200,
        description='Only passages of notes with this tag (front matter or inline #tag; "ml" also '
        'takes "ml/serving"). A "#tag" in the question narrows the same way.',
    ),
]


class AskRequest(BaseModel):
    """A question to answer with cited passages."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "when should I prefer batch inference over online inference?",
                    "k": 5,
                    "mode": "hybrid",
                }
            ]
        }
    )

    question: Question
    k: TopK = 5
    mode: ModeField = "hybrid"
    source: SourceFilter = None
    tag: TagFilter = None


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
