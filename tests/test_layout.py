"""The repository keeps its shape: the product never imports the tooling, transports never
import each other (ARCHITECTURE.md, "service/: transports and what they share"), and tests sit
where their names say (ARCHITECTURE.md, "Product and tooling").

Read from the sources with `ast`, so a lazy import inside a function counts as much as one at the
top of a module, and nothing is imported to find out.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Folder -> the import name pyproject.toml maps it to.
PRODUCT = {
    "corpus": "ragnotes.corpus",
    "index": "ragnotes.index",
    "answers": "ragnotes.answers",
    "service": "ragnotes.service",
}
TOOLING = "eval"
TOOLING_NAME = "ragnotes_eval"
# What a unit test never needs: an app, a server or an index build (integration tests use them).
NOT_IN_UNIT_TESTS = (
    "ragnotes.service.app",
    "ragnotes.index.build",
    "ragnotes_eval.loopback",
    "fastapi.testclient",
)
# Integration tests named after a flow that crosses several modules rather than after one module.
FLOWS = {
    "api_fuzz": "every API operation fuzzed from the OpenAPI schema",
    "damaged_build": "a damaged live build: 503s naming it, the loaded copy kept, recovery",
    "eval_gate": "ragnotes eval on the full index holds the baseline",
    "flowmap": "ARCHITECTURE.md's lists of the modules each flow runs, checked by running them",
    "format_upgrade": "an index an older ragnotes wrote is refused, then rebuilt",
    "no_telemetry": "no ragnotes process reports usage: ONNX Runtime's and Ray's reporting off",
    "ray": "a two-node Ray cluster: index --ray, serve --ray replicas, re-index, a replica killed",
    "serve": "`ragnotes serve` as a process, over real HTTP",
    "vault": "an Obsidian vault indexed by the CLI while the server runs, over HTTP and MCP",
}


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).glob("*.py") if p.name != "__init__.py")


def _imported(tree: ast.AST) -> set[str]:
    """Every module an `import` or `from ... import` names, at any depth, plus the names handed
    to importlib.import_module or __import__ as literals."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and node.args:
                first = node.args[0]
                names.add(str(first.value) if isinstance(first, ast.Constant) else "<computed>")
    return names


# service/: each module belongs to one transport, or to what they share (ARCHITECTURE.md).
TRANSPORTS = {
    "http": {"app", "admin", "answer_api", "http_errors", "cpu_work"},
    "page": {"web", "answer_view", "note_page", "notes_view", "render", "mark_best", "login"},
    "mcp": {"mcp_server", "mcp_tools"},
    "cli": {"cli", "index_cli", "serve_cli", "ask_cli", "notes_cli"},
}
SHARED = {
    "settings", "schemas", "live", "index_status", "note_files", "limits", "guards", "security",
    "bind", "reindex", "build_worker", "watch", "workers", "ray_cluster", "ray_jobs", "ray_serve",
    "handoff",
}  # fmt: skip
# The composition roots, the only imports across: the app is built from each transport's
# installer, and `ragnotes serve` / `mcp` (and the ways of running the app in several processes
# or on Ray) start what the other transports built. Only these names cross.
COMPOSITION = {
    ("app", "web"): {"install_page"},
    ("app", "login"): {"install_read_token"},
    ("app", "mcp_server"): {"mount_mcp"},
    ("serve_cli", "app"): {"create_app"},
    ("serve_cli", "mcp_server"): {"run_stdio"},
    ("workers", "app"): {"create_app"},
    ("ray_serve", "app"): {"create_app"},
}
SERVICE = PRODUCT["service"] + "."


def _service_imports(tree: ast.AST) -> dict[str, set[str]]:
    """Each service/ module a module imports, with the names it takes ("*": the whole module)."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(SERVICE):
                    found.setdefault(alias.name.removeprefix(SERVICE), set()).add("*")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == SERVICE[:-1]:  # from ragnotes.service import web
                for alias in node.names:
                    found.setdefault(alias.name, set()).add("*")
            elif node.module.startswith(SERVICE):
                names = found.setdefault(node.module.removeprefix(SERVICE), set())
                names.update(alias.name for alias in node.names)
    return found


def _group(module: str) -> str:
    return next((g for g, members in TRANSPORTS.items() if module in members), "shared")


def test_every_service_module_belongs_to_a_transport_or_is_shared() -> None:
    """A new module of service/ says where it belongs: in TRANSPORTS or SHARED above, and in
    ARCHITECTURE.md's lists."""
    modules = {p.stem for p in _modules("service")}
    placed = [m for members in TRANSPORTS.values() for m in members] + sorted(SHARED)
    assert sorted(placed) == sorted(set(placed)), "a module is placed twice"
    assert sorted(modules - set(placed)) == [], "place each in TRANSPORTS or SHARED"
    assert sorted(set(placed) - modules) == [], "no longer in service/: take it out"


def test_transports_do_not_import_each_other() -> None:
    """A transport imports its own group's modules and the shared ones; what is shared imports
    no transport. Only the composition roots' few names cross (COMPOSITION)."""
    crossings = []
    for path in _modules("service"):
        importer = path.stem
        imported = _service_imports(ast.parse(path.read_text(encoding="utf-8")))
        for module, names in imported.items():
            if _group(module) in ("shared", _group(importer)):
                continue
            if not names <= COMPOSITION.get((importer, module), set()):
                crossings.append(f"{importer} -> {module}: {', '.join(sorted(names))}")
    assert crossings == [], "move what both need into a shared module (ARCHITECTURE.md)"


