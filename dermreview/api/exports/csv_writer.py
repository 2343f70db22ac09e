"""CSV: one row per record, the same columns for findings and AI drafts.

Human-confirmed text is in the bare field columns (`lesion_type`, ...) and only there; what the AI drafted is in the
`ai_*` columns. An AI draft row (`kind` = ai_draft, `reviewed` = false) therefore has empty finding columns, so a
consumer reading `lesion_type` can never pick up unreviewed AI text. Lists are `;`-separated in one cell.

A text cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`, so a spreadsheet opens
it as text instead of running it as a formula (CSV injection); `csv_cell_value` undoes that when parsing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from dermreview.api.exports import records as export_records
from dermreview.api.exports.records import (
    ExportScope,
    Record,
    UrlBuilder,
    amendment_in_progress,
    draft_records,
    finding_plan,
    finding_resolution,
    finding_row_batches,
    finding_status,
    has_ai_draft,
    lesion_class_entry,
    split_finding_row,
)
from dermreview.api.exports.signers import earlier_signers, field_names
from dermreview.drafting.models import FINDING_FIELDS

# The signed lesion type's diagnosis class (empty for AI drafts and findings signed before the vocabulary).
CLASS_COLUMNS = ("lesion_class_code", "lesion_class_name", "lesion_class_high_risk")
PLAN_COLUMNS = ("management_plan", "follow_up_on", "change_since_previous", "change_aspects")
COLUMNS: tuple[str, ...] = (
    "kind", "reviewed", "finding_id", "review_id", "case_id", "patient_ref", "body_site", "lesion_label",
    "case_status", "version", "signed_at", *FINDING_FIELDS, *CLASS_COLUMNS, "outcome", "edited_fields", "all_unchanged",
    "disagreement_fields", "rejection_reason", "amendment_reason", "supersedes_review_id",
    "reviewers", "reviewer_ids", "reviewer_rounds", "reviewer_signed_at",
    "ai_draft_id", "ai_model_id", "ai_model_revision", "ai_prompt_version", *(f"ai_{n}" for n in FINDING_FIELDS),
    "image_ids", "image_urls", "finding_status", "resolution",
    # Appended, so the columns before keep their places: the commit(s) the AI draft's weights came from.
    "ai_model_resolved_revision",
    # Appended too: the management plan, the follow-up date and the change since the previous visit (human-only).
    *PLAN_COLUMNS,
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    text = str(value)
    # str.startswith with a tuple, once per cell: the export's hottest line.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell_value(cell: str) -> str:
    """The original text of a cell written by this module (undoes the formula guard)."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


def csv_row(record: Record) -> list[str]:
    text = _text
    case = record["case"]
    fields = record["fields"] or _NO_FIELDS
    ai = record["ai_draft"] or _NO_AI
    ai_fields = ai["fields"]
    reviewers = record["reviewers"]
    images = record["images"]
    return [
        record["kind"], text(record["reviewed"]), record["finding_id"], text(record["review_id"]),
        str(case["id"]), text(case["patient_ref"]), case["body_site"], text(case["lesion_label"]), case["status"],
        text(record["version"]), text(record["signed_at"]),
        *[text(fields[name]) for name in FINDING_FIELDS],
        *_class_cells(record["lesion_class"]),
        record["outcome"], ";".join(record["edited_fields"]), text(record["all_unchanged"]),
        ";".join(record["disagreement_fields"]), text(record["rejection_reason"]), text(record["amendment_reason"]),
        text(record["supersedes_review_id"]),
        text(";".join(r["username"] for r in reviewers)), ";".join(str(r["id"]) for r in reviewers),
        ";".join(str(r["round"]) for r in reviewers), ";".join(r["signed_at"] or "" for r in reviewers),
        text(ai["draft_id"]), text(ai["model_id"]), text(ai["model_revision"]), text(ai["prompt_version"]),
        *[text(ai_fields[name]) for name in FINDING_FIELDS],
        ";".join(str(i["id"]) for i in images), ";".join(i["url"] for i in images), record["finding_status"],
        record["resolution"], text(ai["resolved_revision"]), *plan_cells(record),
    ]


