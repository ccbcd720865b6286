"""eval/loopback.py: the benchmarks' child processes import the code their parent imports, wherever
they start."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ragnotes_eval.loopback import module_command


def test_a_ragnotes_folder_in_the_working_directory_does_not_stand_in_for_the_package(
    tmp_path: Path,
) -> None:
    # A clone's own `ragnotes/` holds only part of the package; here, one that cannot load.
    shadow = tmp_path / "ragnotes"
    shadow.mkdir()
    (shadow / "__init__.py").write_text('raise ImportError("the working directory\'s copy")\n')
    command = module_command("ragnotes.service.cli", "--help")
    ran = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "serve" in ran.stdout
    # Without -P the same command, from the same place, picks up the copy.
    plain = [c for c in command if c != "-P"]
    shadowed = subprocess.run(plain, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "the working directory's copy" in shadowed.stderr
