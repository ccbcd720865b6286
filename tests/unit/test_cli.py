"""The command line's own parsing."""

from __future__ import annotations

import pytest

from service.cli import _sizes


def test_sizes_are_parsed_or_refused() -> None:
    assert _sizes("100_000,1000000") == (100_000, 1_000_000)
    assert _sizes("0") == (0,)
    for bad in ("ten", "-5"):
        with pytest.raises(Exception, match="chunk counts"):
            _sizes(bad)
