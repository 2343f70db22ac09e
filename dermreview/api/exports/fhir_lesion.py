"""The FHIR export's patient, lesion and plan resources (issue 14), mixed into `FhirBundleWriter`.

- **Patient**: the pseudonym only, as an identifier in the clinic's system; never a name. Year of birth as
  `birthDate` (FHIR's `date` allows a year alone) and `gender` when recorded. Written once per patient.
- **BodyStructure** per lesion: `location` coded with the body site (`urn:dermreview:body-site`, as on `Media`),
  laterality as `locationQualifier` (SNOMED CT 7771000 Left, 24028007 Right; "midline" as text), the lesion's label
  as `description`, the body-map position in an extension. Written once per lesion.
- **Observations** of a final finding, beside the six finding fields: the change since the previous visit (with
  the aspects that changed as components) and the management plan (the follow-up date as a component). Both name
  the lesion's BodyStructure through the core `bodySite` extension (R4 Observation has no reference to one).
- **presentedForm**: the PDF report (`dermreview/api/reports/`) of a final case, base64, on its DiagnosticReport,
  when the export asks for it (`include_reports`): rendering takes about a second per finding, so a bulk export
  leaves it out by default; the report of one case is also `GET /api/v1/cases/{id}/report.pdf`.

The lesion and plan of a chunk of findings come in one query (`lesion_details`), never a query per finding.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from dermreview.api.reports.pdf_report import ReportNotAvailable, case_report
from dermreview.api.reports.render import render_pdf
from dermreview.cases.models import BodySite, Case, CaseStatus
from dermreview.cases.models.lesion import BodyMapView, Laterality
from dermreview.review.models import Review
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan

SNOMED = "http://snomed.info/sct"
LATERALITY_CODES = {Laterality.LEFT: ("7771000", "Left"), Laterality.RIGHT: ("24028007", "Right")}
BODY_SITE_SYSTEM = "urn:dermreview:body-site"
OBSERVATION_SYSTEM = "urn:dermreview:observation"
BODY_SITE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/bodySite"
BODY_MAP_EXTENSION = "urn:dermreview:extension:body-map-position"
HUMAN_TAG = {"system": "urn:dermreview:label", "code": "reviewer-confirmed", "display": "Reviewer-confirmed finding"}
_GENDER = {"female": "female", "male": "male"}


@dataclass(frozen=True, slots=True)
class LesionDetails:
    """What one exported finding's lesion, patient and sign-off say beyond the finding record."""

    case_id: int
    case_status: str
    patient_id: int | None
    patient_ref: str
    birth_year: int | None
    sex: str
    lesion_id: int | None
    body_site: str
    laterality: str
    label: str
    map_view: str
    map_x: float | None
    map_y: float | None
    management_plan: str
    follow_up_on: date | None
    change_since_previous: str
    change_aspects: tuple[str, ...]


_DETAIL_COLUMNS = (
    "pk", "case_id", "case__status", "case__patient_id", "case__patient__reference", "case__patient__birth_year",
    "case__patient__sex", "case__lesion_id", "case__lesion__body_site", "case__lesion__laterality",
    "case__lesion__label", "case__lesion__map_view", "case__lesion__map_x", "case__lesion__map_y",
    "management_plan", "follow_up_on", "change_since_previous", "change_aspects",
)


def lesion_details(review_ids: Iterable[int]) -> dict[int, LesionDetails]:
    """The lesion, patient and plan of each finding (by its review id), in one query."""
    rows = Review.objects.filter(pk__in=list(review_ids)).values_list(*_DETAIL_COLUMNS)
    return {
        row[0]: LesionDetails(*row[1:7], row[7], row[8] or "", row[9] or "", row[10] or "", row[11] or "",
                              row[12], row[13], row[14] or "", row[15], row[16] or "", tuple(row[17] or ()))
        for row in rows
    }


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


