"""A lesion's page: its details and its timeline of visits, newest first. Thin: look up (404 outside the
clinic), record the view, ask the selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dermreview.audit.services.events import audit_log
from dermreview.lesions.selectors.timeline import lesion_timeline
from dermreview.lesions.views.patients import get_lesion_for_user


def lesion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lesion = get_lesion_for_user(request.user, pk)
    audit_log(action="lesion.view", actor=request.user, obj=lesion, organisation=lesion.patient.organisation)
    timeline = lesion_timeline(user=request.user, lesion=lesion)
    return render(request, "lesions/lesion_detail.html", {"timeline": timeline, "lesion": lesion,
                                                          "patient": lesion.patient})
