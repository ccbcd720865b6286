"""Sentence splitting respects Markdown: exact spans of prose only."""

from __future__ import annotations

from service.sentences import sentences

PASSAGE = """## When to prefer batch inference

Batch inference runs the model on a schedule and writes the outputs to a store. The product
reads them with a key lookup, e.g. from Redis, in a few milliseconds.

- The set of inputs is known ahead of time and is not astronomically large.
- A freshness of hours to a day is acceptable for the product.

| option | latency |
| --- | --- |
| batch inference is precomputed here | a few ms |

```python
scores = model.predict(features)  # This code line is not a sentence at all.
```

> A quoted line from somewhere else is never used as a sentence.

Next:
"""


def test_sentences_are_exact_spans_of_prose_only() -> None:
    found = sentences(PASSAGE)
    texts = [s.text for s in found]
    assert texts == [
        "Batch inference runs the model on a schedule and writes the outputs to a store.",
        "The product\nreads them with a key lookup, e.g. from Redis, in a few milliseconds.",
        "The set of inputs is known ahead of time and is not astronomically large.",
        "A freshness of hours to a day is acceptable for the product.",
    ]
    for s in found:
        assert PASSAGE[s.start : s.end] == s.text


def test_list_continuation_lines_stay_verbatim() -> None:
    text = "- The set of inputs is known ahead of time and is not\n  astronomically large at all.\n"
    (only,) = sentences(text)
    assert only.text in text
    assert only.text.startswith("The set") and only.text.endswith("at all.")


def test_short_fragments_and_list_intros_are_skipped() -> None:
    text = "**Batch.** A nightly job scores every pair of interest and stores them.\n\nThe options are:\n"
    assert [s.text for s in sentences(text)] == [
        "A nightly job scores every pair of interest and stores them."
    ]
