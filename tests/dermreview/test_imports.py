"""The web tier never imports torch, transformers or xgrammar: only the Celery task path loads the model.

Checked in a fresh interpreter (this test process may have imported torch for other tests): it loads the WSGI
application, resolves every URL pattern (importing every view), imports every `views`/`urls` module and the
drafting services, then lists what heavy modules ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "transformers", "xgrammar", "bert_score", "accelerate", "safetensors")

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
names = [m.name for m in pkgutil.walk_packages(dermreview.__path__, "dermreview.")]
wanted = [n for n in names if n.split(".")[-1] in ("views", "urls", "admin", "tasks") or ".views." in n
          or ".templatetags." in n or n.startswith("dermreview.drafting.services")]
for name in wanted:
    importlib.import_module(name)
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"imported": len(wanted), "heavy": heavy}))
"""


def test_web_tier_imports_no_model_libraries() -> None:
    # The same database, broker and var dir as this run; nothing else from the environment.
    env = {k: v for k, v in os.environ.items() if k.startswith(("DERMREVIEW_", "DATABASE_URL", "CELERY_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "dermreview.settings.testing", "PATH": os.environ.get("PATH", "")})
    completed = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY)], cwd=ROOT, capture_output=True,
                               text=True, timeout=120, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["imported"] > 10, "the probe found the view, url and drafting modules"
    assert result["heavy"] == [], f"the web tier imported {result['heavy']}"
