"""Optimistic locking of a case during sign-off: a stale `expected_lock_version` is a conflict, never a silent win."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from dermreview.cases.models import Case
from dermreview.review.errors import ReviewConflict
from dermreview.review.models import Review

STALE_MESSAGE = "Someone else saved this case while you were working on it. Reload it; your input is kept below."


def lock_case(case: Case, expected_lock_version: int, submitted: dict[str, Any]) -> Case:
    """The case, row-locked, if it is still at `expected_lock_version`; else ReviewConflict."""
    # Row lock on PostgreSQL (SQLite serialises writers with IMMEDIATE transactions): a concurrent signer waits
    # here and then sees the bumped lock_version, instead of both passing the check.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.lock_version != expected_lock_version:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted, current_lock_version=locked.lock_version)
    return locked


@contextmanager
def case_locked(case: Case, expected_lock_version: int, submitted: dict[str, Any]) -> Iterator[Case]:
    """One signing transaction: the case row-locked at `expected_lock_version` (else ReviewConflict).

    A concurrent sign-off that wins a unique constraint (same round, same reviewer) is reported as the same
    conflict, carrying this call's input; after a successful commit `case` is refreshed from the database.
    """
    try:
        with transaction.atomic():
            yield lock_case(case, expected_lock_version, submitted)
    except IntegrityError:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted,
                             current_lock_version=current_lock_version(case)) from None
    case.refresh_from_db()


def commit_case(
    locked: Case, expected_lock_version: int, new_status: str, high_risk: bool, now: datetime,
    submitted: dict[str, Any],
) -> None:
    """Move the case to `new_status` and release its claim, by a conditional UPDATE on the lock version."""
    updated = Case.objects.filter(pk=locked.pk, lock_version=expected_lock_version).update(
        lock_version=F("lock_version") + 1, status=new_status, high_risk=high_risk,
        claimed_by=None, claim_expires_at=None, updated_at=now,
    )
    if updated != 1:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted, current_lock_version=current_lock_version(locked))


def current_lock_version(case: Case) -> int | None:
    return Case.objects.filter(pk=case.pk).values_list("lock_version", flat=True).first()


def latest_version(case: Case) -> int | None:
    """The highest finding version the case has (voided or not), None before its first sign-off."""
    return Review.objects.filter(case_id=case.pk).aggregate(v=Max("version"))["v"]
