"""A lesion's outcomes as pages show them: the current one (for `lesions/_outcome.html`) and the voided ones."""

from __future__ import annotations

from dermreview.cases.models import Lesion
from dermreview.cases.outcome_views import OutcomeView, current_outcomes, outcome_rows, outcome_view

__all__ = ["OutcomeView", "current_outcomes", "lesion_outcomes", "outcome_view"]


def lesion_outcomes(*, lesion: Lesion) -> tuple[OutcomeView, ...]:
    """Every outcome of the lesion, newest first: at most one current, the rest voided (one query)."""
    return tuple(outcome_view(row) for row in outcome_rows().filter(lesion=lesion))
