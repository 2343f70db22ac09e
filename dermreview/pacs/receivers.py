"""The pacs app's answers to what apps below it announce (connected in `PacsConfig.ready`)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from dermreview.cases.models import Case, CaseStatus
from dermreview.review.errors import ReviewError

logger = logging.getLogger(__name__)


def dicom_auto_send_on_final(sender: Any, *, instance: Any, created: bool, **kwargs: Any) -> None:
    """`post_save` of a Review: with DERMREVIEW_DICOM_AUTO_SEND, a sign-off that left its case final sends it.

    The case's status is written after the Review row in the same transaction, so it is read after the commit; the
    send is its own transaction (a refused or failed request never undoes the sign-off)."""
    if not created or not settings.DERMREVIEW_DICOM_AUTO_SEND:
        return
    case_id = instance.case_id
    transaction.on_commit(lambda: _auto_send(case_id))


def _auto_send(case_id: int) -> None:
    from dermreview.pacs.services.send import dicom_send_request

    case = Case.objects.filter(pk=case_id, status__exact=CaseStatus.FINAL).first()
    if case is None:  # e.g. a high-risk first sign-off: final only after the second
        return
    try:
        dicom_send_request(case=case, user=None, auto=True)
    except ReviewError as refused:
        logger.warning("dicom auto-send of case %s refused: %s", case_id, refused.message)


def dicom_case_page_panel(sender: Any, *, user: Any, case: Case, **kwargs: Any) -> dict[str, object]:
    """`review.signals.case_page_shown`: the DICOM panel (templates/pacs/_case_dicom.html)."""
    from dermreview.pacs.selectors import case_dicom_panel

    panel = case_dicom_panel(user=user, case=case)
    return {"dicom": panel} if panel.configured or panel.sends else {}
