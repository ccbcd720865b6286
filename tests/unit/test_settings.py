"""Settings turn RAGNOTES_* values into what the server uses: here, the Host names it answers to."""

from __future__ import annotations

import pytest

from ragnotes.service.settings import Settings


@pytest.mark.parametrize(
    ("entries", "names"),
    [
        ("", []),
        ("notes.lan", ["notes.lan"]),
        (" Notes.LAN:8000 , 10.0.0.5 ", ["notes.lan", "10.0.0.5"]),
        ("fe80::1,[fe80::2]:8000", ["[fe80::1]", "[fe80::2]"]),
        ("*.example.org", ["*.example.org"]),
    ],
)
def test_allowed_hosts_are_names_without_ports(entries: str, names: list[str]) -> None:
    allowed = Settings(allowed_hosts=entries).allowed_host_list()
    assert allowed == ["localhost", "127.0.0.1", "[::1]", *names]