class LesionResourcesMixin:
    """Patient, BodyStructure, plan Observations and the report's PDF, for `FhirBundleWriter`."""

    system: str
    meta: dict[str, Any]
    include_reports: bool
    _patients: set[int]
    _lesions: set[int]

    # FhirBundleWriter's: the resource URNs and the serialised bundle entries.
    urn: Callable[[str, object], str]
    _entry: Callable[[str, dict[str, Any]], str]

    def _patient_reference(self, details: LesionDetails) -> dict[str, Any]:
        return {"reference": self.urn("patient", details.patient_id), "type": "Patient",
                "identifier": {"system": f"{self.system}:patient-ref", "value": details.patient_ref}}

    def _lesion_entries(self, details: LesionDetails | None) -> Iterator[str]:
        """The finding's Patient and BodyStructure, each the first time a finding names it."""
        if details is None or details.patient_id is None:
            return
        if details.patient_id not in self._patients:
            self._patients.add(details.patient_id)
            yield self._entry(self.urn("patient", details.patient_id), self._patient_resource(details))
        if details.lesion_id is not None and details.lesion_id not in self._lesions:
            self._lesions.add(details.lesion_id)
            yield self._entry(self.urn("lesion", details.lesion_id), self._body_structure(details))

    def _patient_resource(self, details: LesionDetails) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "id": f"patient-{details.patient_id}",
            # The clinic's pseudonymous reference is the only identity the export carries: no name, no address.
            "identifier": [{"system": f"{self.system}:patient-ref", "value": details.patient_ref}],
        }
        if details.birth_year:
            resource["birthDate"] = f"{details.birth_year:04d}"
        if details.sex in _GENDER:
            resource["gender"] = _GENDER[details.sex]
        return resource

    def _body_structure(self, details: LesionDetails) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "BodyStructure",
            "id": f"lesion-{details.lesion_id}",
            "identifier": [{"system": f"{self.system}:lesion", "value": str(details.lesion_id)}],
            "active": True,
            "location": _concept(BODY_SITE_SYSTEM, details.body_site, _label(BodySite, details.body_site)),
            "patient": self._patient_reference(details),
        }
        if details.laterality in LATERALITY_CODES:
            code, display = LATERALITY_CODES[details.laterality]
            resource["locationQualifier"] = [_concept(SNOMED, code, display)]
        elif details.laterality == Laterality.MIDLINE:
            resource["locationQualifier"] = [{"text": "Midline"}]
        if details.label:
            resource["description"] = details.label
        if details.map_view and details.map_x is not None and details.map_y is not None:
            resource["extension"] = [{"url": BODY_MAP_EXTENSION, "extension": [
                {"url": "view", "valueCoding": {"system": "urn:dermreview:body-map-view", "code": details.map_view,
                                                "display": _label(BodyMapView, details.map_view)}},
                {"url": "x", "valueDecimal": round(details.map_x, 4)},
                {"url": "y", "valueDecimal": round(details.map_y, 4)},
            ]}]
        return resource

    def _plan_observations(self, *, details: LesionDetails | None, record: dict[str, Any], prefix: str, status: str,
                           performers: list[dict[str, str]], derived_from: list[str]) -> tuple[list[str], list[str]]:
        """The change since the previous visit and the management plan, when the sign-off recorded them: human-only
        decisions, derived from the finding's field Observations and named by the finding's identifier."""
        if details is None:
            return [], []
        urls, entries = [], []
        when = record["signed_at"]
        for name, resource in self._plan_values(details):
            url = self.urn("observation", f"{prefix}:{name}")
            resource |= {"resourceType": "Observation", "id": f"{prefix}-{name}", "meta": {"tag": [HUMAN_TAG]},
                         "identifier": [{"system": f"{self.system}:finding", "value": record["finding_id"]}],
                         "status": status, "performer": performers,
                         "derivedFrom": [{"reference": u} for u in derived_from]}
            resource["subject"] = (self._patient_reference(details) if details.patient_id is not None
                                   else {"type": "Patient", "identifier": {"system": f"{self.system}:patient-ref",
                                                                           "value": details.patient_ref}})
            if details.lesion_id is not None:
                resource["extension"] = [{"url": BODY_SITE_EXTENSION,
                                          "valueReference": {"reference": self.urn("lesion", details.lesion_id)}}]
            if when:
                resource["effectiveDateTime"] = when
                resource["issued"] = when
            urls.append(url)
            entries.append(self._entry(url, resource))
        return urls, entries

    def _plan_values(self, details: LesionDetails) -> Iterator[tuple[str, dict[str, Any]]]:
        if details.change_since_previous:
            change: dict[str, Any] = {
                "code": _concept(OBSERVATION_SYSTEM, "change-since-previous-visit", "Change since the previous visit"),
                "valueCodeableConcept": _concept("urn:dermreview:change-since-previous", details.change_since_previous,
                                                 _label(ChangeSincePrevious, details.change_since_previous)),
            }
            if details.change_aspects:
                change["component"] = [{
                    "code": _concept(OBSERVATION_SYSTEM, "changed-aspect", "What changed"),
                    "valueCodeableConcept": _concept("urn:dermreview:change-aspect", aspect,
                                                     _label(ChangeAspect, aspect)),
                } for aspect in details.change_aspects]
            yield "change-since-previous", change
        if details.management_plan:
            plan: dict[str, Any] = {
                "code": _concept(OBSERVATION_SYSTEM, "management-plan", "Management plan"),
                "valueCodeableConcept": _concept("urn:dermreview:management-plan", details.management_plan,
                                                 _label(ManagementPlan, details.management_plan)),
            }
            if details.follow_up_on:
                plan["component"] = [{"code": _concept(OBSERVATION_SYSTEM, "follow-up-date", "Follow-up due"),
                                      "valueDateTime": details.follow_up_on.isoformat()}]
            yield "management-plan", plan

    def _presented_form(self, details: LesionDetails | None, *, version: int) -> list[dict[str, Any]]:
        """The case's PDF report as an Attachment: final cases only, and only when the export asks for reports."""
        if not self.include_reports or details is None or details.case_status != CaseStatus.FINAL:
            return []
        now = timezone.now()
        try:
            report = case_report(case=Case.objects.get(pk=details.case_id),
                                 generated_by=self.meta.get("exported_by") or "export", generated_at=now)
        except ReportNotAvailable:  # amended while the export streamed: the report would not match the row
            return []
        if report.version != version:
            return []
        content = render_pdf(report)
        return [{
            "contentType": "application/pdf", "language": "en",
            "data": base64.b64encode(content).decode("ascii"), "size": len(content),
            # FHIR R4 Attachment.hash is the SHA-1 of the data, base64-encoded.
            "hash": base64.b64encode(hashlib.sha1(content).digest()).decode("ascii"),  # noqa: S324
            "title": f"DermReview report, case {details.case_id}, version {report.version}",
            "creation": now.isoformat(),
        }]
