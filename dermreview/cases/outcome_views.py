"""A lesion's outcome as pages show it (the case page, the lesion pages): `OutcomeView` and its queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from dermreview.cases.models import LesionOutcome


@dataclass(frozen=True, slots=True)
class OutcomeView:
    outcome_id: int
    lesion_id: int
    diagnosis: str
    high_risk: bool
    diagnosed_on: datetime.date
    confirm_type: str
    confirm_label: str
    lab_reference: str
    notes: str
    recorded_by: str
    recorded_at: datetime.datetime
    voided_at: datetime.datetime | None
    voided_by: str
    void_reason: str

    @property
    def summary(self) -> str:
        """How it was confirmed, when, and the lab's reference: "histopathology, 2026-11-20, lab ref HP-1"."""
        parts = [self.confirm_label[:1].lower() + self.confirm_label[1:], self.diagnosed_on.isoformat()]
        if self.lab_reference:
            parts.append(f"lab ref {self.lab_reference}")
        return ", ".join(parts)


def outcome_view(outcome: LesionOutcome) -> OutcomeView:
    """`outcome` must come with `diagnosis_class`, `recorded_by` and `voided_by` selected."""
    return OutcomeView(
        outcome_id=outcome.pk, lesion_id=outcome.lesion_id, diagnosis=outcome.diagnosis_class.name,
        high_risk=outcome.diagnosis_class.high_risk, diagnosed_on=outcome.diagnosed_on,
        confirm_type=outcome.confirm_type, confirm_label=str(outcome.get_confirm_type_display()),
        lab_reference=outcome.lab_reference, notes=outcome.notes, recorded_by=str(outcome.recorded_by),
        recorded_at=outcome.recorded_at, voided_at=outcome.voided_at,
        voided_by=str(outcome.voided_by) if outcome.voided_by_id else "", void_reason=outcome.void_reason,
    )


def outcome_rows() -> Iterable[LesionOutcome]:
    return LesionOutcome.objects.select_related("diagnosis_class", "recorded_by", "voided_by")


def current_outcomes(lesion_ids: Iterable[int]) -> dict[int, OutcomeView]:
    """The current outcome of each of these lesions that has one, by lesion id (one query, for lists)."""
    rows = outcome_rows().filter(lesion_id__in=list(lesion_ids)).current()
    return {row.lesion_id: outcome_view(row) for row in rows}
