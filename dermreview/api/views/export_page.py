"""The findings export as a browser page (a form on the oversight pages): the same stream as `findings/export/`.

A plain Django view, not a DRF one: it belongs to the session-authenticated pages (login redirect, HTML 403), but
it lives in the api app because `findings_export` does and oversight may not import api.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dermreview.accounts.roles import can_audit
from dermreview.api.services.export import findings_export


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("csv", "CSV (spreadsheet)"), ("json", "JSON"),
                                        ("fhir", "FHIR R4 bundle")], initial="csv")
    since = forms.DateField(required=False, label="Signed on or after",
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Leave empty to export every final finding.")
    until = forms.DateField(required=False, label="Signed on or before",
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Leave empty for everything up to now.")
    include_drafts = forms.BooleanField(required=False, label="Include unreviewed AI drafts (auditors)")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be on or after the start date.")
        return cleaned


@require_GET
@login_required
def findings_export_page(request: HttpRequest) -> HttpResponse:
    """Without `download`: the form. With it: the export, streamed as an attachment (audited by the service)."""
    form = ExportForm(request.GET if "download" in request.GET else None)
    if not form.is_valid():
        return render(request, "api/findings_export.html", {"form": form, "can_audit": can_audit(request.user)},
                      status=400 if form.is_bound else 200)
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    stream = findings_export(
        user=request.user, export_format=form.cleaned_data["format"], since=_day_start(since),
        until=_day_start(until + timedelta(days=1)) if until else None,  # the whole "until" day is in
        include_drafts=form.cleaned_data["include_drafts"], base_url=request.build_absolute_uri("/"),
    )
    response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Export-Id"] = stream.export_id
    return response


def _day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None
