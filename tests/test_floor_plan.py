"""The floor plan (docs/architecture.md): domain apps import only the apps below them, nothing imports a
surface, and there is no import circle anywhere. Every import counts, including those inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each domain app, with the apps of ours it may import.
DOMAIN = {
    "petitions": set(),
    "signatures": {"petitions"},
    "verification": {"petitions", "signatures"},
    "teams": {"petitions", "signatures", "verification"},
    "abuse": {"petitions", "signatures", "verification"},
}
SURFACES = {"front", "moderation"}
TOP = {"demo"}  # uses the domain apps as an operator would; nothing imports it
PROJECT = "undersigned"
OURS = set(DOMAIN) | SURFACES | TOP | {PROJECT}


def modules() -> dict[str, Path]:
    found = {}
    for package in OURS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports, resolved to module names (relative imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from x import y` may import the submodule x.y
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name, path, set(modules())) for name, path in modules().items()}


def app(module: str) -> str:
    return module.partition(".")[0]


@pytest.mark.parametrize("domain_app", sorted(DOMAIN))
def test_a_domain_app_imports_only_the_apps_below_it(domain_app):
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if app(module) == domain_app
        for target in targets
        if app(target) not in {domain_app, PROJECT, *DOMAIN[domain_app]}
    )
    assert upward == []


def test_nothing_imports_a_surface_or_the_demo():
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if app(target) in SURFACES | TOP and app(module) != app(target) and module != f"{PROJECT}.urls"
    )
    assert upward == []


def test_domain_apps_hold_no_views_forms_admin_or_templates():
    surface_files = sorted(
        str(path.relative_to(ROOT))
        for domain_app in DOMAIN
        for pattern in ("views.py", "forms.py", "admin.py", "urls.py", "admin", "views", "templates")
        for path in (ROOT / domain_app).rglob(pattern)
    )
    assert surface_files == []


def test_there_is_no_import_circle():
    circles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert circles == []
