"""The clinic's follow-ups: due in the next 30 days, and overdue. Thin: check the role, ask the selector, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dermreview.accounts.roles import Role, has_role
from dermreview.lesions.selectors.follow_up import DUE_WITHIN_DAYS, TABS, follow_up_page


@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    # Who sees patients' visits: the clinic's clinicians (who book them), reviewers and auditors.
    if not has_role(request.user, Role.CLINICIAN, Role.REVIEWER, Role.AUDITOR):
        raise PermissionDenied("The follow-up list is for the clinic's clinicians, reviewers and auditors.")
    page = follow_up_page(user=request.user, tab=request.GET.get("tab", "due"), today=timezone.localdate())
    return render(request, "lesions/follow_up.html",
                  {"page": page, "tabs": TABS, "due_within_days": DUE_WITHIN_DAYS})
