"""Real accuracy: what each lesion turned out to be (its current `LesionOutcome`) against three readers.

The unit is **one lesion with a current outcome** (a voided outcome is never counted), read at one visit:

- **The visit that counts** is the lesion's *last visit whose finding was signed on or before the outcome date*
  (the local date of the final sign-off, `signed_at`, ≤ `diagnosed_on`). Only final cases count, and of each the
  standing (non-void) sign-off of the highest version and round: the finding the clinic acted on. A visit signed
  after the outcome date, or amended after it, is not counted (its finding may have been written knowing the
  result); an earlier visit of the same lesion then counts if there is one. A lesion with no such visit is left
  out and counted as "no signed visit before the outcome".
- **The AI**: the lesion type of the AI draft that final sign-off was signed against (the review's snapshot of
  it, else the draft row), mapped onto the clinic's vocabulary as the review page maps it
  (`cases.selectors.lesion_class_mapping`): a text that names no class counts as high-risk, as the review rules
  treat it (`review.services.rules.is_high_risk`). A visit signed without a draft has no AI reading.
- **The humans**: the reviewer's own finding recorded before the AI draft was shown (`BlindFinding`, blind-first
  cases only): the earliest one of the visit, i.e. the first reviewer's unaided call.
- **Humans with AI**: the final signed finding's class (`Review.lesion_class`).

Figures are grouped **per model version** (model id, revision and prompt version of that draft), with the visits
reviewed without a draft in a group of their own; each reader's n is the lesions it has a reading for. The
figures themselves are computed in `accuracy_figures.py`. Four queries, whatever the number of lesions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dermreview.cases.models import (
    CaseStatus,
    ConfirmType,
    DiagnosisClass,
    LesionImage,
    LesionOutcome,
    Vocabulary,
)
from dermreview.cases.models.diagnosis_class import term_key
from dermreview.oversight.selectors.filters import draft_attr
from dermreview.oversight.selectors.strata import NOT_RECORDED
from dermreview.review.models import BlindFinding, ManagementPlan, Review

ModelKey = tuple[str, str, str]  # model id, model revision, prompt version; ("", "", "") without a draft
NO_DRAFT: ModelKey = ("", "", "")
READERS: tuple[tuple[str, str], ...] = (
    ("ai", "AI alone"),
    ("human", "Humans alone (blind-first finding)"),
    ("final", "Humans with AI (signed finding)"),
)
# The shared vocabulary's melanoma classes (in situ forms and lentigo maligna included); a clinic's own class
# counts when "melanoma" is a word of its name.
_MELANOMA_CODES = frozenset({"mel", "lm", "lmm"})


def is_melanoma(diagnosis: DiagnosisClass) -> bool:
    if diagnosis.organisation_id is None:
        return diagnosis.code in _MELANOMA_CODES or diagnosis.code.startswith("mel-")
    return "melanoma" in term_key(diagnosis.name).split()


@dataclass(frozen=True)
class ClassInfo:
    code: str
    name: str
    high_risk: bool
    melanoma: bool
    ordering: int


@dataclass(frozen=True)
class Reading:
    """One lesion at its counted visit: the outcome's class and each reader's (None: the reader's text names no
    class; a reader with no reading at all is left out of `readings`)."""

    lesion_id: int
    case_id: int
    truth: str
    readings: dict[str, str | None]
    biopsied: bool
    model: ModelKey
    fitzpatrick: str
    capture: str

    def has(self, reader: str) -> bool:
        return reader in self.readings


@dataclass(frozen=True)
class OutcomeReadings:
    readings: list[Reading]
    classes: dict[str, ClassInfo]
    with_outcome: int  # lesions with a current outcome
    no_visit_before: int  # of them, without a signed visit on or before the outcome date


def _classes(organisation_id: int) -> tuple[dict[int, DiagnosisClass], Vocabulary]:
    # Inactive classes too: an outcome or a signed finding keeps its class after the class is retired.
    rows = list(DiagnosisClass.objects.for_organisation(organisation_id))
    return {row.pk: row for row in rows}, Vocabulary.of([row for row in rows if row.active])


def _outcomes(organisation_id: int) -> list[dict[str, Any]]:
    return list(
        LesionOutcome.objects.current().filter(lesion__patient__organisation_id=organisation_id)
        .values("lesion_id", "diagnosis_class_id", "diagnosed_on", "confirm_type", "lesion__patient__fitzpatrick_type")
    )


def _signoffs(organisation_id: int) -> list[dict[str, Any]]:
    """The standing sign-offs of the final visits of lesions with a current outcome."""
    with_outcome = LesionOutcome.objects.current().filter(lesion__patient__organisation_id=organisation_id)
    first_photo = LesionImage.objects.filter(case=OuterRef("case_id")).order_by("pk").values("capture_type")[:1]
    return list(
        Review.objects.filter(
            case__organisation_id=organisation_id, case__status=CaseStatus.FINAL, voided_at__isnull=True,
            case__lesion_id__in=with_outcome.values("lesion_id"),
        ).order_by()
        .annotate(
            ai_lesion_type=draft_attr("lesion_type"), mv_model_id=draft_attr("model_id"),
            mv_model_revision=draft_attr("model_revision"), mv_prompt_version=draft_attr("prompt_version"),
            capture=Coalesce(F("draft__image__capture_type"), Subquery(first_photo), Value(NOT_RECORDED),
                             output_field=CharField()),
        )
        .values("case_id", "case__lesion_id", "signed_at", "version", "round", "lesion_class_id", "lesion_type",
                "management_plan", "ai_lesion_type", "mv_model_id", "mv_model_revision", "mv_prompt_version",
                "capture")
    )


def _first_blind_findings(organisation_id: int, case_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = (
        BlindFinding.objects.filter(case__organisation_id=organisation_id, case_id__in=case_ids)
        .order_by("case_id", "created_at", "pk").values("case_id", "lesion_class_id", "lesion_type")
    )
    first: dict[int, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["case_id"], row)
    return first


def _final_signoffs(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Per lesion, each final visit's deciding sign-off (highest version, then round)."""
    per_case: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = per_case.get(row["case_id"])
        if kept is None or (row["version"], row["round"]) > (kept["version"], kept["round"]):
            per_case[row["case_id"]] = row
    per_lesion: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in per_case.values():
        per_lesion[row["case__lesion_id"]].append(row)
    return per_lesion


