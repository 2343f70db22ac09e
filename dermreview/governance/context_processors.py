"""The banner every page shows while AI drafting is paused for the viewer's clinic by the model-version rule."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dermreview.governance.selectors import paused_banner


def model_governance(request: HttpRequest) -> dict[str, object]:
    """`model_pause_banner`: the sentence, or "" (read lazily: a fragment or JSON response costs no query)."""
    user = getattr(request, "user", None)
    return {"model_pause_banner": SimpleLazyObject(lambda: paused_banner(user=user))}
