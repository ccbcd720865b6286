"""The eval report: one JSON document (modes, tiers, index manifest, settings) and its tables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.scoring import Outcome, summarize, summarize_groups
from index.searcher import Mode

Figures = Mapping[str, float]
OURS_COLUMNS = (
    "queries", "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@100", "p50_ms", "p95_ms",
)  # fmt: skip
TIER_COLUMNS = ("queries", "hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10")
BEIR_COLUMNS = ("queries", "ndcg@10", "recall@100", "mrr@10", "hit@10", "p50_ms", "p95_ms")


def build_report(
    kind: str,
    outcomes: Mapping[Mode, Sequence[Outcome]],
    index: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    by_tier: bool = False,
) -> dict[str, Any]:
    """The report as a JSON-ready dict; `by_tier` adds per-tier figures and per-question ranks."""
    report: dict[str, Any] = {
        "kind": kind,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "modes": {mode: summarize(o) for mode, o in outcomes.items()},
    }
    if by_tier:
        report["tiers"] = {mode: summarize_groups(o) for mode, o in outcomes.items()}
        report["ranks"] = {mode: {x.id: x.first_rank for x in o} for mode, o in outcomes.items()}
    report["index"] = dict(index)
    report["settings"] = dict(settings)
    return report


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
    header = [label, *columns]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *body]
    ]
    return "\n".join(lines)


def format_report(report: Mapping[str, Any]) -> str:
    """The tables a person reads: overall per mode, then per tier for our set."""
    modes: Mapping[str, Figures] = report["modes"]
    columns = BEIR_COLUMNS if report["kind"] == "beir" else OURS_COLUMNS
    parts = [table(list(modes.items()), columns)]
    tiers: Mapping[str, Mapping[str, Figures]] = report.get("tiers", {})
    if tiers:
        names = dict.fromkeys(tier for by in tiers.values() for tier in by)
        rows = [(f"{tier} / {mode}", tiers[mode][tier]) for tier in names for mode in tiers]
        parts.append(table(rows, TIER_COLUMNS, label="tier / mode"))
    return "\n\n".join(parts)
