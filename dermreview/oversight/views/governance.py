"""The model governance page and its kill switch forms: the viewer's clinic's switch and the global one.

Open to the clinic's auditors (as every oversight page), its administrators (who hold its switch) and the
installation's operators (who hold the global one, with or without a clinic). The page shows no patient data. It
also lists the model versions, shadow evaluations and approvals (`dermreview.governance`), whose forms post to the
governance app's views.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dermreview.accounts.roles import is_clinic_admin, is_operator
from dermreview.drafting.services.queueing import drafting_set_enabled, drafting_switch_refusal
from dermreview.governance.selectors import governance_versions
from dermreview.governance.views.common import page_forms
from dermreview.oversight.access import oversight_organisation_id
from dermreview.oversight.forms import KillSwitchForm
from dermreview.oversight.selectors.governance import governance_status

# The global switch's form fields carry this prefix, so both forms can share the page (distinct names and ids).
_PREFIX = {"clinic": None, "global": "global"}


@require_http_methods(["GET", "POST"])
def governance(request: HttpRequest) -> HttpResponse:
    """The page; a POST changes the viewer's clinic's switch (its administrators only)."""
    _require_viewer(request.user)
    if request.method == "POST" and request.user.organisation_id is None:
        raise PermissionDenied("Only a clinic's administrators may change its drafting switch.")
    return _page(request, scope="clinic")


@require_POST
def global_switch(request: HttpRequest) -> HttpResponse:
    """Change the global switch (the installation's operators only); errors are shown on the page."""
    _require_viewer(request.user)
    return _page(request, scope="global")


def _require_viewer(user: Any) -> None:
    if not (is_clinic_admin(user) or is_operator(user)):
        oversight_organisation_id(user)  # auditors of a clinic; 403 for everyone else


def _page(request: HttpRequest, *, scope: str) -> HttpResponse:
    organisation = request.user.organisation if scope == "clinic" else None
    form = KillSwitchForm(request.POST or None, prefix=_PREFIX[scope])
    if request.method == "POST":
        refusal = drafting_switch_refusal(user=request.user, organisation=organisation)
        if refusal:
            raise PermissionDenied(refusal)
        if form.is_valid() and _flip(request, form, organisation=organisation):
            return redirect("oversight:governance")
    status = governance_status(viewer=request.user)
    versions = governance_versions(viewer=request.user)
    return render(request, "oversight/governance.html", {
        "governance": status,
        "switches": _switch_rows(request, status.switches, posted=form if request.method == "POST" else None),
        "versions": versions,
        **page_forms(request.user, versions),
    }, status=400 if request.method == "POST" else 200)


def _flip(request: HttpRequest, form: KillSwitchForm, *, organisation: Any) -> bool:
    enabled = form.cleaned_data["enabled"]
    try:
        # The drafting service checks who may change this switch and audits the change.
        drafting_set_enabled(enabled=enabled, user=request.user, reason=form.cleaned_data["reason"],
                             organisation=organisation)
    except ValidationError as exc:
        form.add_error("reason", exc)
        return False
    where = "for every clinic" if organisation is None else f"for {organisation}"
    messages.success(request, f"AI drafting turned {'on' if enabled else 'off'} {where}. The change is audited.")
    return True


def _switch_rows(request: HttpRequest, switches: Any, *, posted: KillSwitchForm | None) -> list[dict[str, Any]]:
    """For each switch: whether this user may flip it, where its form posts, and the form (a posted one keeps
    its errors)."""
    rows = []
    for switch in switches:
        organisation = None if switch.is_global else request.user.organisation
        prefix = _PREFIX[switch.scope]
        rows.append({
            "switch": switch,
            "can_flip": not drafting_switch_refusal(user=request.user, organisation=organisation),
            "form": posted if posted is not None and posted.prefix == prefix else KillSwitchForm(prefix=prefix),
            "action": reverse("oversight:global_switch" if switch.is_global else "oversight:governance"),
        })
    return rows
