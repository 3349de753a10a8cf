"""The folder tree is the architecture: these tests hold the code to it (see ARCHITECTURE.md).

Imports are read from the source (as the interpreter would run them: imports inside
functions count, imports under `if TYPE_CHECKING:` do not), so a violation fails here, in
one line naming the modules, before it becomes a tangle.
"""

from __future__ import annotations

import ast
import gc
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chas_sheets"
TESTS = Path(__file__).resolve().parent

# Modules that do I/O or talk to people; every other module of the package is a planner
# (pure: tables in, change sets and reports out), so a new module is held to the strict rule.
IO_MODULES = ("chas_sheets.backends", "chas_sheets.cli", "chas_sheets.emulator", "chas_sheets.runner",
              "chas_sheets.harvest.run", "chas_sheets.nightly.run", "chas_sheets.nightly.state",
              "chas_sheets.nightly.sharing", "chas_sheets.nightly.dedupe_across", "chas_sheets.sharing",
              "chas_sheets.undo", "chas_sheets.demo", "chas_sheets.cohort.run",
              "chas_sheets.selftest", "chas_sheets.watch.service", "chas_sheets.i18n.catalogs")
# What a planner must never reach, directly or through another module.
NOT_FOR_PLANNERS = ("chas_sheets.backends", "chas_sheets.cli", "chas_sheets.emulator", "click", "gspread",
                    "google", "googleapiclient", "requests", "openpyxl", "filelock")
TEST_MACHINERY = tuple(p.stem for p in TESTS.glob("*.py")) + ("tests", "pytest", "hypothesis")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import module` imports the module; `from pkg import name`, the package
            found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@lru_cache(maxsize=None)
def graph() -> dict[str, set[str]]:
    """Each module of the package -> the modules and outside packages it imports at run time."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in paths.items():
        imported = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
        inside = {m for m in imported if m in paths and m != name}
        # A package counts only for the names it defines itself: `from pkg import sub` where sub
        # is a module depends on pkg.sub (the interpreter runs pkg/__init__ first, as for any
        # submodule), not on everything pkg/__init__ re-exports.
        inside -= {m for m in inside if any(f"{m}." in s for s in inside) and not _defines_names(m, imported)}
        edges[name] = inside | {m.split(".")[0] for m in imported if not m.startswith("chas_sheets")}
    return edges


def _defines_names(package: str, imported: set[str]) -> bool:
    """Whether some `from package import X` takes a name that is not a module of the package."""
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    return any(m.startswith(package + ".") and m.count(".") == package.count(".") + 1 and m not in modules
               for m in imported)


def _is(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _reach(start: str) -> dict[str, str]:
    """Everything `start` imports, directly or not: module -> the module that imports it."""
    edges, seen, todo = graph(), {}, [start]
    while todo:
        current = todo.pop()
        for nxt in edges.get(current, ()):
            if nxt not in seen and nxt != start:
                seen[nxt] = current
                todo.append(nxt)
    return seen


def _path(start: str, goal: str, reached: dict[str, str]) -> str:
    chain = [goal]
    while chain[-1] in reached and reached[chain[-1]] != start:
        chain.append(reached[chain[-1]])
    return " -> ".join([start, *reversed(chain)])


def test_the_package_has_no_import_cycles():
    edges = {m: {n for n in e if n.startswith("chas_sheets")} for m, e in graph().items()}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            strongconnect(module)
    assert cycles == []


def test_planners_reach_no_backend_click_or_emulator():
    planners = [m for m in graph() if not _is(m, IO_MODULES) and m != "chas_sheets"]
    assert len(planners) > 20  # the rule holds for something
    broken = []
    for planner in planners:
        reached = _reach(planner)
        broken += [_path(planner, bad, reached) for bad in reached if _is(bad, NOT_FOR_PLANNERS)]
    assert broken == []


def test_production_code_imports_no_test_machinery_and_not_the_emulator():
    broken = []
    for module, imported in graph().items():
        if _is(module, ("chas_sheets.emulator",)):
            continue
        for name in imported:
            if name.split(".")[0] in (*TEST_MACHINERY, "googleapiclient"):  # the emulator's extra
                broken.append(f"{module} -> {name}")
            # Only the command that serves the emulator may load it.
            if _is(name, ("chas_sheets.emulator",)) and module != "chas_sheets.cli.emulator_cmd":
                broken.append(f"{module} -> {name}")
    assert broken == []


def test_the_emulator_imports_no_job_and_no_test_machinery():
    """The emulator stands in for Google: it knows the client's wire contract, nothing of the jobs."""
    # google_http: the wire contract (the emulator's account); errors: its answers are the
    # project's errors, so the `emulator` command reports them in one line.
    allowed = ("chas_sheets.emulator", "chas_sheets.backends.google_http", "chas_sheets.errors")
    broken = [f"{m} -> {n}" for m, imported in graph().items() if _is(m, ("chas_sheets.emulator",))
              for n in imported if n.startswith("chas_sheets") and not _is(n, allowed)
              or n.split(".")[0] in TEST_MACHINERY]
    assert broken == []


def test_the_walk_sees_a_planted_violation(tmp_path, monkeypatch):
    """The rules above can fail: a planner importing a backend is caught, with its path."""
    graph.cache_clear()
    planted = graph()
    planted["chas_sheets.text"] = planted["chas_sheets.text"] | {"chas_sheets.backends.local"}
    monkeypatch.setattr(sys.modules[__name__], "graph", lambda: planted)
    reached = _reach("chas_sheets.text")
    assert "chas_sheets.backends.local" in reached
    assert _path("chas_sheets.text", "chas_sheets.backends.local", reached) == \
        "chas_sheets.text -> chas_sheets.backends.local"
    with pytest.raises(AssertionError):
        test_planners_reach_no_backend_click_or_emulator()


def test_every_package_folder_is_installed():
    """setup.cfg lists packages by hand: a new job's folder missing there would not ship."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    listed = set(config["options"]["packages"].split())
    folders = {_module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert folders <= listed


def test_a_library_call_leaves_the_garbage_collector_as_it_was():
    from chas_sheets.company.matching import CompanyRef, cluster_companies

    before = (gc.isenabled(), gc.get_threshold())
    cluster_companies([CompanyRef(i, name) for i, name in enumerate(["Acme AB", "ACME Aktiebolag", "Beta HB"])])
    assert (gc.isenabled(), gc.get_threshold()) == before


def test_column_letters_match_openpyxls():  # the planner's own, so it needs no I/O library
    from openpyxl.utils import get_column_letter

    from chas_sheets.sheet.writeplan import column_letter

    assert [column_letter(n) for n in range(1, 18279)] == [get_column_letter(n) for n in range(1, 18279)]  # to XFD


def test_architecture_md_matches_the_tree():
    """Every package is drawn in ARCHITECTURE.md, and every module it names exists."""
    import re

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - {"templates"}
    drawn = set(re.findall(r"^\s*(\w+)/\s", text, re.M))
    assert packages - drawn == set()
    named = set(re.findall(r"`(\w+/\w+\.(?:py|toml))`", text))
    assert named, "the rule table names modules"
    missing = {n for n in named if not (PACKAGE / n).exists() and not (ROOT / n).exists()}
    assert missing == set()
    for package, modules in re.findall(r"^\s*(\w+)/\s+(.*)$", text, re.M):
        for module in re.findall(r"(\w+)\.py", modules):
            assert (PACKAGE / package / f"{module}.py").exists(), f"{package}/{module}.py"
