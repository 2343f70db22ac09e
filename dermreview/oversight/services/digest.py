"""The daily alarm digest: one email per organisation and day to its auditors and admins."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dermreview.accounts.models import Organisation, User
from dermreview.accounts.roles import Role
from dermreview.audit.services.events import audit_log
from dermreview.oversight.models import Alarm, AlarmDigest, AlarmStatus

logger = logging.getLogger(__name__)


def digest_recipients(*, organisation_id: int) -> list[str]:
    """E-mail addresses of the organisation's active auditors and clinic admins.

    Installation operators (superusers) are not recipients: the digest names reviewers and cases of one clinic,
    which is clinic business, not the operator's.
    """
    users = (
        User.objects.filter(organisation_id=organisation_id, is_active=True)
        .filter(Q(groups__name=Role.AUDITOR) | Q(groups__name=Role.CLINIC_ADMIN))
        .exclude(email="")
        .distinct()
        .order_by("email")
    )
    return list(dict.fromkeys(users.values_list("email", flat=True)))


def alarm_digest_send(*, organisation_id: int, now: datetime | None = None) -> int:
    """Email the organisation's open alarms to its auditors and admins, at most once a day.

    Returns the number of emails sent: 0 when there is no open alarm, no recipient, or today's digest
    already went out (the AlarmDigest row for the day is the claim, so a re-run of the task is harmless).
    """
    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=organisation_id)
    alarms = list(
        Alarm.objects.filter(organisation_id=organisation_id, status=AlarmStatus.OPEN)
        .select_related("reviewer").order_by("kind", "created_at")
    )
    if not alarms:
        return 0
    recipients = digest_recipients(organisation_id=organisation_id)
    if not recipients:
        logger.warning("Organisation %s has open alarms but no auditor or admin with an email address", organisation_id)
        return 0
    acknowledged = Alarm.objects.filter(organisation_id=organisation_id, status=AlarmStatus.ACKNOWLEDGED).count()
    day = timezone.localdate(now)
    subject = f"[DermReview] {len(alarms)} open oversight alarm{'s' if len(alarms) != 1 else ''} — {organisation.name}"
    body = render_to_string("oversight/email/digest.txt", {
        "organisation": organisation, "alarms": alarms, "acknowledged": acknowledged, "day": day,
        "alarms_url": settings.DERMREVIEW_SITE_URL + reverse("oversight:alarms"),
    })
    try:
        with transaction.atomic():
            AlarmDigest.objects.create(organisation=organisation, day=day, sent_at=now,
                                       recipients=len(recipients), alarm_count=len(alarms))
            audit_log(action="oversight.digest.send", organisation=organisation, details={
                "day": day.isoformat(), "recipients": len(recipients), "alarm_ids": [a.pk for a in alarms],
            })
            # One message per person: colleagues' addresses are not shared, and one bounce does not stop the rest.
            messages = [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
            get_connection(fail_silently=False).send_messages(messages)
    except IntegrityError:
        return 0  # today's digest already went out
    return len(recipients)
