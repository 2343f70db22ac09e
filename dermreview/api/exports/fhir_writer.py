"""FHIR R4 (R4B-compatible) export: one `Bundle` of type `collection`, streamed entry by entry.

Per photo a `Media` (the photo by reference to its protected URL, content type, body site); per final finding a
`DiagnosticReport` (status `final`, or `amended` when it supersedes an earlier signed version; only the current
version of each case is in the bundle, tagged `amendment-in-progress` while an amendment awaits its second reviewer; a dual review's resolution, e.g.
`concordant`, in the `urn:dermreview:extension:resolution` extension) with one `Observation` per field, and a `Provenance` whose agents are the AI
model (a `Device` carrying model id, revision, prompt version and the commit its weights resolved to, as author
of the draft) and the signing reviewers (`Practitioner`s identified by username and id, as verifiers). Included AI drafts (auditors, on request)
become `preliminary` reports tagged `unreviewed-ai-draft`, whose only agent is the Device. The patient appears only
as a pseudonymous identifier (`subject.identifier`), never by name: a finding linked to a patient and lesion also
brings a `Patient` (the pseudonym, year of birth, sex), a `BodyStructure` per lesion with its laterality, its change
since the previous visit and management plan as Observations, and on request its PDF report as `presentedForm`
(`fhir_lesion.py`).

Resource ids and `fullUrl`s are deterministic (`urn:uuid:` from a UUID5 of the clinic and the row), so a receiving
system can recognise a photo, reviewer or model it has seen in an earlier export. Devices and Practitioners are
written once, the first time a finding names them (a clinic has few of either); photos are written with their
finding, or with the first AI draft of a photo that no exported finding covers (drafts are read in photo order).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

from dermreview.api.exports import records as export_records
from dermreview.api.exports.fhir_lesion import HUMAN_TAG, LesionDetails, LesionResourcesMixin, lesion_details
from dermreview.api.exports.records import (
    ExportScope,
    Record,
    UrlBuilder,
    draft_records,
    finding_record_batches,
)
from dermreview.cases.models import BodySite, CaptureType
from dermreview.cases.selectors import AI_SUGGESTION_LABEL
from dermreview.drafting.models.fields import FIELD_LABELS, FINDING_FIELDS
from dermreview.review.models.review import ReviewResolution

PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
AI_DRAFT_TAG = {"system": "urn:dermreview:label", "code": "unreviewed-ai-draft",
                "display": "Unreviewed AI draft: not a diagnosis"}
DIAGNOSIS_CLASS_SYSTEM = "urn:dermreview:diagnosis-class"
AMENDING_TAG = {"system": "urn:dermreview:label", "code": "amendment-in-progress",
                "display": "Current signed finding; an amendment awaits its second reviewer"}
RESOLUTION_EXTENSION = "urn:dermreview:extension:resolution"
RESOLUTION_SYSTEM = "urn:dermreview:resolution"


def resolution_extension(resolution: str) -> dict[str, Any]:
    """How a dual review was resolved, on its DiagnosticReport: R4/R4B reports have no `note`, so an extension."""
    return {"url": RESOLUTION_EXTENSION, "valueCoding": {
        "system": RESOLUTION_SYSTEM, "code": resolution, "display": str(ReviewResolution(resolution).label)}}


def report_status(record: Record) -> str:
    """FHIR R4: a report that replaces an earlier signed one is `amended`, else `final`; the bundle holds only the
    current one. A version after 1 only comes from an amendment (whose round 2 does not name what it supersedes)."""
    return "amended" if record["supersedes_review_id"] or record["version"] > 1 else "final"


class FhirBundleWriter(LesionResourcesMixin):
    """Writes the bundle for one organisation; `system` namespaces its identifiers (e.g. urn:dermreview:riverside).
    `include_reports`: each final finding's DiagnosticReport carries its PDF report (`fhir_lesion.py`)."""

    def __init__(self, *, scope: ExportScope, urls: UrlBuilder, system: str, meta: dict[str, Any],
                 include_reports: bool = False) -> None:
        self.scope = scope
        self.urls = urls
        self.system = system
        self.meta = meta
        self.include_reports = include_reports
        # One Patient and one BodyStructure per patient and lesion named (ids only: a few bytes per lesion).
        self._patients: set[int] = set()
        self._lesions: set[int] = set()
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, system).bytes
        # Bounded by the clinic's staff and model versions, not by the number of findings.
        self._devices: set[str] = set()
        self._practitioners: set[int] = set()

    # --- references --------------------------------------------------------------------------------------

    def urn(self, kind: str, key: object) -> str:
        """`urn:uuid:` + the RFC 4122 UUID5 of `kind:key` in this clinic's namespace (uuid.uuid5, inlined: it
        runs for every resource and reference)."""
        digest = bytearray(hashlib.sha1(self._namespace + f"{kind}:{key}".encode()).digest()[:16])  # noqa: S324
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        h = digest.hex()
        return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _subject(self, case: dict[str, Any]) -> dict[str, Any]:
        return {"type": "Patient", "identifier": {"system": f"{self.system}:patient-ref", "value": case["patient_ref"]}}

    @staticmethod
    def _device_key(ai: dict[str, Any]) -> str:
        raw = f"{ai['model_id']}|{ai['model_revision']}|{ai['prompt_version']}"
        # Weights that resolved to another commit are another device; drafts that did not report one keep the
        # ids earlier exports gave them.
        if ai.get("resolved_revision"):
            raw += f"|{ai['resolved_revision']}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    # --- resources ---------------------------------------------------------------------------------------

    def _entry(self, url: str, resource: dict[str, Any]) -> str:
        return json.dumps({"fullUrl": url, "resource": resource}, ensure_ascii=False)

    def _media(self, image: dict[str, Any], case: dict[str, Any]) -> str:
        site = case["body_site"]
        resource = {
            "resourceType": "Media",
            "id": f"image-{image['id']}",
            "status": "completed",
            "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
            "modality": {"coding": [{"system": "urn:dermreview:capture-type", "code": image["capture_type"],
                                     "display": str(CaptureType(image["capture_type"]).label)}]},
            "subject": self._subject(case),
            "bodySite": {"coding": [{"system": "urn:dermreview:body-site", "code": site,
                                     "display": str(BodySite(site).label)}], "text": str(BodySite(site).label)},
            "width": image["width"],
            "height": image["height"],
            "content": {"contentType": image["content_type"], "url": image["url"],
                        "title": f"image-{image['id']}"},
        }
        if image["created_at"]:
            resource["createdDateTime"] = image["created_at"]
        return self._entry(self.urn("image", image["id"]), resource)

    def _device(self, ai: dict[str, Any]) -> tuple[str, str | None]:
        """The Device's reference, and its entry the first time it is named."""
        key = self._device_key(ai)
        url = self.urn("device", key)
        if key in self._devices:
            return url, None
        self._devices.add(key)
        resource = {
            "resourceType": "Device",
            "id": f"model-{key}",
            "deviceName": [{"name": ai["model_id"] or "unknown model", "type": "model-name"}],
            "type": {"text": "AI dermatology vision-language model (writes unreviewed drafts only)"},
            "version": [
                {"type": {"text": "model revision"}, "value": ai["model_revision"] or "unknown"},
                {"type": {"text": "prompt version"}, "value": ai["prompt_version"] or "unknown"},
            ],
        }
        if ai.get("resolved_revision"):
            # What "main" (or any branch) resolved to when the weights were loaded: the version a review can check.
            resource["version"].append({"type": {"text": "resolved weights revision"},
                                        "value": ai["resolved_revision"]})
        return url, self._entry(url, resource)

    def _practitioner(self, reviewer: dict[str, Any]) -> tuple[str, str | None]:
        url = self.urn("user", reviewer["id"])
        if reviewer["id"] in self._practitioners:
            return url, None
        self._practitioners.add(reviewer["id"])
        resource = {
            "resourceType": "Practitioner",
            "id": f"user-{reviewer['id']}",
            "identifier": [
                {"system": f"{self.system}:username", "value": reviewer["username"]},
                {"system": f"{self.system}:user-id", "value": str(reviewer["id"])},
            ],
        }
        return url, self._entry(url, resource)

    def _observations(self, *, prefix: str, values: dict[str, str], status: str, case: dict[str, Any],
                      when: str | None, performers: list[dict[str, str]], media: list[dict[str, str]],
                      tag: dict[str, str], lesion_class: dict[str, Any] | None = None) -> tuple[list[str], list[str]]:
        urls, entries = [], []
        for name in FINDING_FIELDS:
            url = self.urn("observation", f"{prefix}:{name}")
            label = FIELD_LABELS[name]
            if tag is AI_DRAFT_TAG and name == "lesion_type":
                label = f"{label} ({AI_SUGGESTION_LABEL})"
            resource: dict[str, Any] = {
                "resourceType": "Observation",
                "id": f"{prefix}-{name.replace('_', '-')}",
                "meta": {"tag": [tag]},
                "status": status,
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging", "display": "Imaging"}]}],
                "code": {"coding": [{"system": "urn:dermreview:finding-field", "code": name,
                                     "display": FIELD_LABELS[name]}], "text": label},
                "subject": self._subject(case),
                "performer": performers,
            }
            if when:
                resource["effectiveDateTime"] = when
                resource["issued"] = when
            value = values.get(name) or ""
            if value and name == "lesion_type" and lesion_class:
                # The signed lesion type as its diagnosis class, with the reviewer's words (qualifier included).
                resource["valueCodeableConcept"] = {"coding": [{
                    "system": DIAGNOSIS_CLASS_SYSTEM, "code": lesion_class["code"], "display": lesion_class["name"],
                }], "text": value}
            elif value:
                resource["valueString"] = value
            else:
                resource["dataAbsentReason"] = {"text": "Left empty"}
            if media:
                resource["derivedFrom"] = media
            urls.append(url)
            entries.append(self._entry(url, resource))
        return urls, entries

    def _report(self, *, record: Record, prefix: str, status: str, observations: list[str], when: str | None,
                performers: list[dict[str, str]], media: list[dict[str, str]], tag: dict[str, str],
                conclusion: str, presented_form: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        url = self.urn("report", prefix)
        resource: dict[str, Any] = {
            "resourceType": "DiagnosticReport",
            "id": prefix,
            "meta": {"tag": [tag]},
            "identifier": [{"system": f"{self.system}:finding", "value": record["finding_id"]}],
            "status": status,
            "code": {"coding": [{"system": "urn:dermreview:report", "code": "lesion-image-review",
                                 "display": "Dermatology lesion image review"}],
                     "text": "Dermatology lesion image review"},
            "subject": self._subject(record["case"]),
            "performer": performers,
            "result": [{"reference": u} for u in observations],
        }
        if when:
            resource["effectiveDateTime"] = when
            resource["issued"] = when
        if status in ("final", "amended"):
            resource["resultsInterpreter"] = performers
        if record.get("amendment_in_progress"):
            resource["meta"]["tag"].append(AMENDING_TAG)
        if record.get("resolution"):
            resource["extension"] = [resolution_extension(record["resolution"])]
        if media:
            resource["media"] = [{"link": m} for m in media]
        if conclusion:
            resource["conclusion"] = conclusion
        if presented_form:
            resource["presentedForm"] = presented_form
        return url, self._entry(url, resource)

    # --- records -----------------------------------------------------------------------------------------

    def _finding_entries(self, record: Record, details: LesionDetails | None = None) -> Iterator[str]:
        case = record["case"]
        prefix = f"case-{case['id']}-v{record['version']}"
        yield from self._lesion_entries(details)
        for image in record["images"]:
            yield self._media(image, case)
        media = [{"reference": self.urn("image", image["id"])} for image in record["images"]]
        reviewer_refs = []
        for reviewer in record["reviewers"]:
            url, entry = self._practitioner(reviewer)
            if entry:
                yield entry
            reviewer_refs.append({"reference": url, "display": reviewer["username"]})
        device_url = None
        if record["ai_draft"]:
            device_url, entry = self._device(record["ai_draft"])
            if entry:
                yield entry
        when = record["signed_at"]
        status = report_status(record)
        observations, entries = self._observations(
            prefix=prefix, values=record["fields"], status=status, case=case, when=when,
            performers=reviewer_refs, media=media, tag=HUMAN_TAG, lesion_class=record.get("lesion_class"),
        )
        yield from entries
        # Not among the report's `result` (the six finding fields): derived from them, and targets of its Provenance.
        plan_urls, entries = self._plan_observations(details=details, record=record, prefix=prefix, status=status,
                                                     performers=reviewer_refs, derived_from=observations)
        yield from entries
        report_url, entry = self._report(
            record=record, prefix=prefix, status=status, observations=observations, when=when,
            performers=reviewer_refs, media=media, tag=HUMAN_TAG, conclusion=record["fields"].get("summary", ""),
            presented_form=self._presented_form(details, version=record["version"]),
        )
        yield entry
        yield self._entry(self.urn("provenance", prefix), self._finding_provenance(
            record, prefix=prefix, status=status, report_url=report_url, observations=[*observations, *plan_urls],
            device_url=device_url, reviewer_refs=reviewer_refs))

    def _finding_provenance(self, record: Record, *, prefix: str, status: str, report_url: str,
                            observations: list[str], device_url: str | None,
                            reviewer_refs: list[dict[str, str]]) -> dict[str, Any]:
        """Who made the finding: the AI model as author of the draft, the signing reviewers as verifiers."""
        agents: list[dict[str, Any]] = []
        if device_url:
            agents.append({"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author", "display": "Author"}],
                                    "text": "AI model: wrote the unreviewed draft"},
                           "who": {"reference": device_url}})
        for reviewer, ref in zip(record["reviewers"], reviewer_refs, strict=True):
            edited = ", ".join(reviewer["edited_fields"]) or "none"
            agents.append({
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "verifier", "display": "Verifier"}],
                         "text": f"Signing reviewer, round {reviewer['round']}, outcome {reviewer['outcome']}, "
                                 f"edited fields: {edited}"},
                "who": ref,
            })
        provenance: dict[str, Any] = {
            "resourceType": "Provenance",
            "id": f"{prefix}-provenance",
            "target": [{"reference": report_url}, *({"reference": u} for u in observations)],
            "recorded": record["signed_at"],
            "activity": {"coding": [{"system": DATA_OPERATION,
                                     "code": "UPDATE" if status == "amended" else "CREATE"}]},
            "agent": agents,
        }
        if record["ai_draft"] and record["ai_draft"]["draft_id"] is not None:
            provenance["entity"] = [{"role": "source", "what": {
                "identifier": {"system": f"{self.system}:ai-draft", "value": str(record["ai_draft"]["draft_id"])},
                "display": "The AI draft shown to the reviewer (unreviewed)",
            }}]
        if record["amendment_reason"]:
            provenance["reason"] = [{"text": record["amendment_reason"]}]
        return provenance

    def _draft_entries(self, record: Record, *, write_media: bool) -> Iterator[str]:
        case = record["case"]
        ai = record["ai_draft"]
        prefix = f"draft-{ai['draft_id']}"
        if write_media:
            for image in record["images"]:
                yield self._media(image, case)
        media = [{"reference": self.urn("image", image["id"])} for image in record["images"]]
        device_url, entry = self._device(ai)
        if entry:
            yield entry
        device_ref = [{"reference": device_url, "display": ai["model_id"]}]
        when = ai.get("finished_at") or ai.get("created_at")
        observations, entries = self._observations(
            prefix=prefix, values=ai["fields"], status="preliminary", case=case, when=when,
            performers=device_ref, media=media, tag=AI_DRAFT_TAG,
        )
        yield from entries
        summary = ai["fields"].get("summary", "")
        report_url, entry = self._report(
            record=record, prefix=prefix, status="preliminary", observations=observations, when=when,
            performers=device_ref, media=media, tag=AI_DRAFT_TAG,
            conclusion=f"UNREVIEWED AI DRAFT (not a diagnosis): {summary}" if summary else "",
        )
        yield entry
        yield self._entry(self.urn("provenance", prefix), {
            "resourceType": "Provenance",
            "id": f"{prefix}-provenance",
            "meta": {"tag": [AI_DRAFT_TAG]},
            "target": [{"reference": report_url}, *({"reference": u} for u in observations)],
            "recorded": ai.get("created_at") or self.meta["generated_at"],
            "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE"}]},
            "agent": [{"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author", "display": "Author"}],
                                "text": "AI model: unreviewed draft, no human has confirmed it"},
                       "who": device_ref[0]}],
        })

    def entries(self) -> Iterator[str]:
        for batch in finding_record_batches(self.scope, self.urls):
            details = lesion_details(record["review_id"] for record in batch)
            for record in batch:
                yield from self._finding_entries(record, details.get(record["review_id"]))
        last_image = None
        for record in draft_records(self.scope, self.urls, by_image=True):
            image_id = record["images"][0]["id"]
            write_media = not record["image_in_exported_finding"] and image_id != last_image
            last_image = image_id
            yield from self._draft_entries(record, write_media=write_media)

    def write(self) -> Iterator[str]:
        head = {
            "resourceType": "Bundle",
            "id": self.meta["export_id"],
            "identifier": {"system": f"{self.system}:export", "value": self.meta["export_id"]},
            "type": "collection",
            "timestamp": self.meta["generated_at"],
        }
        # FHIR forbids empty arrays, so `entry` is opened by the first entry and left out of an empty bundle.
        parts = [json.dumps(head, ensure_ascii=False)[:-1]]
        size, limit = 0, export_records.FLUSH_CHARS
        separator = ', "entry": ['
        for entry in self.entries():
            parts.append(separator + entry)
            size += len(entry)
            separator = ","
            if size >= limit:
                yield "".join(parts)
                parts, size = [], 0
        parts.append("}" if separator != "," else "]}")
        yield "".join(parts)
