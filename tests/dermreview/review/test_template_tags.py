"""Template tags only format, in every app: page data comes from selectors the views call.

A tag that queries the database or writes an audit row hides work from the view and from the query count (the case
page's tags once did both), so no tag module may import models, the ORM, services, selectors or the audit writer.
The layering of the apps themselves is checked by import-linter (tests/test_architecture.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "dermreview"

# Imports that mean data access or side effects rather than formatting: these prefixes, and any dermreview module
# whose dotted path names one of these parts (`dermreview.cases.models`, `dermreview.drafting.selectors`, ...).
_TAG_FORBIDDEN = ("django.db", "dermreview.audit", "django.contrib.auth.models")
_TAG_FORBIDDEN_PARTS = {"models", "services", "selectors", "access", "tasks"}


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def _imports(path: Path, package: str | None = None) -> list[str]:
    """Every module a file imports, at any depth (an import inside a function counts too), made absolute.

    `package`: the package the file is read as part of (for relative imports); by default, where it lies.
    """
    package = package or _package_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def _tag_problems(path: Path, package: str | None = None) -> list[str]:
    problems = []
    for name in _imports(path, package):
        if name.startswith(_TAG_FORBIDDEN) or (name.startswith("dermreview.")
                                               and set(name.split(".")) & _TAG_FORBIDDEN_PARTS):
            problems.append(f"imports {name}")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            problems.append(f"line {node.lineno}: uses a model manager (.objects)")
        if isinstance(node, ast.Name) and node.id == "audit_log":
            problems.append(f"line {node.lineno}: writes audit rows")
    return problems


def test_template_tags_only_format() -> None:
    modules = sorted(p for p in PACKAGE.glob("*/templatetags/*.py") if p.name != "__init__.py")
    assert modules, "the check found the project's template tag modules"
    problems = {str(path.relative_to(ROOT)): found for path in modules if (found := _tag_problems(path))}
    assert problems == {}, "template tags must only format; move the data to a selector the view calls"


def test_the_tag_check_catches_a_tag_that_queries_or_audits(tmp_path: Path) -> None:
    # What the old case-page tags did: read drafts through a selector, query a model, write `draft.view`.
    probe = tmp_path / "probe_tags.py"
    probe.write_text(
        "from dermreview.drafting.selectors import image_draft_views\n"
        "from ..models import Draft\n"
        "def tag(image):\n"
        "    from dermreview.audit.services.events import audit_log\n"
        "    audit_log(action='draft.view')\n"
        "    return Draft.objects.filter(image=image)\n",
        encoding="utf-8",
    )
    problems = " | ".join(_tag_problems(probe, package="dermreview.drafting.templatetags"))
    for expected in ("dermreview.drafting.selectors", "dermreview.drafting.models", "dermreview.audit", ".objects",
                     "audit rows"):
        assert expected in problems, problems
