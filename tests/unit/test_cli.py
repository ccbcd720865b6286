"""The command line's own parsing."""

from __future__ import annotations

import importlib.util

import pytest

from ragnotes.service.cli import main


@pytest.mark.parametrize("command", [["index", "--ray"], ["serve", "--ray", "--replicas", "2"]])
def test_ray_without_the_extra_is_one_line_naming_it(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.split(".")[0] == "ray" else real(name, *a),
    )
    assert main(command) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "ragnotes: error: --ray needs Ray, which the plain install leaves out; "
        "pip install 'ragnotes[ray]'"
    ]


def test_replicas_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--ray", "--replicas", "0"])
    assert "'0' is not a positive whole number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("address", "said"),
    [("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1"), ("nonsense", "HOST:PORT")],
)
def test_a_ray_address_nothing_answers_on_is_refused_at_once(
    address: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("ray") is None:
        pytest.skip("needs the ray extra")
    assert main(["index", "--ray", "--address", address]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and said in lines[0]


def test_a_tool_that_cannot_load_leaves_the_rest_working(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib.metadata import EntryPoint

    from ragnotes.service import cli

    broken = EntryPoint("broken", "ragnotes_eval.no_such_module:TOOL", cli.TOOLS_GROUP)
    monkeypatch.setattr(cli, "entry_points", lambda group: [broken])
    assert main(["broken"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "`ragnotes broken` cannot be loaded" in lines[0]
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve" in capsys.readouterr().out
