"""Which signed findings and photos a training export takes, and why the others are left out.

One finding per final case: the sign-off that made the case final (the last round of its current version, so the
second review of a dual review and the resolving sign-off of an adjudication), never a voided (amended) version
and never an AI draft. A case whose amendment awaits its second reviewer is left out: its finding is being
corrected. This is the findings export's choice (`api/exports/records.py`, `final_findings`) less the amendment
in progress, written again here because the review app may not import the API.

Of a case's photos, those the finding was signed against (`Review.signed_context`; every photo for sign-offs older
than the snapshot) that are not marked ungradable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dermreview.cases.models import Case, CaseStatus, LesionImage
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review

CHUNK = 500
# Why a case or a photo is not in the export: the manifest's `excluded` counts use these names.
CASE_REASONS = ("opted_out", "not_final", "amendment_in_progress", "incomplete_finding", "no_usable_photo")
PHOTO_REASONS = ("ungradable", "not_signed", "unreadable")


@dataclass(frozen=True, slots=True)
class ExportWindow:
    """One organisation's findings signed at or after `since` and before `until` (each when given)."""

    organisation_id: int
    since: datetime | None = None
    until: datetime | None = None

    def q(self, column: str) -> Q:
        bounds = {f"{column}__gte": self.since, f"{column}__lt": self.until}
        return Q(**{lookup: value for lookup, value in bounds.items() if value is not None})


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    id: int
    name: str  # in the photo storage
    capture_type: str
    pixels: int


@dataclass(frozen=True, slots=True)
class SignedCase:
    """A final case to export: its patient reference (pseudonymised by the caller), the signed six fields, the
    class they name, and the photos they were signed against."""

    case_id: int
    patient_ref: str
    fields: dict[str, str]
    lesion_class: str | None
    photos: tuple[StoredPhoto, ...]


@dataclass
class Exclusions:
    """The manifest's counts of what was left out, by reason."""

    cases: Counter[str]
    photos: Counter[str]

    @classmethod
    def empty(cls) -> Exclusions:
        return cls(Counter(dict.fromkeys(CASE_REASONS, 0)), Counter(dict.fromkeys(PHOTO_REASONS, 0)))

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"cases": dict(self.cases), "photos": dict(self.photos)}


def final_signoffs(window: ExportWindow) -> QuerySet[Review]:
    """The sign-off that made each final case of the window final (one row per case)."""
    later_round = Review.objects.filter(case_id=OuterRef("case_id"), version=OuterRef("version"),
                                        round__gt=OuterRef("round"))
    # An amendment voids the whole version it supersedes, so a final case's standing sign-offs are all of its
    # current version, and the one without a later round is the last.
    standing = Review.objects.active().filter(case__organisation_id=window.organisation_id,
                                              case__status=CaseStatus.FINAL)
    return standing.filter(~Exists(later_round)).filter(window.q("signed_at"))


def count_unfinished(window: ExportWindow, exclusions: Exclusions) -> None:
    """Count the window's cases without a final finding (by creation time: they have no sign-off time)."""
    amending = Exists(Review.objects.filter(case_id=OuterRef("pk"), voided_at__isnull=False))
    cases = Case.objects.filter(organisation_id=window.organisation_id).exclude(status__exact=CaseStatus.FINAL)
    counts = cases.filter(window.q("created_at")).annotate(amending=amending).aggregate(
        not_final=Count("pk", filter=Q(amending=False)), amendment_in_progress=Count("pk", filter=Q(amending=True)),
    )
    exclusions.cases.update({name: value or 0 for name, value in counts.items()})


_COLUMNS = ("case_id", "case__patient_ref", "case__training_opt_out", "lesion_class__code", "signed_context",
            *FINDING_FIELDS)


def signed_cases(window: ExportWindow, exclusions: Exclusions) -> Iterator[SignedCase]:
    """The window's final cases to export, oldest sign-off first, in chunks (memory does not grow with the clinic);
    what is left out is counted in `exclusions`."""
    rows = final_signoffs(window).order_by("signed_at", "id").values_list(*_COLUMNS).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        photos = _photos_by_case([row[0] for row in chunk])
        for case_id, patient_ref, opted_out, class_code, context, *values in chunk:
            fields = {name: (value or "").strip() for name, value in zip(FINDING_FIELDS, values, strict=True)}
            if opted_out:
                exclusions.cases["opted_out"] += 1
            elif not all(fields.values()):
                exclusions.cases["incomplete_finding"] += 1
            else:
                chosen = _signed_photos(photos.get(case_id, []), context, exclusions)
                yield SignedCase(case_id, patient_ref, fields, class_code, chosen)


def _photos_by_case(case_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    photos: dict[int, list[tuple[Any, ...]]] = {}
    rows = LesionImage.objects.filter(case_id__in=case_ids).order_by("case_id", "pk").values_list(
        "case_id", "pk", "file", "capture_type", "width", "height", "ungradable_at")
    for case_id, *photo in rows:
        photos.setdefault(case_id, []).append(tuple(photo))
    return photos


def _signed_photos(photos: list[tuple[Any, ...]], context: Any, exclusions: Exclusions) -> tuple[StoredPhoto, ...]:
    """The photos the finding was signed against and a reviewer did not mark ungradable."""
    listed = context.get("images") if isinstance(context, dict) else None
    signed = {entry.get("id") for entry in listed if isinstance(entry, dict)} if listed else None
    chosen = []
    for pk, name, capture_type, width, height, ungradable_at in photos:
        if ungradable_at is not None:
            exclusions.photos["ungradable"] += 1
        elif signed is not None and pk not in signed:
            exclusions.photos["not_signed"] += 1
        else:
            chosen.append(StoredPhoto(pk, name, capture_type, width * height))
    return tuple(chosen)
