"""The eval report: one JSON document (modes, tiers, index manifest, settings) and its tables.

Our set's report holds each split (`dev`, `test`) under `splits`; its tables put the two side
by side, so a figure that rises on dev alone is seen at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragnotes.index.searcher import Mode
from ragnotes_eval.machine import describe
from ragnotes_eval.questions import Split
from ragnotes_eval.scoring import Outcome, summarize, summarize_groups

Figures = Mapping[str, float]
SPLIT_COLUMNS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@100", "p50_ms")
SPLIT_TIER_COLUMNS = ("queries", "hit@1", "hit@5", "hit@10", "mrr@10")
BEIR_COLUMNS = ("queries", "ndcg@10", "recall@100", "mrr@10", "hit@10", "p50_ms", "p95_ms")


def build_report(
    kind: str,
    outcomes: Mapping[Mode, Sequence[Outcome]],
    index: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """A benchmark's report as a JSON-ready dict: figures per mode, the index, the settings."""
    return {
        "kind": kind,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "modes": {mode: summarize(o) for mode, o in outcomes.items()},
        "index": dict(index),
        "settings": dict(settings),
    }


def split_figures(outcomes: Mapping[Mode, Sequence[Outcome]]) -> dict[str, Any]:
    """One split's figures per mode and per tier, and the rank of each question's answer."""
    return {
        "modes": {mode: summarize(o) for mode, o in outcomes.items()},
        "tiers": {mode: summarize_groups(o) for mode, o in outcomes.items()},
        "ranks": {mode: {x.id: x.first_rank for x in o} for mode, o in outcomes.items()},
    }


def build_split_report(
    splits: Mapping[Split, Mapping[Mode, Sequence[Outcome]]],
    index: Mapping[str, Any],
    settings: Mapping[str, Any],
    labels: str = "strict",
) -> dict[str, Any]:
    """Our set's report: `split_figures` for each split, the labels counted, index, settings."""
    return {
        "kind": "questions",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": labels,
        "splits": {split: split_figures(outcomes) for split, outcomes in splits.items()},
        "index": dict(index),
        "settings": dict(settings),
    }


def write_report(report: Mapping[str, Any], path: Path) -> None:
    """Write the report as indented JSON, replacing any earlier one in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _cell(name: str, value: float) -> str:
    if name == "queries":
        return str(int(value))
    return f"{value:.1f}" if name.endswith("_ms") else f"{value:.3f}"


def table(rows: Sequence[tuple[str, Figures]], columns: Sequence[str], label: str = "mode") -> str:
    """A plain-text table, one row per (name, figures) pair."""
    body = [[name, *(_cell(c, figures[c]) for c in columns)] for name, figures in rows]
    return _layout([label, *columns], body)


def _layout(header: list[str], body: list[list[str]], *headers: list[str]) -> str:
    """Rows of cells as aligned text: the first column left, the figures right."""
    rows = [header, *headers, *body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    )


def paired_table(
    rows: Sequence[tuple[str, Sequence[Figures]]],
    names: Sequence[str],
    columns: Sequence[str],
    label: str = "mode",
) -> str:
    """A table whose every column holds one figure per name (split), side by side."""

    def pair(column: str, by: Sequence[Figures]) -> str:
        return " ".join((_cell(column, f[column]) if column in f else "-").rjust(6) for f in by)

    body = [[row, *(pair(c, by) for c in columns)] for row, by in rows]
    under = " ".join(n.rjust(6) for n in names)
    return _layout([label, *columns], body, ["", *(under for _ in columns)])


def _format_splits(splits: Mapping[str, Mapping[str, Any]], labels: str) -> str:
    names = list(splits)
    sizes = ", ".join(
        f"{name} {int(next(iter(s['modes'].values()))['queries'])} questions"
        for name, s in splits.items()
    )
    modes = list(next(iter(splits.values()))["modes"])
    overall = [(mode, [splits[n]["modes"][mode] for n in names]) for mode in modes]
    tiers = list(dict.fromkeys(t for s in splits.values() for t in s["tiers"][modes[0]]))
    by_tier = [
        (f"{tier} / {mode}", [splits[n]["tiers"][mode].get(tier, {}) for n in names])
        for tier in tiers
        for mode in modes
    ]
    return "\n\n".join(
        [
            f"{labels} labels; {sizes}",
            paired_table(overall, names, SPLIT_COLUMNS),
            paired_table(by_tier, names, SPLIT_TIER_COLUMNS, label="tier / mode"),
        ]
    )


def _machine_line(report: Mapping[str, Any]) -> str:
    vectors = report.get("index", {}).get("vectors", "?")
    form = f" (the model run as {report['form']})" if report.get("form") else ""
    return f"cpu: {describe(report['cpu'])}\nvectors: {vectors}{form}"


def format_report(report: Mapping[str, Any]) -> str:
    """The tables a person reads: our splits side by side (overall, then per tier), or a benchmark."""
    if "splits" in report:
        tables = _format_splits(report["splits"], report["labels"])
        return f"{_machine_line(report)}\n\n{tables}" if "cpu" in report else tables
    modes: Mapping[str, Figures] = report["modes"]
    parts = [table(list(modes.items()), BEIR_COLUMNS)]
    return "\n\n".join([_machine_line(report), *parts] if "cpu" in report else parts)
