"""Settings turn RAGNOTES_* values into what the server uses: the Host names it answers to, and
whether builds keep late interaction."""

from __future__ import annotations

import argparse

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


@pytest.mark.parametrize(("value", "kept"), [("false", False), ("0", False), ("true", True)])
def test_rerank_is_the_variable_that_turns_late_interaction_off(
    value: str, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGNOTES_RERANK", value)
    settings = Settings()
    assert settings.late_interaction is kept
    assert settings.build_options().late_interaction is kept


def test_late_interaction_is_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGNOTES_RERANK", raising=False)
    assert Settings().late_interaction and not Settings(late_interaction=False).late_interaction


def test_the_int8_form_is_auto_or_unsigned_and_a_wrong_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ragnotes.errors import ConfigError
    from ragnotes.service.cli import _settings

    monkeypatch.delenv("RAGNOTES_INT8_FORM", raising=False)
    assert Settings().int8_form == "auto"
    monkeypatch.setenv("RAGNOTES_INT8_FORM", "u8")
    assert Settings().int8_form == "u8"
    # The signed form only ever comes from the probe, so it cannot be asked for.
    monkeypatch.setenv("RAGNOTES_INT8_FORM", "s8")
    with pytest.raises(ConfigError) as refused:
        _settings(argparse.Namespace())
    assert "RAGNOTES_INT8_FORM" in str(refused.value) and "'u8'" in str(refused.value)
