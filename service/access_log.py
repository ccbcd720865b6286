"""The server's logging: uvicorn's own configuration, with its access lines made more cheaply.

uvicorn writes one access line a request (`INFO:     127.0.0.1:50312 - "POST /api/ask
HTTP/1.1" 200 OK`), and its formatter copies each record twice on the way (once to name the
level, once for the request line): 14 µs of CPU a line against 7 µs for `AccessLine`, which
writes the same text, colours included, from the record as it is (eval/BENCHMARKS.md).
"""

from __future__ import annotations

import copy
import logging
from typing import Any, cast

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

_BOLD, _RESET = "\033[1m", "\033[0m"  # as uvicorn bolds the request line on a terminal
# What uvicorn logs for each request: client, method, path, HTTP version, status.
_AccessArgs = tuple[str, str, str, str, int]


class AccessLine(AccessFormatter):
    """uvicorn's access line, character for character, without copying the record."""

    def format(self, record: logging.LogRecord) -> str:
        client, method, path, version, status = cast(_AccessArgs, record.args)
        level = record.levelname
        shown = self.color_level_name(level, record.levelno) if self.use_colors else level
        request_line = f"{method} {path} HTTP/{version}"
        if self.use_colors:
            request_line = f"{_BOLD}{request_line}{_RESET}"
        status_text = self.get_status_code(status)
        return f'{shown}:{" " * (8 - len(level))} {client} - "{request_line}" {status_text}'


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with `AccessLine` for the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = f"{__name__}.AccessLine"
    return config
