"""Key points: what a reader should find in an answer, and how many of them an answer states.

Each eval question has two to four key points (eval/keypoints/<split>.jsonl), short facts a good
answer states, written from the labelled file by people who had not seen ragnotes' answers. An
answer states a key point when at least `STATED_SHARE` of the point's content words (stemmed, stop
words out, as BM25 reads text) are among the answer's words; the share was fixed before any
answer was scored. Key-point recall is the share of a question's points its answer states; a
refused question states none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ragnotes.errors import ConfigError
from ragnotes.index.lexical import query_tokens
from ragnotes_eval.jsonl import read_objects

KEY_POINTS_DIR = Path(__file__).parent / "keypoints"
STATED_SHARE = 2 / 3

KeyPoints = Mapping[str, tuple[str, ...]]


def load_key_points(split: str, folder: Path = KEY_POINTS_DIR) -> dict[str, tuple[str, ...]]:
    """Question id -> its key points, for one split (empty when the split has no file)."""
    path = folder / f"{split}.jsonl"
    if not path.exists():
        return {}
    points: dict[str, tuple[str, ...]] = {}
    for where, row in read_objects(path):
        qid, found = row.get("id"), row.get("key_points")
        if not isinstance(qid, str) or not isinstance(found, list) or not found:
            raise ConfigError(f"{where}: needs an 'id' and a non-empty list 'key_points'")
        if qid in points:
            raise ConfigError(f"{where}: {qid} has key points twice")
        points[qid] = tuple(str(p) for p in found)
    return points


def is_stated(point: str, answer_words: frozenset[str]) -> bool:
    """Whether enough of the point's content words are among the answer's."""
    words = set(query_tokens(point))
    if not words:
        return False
    return len(words & answer_words) >= STATED_SHARE * len(words)


def key_point_recall(points: Sequence[str], answer_parts: Iterable[str]) -> float:
    """The share of `points` that the answer (its sentences, items and cells) states."""
    words = frozenset(w for part in answer_parts for w in query_tokens(part))
    return sum(is_stated(p, words) for p in points) / len(points) if points else 0.0
