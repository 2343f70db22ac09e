"""The audit browser: search, CSV export and chain verification."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.forms import AuditFilterForm
from dermreview.oversight.selectors.audit_events import AuditFilters, audit_action_choices, audit_events_for
from dermreview.oversight.services.audit_browser import audit_chain_check, audit_export_csv

PAGE_SIZE = 50


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    organisation_id = oversight_organisation_id(request.user)
    form = AuditFilterForm(request.GET or None)
    context: dict[str, object] = {"form": form, "actions": audit_action_choices(organisation_id=organisation_id)}
    if form.is_bound and not form.is_valid():
        return render(request, "oversight/audit.html", context, status=400)
    filters = form.to_filters() if form.is_bound else AuditFilters()
    events = audit_events_for(organisation_id=organisation_id, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "results": True,
        "page": Paginator(events, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    })
    return render(request, "oversight/audit.html", context)


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    oversight_organisation_id(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(f"Invalid filters: {errors}", status=400, content_type="text/plain; charset=utf-8")
    filters = form.to_filters() if form.is_bound else AuditFilters()
    lines = audit_export_csv(user=request.user, filters=filters)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    slug = request.user.organisation.slug
    response["Content-Disposition"] = f'attachment; filename="dermreview-audit-{slug}-{timezone.localdate():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    oversight_organisation_id(request.user)
    report = audit_chain_check(user=request.user)
    if report.ok:
        messages.success(request, "Audit chain intact: every event verified, no alteration or gap found.")
    else:
        messages.error(
            request,
            f"Audit chain BROKEN at event #{report.first_broken_sequence}: {report.reason}. "
            f"{report.checked} events before it verified. Preserve the database and investigate.",
        )
    return redirect("oversight:audit")
