"""The management plan and the change since the previous visit: human-only fields of a sign-off.

Rules (the sign-off service applies them; the review page and the API send the same four values):
- **When the plan is required.** At the sign-off that makes the case `final` (round 1 of a finding that needs no
  second review, a concordant round 2). At a sign-off that leaves the case for a second review or adjudication the
  plan is optional and stored when given: the review page shows the plan fields at every sign-off, so a first
  reviewer of a high-risk case can already say "biopsy". An amendment carries over the plan and the change of the
  sign-off it supersedes: it corrects the finding, not what was decided for the patient.
- **The follow-up date** goes with "monitor" only: required for it, after today, at most `MAX_FOLLOW_UP_YEARS`
  ahead (a typed year like 2062 is a slip, not a plan), refused for every other plan.
- **Change since the previous visit.** A lesion's first visit is "new" (the default when nothing is sent) or "not
  comparable"; a follow-up visit (an earlier case of the same lesion exists) is stable, changed or not comparable,
  and is required with the plan. "Changed" names at least one of size, colour, shape, symptoms; the other answers
  name none.
- Never pre-filled from the AI: nothing here reads a draft.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models.fields import FIELD_LABELS, FINDING_FIELDS
from dermreview.review.models import Review
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan

FOLLOW_UP_MONTHS = (3, 6, 12)
MAX_FOLLOW_UP_YEARS = 5
PLAN_FIELDS = ("management_plan", "follow_up_on", "change_since_previous", "change_aspects")


@dataclass(frozen=True, slots=True)
class PlanInput:
    """What the reviewer submitted, unvalidated ("" / None / () when not given)."""

    management_plan: str = ""
    follow_up_on: date | None = None
    change_since_previous: str = ""
    change_aspects: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"management_plan": self.management_plan, "follow_up_on": self.follow_up_on,
                "change_since_previous": self.change_since_previous, "change_aspects": list(self.change_aspects)}


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_choices(today: date) -> list[tuple[int, date]]:
    """The "3 / 6 / 12 months" buttons of the review page: (months, the date they set)."""
    return [(months, add_months(today, months)) for months in FOLLOW_UP_MONTHS]


def previous_visit(case: Case) -> Case | None:
    """The lesion's visit just before `case` (an earlier case of the same lesion and clinic), or None for a first
    visit or a case linked to no lesion."""
    if case.lesion_id is None:
        return None
    earlier = Q(created_at__lt=case.created_at) | Q(created_at=case.created_at, pk__lt=case.pk)
    return (Case.objects.filter(earlier, lesion_id=case.lesion_id, organisation_id=case.organisation_id)
            .order_by("-created_at", "-pk").first())


def plan_check(*, case: Case, plan: PlanInput, today: date, final: bool | None, errors: dict[str, str]
               ) -> dict[str, Any]:
    """The plan's values to store for a sign-off of `case`; its errors go into `errors`, and so does a missing plan
    (or change since the previous visit) when `final`: the sign-off makes the case final (None: not known yet,
    because the finding's fields do not clean; the reviewer hears about a missing plan once they do)."""
    follow_up_visit = previous_visit(case) is not None
    values = plan_clean(plan, follow_up_visit=follow_up_visit, today=today, errors=errors)
    for name, message in plan_require(values, final=bool(final), follow_up_visit=follow_up_visit).items():
        errors.setdefault(name, message)
    return values


def plan_clean(plan: PlanInput, *, follow_up_visit: bool, today: date, errors: dict[str, str]) -> dict[str, Any]:
    """The four values to store, checked for what they say (not yet whether they are required); errors by field
    are added to `errors`. A first visit with no change given gets "new"."""
    plan_value = plan.management_plan or ""
    if plan_value and plan_value not in ManagementPlan.values:
        errors["management_plan"] = f"Unknown management plan {plan_value!r}."
    errors.update(_follow_up_errors(plan_value, plan.follow_up_on, today))
    change = plan.change_since_previous or ("" if follow_up_visit else ChangeSincePrevious.NEW)
    aspects = list(dict.fromkeys(plan.change_aspects))
    errors.update(_change_errors(change, aspects, follow_up_visit=follow_up_visit))
    return {"management_plan": plan_value, "follow_up_on": plan.follow_up_on, "change_since_previous": change,
            "change_aspects": [a for a in ChangeAspect.values if a in aspects]}


def _follow_up_errors(plan_value: str, follow_up_on: date | None, today: date) -> dict[str, str]:
    if plan_value != ManagementPlan.MONITOR:
        return {"follow_up_on": "A follow-up date goes with \u201cMonitor\u201d only."} if follow_up_on else {}
    if follow_up_on is None:
        return {"follow_up_on": "Monitoring needs a follow-up date: 3, 6 or 12 months, or a date."}
    if follow_up_on <= today:
        return {"follow_up_on": "The follow-up date must be in the future."}
    if follow_up_on > add_months(today, 12 * MAX_FOLLOW_UP_YEARS):
        return {"follow_up_on": f"The follow-up date must be within {MAX_FOLLOW_UP_YEARS} years."}
    return {}


def _change_errors(change: str, aspects: list[str], *, follow_up_visit: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if change and change not in ChangeSincePrevious.values:
        errors["change_since_previous"] = f"Unknown answer {change!r}."
    elif follow_up_visit and change == ChangeSincePrevious.NEW:
        errors["change_since_previous"] = ("This lesion was seen at an earlier visit: choose stable, changed or "
                                           "not comparable.")
    elif not follow_up_visit and change in (ChangeSincePrevious.STABLE, ChangeSincePrevious.CHANGED):
        errors["change_since_previous"] = "This is the lesion's first visit: there is no earlier visit to compare."
    unknown = sorted(set(aspects) - set(ChangeAspect.values))
    if unknown:
        errors["change_aspects"] = f"Unknown aspects: {', '.join(unknown)}."
    elif change == ChangeSincePrevious.CHANGED and not aspects:
        errors["change_aspects"] = "Say what changed: size, colour, shape or symptoms."
    elif change != ChangeSincePrevious.CHANGED and aspects:
        errors["change_aspects"] = "What changed goes with \u201cChanged\u201d only."
    return errors


def plan_require(values: dict[str, Any], *, final: bool, follow_up_visit: bool) -> dict[str, str]:
    """The errors of a sign-off that makes the case final without a plan (or, at a follow-up visit, without the
    change since the previous visit). Empty when nothing is missing."""
    if not final:
        return {}
    errors: dict[str, str] = {}
    if not values["management_plan"]:
        errors["management_plan"] = "Choose a management plan: this sign-off makes the finding final."
    if follow_up_visit and not values["change_since_previous"]:
        errors["change_since_previous"] = "Record the change since the previous visit of this lesion."
    return errors


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A finding's plan and change since the previous visit, as pages show them (human-entered)."""

    plan: str  # ManagementPlan value, "" when none was recorded
    plan_label: str
    follow_up_on: date | None
    change: str
    change_label: str
    change_aspects: tuple[str, ...]  # labels


def plan_summary(version: Sequence[Review]) -> PlanSummary | None:
    """The plan of a finding whose standing sign-offs of one version are `version` (round order): the last that
    recorded a plan (a resolving sign-off may record none), else the last; None when nothing was recorded."""
    if not version:
        return None
    source = next((r for r in reversed(version) if r.management_plan), version[-1])
    if not (source.management_plan or source.change_since_previous):
        return None
    return PlanSummary(
        plan=source.management_plan, plan_label=source.get_management_plan_display(),
        follow_up_on=source.follow_up_on, change=source.change_since_previous,
        change_label=source.get_change_since_previous_display(),
        change_aspects=tuple(ChangeAspect(a).label for a in source.change_aspects if a in ChangeAspect.values),
    )


@dataclass(frozen=True, slots=True)
class SignedFinding:
    """A final case's current finding as the comparison and review pages show it (human-confirmed text)."""

    case_id: int
    review_id: int
    reviewer: str
    signed_at: Any
    rows: tuple[tuple[str, str], ...]  # (label, text) in FINDING_FIELDS order
    plan: PlanSummary | None


def signed_findings(case_ids: list[int]) -> dict[int, SignedFinding]:
    """The current finding of each of these cases that is final, in one query: the standing sign-off of the latest
    version with the highest round (the one that made it final), with its plan (`plan_summary`)."""
    reviews = (Review.objects.filter(case_id__in=case_ids, case__status=CaseStatus.FINAL, voided_at__isnull=True)
               .select_related("reviewer").order_by("case_id", "version", "round"))
    by_case: dict[int, list[Review]] = {}
    for review in reviews:
        by_case.setdefault(review.case_id, []).append(review)
    found: dict[int, SignedFinding] = {}
    for case_id, standing in by_case.items():
        latest = [r for r in standing if r.version == standing[-1].version]
        finding = latest[-1]
        found[case_id] = SignedFinding(
            case_id=case_id, review_id=finding.pk, reviewer=str(finding.reviewer), signed_at=finding.signed_at,
            rows=tuple((FIELD_LABELS[name], getattr(finding, name)) for name in FINDING_FIELDS),
            plan=plan_summary(latest),
        )
    return found


def carried_plan(review: Review) -> dict[str, Any]:
    """An amendment's plan: the superseded sign-off's, unchanged."""
    return {name: getattr(review, name) for name in PLAN_FIELDS}


def plan_audit(values: dict[str, Any]) -> dict[str, Any]:
    """The plan as the audit event records it (the date as ISO text)."""
    follow_up_on = values.get("follow_up_on")
    return {"management_plan": values.get("management_plan", ""),
            "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
            "change_since_previous": values.get("change_since_previous", ""),
            "change_aspects": list(values.get("change_aspects") or [])}



# What exports carry of the plan (the JSON record's keys, the CSV's columns), empty for an AI draft's record.
NO_PLAN_RECORD: dict[str, Any] = {"management_plan": "", "follow_up_on": None, "change_since_previous": "",
                                  "change_aspects": []}


def plan_record(plan: str | None, follow_up_on: date | None, change: str | None, aspects_json: str | None
                ) -> dict[str, Any]:
    """An exported finding's plan from its database row (`change_aspects` as its JSON text)."""
    aspects = json.loads(aspects_json) if aspects_json and aspects_json != "[]" else []
    return {"management_plan": plan or "", "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
            "change_since_previous": change or "", "change_aspects": list(aspects)}
