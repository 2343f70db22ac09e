"""Alarm list, and acknowledging or resolving an alarm (each with a required note)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.forms import AlarmNoteForm
from dermreview.oversight.models import UNRESOLVED, Alarm, AlarmStatus
from dermreview.oversight.services.alarms import alarm_acknowledge, alarm_resolve, reviewer_behaviour
from dermreview.oversight.views.common import next_url

STATUS_FILTERS = {
    "unresolved": ("Open and acknowledged", UNRESOLVED),
    "open": ("Open", (AlarmStatus.OPEN,)),
    "acknowledged": ("Acknowledged", (AlarmStatus.ACKNOWLEDGED,)),
    "resolved": ("Resolved", (AlarmStatus.RESOLVED,)),
    "all": ("All", tuple(AlarmStatus.values)),
}


@require_GET
def alarm_list(request: HttpRequest) -> HttpResponse:
    organisation_id = oversight_organisation_id(request.user)
    status = request.GET.get("status", "unresolved")
    if status not in STATUS_FILTERS:
        status = "unresolved"
    alarms = (
        Alarm.objects.filter(organisation_id=organisation_id, status__in=STATUS_FILTERS[status][1])
        .select_related("reviewer", "acknowledged_by", "resolved_by")
        .order_by("-created_at", "-pk")
    )
    window = settings.DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW
    return render(request, "oversight/alarms.html", {
        "page": Paginator(alarms, 50).get_page(request.GET.get("page")),
        "status": status,
        "status_filters": [(key, label) for key, (label, _) in STATUS_FILTERS.items()],
        "behaviour": reviewer_behaviour(organisation_id=organisation_id, window=window),
        "high_risk_behaviour": reviewer_behaviour(
            organisation_id=organisation_id, window=settings.DERMREVIEW_ALARM_HIGH_RISK_MIN, high_risk_only=True
        ),
        "window": window,
        "rate": settings.DERMREVIEW_ALARM_RUBBER_STAMP_RATE,
        "median_s": settings.DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S,
        "high_risk_min": settings.DERMREVIEW_ALARM_HIGH_RISK_MIN,
        "drift_margin": settings.DERMREVIEW_ALARM_DRIFT_MARGIN,
        "drift_baseline_days": settings.DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS,
        "drift_window_days": settings.DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS,
        "drift_min_n": settings.DERMREVIEW_ALARM_DRIFT_MIN_N,
    })


def _note_action(request: HttpRequest, pk: int, service: Callable[..., Alarm], done: str) -> HttpResponse:
    oversight_organisation_id(request.user)
    form = AlarmNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["note"]))
        return redirect(next_url(request))
    try:
        service(alarm_id=pk, user=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(next_url(request))


@require_POST
def alarm_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _note_action(request, pk, alarm_acknowledge, "Alarm acknowledged; your note is on record.")


@require_POST
def alarm_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _note_action(request, pk, alarm_resolve, "Alarm resolved; your note is on record.")


