"""The package stays apart from Django, and its light half works without torch."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import inference_worker

PACKAGE_DIR = Path(inference_worker.__file__).parent
REPO_ROOT = PACKAGE_DIR.parent


def _imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_imports_no_module_of_the_package_imports_django() -> None:
    modules = list(pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="inference_worker."))
    assert len(modules) >= 12, "walk_packages found too few modules; is the package layout intact?"
    sources = {"inference_worker": PACKAGE_DIR / "__init__.py"}
    for info in modules:
        spec = info.module_finder.find_spec(info.name, None)  # type: ignore[call-arg, union-attr]
        assert spec is not None and spec.origin is not None
        sources[info.name] = Path(spec.origin)
    offenders = {}
    for name, path in sources.items():
        source = path.read_text(encoding="utf-8")
        django_imports = {
            name for name in _imported_modules(source) if name == "django" or name.startswith("django.")
        }
        if django_imports:
            offenders[name] = sorted(django_imports)
    assert offenders == {}


def test_imports_detector_sees_django_imports() -> None:
    # Guards the test above against a detector that silently finds nothing.
    source = "import os\nfrom django.db import models\nimportlib.import_module('django.conf')\n"
    assert {"django.db", "django.conf"} <= _imported_modules(source)


def test_imports_light_modules_work_without_torch_transformers_or_django() -> None:
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        BLOCKED = ("torch", "transformers", "xgrammar", "django", "torchvision")

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked in this test: {name}")
                return None

        sys.meta_path.insert(0, Block())

        import inference_worker
        import inference_worker.config, inference_worker.parse, inference_worker.prompt
        import inference_worker.schema, inference_worker.types, inference_worker.preprocess
        # The web tier also uses these two: the fetch marker file and tiny-model detection.
        import inference_worker.fetch, inference_worker.testing.build_tiny_model
        from inference_worker import (
            FINDING_FIELDS, PROMPT_VERSION, DraftResult, FailureKind, Finding, ImageInput,
            ModelLoadError, WorkerConfig, get_engine,
        )

        cfg = WorkerConfig.from_env({})
        assert inference_worker.parse_reply("{}", hit_token_limit=False).kind == FailureKind.SCHEMA_INVALID
        try:
            get_engine(cfg)
        except ModelLoadError as exc:
            assert "torch" in exc.reason, exc.reason
        else:
            raise AssertionError("loading the transformers engine without torch must fail")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        print("LOADED", loaded)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "LOADED []" in completed.stdout
