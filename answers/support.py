"""Whether the passages a sentence cites back it: checked by ragnotes, never by the model.

A sentence is supported when both hold:

- every key term in it appears in at least one cited passage: numbers ("48", "0.5", "10%"),
  names and terms (a capitalised word past the first, an acronym, a word with digits, a hyphen
  or inner capitals, such as "Redis", "IPW", "p99", "two-tower", "LambdaMART"); one invented
  figure or name is enough to fail;
- most of its content words (`MIN_COVERAGE`, light stems, stop words out) appear in them.

Comparison is case-insensitive and ignores Markdown emphasis, so `**Redis**` backs "Redis".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragnotes.answers.evidence import coverage
from ragnotes.answers.highlight import STOP_WORDS, query_terms

MIN_COVERAGE = 0.6
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
_TOKEN = re.compile(r"[A-Za-z][\w'-]*[\w]|[A-Za-z]")
_EMPHASIS = re.compile(r"[*_`]")


def _is_term(word: str, first: bool) -> bool:
    if word.lower() in STOP_WORDS:
        return False
    inner_caps = any(c.isupper() for c in word[1:])
    marked = inner_caps or "-" in word or any(c.isdigit() for c in word)
    return marked or (word[0].isupper() and not first)


def key_terms(sentence: str) -> list[str]:
    """The numbers, names and terms in `sentence`, lower-cased, in order."""
    terms = [n.rstrip("%").replace(",", "") for n in _NUMBER.findall(sentence)]
    for i, m in enumerate(_TOKEN.finditer(_NUMBER.sub(" ", sentence))):
        if _is_term(m.group(), first=i == 0):
            terms.append(m.group().lower())
    return list(dict.fromkeys(terms))


def _flat(text: str) -> str:
    return " ".join(_EMPHASIS.sub("", text).lower().replace(",", "").split())


def missing_terms(sentence: str, cited: Sequence[str]) -> list[str]:
    """The key terms of `sentence` that no cited passage contains (as a whole word)."""
    body = _flat(" ".join(cited))
    return [
        t
        for t in key_terms(sentence)
        if not re.search(rf"(?<![\w.]){re.escape(t)}(?![\w]|\.\d)", body)
    ]


def is_supported(sentence: str, cited: Sequence[str]) -> bool:
    """Whether the `cited` passages' texts back `sentence` (see the module docstring)."""
    if not cited or missing_terms(sentence, cited):
        return False
    words = query_terms(sentence)
    return bool(words) and coverage(words, " ".join(cited)) >= MIN_COVERAGE
