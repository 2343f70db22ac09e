"""The architecture CI keeps, under plain pytest: the import contracts and the size rules.

The contracts live in pyproject.toml (`[tool.importlinter]`); `make lint` and `make test` run `lint-imports` on
them as well. The size rules cover the package code of `dermreview/` and `inference_worker/`, migrations left out.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dermreview", "inference_worker")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MIN_COPIED_LINES = 6

# One new module per contract, each making the import that contract exists to refuse.
BREACHES = {
    "dermreview/audit/breach.py": "from dermreview.review.models import Review\n",  # upward, across layers
    "dermreview/core/db/breach.py": "from dermreview.cases.models import Case\n",  # an app, under migrations
    "inference_worker/breach.py": "from django.conf import settings\n",  # Django, in the plain package
    "dermreview/cases/breach.py": "def load():\n    import torch\n",  # a model library, even inside a function
}


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # cwd comes first on sys.path, so the packages analysed are the ones under cwd.
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", command, "--no-cache", "--no-logo"], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def _source_files() -> list[Path]:
    return sorted(
        path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
    )


def test_architecture_import_contracts_are_kept() -> None:
    completed = _lint_imports(ROOT)

    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    for name in _contract_names():
        assert f"{name} KEPT" in completed.stdout


def test_architecture_import_contracts_refuse_each_kind_of_breach(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for relative, source in BREACHES.items():
        (tmp_path / relative).write_text(source, encoding="utf-8")

    completed = _lint_imports(tmp_path)

    assert completed.returncode != 0
    names = _contract_names()
    # Every contract needs its own breach above: one added without one fails here.
    assert f"Contracts: 0 kept, {len(names)} broken." in completed.stdout, completed.stdout[-6000:]
    for relative in BREACHES:
        assert relative.removesuffix(".py").replace("/", ".") in completed.stdout


def test_architecture_no_module_over_400_lines() -> None:
    files = _source_files()
    assert len(files) > 100, "found too few modules; is the package layout intact?"

    lengths = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines()) for path in files}

    assert {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES} == {}


def test_architecture_no_function_over_60_lines() -> None:
    too_long: dict[str, int] = {}
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}()"] = length

    assert too_long == {}


def _copied_blocks(cwd: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    # pylint's duplicate-code checker: comments, docstrings, imports and signatures do not count as copies.
    return subprocess.run(
        [sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
         f"--min-similarity-lines={MIN_COPIED_LINES}", "--ignore=migrations", "--persistent=n", "--score=n",
         *targets],
        cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.mark.slow  # about two minutes: pylint compares every pair of modules
def test_architecture_no_copied_blocks() -> None:
    completed = _copied_blocks(ROOT, *PACKAGES)

    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]


def test_architecture_copied_block_check_sees_a_copy(tmp_path: Path) -> None:
    body = "".join(f"    total += {n} * value\n" for n in range(MIN_COPIED_LINES))
    (tmp_path / "first.py").write_text(f"def first(value):\n    total = 0\n{body}    return total\n")
    (tmp_path / "second.py").write_text(f"def second(value):\n    total = 0\n{body}    return total\n")

    completed = _copied_blocks(tmp_path, "first.py", "second.py")

    assert completed.returncode != 0 and "duplicate-code" in completed.stdout, completed.stdout
