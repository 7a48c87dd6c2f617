"""The shape of the code, read from its imports (``ast``), so it stays the shape
``docs/architecture.md`` describes: no cycle between packages, no private name imported from
another module, and no import against the layering of ``../shared/design.md``.

Run ``python -m tests.unit.test_structure`` to print the package graph."""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("matching", "workers", "seeds")

# Layering, as design.md puts it. A package of matching is its second name part
# (matching.offers.service -> "offers"); top-level modules (app, cli, settings) count alone.
FEATURES = (
    "network",
    "profiles",
    "openings",
    "matches",
    "offers",
    "placements",
    "training",
    "reports",
    "privacy",
)
# "privacy → profiles/openings → matches → offers → placements → reports": each may import
# those after it (a match run makes offers, confirming an offer starts a placement), never one
# before it; privacy, which reads her from every feature and erases her from each, comes first.
CHAIN = (
    ("privacy",),
    ("profiles", "openings"),
    ("matches",),
    ("offers",),
    ("placements",),
    ("reports",),
)
ORDER = " → ".join("/".join(level) for level in CHAIN)
BASE = {"lib", "db", "settings"}
# What each lower layer may import of matching (besides itself).
MAY_IMPORT = {
    "engine": set(),
    "settings": set(),
    "lib": {"settings"},
    "db": {"lib", "settings"},
    "api": BASE,
    "notices": BASE | {"api"},
    "network": BASE | {"api", "notices"},
    "training": BASE | {"api", "notices", "network"},
}
EDGES = {"app", "cli", "web"}  # the composition root and the pages: may import any service


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module
    names: tuple[str, ...]
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path) -> list[Import]:
    found: list[Import] = []
    for top in TOP:
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            mod = module_name(path, root)
            package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = package.split(".")[: len(package.split(".")) - node.level + 1]
                        target = ".".join([*base, *([node.module] if node.module else [])])
                    else:
                        target = node.module or ""
                    names = tuple(a.name for a in node.names)
                    found.append(Import(mod, target, names, node.lineno))
                elif isinstance(node, ast.Import):
                    for a in node.names:
                        found.append(Import(mod, a.name, (), node.lineno))
    return [i for i in found if i.target.split(".")[0] in TOP]


def package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "matching":
        return parts[0]  # workers, seeds
    return parts[1] if len(parts) > 1 else "matching"


def package_graph(found: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for i in found:
        a, b = package_of(i.module), package_of(i.target)
        if a != b and b != "matching":
            graph[a].add(b)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = itertools.count()

    def visit(v: str) -> None:
        index[v] = low[v] = next(counter)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return groups


def private_imports(found: list[Import]) -> list[str]:
    """``from a.b import _x`` where a.b is another module (dunder names are public)."""
    out = []
    for i in found:
        for name in i.names:
            if name.startswith("_") and not name.startswith("__") and i.target != i.module:
                out.append(f"{i.module}:{i.line} imports {i.target}.{name}")
        if any(part.startswith("_") and not part.startswith("__") for part in i.target.split(".")):
            # a private module may be imported only from its own package (its public face)
            owner = i.target.rpartition(".")[0]
            if not i.module.startswith(owner):
                out.append(f"{i.module}:{i.line} imports the private module {i.target}")
    return out


def _rank(pkg: str) -> int | None:
    for n, level in enumerate(CHAIN):
        if pkg in level:
            return n
    return None


def upward_imports(found: list[Import]) -> list[str]:
    """Imports against design.md's layering."""
    out = []
    for i in found:
        a, b = package_of(i.module), package_of(i.target)
        where = f"{i.module}:{i.line} imports {i.target}"
        if a == b or b == "matching":
            continue
        if i.module.startswith("matching") and b == "seeds" and i.module != "matching.cli":
            out.append(f"{where}: only the composition root (matching.cli) may call seeds")
        elif i.module.startswith("matching") and b == "workers" and i.module != "matching.cli":
            out.append(f"{where}: only matching.cli starts the scheduler")
        elif b in EDGES and a not in EDGES:
            out.append(f"{where}: nothing imports the edge ({b})")
        elif a in MAY_IMPORT and b not in MAY_IMPORT[a]:
            out.append(f"{where}: {a} may import only {sorted(MAY_IMPORT[a]) or 'itself'}")
        elif a in FEATURES and b in FEATURES:
            ra, rb = _rank(a), _rank(b)
            if rb is None and b != "network":
                out.append(f"{where}: {b} is not below {a} in design.md")
            elif ra is not None and rb is not None and rb < ra:
                out.append(
                    f"{where}: {a} comes after {b} (design.md: {' → '.join(map('/'.join, CHAIN))})"
                )
            elif ra is None and b != "network":
                out.append(f"{where}: {a} may import only network of the features")
        elif a in ("workers", "seeds") and b in ("web", "app"):
            out.append(f"{where}: jobs and seeds call services, not the edge")
    return out


def problems(root: Path) -> list[str]:
    found = imports(root)
    out = [f"package cycle: {' ↔ '.join(c)}" for c in cycles(package_graph(found))]
    return out + private_imports(found) + upward_imports(found)


# --- the tests ----------------------------------------------------------------------------


def test_the_code_has_the_shape_design_md_describes() -> None:
    assert problems(ROOT) == []


def test_the_engine_imports_only_numpy_ortools_and_itself() -> None:
    allowed = {"numpy", "ortools", "__future__"}
    stdlib_ok = {"dataclasses", "collections", "typing", "math", "time", "itertools", "functools"}
    bad = []
    for path in sorted((ROOT / "matching" / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name.startswith("matching.engine") or top in allowed | stdlib_ok:
                    continue
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert bad == []


def _tree(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in TOP:
        (tmp / top).mkdir(exist_ok=True)
    return tmp


def test_the_checker_finds_a_planted_cycle_a_private_import_and_an_upward_import(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "matching/__init__.py": "",
            "matching/offers/__init__.py": "",
            "matching/offers/service.py": "from matching.placements.service import start\n",
            "matching/placements/__init__.py": "",
            "matching/placements/service.py": (
                "from matching.offers.service import _who\nfrom matching.web import console\n"
            ),
            "matching/notices/__init__.py": "from matching.offers import service\n",
            "matching/engine/__init__.py": "from matching.db import models\n",
            "matching/profiles/service.py": "from seeds.reference import reference\n",
        },
    )
    found = problems(root)
    assert "package cycle: offers ↔ placements" in found
    assert any("imports matching.offers.service._who" in p for p in found)
    assert any("nothing imports the edge (web)" in p for p in found)
    assert any(p.startswith("matching.notices:1") for p in found)
    assert any(p.startswith("matching.engine:1") for p in found)
    assert any("only the composition root" in p for p in found)
    assert any("placements comes after offers" in p for p in found)


if __name__ == "__main__":
    for pkg, targets in sorted(package_graph(imports(ROOT)).items()):
        print(f"{pkg:12} → {', '.join(sorted(targets))}")
    for p in problems(ROOT):
        print("PROBLEM", p)
