"""The shape of the code (DESIGN.md, Layout): dependencies point one way, sectors ←
standards ← accounts; the cesip helpers every app uses import no app; and no module imports
another module's private (underscore) names."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("cesip", "sectors", "standards", "accounts")
# cesip's modules that wire the project together (settings, URLs, the project's own pages,
# the sitemap) or measure it (the benchmarks) may import the apps; every other cesip module
# is a neutral helper (tabular input, mail, web helpers, the embedded database, middleware).
CESIP_WIRING = {"settings", "urls", "wsgi", "asgi", "views", "sitemaps"}
CESIP_BENCHMARKS = {"bench", "bench_search", "bench_digests", "loadtest"}  # loadtest/: a package
MAY_NOT_IMPORT = {
    "sectors": ("standards", "accounts"),
    "standards": ("accounts",),
}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the module imported from, absolute
    names: tuple[str, ...]  # what `from module import …` takes; () for `import module`

    def __str__(self) -> str:
        taken = f" import {', '.join(self.names)}" if self.names else ""
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.module}{taken}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    """Every import statement in the file, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names = tuple(alias.name for alias in node.names)
            found.append(Import(path, node.lineno, module, names))
    return found


def python_files(*tops: str) -> list[Path]:
    return sorted(path for top in tops for path in (ROOT / top).rglob("*.py"))


def _app_of(module: str) -> str:
    return module.split(".")[0]


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def dependency_violations(files: list[Path]) -> list[str]:
    bad = []
    for path in files:
        app = path.relative_to(ROOT).parts[0]
        forbidden: tuple[str, ...] = MAY_NOT_IMPORT.get(app, ())
        top = Path(path.relative_to(ROOT).parts[1]).stem if app == "cesip" else ""
        if app == "cesip" and top not in CESIP_WIRING | CESIP_BENCHMARKS:
            forbidden = ("sectors", "standards", "accounts")
        for found in imports_of(path):
            if _app_of(found.module) in forbidden:
                bad.append(str(found))
            # `from standards import search` names a module of another app too
            elif found.module in forbidden:
                bad.append(str(found))
    return bad


def private_imports(files: list[Path]) -> list[str]:
    bad = []
    for path in files:
        own = _module_name(path)
        for found in imports_of(path):
            private = [name for name in found.names if is_private(name)]
            private += [part for part in found.module.split(".") if is_private(part)]
            if private and found.module != own:
                bad.append(str(found))
    return bad


def test_dependencies_point_one_way():
    assert dependency_violations(python_files(*APPS)) == []


def test_no_module_imports_another_modules_private_names():
    assert private_imports(python_files(*APPS, "tests")) == []


def test_the_checks_see_a_violation(tmp_path, monkeypatch):
    """The two checks above, on a small tree that breaks every rule once."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    files = {
        "sectors/views.py": "from standards.models import Standard\n",
        "standards/pages.py": "from accounts import watchlists\n",
        "cesip/tabular.py": "import standards.models\n",
        "cesip/urls.py": "from accounts import urls\n",  # wiring: allowed
        "accounts/digests.py": "from standards.search.planner import _statistics\n",
        "standards/search/query.py": "from ._cache import lookup\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    paths = sorted(tmp_path / name for name in files)
    assert dependency_violations(paths) == [
        "cesip/tabular.py:1: standards.models",
        "sectors/views.py:1: standards.models import Standard",
        "standards/pages.py:1: accounts import watchlists",
    ]
    assert private_imports(paths) == [
        "accounts/digests.py:1: standards.search.planner import _statistics",
        "standards/search/query.py:1: standards.search._cache import lookup",
    ]
