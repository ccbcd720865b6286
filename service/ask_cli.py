"""`ragnotes ask` and `ragnotes answer`: one question from the command line.

`ask` prints the cited passages POST /api/ask returns, `answer` the cited answer POST /api/answer
returns (`--json`: the API's JSON itself), from the same code paths.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING, Any

from ragnotes.answers.responses import line_span
from ragnotes.errors import RagnotesError
from ragnotes.index.searcher import MODES

if TYPE_CHECKING:
    from ragnotes.service.cli import Subcommands
    from ragnotes.service.settings import Settings


def _print_readable(response: Any) -> None:
    print(
        f"{len(response.passages)} passages for: {response.question}  "
        f"[{response.mode}, build {response.index.build_id}, {response.took_ms:.0f} ms]\n"
    )
    for p in response.passages:
        c = p.citation
        where = "notes" if c.source == "notes" else c.source
        print(f"{p.rank}. {c.heading}")
        print(
            f"   {where}: {c.path}, {line_span(c.start_line, c.end_line)}"
            + ("  (changed since indexed)" if c.stale else "")
        )
        print(f"   {c.url}")
        body = p.text if len(p.text) < 600 else p.text[:600].rsplit(" ", 1)[0] + " …"
        print(textwrap.indent(body, "   | "))
        print()


def _first_validation_message(exc: ValueError) -> str:
    errors: list[dict[str, Any]] = getattr(exc, "errors", list)()
    if errors:
        field = ".".join(str(p) for p in errors[0]["loc"])
        return f"invalid {field}: {errors[0]['msg']}"
    return str(exc)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.answers.passages import ask_response
    from ragnotes.answers.requests import AskRequest
    from ragnotes.index.freshness import FileHashes
    from ragnotes.index.searcher import Searcher

    try:
        request = AskRequest(question=args.question, k=args.k, mode=args.mode, source=args.source)
    except ValueError as exc:
        raise RagnotesError(_first_validation_message(exc)) from exc
    searcher = Searcher.load(settings.store(), settings.load_embedder())
    response = ask_response(searcher, request, FileHashes())
    if args.json:
        print(response.model_dump_json(indent=2))
    else:
        _print_readable(response)
    return 0


def cmd_answer(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from ragnotes.answers.answering import answer_question
    from ragnotes.answers.printing import print_answer
    from ragnotes.answers.requests import AnswerRequest
    from ragnotes.index.freshness import FileHashes
    from ragnotes.index.searcher import Searcher

    try:
        request = AnswerRequest(
            question=args.question,
            k=args.k,
            mode=args.mode,
            source=args.source,
            generator=args.generator,
        )
    except ValueError as exc:
        raise RagnotesError(_first_validation_message(exc)) from exc
    searcher = Searcher.load(settings.store(), settings.load_embedder())
    response = anyio.run(answer_question, searcher, request, FileHashes(), settings.llm())
    if args.json:
        print(response.model_dump_json(indent=2))
    else:
        print_answer(response)
    return 0


def add_question_commands(sub: Subcommands) -> None:
    """`ask` and `answer`: one question from the command line."""
    ask = sub.add_parser("ask", help="ask a question from the command line")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=5, help="passages to show (1-50)")
    ask.add_argument("--mode", choices=MODES, default="hybrid")
    ask.add_argument("--source", help='"notes", "readmes" or one repo as owner/name')
    ask.add_argument("--json", action="store_true", help="print the API's JSON")
    ask.set_defaults(handler=cmd_ask)

    ans = sub.add_parser("answer", help="answer a question in a few cited sentences")
    ans.add_argument("question")
    ans.add_argument("-k", type=int, default=5, help="passages to draw on (1-50)")
    ans.add_argument("--mode", choices=MODES, default="hybrid")
    ans.add_argument("--source", help='"notes", "readmes" or one repo as owner/name')
    ans.add_argument(
        "--generator",
        choices=["extractive", "llm"],
        help="extractive (sentences from the passages) or llm (RAGNOTES_LLM_URL); "
        "default: llm when RAGNOTES_LLM_URL is set",
    )
    ans.add_argument("--json", action="store_true", help="print the API's JSON")
    ans.set_defaults(handler=cmd_answer)
