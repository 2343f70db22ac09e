"""The rows of a findings export, read in constant memory.

One *finding* is a case's current, final version: the last standing sign-off of the latest version (round 2 for a
dual review, round 3 for a settled disagreement), with every sign-off of that version as its reviewers
(`signers.py`). Only cases whose status is `final` count, so a first sign-off still waiting for its second reviewer
is not exported as a finding, and voided (amended) sign-offs are not either, with one exception: while an amendment
awaits its second reviewer, the version it supersedes stays the current finding (`finding_status:
amendment_in_progress`) until the amendment is signed. The case's details (patient reference, body site, lesion
label) are exported as signed (`Review.signed_context`), not as they are now. On request, auditors also get every
*ready AI draft* of the organisation they may see, as separate records that say `kind: ai_draft, reviewed: false`
and carry no human-confirmed fields. Drafts of a blind-first case are left out for an exporter who reviews and has
not recorded their own finding for it (`ExportScope.drafts_visible`), exactly as the review page withholds them.

Rows come from `values_list(...).iterator(chunk_size=CHUNK)` (a server-side cursor on PostgreSQL), and for each
chunk two more queries fetch the chunk's reviewers and photos. Memory therefore depends on CHUNK, never on how many
findings the organisation has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse

from dermreview.api.exports.signers import (
    Signer,
    earlier_round_columns,
    earlier_round_lists,
    earlier_round_relations,
    earlier_signers,
    field_names,
    signer_entries,
)
from dermreview.api.serializers.common import AI_DRAFT_LABEL, HUMAN_FINAL_LABEL
from dermreview.cases.models import CaseStatus, LesionImage
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.models import Review
from dermreview.review.services.plan import NO_PLAN_RECORD, plan_record

CHUNK = 2000
# Writers hand the response a block once it holds this much text: few, large writes, and a bounded buffer.
FLUSH_CHARS = 256 * 1024

Record = dict[str, Any]


@dataclass(frozen=True)
class ExportScope:
    """Which findings an export covers. `organisation_id` comes from the caller, never from the request."""

    organisation_id: int | None
    since: datetime | None = None
    until: datetime | None = None  # exclusive: signed (drafts: created) before it
    include_drafts: bool = False
    # The drafts the exporter may see (blind-first: `review.services.blind.drafts_visible_q` on Draft), and the ids
    # the export recorded as shown (`draft.view`) when it started: a draft that becomes ready or visible while the
    # rows stream is left out, never exported unrecorded. None: not recorded (no drafts, or a direct caller).
    drafts_visible: Q = field(default_factory=Q)
    draft_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class UrlBuilder:
    """Absolute URLs of the photo routes without calling reverse() for every row (it is slow in a hot loop)."""

    base: str  # scheme://host, no trailing slash

    def __post_init__(self) -> None:
        templates = {
            "file": reverse("cases:image_file", args=[987654321]),
            "api_file": reverse("api-image-file", args=[987654321]),
        }
        object.__setattr__(self, "_templates", templates)

    def url(self, kind: str, image_id: int) -> str:
        return self.base + self._templates[kind].replace("987654321", str(image_id))  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


# --- querysets -----------------------------------------------------------------------------------------------


def final_findings(scope: ExportScope) -> QuerySet[Review]:
    """The last sign-off of each case's current final finding (one row per finding).

    That is the last standing sign-off of a final case, or, while an amendment of it awaits its second reviewer
    (the case is not final), the last sign-off of the version the amendment supersedes: it stays the current
    finding, marked as an amendment in progress, until the amendment is signed. (An amendment voids the whole
    version at once, so the rounds of one version are either all standing or all voided.)
    """
    later_round = Review.objects.filter(
        case_id=OuterRef("case_id"), version=OuterRef("version"), round__gt=OuterRef("round"),
    )
    pending_amendment = Review.objects.filter(
        case_id=OuterRef("case_id"), version=OuterRef("version") + 1, round=1, voided_at__isnull=True,
        supersedes__isnull=False,
    )
    standing = Q(case__status=CaseStatus.FINAL, voided_at__isnull=True)
    amending = Q(voided_at__isnull=False) & ~Q(case__status=CaseStatus.FINAL) & Exists(pending_amendment)
    queryset = Review.objects.filter(case__organisation_id=scope.organisation_id).filter(
        standing | amending).filter(~Exists(later_round))
    return queryset.filter(_window(scope, "signed_at"))


def exported_drafts(scope: ExportScope) -> QuerySet[Draft]:
    if not scope.include_drafts:
        return Draft.objects.none()
    queryset = Draft.objects.filter(scope.drafts_visible, image__case__organisation_id=scope.organisation_id,
                                    status=DraftStatus.READY)
    return queryset.filter(_window(scope, "created_at"))


def _window(scope: ExportScope, column: str) -> Q:
    """`column` at or after `since` and before `until`, each when given."""
    bounds = {f"{column}__gte": scope.since, f"{column}__lt": scope.until}
    return Q(**{lookup: value for lookup, value in bounds.items() if value is not None})


# The finding's row carries everything but its photos: the sign-off itself, its reviewer, its case, the AI draft as
# the reviewer saw it (keys of `draft_snapshot`, extracted by the database) and the version's earlier sign-offs
# (rounds 1 and 2, one join each: `signers`).
_AI_KEYS = ("image_id", "model_id", "model_revision", "prompt_version", "resolved_revision")
# The field-name lists (JSON arrays) come as their JSON text: with no column left that needs a Python-side
# converter, Django hands PostgreSQL's rows over untouched, and `field_names` decodes only non-empty lists.
_JSON_LISTS = {"edited_text": "edited_fields", "disagreement_text": "disagreement_fields"}
# The diagnosis class the signed lesion type names (NULL for findings signed before the vocabulary).
_CLASS_COLUMNS = ("lesion_class__code", "lesion_class__name", "lesion_class__high_risk")
_SIGNED_CASE_FIELDS = ("patient_ref", "body_site", "lesion_label")
_FINDING_COLUMNS = (
    "id", "case_id", "version", "round", "signed_at", "outcome", "edited_text", "all_unchanged",
    "disagreement_text", "rejection_reason", "amendment_reason", "supersedes_id", "draft_id",
    "reviewer_id", "reviewer__username", "signed_patient_ref", "signed_body_site", "signed_lesion_label",
    "case__status", *_CLASS_COLUMNS, *FINDING_FIELDS, *(f"ai_{key}" for key in _AI_KEYS),
    *(f"ai_{name}" for name in FINDING_FIELDS),
    *earlier_round_columns(), "amendment_in_progress", "resolution",
    "management_plan", "follow_up_on", "change_since_previous", "change_aspects_text",
)
_TAIL = 2 + 4  # amendment_in_progress, resolution, then the plan's four (`finding_plan`: review/services/plan.py)
_DRAFT_COLUMNS = (
    "id", "image_id", "image__case_id", "model_id", "model_revision", "prompt_version", "resolved_revision",
    "backend", "created_at",
    "finished_at", "image__case__patient_ref", "image__case__body_site", "image__case__lesion_label",
    "image__case__status", "image__content_type", "image__capture_type", "image__width", "image__height",
    "image__created_at", *FINDING_FIELDS,
)


def finding_row_query(scope: ExportScope) -> QuerySet[Review]:
    """The rows of `final_findings`, oldest signature first (the order incremental `since=` exports rely on)."""
    snapshot = {f"ai_{key}": KT(f"draft_snapshot__{key}") for key in _AI_KEYS}
    snapshot |= {f"ai_{name}": KT(f"draft_snapshot__fields__{name}") for name in FINDING_FIELDS}
    lists = {alias: Cast(source, TextField()) for alias, source in _JSON_LISTS.items()} | earlier_round_lists()
    lists["change_aspects_text"] = Cast("change_aspects", TextField())
    # The case's details as the finding was signed (`signed_context`), the live case only for older sign-offs.
    signed = {f"signed_{name}": Coalesce(KT(f"signed_context__{name}"), F(f"case__{name}"), output_field=CharField())
              for name in _SIGNED_CASE_FIELDS}
    amending = ExpressionWrapper(Q(voided_at__isnull=False), output_field=BooleanField())
    return (
        final_findings(scope).annotate(**earlier_round_relations(), **snapshot).annotate(**lists, **signed)
        .annotate(amendment_in_progress=amending)
        .order_by("signed_at", "id").values_list(*_FINDING_COLUMNS)
    )


def finding_rows(scope: ExportScope) -> Iterator[tuple[Any, ...]]:
    return finding_row_query(scope).iterator(chunk_size=CHUNK)


# --- records -------------------------------------------------------------------------------------------------


def _image_entry(urls: UrlBuilder, image_id: int, content_type: str, capture_type: str, width: int, height: int,
                 created_at: datetime | None) -> dict[str, Any]:
    return {
        "id": image_id, "content_type": content_type, "capture_type": capture_type, "width": width,
        "height": height, "created_at": _iso(created_at),
        "url": urls.url("api_file", image_id), "browser_url": urls.url("file", image_id),
    }


def finding_row_batches(
    scope: ExportScope, urls: UrlBuilder, *, photo_details: bool = True,
) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, list[dict[str, Any]]]]]:
    """The finding rows in chunks of CHUNK, each with the photos of its cases (one query per chunk).

    Without `photo_details` a photo is only its id and URL (all the CSV shows).
    """
    case_at = _FINDING_COLUMNS.index("case_id")
    for batch in _batched(finding_rows(scope), CHUNK):
        images: dict[int, list[dict[str, Any]]] = defaultdict(list)
        photos = LesionImage.objects.filter(case_id__in=[row[case_at] for row in batch]).order_by("case_id", "id")
        if photo_details:
            for case_id, image_id, content_type, capture_type, width, height, created_at in photos.values_list(
                "case_id", "id", "content_type", "capture_type", "width", "height", "created_at",
            ):
                images[case_id].append(
                    _image_entry(urls, image_id, content_type, capture_type, width, height, created_at))
        else:
            for case_id, image_id in photos.values_list("case_id", "id"):
                images[case_id].append({"id": image_id, "url": urls.url("api_file", image_id)})
        yield batch, images


def finding_record_batches(scope: ExportScope, urls: UrlBuilder) -> Iterator[list[Record]]:
    """`finding_records` a chunk (CHUNK findings) at a time, for a writer that reads more per chunk (FHIR: the
    findings' patients, lesions and plans, `fhir_lesion.py`)."""
    for batch, images in finding_row_batches(scope, urls):
        yield [_finding_record(row, images) for row in batch]


def finding_records(scope: ExportScope, urls: UrlBuilder) -> Iterator[Record]:
    """One record per final finding: what the AI drafted, who confirmed what, and when."""
    for batch, images in finding_row_batches(scope, urls):
        for row in batch:
            yield _finding_record(row, images)


_FIELD_COUNT = len(FINDING_FIELDS)
_HEAD = 19 + len(_CLASS_COLUMNS)
_AI_AT = _HEAD + _FIELD_COUNT
_AI_END = _AI_AT + len(_AI_KEYS)
_EARLIER_AT = _AI_END + _FIELD_COUNT


def split_finding_row(row: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
    """A finding row as (sign-off, case as signed and diagnosis class [22 values], final fields, AI image
    id/model/revision/prompt/resolved revision, AI fields, the version's earlier sign-offs [`signers`: rounds 1 and
    2, SIGNER_WIDTH values each]); then `amendment_in_progress(row)`, `finding_resolution(row)`, `finding_plan(row)`."""
    return (row[:_HEAD], row[_HEAD:_AI_AT], row[_AI_AT:_AI_END], row[_AI_END:_EARLIER_AT], row[_EARLIER_AT:-_TAIL])


def amendment_in_progress(row: tuple[Any, ...]) -> bool:
    """Whether the finding row's version is being amended (the amendment awaits its second reviewer)."""
    return bool(row[-_TAIL])


def finding_resolution(row: tuple[Any, ...]) -> str:
    return row[1 - _TAIL] or ""  # how its dual review was resolved (`Review.resolution`); "" for a single review


def finding_plan(row: tuple[Any, ...]) -> dict[str, Any]:  # the plan, follow-up date, change since previous
    return plan_record(*row[2 - _TAIL:])


def finding_status(in_progress: bool) -> str:
    """A finding record's `finding_status`: "final", or "amendment_in_progress" while it stays current."""
    return "amendment_in_progress" if in_progress else "final"


def lesion_class_entry(code: str | None, name: str | None, high_risk: bool | None) -> dict[str, Any] | None:
    """The `lesion_class` of a finding record: code, name and whether the class is high-risk; None without one."""
    if code is None:
        return None
    return {"code": code, "name": name, "high_risk": bool(high_risk)}


def _finding_record(row: tuple[Any, ...], images: dict[int, list[dict[str, Any]]]) -> Record:
    head, values, ai_meta, ai_values, earlier = split_finding_row(row)
    (review_id, case_id, version, round_no, signed_at, outcome, edited_fields, all_unchanged, disagreement_fields,
     rejection_reason, amendment_reason, supersedes_id, draft_id, reviewer_id, username, patient_ref, body_site,
     lesion_label, case_status, class_code, class_name, class_high_risk) = head
    ai_image_id, ai_model_id, ai_model_revision, ai_prompt_version, ai_resolved_revision = ai_meta
    ai_draft = None
    in_progress = amendment_in_progress(row)
    if has_ai_draft(draft_id, ai_model_id):
        ai_draft = {
            "kind": "ai_draft", "reviewed": False, "label": AI_DRAFT_LABEL,
            "draft_id": draft_id, "image_id": _json_int(ai_image_id),
            "model_id": ai_model_id or "", "model_revision": ai_model_revision or "",
            "prompt_version": ai_prompt_version or "", "resolved_revision": ai_resolved_revision or "",
            "fields": {name: value or "" for name, value in zip(FINDING_FIELDS, ai_values, strict=True)},
        }
    own = Signer(review_id, round_no, reviewer_id, username, outcome, signed_at, edited_fields)
    reviewers = signer_entries(earlier_signers(earlier), own)
    return {
        "kind": "signed_finding",
        "reviewed": True,
        "label": HUMAN_FINAL_LABEL,
        "finding_id": f"case-{case_id}-v{version}",
        "review_id": review_id,
        "case": {"id": case_id, "patient_ref": patient_ref, "body_site": body_site, "lesion_label": lesion_label,
                 "status": case_status},
        "version": version,
        "signed_at": _iso(signed_at),
        "fields": dict(zip(FINDING_FIELDS, values, strict=True)),
        "lesion_class": lesion_class_entry(class_code, class_name, class_high_risk),
        "outcome": outcome,
        "edited_fields": field_names(edited_fields),
        "all_unchanged": all_unchanged,
        "disagreement_fields": field_names(disagreement_fields),
        "rejection_reason": rejection_reason,
        "amendment_reason": amendment_reason,
        "supersedes_review_id": supersedes_id,
        "finding_status": finding_status(in_progress),
        "amendment_in_progress": in_progress,
        "resolution": finding_resolution(row),
        **finding_plan(row),
        "reviewers": reviewers,
        "ai_draft": ai_draft,
        "images": images.get(case_id, []),
    }


def draft_records(scope: ExportScope, urls: UrlBuilder, *, by_image: bool = False) -> Iterator[Record]:
    """One record per ready AI draft: unreviewed, never a finding (`fields` is null; the text is in `ai_draft`).

    `by_image` orders the drafts by photo (so a writer can tell a photo it has just written from a new one without
    remembering every photo), and each record says whether its photo belongs to an exported finding.
    """
    columns = (*_DRAFT_COLUMNS, "in_finding") if by_image else _DRAFT_COLUMNS
    index = {name: i for i, name in enumerate(columns)}
    drafts = exported_drafts(scope).order_by("created_at", "id")
    if by_image:
        covered = final_findings(scope).filter(case_id=OuterRef("image__case_id"))
        drafts = drafts.annotate(in_finding=Exists(covered)).order_by("image_id", "id")
    rows = drafts.values_list(*columns)
    for row in _recorded(scope, rows, index["id"]):
        image_id = row[index["image_id"]]
        record: Record = {
            "kind": "ai_draft",
            "reviewed": False,
            "label": AI_DRAFT_LABEL,
            "finding_id": f"draft-{row[index['id']]}",
            "review_id": None,
            "case": {
                "id": row[index["image__case_id"]], "patient_ref": row[index["image__case__patient_ref"]],
                "body_site": row[index["image__case__body_site"]],
                "lesion_label": row[index["image__case__lesion_label"]], "status": row[index["image__case__status"]],
            },
            "version": None, "signed_at": None, "fields": None, "lesion_class": None,
            "outcome": "", "edited_fields": [], "all_unchanged": False, "disagreement_fields": [],
            "rejection_reason": "", "amendment_reason": "", "supersedes_review_id": None,
            "finding_status": "", "amendment_in_progress": False, "resolution": "", **NO_PLAN_RECORD,
            "reviewers": [],
            "ai_draft": {
                "kind": "ai_draft", "reviewed": False, "label": AI_DRAFT_LABEL,
                "draft_id": row[index["id"]], "image_id": image_id,
                "model_id": row[index["model_id"]], "model_revision": row[index["model_revision"]],
                "prompt_version": row[index["prompt_version"]], "resolved_revision": row[index["resolved_revision"]],
                "fields": {name: row[index[name]] for name in FINDING_FIELDS},
                "created_at": _iso(row[index["created_at"]]), "finished_at": _iso(row[index["finished_at"]]),
            },
            "images": [_image_entry(
                urls, image_id, row[index["image__content_type"]], row[index["image__capture_type"]],
                row[index["image__width"]], row[index["image__height"]], row[index["image__created_at"]],
            )],
        }
        if by_image:
            record["image_in_exported_finding"] = row[index["in_finding"]]
        yield record


def _recorded(scope: ExportScope, rows: QuerySet[Any], id_at: int) -> Iterator[tuple[Any, ...]]:
    """The draft rows, streamed, less any the export did not record as shown when it started."""
    for row in rows.iterator(chunk_size=CHUNK):
        if scope.draft_ids is None or row[id_at] in scope.draft_ids:
            yield row


def _json_int(text: str | None) -> int | None:
    # A JSON null extracted as text is SQL NULL on PostgreSQL but the string "null" on SQLite.
    return int(text) if text not in (None, "", "null") else None


def has_ai_draft(draft_id: int | None, ai_model_id: str | None) -> bool:
    """A sign-off made from an AI draft (the draft row, or at least its snapshot, is there)."""
    return draft_id is not None or ai_model_id is not None


def export_records(scope: ExportScope, urls: UrlBuilder) -> Iterator[Record]:
    """Final findings first, then (auditors, on request) the AI drafts."""
    yield from finding_records(scope, urls)
    yield from draft_records(scope, urls)
