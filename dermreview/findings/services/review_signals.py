"""Per-reviewer automation-bias signals, stored now and charted by the oversight dashboards.

A reviewer who accepts almost every AI draft unchanged, quickly, may be rubber-stamping. These figures are read
from the Review rows (`all_unchanged`, `time_on_task_ms`, `draft`): nothing extra is written.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from dermreview.findings.models import Review

DEFAULT_WINDOW = 50


@dataclass(frozen=True)
class ReviewerSignals:
    reviewer_id: int
    sign_offs: int  # in the window
    with_draft: int  # of those, sign-offs where an AI draft was shown (the rate's denominator)
    unchanged_rate: float | None  # share of `with_draft` accepted with every field unchanged; None if none
    median_time_on_task_ms: float | None


def reviewer_signals(*, reviewer: Any, last_n: int = DEFAULT_WINDOW) -> ReviewerSignals:
    """Running unchanged-acceptance rate and median time on task over `reviewer`'s last `last_n` sign-offs.

    Every sign-off counts, including ones later voided by an amendment: the signal is about how the reviewer
    behaved when signing, not about whether the finding still stands.
    """
    if last_n < 1:
        raise ValueError("last_n must be at least 1")
    rows = list(
        Review.objects.filter(reviewer=reviewer).order_by("-signed_at", "-pk")
        .values_list("all_unchanged", "time_on_task_ms", "draft_id")[:last_n]
    )
    with_draft = [unchanged for unchanged, _, draft_id in rows if draft_id is not None]
    return ReviewerSignals(
        reviewer_id=reviewer.pk,
        sign_offs=len(rows),
        with_draft=len(with_draft),
        unchanged_rate=(sum(with_draft) / len(with_draft)) if with_draft else None,
        median_time_on_task_ms=statistics.median(ms for _, ms, _ in rows) if rows else None,
    )


def reviewers_signals(*, reviewers: list[Any], last_n: int = DEFAULT_WINDOW) -> list[ReviewerSignals]:
    """`reviewer_signals` for several reviewers (one query each; reviewer lists are short)."""
    return [reviewer_signals(reviewer=r, last_n=last_n) for r in reviewers]
