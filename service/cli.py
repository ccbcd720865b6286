"""The `ragnotes` command line. Domain errors are printed as one line here, never as a traceback."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import ValidationError

from ragnotes.errors import ConfigError, RagnotesError
from ragnotes.index.searcher import MODES
from ragnotes.service.notes_cli import add_notes_commands
from ragnotes.service.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "notes", None):
        overrides["notes_dir"] = os.pathsep.join(str(Path(p).resolve()) for p in args.notes)
    if getattr(args, "no_bundled", False):
        overrides["bundled_notes"] = False
    if getattr(args, "no_readmes", False):
        overrides["readmes"] = False
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "RAGNOTES_" + "_".join(str(p) for p in error["loc"]).upper()
        raise ConfigError(f"invalid {name}: {error['msg']}") from exc


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.corpus.curated import load_curated
    from ragnotes.corpus.sync import sync_readmes

    origin = f"the mirror {args.mirror}" if args.mirror else "GitHub"
    print(f"syncing curated READMEs from {origin} into {settings.readmes_dir}", file=sys.stderr)
    report = sync_readmes(
        load_curated(),
        settings.readmes_dir,
        Path(args.mirror) if args.mirror else None,
        on_repo=lambda repo: print(
            f"  {repo.name} @ {repo.commit[:10]} ({len(repo.files)} files)", file=sys.stderr
        ),
    )
    print(f"synced {report.repos} repos, {report.files} files, {report.bytes / 1e6:.2f} MB")
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.service.reindex import index_with_progress

    fan_out = None
    if args.ray:
        from ragnotes.service.ray_cluster import ray_fan_out

        fan_out = ray_fan_out(settings, args)
    return index_with_progress(settings, full=args.full, prune=args.prune, fan_out=fan_out)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.service.bind import check_bind
    from ragnotes.service.workers import check_workers, run_workers

    # Before the model loads, so refusing is instant.
    check_bind(args.host, settings.allowed_hosts, settings.api_token)
    if args.ray:
        from ragnotes.service.ray_cluster import require_ray

        require_ray()
        if args.watch or args.workers != 1:
            raise ConfigError(
                "--watch and --workers are for one machine; with --ray, serve more copies with "
                "--replicas and re-index with POST /api/reindex (one build for every replica)"
            )
        from ragnotes.service.ray_serve import serve_on_ray

        return serve_on_ray(settings, args.address, args.replicas, args.host, args.port)
    check_workers(args.workers, settings, args.watch)
    if args.workers > 1:
        where = f"http://{args.host}:{args.port}"
        print(f"serving on {where} with {args.workers} workers", file=sys.stderr)
        run_workers(settings, args.host, args.port, args.workers)
        return 0

    import uvicorn

    from ragnotes.service.app import create_app

    app = create_app(settings, watch_notes=args.watch)
    print(f"serving on http://{args.host}:{args.port}  (API docs: /docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="info")
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.service.mcp_server import run_stdio

    return run_stdio(settings)


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
            f"   {where}: {c.path}, lines {c.start_line}-{c.end_line}"
            + ("  (changed since indexed)" if c.stale else "")
        )
        print(f"   {c.url}")
        body = p.text if len(p.text) < 600 else p.text[:600].rsplit(" ", 1)[0] + " …"
        print(textwrap.indent(body, "   | "))
        print()


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


def cmd_tool(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes eval`, `bench` and `load`: tooling that lives outside the product (see _tool)."""
    run: Handler = _tool(args.command)
    return run(args, settings)


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


TOOLS_GROUP = "ragnotes.tools"  # entry points naming each tool's `(args, settings) -> int`
TOOLS_EXTRA = "pip install 'ragnotes[bench]'"


def _tool(name: str) -> Handler:
    """The tool command `name`, found by entry point so the product never imports the tooling.

    A tool whose dependencies the plain install leaves out is a one-line error naming the extra.
    """
    from importlib.metadata import entry_points

    found = entry_points(group=TOOLS_GROUP, name=name)
    if not found:
        raise ConfigError(f"`ragnotes {name}` is not part of this install; {TOOLS_EXTRA}")
    try:
        handler: Handler = next(iter(found)).load()
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"`ragnotes {name}` needs {exc.name}, which the plain install leaves out; {TOOLS_EXTRA}"
        ) from exc
    return handler


