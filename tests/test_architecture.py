"""The package's shape: layers that import only from below, no import cycle, no module past
about 450 lines (docs/architecture.md draws the layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "runreport"
ASSETS = REPO / "templates" / "assets"
MAX_LINES = 450

#: Every module's layer, bottom (0) to top: a module imports only from its own layer or below.
#: A module missing here fails the test, so a new module is placed on purpose.
LAYERS: dict[str, int] = {
    # 0: the foundation: no runreport imports but each other
    "runreport": 0,  # __version__, and the public names, imported lazily
    "runreport.errors": 0,
    "runreport.names": 0,
    "runreport.files": 0,  # the file-system layer: reading log files, the cache folder
    "runreport.orphans": 0,
    "runreport.prebuilt": 0,  # what the package ships ready-made (Vega bundle, chart shapes)
    "runreport.memo": 0,  # values made from one object, kept between a process's builds
    # 1: the model (frozen dataclasses), and following a run's logs while it is written
    "runreport.model": 1,
    "runreport.follow": 2,
    # 3: one reader per format, and the registry
    "runreport.readers": 3,
    # 4: the rules (what a logged value is shown as) and exact statistics
    "runreport.rules": 4,
    "runreport.stats": 4,
    # 5: views (what pages show of a run, computed once) and the data files' encoding
    "runreport.views": 5,
    "runreport.encoding": 5,
    # 6: Vega-Lite specs (the only modules that import altair)
    "runreport.chartshapes": 6,
    "runreport.charts": 6,
    # 7: what is made from views and charts: exports, the parse cache, the templates, the
    #    pages' contexts, the site writer
    "runreport.export": 7,
    "runreport.cache": 7,
    "runreport.templating": 7,
    "runreport.contexts": 7,
    "runreport.site": 7,
    "runreport.sitelock": 7,  # the lock on the site folder being written
    # 8: the per-run output: what a worker makes for one unit; the regression gate's checks
    "runreport.runfiles": 8,
    "runreport.gate": 8,
    "runreport.importance": 8,  # params' permutation importance (scikit-learn, optional)
    # 9: the stages that make the site from it
    "runreport.pages": 9,
    "runreport.pool": 9,
    "runreport.workers": 9,
    "runreport.assets": 9,
    "runreport.summary": 9,
    "runreport.published": 9,  # a published site's index, the gate's baseline
    "runreport.remote": 9,  # log folders in object storage, mirrored (fsspec)
    "runreport.distributed": 9,  # reading runs as Dask tasks (optional)
    "runreport.publish": 10,  # the built site uploaded to a bucket
    "runreport.config": 9,
    # 10: the build, running the stages
    "runreport.build": 10,
    # 11: what users call: the command line, serve, notebooks, load/best_run, logging runs
    "runreport.cli": 11,
    "runreport.cliopts": 11,  # reading the command's options, writing what it prints
    "runreport.serve": 11,
    "runreport.notebook": 11,
    "runreport.api": 11,
    "runreport.tracking": 11,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    """A module's layer: its own entry, else its package's (``runreport.readers.mlflow``)."""
    name = module
    while name not in LAYERS:
        if "." not in name:
            raise KeyError(module)
        name = name.rsplit(".", 1)[0]
    return LAYERS[name]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imports_of(path: Path, modules: set[str], name: str | None = None) -> set[str]:
    """The package's modules that the module ``name`` (by default, the one at ``path``)
    imports: at module level and inside functions alike, except under ``if TYPE_CHECKING:``."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "runreport")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "runreport":
                continue
            for alias in node.names:  # `from . import cache` imports a module
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(paths)) for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_init_imports_nothing_eagerly() -> None:
    """``runreport/__init__.py`` exports its names lazily, so it is no edge of the graph."""
    modules = set(_graph())
    assert imports_of(PACKAGE / "__init__.py", modules) == set()


def test_no_import_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_imports_of_sees_function_level_imports_and_skips_type_checking(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from .model import Run\n"
        "if TYPE_CHECKING:\n    from .views import RunView\n"
        "def f():\n    from .build import build_site\n    from . import cache\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    modules = {"runreport.model", "runreport.views", "runreport.build", "runreport.cache"}
    found = imports_of(path, modules, name="runreport.probe")
    assert found == {"runreport.model", "runreport.build", "runreport.cache"}


def test_every_module_imports_only_from_its_layer_or_below() -> None:
    graph = _graph()
    unplaced = sorted(m for m in graph if _try_layer(m) is None)
    assert not unplaced, f"give these modules a layer in LAYERS: {unplaced}"
    upward = [
        f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
        for m, deps in sorted(graph.items())
        for d in sorted(deps)
        if _layer(d) > _layer(m)
    ]
    assert not upward, "\n".join(upward)


def _try_layer(module: str) -> int | None:
    try:
        return _layer(module)
    except KeyError:
        return None


def test_the_model_imports_nothing_but_the_foundation() -> None:
    assert {_layer(m) for m in _graph()["runreport.model"]} <= {0}


@pytest.mark.parametrize(
    "path",
    sorted([*PACKAGE.rglob("*.py"), *ASSETS.glob("*.js")]),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_no_module_grows_past_450_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)}: {lines} lines; split it"