_NO_FIELDS = dict.fromkeys(FINDING_FIELDS, "")


def plan_cells(plan: dict[str, Any]) -> list[str]:
    # Choice values, an ISO date and aspect codes: none can be a formula.
    return [plan["management_plan"], plan["follow_up_on"] or "", plan["change_since_previous"],
            ";".join(plan["change_aspects"])]


def _class_cells(lesion_class: dict[str, Any] | None) -> list[str]:
    # Codes are slugs; a clinic's own class name is free text, so it is guarded like any other.
    if lesion_class is None:
        return ["", "", ""]
    return [lesion_class["code"], _text(lesion_class["name"]), "true" if lesion_class["high_risk"] else "false"]
_NO_AI = {"draft_id": None, "model_id": "", "model_revision": "", "prompt_version": "", "resolved_revision": "",
          "fields": _NO_FIELDS}


def _guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def finding_csv_row(row: tuple[Any, ...], images: dict[int, list[dict[str, Any]]]) -> list[str]:
    """`csv_row` of a finding, straight from its database row: the same cells without building the record dict
    first (the CSV export is the bulk format; the round-trip tests hold both paths to the database)."""
    guard = _guard
    head, values, ai_meta, ai_values, earlier = split_finding_row(row)
    (review_id, case_id, version, round_no, signed_at, outcome, edited, all_unchanged, disagreement,
     rejection_reason, amendment_reason, supersedes_id, draft_id, reviewer_id, username, patient_ref, body_site,
     lesion_label, case_status, class_code, class_name, class_high_risk) = head
    _ai_image, ai_model_id, ai_model_revision, ai_prompt_version, ai_resolved_revision = ai_meta
    signed = signed_at.isoformat()
    usernames, ids, rounds, times = username, str(reviewer_id), str(round_no), signed
    for signer in reversed(earlier_signers(earlier)):  # every signer of the version, in round order
        usernames, ids = f"{signer.username};{usernames}", f"{signer.reviewer_id};{ids}"
        rounds, times = f"{signer.round};{rounds}", f"{signer.signed_at.isoformat()};{times}"
    photos = images.get(case_id, ())
    if has_ai_draft(draft_id, ai_model_id):
        ai = ["" if draft_id is None else str(draft_id), guard(ai_model_id or ""), guard(ai_model_revision or ""),
              guard(ai_prompt_version or ""), *[guard(v or "") for v in ai_values]]
        resolved = guard(ai_resolved_revision or "")
    else:
        ai, resolved = _NO_AI_CELLS, ""
    # Free text is guarded; ids, enums, timestamps and patient references (a validated pattern) cannot be formulas.
    return [
        "signed_finding", "true", f"case-{case_id}-v{version}", str(review_id), str(case_id), patient_ref,
        body_site, guard(lesion_label), case_status, str(version), signed, *[guard(v) for v in values],
        *_class_cells(lesion_class_entry(class_code, class_name, class_high_risk)), outcome, ";".join(field_names(edited)), "true" if all_unchanged else "false",
        ";".join(field_names(disagreement)),
        guard(rejection_reason), guard(amendment_reason), "" if supersedes_id is None else str(supersedes_id),
        guard(usernames), ids, rounds, times,
        *ai, ";".join(str(i["id"]) for i in photos), ";".join(i["url"] for i in photos),
        finding_status(amendment_in_progress(row)), finding_resolution(row), resolved, *plan_cells(finding_plan(row)),
    ]


_NO_AI_CELLS = [""] * (4 + len(FINDING_FIELDS))


def write_csv(scope: ExportScope, urls: UrlBuilder) -> Iterator[str]:
    """The header, then the rows (findings, then any drafts) in blocks of about FLUSH_CHARS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    limit = export_records.FLUSH_CHARS
    for batch, images in finding_row_batches(scope, urls, photo_details=False):
        for row in batch:
            writer.writerow(finding_csv_row(row, images))
        if buffer.tell() >= limit:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    for record in draft_records(scope, urls):
        writer.writerow(csv_row(record))
        if buffer.tell() >= limit:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
