"""Real accuracy against recorded outcomes: the AI, the humans and the humans-with-AI side by side."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.selectors.accuracy_figures import NO_CLASS, accuracy_page
from dermreview.oversight.selectors.strata import CARD_BIAS_WARNING, SPLIT_CHOICES, parse_split


@require_GET
def accuracy(request: HttpRequest) -> HttpResponse:
    organisation_id = oversight_organisation_id(request.user)
    context: dict[str, object] = {"split_choices": SPLIT_CHOICES, "split": request.GET.get("split", ""),
                                  "card_warning": CARD_BIAS_WARNING, "no_class": NO_CLASS}
    try:
        split = parse_split(request.GET.get("split"))
    except ValueError as exc:
        # Unsplit figures under a split the viewer asked for would mislead: say what was wrong instead.
        context["split_error"] = str(exc)
        return render(request, "oversight/accuracy.html", context, status=400)
    context["page"] = accuracy_page(organisation_id=organisation_id, split=split)
    return render(request, "oversight/accuracy.html", context)
