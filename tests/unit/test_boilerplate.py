"""Text about the document, rather than its subject, is recognised."""

from __future__ import annotations

from ragnotes.answers.boilerplate import (
    about_the_document,
    caption,
    housekeeping_heading,
    link_only,
)
from ragnotes.corpus.markdown import parser


def test_introductions_and_navigation_are_about_the_document() -> None:
    assert about_the_document("This guide covers everything you need to build CTR systems.")
    assert about_the_document("Contributions are welcome, open a pull request.")
    assert not about_the_document("The guide rail of a ranking model is its calibration.")
    assert not about_the_document("Batch inference runs the model on a schedule.")


def test_housekeeping_sections_are_recognised_by_their_last_heading() -> None:
    assert housekeeping_heading("Cold start > Table of Contents")
    assert housekeeping_heading("Guide > Further reading")
    assert not housekeeping_heading("Cold start > User cold start")


def test_captions_and_link_lists() -> None:
    inline = parser().parse("*Handling new users with no history*")[1]
    assert caption(inline)
    assert not caption(parser().parse("*Batch* runs nightly.")[1])
    link = parser().parse("[Problem Definition](#problem-definition)")[1]
    words = parser().parse("Serving: [notes](serving.md)")[1]
    elsewhere = parser().parse("[Merlin](https://github.com/NVIDIA-Merlin/Merlin)")[1]
    assert link_only([link])
    assert not link_only([words])
    assert not link_only([elsewhere])  # an awesome-list's entry is content
