"""The API fuzzed from its own OpenAPI schema: no 5xx, and every response is one the schema documents.

Schemathesis reads /openapi.json from a real server (uvicorn on loopback, over a fresh build of
the fixture notes) and sends generated requests, valid and invalid, to every operation. Its
pytest plugin does not run under pytest 9, so each operation's strategy is driven by Hypothesis
directly; a separate test keeps the list of fuzzed operations equal to the schema's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes_eval.loopback import served
from tests.conftest import fixture_settings

TOKEN = "fuzz-token"
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# Invalid requests can only be made where a parameter has a type to break.
OPERATIONS = [
    ("POST", "/api/ask", NEGATIVE),
    ("GET", "/api/search", NEGATIVE),
    ("POST", "/api/answer", NEGATIVE),
    ("GET", "/api/answer", NEGATIVE),
    ("GET", "/api/index", None),
    ("POST", "/api/reindex", None),
    ("GET", "/api/reindex/{job_id}", None),
    ("GET", "/healthz", None),
]
CASES = [(m, p, POSITIVE) for m, p, _ in OPERATIONS] + [(m, p, n) for m, p, n in OPERATIONS if n]
# What the schema promises. Not "schema-valid data is accepted": an unknown `source` name fits the
# schema's string yet is a 400 that lists the real ones, which is the answer a client needs.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, fixture_notes: Path, embedder: Embedder
) -> Iterator[str]:
    """A server with the admin token set, over its own build (fuzzed re-indexes publish there)."""
    built = fixture_settings(tmp_path_factory.mktemp("fuzz-data"), fixture_notes)
    built = built.model_copy(update={"admin_token": TOKEN})
    index_sources(built.sources(), embedder, built.store())
    with served(create_app(built, embedder)) as base:
        yield base


@pytest.fixture(scope="module")
def api_schema(fuzz_server: str) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json")


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str] | None = None) -> None:
    """Send up to 25 generated requests (the same ones every run) and validate each response."""
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        statuses.append(case.call_and_validate(checks=CHECKS, timeout=60).status_code)

    run()
    assert statuses, "no request was sent"
    print(
        f"{operation.label} {mode.value}: {len(statuses)} requests, statuses {sorted(set(statuses))}"
    )


def test_the_fuzzed_operations_are_the_schemas(api_schema: Any) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == {(method, path) for method, path, _ in OPERATIONS}


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES]
)
def test_operation_conforms(api_schema: Any, method: str, path: str, mode: GenerationMode) -> None:
    _fuzz(api_schema[path][method], mode)


def test_reindex_with_the_admin_token_conforms(api_schema: Any) -> None:
    _fuzz(
        api_schema["/api/reindex"]["POST"],
        GenerationMode.POSITIVE,
        {"authorization": f"Bearer {TOKEN}"},
    )


@given(q=st.text(max_size=300), source=st.text(max_size=60), path=st.text(max_size=60))
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
def test_the_pages_never_fail_on_odd_input(
    fuzz_server: str, q: str, source: str, path: str
) -> None:
    """The search page and note viewer are outside the schema; odd input is a 4xx at worst."""
    page = httpx.get(f"{fuzz_server}/", params={"q": q, "source": source}, timeout=60)
    assert page.status_code in (200, 400, 422), page.text[:300]
    note = httpx.get(f"{fuzz_server}/notes/{quote(path)}", timeout=60)
    assert note.status_code in (200, 404), note.text[:300]