def _first_validation_message(exc: ValueError) -> str:
    errors: list[dict[str, Any]] = getattr(exc, "errors", list)()
    if errors:
        field = ".".join(str(p) for p in errors[0]["loc"])
        return f"invalid {field}: {errors[0]['msg']}"
    return str(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ragnotes",
        description="Cited-passage search over ML system design notes and curated READMEs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_index_commands(sub)
    _add_serve_commands(sub)
    _add_question_commands(sub)
    _add_eval_command(sub)
    _add_speed_commands(sub)
    add_notes_commands(sub)
    return parser


def _add_index_commands(sub: Subcommands) -> None:
    """`readmes sync` and `index`: what goes into the index."""
    readmes = sub.add_parser("readmes", help="manage the curated READMEs")
    readmes_sub = readmes.add_subparsers(dest="readmes_command", required=True, metavar="ACTION")
    sync = readmes_sub.add_parser("sync", help="fetch the curated READMEs at their pinned commits")
    sync.add_argument(
        "--from",
        dest="mirror",
        metavar="DIR",
        help="copy from a local mirror laid out as DIR/OWNER__NAME/<path>",
    )
    sync.set_defaults(handler=cmd_sync)

    index = sub.add_parser("index", help="build or update the index")
    index.add_argument(
        "--notes",
        action="append",
        metavar="DIR",
        help="a notes folder to index (repeatable); also RAGNOTES_NOTES_DIR",
    )
    index.add_argument("--no-bundled", action="store_true", help="leave out the bundled notes")
    index.add_argument("--no-readmes", action="store_true", help="leave out the curated READMEs")
    index.add_argument(
        "--full", action="store_true", help="re-embed everything, ignoring cached vectors"
    )
    add_ray_arguments(index, "embed on a Ray cluster's workers (pip install 'ragnotes[ray]')")
    index.add_argument(
        "--prune",
        action="store_true",
        help="drop the notes of folders that are no longer notes folders",
    )
    index.set_defaults(handler=cmd_index)


def _add_serve_commands(sub: Subcommands) -> None:
    """`serve` and `mcp`: the index answering over HTTP or stdio."""
    serve = sub.add_parser("serve", help="serve the API and the search page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--notes", action="append", metavar="DIR", help="notes folder for re-indexing (repeatable)"
    )
    serve.add_argument("--watch", action="store_true", help="re-index when notes change")
    add_ray_arguments(serve, "serve replicas on a Ray cluster (pip install 'ragnotes[ray]')")
    serve.add_argument(
        "--replicas",
        type=_positive,
        metavar="N",
        help="--ray: this many replicas (default: autoscaling from 1 to the cluster's CPUs)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, e.g. one per core (reading only: re-index with `ragnotes index`)",
    )
    serve.set_defaults(handler=cmd_serve)

    mcp = sub.add_parser(
        "mcp", help="answer assistants over the Model Context Protocol on stdin/stdout"
    )
    mcp.add_argument(
        "--notes", action="append", metavar="DIR", help="a notes folder of the index (repeatable)"
    )
    mcp.set_defaults(handler=cmd_mcp)


def _add_question_commands(sub: Subcommands) -> None:
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


def _add_eval_command(sub: Subcommands) -> None:
    """`eval`: retrieval and answer quality (the tooling in eval/)."""
    ev = sub.add_parser("eval", help="measure retrieval quality in every mode")
    ev.add_argument(
        "--beir", type=Path, metavar="DIR", help="run a BEIR dataset instead of our set"
    )
    ev.add_argument(
        "--whole-docs", action="store_true", help="BEIR: embed each document whole, not chunked"
    )
    ev.add_argument(
        "--judged",
        action="store_true",
        help="also count passages judged to answer as well (older figures); default: strict labels",
    )
    ev.add_argument(
        "--no-rerank",
        action="store_true",
        help="hybrid without the late-interaction re-ranking, for comparison",
    )
    ev.add_argument(
        "--answers",
        action="store_true",
        help="measure answers (extractive, and generated when RAGNOTES_LLM_URL is set)",
    )
    ev.add_argument(
        "--limit", type=int, metavar="N", help="--answers: generate for the first N questions only"
    )
    ev.add_argument(
        "--compare-backends",
        action="store_true",
        help="build beside the live index with int8 ONNX and fp32 torch; print how rankings agree",
    )
    ev.add_argument("--out", type=Path, metavar="FILE", help="where to write the JSON report")
    ev.add_argument("--json", action="store_true", help="print the JSON report")
    ev.set_defaults(handler=cmd_tool)


def _add_speed_commands(sub: Subcommands) -> None:
    """`load` and `bench`: speed and memory (the tooling in eval/)."""
    load = sub.add_parser(
        "load", help="load-test a copy of the index on loopback, re-indexing half-way"
    )
    add_load_arguments(load)
    load.set_defaults(handler=cmd_tool)

    bench = sub.add_parser(
        "bench",
        help="speed and memory: build, serve and query the real corpus, then synthetic ones",
    )
    bench.add_argument(
        "--sizes",
        type=_sizes,
        default=(100_000, 1_000_000),
        metavar="N,N",
        help="synthetic corpus sizes in chunks (default 100000,1000000; 0 skips them)",
    )
    bench.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    bench.add_argument("--seconds", type=float, default=20.0, help="length of the concurrent run")
    bench.add_argument("--rounds", type=int, default=3, help="passes over the eval questions")
    bench.add_argument(
        "--out", type=Path, default=Path("artifacts/bench.json"), help="where to write the JSON"
    )
    bench.set_defaults(handler=cmd_tool)


def add_ray_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """`--ray` and `--address`, for `serve` and `index` (service/ray_cluster.py)."""
    parser.add_argument("--ray", action="store_true", help=what)
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="--ray: the cluster's address, host:port (default: RAY_ADDRESS, else a local one)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The load test's options, shared by `ragnotes load` and `python -m ragnotes_eval.load`."""
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to run (default 60)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on")
    parser.add_argument("--out", type=Path, help="JSON report (default artifacts/load-<time>.json)")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of chunk counts"
        ) from None
    if any(n < 0 for n in sizes):
        raise argparse.ArgumentTypeError("chunk counts cannot be negative")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        handler: Handler = args.handler
        return handler(args, _settings(args))
    except RagnotesError as exc:
        print(f"ragnotes: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader left (`ragnotes ask ... | head`): stop quietly, and keep Python's exit flush
        # from failing on the same closed pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
