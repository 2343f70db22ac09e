"""The signed-in user's notifications; opening one marks it read and goes to its case."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dermreview.review.models import Notification
from dermreview.review.selectors.notifications import notification_rows, unread_count
from dermreview.review.services.notifications import notification_mark_read


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "review/notifications.html", {
        "notifications": notification_rows(user=request.user), "unread": unread_count(user=request.user),
    })


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's notification is a 404, as every object of another user.
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notification_mark_read(notification=notification, user=request.user)
    return redirect("cases:detail", pk=notification.case_id)
