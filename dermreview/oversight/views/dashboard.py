"""The live model card page and its SVG charts."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.governance.selectors import approval_history
from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.forms import OversightFilterForm
from dermreview.oversight.models import Alarm
from dermreview.oversight.selectors.filters import OversightFilters, reviewer_options
from dermreview.oversight.selectors.influence import blind_influence
from dermreview.oversight.selectors.model_card import (
    FIELD_LABELS,
    PUBLISHED_CARD,
    filter_choices,
    model_card_stats,
)
from dermreview.oversight.selectors.series import (
    Histogram,
    WeeklyAgreement,
    agreement_histogram,
    reviewer_acceptance_weekly,
    weekly_agreement,
)
from dermreview.oversight.selectors.strata import (
    CARD_BIAS_WARNING,
    SPLIT_CHOICES,
    model_card_strata,
    parse_split,
)
from dermreview.oversight.views.common import default_scorer

CHARTS = ("weekly-agreement", "distribution", "reviewer-acceptance")


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation_id = oversight_organisation_id(request.user)
    form = OversightFilterForm(
        request.GET or None,
        choices=filter_choices(organisation_id=organisation_id),
        reviewers=reviewer_options(organisation_id=organisation_id),
    )
    context: dict[str, object] = {
        "form": form,
        "published": [(FIELD_LABELS.get(k, "Overall"), fig) for k, fig in PUBLISHED_CARD.items()],
        "open_alarms": list(
            Alarm.objects.filter(organisation_id=organisation_id).unresolved()
            # "-status": open before acknowledged.
            .select_related("reviewer", "acknowledged_by").order_by("-status", "-created_at")[:20]
        ),
        "query": request.GET.urlencode(),
        # Which model versions were approved to draft for this clinic, on which evidence, and every override.
        "approvals": approval_history(organisation_id=organisation_id, viewer=request.user),
    }
    context.update({"split_choices": SPLIT_CHOICES, "split": request.GET.get("split", ""),
                    "card_warning": CARD_BIAS_WARNING})
    try:
        split = parse_split(request.GET.get("split"))
    except ValueError as exc:
        split, context["split_error"] = None, str(exc)
    if (form.is_bound and not form.is_valid()) or "split_error" in context:
        # Figures for filters that could not be read would mislead: show the errors and nothing else.
        return render(request, "oversight/dashboard.html", context, status=400)
    filters = form.to_filters() if form.is_bound else OversightFilters()
    if split is not None:
        context.update({"card_split": split, "card_strata": model_card_strata(
            organisation_id=organisation_id, filters=filters, split=split)})
    chart_scorer = filters.scorer or default_scorer()
    weekly = weekly_agreement(organisation_id=organisation_id, filters=filters, scorer=chart_scorer)
    histogram = agreement_histogram(organisation_id=organisation_id, filters=filters, scorer=chart_scorer)
    context.update({
        "figures": True,
        "groups": model_card_stats(organisation_id=organisation_id, filters=filters),
        "chart_scorer": chart_scorer,
        "weekly_fields": [FIELD_LABELS[f] for f in _fields_in(weekly)],
        "weekly_table": _pivot(weekly),
        "histogram": histogram,
        "histogram_rows": [
            (Histogram.bin_bounds(i), [counts[i] for counts in histogram.counts.values()])
            for i in histogram.occupied_bins()
        ],
        "histogram_fields": [FIELD_LABELS[f] for f in histogram.counts],
        "reviewer_weeks": reviewer_acceptance_weekly(organisation_id=organisation_id, filters=filters),
        "influence": blind_influence(organisation_id=organisation_id, filters=filters, scorer=chart_scorer),
        "rubber_stamp_rate": settings.DERMREVIEW_ALARM_RUBBER_STAMP_RATE,
    })
    return render(request, "oversight/dashboard.html", context)


def _fields_in(points: list[WeeklyAgreement]) -> list[str]:
    present = {p.field for p in points}
    return [f for f in FINDING_FIELDS if f in present]


def _pivot(points: list[WeeklyAgreement]) -> list[tuple[date, list[WeeklyAgreement | None]]]:
    """Weeks as rows, fields as columns, for the table beside the weekly chart."""
    fields = _fields_in(points)
    by_week: dict[date, dict[str, WeeklyAgreement]] = {}
    for p in points:
        by_week.setdefault(p.week, {})[p.field] = p
    return [(week, [by_week[week].get(f) for f in fields]) for week in sorted(by_week)]


@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """One chart as image/svg+xml, for the same filters as the page that embeds it."""
    organisation_id = oversight_organisation_id(request.user)
    if name not in CHARTS:
        raise Http404("No such chart.")
    form = OversightFilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(f"Invalid chart filters: {errors}", status=400, content_type="text/plain; charset=utf-8")
    filters = form.to_filters()
    scorer = filters.scorer or default_scorer()
    # Imported here so that matplotlib loads only in processes that draw charts.
    from dermreview.oversight import charts

    if name == "weekly-agreement":
        points = weekly_agreement(organisation_id=organisation_id, filters=filters, scorer=scorer)
        svg = charts.cached_svg(name, [scorer.key, [vars(p) for p in points]],
                                lambda: charts.weekly_agreement_svg(points, scorer_label=scorer.label))
    elif name == "distribution":
        histogram = agreement_histogram(organisation_id=organisation_id, filters=filters, scorer=scorer)
        svg = charts.cached_svg(name, [scorer.key, histogram.counts],
                                lambda: charts.distribution_svg(histogram, scorer_label=scorer.label))
    else:
        rows = reviewer_acceptance_weekly(organisation_id=organisation_id, filters=filters)
        threshold = settings.DERMREVIEW_ALARM_RUBBER_STAMP_RATE
        svg = charts.cached_svg(name, [threshold, [vars(r) for r in rows]],
                                lambda: charts.reviewer_acceptance_svg(rows, threshold=threshold))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response
