"""The Docker image, built from this checkout and run as a user runs it.

No image registry is reachable here, so the base is made from Debian packages (debootstrap,
then `docker import`) and passed as `--build-arg BASE`; it is kept between runs, as are the
wheelhouse (`make wheelhouse`, which `make test` runs first) and Docker's layer cache. The
container must answer the mission question over HTTP, as a user other than root, without torch.
`make docker` installs Docker and debootstrap and starts dockerd.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ragnotes_eval.loopback import free_port

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = "ragnotes-test-base:bookworm"
IMAGE = "ragnotes-test:latest"
# The build stages, tagged so that Docker keeps them as the next run's cache (untagged, each
# run's would pile up).
BUILDER_IMAGE = "ragnotes-test-builder:latest"
QUESTION = "when should I prefer batch inference over online inference?"

pytestmark = pytest.mark.install


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _make_base_image() -> None:
    """A minimal Debian bookworm with python3 (3.11) and venv, imported as BASE_IMAGE."""
    with tempfile.TemporaryDirectory(prefix="ragnotes-rootfs-") as root:
        subprocess.run(
            ["debootstrap", "--variant=minbase",
             "--include=python3,python3-venv,python3-pip,ca-certificates", "bookworm", root],
            check=True, capture_output=True, timeout=1800,
        )  # fmt: skip
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(Path(root) / cache, ignore_errors=True)
        with subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(
                ["docker", "import", "-", BASE_IMAGE], stdin=tar.stdout, check=True, timeout=600
            )


def _image_id(tag: str) -> str:
    return _docker("image", "inspect", tag, "--format", "{{.Id}}").stdout.strip()


def _build(tag: str, target: list[str]) -> None:
    """`docker build` of this checkout as `tag`; the image the tag named before is removed."""
    previous = _image_id(tag)
    built = _docker(
        "build", "--build-arg", f"BASE={BASE_IMAGE}", *target, "-t", tag, str(REPO), timeout=3600
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    if previous and previous != _image_id(tag):
        _docker("image", "rm", previous)


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("docker") is None or _docker("info").returncode != 0:
        pytest.fail("no Docker daemon: run `make docker` (installs docker.io, starts dockerd)")
    if _docker("image", "inspect", BASE_IMAGE).returncode != 0:
        _make_base_image()
    if not any((REPO / "wheelhouse").glob("torch-*.whl")):
        pytest.fail("wheelhouse/ is empty: run `make wheelhouse` (the image builds from it)")
    started = time.monotonic()
    for tag, target in ((BUILDER_IMAGE, ["--target", "slim"]), (IMAGE, [])):
        _build(tag, target)
    print(f"\nimage built in {time.monotonic() - started:.0f} s", end=", ")
    size = int(_docker("image", "inspect", IMAGE, "--format", "{{.Size}}").stdout)
    print(f"{size / 1e6:.0f} MB")
    return IMAGE


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[tuple[str, str]]:
    """(container name, base URL) of the image run as `docker run -p 127.0.0.1:...` runs it,
    once it has answered a first question."""
    name = f"ragnotes-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    started = time.monotonic()
    run = _docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", image)
    assert run.returncode == 0, run.stderr
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_answer(url, name)
        print(f"\nfirst answer {time.monotonic() - started:.1f} s after docker run")
        yield name, url
    finally:
        _docker("rm", "--force", name)


def _ask(url: str) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": QUESTION, "k": 3}, timeout=30)


def _wait_for_answer(url: str, name: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _ask(url).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no answer in {seconds} s; the container's log:\n{_docker('logs', name).stderr}")


def test_the_container_answers_the_mission_question(container: tuple[str, str]) -> None:
    _, url = container
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    response = _ask(url)
    assert response.status_code == 200, response.text
    passages = response.json()["passages"]
    paths = [p["citation"]["path"] for p in passages]
    print(f"\nthe mission question cites {paths}")
    assert len(passages) == 3 and "batch-vs-online-inference.md" in paths
    assert response.json()["index"]["build_id"]
    # The image indexed the curated READMEs along with the bundled notes.
    search = httpx.get(f"{url}/api/search", params={"q": "feature store", "source": "readmes"})
    assert search.status_code == 200 and search.json()["passages"], search.text


def test_the_container_runs_as_a_user_without_torch(container: tuple[str, str]) -> None:
    name, url = container
    assert _docker("exec", name, "id", "-u").stdout.strip() not in ("", "0")
    probe = _docker("exec", name, "python", "-c", "import torch")
    assert probe.returncode != 0 and "No module named 'torch'" in probe.stderr
    config = json.loads(_docker("inspect", name).stdout)[0]["Config"]
    assert config["Healthcheck"]["Test"] and "/data" in config["Volumes"]
    # Writes are off without an admin token.
    assert httpx.post(f"{url}/api/reindex", json={}, timeout=10).status_code == 403
