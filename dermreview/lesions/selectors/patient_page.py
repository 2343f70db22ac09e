"""The patient page (`/patients/<id>/`): the patient, every lesion on the body map with its status, the list.

A lesion's status is what a mole clinic looks at first (`lesion_status`): excised, follow-up due, awaiting
review, final, or no visit yet. Four queries whatever the number of lesions and visits: the lesions, their
visits, the standing sign-offs of their final visits, their current outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

from dermreview.accounts.roles import can_create_cases
from dermreview.cases.models import BodyMapView, CaseStatus, ConfirmType, Lesion, LesionOutcome, Patient
from dermreview.cases.models import Case as CaseModel
from dermreview.review.models import Review
from dermreview.review.models.plan import ManagementPlan


class LesionStatus(StrEnum):
    NO_VISIT = "no_visit"
    AWAITING_REVIEW = "awaiting_review"
    FINAL = "final"
    FOLLOW_UP_DUE = "follow_up_due"
    EXCISED = "excised"


# What people read, and the marker's shape: the legend never relies on colour alone.
STATUS_LABELS = {
    LesionStatus.NO_VISIT: "No visit yet",
    LesionStatus.AWAITING_REVIEW: "Awaiting review",
    LesionStatus.FINAL: "Final",
    LesionStatus.FOLLOW_UP_DUE: "Follow-up due",
    LesionStatus.EXCISED: "Excised / biopsied",
}
STATUS_SHAPES = {
    LesionStatus.NO_VISIT: "ring",
    LesionStatus.AWAITING_REVIEW: "circle",
    LesionStatus.FINAL: "square",
    LesionStatus.FOLLOW_UP_DUE: "triangle",
    LesionStatus.EXCISED: "cross",
}

# Each figure's drawing size (the viewBox of static/img/body-map/<view>.svg): positions are fractions of it.
FIGURE_SIZES: dict[str, tuple[int, int]] = {
    BodyMapView.FRONT: (240, 480), BodyMapView.BACK: (240, 480), BodyMapView.HEAD: (400, 260),
    BodyMapView.HANDS: (400, 280), BodyMapView.FEET: (400, 280),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """The management plan of a visit's signed finding."""

    plan: str
    follow_up_on: date | None


def lesion_status(*, visits: Sequence[tuple[int, str]], plans: Mapping[int, Plan], outcome_confirm: str | None,
                  today: date) -> LesionStatus:
    """A lesion's status from its visits (case id, case status; newest first), the plans of its signed visits
    (case id -> plan), and how its current outcome was confirmed (None without one).

    Excised: an outcome confirmed by histopathology, or the latest signed finding plans a biopsy or excision.
    Awaiting review: the latest visit has no final finding yet. Follow-up due: the latest visit is signed with a
    monitoring plan whose date has come. Final otherwise.
    """
    latest_signed = next((plans[case_id] for case_id, status in visits
                          if status == CaseStatus.FINAL and case_id in plans), None)
    if outcome_confirm == ConfirmType.HISTOPATHOLOGY or (
            latest_signed is not None and latest_signed.plan == ManagementPlan.BIOPSY):
        return LesionStatus.EXCISED
    if not visits:
        return LesionStatus.NO_VISIT
    if visits[0][1] != CaseStatus.FINAL:
        return LesionStatus.AWAITING_REVIEW
    if (latest_signed is not None and latest_signed.plan == ManagementPlan.MONITOR
            and latest_signed.follow_up_on is not None and latest_signed.follow_up_on <= today):
        return LesionStatus.FOLLOW_UP_DUE
    return LesionStatus.FINAL


def signed_plans(lesion_ids: Sequence[int]) -> dict[int, Plan]:
    """The management plan of the standing finding (its latest version's last round) of each final visit of these
    lesions, by case id. One query."""
    rows = (Review.objects.filter(case__lesion_id__in=lesion_ids, case__status=CaseStatus.FINAL, voided_at__isnull=True)
            .order_by("case_id", "version", "round").values_list("case_id", "management_plan", "follow_up_on"))
    # Ordered by version and round: the last row of each case is the sign-off that made it final.
    return {case_id: Plan(plan, follow_up_on) for case_id, plan, follow_up_on in rows}


@dataclass(frozen=True, slots=True)
class LesionRow:
    lesion_id: int
    number: int  # "L1", "L2": the lesion's place among the patient's lesions, oldest first
    label: str
    body_site: str
    laterality: str
    map_view: str
    map_x: float | None
    map_y: float | None
    status: LesionStatus
    visit_count: int
    last_visit_at: datetime | None
    follow_up_on: date | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def shape(self) -> str:
        return STATUS_SHAPES[self.status]

    @property
    def name(self) -> str:
        """How the map and the list name the lesion: its number, then its label or its site."""
        return f"L{self.number} {self.label or self.site_text}"

    @property
    def site_text(self) -> str:
        if self.laterality in ("", "Not recorded"):
            return self.body_site
        return f"{self.laterality} {self.body_site[:1].lower()}{self.body_site[1:]}"


