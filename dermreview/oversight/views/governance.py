"""The model governance page and the kill switch form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dermreview.accounts.roles import Role, has_role
from dermreview.drafting.services.queueing import drafting_set_enabled
from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.forms import KillSwitchForm
from dermreview.oversight.selectors.governance import governance_status


@require_http_methods(["GET", "POST"])
def governance(request: HttpRequest) -> HttpResponse:
    oversight_organisation_id(request.user)
    form = KillSwitchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["enabled"]
        try:
            # The drafting service checks the role (admins only) and audits the change.
            drafting_set_enabled(enabled=enabled, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.success(request, f"AI drafting turned {'on' if enabled else 'off'}. The change is audited.")
            return redirect("oversight:governance")
    status = 400 if request.method == "POST" else 200
    return render(request, "oversight/governance.html", {
        "governance": governance_status(viewer=request.user),
        "form": form,
        "can_flip": has_role(request.user, Role.ADMIN),
    }, status=status)
