"""Banners every page shows: drafting paused for the viewer's clinic by the model-version rule, and a deployment
that drafts with a test model (the tiny random model or the demo model) rather than a real one."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dermreview.drafting.services.identity import DEMO_MODEL_ID, model_identity, worker_config
from dermreview.governance.selectors import paused_banner

DEMO_MODEL_BANNER = (
    "Demo model: AI drafts on this installation come from a small model trained on synthetic drawings of lesions, "
    "not the real model. They show how review works; they mean nothing for a real photo."
)
TINY_MODEL_BANNER = (
    "Test model: AI drafts on this installation come from a tiny randomly initialised model. Their text is "
    "meaningless; configure DERMREVIEW_MODEL for real drafts."
)


@lru_cache(maxsize=8)
def _test_model_banner(model: str, backend: str) -> str:
    # Keyed on what decides the identity: reading the model directory's marker once per process, not per page.
    identity = model_identity()
    if not identity.is_test_model:
        return ""
    return DEMO_MODEL_BANNER if identity.model_id == DEMO_MODEL_ID else TINY_MODEL_BANNER


def test_model_banner() -> str:
    """The banner for this deployment's configured model, or "" for a real model."""
    cfg = worker_config()
    return _test_model_banner(str(cfg.model), str(cfg.backend))


def model_governance(request: HttpRequest) -> dict[str, object]:
    """`model_pause_banner`: the sentence, or "" (read lazily: a fragment or JSON response costs no query);
    `test_model_banner`: the demo/test model sentence, or ""."""
    user = getattr(request, "user", None)
    return {
        "model_pause_banner": SimpleLazyObject(lambda: paused_banner(user=user)),
        "test_model_banner": SimpleLazyObject(test_model_banner),
    }
