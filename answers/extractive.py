"""Extractive answers: sentences, lists and tables quoted from the best passages, as plain text.

The candidates are the pieces of the passages' units (answers/units.py): each sentence, list item
and table row. A piece scores the share of the question's words it holds, plus half the share its
passage's headings hold (a list under "When to prefer batch inference" answers that question
without repeating it), plus, for an item or row, half the share its lead sentence holds; more
in better-ranked passages. Pieces are chosen greedily by maximal marginal relevance (that score
less the word overlap with pieces already chosen), so the answer does not say the same thing twice.

Chosen pieces are then put back in their blocks: two items of one list are quoted as that list
(whole when it is short, else the items chosen), after its lead sentence. A question that asks for
several things ("what are the steps", "how do I handle", "X vs Y") gets the list or table that
best holds them, quoted whole or trimmed, when it scores at least `Selection.block` of the best
sentence. A sentence that only makes sense after the one before it is quoted with that one or not
at all. The answer is shown in reading order (by passage rank, then where each unit stands in
it), except that a list or table answering a many-things question comes first, after its lead
sentence (or, without one, the best sentence chosen).

Words alone, not sentence vectors: embedding every candidate sentence with the bundled model
found as many answers on the dev split (answer-hit 0.511 both) at about 200 ms a question
instead of about 5 (eval/EXPERIMENTS.md).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ragnotes.answers.boilerplate import housekeeping_heading
from ragnotes.answers.context import Context
from ragnotes.answers.evidence import coverage
from ragnotes.answers.highlight import STOP_WORDS, query_terms, stem
from ragnotes.answers.responses import Passage
from ragnotes.answers.sentences import readable, words
from ragnotes.answers.units import Piece, Unit, short, units

_WORD = re.compile(r"[^\W_]+")
# A question that asks for several things: steps, options, causes, a comparison, a how-to.
_MANY = re.compile(
    r"\b(?:steps?|stages?|phases?|options?|ways?|methods?|approach(?:es)?|techniques?|"
    r"strateg(?:y|ies)|causes?|reasons?|types?|kinds?|components?|parts|factors?|signals?|"
    r"features|metrics|pros|cons|trade-?offs?|differences?|compare|comparison|versus|vs|"
    r"handle|fix(?:es)?|solutions?|mitigat\w*|framework|checklist|list|examples?|what are|each)\b",
    re.IGNORECASE,
)

# A heading or lead that names several things ("The seven stages", "Fixes:").
_SEVERAL = re.compile(
    r"\b(?:steps|stages|phases|options|ways|methods|approaches|techniques|strategies|causes|"
    r"reasons|types|kinds|components|factors|signals|features|metrics|pros|cons|trade-?offs|"
    r"fixes|solutions|tips|habits|rules|patterns|examples|use|prefer)\b|:\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Picked:
    """A unit quoted in the answer (a list or table possibly trimmed) and its passage's rank."""

    rank: int
    unit: Unit
    heading: str = ""  # the breadcrumb of the passage it is from


@dataclass(frozen=True)
class Selection:
    """How pieces are scored and chosen (defaults chosen on the dev split)."""

    most: int = 6  # pieces at most
    least: int = 2  # pieces at least, when the passages hold that many
    passages: int = 3  # sentences come from this many of the best passages (lists: any given)
    rank_prior: float = 0.5  # a piece of passage n scores (1 + rank_prior / n) times more
    heading: float = 0.5  # weight of the question words its passage's headings hold
    lead: float = 0.5  # weight of the question words an item's lead sentence holds
    redundancy: float = 0.3  # how much word overlap with a chosen piece costs
    keep: float = 0.3  # past `least`, keep pieces scoring at least this share of the best
    duplicate: float = 0.8  # never choose a piece this like one already chosen
    block: float = 0.8  # a list or table answers a many-things question from this share
    items: int = 8  # a list longer than this is trimmed to the items that answer
    beside: int = 5  # sentences at most beside a list or table that answers
    boiler: float = 0.1  # a piece about the document (answers/boilerplate.py) scores this share
    substance: int = 12  # a list whose items have fewer words on average scores less
    cue: float = 0.3  # a list whose heading or lead names several things ("the stages") scores more


DEFAULT_SELECTION = Selection()


@dataclass(frozen=True)
class _Candidate:
    rank: int
    heading: str
    unit: Unit
    piece: Piece


def asks_for_many(question: str) -> bool:
    """Whether the question asks for several things (steps, options, a comparison, a how-to)."""
    return _MANY.search(question) is not None


