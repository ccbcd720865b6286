"""The tooling's commands as the command line sees them: their flags, declared by each tool."""

from __future__ import annotations

import argparse

import pytest

from ragnotes.service.cli import build_parser
from ragnotes_eval.tools import BENCH, EVAL, LOAD, sizes


def test_sizes_are_parsed_or_refused() -> None:
    assert sizes("100_000,1000000") == (100_000, 1_000_000)
    assert sizes("0") == (0,)
    for bad in ("ten", "-5"):
        with pytest.raises(argparse.ArgumentTypeError, match="chunk counts"):
            sizes(bad)


def test_the_command_line_takes_each_tools_flags_from_the_tool() -> None:
    parser = build_parser()
    bench = parser.parse_args(["bench", "--sizes", "0", "--clients", "2"])
    assert (bench.sizes, bench.clients, bench.rounds) == ((0,), 2, 3)
    assert bench.handler == BENCH.run
    load = parser.parse_args(["load", "--seconds", "5"])
    assert (load.clients, load.seconds, load.handler) == (50, 5.0, LOAD.run)
    evaluated = parser.parse_args(["eval", "--answers", "--limit", "3"])
    assert (evaluated.answers, evaluated.limit, evaluated.handler) == (True, 3, EVAL.run)


def test_a_tool_missing_a_dependency_is_a_one_line_error_naming_the_extra() -> None:
    missing = type(BENCH)("bench", "", lambda parser: None, "ragnotes_eval.no_such_module:cli")
    with pytest.raises(Exception, match=r"needs ragnotes_eval.no_such_module.*ragnotes\[bench\]"):
        missing.run(argparse.Namespace(), None)  # type: ignore[arg-type]
