"""The wheel, installed without extras into a fresh virtualenv, works as a user runs it.

Nothing here imports the checkout: the wheel is built from it, installed into a new venv (its
dependencies from `wheelhouse/` when `make wheelhouse` filled it, so the run is offline and
fast, else from the configured indexes), and driven through the `ragnotes` command alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTES = REPO / "tests" / "fixtures" / "notes"
WHEELHOUSE = REPO / "wheelhouse"
LOCAL_ONLY = (".git", ".venv", "data", "build", "wheelhouse", "artifacts", "*.egg-info", ".*_cache")
SUBCOMMANDS = (
    [],
    ["readmes"],
    ["readmes", "sync"],
    ["index"],
    ["serve"],
    ["ask"],
    ["mcp"],
    ["eval"],
    ["bench"],
    ["load"],
)

pytestmark = pytest.mark.install


def _run(args: Sequence[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert "Traceback" not in result.stderr + result.stdout, (args, result.stderr)
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the venv's ragnotes, an environment with a fresh data dir) after installing the wheel."""
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGNOTES_", "VIRTUAL_ENV"))}
    # From a copy, as from a clean checkout: setuptools writes build/ beside the sources.
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "dist"),
         str(source)],
        check=True, capture_output=True, env=env, timeout=900,
    )  # fmt: skip
    wheel = next((root / "dist").glob("ragnotes-*.whl"))
    venv.create(root / "venv", with_pip=True)  # a real fresh venv: no system site-packages
    local = ["--no-index", "--find-links", str(WHEELHOUSE)] if any(WHEELHOUSE.glob("*.whl")) else []
    # --no-compile: byte-compiling torch's files is most of an install's time, and Python
    # compiles what it imports anyway.
    subprocess.run(
        [str(root / "venv/bin/pip"), "install", "--quiet", "--no-compile", *local, str(wheel)],
        check=True, capture_output=True, env=env, timeout=1800,
    )  # fmt: skip
    env["RAGNOTES_DATA_DIR"] = str(root / "data")
    return root / "venv" / "bin" / "ragnotes", env


def test_every_subcommand_has_help_without_extras(installed: tuple[Path, dict[str, str]]) -> None:
    ragnotes, env = installed
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda sub: _run([str(ragnotes), *sub, "--help"], ragnotes.parent, env),
                     SUBCOMMANDS)
        )  # fmt: skip
    for sub, result in zip(SUBCOMMANDS, results, strict=True):
        assert result.returncode == 0, (sub, result.stderr)
        assert result.stdout.startswith("usage: ragnotes"), sub


@pytest.mark.parametrize("command", ["bench", "load"])
def test_tools_needing_the_extra_say_which_in_one_line(
    installed: tuple[Path, dict[str, str]], command: str
) -> None:
    ragnotes, env = installed
    result = _run([str(ragnotes), command], ragnotes.parent, env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "pip install 'ragnotes[bench]'" in result.stderr


def test_the_product_never_imports_the_tooling(installed: tuple[Path, dict[str, str]]) -> None:
    """The CLI and the app load nothing of the tooling; the command line's parser loads only the
    tools' flags (ragnotes_eval.tools, through the entry points), and never httpx."""
    ragnotes, env = installed
    python = ragnotes.parent / "python"
    probe = (
        "import sys, ragnotes.service.cli, ragnotes.service.app; "
        "seen = lambda: sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ragnotes_eval', 'httpx')); "
        "print(seen()); ragnotes.service.cli.build_parser(); print(seen())"
    )
    printed = _run([str(python), "-c", probe], ragnotes.parent, env).stdout.split("\n")
    assert printed[:2] == ["[]", "['ragnotes_eval', 'ragnotes_eval.tools']"]


def test_the_wheel_adds_one_import_name_and_its_tooling(
    installed: tuple[Path, dict[str, str]],
) -> None:
    """Nothing generic (`corpus`, `index`, `service`, `eval`) lands in site-packages: only
    `ragnotes` and the tools' `ragnotes_eval`, as the wheel's own RECORD lists them."""
    ragnotes, _ = installed
    site = next((ragnotes.parents[1] / "lib").glob("python3*/site-packages"))
    record = next(site.glob("ragnotes-*.dist-info")) / "RECORD"
    rows = record.read_text(encoding="utf-8").splitlines()
    top = {row.split(",")[0].split("/")[0] for row in rows}
    top = {name for name in top if not name.endswith(".dist-info") and name != ".."}
    assert top == {"ragnotes", "ragnotes_eval"}


def test_index_a_notes_folder_and_ask(installed: tuple[Path, dict[str, str]]) -> None:
    ragnotes, env = installed
    # Its own ONNX export: the plain install must be able to make it.
    env = {**env, "RAGNOTES_MODELS_DIR": str(Path(env["RAGNOTES_DATA_DIR"]) / "models")}
    built = _run(
        [str(ragnotes), "index", "--notes", str(NOTES), "--no-bundled", "--no-readmes"],
        ragnotes.parent,
        env,
    )
    assert built.returncode == 0, built.stderr
    asked = _run(
        [str(ragnotes), "ask", "how do I detect data drift?", "-k", "2"], ragnotes.parent, env
    )
    assert asked.returncode == 0, asked.stderr
    print(asked.stdout)  # the README quotes what a user sees
    assert "2 passages for: how do I detect data drift?" in asked.stdout
    assert "monitoring.md" in asked.stdout
