"""Request and response models of the HTTP API; /docs is generated from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


class Health(BaseModel):
    """Whether an index is loaded, and which."""

    status: Literal["ok", "degraded", "no_index", "error"] = Field(
        description="ok; degraded: answering from a loaded build while something on disk is "
        "wrong; no_index: nothing built yet; error: the build cannot be loaded (HTTP 503)"
    )
    index: IndexInfo | None = None
    detail: str | None = Field(default=None, description="What is wrong, and what to do.")


class ErrorBody(BaseModel):
    """An error a client can act on."""

    detail: str


class FieldError(BaseModel):
    """One field that failed validation."""

    loc: list[str | int] = Field(description='Where, e.g. ["body", "k"] or ["query", "q"].')
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description='The kind of error, e.g. "less_than_equal".')


class ValidationErrorBody(BaseModel):
    """A request that failed validation: one readable line, then each field."""

    detail: str = Field(description='Every problem as "field: message", joined by "; ".')
    errors: list[FieldError]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses (422 carries the field errors)."""
    return {code: {"model": ValidationErrorBody if code == 422 else ErrorBody} for code in codes}
