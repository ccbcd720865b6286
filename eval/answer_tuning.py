"""Choose the "not in your notes" thresholds on the dev split: `python -m ragnotes_eval.answer_tuning`.

Dev is the labelled eval questions (each should be answered) and the off-topic dev half (each
should be refused). Every threshold triple on a grid is scored by the sum of its two error
rates; the best few are printed beside their error on the off-topic test half, which is shown
for the record and never used to choose.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from pathlib import Path

from ragnotes.answers.evidence import Evidence, Thresholds, evidence, is_weak
from ragnotes.answers.highlight import query_terms
from ragnotes.index.embedding import load_embedder
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes_eval.answers import load_offtopic
from ragnotes_eval.questions import load_questions

ALONE = (0.40, 0.45, 0.50, 0.55, 0.60)
PAIRED = (0.25, 0.30, 0.33, 0.35, 0.38, 0.40)
COVERAGE = (0.3, 0.4, 0.5, 0.6, 0.7)
K = 5


def signals(searcher: Searcher, questions: Sequence[str]) -> list[list[Evidence]]:
    """The evidence of each question's top K hybrid passages."""
    return [
        [evidence(h, query_terms(q)) for h in searcher.search(q, K, "hybrid")] for q in questions
    ]


def answered(rows: Sequence[list[Evidence]], t: Thresholds) -> float:
    """The share of questions some passage of which is strong under `t`."""
    return sum(any(not is_weak(e, t) for e in row) for row in rows) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    searcher = Searcher.load(BuildStore(args.data), load_embedder(cache_dir=args.data / "models"))
    ours = signals(searcher, [q.question for q in load_questions()])
    offtopic = load_offtopic()
    dev = signals(searcher, [o.question for o in offtopic if o.split == "dev"])
    test = signals(searcher, [o.question for o in offtopic if o.split == "test"])
    scored = []
    for alone, paired, cover in itertools.product(ALONE, PAIRED, COVERAGE):
        if paired > alone:
            continue
        t = Thresholds(alone, paired, cover)
        refused, wrongly = 1 - answered(ours, t), answered(dev, t)
        scored.append((refused + wrongly, refused, wrongly, t))
    scored.sort(key=lambda row: row[0])
    best = [row[3] for row in scored if row[0] == scored[0][0]]
    for name in ("alone", "paired", "coverage"):
        values = sorted({getattr(t, name) for t in best})
        print(f"{name}: the best dev error ({scored[0][0]:.3f}) with {values}")
    print("alone  paired  coverage  refused(eval)  answered(offtopic dev)  answered(offtopic test)")
    for _, refused, wrongly, t in scored[:10]:
        print(
            f"{t.alone:5.2f}  {t.paired:6.2f}  {t.coverage:8.1f}  {refused:13.3f}  "
            f"{wrongly:22.3f}  {answered(test, t):23.3f}"
        )


if __name__ == "__main__":
    main()
