"""`training_export`: one clinic's signed findings as a de-identified training and evaluation set."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.roles import is_clinic_admin
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import DiagnosisClass
from dermreview.cases.services.image_processing import JPEG_QUALITY
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.services.training.pseudonyms import SPLIT_RULE, SPLITS, Pseudonymiser, split_of
from dermreview.review.services.training.selection import (
    Exclusions,
    ExportWindow,
    SignedCase,
    count_unfinished,
    signed_cases,
)
from dermreview.review.services.training.writer import (
    ALL_FILE,
    IMAGES_DIR,
    SPLIT_FILES,
    ExportFolder,
    ExportRefused,
    check_out,
    export_folder,
)

FORMAT = "dermreview-training-export"
FORMAT_VERSION = 1
RECORD_KEYS = ("image", "split", "patient", "case", "capture_type", "lesion_class", *FINDING_FIELDS)


@dataclass(frozen=True, slots=True)
class TrainingExport:
    out: Path
    manifest: dict[str, Any]


def training_export(
    *,
    organisation: Any,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    eval_fraction: float = 0.2,
    seed: int = 0,
    user: Any = None,
    run_by: str = "",
) -> TrainingExport:
    """Write `organisation`'s final, signed findings to `out` for fine-tuning and evaluation, and audit it.

    One record per photo a final finding was signed against, with that finding's six fields (the signed current
    version, never the AI draft), the patient and case as keyed pseudonyms, and the photo re-encoded under a random
    name. Cases whose patient opted out of training use (`Case.training_opt_out`) are left out and counted. Every
    photo of a patient goes to one split, "train" or "eval", by `pseudonyms.split_of`. `since`/`until` bound the
    final sign-off's time (until exclusive). `user`, when named, is the clinic administrator who authorised the
    export (the audit event's actor); `run_by` the operating-system account that ran it. Raises ExportRefused
    (bad options, `out` not empty) or PermissionDenied before anything is written.
    """
    _check_options(organisation=organisation, since=since, until=until, eval_fraction=eval_fraction, user=user)
    check_out(out)
    window = ExportWindow(organisation.pk, since, until)
    names = Pseudonymiser.for_installation(organisation_id=organisation.pk)
    exclusions = Exclusions.empty()
    count_unfinished(window, exclusions)
    exported_at = timezone.now()
    with export_folder(out) as folder:
        cases = signed_cases(window, exclusions)
        records = _export_photos(folder, cases, names, seed=seed, eval_fraction=eval_fraction, exclusions=exclusions)
        folder.write_records(records)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": exported_at.isoformat(),
            "exported_by": {"user": getattr(user, "username", None), "os_user": run_by or None},
            "organisation": organisation.slug,
            "window": {"since": _iso(since), "until": _iso(until),
                       "applies_to": "the time of the sign-off that made the case final (until: exclusive); "
                                     "cases without a final finding are counted by creation time"},
            **_description(names=names, seed=seed, eval_fraction=eval_fraction, organisation_id=organisation.pk),
            "counts": _counts(records), "excluded": exclusions.as_dict(),
        }
        folder.write_manifest(manifest)
        with transaction.atomic():
            audit_log(action="training.export", actor=user, organisation=organisation,
                      details=_audit_details(manifest, out))
            folder.publish()
    return TrainingExport(out=out, manifest=manifest)


def _check_options(*, organisation: Any, since: datetime | None, until: datetime | None, eval_fraction: float,
                   user: Any) -> None:
    if not 0.0 <= eval_fraction <= 1.0:
        raise ExportRefused(f"The evaluation fraction must be between 0 and 1, not {eval_fraction}.")
    if since is not None and until is not None and since >= until:
        raise ExportRefused("--since must be earlier than --until.")
    if user is not None and (user.organisation_id != organisation.pk or not is_clinic_admin(user)):
        # Releasing a clinic's data for training is the clinic's decision, taken by its administrator.
        raise PermissionDenied(f"{user.username} is not an administrator of {organisation.slug}.")


def _export_photos(folder: ExportFolder, cases: Iterable[SignedCase], names: Pseudonymiser, *, seed: int,
                   eval_fraction: float, exclusions: Exclusions) -> list[dict[str, Any]]:
    """One record per photo written; a case none of whose photos could be written is counted, not exported."""
    records: list[dict[str, Any]] = []
    for case in cases:
        patient = names.patient(case.patient_ref)
        split = split_of(patient, seed=seed, eval_fraction=eval_fraction)
        pseudonym = names.case(case.case_id)
        written = 0
        for photo in case.photos:
            image = folder.add_photo(photo)
            if image is None:
                exclusions.photos["unreadable"] += 1
                continue
            written += 1
            records.append({"image": image, "split": split, "patient": patient, "case": pseudonym,
                            "capture_type": photo.capture_type, "lesion_class": case.lesion_class, **case.fields})
        if not written:
            exclusions.cases["no_usable_photo"] += 1
    return records


def _counts(records: list[dict[str, Any]]) -> dict[str, Any]:
    def tally(rows: list[dict[str, Any]]) -> dict[str, int]:
        return {"photos": len(rows), "cases": len({row["case"] for row in rows}),
                "patients": len({row["patient"] for row in rows})}

    return {**tally(records), "by_split": {split: tally([r for r in records if r["split"] == split])
                                           for split in SPLITS}}


def _description(*, names: Pseudonymiser, seed: int, eval_fraction: float, organisation_id: int) -> dict[str, Any]:
    """The parts of the manifest that say what the files are and how they were made."""
    return {
        "finding": "the signed current version of each final case's finding (never an AI draft); a case whose "
                   "amendment awaits its second reviewer is left out",
        "record_keys": list(RECORD_KEYS),
        "files": {"all": ALL_FILE, **SPLIT_FILES, "images": f"{IMAGES_DIR}/"},
        "split": {"unit": "patient", "rule": SPLIT_RULE, "seed": seed, "eval_fraction": eval_fraction},
        "pseudonyms": {"method": "HMAC-SHA256: patients of the organisation and case-folded patient reference, "
                                 "cases of the case id", "key": "the installation's (derived from its audit key)",
                       "key_id": names.key_id},
        "photos": {"format": "JPEG", "quality": JPEG_QUALITY, "names": "random",
                   "metadata": "none: decoded and re-encoded from pixels (no EXIF, GPS, ICC profile or comment)"},
        "vocabulary": _vocabulary(organisation_id),
        "usage": {
            "finetune": f"python -m inference_worker.finetune --data OUT/{SPLIT_FILES['train']} "
                        f"--images OUT/{IMAGES_DIR} --base MODEL --out DIR",
            "evaluate": f"python -m inference_worker.evaluate --labels OUT/{SPLIT_FILES['eval']} "
                        f"--images OUT/{IMAGES_DIR} --model DIR",
        },
    }


def _vocabulary(organisation_id: int) -> dict[str, Any]:
    """Which diagnosis vocabulary `lesion_class` codes come from: its size and a fingerprint of its active classes
    (the vocabulary has no version number; the fingerprint changes whenever a class, name or flag does)."""
    rows = list(DiagnosisClass.objects.for_organisation(organisation_id).filter(active=True).order_by("code")
                .values_list("code", "name", "high_risk", "synonyms", "abbreviations"))
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    return {"classes": len(rows), "fingerprint": digest}


def _audit_details(manifest: dict[str, Any], out: Path) -> dict[str, Any]:
    """What the audit trail keeps of an export: counts and how it was made, never a record or a pseudonym."""
    keep = ("format_version", "exported_by", "window", "split", "counts", "excluded")
    return {**{key: manifest[key] for key in keep}, "key_id": manifest["pseudonyms"]["key_id"],
            "vocabulary": manifest["vocabulary"], "out": str(out)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