def candidates(passages: Sequence[Passage], contexts: Mapping[int, Context]) -> list[_Candidate]:
    """Every piece worth quoting of the units that overlap the given passages' own lines, read
    in each passage's context (`contexts[rank]`)."""
    return [
        _Candidate(p.rank, p.citation.heading, u, piece)
        for p in passages
        for u in units(contexts[p.rank].text)
        if contexts[p.rank].holds(u)
        for piece in u.pieces
        if not short(piece)
    ]


@functools.lru_cache(maxsize=1 << 14)  # pieces repeat across questions
def _content(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text) if w.lower() not in STOP_WORDS)


def _likeness_to(words: Sequence[frozenset[str]], j: int) -> np.ndarray:
    """Word overlap (Jaccard) of every piece's content words with piece j's."""
    out = np.zeros(len(words))
    for i, w in enumerate(words):
        union = len(w | words[j])
        out[i] = len(w & words[j]) / union if union else 0.0
    return out


def _relevance(terms: Sequence[str], cands: Sequence[_Candidate], s: Selection) -> np.ndarray:
    headings = {c.heading for c in cands}
    heads = {h: coverage(terms, h) for h in headings}
    housekeeping = {h: housekeeping_heading(h) for h in headings}
    held = []
    for c in cands:
        lead = coverage(terms, c.unit.lead.text) if c.unit.lead else 0.0
        score = coverage(terms, c.piece.text) + s.heading * heads[c.heading] + s.lead * lead
        boiler = c.piece.boiler or housekeeping[c.heading]
        held.append(score * (s.boiler if boiler else 1.0))
    prior = np.array([1.0 / c.rank for c in cands])
    return np.asarray(np.array(held) * (1 + s.rank_prior * prior))


def _predecessors(cands: Sequence[_Candidate]) -> list[int | None]:
    """For a sentence that needs the one before it, that sentence's candidate (else None)."""
    at = {(c.rank, c.unit.index): i for i, c in enumerate(cands) if c.unit.kind == "sentence"}
    return [at.get((c.rank, c.unit.index - 1)) if c.piece.dependent else None for c in cands]


def _choose(
    relevance: np.ndarray,
    cands: Sequence[_Candidate],
    s: Selection,
    best: float,
) -> list[int]:
    """Pieces by maximal marginal relevance, none below `s.keep` of `best` once `s.least` are
    chosen; a dependent sentence brings the one before it. Overlap is computed only against
    the pieces chosen, so the cost grows with the candidates, not their square."""
    words = [_content(c.piece.text) for c in cands]
    before = _predecessors(cands)
    blocked = np.array(
        [c.piece.dependent and b is None for c, b in zip(cands, before, strict=True)]
    )
    chosen: list[int] = []
    penalty = np.zeros(len(relevance))
    while len(chosen) < min(s.most, len(relevance)):
        score = relevance - s.redundancy * penalty
        score[chosen] = -np.inf
        score[(penalty >= s.duplicate) | blocked] = -np.inf
        i = int(score.argmax())
        if score[i] == -np.inf or relevance[i] <= 0:
            break
        if len(chosen) >= s.least and relevance[i] < s.keep * best:
            break
        b = before[i]
        for j in [i] if b is None or b in chosen else [i, b]:
            chosen.append(j)
            penalty = np.maximum(penalty, _likeness_to(words, j))
    return chosen


def _trimmed(unit: Unit, wanted: Sequence[Piece], s: Selection) -> Unit:
    """The list or table whole when it is short, else the pieces wanted (a numbered list: its
    first `s.items`, so the numbers stay right)."""
    if len(unit.pieces) <= s.items:
        return unit
    if unit.ordered:
        return replace(unit, pieces=unit.pieces[: s.items])
    keep = [p for p in unit.pieces if p in wanted][: s.items]
    return replace(unit, pieces=tuple(keep))


