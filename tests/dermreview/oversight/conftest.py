"""Scenario builders for the oversight tests: many signed reviews and their scores, written in bulk.

The review and agreement services are tested elsewhere; these rows are written directly (as the factories do)
so the oversight figures can be checked against hand-computed answers at any scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from dermreview.cases.models import Case, CaseStatus
from dermreview.review.models import AgreementScore, Comparison, Review, ReviewOutcome
from tests.factories import SAMPLE_FINDING

MINILM = ("all-MiniLM-L6-v2", 6)


@pytest.fixture(autouse=True)
def _fresh_chart_cache() -> None:
    """Rendered charts are cached by content; start every test without them."""
    cache.clear()


def snapshot(model_id: str = "m/one", revision: str = "r1", prompt: str = "p1",
             fields: dict[str, str] | None = None) -> dict[str, Any]:
    """A draft snapshot in the shape the review service writes."""
    return {"model_id": model_id, "model_revision": revision, "prompt_version": prompt,
            "fields": dict(fields or SAMPLE_FINDING)}


def _value(value: Any, i: int) -> Any:
    return value(i) if callable(value) else value


def bulk_reviews(
    *, organisation: Any, reviewer: Any, count: int, creator: Any | None = None,
    signed_at: datetime | Callable[[int], datetime] | None = None,
    all_unchanged: bool | Callable[[int], bool] = True,
    time_on_task_ms: int | Callable[[int], int] = 40_000,
    outcome: str | Callable[[int], str] | None = None,
    draft_snapshot: dict[str, Any] | Callable[[int], dict[str, Any]] | None = None,
    high_risk: bool = False, body_site: str = "back", blind_first: bool = False,
    finding: dict[str, str] | None = None,
) -> list[Review]:
    """`count` final cases, each with one signed review by `reviewer` (newest last)."""
    now = timezone.now()
    creator = creator or reviewer
    cases = Case.objects.bulk_create([
        Case(organisation=organisation, patient_ref=f"PT-{reviewer.pk}-{i:05d}-{now.timestamp():.0f}",
             body_site=body_site, status=CaseStatus.FINAL, high_risk=high_risk, blind_first=blind_first,
             created_by=creator)
        for i in range(count)
    ])
    reviews = []
    for i, case in enumerate(cases):
        when = _value(signed_at, i) if signed_at is not None else now - timedelta(minutes=count - i)
        unchanged = _value(all_unchanged, i)
        reviews.append(Review(
            case=case, reviewer=reviewer,
            outcome=_value(outcome, i) if outcome is not None else (
                ReviewOutcome.ACCEPTED if unchanged else ReviewOutcome.EDITED),
            all_unchanged=unchanged, edited_fields=[] if unchanged else ["summary"],
            draft_snapshot=_value(draft_snapshot, i) if draft_snapshot is not None else snapshot(),
            attestation="I have reviewed the images and confirm this finding.",
            opened_at=when - timedelta(milliseconds=_value(time_on_task_ms, i)), signed_at=when,
            time_on_task_ms=_value(time_on_task_ms, i), **(finding or SAMPLE_FINDING),
        ))
    return Review.objects.bulk_create(reviews)


def bulk_scores(
    reviews: Iterable[Review], *, field: str, f1: float | Callable[[int], float],
    scorer: tuple[str, int] = MINILM, comparison: str = Comparison.DRAFT_VS_FINAL,
    exact: bool | Callable[[int], bool] | None = None,
) -> list[AgreementScore]:
    rows = []
    for i, review in enumerate(reviews):
        value = _value(f1, i)
        rows.append(AgreementScore(
            review=review, comparison=comparison, field=field, f1=value, precision=value, recall=value,
            exact_match=_value(exact, i) if exact is not None else value >= 0.99999,
            scorer_model=scorer[0], scorer_num_layers=scorer[1],
        ))
    return AgreementScore.objects.bulk_create(rows)