def counted_visit(visits: list[dict[str, Any]], diagnosed_on: date) -> dict[str, Any] | None:
    """The last visit whose final finding was signed on or before `diagnosed_on` (local dates), or None."""
    before = [v for v in visits if timezone.localtime(v["signed_at"]).date() <= diagnosed_on]
    return max(before, key=lambda v: (v["signed_at"], v["case_id"]), default=None)


def _class_code(class_id: int | None, text: str, classes: dict[int, DiagnosisClass], vocabulary: Vocabulary) -> str | None:
    """A finding's class code: its stored class, else (rows signed before the vocabulary) what its text names."""
    if class_id is not None and class_id in classes:
        return classes[class_id].code
    found = vocabulary.match(text or "")
    return found.code if found is not None else None


def outcome_readings(*, organisation_id: int) -> OutcomeReadings:
    """Every lesion of the organisation with a current outcome and a counted visit, read by the three readers."""
    classes, vocabulary = _classes(organisation_id)
    outcomes = _outcomes(organisation_id)
    per_lesion = _final_signoffs(_signoffs(organisation_id))
    chosen = {o["lesion_id"]: counted_visit(per_lesion.get(o["lesion_id"], []), o["diagnosed_on"]) for o in outcomes}
    blind = _first_blind_findings(organisation_id, {v["case_id"] for v in chosen.values() if v is not None})
    readings = []
    for outcome in outcomes:
        visit = chosen[outcome["lesion_id"]]
        if visit is None or outcome["diagnosis_class_id"] not in classes:  # another clinic's class: never valid here
            continue
        by_reader: dict[str, str | None] = {
            "final": _class_code(visit["lesion_class_id"], visit["lesion_type"], classes, vocabulary)}
        if visit["ai_lesion_type"]:
            by_reader["ai"] = _class_code(None, visit["ai_lesion_type"], classes, vocabulary)
        if visit["case_id"] in blind:
            row = blind[visit["case_id"]]
            by_reader["human"] = _class_code(row["lesion_class_id"], row["lesion_type"], classes, vocabulary)
        model = (visit["mv_model_id"], visit["mv_model_revision"], visit["mv_prompt_version"])
        readings.append(Reading(
            lesion_id=outcome["lesion_id"], case_id=visit["case_id"],
            truth=classes[outcome["diagnosis_class_id"]].code, readings=by_reader,
            biopsied=(visit["management_plan"] == ManagementPlan.BIOPSY
                      or outcome["confirm_type"] == ConfirmType.HISTOPATHOLOGY),
            model=model if visit["ai_lesion_type"] else NO_DRAFT,
            fitzpatrick=outcome["lesion__patient__fitzpatrick_type"] or NOT_RECORDED, capture=visit["capture"],
        ))
    info = {row.code: ClassInfo(row.code, row.name, row.high_risk, is_melanoma(row), row.ordering)
            for row in classes.values()}
    return OutcomeReadings(readings=readings, classes=info, with_outcome=len(outcomes),
                           no_visit_before=sum(v is None for v in chosen.values()))
