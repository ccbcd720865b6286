"""ragnotes on a real Ray cluster of two nodes on this machine (eval/local_ray.py), with Ray's token
authentication on: `ragnotes index --ray` makes the vectors a local build makes, and
`ragnotes serve --ray --replicas 2` answers through Ray's proxy from both replicas, follows a new
build on every replica, runs one re-index for the deployment, and survives a replica's death.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import httpx
import httpx2
import numpy as np
import pytest
from anyio.from_thread import start_blocking_portal
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.index.late_interaction import CODES_FILE, OFFSETS_FILE, SCALES_FILE
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.local_ray import (
    REPLICA_HEADER,
    LocalCluster,
    local_cluster,
    replicas_answering,
    serve_on_cluster,
)
from ragnotes_eval.loopback import free_port
from tests.conftest import FIXTURES, fixture_settings

if importlib.util.find_spec("ray") is None:  # found, not imported: Ray runs in other processes
    pytest.skip(
        "the Ray tests need the extra: pip install 'ragnotes[ray]'", allow_module_level=True
    )

pytestmark = pytest.mark.ray
HEADER = REPLICA_HEADER
ADMIN = "ray-test-admin-token"
REPLICA_TITLE = "ray::ServeReplica:ragnotes:Ragnotes"
QUESTION = {"question": "nightly precomputed recommendations", "k": 3}
# The question the Docker image is asked (tests/install/test_docker.py), over the bundled notes.
MISSION = {"question": "when should I prefer batch inference over online inference?", "k": 5}
QUESTIONS = [
    "nightly precomputed recommendations",
    "population stability index drift",
    "page the on-call engineer",
    "batch scoring",
]
SUMMARY = re.compile(r"(\d+) embedded, (\d+) from cache")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(cpus_per_node=1) as running:
        yield running


def _env(cluster: LocalCluster, settings: Settings) -> dict[str, str]:
    return {
        **cluster.env,
        "RAGNOTES_DATA_DIR": str(settings.data_dir),
        "RAGNOTES_NOTES_DIR": settings.notes_dir,
        "RAGNOTES_BUNDLED_NOTES": str(settings.bundled_notes).lower(),
        "RAGNOTES_READMES": "false",
        "RAGNOTES_ADMIN_TOKEN": ADMIN,
    }


def _index_on_ray(cluster: LocalCluster, settings: Settings) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-m", "ragnotes.service.cli", "index", "--ray"],
        env=_env(cluster, settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "embedding on the Ray cluster at" in done.stderr
    found = SUMMARY.search(done.stdout)
    assert found is not None, done.stdout
    return int(found[1]), int(found[2])


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ray_notes")
    shutil.copytree(FIXTURES / "notes", folder, dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def ray_built(
    cluster: LocalCluster, notes: Path, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A data directory whose build `ragnotes index --ray` made: the bundled and fixture notes."""
    settings = _with_bundled(fixture_settings(tmp_path_factory.mktemp("ray_data"), notes))
    embedded, cached = _index_on_ray(cluster, settings)
    assert embedded > 0 and cached == 0
    return settings


def _with_bundled(settings: Settings) -> Settings:
    return settings.model_copy(update={"bundled_notes": True})


def _vectors(settings: Settings) -> dict[str, bytes]:
    folder = settings.store().live_dir()
    dense = faiss.read_index(str(folder / "vectors.faiss"))
    found = {"dense": dense.reconstruct_n(0, dense.ntotal).tobytes()}
    for name in (CODES_FILE, SCALES_FILE, OFFSETS_FILE):
        found[name] = np.load(folder / name).tobytes()
    return found


def test_index_on_ray_equals_a_local_build_and_reuses_the_cache(
    cluster: LocalCluster,
    ray_built: Settings,
    notes: Path,
    embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    local = _with_bundled(fixture_settings(tmp_path_factory.mktemp("local_data"), notes))
    index_sources(local.sources(), embedder, local.store(), local.build_options())
    assert _vectors(ray_built) == _vectors(local)

    copy = _with_bundled(fixture_settings(tmp_path_factory.mktemp("ray_again"), notes))
    shutil.copytree(ray_built.data_dir / "cache", copy.data_dir / "cache")
    extra = tmp_path_factory.mktemp("more_notes")
    (extra / "extra.md").write_text("# Extra\n\nShadow traffic replays requests to a new model.\n")
    copy = copy.model_copy(update={"notes_dir": f"{notes}{os.pathsep}{extra}"})
    embedded, cached = _index_on_ray(cluster, copy)
    assert embedded == 1 and cached > 0  # only the new note's chunk reached the cluster


@pytest.fixture(scope="module")
def proxy(
    cluster: LocalCluster, ray_built: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`ragnotes serve --ray --replicas 2` on the cluster; Ray's proxy, once both replicas answer."""
    log = tmp_path_factory.mktemp("ray_serve") / "serve.log"
    with serve_on_cluster(cluster, _env(cluster, ray_built), 2, free_port(), log) as base_url:
        yield base_url


def _ask(base: str, question: str) -> httpx.Response:
    return httpx.post(f"{base}/api/ask", json={"question": question, "k": 3}, timeout=60)


def test_two_replicas_answer_200_questions_without_error(proxy: str) -> None:
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(200)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda q: _ask(proxy, q), questions))
    assert [r.status_code for r in answers] == [200] * 200
    by_replica = Counter(r.headers[HEADER] for r in answers)
    assert len(by_replica) == 2, by_replica


