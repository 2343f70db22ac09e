"""The light half of the package works without torch, transformers or Django installed.

That no module imports Django (or DermReview) at all is an import-linter contract in pyproject.toml, checked by
tests/test_architecture.py. This test checks what a static contract cannot: that with the model libraries
missing, every module but the transformers engine still imports, and the API fails cleanly where it needs them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import inference_worker

REPO_ROOT = Path(inference_worker.__file__).parent.parent


def test_imports_light_modules_work_without_torch_transformers_or_django() -> None:
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = ("torch", "transformers", "xgrammar", "bert_score", "django", "torchvision")
        # The one module that imports torch at its top; get_engine() imports it when it builds that engine.
        HEAVY = "inference_worker.engines.transformers_engine"

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked in this test: {name}")
                return None

        sys.meta_path.insert(0, Block())

        import inference_worker
        # Includes what the web tier uses (config, identity, the fetch and tiny-model markers) and the
        # scorer, which imports bert-score only when it builds one.
        names = [m.name for m in pkgutil.walk_packages(inference_worker.__path__, "inference_worker.")]
        for name in names:
            if name != HEAVY:
                importlib.import_module(name)
        from inference_worker import (
            FINDING_FIELDS, DraftResult, FailureKind, Finding, ImageInput,
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
        print("IMPORTED", len(names), "LOADED", loaded)
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
    imported = int(completed.stdout.split("IMPORTED", 1)[1].split()[0])
    assert imported >= 12, "walk_packages found too few modules; is the package layout intact?"
    assert "LOADED []" in completed.stdout

