"""The apps form layers (docs/architecture.md, "Layers"): a module may import its own app and the apps of its
own or a lower layer, never a higher one; the pages and APIs (views, api, urls, forms, admin, template tags)
sit above every domain app; the demo builder sits on top and nothing imports it. Imports under
``if TYPE_CHECKING:`` do not count (they never run). No import cycle spans two apps.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # chuangwen/

KERNEL, IDENTITY, REGISTRY, WORK, PAGES, TOP = range(6)
LAYERS = {
    # the kernel: web helpers, bounds, spreadsheets, the server; the audit log; the working-day calendar
    "core": KERNEL, "audit": KERNEL, "workdays": KERNEL,
    # who and where: people and the unit tree
    "accounts": IDENTITY, "org": IDENTITY,
    # what is inspected and by which rules: the sites and the evaluation standard
    "standards": REGISTRY, "sites": REGISTRY,
    # the campaign's work
    "rounds": WORK, "evidence": WORK, "cases": WORK, "notify": WORK, "reports": WORK, "rankings": WORK,
    "open311": WORK, "inspect": WORK, "dashboards": WORK, "materials": WORK, "surveys": WORK,
    "bulletins": WORK, "volunteers": WORK, "privacy": WORK,
    # the demo district and `up`
    "demo": TOP,
}  # fmt: skip
# Modules that serve pages or the API: above every domain module whatever their app.
PAGE_MODULES = {"views", "api", "urls", "forms", "admin", "templatetags", "visit_urls", "staff_urls"}
# The home page and its 待办 box are pages too (they count with the lists' own filter forms).
PAGE_MODULE_NAMES = {"chuangwen.dashboards.home", "chuangwen.dashboards.todo"}
WIRING = {"settings", "test_settings", "urls", "api", "cli", "wsgi", "__init__"}  # chuangwen/*.py


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_page(module: str) -> bool:
    if module in PAGE_MODULE_NAMES:
        return True
    parts = module.split(".")[2:]
    return any(p in PAGE_MODULES or p.endswith(("_views", "_urls")) for p in parts)


def layer(module: str) -> int:
    app = module.split(".")[1]
    if app == "demo":
        return TOP
    return PAGES if is_page(module) else LAYERS[app]


def runtime_imports(tree: ast.AST) -> set[str]:
    """Imported chuangwen modules, leaving out ``if TYPE_CHECKING:`` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chuangwen."):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chuangwen."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        parts = name.split(".")
        if len(parts) < 2 or "tests" in parts or "migrations" in parts or parts[1] in WIRING:
            continue
        modules[name] = path
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in runtime_imports(ast.parse(path.read_text())):
            # "from chuangwen.x import y": y may be a module or a name; keep what is a module
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def test_it_knows_the_layer_of_every_app() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}
    assert apps == set(LAYERS)


def test_no_module_imports_a_higher_layer() -> None:
    wrong = sorted(
        f"{source} → {target}"
        for source, targets in graph().items()
        for target in targets
        if source.split(".")[1] != target.split(".")[1] and layer(target) > layer(source)
    )
    assert wrong == []


def test_no_import_cycle_spans_two_apps() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len({m.split(".")[1] for m in component}) > 1:
                cycles.append(sorted(component))

    for node in list(edges):
        if node not in index:
            strongconnect(node)
    assert cycles == []
