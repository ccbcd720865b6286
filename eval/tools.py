"""`ragnotes eval`, `load` and `bench`: each tool's command-line flags, and where it runs.

pyproject.toml's `ragnotes.tools` entry points name the `Tool`s below; the `ragnotes` command
line (service/cli.py) asks each for its help line and flags, and calls `run` with what it parsed,
so the product knows none of them by name. This module imports nothing heavy: `--help` works
in a plain install, and a tool's own module (with httpx, from the `bench` extra) loads only when
the tool runs; without its dependencies, that is a one-line error naming the extra.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragnotes.errors import ConfigError

if TYPE_CHECKING:
    from ragnotes.service.settings import Settings

TOOLS_EXTRA = "pip install 'ragnotes[bench]'"


@dataclass(frozen=True)
class Tool:
    """One `ragnotes` command brought by the tooling."""

    name: str
    help: str
    flags: Callable[[argparse.ArgumentParser], None]
    target: str  # "module:function" taking (args, settings), imported when the command runs

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's flags on its subparser."""
        self.flags(parser)

    def run(self, args: argparse.Namespace, settings: Settings) -> int:
        """Run the command; a dependency the plain install leaves out is a one-line error."""
        module, _, function = self.target.partition(":")
        try:
            handler: Callable[[argparse.Namespace, Settings], int] = getattr(
                importlib.import_module(module), function
            )
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"`ragnotes {self.name}` needs {exc.name}, which the plain install leaves out; "
                f"{TOOLS_EXTRA}"
            ) from exc
        return handler(args, settings)


def eval_arguments(parser: argparse.ArgumentParser) -> None:
    """`ragnotes eval`: retrieval and answer quality."""
    parser.add_argument(
        "--beir", type=Path, metavar="DIR", help="run a BEIR dataset instead of our set"
    )
    parser.add_argument(
        "--whole-docs", action="store_true", help="BEIR: embed each document whole, not chunked"
    )
    parser.add_argument(
        "--judged",
        action="store_true",
        help="also count passages judged to answer as well (older figures); default: strict labels",
    )
    parser.add_argument(
        "--no-rerank",
        action="store_true",
        help="hybrid without the late-interaction re-ranking, for comparison",
    )
    parser.add_argument(
        "--late-depth",
        type=late_depth,
        metavar="N",
        help="hybrid: re-rank the first N fused candidates by late interaction "
        "(default: the product's depth)",
    )
    parser.add_argument(
        "--answers",
        action="store_true",
        help="measure answers (extractive, and generated when RAGNOTES_LLM_URL is set)",
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="--answers: generate for the first N questions only"
    )
    parser.add_argument(
        "--compare-backends",
        action="store_true",
        help="build beside the live index with int8 ONNX and fp32 torch; print how rankings agree",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="where to write the JSON report")
    parser.add_argument("--json", action="store_true", help="print the JSON report")


def load_arguments(parser: argparse.ArgumentParser) -> None:
    """The load test's options, shared by `ragnotes load` and `python -m ragnotes_eval.load`."""
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to run (default 60)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on")
    parser.add_argument("--out", type=Path, help="JSON report (default artifacts/load-<time>.json)")


def bench_arguments(parser: argparse.ArgumentParser) -> None:
    """`ragnotes bench`: speed and memory."""
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=(100_000, 1_000_000),
        metavar="N,N",
        help="synthetic corpus sizes in chunks (default 100000,1000000; 0 skips them)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the concurrent run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="passes over the eval questions (default 5: 460 requests of one client)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("artifacts/bench.json"), help="where to write the JSON"
    )


def late_depth(text: str) -> int:
    """`--late-depth`: how many fused candidates late interaction re-ranks, at least 1."""
    try:
        depth = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of candidates") from None
    if depth < 1:
        raise argparse.ArgumentTypeError("the depth must be at least 1 (--no-rerank turns it off)")
    return depth


def sizes(text: str) -> tuple[int, ...]:
    """`--sizes`: comma-separated chunk counts, underscores allowed (100_000)."""
    try:
        counts = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of chunk counts"
        ) from None
    if any(n < 0 for n in counts):
        raise argparse.ArgumentTypeError("chunk counts cannot be negative")
    return counts


EVAL = Tool(
    "eval", "measure retrieval quality in every mode", eval_arguments, "ragnotes_eval.command:cli"
)
LOAD = Tool(
    "load",
    "load-test a copy of the index on loopback, re-indexing half-way",
    load_arguments,
    "ragnotes_eval.load:cli",
)
BENCH = Tool(
    "bench",
    "speed and memory: build, serve and query the real corpus, then synthetic ones",
    bench_arguments,
    "ragnotes_eval.bench:cli",
)
