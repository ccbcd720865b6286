"""No ragnotes process reports usage anywhere (README, "Security"): ONNX Runtime's reporting and
Ray's are off unless the user's environment turns them on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VARIABLES = ("ORT_DISABLE_TELEMETRY", "RAY_USAGE_STATS_ENABLED")
KEPT = ("PATH", "LANG", "TMPDIR", "SYSTEMROOT")
# Loads the model and embeds one text, as any ragnotes process does, then prints the settings a
# child it starts would inherit.
SCRIPT = """
import os, sys
from pathlib import Path
from ragnotes.index.embedding import load_embedder
load_embedder("all-MiniLM-L6-v2", "onnx", Path(sys.argv[1])).embed_query("batch inference")
print(*(os.environ.get(name) for name in sys.argv[2:]))
"""


def _run(home: Path, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """The settings the process saw, and the files left under `home`/.cache."""
    # Only what the child needs: ONNX Runtime keeps quiet on its own when it sees a CI's
    # variables (CI, GITHUB_ACTIONS, JENKINS_URL and others), which would hide reporting from
    # the first test and make the second fail on a CI runner.
    env = {k: v for k, v in os.environ.items() if k in KEPT or k.startswith("LC_")}
    env.update(HOME=str(home), **given)
    done = subprocess.run(
        [sys.executable, "-P", "-c", SCRIPT, os.environ["RAGNOTES_MODELS_DIR"], *VARIABLES],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    kept = sorted(p.name for p in (home / ".cache").rglob("*") if p.is_file())
    return done.stdout.split()[-len(VARIABLES) :], kept


@pytest.mark.usefixtures("embedder")  # the export exists before the child loads it
def test_a_ragnotes_process_reports_nothing(tmp_path: Path) -> None:
    """ONNX Runtime's official Linux builds keep a device id and a queue of usage events under
    ~/.cache/Microsoft and upload them: none of that happens in a ragnotes process, and the
    processes it starts inherit the settings."""
    seen, kept = _run(tmp_path, {})
    assert kept == []
    assert seen == ["1", "0"]


@pytest.mark.usefixtures("embedder")
def test_the_users_own_setting_wins(tmp_path: Path) -> None:
    """ORT_DISABLE_TELEMETRY=0 gives ONNX Runtime's default back; this is also what shows that
    the test above would see the reporting if it happened."""
    seen, kept = _run(tmp_path, {"ORT_DISABLE_TELEMETRY": "0", "RAY_USAGE_STATS_ENABLED": "1"})
    assert "deviceid" in kept
    assert seen == ["0", "1"]