MODULE_NAMES = {p.stem for package in (*PRODUCT, TOOLING) for p in _modules(package)}


def test_no_product_module_imports_eval() -> None:
    offenders = {}
    for path in (p for package in PRODUCT for p in _modules(package)):
        imported = _imported(ast.parse(path.read_text(encoding="utf-8")))
        bad = sorted(n for n in imported if n.split(".")[0] == TOOLING_NAME or n == "<computed>")
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}, "eval/ is tooling: the product may not import it"


# What the answer domain may import of ragnotes: the layers below it and the root's errors.
ANSWERS_MAY_IMPORT = ("ragnotes.answers", "ragnotes.index", "ragnotes.corpus", "ragnotes.errors")


def _ragnotes_imports(path: Path) -> set[str]:
    imported = _imported(ast.parse(path.read_text(encoding="utf-8")))
    return {n for n in imported if n.split(".")[0] in ("ragnotes", TOOLING_NAME)}


def test_the_answer_domain_imports_only_the_layers_below_it() -> None:
    """answers/ never reaches up into the transports (ragnotes.service) or into the tooling."""
    offenders = {}
    for path in _modules("answers"):
        bad = sorted(
            n
            for n in _ragnotes_imports(path)
            if not any(
                n == allowed or n.startswith(allowed + ".") for allowed in ANSWERS_MAY_IMPORT
            )
        )
        if bad:
            offenders[path.name] = bad
    assert offenders == {}, f"answers/ imports only {ANSWERS_MAY_IMPORT}"


# The layers under the answer domain, and what each may import of ragnotes (ARCHITECTURE.md,
# "Product and tooling"): the root package holds only the shared errors and imports none of them.
LOWER_LAYERS = {
    "ragnotes": ("ragnotes.errors",),
    "corpus": ("ragnotes.corpus", "ragnotes.errors"),
    "index": ("ragnotes.index", "ragnotes.corpus", "ragnotes.errors"),
}


def test_the_lower_layers_import_only_the_ones_below_them() -> None:
    offenders = {}
    for folder, may_import in LOWER_LAYERS.items():
        for path in _modules(folder):
            bad = sorted(
                n
                for n in _ragnotes_imports(path)
                if not any(n == a or n.startswith(a + ".") for a in may_import)
            )
            if bad:
                offenders[f"{folder}/{path.name}"] = bad
    assert offenders == {}, "corpus/ imports nothing above it, index/ only corpus/"


def _defined(path: Path) -> set[str]:
    """The names a module defines at its top level (classes, functions, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_the_tooling_takes_the_answer_domain_from_ragnotes_answers() -> None:
    """eval/ imports no name the answer domain defines from ragnotes.service (the transports)."""
    domain = set().union(*(_defined(p) for p in _modules("answers")))
    offenders = {}
    for path in _modules(TOOLING):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "ragnotes.service"
            ):
                taken = sorted({a.name for a in node.names} & domain)
                if taken:
                    offenders[f"{path.name}: {node.module}"] = taken
    assert offenders == {}, "eval/ takes the answer domain from ragnotes.answers"


def test_the_tools_are_reached_by_entry_point_only() -> None:
    """`ragnotes eval|bench|load` name eval/ in pyproject's entry points, which the CLI looks up
    by name at run time; the console script itself is the product's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    tools = project["entry-points"]["ragnotes.tools"]
    assert tools and all(target.startswith(f"{TOOLING_NAME}.") for target in tools.values())
    scripts = project["scripts"].values()
    assert all(t.split(":")[0].rsplit(".", 1)[0] in PRODUCT.values() for t in scripts)


def _test_names(folder: str) -> list[str]:
    files = sorted((ROOT / "tests" / folder).glob("test_*.py"))
    return [p.stem.removeprefix("test_") for p in files]


def test_unit_tests_are_named_after_the_module_they_test() -> None:
    misnamed, unimported, too_big = [], [], []
    for name in _test_names("unit"):
        path = ROOT / "tests" / "unit" / f"test_{name}.py"
        imported = _imported(ast.parse(path.read_text(encoding="utf-8")))
        if name not in MODULE_NAMES:
            misnamed.append(path.name)
        elif not any(n.split(".")[-1] == name for n in imported):
            unimported.append(path.name)
        if imported & set(NOT_IN_UNIT_TESTS):
            too_big.append(path.name)
    assert misnamed == [], "each tests/unit/test_<x>.py tests the module <x>.py"
    assert unimported == [], "a unit test file imports the module it is named after"
    assert too_big == [], f"unit tests import none of {NOT_IN_UNIT_TESTS}: tests/integration does"


def test_integration_tests_are_named_after_a_module_or_a_flow() -> None:
    names = _test_names("integration")
    assert [n for n in names if n not in MODULE_NAMES and n not in FLOWS] == []
    assert sorted(set(FLOWS) - set(names)) == []  # no exemption outlives its file
