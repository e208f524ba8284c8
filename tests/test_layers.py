"""The house: `model/` is one subpackage per layer and a layer imports only the layers below it
(model/__init__.py draws the order); `proofs/` sits between report and cli; no module imports
itself back through others (no import cycle); no module of model/ or proofs/ passes 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "proofs", "jukinet")  # the folders; installed as jukinet, jukinet.model, jukinet.proofs
# lowest first; a module may import its own layer and any below it
ORDER = (
    ("jukinet.model.core", "jukinet.model.data"),
    ("jukinet.model.law",),
    ("jukinet.model.world",),
    ("jukinet.model.config",),
    ("jukinet.model.queueing",),
    ("jukinet.model.sim",),
    ("jukinet.model.audit",),
    ("jukinet.model.live",),
    ("jukinet.model.report",),
    ("jukinet.proofs",),
    ("jukinet.model.workbench",),
    ("jukinet.model.cli",),
    ("jukinet",),
)
RANK = {layer: i for i, group in enumerate(ORDER) for layer in group}


def module_name(path: Path) -> str:
    """The name a file is imported by: model/ and proofs/ are jukinet.model and jukinet.proofs (issue 28)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    parts = parts if parts[0] == "jukinet" else ("jukinet", *parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module, once (jukinet/model and jukinet/proofs are links to model/ and proofs/)."""
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    return {module_name(p): p for p in files if not any(q.is_symlink() for q in p.relative_to(ROOT).parents if q != Path("."))}


def imports(path: Path) -> set[str]:
    """Every module of ours this file imports, at the top or inside a function."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            out.update(n for n in names if n.split(".")[0] in TOP)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] in TOP)
    return out


TOP = ("jukinet", "model", "proofs", "scenarios")  # what our imports start with; only the first is right


def layer(module: str) -> str | None:
    """The layer a module belongs to: the longest entry of ORDER it falls under (None: `model` itself)."""
    if module == "jukinet.model":
        return None
    hits = [name for name in RANK if module == name or module.startswith(name + ".")]
    return max(hits, key=len) if hits else None


def edges() -> list[tuple[str, str]]:
    mods = modules()
    out = []
    for name, path in mods.items():
        for target in imports(path):
            while target not in mods and "." in target:  # `from model.law.policy import decide` -> model.law.policy
                target = target.rsplit(".", 1)[0]
            if target in mods and target != name:
                out.append((name, target))
    return out


def test_every_module_is_in_a_layer() -> None:
    outside = [m for m in modules() if layer(m) is None and m != "jukinet.model"]
    assert not outside, f"modules outside every layer of tests/test_layers.py ORDER: {outside}"


def test_layers_import_downward_only() -> None:
    upward = []
    for a, b in edges():
        la, lb = layer(a), layer(b)
        if la is not None and lb is not None and RANK[lb] > RANK[la]:
            upward.append(f"{a} ({la}) imports {b} ({lb})")
    assert not upward, "a layer imports a layer above it:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    graph = nx.DiGraph(edges())
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles}"


def test_no_module_over_400_lines() -> None:
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"


def test_everything_is_imported_under_jukinet() -> None:
    """Issue 28: the wheel installs jukinet only; a file importing `model`, `proofs` or `scenarios` at the top level
    works in the repository (its root is on the path) and fails once installed.  Tests, bench and tools too."""
    files = [p for pkg in (*PACKAGES, "tests", "bench", "tools") for p in (ROOT / pkg).rglob("*.py")]
    top = {f"{p.relative_to(ROOT)}: {n}" for p in files for n in imports(p) if n.split(".")[0] != "jukinet"}
    assert not top, sorted(top)


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The checks above can fail: an upward import and a cycle, written to a file, are found."""
    f = tmp_path / "m.py"
    f.write_text("from jukinet.model.cli.main import main\ndef g():\n    from jukinet.model.report.run import execute\n")
    assert imports(f) == {
        "jukinet.model.cli.main",
        "jukinet.model.cli.main.main",
        "jukinet.model.report.run",
        "jukinet.model.report.run.execute",
    }
    assert RANK[layer("jukinet.model.cli.main") or ""] > RANK[layer("jukinet.model.law.flow") or ""]
    assert list(nx.simple_cycles(nx.DiGraph([("a", "b"), ("b", "a")])))
