"""Read JSON Lines files of objects; a malformed line is a ConfigError naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ragnotes.errors import ConfigError


def read_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """("FILE line N", object) for every non-blank line of `path`."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise ConfigError(f"{where}: expected a JSON object")
            yield where, row
