"""Project-level views: home, health check, CSRF failure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from dermreview.accounts.roles import Role, has_role
from dermreview.core import health


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its day starts: reviewers on their queue, auditors (who do not review) on Oversight,
    everyone else (clinicians, administrators, operators) on Cases. LOGIN_REDIRECT_URL points here."""
    if has_role(request.user, Role.REVIEWER):
        return redirect("review:queue")
    if has_role(request.user, Role.AUDITOR) and not has_role(request.user, Role.CLINICIAN):
        return redirect("oversight:dashboard")
    return redirect("cases:list")


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability; with `?deep=1` also the Celery broker (readiness).

    503 when a dependency is down, so docker-compose and load balancers stop routing to this instance.
    The broker is left out of the plain probe: a Redis outage should not make the web container restart.
    """
    checks = {"database": health.database_status()}
    if request.GET.get("deep") in ("1", "true", "yes"):
        checks["broker"] = health.broker_status()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/csrf_failure.html", {"reason": reason}, status=403)