@dataclass(frozen=True, slots=True)
class Marker:
    """A lesion drawn on a figure, in the figure's own units (`cx`, `cy`)."""

    lesion: LesionRow
    cx: float
    cy: float
    moving: bool


@dataclass(frozen=True, slots=True)
class FigureView:
    key: str
    label: str
    width: int
    height: int
    selected: bool
    markers: tuple[Marker, ...]
    count: int

    @property
    def image(self) -> str:
        return f"img/body-map/{self.key}.svg"


@dataclass(frozen=True, slots=True)
class PatientPage:
    patient: Patient
    lesions: tuple[LesionRow, ...]
    views: tuple[FigureView, ...]
    view: FigureView  # the figure shown
    unplaced: tuple[LesionRow, ...]
    moving: LesionRow | None  # the lesion a click on the figure moves; None: a click places a new one
    can_edit: bool
    legend: tuple[tuple[str, str, str], ...]  # (status, label, shape)


def lesion_rows(lesions: Sequence[Lesion], *, today: date | None = None) -> tuple[LesionRow, ...]:
    """Each lesion with its status and visits, in three queries (`lesions` already read)."""
    today = today or timezone.localdate()
    ids = [lesion.pk for lesion in lesions]
    visits: dict[int, list[tuple[int, str, datetime]]] = {pk: [] for pk in ids}
    for case_id, lesion_id, status, created_at in (
            CaseModel.objects.filter(lesion_id__in=ids).order_by("-created_at", "-pk")
            .values_list("pk", "lesion_id", "status", "created_at")):
        visits[lesion_id].append((case_id, status, created_at))
    plans = signed_plans(ids)
    outcomes = dict(LesionOutcome.objects.current().filter(lesion_id__in=ids)
                    .values_list("lesion_id", "confirm_type"))
    return tuple(lesion_row(lesion, number=number, visits=visits[lesion.pk], plans=plans,
                            outcome_confirm=outcomes.get(lesion.pk), today=today)
                 for number, lesion in enumerate(lesions, start=1))


def lesion_row(lesion: Lesion, *, number: int, visits: Sequence[tuple[int, str, datetime]], plans: Mapping[int, Plan],
               outcome_confirm: str | None, today: date) -> LesionRow:
    """One lesion as the pages list it; `visits` (case id, status, opened) newest first."""
    seen = [(case_id, status) for case_id, status, _ in visits]
    latest_plan = next((plans[case_id] for case_id, _ in seen if case_id in plans), None)
    return LesionRow(
        lesion_id=lesion.pk, number=number, label=lesion.label, body_site=lesion.get_body_site_display(),
        laterality=lesion.get_laterality_display(), map_view=lesion.map_view, map_x=lesion.map_x,
        map_y=lesion.map_y, visit_count=len(seen), last_visit_at=visits[0][2] if visits else None,
        status=lesion_status(visits=seen, plans=plans, outcome_confirm=outcome_confirm, today=today),
        follow_up_on=latest_plan.follow_up_on if latest_plan and latest_plan.plan == ManagementPlan.MONITOR
        else None,
    )


def _figure(key: str, label: str, rows: Sequence[LesionRow], *, selected: bool, moving_id: int | None) -> FigureView:
    width, height = FIGURE_SIZES[key]
    placed = [row for row in rows if row.map_view == key and row.map_x is not None and row.map_y is not None]
    markers = tuple(Marker(lesion=row, cx=round(row.map_x * width, 2), cy=round(row.map_y * height, 2),
                           moving=row.lesion_id == moving_id) for row in placed)  # type: ignore[operator]
    return FigureView(key=key, label=label, width=width, height=height, selected=selected, markers=markers,
                      count=len(markers))


def patient_page(*, user: Any, patient: Patient, view: str = "", move: int | None = None) -> PatientPage:
    """Everything the patient page shows `user` (who may see `patient`: the caller checked access).

    `view` picks the figure (default: the first with a lesion on it, else the front); `move` names a lesion that
    a click on the figure moves (ignored unless it is this patient's).
    """
    rows = lesion_rows(list(Lesion.objects.filter(patient=patient).order_by("created_at", "pk")))
    moving = next((row for row in rows if row.lesion_id == move), None)
    if view not in BodyMapView.values:
        view = moving.map_view if moving and moving.map_view else next(
            (row.map_view for row in rows if row.map_view), BodyMapView.FRONT)
    moving_id = moving.lesion_id if moving else None
    views = tuple(_figure(key, label, rows, selected=key == view, moving_id=moving_id)
                  for key, label in BodyMapView.choices)
    return PatientPage(
        patient=patient, lesions=rows, views=views, view=next(v for v in views if v.selected),
        unplaced=tuple(row for row in rows if not row.map_view), moving=moving, can_edit=can_create_cases(user),
        legend=tuple((status.value, STATUS_LABELS[status], STATUS_SHAPES[status]) for status in LesionStatus),
    )
