"""Daily oversight work: evaluate the alarms of every organisation and send each its digest.

Celery beat runs `oversight_daily` once a day (DERMREVIEW_OVERSIGHT_DAILY_HOUR, UTC; registered in
dermreview/celery.py). It fans out one task per organisation, so one clinic's failure does not stop the others.
Both are safe to run twice: alarms are de-duplicated and the digest is claimed once per organisation and day.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from dermreview.accounts.models import Organisation
from dermreview.oversight.services.alarms import alarms_evaluate
from dermreview.oversight.services.digest import alarm_digest_send

logger = logging.getLogger(__name__)


@shared_task(name="dermreview.oversight.tasks.oversight_daily", soft_time_limit=60, time_limit=90)
def oversight_daily() -> int:
    """Queue the evaluation of every organisation; returns how many were queued."""
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for organisation_id in ids:
        oversight_evaluate_organisation.delay_on_commit(organisation_id)
    return len(ids)


@shared_task(name="dermreview.oversight.tasks.oversight_evaluate_organisation", soft_time_limit=300, time_limit=360)
def oversight_evaluate_organisation(organisation_id: int) -> dict[str, int]:
    """Evaluate one organisation's alarms, then email its digest of open alarms (once a day)."""
    try:
        result = alarms_evaluate(organisation_id=organisation_id)
        sent = alarm_digest_send(organisation_id=organisation_id)
    except Organisation.DoesNotExist:
        logger.info("organisation %s no longer exists; nothing to evaluate", organisation_id)
        return {"opened": 0, "refreshed": 0, "cleared": 0, "emails": 0}
    except SoftTimeLimitExceeded:
        # Nothing is half-written (each step is one transaction); tomorrow's run tries again.
        logger.error("oversight evaluation of organisation %s hit its time limit", organisation_id)
        raise
    return {"opened": len(result.opened), "refreshed": len(result.refreshed), "cleared": len(result.cleared),
            "emails": sent}
