"""The direction of imports the README's architecture section states, kept true.

Domains are ordered from the lowest to the highest; a domain's use cases may call a lower
domain's public modules (those its `__init__` names in `__all__`), never a higher domain's and
never a private name. Pages and API routes may call any domain's public modules. Models name
other domains' models only as strings. The foundation and `nlp/` import no domain.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "feedback"

FOUNDATION = {
    "claims",
    "config",
    "cursors",
    "database",
    "downloads",
    "errors",
    "extensions",
    "lookups",
    "mail",
    "periods",
    "sealing",
    "signing",
}
# Lowest first: each may call the public modules of those before it.
DOMAINS = [
    "audit",
    "surveys",
    "webhooks",
    "metrics",
    "themes",
    "cases",
    "responses",
    "email",
    "helpdesk",
    "imports",
    "widget",
    "scorecard",
    "accounts",
]
EDGE = {"web", "openapi", "demo", "delighted"}
TOP = {"__init__", "cli", "jobs", "schema"}
# Pure rules: no database, no request; any models module may read their constants.
RULES = {
    "feedback.surveys.kinds",
    "feedback.surveys.definition",
    "feedback.surveys.followups",
    "feedback.surveys.targeting",
    "feedback.cases.rules",
    "feedback.cases.sla",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target} {list(self.names)}"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = ROOT / Path(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text())
    skipped = {id(n) for block in ast.walk(tree) if _type_checking(block) for n in ast.walk(block)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom) or node.level:
            continue
        if not (node.module or "").startswith("feedback"):
            continue
        for alias in node.names:
            dotted = f"{node.module}.{alias.name}"
            if _is_module(dotted):  # `from feedback.cases import work`
                found.append(Import(_module(path), dotted, (), node.lineno))
            else:
                found.append(Import(_module(path), node.module, (alias.name,), node.lineno))
    return found


def _place(dotted: str) -> str:
    """The room a module stands in: a domain, the edge, the foundation, or the top."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return "top"
    if parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] in TOP:
        return "top"
    return parts[1]


def _is_entry(dotted: str) -> bool:
    """Pages, API routes and public routes (the modules that define a blueprint), and forms."""
    if dotted.endswith(".forms"):
        return True
    source = (ROOT / Path(*dotted.split("."))).with_suffix(".py").read_text()
    return "\nbp = " in source


def _public(domain: str) -> set[str]:
    init = PACKAGE / domain / "__init__.py"
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            return {f"feedback.{domain}.{name}" for name in ast.literal_eval(node.value)}
    return set()


ALL = [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in _imports(path)]


def _faults(imp: Import) -> str | None:
    here, there = _place(imp.source), _place(imp.target)
    if there == "top" and here != "top":
        return "only the app factory, the jobs and the CLI import the top"
    if here == "foundation":
        return None if there == "foundation" else "the foundation imports no domain"
    if any(name.startswith("_") for name in imp.names) and here != there:
        return "a private name of another room"
    if here == there or there == "foundation" or here == "top":
        return None
    if there in EDGE:
        return (
            None if here in EDGE or _is_entry(imp.source) else "only pages and routes use the edge"
        )
    target_module = imp.target
    if target_module.endswith(".models") or target_module in RULES:
        if imp.source.endswith(".models") and target_module not in RULES:
            return "models name another domain's models only as strings"
        return None
    if target_module not in _public(there):
        return f"{target_module} is not named in feedback/{there}/__init__.py"
    if here in EDGE or _is_entry(imp.source):
        return None
    if DOMAINS.index(there) > DOMAINS.index(here):
        return f"{here} is below {there}: it may not call it"
    return None


def test_every_room_is_placed() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert rooms == set(DOMAINS) | EDGE
    assert modules == FOUNDATION | TOP


def test_imports_flow_one_way() -> None:
    faults = [f"{imp}: {why}" for imp in ALL if (why := _faults(imp))]
    assert faults == []


def test_public_modules_exist() -> None:
    for domain in [*DOMAINS, *EDGE]:
        for dotted in _public(domain):
            assert _is_module(dotted), f"feedback/{domain}/__init__.py names {dotted}"


def test_nlp_imports_nothing_of_the_app() -> None:
    for path in (ROOT / "nlp").rglob("*.py"):
        text = path.read_text()
        assert "from feedback" not in text and "import feedback" not in text, path


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_package_imports_nothing_when_imported(domain: str) -> None:
    # A domain's __init__ names its public modules; importing it runs none of them.
    tree = ast.parse((PACKAGE / domain / "__init__.py").read_text())
    assert ast.get_docstring(tree), f"feedback/{domain}/__init__.py says what the domain is"
    assert not [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize(
    ("source", "target", "names", "why"),
    [
        ("feedback.cases.work", "feedback.responses.recording", (), "cases is below responses"),
        ("feedback.responses.recording", "feedback.cases.work", ("_event",), "a private name"),
        ("feedback.cases.models", "feedback.responses.models", ("Response",), "only as strings"),
        ("feedback.errors", "feedback.cases.models", ("Case",), "the foundation"),
        ("feedback.cases.work", "feedback.web.auth", ("can",), "only pages and routes"),
        ("feedback.cases.work", "feedback.jobs", ("run",), "the top"),
        ("feedback.cases.work", "feedback.responses.views", (), "is not named"),
    ],
)
def test_the_check_refuses_what_the_direction_forbids(
    source: str, target: str, names: tuple[str, ...], why: str
) -> None:
    assert why in (_faults(Import(source, target, names, 1)) or "")


def test_the_check_lets_a_page_use_any_public_module() -> None:
    assert _faults(Import("feedback.cases.views", "feedback.responses.recording", (), 1)) is None
    assert _faults(Import("feedback.responses.recording", "feedback.cases.work", (), 1)) is None


def _is_column(node: ast.expr) -> bool:
    """A model's column (`Case.workspace_id`, `table.c.id`), not a value (`workspace.id`)."""
    if not isinstance(node, ast.Attribute):
        return False
    base = node.value
    if isinstance(base, ast.Attribute) and base.attr == "c":
        return True
    return isinstance(base, ast.Name) and base.id[:1].isupper()


def _hand_scoped(path: Path) -> list[str]:
    """Comparisons `X.workspace_id == value` written by hand instead of through `owned_by`;
    a column against a column (`Workspace.id == Case.workspace_id`, a join) is let be."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare) or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            continue
        sides = [node.left, *node.comparators]
        scoped = [s for s in sides if isinstance(s, ast.Attribute) and s.attr == "workspace_id"]
        columns = [s for s in sides if _is_column(s)]
        if len(scoped) == 1 and len(columns) == 1:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    return found


def test_every_query_is_scoped_through_one_helper() -> None:
    # feedback/database.py's owned_by (and in_workspace, built on it) is the one place a
    # query, an aggregate, an update or a delete is kept to one workspace.
    paths = [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "database.py"]
    assert [hit for path in paths for hit in _hand_scoped(path)] == []


def test_the_scoping_check_sees_a_query_scoped_by_hand(tmp_path: Path) -> None:
    module = tmp_path / "feedback" / "cases" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text("q = select(Case).where(Case.workspace_id == workspace.id)\n")
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert _hand_scoped(module) == ["feedback/cases/x.py:1 Case.workspace_id == workspace.id"]
    finally:
        ROOT = root
