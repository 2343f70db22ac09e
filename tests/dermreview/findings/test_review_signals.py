"""Per-reviewer automation-bias signals: unchanged-acceptance rate and median time on task."""

from __future__ import annotations

import pytest

from dermreview.findings.models import FINDING_FIELDS, DraftStatus
from dermreview.findings.services.review_signals import reviewer_signals
from tests.dermreview.findings.review_helpers import NEVUS, ready_case, sign

pytestmark = pytest.mark.django_db


def test_reviewer_signals_rate_and_median_over_the_last_sign_offs(alice, bob, dave):
    sign(ready_case(alice), bob, opened_seconds_ago=100)  # oldest: falls out of a window of 3
    sign(ready_case(alice), bob, opened_seconds_ago=10)
    sign(ready_case(alice), bob, opened_seconds_ago=20)
    sign(ready_case(alice), bob, fields={**NEVUS, "color": "tan"}, confirmed=[f for f in FINDING_FIELDS if f != "color"],
         opened_seconds_ago=60)
    sign(ready_case(alice, draft_status=DraftStatus.FAILED), dave, draft=None, fields=NEVUS, confirmed=())
    signals = reviewer_signals(reviewer=bob, last_n=3)
    assert (signals.sign_offs, signals.with_draft) == (3, 3)
    assert signals.unchanged_rate == pytest.approx(2 / 3)
    assert 19_000 <= signals.median_time_on_task_ms <= 22_000
    everything = reviewer_signals(reviewer=bob)
    assert everything.sign_offs == 4 and everything.unchanged_rate == pytest.approx(3 / 4)
    manual_only = reviewer_signals(reviewer=dave)
    assert manual_only.with_draft == 0 and manual_only.unchanged_rate is None and manual_only.sign_offs == 1


def test_reviewer_signals_without_sign_offs_are_empty(bob):
    signals = reviewer_signals(reviewer=bob)
    assert signals.sign_offs == 0 and signals.unchanged_rate is None and signals.median_time_on_task_ms is None
    with pytest.raises(ValueError):
        reviewer_signals(reviewer=bob, last_n=0)
