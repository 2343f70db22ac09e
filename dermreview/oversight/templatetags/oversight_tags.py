"""Template helpers for oversight partials shown on other apps' pages."""

from __future__ import annotations

import json
from typing import Any

from django import template

from dermreview.accounts.roles import can_audit
from dermreview.audit.models import AuditEvent

register = template.Library()

CASE_HISTORY_LIMIT = 500


@register.simple_tag(takes_context=True)
def case_audit_events(context: template.Context, case: Any) -> list[AuditEvent] | None:
    """The case's audit events, newest first, for auditors and admins of its organisation; None for anyone else.

    Fetches one more than the limit so the partial can say there are more (and link to the audit browser).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_audit(user) or user.organisation_id is None:
        return None
    if case is None or case.organisation_id != user.organisation_id:
        return None
    return list(
        AuditEvent.objects.for_organisation(user.organisation_id).for_case(case.pk).order_by("-sequence")
        [: CASE_HISTORY_LIMIT + 1]
    )


@register.filter
def num(value: float | None, places: int = 4) -> str:
    """A figure to `places` decimals, or an em dash when there is none (no data, or std of a single value)."""
    return "—" if value is None else f"{value:.{int(places)}f}"


@register.filter
def signed(value: float | None, places: int = 4) -> str:
    return "—" if value is None else f"{value:+.{int(places)}f}"


@register.filter
def pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{int(places)}f} %"


@register.filter
def as_json(value: Any) -> str:
    """Event details as readable JSON (the template escapes it)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
