"""The access log's lines are uvicorn's, character for character."""

from __future__ import annotations

import logging

import pytest
from uvicorn.logging import AccessFormatter

from ragnotes.service.access_log import AccessLine, log_config

FMT = log_config()["formatters"]["access"]["fmt"]


def _record(status: int, path: str = "/api/ask") -> logging.LogRecord:
    args = ("127.0.0.1:50312", "POST", path, "1.1", status)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


@pytest.mark.parametrize("colors", [False, True])
@pytest.mark.parametrize("status", [101, 200, 303, 404, 422, 503, 599])
def test_lines_match_uvicorns(colors: bool, status: int) -> None:
    ours = AccessLine(FMT, use_colors=colors).format(_record(status, "/api/search?q=a%20b"))
    theirs = AccessFormatter(FMT, use_colors=colors).format(_record(status, "/api/search?q=a%20b"))
    assert ours == theirs


def test_the_config_names_it_for_the_access_log_only() -> None:
    config = log_config()
    assert config["formatters"]["access"]["()"] == "ragnotes.service.access_log.AccessLine"
    assert config["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"
    logging.config.dictConfig(config)
    handler = logging.getLogger("uvicorn.access").handlers[0]
    assert isinstance(handler.formatter, AccessLine)
