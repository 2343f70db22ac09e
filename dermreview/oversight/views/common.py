from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dermreview.oversight.selectors.filters import Scorer


def default_scorer() -> Scorer:
    """The scorer this deployment computes agreement with (charts use it unless another is chosen)."""
    return Scorer(settings.BERTSCORE_MODEL, settings.BERTSCORE_NUM_LAYERS)


def next_url(request: HttpRequest, fallback: str = "oversight:alarms") -> str:
    """Where a form posted from an oversight page returns to: a local oversight URL, else `fallback`."""
    target = request.POST.get("next") or ""
    if (
        target.startswith("/oversight/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return target
    return reverse(fallback)
