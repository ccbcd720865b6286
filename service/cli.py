"""The `ragnotes` command line. Domain errors are printed as one line here, never as a traceback.

Each group of commands declares its own flags and handler: service/index_cli.py (`readmes sync`,
`index`), service/serve_cli.py (`serve`, `mcp`), service/ask_cli.py (`ask`, `answer`),
service/notes_cli.py (`notes`). The tooling's commands (`eval`, `load`, `bench`) come through the
`ragnotes.tools` entry points in pyproject.toml, each a `Tool` that declares its own flags, so
the product never names the tooling's modules.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from pydantic import ValidationError

from ragnotes.errors import ConfigError, RagnotesError
from ragnotes.service.ask_cli import add_question_commands
from ragnotes.service.index_cli import add_index_commands
from ragnotes.service.notes_cli import add_notes_commands
from ragnotes.service.serve_cli import add_serve_commands
from ragnotes.service.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
TOOLS_GROUP = "ragnotes.tools"  # entry points naming each tool's `Tool`


class Tool(Protocol):
    """What a `ragnotes.tools` entry point names: a command with its help line and flags."""

    @property
    def help(self) -> str: ...

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, settings: Settings) -> int: ...


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


def add_tool_commands(sub: Subcommands) -> None:
    """The commands installed tools bring (`eval`, `load`, `bench`), each with its own flags.

    A tool that cannot even be loaded still has its command, which says why in one line.
    """
    for entry in entry_points(group=TOOLS_GROUP):
        try:
            tool: Tool = entry.load()
        except ImportError as exc:
            broken = sub.add_parser(entry.name, help=f"(cannot load: {exc})")
            broken.set_defaults(handler=_unloadable(entry.name, exc))
            continue
        parser = sub.add_parser(entry.name, help=tool.help)
        tool.add_arguments(parser)
        parser.set_defaults(handler=tool.run)


def _unloadable(name: str, exc: ImportError) -> Handler:
    def refuse(args: argparse.Namespace, settings: Settings) -> int:
        raise ConfigError(f"`ragnotes {name}` cannot be loaded ({exc}); reinstall ragnotes")

    return refuse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ragnotes",
        description="Cited-passage search over ML system design notes and curated READMEs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_index_commands(sub)
    add_serve_commands(sub)
    add_question_commands(sub)
    add_tool_commands(sub)
    add_notes_commands(sub)
    return parser


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
