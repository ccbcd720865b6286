"""The tooling's commands as the command line sees them: their flags, declared by each tool."""

from __future__ import annotations

import argparse

import pytest

from ragnotes.errors import ConfigError
from ragnotes.index.late_interaction import (
    DEFAULT_LATE_INTERACTION,
    NO_LATE_INTERACTION,
    LateInteractionParams,
)
from ragnotes.service.cli import build_parser
from ragnotes_eval.command import late_interaction_params
from ragnotes_eval.tools import BENCH, EVAL, LOAD, late_depth, sizes


def test_sizes_are_parsed_or_refused() -> None:
    assert sizes("100_000,1000000") == (100_000, 1_000_000)
    assert sizes("0") == (0,)
    for bad in ("ten", "-5"):
        with pytest.raises(argparse.ArgumentTypeError, match="chunk counts"):
            sizes(bad)


def test_the_command_line_takes_each_tools_flags_from_the_tool() -> None:
    parser = build_parser()
    bench = parser.parse_args(["bench", "--sizes", "0", "--clients", "2"])
    assert (bench.sizes, bench.clients, bench.rounds) == ((0,), 2, 5)
    assert bench.handler == BENCH.run
    load = parser.parse_args(["load", "--seconds", "5"])
    assert (load.clients, load.seconds, load.handler) == (50, 5.0, LOAD.run)
    evaluated = parser.parse_args(["eval", "--answers", "--limit", "3"])
    assert (evaluated.answers, evaluated.limit, evaluated.handler) == (True, 3, EVAL.run)


def test_a_tool_missing_a_dependency_is_a_one_line_error_naming_the_extra() -> None:
    missing = type(BENCH)("bench", "", lambda parser: None, "ragnotes_eval.no_such_module:cli")
    with pytest.raises(Exception, match=r"needs ragnotes_eval.no_such_module.*ragnotes\[bench\]"):
        missing.run(argparse.Namespace(), None)  # type: ignore[arg-type]


def test_the_late_interaction_depth_is_a_positive_count_and_not_beside_no_rerank() -> None:
    assert late_depth("12") == 12
    for bad, why in (("ten", "whole number"), ("0", "at least 1"), ("-3", "at least 1")):
        with pytest.raises(argparse.ArgumentTypeError, match=why):
            late_depth(bad)
    parsed = build_parser().parse_args(["eval", "--answers", "--late-depth", "15"])
    assert (parsed.late_depth, parsed.no_rerank) == (15, False)
    assert late_interaction_params(True, None) == DEFAULT_LATE_INTERACTION
    assert late_interaction_params(True, 15) == LateInteractionParams(15, 1 / 3)
    assert late_interaction_params(False, None) == NO_LATE_INTERACTION
    with pytest.raises(ConfigError, match="pick one"):
        late_interaction_params(False, 15)
