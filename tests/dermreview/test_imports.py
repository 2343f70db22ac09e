"""Importing DermReview loads no model library: torch and company load only when a worker builds an engine.

The import-linter contract "Model libraries load only where a worker builds an engine or a scorer"
(pyproject.toml, run by tests/test_architecture.py) proves it statically, but it has to trust the few
function-local imports it lists as the doors to the model. This test checks the same promise at run time, in a
fresh interpreter (this test process may have imported torch for other tests): it loads the WSGI application,
resolves every URL pattern, imports every module of the package but migrations and settings variants, then
lists the model libraries that ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_LIBRARIES = (
    "accelerate", "bert_score", "peft", "safetensors", "torch", "torchvision", "transformers", "xgrammar",
)

PROBE = """
import importlib, json, pkgutil, sys
import dermreview.wsgi  # django.setup() and the WSGI handler
from django.urls import URLPattern, URLResolver, get_resolver

def walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            walk(p.url_patterns)
        elif isinstance(p, URLPattern):
            p.callback  # imports the view

walk(get_resolver().url_patterns)
import dermreview
names = [m.name for m in pkgutil.walk_packages(dermreview.__path__, "dermreview.")
         if ".migrations" not in m.name and not m.name.startswith("dermreview.settings.")]
for name in names:
    importlib.import_module(name)
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"imported": len(names), "loaded": loaded}))
"""


def test_imports_of_every_dermreview_module_load_no_model_library() -> None:
    # The same database, broker and var dir as this run; nothing else from the environment.
    env = {k: v for k, v in os.environ.items() if k.startswith(("DERMREVIEW_", "DATABASE_URL", "CELERY_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "dermreview.settings.testing", "PATH": os.environ.get("PATH", "")})
    completed = subprocess.run([sys.executable, "-c", PROBE, json.dumps(MODEL_LIBRARIES)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["imported"] > 100, "the probe found the package's modules"
    assert result["loaded"] == [], f"importing dermreview loaded {result['loaded']}"
