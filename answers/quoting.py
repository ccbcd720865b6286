"""Units chosen for an extractive answer, as the answer's sentences: plain text, a list's items or
a table's rows, and the lines of the cited file each is quoted from (answers/context.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ragnotes.answers.context import Context
from ragnotes.answers.extractive import Picked
from ragnotes.answers.responses import AnswerSentence
from ragnotes.answers.units import Piece, Unit, grounded


def unit_text(unit: Unit) -> str:
    """The unit as plain text: a sentence; a list one item a line; a table one row a line."""
    if unit.kind == "sentence":
        return unit.pieces[0].text
    if unit.kind == "table":
        return "\n".join(p.text for p in unit.pieces)
    return "\n".join(f"{p.number}. {p.text}" if p.number else f"- {p.text}" for p in unit.pieces)


def _sentence(rank: int, context: Context, unit: Unit, pieces: Sequence[Piece]) -> AnswerSentence:
    top = pieces[0].first if unit.first is None else min(unit.first, pieces[0].first)
    first, last = context.file_lines(top, pieces[-1].last)
    return AnswerSentence(
        text=unit_text(unit),
        citations=[rank],
        supported=grounded(unit, context.text),
        kind=unit.kind,
        items=[p.text for p in unit.pieces] if unit.kind == "list" else [],
        numbers=[p.number for p in unit.pieces] if unit.ordered else [],
        header=list(unit.header),
        rows=[list(p.cells) for p in unit.pieces] if unit.kind == "table" else [],
        start_line=first,
        end_line=last,
    )


def quoted(picks: Sequence[Picked], contexts: Mapping[int, Context]) -> list[AnswerSentence]:
    """The answer's sentences: each unit (a list or table after its lead sentence), checked
    against the text it is quoted from; a lead already quoted as a sentence is not said twice."""
    out: list[AnswerSentence] = []
    for pick in picks:
        context, unit = contexts[pick.rank], pick.unit
        said = {s.text for s in out}
        if unit.lead is not None and unit.lead.text not in said:
            lead = Unit("sentence", (unit.lead,), unit.index)
            out.append(_sentence(pick.rank, context, lead, lead.pieces))
        if unit_text(unit) not in said:
            out.append(_sentence(pick.rank, context, unit, unit.pieces))
    return out
