"""Imports run one way, like floors of a house (see README, Layout): a module imports only
from its own floor or the floors below it, and storage imports nothing of ours."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module belongs to the first floor with a prefix of its dotted name.
FLOORS = [
    ("model", ("newscrawl.items", "newscrawl.urls", "newscrawl.profile", "newscrawl.extract")),
    ("storage", ("archive",)),
    ("scrapy components", ("newscrawl.settings", "newscrawl.plan", "newscrawl.storage", "newscrawl.pipelines",
                           "newscrawl.middlewares", "newscrawl.viewcounts", "newscrawl.logs", "newscrawl.signals",
                           "newscrawl.contracts", "newscrawl.exporters", "newscrawl.failures", "newscrawl.progress", "newscrawl.discover",
                           "spiders")),
    ("application", ("newscrawl.cli", "newscrawl.run", "newscrawl.reextract", "newscrawl.portals",
                     "newscrawl.commands", "newscrawl.demo", "newscrawl.replica", "newscrawl.datasette",
                     "newscrawl.charts", "newscrawl.report", "newscrawl")),
]
OURS = ("newscrawl", "spiders", "archive")


def floor(module: str) -> int:
    for level, (_, prefixes) in enumerate(FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} is on no floor: add it to FLOORS")


def modules():
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            yield name, path


def imports(path: Path):
    """Every module of ours ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        yield from (n for n in names if n.split(".")[0] in OURS)


def test_every_module_is_on_a_floor():
    for name, _ in modules():
        floor(name)


def test_imports_never_go_up_a_floor():
    upward = [
        f"{name} ({FLOORS[floor(name)][0]}) imports {target} ({FLOORS[floor(target)][0]})"
        for name, path in modules()
        for target in imports(path)
        if floor(target) > floor(name)
    ]
    assert upward == []


def test_storage_imports_nothing_of_ours_but_storage():
    outside = [f"{name} imports {target}" for name, path in modules() if name.startswith("archive")
               for target in imports(path) if not target.startswith("archive")]
    assert outside == []


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from newscrawl.cli import cli\n", encoding="utf-8")
    assert list(imports(bad)) == ["newscrawl.cli"] and floor("newscrawl.cli") > floor("archive.store")