def _block(
    terms: Sequence[str],
    cands: Sequence[_Candidate],
    relevance: np.ndarray,
    s: Selection,
) -> tuple[int, int] | None:
    """The (rank, unit index) of the list or table that best answers a many-things question:
    the question's words its heading, lead and items hold, more when its heading or lead names
    several things ("The seven stages"); None when none reaches `s.block` of the best sentence."""
    blocks: dict[tuple[int, int], _Candidate] = {}
    for c in cands:
        if c.unit.kind != "sentence" and len(c.unit.pieces) >= 2:
            blocks.setdefault((c.rank, c.unit.index), c)
    best_sentence = max(
        (float(r) for c, r in zip(cands, relevance, strict=True) if c.unit.kind == "sentence"),
        default=0.0,
    )
    scored = []
    for key, c in blocks.items():
        lead = c.unit.lead.text if c.unit.lead else ""
        body = " ".join([lead, *(p.text for p in c.unit.pieces)])
        named = _SEVERAL.search(f"{c.heading.rsplit(' > ', 1)[-1]} {lead}") is not None
        held = s.heading * coverage(terms, c.heading) + coverage(terms, body) + s.cue * named
        length = np.mean([words(p.text) for p in c.unit.pieces])
        substance = min(1.0, float(length) / s.substance)
        boiler = sum(p.boiler for p in c.unit.pieces) * 2 >= len(c.unit.pieces)
        boiler = boiler or housekeeping_heading(c.heading)
        held *= substance * (s.boiler if boiler else 1.0)
        scored.append((held * (1 + s.rank_prior / c.rank), key))
    if not scored:
        return None
    score, key = max(scored)
    return key if score >= s.block * best_sentence else None


def _assemble(
    cands: Sequence[_Candidate], chosen: Sequence[int], block: tuple[int, int] | None, s: Selection
) -> list[Picked]:
    """Chosen pieces back in their units: a list or table with two pieces chosen (or the block)
    is quoted as a list or table, one item alone as a sentence."""
    groups: dict[tuple[int, int], list[_Candidate]] = {}
    for i in chosen:
        groups.setdefault((cands[i].rank, cands[i].unit.index), []).append(cands[i])
    if block is not None:
        groups.setdefault(block, [c for c in cands if (c.rank, c.unit.index) == block])
    picked = []
    for key, group in groups.items():
        first = group[0]
        unit = first.unit
        if unit.kind != "sentence" and (len(group) >= 2 or key == block):
            unit = _trimmed(unit, [c.piece for c in group], s)
        elif unit.kind != "sentence":
            if unit.kind == "table" or not readable(first.piece.text):
                continue  # a lone row, or a fragment of a list, says little alone
            unit = Unit("sentence", (first.piece,), unit.index)
        picked.append(Picked(first.rank, unit, first.heading))
    return sorted(picked, key=_order(cands, chosen, block, picked))


def _order(
    cands: Sequence[_Candidate],
    chosen: Sequence[int],
    block: tuple[int, int] | None,
    picked: Sequence[Picked],
) -> Callable[[Picked], tuple[int, int, int]]:
    """Reading order, except that the block answering a many-things question comes first,
    after its lead sentence, or after the best sentence chosen when it has no lead."""
    places = {block: 1}
    lead = next((p.unit.lead for p in picked if (p.rank, p.unit.index) == block), None)
    if block is not None and lead is None and chosen:
        places[(cands[chosen[0]].rank, cands[chosen[0]].unit.index)] = 0
    return lambda p: (places.get((p.rank, p.unit.index), 2), p.rank, p.unit.index)


def extract(
    question: str,
    passages: Sequence[Passage],
    contexts: Mapping[int, Context],
    selection: Selection = DEFAULT_SELECTION,
) -> list[Picked]:
    """The units that best answer `question`, in reading order, from the passages in their
    contexts (answers/context.py `around`, by rank); [] when no piece holds a word of the
    question (or of its passage's headings)."""
    cands = candidates(passages, contexts)
    terms = query_terms(question)
    relevance = _relevance(terms, cands, selection) if cands else np.zeros(0)
    if not cands or relevance.max() <= 0:
        return []
    best = float(relevance.max())
    block = _block(terms, cands, relevance, selection) if asks_for_many(question) else None
    nearest = {p.rank for p in passages[: selection.passages]}
    relevance = np.where([c.rank in nearest for c in cands], relevance, 0.0)
    s = selection
    # A table row, or a list item too short to read alone, is quoted only with its block.
    alone = [
        c.unit.kind == "sentence" or (c.unit.kind == "list" and readable(c.piece.text))
        for c in cands
    ]
    relevance = np.where(alone, relevance, 0.0)
    if block is not None:  # the block answers; a couple of sentences around it at most
        others = np.array([c.unit.kind == "sentence" for c in cands])
        relevance = np.where(others, relevance, 0.0)
        s = replace(selection, most=selection.beside, least=0)
    return _assemble(cands, _choose(relevance, cands, s, best), block, selection)
