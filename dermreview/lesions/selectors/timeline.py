"""A lesion's page (`/patients/lesions/<id>/`): its details, status and timeline of visits, newest first.

Each visit shows its photos (through the protected media URLs) and, once final, the signed finding with the
management plan and the change since the previous visit; a visit without a final finding shows its status
instead (an AI draft is never shown here). Five queries whatever the number of visits and photos: the visits,
their photos, their standing sign-offs, the current outcome, the patient's lesions (for the lesion's number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from dermreview.accounts.roles import can_create_cases
from dermreview.cases.models import Case, CaseStatus, Lesion, LesionImage, LesionOutcome
from dermreview.cases.selectors import image_positions
from dermreview.lesions.selectors.patient_page import LesionRow, Plan, lesion_row
from dermreview.review.models import Review
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan


@dataclass(frozen=True, slots=True)
class VisitPhoto:
    image_id: int
    position: int  # "Photo N" of its visit
    capture_type_label: str


@dataclass(frozen=True, slots=True)
class VisitFinding:
    """A visit's signed, human-confirmed finding (the sign-off that made the case final)."""

    lesion_type: str
    summary: str
    signed_by: tuple[str, ...]
    signed_at: datetime
    version: int
    management_plan: str  # label; "" when not recorded
    follow_up_on: date | None
    change_since_previous: str  # label; "" when not recorded
    change_aspects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Visit:
    case_id: int
    number: int  # visit 1 is the first
    created_at: datetime
    status: str
    status_label: str
    photos: tuple[VisitPhoto, ...]
    finding: VisitFinding | None


@dataclass(frozen=True, slots=True)
class OutcomeView:
    diagnosis: str
    diagnosed_on: date
    confirm_type: str
    lab_reference: str


@dataclass(frozen=True, slots=True)
class LesionTimeline:
    lesion: Lesion
    row: LesionRow  # number, status, visit count as on the patient page
    visits: tuple[Visit, ...]  # newest first
    outcome: OutcomeView | None
    can_add_visit: bool


def _finding(standing: Sequence[Review]) -> VisitFinding:
    final = standing[-1]
    return VisitFinding(
        lesion_type=final.lesion_type, summary=final.summary, signed_by=tuple(str(r.reviewer) for r in standing),
        signed_at=final.signed_at, version=final.version,
        management_plan=ManagementPlan(final.management_plan).label if final.management_plan else "",
        follow_up_on=final.follow_up_on,
        change_since_previous=(ChangeSincePrevious(final.change_since_previous).label
                               if final.change_since_previous else ""),
        change_aspects=tuple(ChangeAspect(a).label for a in final.change_aspects if a in ChangeAspect.values),
    )


def _standing_reviews(lesion: Lesion) -> dict[int, list[Review]]:
    """Each final case's standing sign-offs of its latest version, in round order. One query."""
    by_case: dict[int, list[Review]] = {}
    for review in (Review.objects.filter(case__lesion=lesion, case__status=CaseStatus.FINAL,
                                         voided_at__isnull=True)
                   .select_related("reviewer").order_by("case_id", "-version", "round")):
        shown = by_case.setdefault(review.case_id, [])
        if not shown or shown[0].version == review.version:
            shown.append(review)
    return by_case


def _photos(lesion: Lesion) -> dict[int, tuple[VisitPhoto, ...]]:
    images = list(LesionImage.objects.filter(case__lesion=lesion).order_by("case_id", "created_at", "pk"))
    by_case: dict[int, list[LesionImage]] = {}
    for image in images:
        by_case.setdefault(image.case_id, []).append(image)
    result: dict[int, tuple[VisitPhoto, ...]] = {}
    for case_id, photos in by_case.items():
        positions = image_positions(photos)
        result[case_id] = tuple(VisitPhoto(image_id=p.pk, position=positions[p.pk],
                                           capture_type_label=p.get_capture_type_display()) for p in photos)
    return result


def lesion_timeline(*, user: Any, lesion: Lesion) -> LesionTimeline:
    """The lesion's page for `user` (who may see it: the caller checked access); `lesion` with its patient."""
    cases = list(Case.objects.filter(lesion=lesion).order_by("-created_at", "-pk"))
    standing = _standing_reviews(lesion)
    photos = _photos(lesion)
    outcome = (LesionOutcome.objects.current().filter(lesion=lesion).select_related("diagnosis_class").first())
    siblings = list(Lesion.objects.filter(patient_id=lesion.patient_id).order_by("created_at", "pk")
                    .only("pk", "created_at"))
    number = next(index for index, other in enumerate(siblings, start=1) if other.pk == lesion.pk)
    plans = {case_id: Plan(rows[-1].management_plan, rows[-1].follow_up_on) for case_id, rows in standing.items()}
    row = lesion_row(lesion, number=number, visits=[(case.pk, case.status, case.created_at) for case in cases],
                     plans=plans, outcome_confirm=outcome.confirm_type if outcome else None,
                     today=timezone.localdate())
    visits = tuple(
        Visit(case_id=case.pk, number=len(cases) - index, created_at=case.created_at, status=case.status,
              status_label=case.get_status_display(), photos=photos.get(case.pk, ()),
              finding=_finding(standing[case.pk]) if case.pk in standing else None)
        for index, case in enumerate(cases)
    )
    return LesionTimeline(
        lesion=lesion, row=row, visits=visits,
        outcome=OutcomeView(diagnosis=str(outcome.diagnosis_class.name), diagnosed_on=outcome.diagnosed_on,
                            confirm_type=outcome.get_confirm_type_display(),
                            lab_reference=outcome.lab_reference) if outcome else None,
        can_add_visit=can_create_cases(user),
    )