def test_the_proxy_gives_the_citations_a_plain_server_gives(
    proxy: str, ray_built: Settings, embedder: Embedder
) -> None:
    with TestClient(create_app(ray_built, embedder)) as plain:
        for question in (MISSION, QUESTION):
            through_ray = httpx.post(f"{proxy}/api/ask", json=question, timeout=60).json()
            direct = plain.post("/api/ask", json=question).json()
            citations = [p["citation"] for p in through_ray["passages"]]
            assert citations == [p["citation"] for p in direct["passages"]]
            assert len(citations) == question["k"]


def test_guards_hold_through_the_proxy(proxy: str) -> None:
    other_host = httpx.get(f"{proxy}/healthz", headers={"Host": "evil.example"}, timeout=30)
    assert other_host.status_code == 400 and "RAGNOTES_ALLOWED_HOSTS" in other_host.text
    assert httpx.post(f"{proxy}/api/reindex", timeout=30).status_code == 401
    too_big = httpx.post(f"{proxy}/api/ask", content=b"x" * 2_000_000, timeout=30)
    assert too_big.status_code == 413
    page = httpx.get(f"{proxy}/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def _until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def _builds_by_replica(base: str, rounds: int = 20) -> dict[str, str]:
    found: dict[str, str] = {}
    for _ in range(rounds):
        r = httpx.get(f"{base}/healthz", timeout=30)
        if r.status_code == 200:
            found[r.headers[HEADER]] = r.json()["index"]["build_id"]
    return found


def test_a_new_build_reaches_every_replica(
    proxy: str, ray_built: Settings, embedder: Embedder
) -> None:
    result, _ = index_sources(ray_built.sources(), embedder, ray_built.store())
    assert _until(
        lambda: (
            set(_builds_by_replica(proxy).values()) == {result.build_id}
            and len(_builds_by_replica(proxy)) == 2
        ),
        timeout=60,
    ), _builds_by_replica(proxy)


def test_reindex_runs_once_for_the_deployment(proxy: str, ray_built: Settings) -> None:
    auth = {"Authorization": f"Bearer {ADMIN}"}
    before = ray_built.store().current_id()
    started = httpx.post(f"{proxy}/api/reindex", headers=auth, timeout=60)
    assert started.status_code == 202, started.text
    job = started.json()["job_id"]
    refused: Counter[str] = Counter()
    for _ in range(20):
        again = httpx.post(f"{proxy}/api/reindex", headers=auth, timeout=60)
        if again.status_code != 409:
            break  # the job finished: a new one may start
        refused[again.headers[HEADER]] += 1
        if len(refused) == 2:
            break
    assert len(refused) == 2, f"409s by replica: {dict(refused)}"  # both knew of the one job
    states: dict[str, str] = {}

    def finished() -> bool:
        r = httpx.get(f"{proxy}/api/reindex/{job}", timeout=30)
        states[r.headers[HEADER]] = r.json()["state"]
        return len(states) == 2 and set(states.values()) == {"succeeded"}

    assert _until(finished, timeout=120), states  # every replica reports the same job
    assert ray_built.store().current_id() != before


def test_mcp_answers_through_the_proxy(proxy: str) -> None:
    """The official client, with the admin token, on /mcp: stateless, so any replica answers."""

    async def session() -> list[str]:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{proxy}/mcp", http_client=http)) as client,
        ):
            paths = []
            for _ in range(6):
                found = await client.call_tool("search", {"query": QUESTION["question"], "k": 3})
                assert not found.is_error
                paths.append(found.structured_content["passages"][0]["citation"]["path"])
            return paths

    top = httpx.post(f"{proxy}/api/ask", json=QUESTION, timeout=60).json()["passages"][0]
    with start_blocking_portal() as portal:
        assert portal.call(session) == [top["citation"]["path"]] * 6


def test_a_killed_replica_is_replaced_while_the_other_answers(
    proxy: str, cluster: LocalCluster
) -> None:
    # A replica's title names the method it runs at the moment ("...Ragnotes.check_health").
    replicas = cluster.processes_titled(REPLICA_TITLE)
    assert len(replicas) == 2, replicas
    on_node = [set(cluster.descendants(node)) for node in (0, 1)]
    assert all(len(set(replicas) & pids) == 1 for pids in on_node)  # one replica on each node
    before = replicas_answering(proxy, 2, timeout=60)
    os.kill(replicas[0], signal.SIGKILL)
    answered: Counter[str] = Counter()
    failed = 0
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (set(answered) - before):
        r = _ask(proxy, QUESTIONS[0])
        if r.status_code == 200:
            answered[r.headers[HEADER]] += 1
        else:
            failed += 1
    survivors = set(answered) & before
    seen = f"answered {dict(answered)}, {failed} failed; replicas before: {before}"
    assert len(survivors) == 1, seen  # the other replica kept answering
    assert set(answered) - before, seen  # and Ray started a new one in the dead one's place
    assert failed <= 5, seen  # at most the requests sent to it before its death was known
